/**
 * Crash scenarios: kill -9 of a writer while its clients stream writes; kill -9 right after a
 * burst of acknowledgements and then no more writes (the restarted node must push out what it
 * had not sent); restart churn — random kill -9 / restart of any node under load.
 */
import { describe } from 'node:test';
import { sleep } from '../support/history.ts';
import { FULL_RUN, scenarioTests, type ScenarioContext } from './scenario.ts';

/** kill/restart rounds of the churn scenario */
const CHURN_ROUNDS = FULL_RUN ? 10 : 3;
/** acknowledged write requests before the kill of the idle scenario */
const BURST_REQUESTS = 200;

async function burstThenKill({ net, history }: ScenarioContext): Promise<void> {
  const writer = net.node(0);
  let next = 0;
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      while (next < BURST_REQUESTS) {
        const i = next++;
        await history.write(writer, [`burst${i}`, `k${i % 50}`], 128);
      }
    }),
  );
  await writer.kill();
  // Idle: nothing else is written; the heal restarts it.
}

describe('crashes', () => {
  scenarioTests(
    {
      name: 'kill -9 a writer mid-stream',
      body: async ({ net, random }) => {
        await sleep(1_000 + random() * 1_000);
        await net.node(0).kill();
        await sleep(1_500);
        await net.node(0).startProcess();
        await sleep(1_500);
      },
    },
    { quick: 'wss' },
  );
  scenarioTests({ name: 'kill -9 right after acks, then idle', noWorkload: true, body: burstThenKill });
  scenarioTests({
    name: `restart churn (${CHURN_ROUNDS} kill/restart under load)`,
    body: async ({ net, random }) => {
      for (let round = 0; round < CHURN_ROUNDS; round++) {
        const node = net.node(Math.floor(random() * 3));
        await node.kill();
        await sleep(200 + random() * 800);
        await node.startProcess();
        await sleep(300 + random() * 700);
      }
    },
  });
});
