/**
 * replication.tombstoneRetention (SPEC 4.6): tombstones outlive the log by far. The default is
 * 90 days against the log's 3; a configuration where tombstones would not outlive the log by
 * TOMBSTONE_RETENTION_MIN_MULTIPLE stops the node with a message naming both keys.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { ConfigError, loadConfig, parseDuration } from '../../node-core/config/index.ts';
import { TOMBSTONE_RETENTION_MIN_MULTIPLE } from '../../node-core/config/schema.ts';

const roots: string[] = [];
function root(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'peerdesk-tombstone-config-'));
  roots.push(dir);
  return dir;
}

describe('replication.tombstoneRetention', () => {
  after(() => roots.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

  it('defaults to 90d, at least the stated multiple of the default log retention', () => {
    const { config } = loadConfig({ rootPath: root(), env: {} });
    assert.equal(config.replication.tombstoneRetention, '90d');
    assert.ok(parseDuration(config.replication.tombstoneRetention) >= TOMBSTONE_RETENTION_MIN_MULTIPLE * parseDuration(config.logging.auditRetention));
  });

  it('exactly the multiple is accepted', () => {
    const { config } = loadConfig({ rootPath: root(), env: { LOGGING_AUDITRETENTION: '1h', REPLICATION_TOMBSTONERETENTION: `${TOMBSTONE_RETENTION_MIN_MULTIPLE}h` } });
    assert.equal(config.replication.tombstoneRetention, `${TOMBSTONE_RETENTION_MIN_MULTIPLE}h`);
  });

  it('less than the multiple stops the node, naming both keys and where the value came from', () => {
    assert.throws(
      () => loadConfig({ rootPath: root(), env: { LOGGING_AUDITRETENTION: '3d', REPLICATION_TOMBSTONERETENTION: '7d' } }),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        assert.match(error.message, /replication\.tombstoneRetention = "7d" \(from environment REPLICATION_TOMBSTONERETENTION\)/);
        assert.match(error.message, new RegExp(`at least ${TOMBSTONE_RETENTION_MIN_MULTIPLE} × logging\\.auditRetention \\("3d"`));
        return true;
      },
    );
  });

  it('a raised log retention alone is checked against the default tombstone retention', () => {
    assert.throws(() => loadConfig({ rootPath: root(), env: { LOGGING_AUDITRETENTION: '30d' } }), /replication\.tombstoneRetention = .*logging\.auditRetention \("30d".*it is "90d"/);
  });

  it('a tombstone retention that is not a duration is reported as such', () => {
    assert.throws(() => loadConfig({ rootPath: root(), env: { REPLICATION_TOMBSTONERETENTION: 'forever' } }), /replication\.tombstoneRetention = "forever".*expected a duration/);
  });
});
