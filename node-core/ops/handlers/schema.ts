/**
 * Schema operations: databases, tables and attributes, and the describe_* views of them.
 */
import { z } from 'zod';
import { badRequest, forbidden } from '../../errors.ts';
import type { Database } from '../../storage/database.ts';
import type { Table } from '../../storage/table.ts';
import { CREATED_TIME, UPDATED_TIME } from '../../storage/table.ts';
import { defineOperation } from '../registry.ts';
import { recordDistribution } from '../../replication/distribution.ts';
import type { OperationContext } from '../context.ts';
import { attributeName, databaseField, databaseName, tableName } from '../validation.ts';

const actor = (context: OperationContext) => ({ user: context.user?.username ?? null });

function refuseSystemSchema(database: string): void {
  if (database === 'system') throw forbidden("The system database's tables and attributes cannot be created or changed by schema operations");
}

/** describe_* of the system database (users, nodes, certificates) is for super_users only. */
function describable(database: string, context: OperationContext): string {
  if (database === 'system' && context.user?.role !== 'super_user') throw forbidden('Describing the system database requires the super_user role');
  return database;
}

export function describeTable(table: Table, database: Database): Record<string, unknown> {
  const { definition } = table;
  const attributes = [...new Set([definition.primaryKey, ...definition.attributes, CREATED_TIME, UPDATED_TIME])];
  return {
    schema: database.name,
    database: database.name,
    name: definition.name,
    hash_attribute: definition.primaryKey,
    primary_key: definition.primaryKey,
    audit: true,
    replicate: definition.replicate,
    schema_defined: false,
    attributes: attributes.map((attribute) => ({
      attribute,
      indexed: true,
      ...(attribute === definition.primaryKey ? { is_primary_key: true } : {}),
    })),
    record_count: table.recordCount(),
    created_time: definition.createdTime,
    db_size: database.sizeBytes(),
  };
}

function describeDatabase(database: Database): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const table of database.tables().sort((a, b) => a.name.localeCompare(b.name))) {
    out[table.name] = describeTable(table, database);
  }
  return out;
}

export const schemaOperations = [
  defineOperation({
    name: 'create_database',
    aliases: ['create_schema'],
    permission: 'super_user',
    writes: true,
    schema: z.object({ database: databaseField }),
    handler: (request, { node }) => {
      node.storage.createDatabase(request.database);
      return { message: `database '${request.database}' successfully created` };
    },
  }),
  defineOperation({
    name: 'drop_database',
    aliases: ['drop_schema'],
    permission: 'super_user',
    writes: true,
    schema: z.object({ database: databaseName }),
    handler: async (request, { node }) => {
      await node.storage.dropDatabase(request.database);
      return { message: `successfully deleted '${request.database}'` };
    },
  }),
  defineOperation({
    name: 'create_table',
    permission: 'super_user',
    writes: true,
    schema: z.object({
      database: databaseField,
      table: tableName,
      primary_key: attributeName.default('id'),
      attributes: z
        .array(z.object({ name: attributeName, type: z.string().optional(), indexed: z.boolean().optional() }).loose())
        .max(1000)
        .optional(),
      replicate: z.boolean().default(true),
    }),
    handler: async (request, context) => {
      refuseSystemSchema(request.database);
      const database = context.node.storage.ensureDatabase(request.database);
      const attributes = [request.primary_key, ...(request.attributes ?? []).map((a) => a.name)];
      await database.createTable(
        { name: request.table, primaryKey: request.primary_key, attributes: [...new Set(attributes)], replicate: request.replicate },
        actor(context),
      );
      return { message: `table '${request.database}.${request.table}' successfully created.` };
    },
  }),
  defineOperation({
    name: 'drop_table',
    permission: 'super_user',
    writes: true,
    schema: z.object({ database: databaseField, table: tableName }),
    handler: async (request, context) => {
      if (request.database === 'system') throw badRequest('Tables of the system database cannot be dropped');
      await context.node.storage.requireDatabase(request.database).dropTable(request.table, actor(context));
      return { message: `successfully deleted table '${request.database}.${request.table}'` };
    },
  }),
  defineOperation({
    name: 'create_attribute',
    permission: 'super_user',
    writes: true,
    schema: z.object({ database: databaseField, table: tableName, attribute: attributeName }),
    handler: async (request, context) => {
      refuseSystemSchema(request.database);
      const database = context.node.storage.requireDatabase(request.database);
      const table = database.requireTable(request.table);
      if (table.hasAttribute(request.attribute)) {
        throw badRequest(`Attribute '${request.attribute}' already exists in '${request.database}.${request.table}'`);
      }
      await database.transact((tx) => {
        if (table.addAttribute(request.attribute)) tx.logSchema({ kind: 'create_attribute', table: table.name, attribute: request.attribute });
      }, actor(context));
      return { message: `attribute '${request.database}.${request.table}.${request.attribute}' successfully created.` };
    },
  }),
  defineOperation({
    name: 'describe_all',
    permission: 'any',
    schema: z.object({}),
    handler: (_request, { node }) => {
      const out: Record<string, unknown> = {};
      for (const database of node.storage.databases().sort((a, b) => a.name.localeCompare(b.name))) {
        if (database.name === 'system') continue;
        out[database.name] = describeDatabase(database);
      }
      return out;
    },
  }),
  defineOperation({
    name: 'describe_database',
    aliases: ['describe_schema'],
    permission: 'any',
    schema: z.object({ database: databaseField }),
    handler: (request, context) => describeDatabase(context.node.storage.requireDatabase(describable(request.database, context))),
  }),
  defineOperation({
    name: 'describe_table',
    permission: 'any',
    schema: z.object({ database: databaseField, table: tableName }),
    handler: async (request, context) => {
      const { node } = context;
      const database = node.storage.requireDatabase(describable(request.database, context));
      const table = database.requireTable(request.table);
      return { ...describeTable(table, database), ...(await recordDistribution(node.replication, node.config, node.nodeName, table)) };
    },
  }),
];
