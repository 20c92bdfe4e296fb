/**
 * The receiving half of the replication ceiling: a WebSocket server that writes each frame's
 * records to LMDB in one transaction and acks once the commit is flushed. Prints its port.
 */
import path from 'node:path';
import { open } from 'lmdb';
import { Packr } from 'msgpackr';
import { WebSocketServer } from 'ws';

const dir = process.argv[2];
if (!dir) throw new Error('usage: pipeline-receiver.ts DIR');
const env = open({ path: path.join(dir, 'pipeline.mdb'), overlappingSync: true });
const records = env.openDB('records', {});
const packr = new Packr({ useRecords: false });
const server = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false, maxPayload: 64 * 1024 * 1024 });
server.on('listening', () => process.stdout.write(`${(server.address() as { port: number }).port}\n`));
server.on('connection', (socket) => {
  let queue = Promise.resolve();
  socket.on('message', (data: Buffer) => {
    queue = queue.then(async () => {
      const batch = packr.unpack(data) as Array<[number, unknown]>;
      await env.transaction(() => {
        for (const [key, value] of batch) records.put(key, value);
      });
      await env.flushed;
      socket.send('ack');
    });
  });
});
process.on('SIGTERM', () => {
  server.close();
  void env.close().then(() => process.exit(0));
});
