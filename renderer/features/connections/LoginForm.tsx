/**
 * Log in to the active connection: the user name and password are traded for tokens
 * (create_authentication_tokens) and dropped. Shows why a previous session ended.
 */
import { useState, type FormEvent } from 'react';
import { ErrorNotice } from '../../components/ErrorNotice.tsx';
import { useConnections } from './ConnectionsProvider.tsx';
import type { ConnectionProfile } from './model.ts';

export function LoginForm({ profile }: { profile: ConnectionProfile }) {
  const { login, endedSessions } = useConnections();
  const [username, setUsername] = useState(profile.username ?? '');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const ended = endedSessions[profile.id];

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await login(profile.id, username, password);
    } catch (failure) {
      setError(failure);
      setPassword('');
    } finally {
      setBusy(false);
    }
  }

  return (
    <section className="card login" aria-labelledby="login-title">
      <h2 id="login-title">Log in to {profile.name}</h2>
      <p className="muted">
        {profile.url} · The password is exchanged for a session token and is not stored.
      </p>
      {ended && !error && (
        <div className="notice notice-warn" role="status">
          <p>Your session ended. {ended}</p>
        </div>
      )}
      <form className="stack" onSubmit={submit}>
        <label className="field">
          <span>User name</span>
          <input name="username" autoComplete="username" required value={username} onChange={(e) => setUsername(e.target.value)} autoFocus={!username} />
        </label>
        <label className="field">
          <span>Password</span>
          <input name="password" type="password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} autoFocus={!!username} />
        </label>
        <ErrorNotice error={error} testId="login-error" />
        <div>
          <button type="submit" disabled={busy}>
            {busy ? 'Logging in…' : 'Log in'}
          </button>
        </div>
      </form>
    </section>
  );
}
