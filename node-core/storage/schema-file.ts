/**
 * Tables declared in `<root>/schema.graphql` (SPEC 1.2), e.g.
 * `type Dog @table(database: "data", replicate: false) { id: ID @primaryKey  name: String @indexed }`,
 * parsed with graphql and created at start when missing. Every attribute is indexed anyway.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Kind, parse, type ConstArgumentNode, type ObjectTypeDefinitionNode } from 'graphql';
import { nameProblem } from './names.ts';
import type { Storage } from './storage.ts';

export const SCHEMA_FILE = 'schema.graphql';

export interface DeclaredTable {
  database: string;
  table: string;
  primaryKey: string;
  attributes: string[];
  replicate: boolean;
}

export class SchemaFileError extends Error {
  override name = 'SchemaFileError';
}

/** The tables a schema file declares; throws SchemaFileError naming the file, line and problem. */
export function parseSchemaFile(file: string, text: string): DeclaredTable[] {
  let document;
  try {
    document = parse(text);
  } catch (error) {
    throw new SchemaFileError(`${file}: ${(error as Error).message}`);
  }
  const tables: DeclaredTable[] = [];
  for (const definition of document.definitions) {
    if (definition.kind !== Kind.OBJECT_TYPE_DEFINITION) continue;
    const directive = definition.directives?.find((d) => d.name.value === 'table');
    if (!directive) continue;
    const where = `${file} line ${definition.loc?.startToken.line ?? '?'}`;
    const argument = (name: string) => directive.arguments?.find((a) => a.name.value === name);
    const database = stringArgument(argument('database'), where) ?? 'data';
    const table = stringArgument(argument('table'), where) ?? definition.name.value;
    const replicate = booleanArgument(argument('replicate'), where) ?? true;
    for (const [kind, name] of [['database', database], ['table', table]] as const) {
      const problem = nameProblem(name);
      if (problem) throw new SchemaFileError(`${where}: ${kind} name ${JSON.stringify(name)} ${problem}`);
    }
    tables.push({ database, table, replicate, ...fieldsOf(definition) });
  }
  return tables;
}

function fieldsOf(definition: ObjectTypeDefinitionNode): { primaryKey: string; attributes: string[] } {
  const attributes = (definition.fields ?? []).map((field) => field.name.value);
  const keyed = (definition.fields ?? []).filter((field) => field.directives?.some((d) => d.name.value === 'primaryKey'));
  if (keyed.length > 1) throw new SchemaFileError(`type ${definition.name.value} has more than one @primaryKey`);
  return { primaryKey: keyed[0]?.name.value ?? 'id', attributes };
}

function stringArgument(node: ConstArgumentNode | undefined, where: string): string | undefined {
  if (!node) return undefined;
  if (node.value.kind !== Kind.STRING) throw new SchemaFileError(`${where}: @table(${node.name.value}:) must be a string`);
  return node.value.value;
}

function booleanArgument(node: ConstArgumentNode | undefined, where: string): boolean | undefined {
  if (!node) return undefined;
  if (node.value.kind !== Kind.BOOLEAN) throw new SchemaFileError(`${where}: @table(${node.name.value}:) must be true or false`);
  return node.value.value;
}

/** Create the declared tables that do not exist yet. Returns the ones created. */
export async function applySchemaFile(rootPath: string, storage: Storage): Promise<DeclaredTable[]> {
  const file = path.join(rootPath, SCHEMA_FILE);
  if (!fs.existsSync(file)) return [];
  const created: DeclaredTable[] = [];
  for (const declared of parseSchemaFile(file, fs.readFileSync(file, 'utf8'))) {
    const database = storage.ensureDatabase(declared.database);
    if (database.table(declared.table)) continue;
    await database.createTable(
      { name: declared.table, primaryKey: declared.primaryKey, attributes: [...new Set([declared.primaryKey, ...declared.attributes])], replicate: declared.replicate },
      { user: null },
    );
    created.push(declared);
  }
  return created;
}
