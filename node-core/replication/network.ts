/**
 * cluster_network: the whole cluster seen from one node, so one login on one node shows every
 * member. Each member's own cluster_status and a system summary are asked for over this node's
 * authenticated replication links (status-request / status-result); members this node has no
 * open link to are asked through a linked member (one hop: a relay never relays further).
 * Answers are cached for NETWORK_CACHE_MS so a polling dashboard costs one round per window;
 * every member reports how old its answer is. Nothing here carries a credential.
 */
import os from 'node:os';
import type { Link } from './link.ts';
import { NETWORK_FEATURE, type MemberStatus, type NetworkMessage, type StatusRequestMessage, type StatusResultMessage, type WireAnswer } from './network-messages.ts';

/** A round of questions is reused for this long: polling more often asks nobody anything. */
export const NETWORK_CACHE_MS = 2_000;
export const DEFAULT_NETWORK_TIMEOUT_MS = 5_000;
export const MIN_NETWORK_TIMEOUT_MS = 100;
export const MAX_NETWORK_TIMEOUT_MS = 60_000;
/** A relay waits this share of the asker's timeout for the members it asks, so its answer arrives in time. */
export const RELAY_TIMEOUT_SHARE = 0.6;

if (!(MIN_NETWORK_TIMEOUT_MS <= DEFAULT_NETWORK_TIMEOUT_MS && DEFAULT_NETWORK_TIMEOUT_MS <= MAX_NETWORK_TIMEOUT_MS)) {
  throw new Error('cluster_network: the default timeout must lie within its bounds');
}
if (!(RELAY_TIMEOUT_SHARE > 0 && RELAY_TIMEOUT_SHARE < 1)) throw new Error('cluster_network: a relay must answer within the asker’s timeout');

export interface MemberSystem {
  node_name: string;
  version: string;
  hostname: string;
  platform: string;
  uptime_s: number;
  cpu_load_percent: number;
  memory_rss_bytes: number;
}

/** One member in the cluster_network response. */
export interface MemberReport {
  node_name: string;
  url: string | null;
  status: MemberStatus;
  error?: string;
  via?: string;
  age_ms: number | null;
  answered_at: string | null;
  cluster_status?: Record<string, unknown>;
  system?: Record<string, unknown>;
}

export interface NetworkReport {
  type: 'cluster-network';
  node_name: string;
  members: MemberReport[];
}

/** What cluster_network needs of its node (the replication manager provides it). */
export interface NetworkHost {
  nodeName: string;
  /** every member: hdb_nodes rows and routes, this node included */
  members(): Array<{ name: string; url: string | null }>;
  links(): Link[];
  /** this node's own cluster_status response */
  clusterStatus(): Record<string, unknown>;
  system(): MemberSystem;
  /** why there is no open link to `peer` (its last dial error, or what is missing) */
  whyNotLinked(peer: string): string;
}

/** A member's last good answer and when (this node's clock) it was produced. */
interface Known {
  answer: WireAnswer;
  producedAt: number;
}

/** How the last round went for one member. */
interface Outcome {
  status: MemberStatus;
  error?: string;
  via?: string;
}

interface Pending {
  link: Link;
  resolve(answers: WireAnswer[]): void;
  reject(error: Error): void;
}

class LinkClosedError extends Error {
  override name = 'LinkClosedError';
}

class AnswerTimeoutError extends Error {
  override name = 'AnswerTimeoutError';
}

export class ClusterNetwork {
  #nextId = 1;
  readonly #pending = new Map<number, Pending>();
  readonly #watched = new WeakSet<Link>();
  readonly #known = new Map<string, Known>();
  #outcomes = new Map<string, Outcome>();
  #roundAt = 0;
  #round: Promise<void> | null = null;
  #own: Known | null = null;

  constructor(private readonly host: NetworkHost) {}

  /** The cluster_network response: every member, fresh or at most NETWORK_CACHE_MS old. */
  async report(timeoutMs: number): Promise<NetworkReport> {
    // A member added since the last round is asked now, not reported as never asked.
    const unasked = this.host.members().some((m) => m.name !== this.host.nodeName && !this.#outcomes.has(m.name));
    if (unasked || Date.now() - this.#roundAt >= NETWORK_CACHE_MS) {
      this.#round ??= this.#askAll(timeoutMs).finally(() => {
        this.#roundAt = Date.now();
        this.#round = null;
      });
      await this.#round;
    }
    const now = Date.now();
    const self = this.host.nodeName;
    const own = this.#ownAnswer();
    // This node first, then the others by name.
    const members = this.host
      .members()
      .sort((a, b) => Number(b.name === self) - Number(a.name === self) || a.name.localeCompare(b.name))
      .map(({ name, url }) => {
        if (name === self) return memberReport(name, url, { status: 'ok' }, own, now);
        const outcome = this.#outcomes.get(name) ?? { status: 'unreachable', error: 'not asked yet' };
        return memberReport(name, url, outcome, this.#known.get(name), now);
      });
    return { type: 'cluster-network', node_name: self, members };
  }

