/**
 * Add or edit a connection: name, URL, colour, production flag, and optionally a login. "Test
 * connection" checks the URL (and the login when given) without saving anything; saving with a
 * login keeps only the tokens it returns.
 */
import { CredentialsFields } from '../../components/CredentialsFields.tsx';
import { useState, type FormEvent } from 'react';
import { Dialog } from '../../components/Dialog.tsx';
import { ErrorNotice } from '../../components/ErrorNotice.tsx';
import { CONNECTION_COLOURS } from '../../lib/colour.ts';
import { useConnections } from './ConnectionsProvider.tsx';
import { LOCAL_ID, newConnectionId, nextColour, normalizeUrl, urlProblem, type ConnectionProfile } from './model.ts';
import { testConnection } from './test-connection.ts';

interface ConnectionFormProps {
  /** the profile to edit; absent = a new connection */
  profile?: ConnectionProfile | undefined;
  onClose: () => void;
}

type TestState = { kind: 'idle' } | { kind: 'testing' } | { kind: 'ok'; text: string } | { kind: 'error'; error: unknown };

export function ConnectionForm({ profile, onClose }: ConnectionFormProps) {
  const { profiles, save, select } = useConnections();
  const isLocal = profile?.id === LOCAL_ID;
  const [name, setName] = useState(profile?.name ?? '');
  const [url, setUrl] = useState(profile?.url ?? '');
  const [colour, setColour] = useState(profile?.colour ?? nextColour(profiles));
  const [production, setProduction] = useState(profile?.production ?? false);
  const [username, setUsername] = useState(profile?.username ?? '');
  const [password, setPassword] = useState('');
  const [touched, setTouched] = useState(false);
  const [test, setTest] = useState<TestState>({ kind: 'idle' });
  const [saving, setSaving] = useState(false);
  const [saveError, setSaveError] = useState<unknown>(null);

  const nameProblem = name.trim() ? (profiles.some((p) => p.id !== profile?.id && p.name.trim().toLowerCase() === name.trim().toLowerCase()) ? 'Another connection has this name' : null) : 'Give the connection a name';
  const urlError = isLocal ? null : urlProblem(url.trim());
  const credentials = username && password ? { username, password } : null;
  const loginProblem = password && !username ? 'Enter the user name for this password' : null;

  async function runTest() {
    setTouched(true);
    if (urlError) return;
    setSaveError(null);
    setTest({ kind: 'testing' });
    try {
      setTest({ kind: 'ok', text: await testConnection(name.trim(), normalizeUrl(url), credentials) });
    } catch (error) {
      setTest({ kind: 'error', error });
    }
  }

  async function submit(event: FormEvent) {
    event.preventDefault();
    setTouched(true);
    if (nameProblem || urlError || loginProblem) return;
    setSaving(true);
    setSaveError(null);
    setTest({ kind: 'idle' });
    const next: ConnectionProfile = {
      id: profile?.id ?? newConnectionId(),
      kind: isLocal ? 'local' : 'remote',
      name: name.trim(),
      url: isLocal ? profile!.url : normalizeUrl(url),
      colour,
      production,
      username: profile?.username,
    };
    try {
      const saved = await save(next, !profile, credentials ?? undefined);
      if (!profile) select(saved.id);
      onClose();
    } catch (error) {
      setSaveError(error);
    } finally {
      setSaving(false);
    }
  }

  return (
    <Dialog title={profile ? `Edit ${profile.name}` : 'Add a connection'} onClose={onClose} testId="connection-form">
      <form className="stack" onSubmit={submit} noValidate>
        <label className="field">
          <span>Name</span>
          <input name="name" value={name} onChange={(e) => setName(e.target.value)} placeholder="e.g. Staging east" autoFocus aria-invalid={touched && !!nameProblem} />
          {touched && nameProblem && <span className="field-error">{nameProblem}</span>}
        </label>
        <label className="field">
          <span>Operations API URL</span>
          <input name="url" value={url} onChange={(e) => setUrl(e.target.value)} placeholder="http://127.0.0.1:9925" disabled={isLocal} inputMode="url" spellCheck={false} aria-invalid={touched && !!urlError} />
          {isLocal ? <span className="field-hint">The local node's URL is given by the node serving this app.</span> : touched && urlError && <span className="field-error">{urlError}</span>}
        </label>
        <fieldset className="field">
          <legend>Colour</legend>
          <div className="swatches">
            {CONNECTION_COLOURS.map((c) => (
              <label key={c.value} className="swatch" title={c.name}>
                <input type="radio" name="colour" value={c.value} checked={colour === c.value} onChange={() => setColour(c.value)} aria-label={c.name} />
                <span style={{ background: c.value }} aria-hidden="true" />
              </label>
            ))}
          </div>
        </fieldset>
        <label className="check">
          <input type="checkbox" name="production" checked={production} onChange={(e) => setProduction(e.target.checked)} />
          <span>
            Production
            <span className="field-hint"> — deleting records or dropping a table asks you to type the connection's name.</span>
          </span>
        </label>
        {!isLocal && (
          <fieldset className="field">
            <legend>Log in (optional)</legend>
            <p className="field-hint">The password is exchanged for tokens at once and never stored.</p>
            <CredentialsFields username={username} password={password} onUsername={setUsername} onPassword={setPassword} />
            {touched && loginProblem && <span className="field-error">{loginProblem}</span>}
          </fieldset>
        )}
        <div role="status" aria-live="polite" data-testid="connection-test-result">
          {test.kind === 'ok' && <p className="notice notice-ok">{test.text}</p>}
        </div>
        {test.kind === 'error' && <ErrorNotice error={test.error} testId="connection-test-error" />}
        <ErrorNotice error={saveError} testId="connection-save-error" />
        <div className="dialog-actions">
          {!isLocal && (
            <button type="button" className="button-secondary push-left" onClick={runTest} disabled={test.kind === 'testing'}>
              {test.kind === 'testing' ? 'Testing…' : 'Test connection'}
            </button>
          )}
          <button type="button" className="button-secondary" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" disabled={saving}>
            {saving ? 'Saving…' : credentials ? 'Log in and save' : 'Save'}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
