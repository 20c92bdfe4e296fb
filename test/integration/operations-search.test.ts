/**
 * Read operations against a real node: search_by_id (search_by_hash), search_by_value with
 * HarperDB's `*` wildcards, and search_by_conditions with every comparator, and/or, nested
 * groups, sort, limit/offset and projections; array values match element by element; the
 * password hashes of system.hdb_user never leave the node.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { NodeProcess } from '../support/node-process.ts';
import { assertError, contents, createTable, insert, pluck, sortedBy } from '../support/ops.ts';

let node: NodeProcess;
const DB = 'search_ops';
const TABLE = 'dog';

const DOGS = [
  { id: 1, name: 'Penny', breed: 'Border Collie', age: 7, tags: ['good', 'old'], owner: 'Kyle', adorable: true },
  { id: 2, name: 'Harper', breed: 'Mutt', age: 5, tags: ['good', 'young'], owner: 'Kyle' },
  { id: 3, name: 'Alby', breed: 'Mutt', age: 5, tags: ['shy'], owner: 'Zach' },
  { id: 4, name: 'Billy', breed: 'Great Pyrenees', age: 4, tags: [], owner: 'Zach' },
  { id: 5, name: 'Rose Merry', breed: 'Husky', age: 8, owner: 'Stephen' },
  { id: 6, name: 'Kato', breed: 'Labrador', age: 6, owner: null },
  { id: 7, name: 'Simon', breed: 'Labrador Retriever', age: 1 },
  { id: 8, name: 'Gemma', breed: 'Pit Bull', age: 3, tags: ['good'] },
];
const ALL_IDS = DOGS.map((dog) => dog.id);

before(async () => {
  node = await NodeProcess.start();
  await createTable(node, DB, TABLE);
  await insert(node, DB, TABLE, DOGS);
});
after(async () => node?.cleanup());

type Row = Record<string, unknown>;

async function byValue(attribute: string, value: unknown, extra: Row = {}): Promise<Row[]> {
  return node.ok({ operation: 'search_by_value', database: DB, table: TABLE, attribute, value, ...extra });
}

async function byConditions(conditions: unknown[], extra: Row = {}): Promise<Row[]> {
  return node.ok({ operation: 'search_by_conditions', database: DB, table: TABLE, conditions, ...extra });
}

/** Ids of the matching records, sorted (for searches whose order is not part of the contract). */
const idsOf = (records: Row[]) => pluck(sortedBy(records));

describe('search_by_id / search_by_hash', () => {
  test('returns the full records for the ids that exist, in the order asked', async () => {
    const records = await node.ok({ operation: 'search_by_id', database: DB, table: TABLE, ids: [3, 999, 1] });
    assert.deepEqual(contents(records), [DOGS[2], DOGS[0]]);
  });

  test('get_attributes projects the records', async () => {
    const records = await node.ok({ operation: 'search_by_id', database: DB, table: TABLE, ids: [1, 2], get_attributes: ['name', 'tags', 'missing'] });
    assert.deepEqual(records, [
      { name: 'Penny', tags: ['good', 'old'] },
      { name: 'Harper', tags: ['good', 'young'] },
    ]);
  });

  test('search_by_hash with schema and hash_values is an alias', async () => {
    const records = await node.ok({ operation: 'search_by_hash', schema: DB, table: TABLE, hash_values: [2], get_attributes: ['id', 'name'] });
    assert.deepEqual(records, [{ id: 2, name: 'Harper' }]);
  });

  test('missing and wrong-typed fields are 400s; unknown table or database 404', async () => {
    const base = { operation: 'search_by_id', database: DB, table: TABLE };
    assertError(await node.op({ ...base }), 400, "'ids' is required");
    assertError(await node.op({ ...base, ids: '1' }), 400, "'ids' must be an array");
    assertError(await node.op({ ...base, ids: [1], get_attributes: 'name' }), 400, "'get_attributes' must be an array");
    assertError(await node.op({ ...base, ids: [1], get_attributes: [] }), 400, "'get_attributes'");
    assertError(await node.op({ ...base, table: 'cat', ids: [1] }), 404, `Table '${DB}.cat' does not exist`);
    assertError(await node.op({ ...base, database: 'nodb', ids: [1] }), 404, "database 'nodb' does not exist");
  });
});

