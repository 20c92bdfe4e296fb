/**
 * Certificates of the connected node: list, details with expiry, add from PEM, remove, and
 * revoking a peer's serial. (Being built.)
 */
import type { OpsClient } from '../../api/ops-client.ts';
import type { ConnectionProfile } from '../connections/model.ts';

export function CertificatesView(_props: { client: OpsClient; profile: ConnectionProfile }) {
  return <div className="empty-state">Certificate management is coming.</div>;
}
