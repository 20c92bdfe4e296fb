/**
 * peerdesk-node: runs one node in the foreground. Prints exactly one line `ready <ops url>` to
 * stdout once it accepts requests (everything else goes to stderr); SIGTERM or SIGINT lets
 * in-flight requests finish, closes LMDB and exits 0.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError } from './config/index.ts';
import { startNode, type RunningNode } from './index.ts';
import { SchemaFileError } from './storage/schema-file.ts';

/** The renderer's build (npm run build:renderer), served on GET when it exists. */
const RENDERER_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'renderer');

async function main(): Promise<void> {
  let node: RunningNode;
  try {
    node = await startNode({ argv: process.argv.slice(2), env: process.env, rendererDir: RENDERER_DIR });
  } catch (error) {
    if (error instanceof ConfigError || error instanceof SchemaFileError) {
      process.stderr.write(error.message + '\n');
      process.exit(2);
    }
    throw error;
  }
  if (node.generatedAdminPassword) {
    process.stderr.write(
      `No admin password was given: created user 'admin' with password ${node.generatedAdminPassword}\n` +
        'It is shown only this once; change it with alter_user.\n',
    );
  }
  process.stdout.write(`ready ${node.opsUrl}\n`);

  let signalled = false;
  const shutdown = (signal: NodeJS.Signals) => {
    if (signalled) {
      process.stderr.write(`${signal} again: exiting without a clean stop\n`);
      process.exit(1);
    }
    signalled = true;
    node.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`Clean stop failed: ${String(error)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
}

main().catch((error: unknown) => {
  process.stderr.write(`peerdesk-node failed to start: ${(error as Error)?.stack ?? String(error)}\n`);
  process.exit(1);
});