describe('search_by_value', () => {
  test('an exact string value matches by index', async () => {
    assert.deepEqual(contents(sortedBy(await byValue('breed', 'Mutt'))), [DOGS[1], DOGS[2]]);
  });

  test('numbers, booleans and null match by type and value', async () => {
    assert.deepEqual(idsOf(await byValue('age', 5)), [2, 3]);
    assert.deepEqual(idsOf(await byValue('age', '5')), [], 'the string "5" is not the number 5');
    assert.deepEqual(idsOf(await byValue('adorable', true)), [1]);
    assert.deepEqual(idsOf(await byValue('owner', null)), [6]);
  });

  test('the primary key can be searched by value', async () => {
    assert.deepEqual(idsOf(await byValue('id', 4)), [4]);
  });

  test('"*" matches every record', async () => {
    assert.deepEqual(idsOf(await byValue('breed', '*')), ALL_IDS);
  });

  test('"abc*" matches a prefix', async () => {
    assert.deepEqual(idsOf(await byValue('breed', 'Lab*')), [6, 7]);
  });

  test('"*abc" matches a suffix', async () => {
    assert.deepEqual(idsOf(await byValue('breed', '*ees')), [4]);
    assert.deepEqual(idsOf(await byValue('name', '*y')), [1, 3, 4, 5]);
  });

  test('"*abc*" matches a substring', async () => {
    assert.deepEqual(idsOf(await byValue('breed', '*bra*')), [6, 7]);
    assert.deepEqual(idsOf(await byValue('name', '*e*')), [1, 2, 5, 8]);
  });

  test('a "*" in the middle matches the whole pattern', async () => {
    assert.deepEqual(idsOf(await byValue('breed', 'B*e')), [1]);
    assert.deepEqual(idsOf(await byValue('breed', 'L*r')), [6, 7]);
  });

  test('array values match element by element', async () => {
    assert.deepEqual(idsOf(await byValue('tags', 'good')), [1, 2, 8]);
    assert.deepEqual(idsOf(await byValue('tags', 'yo*')), [2]);
  });

  test('sort with limit and offset pages the whole table (HarperDB\'s way of listing all records)', async () => {
    const page = await byValue('id', '*', { sort: { attribute: 'name' }, limit: 3, offset: 1, get_attributes: ['name'] });
    assert.deepEqual(page, [{ name: 'Billy' }, { name: 'Gemma' }, { name: 'Harper' }]);
    const byAge = await byValue('breed', 'Lab*', { sort: { attribute: 'age' } });
    assert.deepEqual(pluck(byAge), [7, 6], 'not the primary-key order');
  });

  test('a sort on an unknown shape is refused, not ignored', async () => {
    assertError(await node.op({ operation: 'search_by_value', database: DB, table: TABLE, attribute: 'id', value: '*', sort: 'name' }), 400, /sort/);
  });

  test('search_attribute and search_value are aliases; get_attributes projects', async () => {
    const records = await node.ok({ operation: 'search_by_value', schema: DB, table: TABLE, search_attribute: 'owner', search_value: 'Zach', get_attributes: ['id', 'name'] });
    assert.deepEqual(sortedBy(records), [{ id: 3, name: 'Alby' }, { id: 4, name: 'Billy' }]);
  });

  test('limit and offset page through the matches', async () => {
    const all = pluck(await byValue('breed', '*'));
    assert.equal(all.length, 8);
    assert.deepEqual(pluck(await byValue('breed', '*', { limit: 3 })), all.slice(0, 3));
    assert.deepEqual(pluck(await byValue('breed', '*', { limit: 3, offset: 2 })), all.slice(2, 5));
    assert.deepEqual(pluck(await byValue('breed', '*', { offset: 6 })), all.slice(6));
    assert.deepEqual(await byValue('breed', '*', { offset: 100 }), []);
  });

  test('an attribute no record has matches nothing', async () => {
    assert.deepEqual(await byValue('color', 'brown'), []);
  });

  test('missing and wrong-typed fields are 400s naming the field; unknown table 404', async () => {
    const base = { operation: 'search_by_value', database: DB, table: TABLE };
    assertError(await node.op({ ...base, value: 'x' }), 400, "'attribute' is required");
    assertError(await node.op({ ...base, attribute: 'name' }), 400, "'value'");
    assertError(await node.op({ ...base, attribute: 'name', value: { a: 1 } }), 400, "'value'");
    assertError(await node.op({ ...base, attribute: 3, value: 'x' }), 400, "'attribute' must be a string");
    assertError(await node.op({ ...base, attribute: 'name', value: '*', limit: '10' }), 400, "'limit' must be a number");
    assertError(await node.op({ ...base, attribute: 'name', value: '*', offset: -1 }), 400, "'offset'");
    assertError(await node.op({ ...base, table: 'cat', attribute: 'name', value: 'x' }), 404, `Table '${DB}.cat' does not exist`);
  });
});

