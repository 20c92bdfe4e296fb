/**
 * Read operations: search_by_id, search_by_value and search_by_conditions. Password hashes of
 * `system.hdb_user` never leave the node.
 */
import { z } from 'zod';
import { SYSTEM_DATABASE } from '../../system/tables.ts';
import { USER_SECRET_FIELDS } from '../../system/users.ts';
import { forbidden } from '../../errors.ts';
import type { Table } from '../../storage/table.ts';
import { COMPARATORS, conditionForValue, project, search, sortComparer, type Condition, type ConditionGroup, type SearchOptions, type SortSpec } from '../../storage/search.ts';
import { fetchHeldElsewhere, searchHeldElsewhere } from '../../replication/remote-read.ts';
import type { DataRecord, PrimaryKey } from '../../storage/types.ts';
import { defineOperation } from '../registry.ts';
import type { OperationContext } from '../context.ts';
import { databaseField, getAttributes, limitField, offsetField, primaryKeyValue, tableName } from '../validation.ts';

function tableOf(context: OperationContext, database: string, table: string): Table {
  // The system tables describe users, nodes and certificates: super_user only, as in HarperDB.
  if (database === SYSTEM_DATABASE && context.user?.role !== 'super_user') {
    throw forbidden(`Reading the system database requires the super_user role`);
  }
  return context.node.storage.requireDatabase(database).requireTable(table);
}

/** The stored form of a record read from `table` (for the read-only `$version`/`$origin`). */
const storedOf = (table: Table) => (record: DataRecord) => table.getStored(record[table.primaryKey] as PrimaryKey);

function isUserTable(table: Table): boolean {
  return table.definition.database === 'system' && table.name === 'hdb_user';
}

function withoutSecrets(table: Table, records: DataRecord[]): DataRecord[] {
  if (!isUserTable(table)) return records;
  return records.map((record) => Object.fromEntries(Object.entries(record).filter(([field]) => !USER_SECRET_FIELDS.includes(field))));
}

/**
 * `get_attributes` as asked. HarperDB requires it; without it a Peerdesk node returns the
 * records as stored (no null-filled attributes), as it always has.
 */
const requestedAttributes = getAttributes.unwrap().optional();

/**
 * What a search returns of each record. `get_attributes: ["*"]` is every attribute of the
 * table, null where a record lacks it, as HarperDB answers; secrets are dropped after that.
 */
function shaped(table: Table, records: DataRecord[], attributes: readonly string[] | undefined): DataRecord[] {
  if (!attributes) return withoutSecrets(table, records);
  if (!attributes.includes('*')) return withoutSecrets(table, project(records, attributes, storedOf(table)));
  const all = [...new Set([table.primaryKey, ...table.definition.attributes])];
  const filled = records.map((record) => ({ ...Object.fromEntries(all.map((a) => [a, null])), ...record }));
  return withoutSecrets(table, project(filled, attributes, storedOf(table)));
}

/** Searching or sorting hdb_user by a secret field (the password hash) would be an oracle for it: refused. */
function refuseSecretAttributes(table: Table, attributes: string[]): void {
  const secret = isUserTable(table) ? attributes.find((attribute) => USER_SECRET_FIELDS.includes(attribute)) : undefined;
  if (secret) throw forbidden(`system.hdb_user cannot be searched or sorted by '${secret}'`);
}

function conditionAttributes(node: Condition | ConditionGroup): string[] {
  return 'conditions' in node ? node.conditions.flatMap(conditionAttributes) : [node.attribute];
}

function sortAttributes(sort: SortSpec | undefined): string[] {
  return sort ? [sort.attribute, ...sortAttributes(sort.next)] : [];
}

type ConditionNode = Condition | ConditionGroup;
const MAX_CONDITION_DEPTH = 8;

/**
 * One object schema for conditions and groups (a group has `conditions`), not a union, so an
 * error names the field at fault (`conditions[0].comparator`) rather than "Invalid input".
 */
const conditionNode: z.ZodType<ConditionNode> = z.lazy(() => z
  .object({
    operator: z.enum(['and', 'or']).optional(),
    conditions: z.array(conditionNode).min(1).max(100).optional(),
    attribute: z.string().min(1).optional(),
    search_attribute: z.string().min(1).optional(),
    comparator: z.enum(COMPARATORS).optional(),
    search_type: z.enum(COMPARATORS).optional(),
    value: z.unknown().optional(),
    search_value: z.unknown().optional(),
  })
  .transform((c, ctx): ConditionNode => {
    if (c.conditions) return { operator: c.operator ?? 'and', conditions: c.conditions };
    const attribute = c.attribute ?? c.search_attribute;
    const comparator = c.comparator ?? c.search_type;
    const value = c.value !== undefined ? c.value : c.search_value;
    if (!attribute) ctx.addIssue({ code: 'custom', message: "condition needs 'attribute' (or 'search_attribute')" });
    if (!comparator) ctx.addIssue({ code: 'custom', message: `condition needs 'comparator' (one of ${COMPARATORS.join(', ')})` });
    if (value === undefined) ctx.addIssue({ code: 'custom', message: "condition needs 'value' (or 'search_value')" });
    if (comparator === 'between' && !(Array.isArray(value) && value.length === 2)) {
      ctx.addIssue({ code: 'custom', message: "'between' needs 'value' as [low, high]" });
    }
    return { attribute: attribute ?? '', comparator: comparator ?? 'equals', value };
  })) as z.ZodType<ConditionNode>;

