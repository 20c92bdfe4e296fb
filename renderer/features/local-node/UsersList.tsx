/** The node's users and roles (list_users); passwords are never part of the answer. */
import { useQuery } from '@tanstack/react-query';
import { listUsersQuery, roleName } from '../../api/operations/list-users.ts';
import type { OpsClient } from '../../api/ops-client.ts';
import { ErrorNotice } from '../../components/ErrorNotice.tsx';
import { StatusBadge } from '../../components/StatusBadge.tsx';

export function UsersList({ client }: { client: OpsClient }) {
  const users = useQuery(listUsersQuery(client));
  return (
    <section className="card" aria-labelledby="users-title">
      <h3 id="users-title">Users</h3>
      <ErrorNotice error={users.error} onRetry={() => void users.refetch()} />
      {users.data && (
        <table className="grid compact-grid" data-testid="users-table">
          <thead>
            <tr>
              <th scope="col">User</th>
              <th scope="col">Role</th>
              <th scope="col">State</th>
            </tr>
          </thead>
          <tbody>
            {users.data.map((user) => (
              <tr key={user.username}>
                <td>{user.username}</td>
                <td>{roleName(user.role)}</td>
                <td>
                  <StatusBadge tone={user.active ? 'ok' : 'idle'}>{user.active ? 'Active' : 'Inactive'}</StatusBadge>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