describe('search_by_conditions comparators', () => {
  const cases: Array<[string, string, unknown, number[]]> = [
    ['equals', 'age', 5, [2, 3]],
    ['not_equal', 'age', 5, [1, 4, 5, 6, 7, 8]],
    ['greater_than', 'age', 5, [1, 5, 6]],
    ['greater_than_equal', 'age', 6, [1, 5, 6]],
    ['less_than', 'age', 4, [7, 8]],
    ['less_than_equal', 'age', 4, [4, 7, 8]],
    ['between', 'age', [4, 6], [2, 3, 4, 6]],
    ['contains', 'name', 'e', [1, 2, 5, 8]],
    ['starts_with', 'breed', 'Lab', [6, 7]],
    ['ends_with', 'name', 'y', [1, 3, 4, 5]],
    ['greater_than', 'name', 'K', [1, 5, 6, 7]],
    ['less_than', 'name', 'B', [3]],
    ['between', 'name', ['B', 'H'], [4, 8]],
    ['not_equal', 'owner', 'Kyle', [3, 4, 5, 6, 7, 8]],
    ['greater_than', 'id', 6, [7, 8]],
    ['less_than_equal', 'id', 2, [1, 2]],
    ['between', 'id', [3, 5], [3, 4, 5]],
    ['not_equal', 'id', 1, [2, 3, 4, 5, 6, 7, 8]],
  ];
  for (const [comparator, attribute, value, expected] of cases) {
    test(`${comparator} on ${attribute} ${JSON.stringify(value)}`, async () => {
      assert.deepEqual(idsOf(await byConditions([{ attribute, comparator, value }])), expected);
    });
  }

  test('every comparator matches array values element by element', async () => {
    assert.deepEqual(idsOf(await byConditions([{ attribute: 'tags', comparator: 'equals', value: 'shy' }])), [3]);
    assert.deepEqual(idsOf(await byConditions([{ attribute: 'tags', comparator: 'starts_with', value: 'yo' }])), [2]);
    assert.deepEqual(idsOf(await byConditions([{ attribute: 'tags', comparator: 'ends_with', value: 'ld' }])), [1]);
    assert.deepEqual(idsOf(await byConditions([{ attribute: 'tags', comparator: 'contains', value: 'oo' }])), [1, 2, 8]);
    assert.deepEqual(idsOf(await byConditions([{ attribute: 'tags', comparator: 'greater_than', value: 'w' }])), [2]);
    assert.deepEqual(idsOf(await byConditions([{ attribute: 'tags', comparator: 'not_equal', value: 'good' }])), [3, 4, 5, 6, 7]);
  });

  test('search_attribute, search_type and search_value are accepted inside conditions', async () => {
    assert.deepEqual(idsOf(await byConditions([{ search_attribute: 'breed', search_type: 'equals', search_value: 'Husky' }])), [5]);
  });
});

