/**
 * Fault scenarios without a fault: steady random writes and deletes on all three nodes, and
 * same-key races (few keys, every node writing them at once). The baseline every other
 * scenario's invariants are judged against.
 */
import { describe } from 'node:test';
import { sleep } from '../support/history.ts';
import { FULL_RUN, scenarioTests } from './scenario.ts';

const WRITE_MS = FULL_RUN ? 8_000 : 3_000;

describe('steady load', () => {
  scenarioTests({ name: 'steady writes+deletes', body: () => sleep(WRITE_MS).then(() => undefined) }, { quick: 'ws' });
  scenarioTests({ name: 'same-key races', workload: { keys: 5, deleteRatio: 0.2, pauseMs: 0 }, body: () => sleep(WRITE_MS).then(() => undefined) });
});
