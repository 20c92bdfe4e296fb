/**
 * The connections sidebar: every connection with its colour, URL, login state and production
 * flag; arrow keys move between them, Enter switches; add, edit and remove from here.
 */
import { useState, type CSSProperties } from 'react';
import { ConfirmDialog } from '../../components/ConfirmDialog.tsx';
import { IconButton } from '../../components/IconButton.tsx';
import { rovingTabIndex, useRovingFocus } from '../../components/use-roving-focus.ts';
import { useConnections } from './ConnectionsProvider.tsx';
import { ConnectionForm } from './ConnectionForm.tsx';
import { LOCAL_ID, type ConnectionProfile } from './model.ts';

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}

export function Sidebar() {
  const { profiles, activeId, sessions, select, remove, localNote } = useConnections();
  const [editing, setEditing] = useState<ConnectionProfile | 'new' | null>(null);
  const [removing, setRemoving] = useState<ConnectionProfile | null>(null);
  const onKeyDown = useRovingFocus('vertical');

  return (
    <nav className="sidebar" aria-label="Connections">
      <div className="sidebar-brand">
        <h1>Peerdesk</h1>
      </div>
      <div className="sidebar-heading">
        <h2>Connections</h2>
        <IconButton icon="plus" label="Add connection" onClick={() => setEditing('new')} />
      </div>
      {profiles.length === 0 ? (
        <p className="sidebar-empty">{localNote ?? 'No connections yet.'} Use + to add a node by its operations API URL.</p>
      ) : (
        <ul className="connection-list" onKeyDown={onKeyDown}>
          {profiles.map((profile, index) => {
            const selected = profile.id === activeId;
            const session = sessions[profile.id];
            return (
              <li key={profile.id} className={`connection-item ${selected ? 'selected' : ''}`} style={{ '--conn': profile.colour } as CSSProperties}>
                <button
                  type="button"
                  className="connection-select"
                  data-roving-item
                  tabIndex={rovingTabIndex(selected, index, activeId !== null)}
                  aria-current={selected ? 'page' : undefined}
                  onClick={() => select(profile.id)}
                  data-testid={`connection-${profile.name}`}
                >
                  <span className="connection-dot" aria-hidden="true" />
                  <span className="connection-text">
                    <span className="connection-name">
                      <span className="connection-label">{profile.name}</span>
                      {profile.production && <span className="tag tag-prod">Prod</span>}
                    </span>
                    <span className="connection-meta">
                      {hostOf(profile.url)} · {session ? session.username : 'not logged in'}
                    </span>
                  </span>
                </button>
                <span className="connection-actions">
                  <IconButton icon="edit" label={`Edit ${profile.name}`} tabIndex={selected ? 0 : -1} onClick={() => setEditing(profile)} />
                  {profile.id !== LOCAL_ID && <IconButton icon="trash" label={`Remove ${profile.name}`} tabIndex={selected ? 0 : -1} onClick={() => setRemoving(profile)} />}
                </span>
              </li>
            );
          })}
        </ul>
      )}
      {localNote && profiles.length > 0 && <p className="sidebar-note">{localNote}</p>}
      <p className="sidebar-help">↑/↓ to move, Enter to open</p>
      {editing && <ConnectionForm profile={editing === 'new' ? undefined : editing} onClose={() => setEditing(null)} />}
      {removing && (
        <ConfirmDialog
          title={`Remove ${removing.name}?`}
          confirmLabel="Remove connection"
          onCancel={() => setRemoving(null)}
          onConfirm={() => {
            void remove(removing.id);
            setRemoving(null);
          }}
        >
          <p>
            The saved connection and its session are removed from this app. The node itself and its data are not touched.
          </p>
        </ConfirmDialog>
      )}
    </nav>
  );
}
