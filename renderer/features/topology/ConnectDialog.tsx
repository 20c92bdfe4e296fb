/**
 * What add_node needs to link two nodes, asked after a link is drawn: the peer's credentials
 * for a first contact (user name prefilled, the password kept only in this dialog until sent),
 * whether to verify the peer's TLS certificate (dangerous when off, and said why in one line),
 * an optional start time instead of the initial copy, and optionally only some databases.
 * add_node runs on the node that dials (the source, or the other end when only it can be
 * reached from here); the dialog hands the request to the view, which shows the pending link.
 */
import { CredentialsFields } from '../../components/CredentialsFields.tsx';
import { useQuery } from '@tanstack/react-query';
import { useId, useState, type FormEvent } from 'react';
import type { AddNodeRequest } from '../../api/operations/add-node.ts';
import { describeAll } from '../../api/operations/describe-all.ts';
import { Dialog } from '../../components/Dialog.tsx';
import { ErrorNotice } from '../../components/ErrorNotice.tsx';
import type { MemberView } from './TopologyGraph.tsx';

interface ConnectDialogProps {
  /** the node that runs add_node */
  caller: MemberView;
  /** the node it dials */
  peer: MemberView;
  /** true when the link was drawn the other way and the ends were swapped (only this end can be reached) */
  swapped: boolean;
  defaultUsername: string;
  onSubmit: (request: AddNodeRequest) => void;
  onCancel: () => void;
}

