/**
 * "Log in to all members": one user name and password, exchanged for a token at each member URL
 * the user confirmed (listed, so the user sees where the password goes), for this session only.
 * Each member's outcome is shown; the password is dropped when the dialog closes.
 */
import { useState, type FormEvent } from 'react';
import { CredentialsFields } from '../../components/CredentialsFields.tsx';
import { Dialog } from '../../components/Dialog.tsx';
import { ErrorNotice } from '../../components/ErrorNotice.tsx';
import { logInToMembers, type MemberLogin, type MemberLoginResult } from './member-sessions.ts';

interface MembersLoginDialogProps {
  viewId: string;
  members: MemberLogin[];
  defaultUsername: string;
  onDone: () => void;
  onCancel: () => void;
}

export function MembersLoginDialog({ viewId, members, defaultUsername, onDone, onCancel }: MembersLoginDialogProps) {
  const [username, setUsername] = useState(defaultUsername);
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [results, setResults] = useState<MemberLoginResult[] | null>(null);

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (!username.trim() || !password) return;
    setBusy(true);
    const outcome = await logInToMembers(viewId, members, { username: username.trim(), password });
    setPassword('');
    setBusy(false);
    if (outcome.every((r) => r.error === null)) onDone();
    else setResults(outcome);
  }

  return (
    <Dialog title="Log in to all members" onClose={onCancel} testId="members-login-dialog">
      <form className="stack" onSubmit={submit} noValidate>
        <p className="field-hint">The password is exchanged for a token at each of these URLs (which you confirmed), kept for this session only, and never stored:</p>
        <ul className="panel-list small" data-testid="members-login-urls">
          {members.map((m) => (
            <li key={m.member}>
              <strong>{m.member}</strong> <code>{m.url}</code>
            </li>
          ))}
        </ul>
        <CredentialsFields username={username} password={password} onUsername={setUsername} onPassword={setPassword} autoFocusPassword />
        {results?.filter((r) => r.error !== null).map((r) => <ErrorNotice key={r.member} error={r.error} />)}
        <div className="dialog-actions">
          <button type="button" className="button-secondary" onClick={results ? onDone : onCancel}>
            {results ? 'Close' : 'Cancel'}
          </button>
          <button type="submit" disabled={busy || !username.trim() || !password}>
            {busy ? 'Logging in…' : 'Log in'}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