describe('search_by_conditions combinations', () => {
  test('conditions are ANDed by default', async () => {
    const records = await byConditions([
      { attribute: 'breed', comparator: 'equals', value: 'Mutt' },
      { attribute: 'age', comparator: 'equals', value: 5 },
      { attribute: 'name', comparator: 'starts_with', value: 'H' },
    ]);
    assert.deepEqual(contents(records), [DOGS[1]]);
  });

  test('operator "or" unions the conditions', async () => {
    const records = await byConditions(
      [
        { attribute: 'breed', comparator: 'equals', value: 'Husky' },
        { attribute: 'age', comparator: 'less_than', value: 2 },
      ],
      { operator: 'or' },
    );
    assert.deepEqual(idsOf(records), [5, 7]);
  });

  test('nested condition groups combine and/or', async () => {
    const records = await byConditions(
      [
        { attribute: 'owner', comparator: 'equals', value: 'Zach' },
        {
          operator: 'and',
          conditions: [
            { attribute: 'breed', comparator: 'starts_with', value: 'Lab' },
            { attribute: 'age', comparator: 'greater_than', value: 5 },
          ],
        },
      ],
      { operator: 'or' },
    );
    assert.deepEqual(idsOf(records), [3, 4, 6]);

    const deeper = await byConditions([
      { attribute: 'age', comparator: 'between', value: [3, 7] },
      {
        operator: 'or',
        conditions: [
          { attribute: 'tags', comparator: 'equals', value: 'good' },
          { operator: 'and', conditions: [{ attribute: 'owner', comparator: 'equals', value: 'Zach' }, { attribute: 'name', comparator: 'ends_with', value: 'y' }] },
        ],
      },
    ]);
    assert.deepEqual(idsOf(deeper), [1, 2, 3, 4, 8]);
  });

  test('an empty conditions list matches every record', async () => {
    assert.deepEqual(idsOf(await byConditions([])), ALL_IDS);
  });

  test('sort orders by an attribute, breaking ties with next', async () => {
    const records = await byConditions([{ attribute: 'age', comparator: 'greater_than', value: 0 }], { sort: { attribute: 'age', next: { attribute: 'name' } } });
    assert.deepEqual(pluck(records), [7, 8, 4, 3, 2, 6, 1, 5]);
  });

  test('sort descending (with next descending too)', async () => {
    const records = await byConditions([{ attribute: 'age', comparator: 'greater_than', value: 0 }], {
      sort: { attribute: 'age', descending: true, next: { attribute: 'name', descending: true } },
    });
    assert.deepEqual(pluck(records), [5, 1, 6, 2, 3, 4, 8, 7]);
  });

  test('limit and offset apply after sorting; get_attributes projects', async () => {
    const records = await byConditions([{ attribute: 'age', comparator: 'greater_than', value: 0 }], {
      sort: { attribute: 'age', next: { attribute: 'name' } },
      offset: 2,
      limit: 3,
      get_attributes: ['id', 'age'],
    });
    assert.deepEqual(records, [{ id: 4, age: 4 }, { id: 3, age: 5 }, { id: 2, age: 5 }]);
  });

  test('limit without sort returns that many matches', async () => {
    const records = await byConditions([{ attribute: 'tags', comparator: 'equals', value: 'good' }], { limit: 2 });
    assert.equal(records.length, 2);
    for (const record of records) assert.ok((record.tags as string[]).includes('good'));
  });

  test('missing and wrong-typed fields are 400s naming the field', async () => {
    const base = { operation: 'search_by_conditions', database: DB, table: TABLE };
    assertError(await node.op({ ...base }), 400, "'conditions' is required");
    assertError(await node.op({ ...base, conditions: 'age > 3' }), 400, "'conditions' must be an array");
    assertError(await node.op({ ...base, conditions: [{ attribute: 'age', value: 3 }] }), 400, 'conditions[0]', 'comparator');
    assertError(await node.op({ ...base, conditions: [{ attribute: 'age', comparator: 'bigger', value: 3 }] }), 400, 'conditions[0]', 'comparator');
    assertError(await node.op({ ...base, conditions: [{ comparator: 'equals', value: 3 }] }), 400, 'conditions[0]', 'attribute');
    assertError(await node.op({ ...base, conditions: [{ attribute: 'age', comparator: 'equals' }] }), 400, 'conditions[0]', 'value');
    assertError(await node.op({ ...base, conditions: [{ attribute: 'age', comparator: 'between', value: 3 }] }), 400, 'conditions[0]', 'between');
    assertError(
      await node.op({ ...base, conditions: [{ operator: 'or', conditions: [{ attribute: 'age', comparator: 'nope', value: 1 }] }] }),
      400,
      'conditions[0].conditions[0]',
      'comparator',
    );
    assertError(await node.op({ ...base, conditions: [{ operator: 'xor', conditions: [] }] }), 400, 'conditions[0]', 'operator');
    assertError(await node.op({ ...base, conditions: [], operator: 'xor' }), 400, "'operator'");
    assertError(await node.op({ ...base, conditions: [], sort: 'age' }), 400, "'sort' must be an object");
    assertError(await node.op({ ...base, conditions: [], limit: 'all' }), 400, "'limit' must be a number");
    assertError(await node.op({ ...base, table: 'cat', conditions: [] }), 404, `Table '${DB}.cat' does not exist`);
  });
});

