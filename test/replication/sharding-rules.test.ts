/**
 * The holder rule of node-core/replication/sharding.ts (SPEC 4.10), as properties: the origin
 * plus exactly N distinct members; the same answer whatever order the members are listed in
 * (so every node chooses alike); and when members change, a record's holders change only if
 * one of them left, and then only the one that left is replaced.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { chooseHolders, rehomedHolders, rendezvousOrder } from '../../node-core/replication/sharding.ts';

const memberNames = fc.uniqueArray(fc.stringMatching(/^[a-z0-9.]{1,12}$/), { minLength: 2, maxLength: 12 });
const key = fc.oneof(fc.string({ maxLength: 20 }), fc.integer());

test('holders: the origin and exactly N distinct other members, whatever order members are listed in', () => {
  fc.assert(
    fc.property(memberNames, key, fc.nat(), (members, k, seed) => {
      const origin = members[seed % members.length]!;
      const count = seed % members.length;
      const holders = chooseHolders(k, origin, members, count);
      assert.equal(holders[0], origin);
      assert.equal(new Set(holders).size, count + 1);
      assert.ok(holders.every((h) => members.includes(h)));
      assert.deepEqual(chooseHolders(k, origin, [...members].reverse(), count), holders);
    }),
  );
});

test('a member joining moves nothing; a member leaving replaces only itself', () => {
  fc.assert(
    fc.property(memberNames, key, fc.nat(), fc.stringMatching(/^[A-Z]{1,8}$/), (members, k, seed, joiner) => {
      const count = Math.min(2, members.length - 1);
      const holders = chooseHolders(k, members[0]!, members, count);
      assert.deepEqual(rehomedHolders(k, holders, [...members, joiner], count), holders);
      const leaver = members[seed % members.length]!;
      const remaining = members.filter((m) => m !== leaver);
      const after = rehomedHolders(k, holders, remaining, count);
      if (!holders.includes(leaver)) assert.deepEqual(after, holders);
      else {
        assert.deepEqual(after.slice(0, holders.length - 1), holders.filter((h) => h !== leaver));
        assert.equal(new Set(after).size, Math.min(count + 1, remaining.length));
      }
    }),
  );
});

test('the rendezvous order is a permutation of the members', () => {
  fc.assert(fc.property(memberNames, key, (members, k) => assert.deepEqual([...rendezvousOrder(k, members)].sort(), [...members].sort())));
});
