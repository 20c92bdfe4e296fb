// The "Node" card: asks the node that served this page for system_information with the
// credentials the user types, and shows its name and uptime or the node's error text.
import { useRef, useState, type FormEvent } from 'react';
import { OpsRequestError, postOperation } from '../../api/ops-client.ts';
import { formatUptime, summarizeSystemInformation, type NodeSummary } from './system-info.ts';

type CardState =
  | { kind: 'idle' }
  | { kind: 'loading' }
  | { kind: 'ok'; summary: NodeSummary }
  | { kind: 'error'; text: string };

export function NodeCard() {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [state, setState] = useState<CardState>({ kind: 'idle' });
  const inFlight = useRef<AbortController | null>(null);

  async function check(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    inFlight.current?.abort();
    const controller = new AbortController();
    inFlight.current = controller;
    setState({ kind: 'loading' });
    try {
      const info = await postOperation<unknown>(
        { operation: 'system_information' },
        { username, password },
        '',
        controller.signal,
      );
      setState({ kind: 'ok', summary: summarizeSystemInformation(info) });
    } catch (error) {
      if (controller.signal.aborted) return;
      const text =
        error instanceof OpsRequestError
          ? `${error.message}${error.status ? ` (HTTP ${error.status})` : ''}`
          : String(error);
      setState({ kind: 'error', text });
    }
  }

  return (
    <section className="card" aria-labelledby="node-card-title">
      <h2 id="node-card-title">Node</h2>
      <form onSubmit={check}>
        <label>
          Username
          <input
            name="username"
            autoComplete="username"
            required
            value={username}
            onChange={(e) => setUsername(e.target.value)}
          />
        </label>
        <label>
          Password
          <input
            name="password"
            type="password"
            autoComplete="current-password"
            required
            value={password}
            onChange={(e) => setPassword(e.target.value)}
          />
        </label>
        <button type="submit" disabled={state.kind === 'loading'}>
          {state.kind === 'loading' ? 'Checking…' : 'Check node'}
        </button>
      </form>
      <div className="result" role="status" aria-live="polite">
        {state.kind === 'ok' && (
          <dl>
            <dt>Node</dt>
            <dd data-testid="node-name">{state.summary.name ?? 'unknown'}</dd>
            <dt>Uptime</dt>
            <dd data-testid="node-uptime">
              {state.summary.uptimeSeconds === null ? 'unknown' : formatUptime(state.summary.uptimeSeconds)}
            </dd>
          </dl>
        )}
        {state.kind === 'error' && (
          <p className="error" data-testid="node-error">
            {state.text}
          </p>
        )}
      </div>
    </section>
  );
}
