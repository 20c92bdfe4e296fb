/**
 * The one registry of operations: each has a name (and aliases), the permission it needs, a
 * zod request schema that is checked before the handler runs, and the handler itself.
 */
import type { z } from 'zod';
import type { OperationContext } from './context.ts';

/**
 * Who may call an operation: `any` authenticated user, `super_user` only, or `public`
 * (no authentication: token creation checks credentials itself).
 */
export type Permission = 'any' | 'super_user' | 'public';

export interface Operation<S extends z.ZodType = z.ZodType> {
  name: string;
  aliases?: string[];
  permission: Permission;
  /** true: the operation changes data or schema (refused for read-only users) */
  writes?: boolean;
  schema: S;
  handler: (request: z.output<S>, context: OperationContext) => Promise<unknown> | unknown;
}

/** Typed helper so each module's handler sees its own schema's output type. */
export function defineOperation<S extends z.ZodType>(operation: Operation<S>): Operation {
  return operation as unknown as Operation;
}

export class OperationRegistry {
  readonly #operations = new Map<string, Operation>();

  register(...operations: Operation[]): this {
    for (const operation of operations) {
      for (const name of [operation.name, ...(operation.aliases ?? [])]) {
        if (this.#operations.has(name)) throw new Error(`Operation '${name}' registered twice`);
        this.#operations.set(name, operation);
      }
    }
    return this;
  }

  get(name: string): Operation | undefined {
    return this.#operations.get(name);
  }

  names(): string[] {
    return [...this.#operations.keys()].sort();
  }
}
