// Contract tests: the renderer reads HarperDB 4.7's responses as HarperDB's public
// operations-API reference documents them (test/unit/harperdb-fixtures/*.json, each naming its
// source). Every view that reads them: the cluster view (cluster_status, lag, the fallback when
// cluster_network is unknown), the status view and "Test connection" (system_information with
// registration_info), the table browser (the request form for "All records") and the
// certificates view (distinguished names, self-signed). Where a node must be asked, its answers
// are the documented ones, replayed through the renderer's own Transport seam.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { OpsError } from '../../renderer/api/errors.ts';
import type { ClusterStatusResponse } from '../../renderer/api/operations/cluster-status.ts';
import type { CertificateRecord } from '../../renderer/api/operations/list-certificates.ts';
import { summarizeSystem, versionText, type RegistrationInfo } from '../../renderer/api/operations/system-summary.ts';
import { OpsClient } from '../../renderer/api/ops-client.ts';
import type { Transport, TransportRequest } from '../../renderer/api/transport.ts';
import { commonNameOf, formatDistinguishedName, isSelfSigned, parseDistinguishedName } from '../../renderer/features/certificates/dn.ts';
import { classifyExpiry, subjectAltNames } from '../../renderer/features/certificates/model.ts';
import type { ConnectionProfile } from '../../renderer/features/connections/model.ts';
import { browseRecords, isEmptyConditionsRefusal, valueFormOf } from '../../renderer/features/tables/browse-form.ts';
import { buildRequest, initialQueryState } from '../../renderer/features/tables/query-state.ts';
import { crawl, OtherNodeAnswered } from '../../renderer/features/topology/crawl.ts';
import { parseNodeRow } from '../../renderer/features/topology/hdb-nodes.ts';
import { buildTopology, isLiveLink, matrixCell, socketLagMs } from '../../renderer/features/topology/model.ts';

function fixture<T>(name: string): { source: string; response: T } & Record<string, unknown> {
  return JSON.parse(fs.readFileSync(path.join(import.meta.dirname, 'harperdb-fixtures', `${name}.json`), 'utf8')) as { source: string; response: T };
}

const clusterStatus = fixture<ClusterStatusResponse>('cluster_status').response;
const certificates = fixture<CertificateRecord[]>('list_certificates').response;
const registration = fixture<RegistrationInfo>('registration_info').response;
const systemInformation = fixture<Record<string, unknown>>('system_information').response;
const searchFixture = fixture<Array<Record<string, unknown>>>('search_by_conditions');
const emptyConditionsError = searchFixture.emptyConditionsError as { status: number; body: { error: string } };

/** Answers each operation with a documented response; records what was sent where. */
function replay(answers: Record<string, { status: number; body: unknown }>): Transport & { sent: TransportRequest[] } {
  const sent: TransportRequest[] = [];
  return {
    kind: 'fetch',
    sent,
    async send(request) {
      sent.push(request);
      const operation = (JSON.parse(request.body) as { operation: string }).operation;
      const answer = answers[operation] ?? { status: 400, body: { error: `Operation '${operation}' not found` } };
      return { status: answer.status, text: JSON.stringify(answer.body) };
    },
  };
}

const profile = (url: string): ConnectionProfile => ({ id: 'hdb-1', kind: 'remote', name: 'HarperDB 1', url, colour: '#2a7', production: false });

test('cluster_status: the link, its latency, and lag from lastReceivedRemoteTime/lastReceivedLocalTime (no lag_ms)', () => {
  const socket = clusterStatus.connections[0]!.database_sockets[0]!;
  assert.equal(socket.lag_ms, undefined, 'HarperDB sends no lag_ms');
  assert.equal(socketLagMs(socket), 90_000, '16:50:59 received, written 16:49:29');
  const topology = buildTopology({
    currentId: clusterStatus.node_name,
    at: 0,
    readings: [
      { id: clusterStatus.node_name, name: clusterStatus.node_name, access: 'current', profileId: 'hdb-1', opsUrl: 'https://server-1.domain.com:9925', client: null, status: clusterStatus, rows: null, error: null, note: null, ageMs: null, system: null, suggestedUrl: null },
    ],
  });
  assert.deepEqual(topology.members.map((m) => [m.id, m.replicationUrl]), [
    ['server-1.domain.com', null],
    ['server-2.domain.com', 'wss://server-2.domain.com:9933'],
  ]);
  const [link] = topology.links;
  assert.equal(link?.health.kind, 'connected');
  assert.equal(link?.latencyMs, 0.7);
  assert.equal(link?.lagMs, 90_000);
  assert.equal(isLiveLink(link!), true);
  assert.deepEqual(matrixCell('server-1.domain.com', 'server-2.domain.com', clusterStatus, false), { kind: 'up', latencyMs: 0.7, up: 1, total: 1, stale: false });
});

