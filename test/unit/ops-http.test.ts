// Unit tests of electron/ops-http.ts (operations POSTed from the main process) against real
// local HTTP and HTTPS servers: headers, limits, timeouts, no redirects, and a connection's CA.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import forge from 'node-forge';
import { PeerdeskError, type IpcErrorCode } from '../../electron/ipc/contract.ts';
import { OPS_REQUEST_MAX_BYTES, postOperation } from '../../electron/ops-http.ts';

function rejectsWith(code: IpcErrorCode, pattern: RegExp) {
  return (error: unknown) => {
    assert.ok(error instanceof PeerdeskError, String(error));
    assert.equal(error.code, code, error.message);
    assert.match(error.message, pattern);
    return true;
  };
}

/** A self-signed certificate for 127.0.0.1 (the key from node:crypto, the certificate by forge). */
function selfSigned(): { cert: string; key: string } {
  const { privateKey, publicKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const key = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const certificate = forge.pki.createCertificate();
  certificate.publicKey = forge.pki.publicKeyFromPem(publicKey.export({ type: 'spki', format: 'pem' }).toString());
  certificate.serialNumber = '01';
  certificate.validity.notBefore = new Date(Date.now() - 60_000);
  certificate.validity.notAfter = new Date(Date.now() + 86_400_000);
  const subject = [{ name: 'commonName', value: 'peerdesk-test' }];
  certificate.setSubject(subject);
  certificate.setIssuer(subject);
  certificate.setExtensions([
    { name: 'basicConstraints', cA: true },
    { name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }] },
  ]);
  certificate.sign(forge.pki.privateKeyFromPem(key) as forge.pki.rsa.PrivateKey, forge.md.sha256.create());
  return { cert: forge.pki.certificateToPem(certificate), key };
}

const listen = async (server: http.Server | https.Server): Promise<number> => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
};

describe('postOperation', () => {
  let server: http.Server;
  let base: string;
  let tlsServer: https.Server;
  let tlsBase: string;
  let ca: string;
  const pending: http.ServerResponse[] = [];

  before(async () => {
    server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        if (req.url === '/slow') return void pending.push(res);
        if (req.url === '/redirect') return void res.writeHead(302, { location: 'http://example.com/' }).end();
        if (req.url === '/big') return void res.end('x'.repeat(10_000));
        res.writeHead(418, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ method: req.method, headers: req.headers, body: Buffer.concat(chunks).toString() }));
      });
    });
    base = `http://127.0.0.1:${await listen(server)}`;
    const { cert, key } = selfSigned();
    ca = cert;
    tlsServer = https.createServer({ cert, key }, (_req, res) => res.end('{"secure":true}'));
    tlsBase = `https://127.0.0.1:${await listen(tlsServer)}`;
  });

  after(() => {
    for (const res of pending) res.destroy();
    server.closeAllConnections();
    server.close();
    tlsServer.closeAllConnections();
    tlsServer.close();
  });

  test('POSTs the body as JSON with the allowed headers and returns any status as is', async () => {
    const response = await postOperation(`${base}/`, '{"operation":"describe_all"}', { headers: { Authorization: 'Bearer t' } });
    assert.equal(response.status, 418);
    const echoed = JSON.parse(response.body);
    assert.equal(echoed.method, 'POST');
    assert.equal(echoed.body, '{"operation":"describe_all"}');
    assert.equal(echoed.headers.authorization, 'Bearer t');
    assert.equal(echoed.headers['content-type'], 'application/json');
    assert.equal(echoed.headers.cookie, undefined);
  });

  test('redirects are returned, not followed', async () => {
    assert.equal((await postOperation(`${base}/redirect`, '{}')).status, 302);
  });

  test('refuses other schemes, credentials in the URL and other headers', async () => {
    await assert.rejects(postOperation('file:///etc/passwd', '{}'), rejectsWith('INVALID_INPUT', /file: URLs are not supported/));
    await assert.rejects(postOperation('http://a:b@127.0.0.1:1/', '{}'), rejectsWith('INVALID_INPUT', /not in its URL/));
    await assert.rejects(postOperation(base, '{}', { headers: { Host: 'evil' } }), rejectsWith('INVALID_INPUT', /Header "Host" may not be set/));
    await assert.rejects(postOperation(base, '{}', { headers: { authorization: 'a\r\nX: y' } }), rejectsWith('INVALID_INPUT', /line break/));
  });

  test('limits: body and answer size, time', async () => {
    const huge = JSON.stringify({ operation: 'insert', records: 'x'.repeat(OPS_REQUEST_MAX_BYTES) });
    await assert.rejects(postOperation(base, huge), rejectsWith('TOO_LARGE', /^insert to http:\/\/127\.0\.0\.1:\d+: the body is \d+ bytes, over the limit of 10485760$/));
    await assert.rejects(postOperation(`${base}/big`, '{"operation":"search_by_value"}', { maxResponseBytes: 1000 }), rejectsWith('TOO_LARGE', /search_by_value .*over the limit of 1000 bytes/));
    const started = Date.now();
    await assert.rejects(postOperation(`${base}/slow`, '{"operation":"cluster_status"}', { timeoutMs: 200 }), rejectsWith('TIMEOUT', /^cluster_status to http:\/\/127\.0\.0\.1:\d+\/slow: no answer within 0.2 s$/));
    assert.ok(Date.now() - started < 2000);
  });

  test('https: a self-signed node is refused unless its CA is given', async () => {
    await assert.rejects(postOperation(tlsBase, '{"operation":"user_info"}'), rejectsWith('NETWORK', /user_info to https:\/\/127\.0\.0\.1:\d+ failed: .*(self[- ]signed|certificate)/i));
    const response = await postOperation(tlsBase, '{"operation":"user_info"}', { caCertificate: ca });
    assert.deepEqual(JSON.parse(response.body), { secure: true });
  });
});
