/**
 * Every operation this node answers, registered once.
 */
import { certificateOperations } from './handlers/certificates.ts';
import { clusterOperations } from './handlers/cluster.ts';
import { dataOperations } from './handlers/data.ts';
import { horizonOperations } from './handlers/horizon.ts';
import { nodeOperations } from './handlers/node.ts';
import { schemaOperations } from './handlers/schema.ts';
import { searchOperations } from './handlers/search.ts';
import { userOperations } from './handlers/users.ts';
import { OperationRegistry } from './registry.ts';

export function createRegistry(): OperationRegistry {
  return new OperationRegistry().register(
    ...schemaOperations,
    ...dataOperations,
    ...searchOperations,
    ...userOperations,
    ...nodeOperations,
    ...clusterOperations,
    ...horizonOperations,
    ...certificateOperations,
  );
}