export function ConnectDialog({ caller, peer, swapped, defaultUsername, onSubmit, onCancel }: ConnectDialogProps) {
  const client = caller.member.reading?.client ?? null;
  const [firstContact, setFirstContact] = useState(true);
  const [username, setUsername] = useState(defaultUsername);
  const [password, setPassword] = useState('');
  const [verifyTls, setVerifyTls] = useState(true);
  const [useStartTime, setUseStartTime] = useState(false);
  const [startTime, setStartTime] = useState('');
  const [scope, setScope] = useState<'all' | 'selected'>('all');
  const [databases, setDatabases] = useState<Set<string>>(new Set());
  const [touched, setTouched] = useState(false);
  const dangerId = useId();
  const described = useQuery({
    queryKey: [client?.connectionId ?? 'none', 'describe_all'],
    queryFn: ({ signal }) => describeAll(client!, signal),
    enabled: client !== null && scope === 'selected',
  });
  const peerName = peer.member.name;

  const problems: string[] = [];
  if (!client) problems.push(`${caller.label} cannot be reached from here, so it cannot run add_node. Log in to it first.`);
  if (!peerName) problems.push(`The node name of ${peer.label} is not known: it could not be read.`);
  if (firstContact && !username.trim()) problems.push('Enter a user name of the peer.');
  if (firstContact && !password) problems.push('Enter the password of that user on the peer.');
  const startMs = useStartTime ? Date.parse(startTime) : NaN;
  if (useStartTime && !Number.isFinite(startMs)) problems.push('Enter the date and time to replicate from.');
  if (scope === 'selected' && databases.size === 0) problems.push('Choose at least one database, or replicate all of them.');

  function submit(event: FormEvent) {
    event.preventDefault();
    setTouched(true);
    if (problems.length > 0 || !peerName) return;
    const tables = described.data ?? {};
    const request: AddNodeRequest = {
      hostname: peerName,
      ...(peer.member.replicationUrl ? { url: peer.member.replicationUrl } : {}),
      ...(firstContact ? { authorization: { username: username.trim(), password } } : {}),
      verify_tls: verifyTls,
      ...(useStartTime ? { start_time: new Date(startMs).toISOString() } : {}),
      ...(scope === 'selected'
        ? {
            subscriptions: [...databases].sort().flatMap((database) =>
              Object.keys(tables[database] ?? {})
                .sort()
                .map((table) => ({ database, table, publish: true, subscribe: true })),
            ),
          }
        : {}),
    };
    onSubmit(request);
  }

  return (
    <Dialog title={`Connect ${caller.label} to ${peer.label}`} onClose={onCancel} testId="connect-dialog">
      <form className="stack" onSubmit={submit} noValidate>
        <p>
          <strong>{caller.label}</strong> will run <code>add_node</code> and dial <strong>{peerName ?? peer.label}</strong>
          {peer.member.replicationUrl ? (
            <>
              {' '}
              at <code>{peer.member.replicationUrl}</code>
            </>
          ) : null}
          ; both then replicate with each other{caller.member.inCluster && peer.member.inCluster ? '' : ', and with the rest of the cluster they learn of'}.
          {swapped && ` (${peer.label} cannot be reached from here, so the link is made from ${caller.label}.)`}
        </p>

        <fieldset className="field">
          <legend>Credentials for {peer.label}</legend>
          <label className="check">
            <input type="checkbox" checked={firstContact} onChange={(e) => setFirstContact(e.target.checked)} />
            <span>
              First contact: send a super_user of the peer
              <span className="field-hint"> — used for this one handshake and then discarded; never stored.</span>
            </span>
          </label>
          {firstContact && (
            <CredentialsFields username={username} password={password} onUsername={setUsername} onPassword={setPassword} autoFocusPassword />
          )}
        </fieldset>

        <div className="field">
          <label className="check">
            <input type="checkbox" checked={verifyTls} onChange={(e) => setVerifyTls(e.target.checked)} aria-describedby={verifyTls ? undefined : dangerId} />
            <span>
              Verify the peer's TLS certificate
              {!verifyTls && <span className="tag tag-prod">Dangerous</span>}
            </span>
          </label>
          {!verifyTls && (
            <p className="notice notice-warn small" id={dangerId} data-testid="verify-tls-warning">
              Off: {caller.label} accepts any certificate from the peer, so anyone who can intercept the connection can pose as it and receive the credentials and data.
            </p>
          )}
        </div>

        <div className="field">
          <label className="check">
            <input type="checkbox" checked={useStartTime} onChange={(e) => setUseStartTime(e.target.checked)} />
            <span>
              Skip the initial copy
              <span className="field-hint"> — replicate only changes made after a time (start_time), for nodes that already hold the data.</span>
            </span>
          </label>
          {useStartTime && (
            <label className="field">
              <span>Replicate changes after</span>
              <input type="datetime-local" step={1} value={startTime} onChange={(e) => setStartTime(e.target.value)} />
            </label>
          )}
        </div>

        <fieldset className="field">
          <legend>Replicate</legend>
          <label className="check">
            <input type="radio" name="scope" checked={scope === 'all'} onChange={() => setScope('all')} />
            <span>All databases, both ways (default)</span>
          </label>
          <label className="check">
            <input type="radio" name="scope" checked={scope === 'selected'} onChange={() => setScope('selected')} />
            <span>
              Only selected databases
              <span className="field-hint"> — sets explicit subscriptions; tables created later need adding in the subscriptions editor.</span>
            </span>
          </label>
          {scope === 'selected' && (
            <div className="database-choices">
              {described.isPending && <span className="muted small">Listing the databases of {caller.label}…</span>}
              <ErrorNotice error={described.error} />
              {described.data &&
                Object.keys(described.data)
                  .sort()
                  .map((database) => (
                    <label key={database} className="check">
                      <input
                        type="checkbox"
                        checked={databases.has(database)}
                        onChange={(e) =>
                          setDatabases((current) => {
                            const next = new Set(current);
                            if (e.target.checked) next.add(database);
                            else next.delete(database);
                            return next;
                          })
                        }
                      />
                      <span>
                        {database} <span className="muted small">({Object.keys(described.data[database] ?? {}).length} tables)</span>
                      </span>
                    </label>
                  ))}
            </div>
          )}
        </fieldset>

        {touched && problems.length > 0 && (
          <ul className="field-error problems" role="alert">
            {problems.map((p) => (
              <li key={p}>{p}</li>
            ))}
          </ul>
        )}
        <div className="dialog-actions">
          <button type="button" className="button-secondary" onClick={onCancel}>
            Cancel
          </button>
          <button type="submit" disabled={!client}>
            Connect
          </button>
        </div>
      </form>
    </Dialog>
  );
}
