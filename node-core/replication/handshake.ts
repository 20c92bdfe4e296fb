/**
 * The hello exchange of a link: what this node says (its name, URL, position with the peer,
 * whether it wants a copy, its tables and CA), the checks on the peer's hello, and waiting for
 * this database's copy turn. Only one link per database copies at a time; while another link
 * copies it in, a link waits before saying hello, since streaming a peer's whole log into a
 * database still being copied would apply most records twice, and log them.
 */
import type { Database } from '../storage/database.ts';
import { positionKey, SYNCED_KEY } from './apply.ts';
import { copyResumeFor } from './copy-resume.ts';
import { helloHorizon } from './horizon.ts';
import { REQUESTS_FEATURE } from './requests.ts';
import { NETWORK_FEATURE } from './network-messages.ts';
import { PROTOCOL_VERSION, ProtocolError, type Hello, type RelayAdvert, type TableSchema } from './protocol.ts';
import { RELAY_FEATURE } from './relay.ts';

/** What the handshake asks of the node (a subset of the link environment). */
export interface HandshakeEnvironment {
  nodeName: string;
  nodeUrl(): string | null;
  startTime(database: string): number | null;
  authority(): string | null;
}

export function tableSchemas(database: Database, filter: (name: string) => boolean = () => true): TableSchema[] {
  return database
    .tables()
    .filter((t) => filter(t.name))
    .map((t): TableSchema => ({ name: t.name, primaryKey: t.primaryKey, attributes: [...t.definition.attributes], replicate: t.definition.replicate }));
}

/**
 * This node's hello to `peer`; `wantsCopy` when it claimed this database's copy; `relay`: the
 * origins it streams directly, so the peer relays none of theirs (relay.ts).
 */
export function buildHello(env: HandshakeEnvironment, database: Database, peer: string, wantsCopy: boolean, relay: RelayAdvert, csr?: string): Hello {
  const position = database.getMeta<number>(positionKey(peer)) ?? 0;
  const hello: Hello = {
    t: 'hello',
    protocol: PROTOCOL_VERSION,
    node: env.nodeName,
    url: env.nodeUrl(),
    database: database.name,
    position,
    synced: !wantsCopy,
    startTime: position === 0 ? env.startTime(database.name) : null,
    tables: tableSchemas(database),
    ca: env.authority(),
    features: [NETWORK_FEATURE, REQUESTS_FEATURE, RELAY_FEATURE],
    ...helloHorizon(database),
    relay,
    ...(wantsCopy ? copyResumeFor(database, peer) : {}),
  };
  if (csr !== undefined) hello.csr = csr;
  return hello;
}

/** Whether this node still needs a copy of `database` (never synced and no start_time). */
export function needsCopy(env: HandshakeEnvironment, database: Database): boolean {
  return database.getMeta<boolean>(SYNCED_KEY) !== true && env.startTime(database.name) === null;
}

/** Throws ProtocolError when the peer's hello does not fit this link. */
export function checkPeerHello(hello: Hello, database: Database, expectedPeer: string | null): void {
  if (hello.protocol !== PROTOCOL_VERSION) throw new ProtocolError(`protocol version ${hello.protocol} is not ${PROTOCOL_VERSION}`);
  if (hello.database !== database.name) throw new ProtocolError(`hello for database '${hello.database}' on the link for '${database.name}'`);
  if (expectedPeer !== null && hello.node !== expectedPeer) throw new ProtocolError(`expected node '${expectedPeer}' but '${hello.node}' answered`);
}

/**
 * Wait while another link copies `database` in. `copyInProgress` resolves when that copy ends
 * (null when none runs); `ending` says the link closed meanwhile. Resolves false if it did.
 */
export async function waitForCopyTurn(
  env: HandshakeEnvironment,
  database: Database,
  copyInProgress: () => Promise<void> | null,
  ending: () => boolean,
): Promise<boolean> {
  for (;;) {
    if (ending()) return false;
    const copying = needsCopy(env, database) ? copyInProgress() : null;
    if (!copying) return true;
    await copying;
  }
}
