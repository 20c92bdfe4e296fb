/**
 * The cluster view: topology graph of the members reachable from this connection, with
 * drag-to-connect, link health and the subscription editor. (Being built.)
 */
import type { OpsClient } from '../../api/ops-client.ts';
import type { ConnectionProfile } from '../connections/model.ts';

export function ClusterView(_props: { client: OpsClient; profile: ConnectionProfile }) {
  return <div className="empty-state">The cluster topology is coming.</div>;
}
