/** After a write: refetch the table's pages, its description and the database tree. */
import type { QueryClient } from '@tanstack/react-query';
import type { TableRef } from '../../api/operations/types.ts';
import type { OpsClient } from '../../api/ops-client.ts';

export async function invalidateTable(queryClient: QueryClient, client: OpsClient, table: TableRef): Promise<void> {
  const id = client.connectionId;
  await Promise.all([
    queryClient.invalidateQueries({ queryKey: [id, 'search_by_conditions', table.database, table.table] }),
    queryClient.invalidateQueries({ queryKey: [id, 'search_by_value', table.database, table.table] }),
    queryClient.invalidateQueries({ queryKey: [id, 'search_by_id', table.database, table.table] }),
    queryClient.invalidateQueries({ queryKey: [id, 'describe_table', table.database, table.table] }),
    queryClient.invalidateQueries({ queryKey: [id, 'describe_all'] }),
    queryClient.invalidateQueries({ queryKey: [id, 'describe_database', table.database] }),
  ]);
}
