// CPU-profiles each node child process in chunks, for bench/profile-top.ts. `--cpu-prof` is not
// allowed in NODE_OPTIONS and the harness SIGKILLs nodes at cleanup (no exit hook runs), so an
// in-process inspector session writes a profile every PROFILE_CHUNK_MS (default 1000) to
// PROFILE_DIR as <host>-<pid>-<wall ms>-<chunk>.cpuprofile. Select chunks by wall time, merge
// with `profile-top.ts --merge --exclude-url profile-preload.mjs` (the chunk writing itself).
//   PROFILE_DIR=/tmp/p NODE_OPTIONS='--import ./bench/profile-preload.mjs' npx tsx bench/run.ts replication
import fs from 'node:fs';
import inspector from 'node:inspector';
import path from 'node:path';

const dir = process.env.PROFILE_DIR;
const hostArg = process.argv.find((a) => a.startsWith('--REPLICATION_HOSTNAME='));
if (dir && hostArg) {
  const host = hostArg.slice('--REPLICATION_HOSTNAME='.length);
  const session = new inspector.Session();
  session.connect();
  session.post('Profiler.enable');
  session.post('Profiler.start');
  let chunk = 0;
  const flush = () => {
    session.post('Profiler.stop', (error, result) => {
      if (!error) {
        fs.mkdirSync(dir, { recursive: true });
        const name = `${host}-${process.pid}-${Date.now()}-${String(chunk++).padStart(3, '0')}.cpuprofile`;
        fs.writeFileSync(path.join(dir, name), JSON.stringify(result.profile));
      }
      session.post('Profiler.start');
    });
  };
  setInterval(flush, Number(process.env.PROFILE_CHUNK_MS ?? 1000)).unref();
  process.on('exit', flush);
}
