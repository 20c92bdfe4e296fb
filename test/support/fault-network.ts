/**
 * A cluster whose every replication link goes through a FaultProxy, so a test can partition,
 * silence, slow or corrupt the link between any two nodes, one direction at a time, over ws or
 * wss. Each node keeps its name (the address peers dial, which its certificate names) and binds
 * to a second loopback address; a proxy on the name's address forwards to it (fault-proxy.ts
 * says why this leaves the node's peer checks intact). Over wss the nodes carry certificates
 * from one private test CA, given as tls.* files.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPLICATION_PORT, SECURE_REPLICATION_PORT, startClusterNode, type ClusterNodeOptions } from './cluster.ts';
import { FaultProxy, type Fault } from './fault-proxy.ts';
import { freshLoopbackAddress, type NodeProcess } from './node-process.ts';
import { createTestAuthority, issueTestCertificate, type TestAuthority } from './pki.ts';

export type Scheme = 'ws' | 'wss';

export interface FaultNetworkOptions {
  scheme: Scheme;
  seed: number;
  /** per-node extras (retention, env for clock skew, databases...) */
  perNode?: (index: number) => ClusterNodeOptions;
  /** start only these node indexes now (the others with startNode later); default all */
  startNow?: number[];
}

interface Slot {
  name: string;
  bind: string;
  proxy: FaultProxy;
  options: ClusterNodeOptions;
  node: NodeProcess | null;
}

export class FaultNetwork {
  readonly #slots: Slot[];
  readonly #files: string;

  private constructor(slots: Slot[], files: string, readonly scheme: Scheme) {
    this.#slots = slots;
    this.#files = files;
  }

  static async start(count: number, options: FaultNetworkOptions): Promise<FaultNetwork> {
    const files = fs.mkdtempSync(path.join(os.tmpdir(), 'peerdesk-faults-'));
    const port = options.scheme === 'wss' ? SECURE_REPLICATION_PORT : REPLICATION_PORT;
    const names = Array.from({ length: count }, () => freshLoopbackAddress());
    const authority: TestAuthority | null = options.scheme === 'wss' ? await createTestAuthority('Peerdesk Fault Test CA') : null;
    const slots: Slot[] = [];
    for (const [i, name] of names.entries()) {
      const bind = freshLoopbackAddress();
      const proxy = await FaultProxy.start({ listenHost: name, listenPort: port, targetHost: bind, targetPort: port, seed: options.seed + i });
      const extra = options.perNode?.(i) ?? {};
      const args = [`--OPERATIONSAPI_NETWORK_HOST=${bind}`, ...(extra.args ?? [])];
      if (authority) {
        const certificate = await issueTestCertificate(authority, name);
        const file = (suffix: string, text: string) => {
          const target = path.join(files, `${name}.${suffix}`);
          fs.writeFileSync(target, text, { mode: 0o600 });
          return target;
        };
        args.push(`--TLS_CERTIFICATE=${file('crt', certificate.certificate)}`, `--TLS_PRIVATEKEY=${file('key', certificate.privateKey)}`, `--TLS_CERTIFICATEAUTHORITY=${file('ca.crt', authority.certificate)}`);
      }
      const routes = names.filter((other) => other !== name);
      slots.push({ name, bind, proxy, options: { ...extra, host: name, routes, secure: options.scheme === 'wss', args }, node: null });
    }
    const network = new FaultNetwork(slots, files, options.scheme);
    const now = options.startNow ?? slots.map((_, i) => i);
    // Settle every start before cleaning up, or a node still starting would be left running.
    const started = await Promise.allSettled(now.map((i) => network.startNode(i)));
    const failed = started.find((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
    if (failed) {
      await network.cleanup();
      throw failed.reason;
    }
    return network;
  }

  /** Start node `index` (first start only; restart with node(i).restart()). */
  async startNode(index: number): Promise<NodeProcess> {
    const slot = this.#slot(index);
    if (slot.node) return slot.node;
    slot.node = await startClusterNode(slot.options);
    return slot.node;
  }

  node(index: number): NodeProcess {
    const node = this.#slot(index).node;
    if (!node) throw new Error(`node ${index} was not started`);
    return node;
  }

  /** The nodes started so far, in index order. */
  get nodes(): NodeProcess[] {
    return this.#slots.flatMap((slot) => (slot.node ? [slot.node] : []));
  }

  name(index: number): string {
    return this.#slot(index).name;
  }

  proxy(index: number): FaultProxy {
    return this.#slot(index).proxy;
  }

  /** The fault on bytes flowing from node `from` to node `to`, whichever of them dialed. */
  setFault(from: number, to: number, fault: Fault): void {
    // A link dialed by `from` enters `to`'s proxy: from → to is its up direction...
    this.#slot(to).proxy.set(this.name(from), 'up', fault);
    // ...one dialed by `to` enters `from`'s proxy: from → to is its down direction.
    this.#slot(from).proxy.set(this.name(to), 'down', fault);
  }

  /** Both directions between a and b. */
  setLinkFault(a: number, b: number, fault: Fault): void {
    this.setFault(a, b, fault);
    this.setFault(b, a, fault);
  }

  /** Blackhole every link between the two sides. */
  partition(sideA: number[], sideB: number[]): void {
    for (const a of sideA) for (const b of sideB) this.setLinkFault(a, b, { mode: 'blackhole' });
  }

  /** Everything passes again; connections that lost bytes are reset. */
  heal(): void {
    for (const slot of this.#slots) slot.proxy.heal();
  }

  /** Connections accepted by all proxies (every dial attempt that reached the network). */
  get connectionsAccepted(): number {
    return this.#slots.reduce((sum, slot) => sum + slot.proxy.accepted, 0);
  }

  async cleanup(): Promise<void> {
    await Promise.all(this.#slots.map(async (slot) => {
      await slot.node?.cleanup();
      await slot.proxy.close();
    }));
    fs.rmSync(this.#files, { recursive: true, force: true });
  }

  #slot(index: number): Slot {
    const slot = this.#slots[index];
    if (!slot) throw new Error(`no node ${index} in this network of ${this.#slots.length}`);
    return slot;
  }
}
