/**
 * The node view: for the local node its state, URL and start/stop/restart; for every node its
 * configuration, recent log lines and users.
 */
import type { OpsClient } from '../../api/ops-client.ts';
import type { ConnectionProfile } from '../connections/model.ts';
import { ConfigView } from './ConfigView.tsx';
import { LifecycleControls } from './LifecycleControls.tsx';
import { LogView } from './LogView.tsx';
import { UsersList } from './UsersList.tsx';

export function NodePanel({ client, profile }: { client: OpsClient; profile: ConnectionProfile }) {
  return (
    <div className="node-panel">
      <div className="node-column">
        {profile.kind === 'local' ? (
          <LifecycleControls client={client} profile={profile} />
        ) : (
          <section className="card">
            <h3>Remote node</h3>
            <p className="muted">
              <code>{profile.url}</code> runs elsewhere; start and stop it where it runs. Its configuration, log and users are below.
            </p>
          </section>
        )}
        <UsersList client={client} />
        <ConfigView client={client} />
      </div>
      <LogView client={client} connectionId={profile.id} />
    </div>
  );
}