  /** A status request or answer arrived on `link`. */
  receive(link: Link, message: NetworkMessage): void {
    if (message.t === 'status-result') {
      const pending = this.#pending.get(message.id);
      if (pending?.link !== link) return;
      this.#pending.delete(message.id);
      pending.resolve(message.answers);
      return;
    }
    void this.#answer(link, message);
  }

  // ---- asking ----

  /** One round: every linked member, asked to relay to the members this node has no link to. */
  async #askAll(timeoutMs: number): Promise<void> {
    const others = this.host.members().filter((m) => m.name !== this.host.nodeName);
    const linked = new Map<string, Link>();
    for (const member of others) {
      const link = this.#linkTo(member.name);
      if (link) linked.set(member.name, link);
    }
    const unlinked = others.filter((m) => !linked.has(m.name)).map((m) => m.name);
    const outcomes = new Map<string, Outcome>();
    const relayed = new Map<string, string[]>();
    await Promise.all(
      [...linked].map(async ([peer, link]) => {
        const answers = await this.#ask(link, timeoutMs, unlinked).catch((error: Error) => error);
        if (answers instanceof Error) {
          outcomes.set(peer, { status: answers instanceof AnswerTimeoutError ? 'timeout' : 'unreachable', error: answers.message });
          return;
        }
        for (const answer of answers) {
          if (answer.node_name === peer) outcomes.set(peer, this.#record(answer, undefined));
          else if (unlinked.includes(answer.node_name)) {
            if (answer.status === 'ok' && outcomes.get(answer.node_name)?.status !== 'ok') outcomes.set(answer.node_name, this.#record(answer, peer));
            else relayed.set(answer.node_name, [...(relayed.get(answer.node_name) ?? []), `via '${peer}': ${answer.error ?? answer.status}`]);
          }
        }
        if (!outcomes.has(peer)) outcomes.set(peer, { status: 'error', error: `'${peer}' answered without its own status` });
      }),
    );
    for (const name of unlinked) {
      if (outcomes.get(name)?.status === 'ok') continue;
      const why = [`no open replication link from '${this.host.nodeName}' (${this.host.whyNotLinked(name)})`, ...(relayed.get(name) ?? [])];
      if (linked.size === 0) why.push('and no linked member to ask instead');
      outcomes.set(name, { status: 'unreachable', error: why.join('; ') });
    }
    this.#outcomes = outcomes;
    // Forget the answers of members that are gone.
    for (const name of this.#known.keys()) if (!others.some((m) => m.name === name)) this.#known.delete(name);
  }

  /** Keep a member's answer (ok ones are remembered with their age) and say how it went. */
  #record(answer: WireAnswer, via: string | undefined): Outcome {
    if (answer.status === 'ok') this.#known.set(answer.node_name, { answer, producedAt: Date.now() - (answer.age_ms ?? 0) });
    const outcome: Outcome = { status: answer.status };
    if (answer.error !== undefined) outcome.error = answer.error;
    const through = via ?? answer.via;
    if (through !== undefined) outcome.via = through;
    return outcome;
  }

  #ask(link: Link, timeoutMs: number, relay: string[]): Promise<WireAnswer[]> {
    this.#watch(link);
    const id = this.#nextId++;
    return new Promise<WireAnswer[]>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new AnswerTimeoutError(`'${link.peer}' did not answer within ${timeoutMs} ms`));
      }, timeoutMs);
      timer.unref();
      this.#pending.set(id, {
        link,
        resolve: (answers) => (clearTimeout(timer), resolve(answers)),
        reject: (error) => (clearTimeout(timer), reject(error)),
      });
      const request: StatusRequestMessage = { t: 'status-request', id, timeout_ms: timeoutMs, relay };
      link.sendNetwork(request);
    });
  }

  /** A link that closes fails the questions waiting on it at once, not at their timeout. */
  #watch(link: Link): void {
    if (this.#watched.has(link)) return;
    this.#watched.add(link);
    link.onClosed(() => {
      for (const [id, pending] of this.#pending) {
        if (pending.link !== link) continue;
        this.#pending.delete(id);
        pending.reject(new LinkClosedError(`the link to '${link.peer}' closed before it answered: ${link.closeReason}`));
      }
    });
  }

  /**
   * An open link to `peer` that may carry status requests, the system database's first (every
   * member has that one). A peer whose hello did not list NETWORK_FEATURE (an older version)
   * is not asked: it would close the link on a message it does not know.
   */
  #linkTo(peer: string): Link | undefined {
    const open = this.host.links().filter((l) => l.peer === peer && l.state === 'open' && l.peerHas(NETWORK_FEATURE));
    return open.find((l) => l.database.name === 'system') ?? open[0];
  }

  // ---- answering ----

  /** Answer a peer: this node's own status, and the members it was asked to relay to. */
  async #answer(link: Link, request: StatusRequestMessage): Promise<void> {
    const relayTimeout = Math.max(1, Math.floor(request.timeout_ms * RELAY_TIMEOUT_SHARE));
    const own = this.#ownAnswer();
    const targets = [...new Set(request.relay)].filter((name) => name !== this.host.nodeName && name !== link.peer);
    const relayed = await Promise.all(targets.map((name) => this.#relayTo(name, relayTimeout)));
    const result: StatusResultMessage = { t: 'status-result', id: request.id, answers: [wireOf(own), ...relayed] };
    link.sendNetwork(result);
  }

  /** A member's answer for a peer that cannot reach it: fresh from cache, else asked (no further relay). */
  async #relayTo(name: string, timeoutMs: number): Promise<WireAnswer> {
    const known = this.#known.get(name);
    if (known && Date.now() - known.producedAt < NETWORK_CACHE_MS) return { ...wireOf(known), via: this.host.nodeName };
    const link = this.#linkTo(name);
    if (!link) return { node_name: name, status: 'unreachable', error: `no open replication link from '${this.host.nodeName}' (${this.host.whyNotLinked(name)})`, age_ms: null, via: this.host.nodeName };
    try {
      const answers = await this.#ask(link, timeoutMs, []);
      const answer = answers.find((a) => a.node_name === name);
      if (!answer) return { node_name: name, status: 'error', error: `'${name}' answered without its own status`, age_ms: null, via: this.host.nodeName };
      this.#record(answer, undefined);
      return { ...answer, via: this.host.nodeName };
    } catch (error) {
      const status: MemberStatus = error instanceof AnswerTimeoutError ? 'timeout' : 'unreachable';
      return { node_name: name, status, error: (error as Error).message, age_ms: null, via: this.host.nodeName };
    }
  }

  /** This node's own answer, made at most once per NETWORK_CACHE_MS. */
  #ownAnswer(): Known {
    if (this.#own && Date.now() - this.#own.producedAt < NETWORK_CACHE_MS) return this.#own;
    let answer: WireAnswer;
    try {
      answer = { node_name: this.host.nodeName, status: 'ok', age_ms: 0, cluster_status: this.host.clusterStatus(), system: { ...this.host.system() } };
    } catch (error) {
      answer = { node_name: this.host.nodeName, status: 'error', error: `could not make its status: ${(error as Error).message}`, age_ms: 0 };
    }
    this.#own = { answer, producedAt: Date.now() };
    return this.#own;
  }
}

