import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { NodeProcess } from '../support/node-process.ts';

let node: NodeProcess;
before(async () => (node = await NodeProcess.start()));
after(async () => node?.cleanup());

test('a node answers describe_all and stops cleanly with exit 0', async () => {
  assert.deepEqual(await node.ok({ operation: 'describe_all' }), {});
  assert.equal(await node.stop(), 0);
});
