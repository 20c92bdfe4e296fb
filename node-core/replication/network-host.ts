/**
 * What cluster_network (network.ts) reads of its node, taken from the replication manager:
 * the members (hdb_nodes rows and routes, this node included), the links, this node's own
 * cluster_status and system summary, and why a member has no open link.
 */
import type { NodeServices } from '../services.ts';
import { SYSTEM_DATABASE } from '../system/tables.ts';
import { PEERDESK_VERSION } from '../version.ts';
import type { ReplicationManager } from './manager.ts';
import { CpuSampler, systemSummary, type NetworkHost } from './network.ts';
import { clusterStatus } from './status.ts';

export function networkHost(manager: ReplicationManager, services: NodeServices): NetworkHost {
  const cpu = new CpuSampler();
  return {
    nodeName: services.nodeName,
    members: () => {
      const peers = manager.membership.peers();
      const members = new Map<string, string | null>([[services.nodeName, manager.url]]);
      for (const node of manager.membership.nodes()) if (!members.has(node.name)) members.set(node.name, peers.get(node.name)?.url ?? node.url ?? null);
      for (const peer of peers.values()) if (!members.has(peer.name)) members.set(peer.name, peer.url);
      return [...members].map(([name, url]) => ({ name, url }));
    },
    links: () => manager.links(),
    clusterStatus: () => clusterStatus(manager, services.nodeName, manager.url),
    system: () => systemSummary(services.nodeName, PEERDESK_VERSION, services.startedAt, cpu),
    whyNotLinked: (peer) => {
      if (manager.links().some((l) => l.peer === peer && l.state === 'open')) return 'it is linked but runs a version that does not answer cluster_network';
      const url = manager.membership.peers().get(peer)?.url ?? null;
      const dial = manager.dialState(peer, SYSTEM_DATABASE);
      return dial?.lastError ?? (url ? 'not connected yet' : 'no URL for this node: it must connect to this one');
    },
  };
}
