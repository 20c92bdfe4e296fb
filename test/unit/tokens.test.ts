/**
 * Operation and refresh tokens: signed, expiring, kind-checked; ephemeral tokens (the desktop
 * app's per-launch token) die with the issuer that made them even though the stored secret stays.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { TokenIssuer } from '../../node-core/system/tokens.ts';

const LIFETIMES = { operation: 60_000, refresh: 120_000 };

test('tokens verify for their kind only, and ephemeral ones only in the issuing process', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'peerdesk-tokens-'));
  try {
    const issuer = TokenIssuer.load(root, LIFETIMES);
    const stable = issuer.issue('admin', 'operation');
    const ephemeral = issuer.issue('admin', 'operation', { ephemeral: true });
    assert.equal(issuer.verify(stable, 'operation'), 'admin');
    assert.equal(issuer.verify(stable, 'refresh'), undefined);
    assert.equal(issuer.verify(ephemeral, 'operation'), 'admin');
    assert.equal(issuer.verify(stable.slice(0, -2) + 'xx', 'operation'), undefined);
    // A restart loads the same stored secret: stable tokens survive, ephemeral ones do not.
    const restarted = TokenIssuer.load(root, LIFETIMES);
    assert.equal(restarted.verify(stable, 'operation'), 'admin');
    assert.equal(restarted.verify(ephemeral, 'operation'), undefined);
    // A shorter lifetime is honoured; a longer one is capped at the configured lifetime.
    const short = issuer.issue('admin', 'operation', { lifetimeMs: -1000 });
    assert.equal(issuer.verify(short, 'operation'), undefined);
    const long = JSON.parse(Buffer.from(issuer.issue('admin', 'operation', { lifetimeMs: 10 ** 12 }).split('.')[1]!, 'base64url').toString());
    assert.ok(long.exp - long.iat <= LIFETIMES.operation / 1000);
    assert.equal((fs.statSync(path.join(root, 'keys', 'token-secret')).mode & 0o777).toString(8), '600');
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});