/** An answer as it goes on the wire: its age now. */
function wireOf(known: Known): WireAnswer {
  return { ...known.answer, age_ms: Math.max(0, Date.now() - known.producedAt) };
}

function memberReport(name: string, url: string | null, outcome: Outcome, known: Known | undefined | null, now: number): MemberReport {
  const report: MemberReport = {
    node_name: name,
    url,
    status: known?.answer.status === 'error' && outcome.status === 'ok' ? 'error' : outcome.status,
    age_ms: known ? Math.max(0, now - known.producedAt) : null,
    answered_at: known ? new Date(known.producedAt).toUTCString() : null,
  };
  const error = outcome.error ?? (report.status === 'error' ? known?.answer.error : undefined);
  if (error !== undefined) report.error = error;
  if (outcome.via !== undefined) report.via = outcome.via;
  if (report.status === 'ok' && known) {
    if (known.answer.cluster_status) report.cluster_status = known.answer.cluster_status;
    if (known.answer.system) report.system = known.answer.system;
  }
  return report;
}

/**
 * CPU use of this process as a percentage of one core, over the time since the last sample
 * (or since the process started): the node's own load, not the host's.
 */
export class CpuSampler {
  #usage = process.cpuUsage();
  #at = performance.now();
  #percent = (() => {
    const used = process.cpuUsage();
    const wallUs = process.uptime() * 1e6;
    return wallUs > 0 ? ((used.user + used.system) / wallUs) * 100 : 0;
  })();

  percent(): number {
    const now = performance.now();
    const elapsedUs = (now - this.#at) * 1000;
    if (elapsedUs >= 100_000) {
      const delta = process.cpuUsage(this.#usage);
      this.#percent = ((delta.user + delta.system) / elapsedUs) * 100;
      this.#usage = process.cpuUsage();
      this.#at = now;
    }
    return Math.round(this.#percent * 10) / 10;
  }
}

/** The system summary a member gives with its cluster_status. */
export function systemSummary(nodeName: string, version: string, startedAt: number, cpu: CpuSampler): MemberSystem {
  return {
    node_name: nodeName,
    version,
    hostname: os.hostname(),
    platform: process.platform,
    uptime_s: Math.round((Date.now() - startedAt) / 1000),
    cpu_load_percent: cpu.percent(),
    memory_rss_bytes: process.memoryUsage().rss,
  };
}
