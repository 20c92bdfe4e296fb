/**
 * What an operation handler can reach: the node's services and the caller.
 */
import type { NodeServices } from '../services.ts';
import type { User } from '../system/users.ts';

export interface OperationContext {
  node: NodeServices;
  /** the authenticated caller; null only for a `public` operation called without credentials */
  user: User | null;
  requestId: string;
  clientAddress: string;
}
