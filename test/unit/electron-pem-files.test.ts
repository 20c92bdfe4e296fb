// Unit tests of electron/pem-files.ts: reading the PEM file a user picked, with its kind checked
// and a size limit, on real files in a temporary directory.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { PeerdeskError } from '../../electron/ipc/contract.ts';
import { PEM_FILE_MAX_BYTES, readPemFile } from '../../electron/pem-files.ts';

const CERTIFICATE = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
const RSA_KEY = '-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----\n';
let dir: string;

const write = (name: string, contents: string | Buffer): string => {
  const file = path.join(dir, name);
  fs.writeFileSync(file, contents);
  return file;
};

const invalidFile = (pattern: RegExp) => (error: unknown) => {
  assert.ok(error instanceof PeerdeskError);
  assert.equal(error.code, 'INVALID_FILE');
  assert.match(error.message, pattern);
  return true;
};

before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'peerdesk-pem-'));
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

test('a certificate, a CA and a private key of the kind asked are read whole', async () => {
  const cert = write('node.pem', CERTIFICATE);
  assert.deepEqual(await readPemFile(cert, 'certificate'), { path: cert, contents: CERTIFICATE });
  assert.deepEqual(await readPemFile(cert, 'certificateAuthority'), { path: cert, contents: CERTIFICATE });
  const key = write('node.key', RSA_KEY);
  assert.equal((await readPemFile(key, 'privateKey')).contents, RSA_KEY);
});

test('the wrong kind, a non-PEM file, a directory, a missing or oversized file are refused with the path', async () => {
  const cert = write('cert.pem', CERTIFICATE);
  await assert.rejects(readPemFile(cert, 'privateKey'), invalidFile(/cert\.pem is not a PEM private key: it has no -----BEGIN PRIVATE KEY----- block/));
  await assert.rejects(readPemFile(write('key.pem', RSA_KEY), 'certificate'), invalidFile(/key\.pem is not a PEM certificate/));
  await assert.rejects(readPemFile(write('photo.jpg', Buffer.from([0xff, 0xd8, 0xff])), 'certificate'), invalidFile(/photo\.jpg is not a PEM certificate/));
  await assert.rejects(readPemFile(dir, 'certificate'), invalidFile(/is not a file/));
  await assert.rejects(readPemFile(path.join(dir, 'missing.pem'), 'certificate'), invalidFile(/Reading .*missing\.pem failed: ENOENT/));
  const big = write('big.pem', CERTIFICATE + 'x'.repeat(PEM_FILE_MAX_BYTES));
  await assert.rejects(readPemFile(big, 'certificate'), invalidFile(/big\.pem is \d+ bytes, more than a PEM file of 1048576 bytes/));
});