describe('indexes follow changes', () => {
  test('an updated value is found by its new value and no longer by its old one; deleted records are gone', async () => {
    await createTable(node, DB, 'changing');
    await insert(node, DB, 'changing', [{ id: 1, breed: 'Pit Bull', tags: ['a', 'b'] }, { id: 2, breed: 'Pit Bull' }]);
    await node.ok({ operation: 'update', database: DB, table: 'changing', records: [{ id: 1, breed: 'Boxer', tags: ['b', 'c'] }] });
    await node.ok({ operation: 'delete', database: DB, table: 'changing', ids: [2] });
    const find = (attribute: string, value: unknown) => node.ok({ operation: 'search_by_value', database: DB, table: 'changing', attribute, value });
    assert.deepEqual(await find('breed', 'Pit Bull'), []);
    assert.deepEqual(pluck(await find('breed', 'Boxer')), [1]);
    assert.deepEqual(await find('tags', 'a'), []);
    assert.deepEqual(pluck(await find('tags', 'c')), [1]);
    assert.deepEqual(pluck(await find('tags', 'b')), [1]);
  });

  test('negative, fractional and large numbers compare numerically', async () => {
    await createTable(node, DB, 'numbers');
    const values = [-1000, -1.5, -0.25, 0, 0.5, 2.25, 10, 100, 1e12];
    await insert(node, DB, 'numbers', values.map((v, i) => ({ id: i, v })));
    const search = async (comparator: string, value: unknown) => {
      const records = await node.ok({ operation: 'search_by_conditions', database: DB, table: 'numbers', conditions: [{ attribute: 'v', comparator, value }], sort: { attribute: 'v' } });
      return pluck(records, 'v');
    };
    assert.deepEqual(await search('greater_than', 2), [2.25, 10, 100, 1e12]);
    assert.deepEqual(await search('greater_than_equal', -0.25), [-0.25, 0, 0.5, 2.25, 10, 100, 1e12]);
    assert.deepEqual(await search('less_than', 0), [-1000, -1.5, -0.25]);
    assert.deepEqual(await search('less_than_equal', -1.5), [-1000, -1.5]);
    assert.deepEqual(await search('between', [-2, 2.25]), [-1.5, -0.25, 0, 0.5, 2.25]);
    assert.deepEqual(await search('equals', -1.5), [-1.5]);
  });

  test('long strings (longer than the indexed prefix) match exactly', async () => {
    await createTable(node, DB, 'long_text');
    const prefix = 'x'.repeat(300);
    await insert(node, DB, 'long_text', [{ id: 1, text: prefix + 'a' }, { id: 2, text: prefix + 'b' }, { id: 3, text: 'short' }]);
    const search = (comparator: string, value: unknown) =>
      node.ok({ operation: 'search_by_conditions', database: DB, table: 'long_text', conditions: [{ attribute: 'text', comparator, value }] });
    assert.deepEqual(idsOf(await search('equals', prefix + 'b')), [2]);
    assert.deepEqual(idsOf(await search('starts_with', prefix)), [1, 2]);
    assert.deepEqual(idsOf(await search('ends_with', 'a')), [1]);
    assert.deepEqual(idsOf(await search('greater_than', prefix + 'a')), [2]);
    assert.deepEqual(idsOf(await search('greater_than_equal', prefix + 'b')), [2]);
    assert.deepEqual(idsOf(await search('less_than', prefix + 'b')), [1, 3]);
    assert.deepEqual(idsOf(await search('less_than_equal', prefix + 'a')), [1, 3]);
    assert.deepEqual(idsOf(await search('between', [prefix + 'a', prefix + 'b'])), [1, 2]);
    assert.deepEqual(idsOf(await search('between', [prefix + 'b', prefix + 'c'])), [2]);
  });
});

