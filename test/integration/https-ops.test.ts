/**
 * The operations API over HTTPS (operationsApi.network.securePort): served with the node's own
 * certificate, which verifies against the node's CA for the node's name; plain HTTP still works.
 */
import assert from 'node:assert/strict';
import https from 'node:https';
import { after, before, test } from 'node:test';
import { ADMIN, basicAuth, NodeProcess } from '../support/node-process.ts';

const SECURE_PORT = 9926;
let node: NodeProcess;

before(async () => {
  node = await NodeProcess.start({ args: [`--OPERATIONSAPI_NETWORK_SECUREPORT=${SECURE_PORT}`] });
});
after(async () => node?.cleanup());

function postHttps(ca: string, body: unknown): Promise<{ status: number; body: unknown; serial: string }> {
  return new Promise((resolve, reject) => {
    const request = https.request(
      { host: node.host, port: SECURE_PORT, path: '/', method: 'POST', ca, headers: { Authorization: basicAuth(ADMIN.username, ADMIN.password), 'Content-Type': 'application/json' } },
      (response) => {
        const serial = (response.socket as import('node:tls').TLSSocket).getPeerCertificate().serialNumber;
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          resolve({ status: response.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8')), serial });
        });
      },
    );
    request.on('error', reject);
    request.end(JSON.stringify(body));
  });
}

test('HTTPS answers operations with a certificate that verifies against the node CA', async () => {
  const certificates = await node.ok<Array<{ name: string; is_authority: boolean; certificate: string; details: { serial_number: string } }>>({ operation: 'list_certificates' });
  const ca = certificates.find((c) => c.is_authority)!;
  const leaf = certificates.find((c) => c.name === node.host)!;
  const response = await postHttps(ca.certificate, { operation: 'user_info' });
  assert.equal(response.status, 200);
  assert.equal((response.body as { username: string }).username, ADMIN.username);
  assert.equal(response.serial.toUpperCase(), leaf.details.serial_number.toUpperCase());
});

test('a client that does not trust the node CA cannot connect', async () => {
  await assert.rejects(
    new Promise((resolve, reject) => {
      const request = https.request({ host: node.host, port: SECURE_PORT, path: '/', method: 'POST', ca: [] }, resolve);
      request.on('error', reject);
      request.end('{}');
    }),
    /self.signed|unable to verify|certificate/i,
  );
});
