/**
 * "Add node by URL": brings a node into the cluster view. It becomes a saved connection
 * through the connections store (the password is traded for tokens at once and never kept);
 * a URL that is already saved is reused, logging in again when it has no session.
 */
import { CredentialsFields } from '../../components/CredentialsFields.tsx';
import { useState, type FormEvent } from 'react';
import { Dialog } from '../../components/Dialog.tsx';
import { ErrorNotice } from '../../components/ErrorNotice.tsx';
import { useConnections } from '../connections/ConnectionsProvider.tsx';
import { newConnectionId, nextColour, normalizeUrl, urlProblem, type ConnectionProfile } from '../connections/model.ts';

interface AddNodeDialogProps {
  /** prefilled URL (e.g. a member that could not be reached with this connection's credentials) */
  initialUrl?: string;
  defaultUsername: string;
  /** the profile the node was saved as (or found as) */
  onAdded: (profile: ConnectionProfile) => void;
  onCancel: () => void;
}

function defaultName(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return '';
  }
}

export function AddNodeDialog({ initialUrl, defaultUsername, onAdded, onCancel }: AddNodeDialogProps) {
  const { profiles, sessions, save, login } = useConnections();
  const [url, setUrl] = useState(initialUrl ?? '');
  const [name, setName] = useState('');
  const [username, setUsername] = useState(defaultUsername);
  const [password, setPassword] = useState('');
  const [production, setProduction] = useState(false);
  const [touched, setTouched] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  const urlError = urlProblem(url.trim());
  const normalized = urlError ? null : normalizeUrl(url);
  const existing = normalized ? profiles.find((p) => p.url === normalized) : undefined;
  const finalName = name.trim() || (existing?.name ?? defaultName(url.trim()));
  const nameTaken = !existing && profiles.some((p) => p.name.trim().toLowerCase() === finalName.toLowerCase());
  const needsLogin = !existing || !sessions[existing.id];
  const loginProblem = needsLogin && password && !username.trim() ? 'Enter the user name for this password' : null;

  async function submit(event: FormEvent) {
    event.preventDefault();
    setTouched(true);
    if (urlError || !normalized || nameTaken || loginProblem) return;
    setBusy(true);
    setError(null);
    try {
      if (existing) {
        if (needsLogin && password) await login(existing.id, username.trim(), password);
        onAdded(existing);
      } else {
        const profile: ConnectionProfile = { id: newConnectionId(), kind: 'remote', name: finalName, url: normalized, colour: nextColour(profiles), production };
        const saved = await save(profile, true, password ? { username: username.trim(), password } : undefined);
        onAdded(saved);
      }
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
    }
  }

  return (
    <Dialog title="Add a node to the view" onClose={onCancel} testId="add-node-dialog">
      <form className="stack" onSubmit={submit} noValidate>
        <p className="field-hint">
          The node is saved as a connection (it appears in the sidebar) and shown in this view, linked or not. Drag from its handle to a member to connect it.
        </p>
        <label className="field">
          <span>Operations API URL</span>
          <input value={url} onChange={(e) => setUrl(e.target.value)} placeholder="http://127.0.0.1:9925" inputMode="url" spellCheck={false} autoFocus={!initialUrl} aria-invalid={touched && !!urlError} />
          {touched && urlError && <span className="field-error">{urlError}</span>}
          {existing && <span className="field-hint">Already saved as “{existing.name}”.</span>}
        </label>
        {!existing && (
          <label className="field">
            <span>Connection name</span>
            <input value={name} onChange={(e) => setName(e.target.value)} placeholder={defaultName(url.trim()) || 'e.g. Node B'} aria-invalid={touched && nameTaken} />
            {touched && nameTaken && <span className="field-error">Another connection is called “{finalName}”; give this one another name.</span>}
          </label>
        )}
        {needsLogin && (
          <fieldset className="field">
            <legend>Log in</legend>
            <p className="field-hint">The password is exchanged for tokens at once and never stored.</p>
            <CredentialsFields username={username} password={password} onUsername={setUsername} onPassword={setPassword} autoFocusPassword={!!initialUrl} />
            {touched && loginProblem && <span className="field-error">{loginProblem}</span>}
          </fieldset>
        )}
        {!existing && (
          <label className="check">
            <input type="checkbox" checked={production} onChange={(e) => setProduction(e.target.checked)} />
            <span>
              Production
              <span className="field-hint"> — disconnecting it or deleting its data asks you to type the connection's name.</span>
            </span>
          </label>
        )}
        <ErrorNotice error={error} testId="add-node-error" />
        <div className="dialog-actions">
          <button type="button" className="button-secondary" onClick={onCancel}>
            Cancel
          </button>
          <button type="submit" disabled={busy}>
            {busy ? 'Adding…' : 'Add to view'}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