describe('system.hdb_user', () => {
  test('no search returns password hashes', async () => {
    const searches = [
      { operation: 'search_by_id', database: 'system', table: 'hdb_user', ids: ['admin'] },
      { operation: 'search_by_id', database: 'system', table: 'hdb_user', ids: ['admin'], get_attributes: ['username', 'password'] },
      { operation: 'search_by_hash', schema: 'system', table: 'hdb_user', hash_values: ['admin'] },
      { operation: 'search_by_value', database: 'system', table: 'hdb_user', attribute: 'username', value: '*' },
      { operation: 'search_by_conditions', database: 'system', table: 'hdb_user', conditions: [{ attribute: 'role', comparator: 'equals', value: 'super_user' }] },
    ];
    for (const body of searches) {
      const records = await node.ok<Row[]>(body);
      assert.ok(records.length >= 1, `${body.operation} found the admin`);
      for (const record of records) {
        assert.equal('password' in record, false, `${body.operation} returned ${JSON.stringify(record)}`);
        assert.ok(!JSON.stringify(record).includes('scrypt'), `${body.operation} leaked a hash`);
      }
    }
    const [admin] = await node.ok({ operation: 'search_by_id', database: 'system', table: 'hdb_user', ids: ['admin'] });
    assert.deepEqual(contents([admin]), [{ username: 'admin', role: 'super_user', active: true }]);
  });

  test('searching or sorting by the password attribute is refused (no hash oracle)', async () => {
    const refused = [
      { operation: 'search_by_value', database: 'system', table: 'hdb_user', attribute: 'password', value: 'scrypt*' },
      { operation: 'search_by_value', schema: 'system', table: 'hdb_user', search_attribute: 'password', search_value: '*' },
      { operation: 'search_by_conditions', database: 'system', table: 'hdb_user', conditions: [{ attribute: 'password', comparator: 'starts_with', value: 's' }] },
      {
        operation: 'search_by_conditions',
        database: 'system',
        table: 'hdb_user',
        operator: 'or',
        conditions: [{ attribute: 'username', comparator: 'equals', value: 'x' }, { operator: 'and', conditions: [{ attribute: 'password', comparator: 'greater_than', value: 'a' }] }],
      },
      { operation: 'search_by_conditions', database: 'system', table: 'hdb_user', conditions: [], sort: { attribute: 'username', next: { attribute: 'password' } } },
    ];
    for (const body of refused) assertError(await node.op(body), 403, 'password');
  });
});
