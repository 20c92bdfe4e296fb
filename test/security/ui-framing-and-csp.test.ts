/**
 * Attack: a page frames the node's UI (clickjacking) or injects script the UI would run, when the
 * UI is opened in a browser rather than the Electron window (issue 10 item 11). Every UI
 * response carries the window's CSP (built from the same directives: node-core/security/csp.ts),
 * frame-ancestors 'none', X-Frame-Options DENY and nosniff. The one directive that differs is
 * connect-src: in a browser the UI reaches other nodes by fetch, in the window through IPC.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { CONTENT_SECURITY_POLICY } from '../../electron/policy.ts';
import { BROWSER_CONTENT_SECURITY_POLICY } from '../../node-core/security/csp.ts';
import { NodeProcess } from '../support/node-process.ts';
import { request } from './support.ts';

describe('UI served to a browser', () => {
  let node: NodeProcess;
  before(async () => {
    node = await NodeProcess.start();
  });
  after(async () => node?.cleanup());

  test("the served policy is the window's but for connect-src", () => {
    const directives = (policy: string) => new Map(policy.split('; ').map((d) => [d.split(' ')[0], d] as const));
    const window = directives(CONTENT_SECURITY_POLICY);
    const served = directives(BROWSER_CONTENT_SECURITY_POLICY);
    assert.deepEqual([...served.keys()], [...window.keys()]);
    for (const [name, directive] of window) if (name !== 'connect-src') assert.equal(served.get(name), directive);
    assert.equal(window.get('connect-src'), "connect-src 'self'");
  });

  for (const [method, path] of [['GET', '/'], ['HEAD', '/'], ['GET', '/index.html'], ['GET', '/assets/none.js'], ['GET', '/no/such/page']] as const) {
    test(`${method} ${path} carries the window's CSP and refuses framing`, async () => {
      const answer = await request(node, { method, path });
      assert.ok(answer.status < 500, `${answer.status}`);
      assert.equal(answer.headers['content-security-policy'], BROWSER_CONTENT_SECURITY_POLICY);
      assert.match(String(answer.headers['content-security-policy']), /frame-ancestors 'none'/);
      assert.match(String(answer.headers['content-security-policy']), /script-src 'self'/);
      assert.equal(answer.headers['x-frame-options'], 'DENY');
      assert.equal(answer.headers['x-content-type-options'], 'nosniff');
    });
  }
});