test('system_information + registration_info: host name, not a node name; the version from registration_info; the OS uptime named as such', () => {
  const s = summarizeSystem(systemInformation, registration);
  assert.equal(s.nodeName, null);
  assert.equal(s.hostname, 'vm');
  assert.equal(versionText(s), 'HarperDB 4.2.0');
  assert.equal(s.processUptimeSeconds, null, "HarperDB's time.uptime is the OS's");
  assert.equal(s.hostUptimeSeconds, 864_000);
  assert.deepEqual(s.loadAverage, [0.42]);
  assert.equal(s.cpuPercent, 12.5);
  assert.equal(s.heapUsedBytes, 104_857_600);
  assert.equal(s.heapTotalBytes, 157_286_400);
  assert.equal(s.rssBytes, null);
  assert.equal(s.disk, null, 'an empty disk is no disk, not 0 of 0');
  assert.deepEqual(s.databases, [{ name: 'data', sizeBytes: 98_304, tables: 2, records: 15 }]);
  // Without registration_info the product is still known, the version is not guessed.
  assert.equal(versionText(summarizeSystem(systemInformation)), 'HarperDB, version unknown');
  // Peerdesk's own shape is read as before.
  const peerdesk = summarizeSystem({ system: { node_name: 'n1', hostname: 'h', peerdesk_version: '0.1.0' }, time: { uptime: 999, node_uptime_ms: 5000 }, cpu: { load_average: [1, 2, 3] }, memory: { rss: 10, heap_used: 5 } });
  assert.deepEqual([peerdesk.nodeName, versionText(peerdesk), peerdesk.processUptimeSeconds, peerdesk.hostUptimeSeconds, peerdesk.loadAverage, peerdesk.heapUsedBytes], ['n1', 'Peerdesk 0.1.0', 5, null, [1, 2, 3], 5]);
});

test('table browsing: "All records" falls back to search_by_value on the primary key with "*", sort, limit and offset, once per connection', async () => {
  const state = { ...initialQueryState('id'), page: 1, pageSize: 25, sort: { attribute: 'dog_name', descending: true } };
  const built = buildRequest({ database: 'dev', table: 'dog' }, state, 'id');
  assert.equal(built.operation, 'search_by_conditions');
  if (built.operation !== 'search_by_conditions') return;
  assert.deepEqual(valueFormOf(built.request, 'id'), { database: 'dev', table: 'dog', attribute: 'id', value: '*', sort: { attribute: 'dog_name', descending: true }, limit: 26, offset: 25 });
  assert.equal(isEmptyConditionsRefusal(new OpsError('search_by_conditions', 'HarperDB 1', 'http', emptyConditionsError.body.error, 400)), true);
  assert.equal(isEmptyConditionsRefusal(new OpsError('search_by_conditions', 'HarperDB 1', 'http', 'Login failed', 401)), false);

  const transport = replay({ search_by_conditions: emptyConditionsError, search_by_value: { status: 200, body: searchFixture.response } });
  const client = new OpsClient({ connectionId: 'hdb-browse', nodeLabel: 'HarperDB 1', baseUrl: 'https://server-1.domain.com:9925', auth: { kind: 'none' }, transport });
  assert.deepEqual(await browseRecords(client, built.request, 'id'), searchFixture.response);
  assert.deepEqual(await browseRecords(client, built.request, 'id'), searchFixture.response);
  const asked = transport.sent.map((r) => JSON.parse(r.body) as Record<string, unknown>);
  assert.deepEqual(asked.map((b) => b.operation), ['search_by_conditions', 'search_by_value', 'search_by_value'], 'the refusal is remembered');
  assert.deepEqual(asked[1], { get_attributes: ['*'], database: 'dev', table: 'dog', attribute: 'id', value: '*', sort: { attribute: 'dog_name', descending: true }, limit: 26, offset: 25, operation: 'search_by_value' });
});

