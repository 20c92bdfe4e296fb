/**
 * The log on a full disk (found by the disk-full scenario: the receiver died of ENOSPC thrown
 * by the logger while it logged the failed commit): writing a line must never throw; the line
 * and the reason go to stderr instead. /dev/full answers every write with ENOSPC.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { test } from 'node:test';
import { Logger } from '../../node-core/log/logger.ts';

test('a log file on a full disk: logging does not throw, the line and the reason go to stderr', { skip: fs.existsSync('/dev/full') ? false : 'no /dev/full' }, () => {
  const echoed: string[] = [];
  const logger = new Logger('/dev/full', 'info', (line) => echoed.push(line));
  assert.doesNotThrow(() => logger.info('an info line', { n: 1 }));
  assert.doesNotThrow(() => logger.error('Replication link failed', { reason: 'internal error' }));
  assert.ok(echoed.some((line) => JSON.parse(line).message === 'an info line'), 'the info line reached stderr although it is below the echo level');
  assert.ok(echoed.some((line) => /Could not write the log file: ENOSPC/.test(line)), echoed.join('\n'));
  assert.equal(logger.recent().length, 2);
  logger.close();
});
