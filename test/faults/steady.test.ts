/**
 * Fault scenarios without a fault: steady random writes and deletes on all three nodes, and
 * same-key races (few keys, every node writing them at once). The baseline every other
 * scenario's invariants are judged against.
 */
import { describe, test } from 'node:test';
import { sleep } from '../support/history.ts';
import { FULL_RUN, runScenario, SCHEMES } from './scenario.ts';

const WRITE_MS = FULL_RUN ? 8_000 : 3_000;

describe('steady load', () => {
  for (const scheme of SCHEMES) {
    test(`steady random writes and deletes on all nodes (${scheme})`, async () => {
      await runScenario({ name: 'steady writes+deletes', body: async () => void (await sleep(WRITE_MS)) }, scheme);
    });
    test(`same-key races (${scheme})`, async () => {
      await runScenario({ name: 'same-key races', workload: { keys: 5, deleteRatio: 0.2, pauseMs: 0 }, body: async () => void (await sleep(WRITE_MS)) }, scheme);
    });
  }
});
