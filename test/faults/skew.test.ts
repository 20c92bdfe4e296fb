/**
 * Clock skew: node 0's clock runs 5 minutes ahead, node 1's 5 minutes behind (the test-only
 * PEERDESK_TEST_CLOCK_OFFSET_MS of the hybrid logical clock), all three racing on few keys.
 * Winners are decided by versions, so the checker's version rules still hold: nothing acked
 * is lost to an older version, no delete comes back, every node agrees on every winner.
 */
import { describe } from 'node:test';
import { TEST_CLOCK_OFFSET_ENV } from '../../node-core/clock/hlc.ts';
import { sleep } from '../support/history.ts';
import { FULL_RUN, scenarioTests } from './scenario.ts';

export const SKEW_MS = 5 * 60 * 1000;
const WRITE_MS = FULL_RUN ? 8_000 : 3_000;
const OFFSETS = [SKEW_MS, -SKEW_MS, 0];

describe('clock skew', () => {
  scenarioTests({
    name: 'clock skew ±5 min',
    perNode: (i) => ({ env: { [TEST_CLOCK_OFFSET_ENV]: String(OFFSETS[i]) } }),
    workload: { keys: 20, deleteRatio: 0.2 },
    body: async () => void (await sleep(WRITE_MS)),
  });
});
