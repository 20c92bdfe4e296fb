/**
 * A successful operation's JSON answer. A small one goes out whole with its Content-Length; an
 * array whose JSON passes STREAM_RESPONSE_BYTES (a search over large records) is written row by
 * row, chunked, waiting for the socket to drain: the whole answer never exists as one string
 * plus its bytes beside the rows (three copies of a large result at once).
 */
import type http from 'node:http';

/** A response array's JSON past this many characters is streamed row by row. */
export const STREAM_RESPONSE_BYTES = 1024 * 1024;

/** Send `value`; resolves with the characters of JSON sent (about its bytes). */
export async function sendResult(res: http.ServerResponse, value: unknown): Promise<number> {
  if (res.headersSent) return 0;
  if (!Array.isArray(value)) return sendWhole(res, JSON.stringify(value ?? null));
  const head: string[] = [];
  let length = 0;
  let i = 0;
  for (; i < value.length && length <= STREAM_RESPONSE_BYTES; i++) {
    const row = rowJson(value[i]);
    head.push(row);
    length += row.length + 1;
  }
  if (i === value.length && length <= STREAM_RESPONSE_BYTES) return sendWhole(res, `[${head.join(',')}]`);
  res.writeHead(200, { 'Content-Type': 'application/json' });
  let sent = length;
  try {
    await write(res, `[${head.join(',')}`);
    head.length = 0;
    for (; i < value.length; i++) {
      if (res.destroyed) return sent;
      const row = rowJson(value[i]);
      sent += row.length + 1;
      await write(res, `,${row}`);
    }
    res.end(']');
  } catch (error) {
    // Headers are out: a row that cannot be written leaves only cutting the answer off.
    res.destroy(error as Error);
  }
  return sent;
}

/** A row as JSON.stringify writes it inside an array (undefined and functions become null). */
function rowJson(row: unknown): string {
  return JSON.stringify(row) ?? 'null';
}

function sendWhole(res: http.ServerResponse, body: string): number {
  res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
  return body.length;
}

function write(res: http.ServerResponse, text: string): Promise<void> {
  if (res.write(text)) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}
