/**
 * Wire shapes of cluster_network (node-core/replication/network.ts): a status request a node
 * sends on an authenticated replication link, and the answer, checked before anything reads it.
 * Kept apart from network.ts so protocol.ts can validate them without an import cycle.
 */
import { z } from 'zod';

/** Member names one request may ask a peer to relay to (a cluster is far smaller). */
export const MAX_RELAY_TARGETS = 1_000;
/** Answers one status-result may carry (the peer's own plus the ones it relayed). */
export const MAX_ANSWERS = MAX_RELAY_TARGETS + 1;

/** What a node lists in its hello `features` when it answers status requests (older nodes would close the link on one). */
export const NETWORK_FEATURE = 'status';

export const MEMBER_STATUSES = ['ok', 'unreachable', 'timeout', 'error'] as const;
export type MemberStatus = (typeof MEMBER_STATUSES)[number];

const nodeName = z.string().min(1).max(255);

/** Ask the peer for its own status, and for that of the `relay` members it is linked to itself. */
export const statusRequestSchema = z.object({
  t: z.literal('status-request'),
  id: z.number().int().min(0),
  /** how long the asker waits (ms): relayed questions must be answered well within it */
  timeout_ms: z.number().int().min(1).max(600_000),
  relay: z.array(nodeName).max(MAX_RELAY_TARGETS),
});
export type StatusRequestMessage = z.infer<typeof statusRequestSchema>;

/** One member's answer as it travels: its age at the moment it was sent, never a wall-clock time. */
export const wireAnswerSchema = z.object({
  node_name: nodeName,
  status: z.enum(MEMBER_STATUSES),
  error: z.string().max(2_000).optional(),
  via: nodeName.optional(),
  age_ms: z.number().min(0).nullable(),
  cluster_status: z.record(z.string(), z.unknown()).optional(),
  system: z.record(z.string(), z.unknown()).optional(),
});
export type WireAnswer = z.infer<typeof wireAnswerSchema>;

export const statusResultSchema = z.object({
  t: z.literal('status-result'),
  id: z.number().int().min(0),
  answers: z.array(wireAnswerSchema).max(MAX_ANSWERS),
});
export type StatusResultMessage = z.infer<typeof statusResultSchema>;

export type NetworkMessage = StatusRequestMessage | StatusResultMessage;

export function isNetworkMessageType(type: string): type is NetworkMessage['t'] {
  return type === 'status-request' || type === 'status-result';
}

/** The checked message, or what is wrong with it. */
export function parseNetworkMessage(value: { t: string }): NetworkMessage | { problem: string } {
  const parsed = (value.t === 'status-request' ? statusRequestSchema : statusResultSchema).safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  return { problem: `bad ${value.t}: ${issue?.path.join('.') ?? ''} ${issue?.message ?? ''}`.trim() };
}
