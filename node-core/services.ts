/**
 * The services of one running node, built once by startNode and handed to every operation.
 */
import type { HybridLogicalClock } from './clock/hlc.ts';
import type { Config } from './config/index.ts';
import type { Logger } from './log/logger.ts';
import type { Authenticator } from './ops/auth.ts';
import type { OperationRegistry } from './ops/registry.ts';
import type { ReplicationManager } from './replication/manager.ts';
import type { CertificateStore } from './security/certificates.ts';
import type { Storage } from './storage/storage.ts';
import type { TokenIssuer } from './system/tokens.ts';
import type { UserStore } from './system/users.ts';

export interface NodeServices {
  nodeName: string;
  rootPath: string;
  configPath: string;
  config: Config;
  startedAt: number;
  clock: HybridLogicalClock;
  storage: Storage;
  users: UserStore;
  tokens: TokenIssuer;
  auth: Authenticator;
  logger: Logger;
  registry: OperationRegistry;
  certificates: CertificateStore;
  /** null until started (and in tools that open storage without replication) */
  replication: ReplicationManager | null;
}