const sortSchema: z.ZodType<SortSpec> = z.lazy(() =>
  z.object({ attribute: z.string().min(1), descending: z.boolean().optional(), next: sortSchema.optional() }),
) as z.ZodType<SortSpec>;

/**
 * A search here, and on a sharded table with records held elsewhere (stubs) also on the other
 * members (SPEC 4.10): their matches merged in, then sorted and paged as one result.
 */
async function searchEverywhere(context: OperationContext, table: Table, where: Condition | ConditionGroup, options: SearchOptions): Promise<DataRecord[]> {
  const manager = context.node.replication;
  if (!manager || table.stubCount() === 0) return search(table, where, options).records;
  const group: ConditionGroup = 'conditions' in where ? where : { operator: 'and', conditions: [where] };
  const local = search(table, where, { sort: options.sort }).records;
  const remote = (await searchHeldElsewhere(manager, table, group)).map((stored) => stored.r);
  const merged = [...local, ...remote];
  if (options.sort) merged.sort(sortComparer(options.sort));
  const offset = options.offset ?? 0;
  return merged.slice(offset, options.limit === undefined ? undefined : offset + options.limit);
}

function depth(node: ConditionNode): number {
  return 'conditions' in node ? 1 + Math.max(0, ...node.conditions.map(depth)) : 0;
}

export const searchOperations = [
  defineOperation({
    name: 'search_by_id',
    aliases: ['search_by_hash'],
    permission: 'any',
    schema: z.object({ database: databaseField, table: tableName, ids: z.array(primaryKeyValue).max(100_000), get_attributes: requestedAttributes }),
    handler: async (request, context) => {
      const table = tableOf(context, request.database, request.table);
      const ids = request.ids as PrimaryKey[];
      // Sharded tables: records held elsewhere (stubs here) come from a holder (SPEC 4.10).
      const manager = context.node.replication;
      const elsewhere = manager && table.stubCount() > 0 ? await fetchHeldElsewhere(manager, table, ids) : new Map<PrimaryKey, { r: DataRecord }>();
      const records: DataRecord[] = [];
      for (const id of ids) {
        const record = table.get(id) ?? elsewhere.get(id)?.r;
        if (record) records.push(record);
      }
      return shaped(table, records, request.get_attributes);
    },
  }),
  defineOperation({
    name: 'search_by_value',
    permission: 'any',
    schema: z.object({
      database: databaseField,
      table: tableName,
      attribute: z.string().min(1),
      value: z.union([z.string(), z.number(), z.boolean(), z.null()]),
      get_attributes: requestedAttributes,
      limit: limitField,
      offset: offsetField,
      sort: sortSchema.optional(),
    }),
    handler: async (request, context) => {
      const table = tableOf(context, request.database, request.table);
      refuseSecretAttributes(table, [request.attribute, ...sortAttributes(request.sort)]);
      const records = await searchEverywhere(context, table, conditionForValue(request.attribute, request.value), request);
      return shaped(table, records, request.get_attributes);
    },
  }),
  defineOperation({
    name: 'search_by_conditions',
    permission: 'any',
    schema: z
      .object({
        database: databaseField,
        table: tableName,
        operator: z.enum(['and', 'or']).default('and'),
        conditions: z.array(conditionNode).max(100),
        get_attributes: requestedAttributes,
        limit: limitField,
        offset: offsetField,
        sort: sortSchema.optional(),
      })
      .refine((r) => r.conditions.every((c) => depth(c) <= MAX_CONDITION_DEPTH), {
        message: `conditions may nest at most ${MAX_CONDITION_DEPTH} levels`,
        path: ['conditions'],
      }),
    handler: async (request, context) => {
      const table = tableOf(context, request.database, request.table);
      const where: ConditionGroup = { operator: request.operator, conditions: request.conditions };
      refuseSecretAttributes(table, [...conditionAttributes(where), ...sortAttributes(request.sort)]);
      const records = await searchEverywhere(context, table, where, request);
      return shaped(table, records, request.get_attributes);
    },
  }),
];