test('certificates: names with escaped commas and space-separated RDNs; self-signed from issuer and subject, not the flag', () => {
  const [ca, leaf] = certificates as [CertificateRecord, CertificateRecord];
  assert.deepEqual(parseDistinguishedName(leaf.details?.subject), [
    { type: 'CN', value: 'node.1' },
    { type: 'C', value: 'USA' },
    { type: 'ST', value: 'Colorado' },
    { type: 'L', value: 'Denver' },
    { type: 'O', value: 'HarperDB, Inc.' },
  ]);
  assert.equal(commonNameOf(leaf.details?.subject), 'node.1');
  assert.equal(commonNameOf(ca.details?.issuer), 'HarperDB-Certificate-Authority-node1');
  assert.equal(formatDistinguishedName(leaf.details?.subject), 'CN=node.1, C=USA, ST=Colorado, L=Denver, O=HarperDB, Inc.');
  assert.equal(ca.is_self_signed && isSelfSigned(ca), true, 'the CA is self-signed');
  assert.equal(leaf.is_self_signed, true, 'HarperDB flags its CA-issued leaf');
  assert.equal(isSelfSigned(leaf), false, 'issued by the CA: not self-signed');
  assert.deepEqual(subjectAltNames(leaf.details?.subject_alt_name), ['127.0.0.1', 'localhost', '0:0:0:0:0:0:0:1', 'node.1']);
  assert.equal(classifyExpiry(leaf.details?.valid_from, leaf.details?.valid_to, Date.parse('2025-02-12T00:00:00Z')).state, 'valid');
  // Peerdesk's comma form and RFC 4514 hex escapes read the same way.
  assert.deepEqual(parseDistinguishedName('CN=node-1, O=Peerdesk'), [{ type: 'CN', value: 'node-1' }, { type: 'O', value: 'Peerdesk' }]);
  assert.equal(parseDistinguishedName('O=A\\2CB')[0]?.value, 'A,B');
});

test('a HarperDB cluster (no cluster_network): members are not asked until their URL is confirmed; another node answering is reported', async () => {
  const current = replay({ cluster_status: { status: 200, body: clusterStatus }, search_by_value: { status: 200, body: [] } });
  const client = new OpsClient({ connectionId: 'hdb-1', nodeLabel: 'HarperDB 1', baseUrl: 'https://server-1.domain.com:9925', auth: { kind: 'token', operationToken: 'tok-1' }, transport: current });
  const first = await crawl({ current: { profile: profile('https://server-1.domain.com:9925'), client }, saved: [], extras: [], confirmed: new Map() });
  assert.equal(first.source, 'members');
  const member = first.readings.find((r) => r.id === 'server-2.domain.com');
  assert.equal(member?.access, 'unconfirmed');
  assert.equal(member?.suggestedUrl, 'https://server-2.domain.com:9925', "pre-filled from the replication URL's host and this connection's port");
  assert.deepEqual([...new Set(current.sent.map((r) => r.url))], ['https://server-1.domain.com:9925/'], 'nothing was sent to the member');

  // The user confirms a URL, logs in there, and the machine answers as server-1 (HarperDB listens on every interface).
  const wrong = replay({ cluster_status: { status: 200, body: clusterStatus }, search_by_value: { status: 200, body: [] } });
  const memberClient = new OpsClient({ connectionId: 'm2', nodeLabel: 'server-2', baseUrl: 'https://10.0.0.2:9925', auth: { kind: 'token', operationToken: 'tok-2' }, transport: wrong });
  const second = await crawl({
    current: { profile: profile('https://server-1.domain.com:9925'), client },
    saved: [],
    extras: [],
    confirmed: new Map([['server-2.domain.com', { url: 'https://10.0.0.2:9925', client: memberClient }]]),
  });
  const reported = second.readings.find((r) => r.id === 'server-2.domain.com');
  assert.ok(reported?.error instanceof OtherNodeAnswered, 'reported, not silently dropped');
  assert.match((reported.error as Error).message, /answered as node “server-1\.domain\.com”, not “server-2\.domain\.com”/);
  assert.ok(wrong.sent.every((r) => r.headers.Authorization === 'Bearer tok-2'), "the member is asked with its own login, never this connection's");
});

test("hdb_nodes rows: HarperDB's subscriptions array (add_node's documented shape) is the reading node's; Peerdesk's subscriptions_by_node keeps each setter's", () => {
  // The subscription objects of docs/developers/operations-api/clustering.md (Add Node / Update Node).
  const documented = [{ database: 'dev', table: 'my-table', subscribe: true, publish: true }];
  const harperdb = parseNodeRow({ name: 'server-two', url: 'wss://server-two:9933', replicates: true, subscriptions: documented, ca_info: { subject: 'CN=x' } }, 'server-one');
  assert.deepEqual(harperdb?.subscriptions, { 'server-one': documented });
  assert.deepEqual(harperdb?.extra, { replicates: true, ca_info: { subject: 'CN=x' } });
  const peerdesk = parseNodeRow({ name: 'b', url: null, subscriptions: documented, subscriptions_by_node: { a: documented, c: [] } }, 'a');
  assert.deepEqual(peerdesk?.subscriptions, { a: documented, c: [] });
});
