/**
 * The header band of the active connection, in its colour: name, URL, production flag, who is
 * logged in, and log out. The colour is the first thing seen, so a production node never looks
 * like a test one.
 */
import { useQuery } from '@tanstack/react-query';
import type { CSSProperties } from 'react';
import type { OpsClient } from '../../api/ops-client.ts';
import { roleName } from '../../api/operations/list-users.ts';
import { userInfoQuery } from '../../api/operations/user-info.ts';
import { IconButton } from '../../components/IconButton.tsx';
import { textOn } from '../../lib/colour.ts';
import { useConnections } from './ConnectionsProvider.tsx';
import { LOCAL_ID, type ConnectionProfile } from './model.ts';

function WhoAmI({ profile, client }: { profile: ConnectionProfile; client: OpsClient }) {
  const { logout, localFromBridge } = useConnections();
  const info = useQuery(userInfoQuery(client));
  const canLogOut = !(profile.id === LOCAL_ID && localFromBridge);
  return (
    <span className="header-user">
      <span data-testid="header-user">
        {info.data ? `${info.data.username} · ${roleName(info.data.role)}` : '…'}
      </span>
      {canLogOut && <IconButton icon="logout" label={`Log out of ${profile.name}`} onClick={() => void logout(profile.id)} />}
    </span>
  );
}

export function ConnectionHeader({ profile }: { profile: ConnectionProfile }) {
  const { clientFor } = useConnections();
  const client = clientFor(profile.id);
  const style = { '--band': profile.colour, '--band-fg': textOn(profile.colour) } as CSSProperties;
  return (
    <header className="connection-header" style={style} data-testid="connection-header">
      <div className="header-title">
        <h2>{profile.name}</h2>
        {profile.production && <span className="tag tag-prod-on-band">Production</span>}
        <span className="header-url">{profile.url}</span>
      </div>
      {client ? <WhoAmI profile={profile} client={client} /> : <span className="header-user">Not logged in</span>}
    </header>
  );
}
