/**
 * The local node's state, URL and start/stop/restart. In the desktop app the state comes from
 * the bridge (and its state events) and the buttons drive the embedded node; in a browser (the
 * page served by the node itself) the state is whether the node answers, and the buttons
 * explain where they work.
 */
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { bridge, viaBridge, type LocalNodeState, type LocalNodeStatus } from '../../api/bridge.ts';
import { systemInformationQuery } from '../../api/operations/system-information.ts';
import type { OpsClient } from '../../api/ops-client.ts';
import { ErrorNotice } from '../../components/ErrorNotice.tsx';
import { Icon } from '../../components/Icon.tsx';
import { StatusBadge, type Tone } from '../../components/StatusBadge.tsx';
import type { ConnectionProfile } from '../connections/model.ts';

const STATE_TONE: Record<LocalNodeState, Tone> = { running: 'ok', starting: 'info', stopping: 'info', stopped: 'idle', failed: 'bad' };

type Action = 'start' | 'stop' | 'restart';

/** The embedded node's status from the bridge, kept current by its state events. */
function useBridgeStatus(): LocalNodeStatus | null {
  const [status, setStatus] = useState<LocalNodeStatus | null>(null);
  useEffect(() => {
    const api = bridge();
    if (!api) return;
    let live = true;
    viaBridge(api.getLocalNode()).then(
      (info) => live && setStatus(info),
      () => undefined,
    );
    const unsubscribe = api.localNode.onState((next) => live && setStatus(next));
    return () => {
      live = false;
      unsubscribe();
    };
  }, []);
  return status;
}

export function LifecycleControls({ client, profile }: { client: OpsClient; profile: ConnectionProfile }) {
  const queryClient = useQueryClient();
  const api = bridge();
  const answering = useQuery({ ...systemInformationQuery(client, { attributes: ['system', 'time'] }), retry: false });
  const status = useBridgeStatus();
  const [busy, setBusy] = useState<Action | null>(null);
  const [failure, setFailure] = useState<unknown>(null);

  async function run(action: Action) {
    if (!api) return;
    setBusy(action);
    setFailure(null);
    try {
      await viaBridge(api.localNode[action]());
    } catch (error) {
      setFailure(error);
    } finally {
      setBusy(null);
      await queryClient.invalidateQueries({ queryKey: [profile.id] });
    }
  }

  const state = status?.state;
  const badge = state
    ? { tone: STATE_TONE[state], word: state[0]!.toUpperCase() + state.slice(1) }
    : answering.isSuccess
      ? { tone: 'ok' as const, word: 'Running' }
      : answering.isError
        ? { tone: 'bad' as const, word: 'Not answering' }
        : { tone: 'idle' as const, word: 'Checking' };

  return (
    <section className="card" aria-labelledby="lifecycle-title">
      <h3 id="lifecycle-title">Local node</h3>
      <dl className="facts">
        <dt>State</dt>
        <dd data-testid="local-node-state">
          <StatusBadge tone={badge.tone} title={status?.error?.message}>
            {badge.word}
          </StatusBadge>
          {status?.error && <span className="row-error small block">{status.error.message}</span>}
        </dd>
        <dt>URL</dt>
        <dd>
          <code>{status?.url ?? profile.url}</code>
        </dd>
        <dt>Node name</dt>
        <dd>{status?.nodeName ?? answering.data?.system?.node_name ?? '—'}</dd>
        {status && (
          <>
            <dt>Data</dt>
            <dd>
              <code>{status.rootPath}</code>
            </dd>
          </>
        )}
      </dl>
      {api && (
      <div className="row wrap" data-testid="lifecycle-buttons">
        <button type="button" className="button-secondary" disabled={busy !== null || state === 'running' || state === 'starting'} onClick={() => void run('start')}>
          <Icon name="play" /> {busy === 'start' ? 'Starting…' : 'Start'}
        </button>
        <button type="button" className="button-secondary" disabled={busy !== null || state === 'stopped' || state === 'stopping'} onClick={() => void run('stop')}>
          <Icon name="stop" /> {busy === 'stop' ? 'Stopping…' : 'Stop'}
        </button>
        <button type="button" className="button-secondary" disabled={busy !== null} onClick={() => void run('restart')}>
          <Icon name="restart" /> {busy === 'restart' ? 'Restarting…' : 'Restart'}
        </button>
      </div>
      )}
      {!api && (
        <p className="field-hint" data-testid="lifecycle-note">
          Start, stop and restart are available in the Peerdesk desktop app, which runs this node. This page is served by the node itself, so it cannot stop or
          start it; from a terminal, stop it with Ctrl+C or SIGTERM.
        </p>
      )}
      <ErrorNotice error={failure} />
    </section>
  );
}
