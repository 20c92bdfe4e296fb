/**
 * The replication wire protocol (subprotocol `peerdesk-replication-v1`): message shapes, their
 * msgpack encoding (plain maps, no shared structures two processes could disagree on), and the
 * checks every received frame passes before anything acts on it.
 */
import { Packr } from 'msgpackr';
import { startFreshBuffer } from '../storage/encoder-buffer.ts';
import { z } from 'zod';
import { peerMessageProblem } from '../security/peer-input.ts';
import { MAX_NAME_LENGTH, MAX_PRIMARY_KEY_BYTES } from '../storage/names.ts';
import type { DataRecord, LogEntry, PrimaryKey } from '../storage/types.ts';
import { isNetworkMessageType, parseNetworkMessage, type NetworkMessage } from './network-messages.ts';

export const SUBPROTOCOL = 'peerdesk-replication-v1';
export const PROTOCOL_VERSION = 1;

/** Largest frame accepted, in bytes (the sockets' maxPayload; frames.ts checks what is built against it). */
export const MAX_FRAME_BYTES = 64 * 1024 * 1024;
/** A publisher packs log entries (and copy records) into frames up to about this many bytes. */
export const TARGET_FRAME_BYTES = 512 * 1024;
/** Log entries read for one frame at most, whatever their size (bounds one read of the log). */
export const MAX_ENTRIES_PER_FRAME = 2000;
/** Records per copy frame at most, whatever their size. */
export const COPY_BATCH_RECORDS = 2000;

/** WebSocket close codes we send (4000-4999 are for applications). */
export const CloseCode = {
  normal: 1000,
  goingAway: 1001,
  protocolError: 4002,
  refused: 4003,
  duplicate: 4009,
  removed: 4010,
  internal: 4011,
} as const;

export interface TableSchema {
  name: string;
  primaryKey: string;
  attributes: string[];
  replicate: boolean;
}

const tableSchema = z.object({
  name: z.string().min(1).max(128),
  primaryKey: z.string().min(1).max(128),
  attributes: z.array(z.string().max(128)).max(100_000),
  replicate: z.boolean(),
});

/** Origins one advert (a hello's or a 'direct' message's) may name at most. */
export const MAX_ADVERTISED_ORIGINS = 10_000;

const relayAdvertSchema = z.object({
  /** origins the sender gets over live links of its own: relay none of their entries to it */
  direct: z.array(z.string().min(1).max(255)).max(MAX_ADVERTISED_ORIGINS),
  /** [origin, version]: the sender has every entry of that origin through the version */
  since: z.array(z.tuple([z.string().min(1).max(255), z.number().min(0)])).max(MAX_ADVERTISED_ORIGINS),
});
export type RelayAdvert = z.infer<typeof relayAdvertSchema>;
/** The parts of a table a copy sends, in this order (copy-resume.ts resumes inside one). */
export const COPY_STAGES = ['records', 'stubs', 'tombstones'] as const;
export type CopyStage = (typeof COPY_STAGES)[number];

/**
 * A copy interrupted on the receiver (copy-resume.ts): the sender's log position the copy
 * started at, and the last item committed (table, stage, key). The sender resumes after it.
 */
export const copyResumeSchema = z.object({
  // A log sequence is an HLC version: epoch ms with a fraction (VERSION_EPSILON steps), not an integer.
  sequence: z.number().finite().min(0),
  table: z.string().min(1).max(MAX_NAME_LENGTH),
  stage: z.enum(COPY_STAGES),
  // Any primary key a table accepts (at most MAX_PRIMARY_KEY_BYTES, so at most that many characters).
  afterKey: z.union([z.string().min(1).max(MAX_PRIMARY_KEY_BYTES), z.number().finite()]),
});
export type CopyResume = z.infer<typeof copyResumeSchema>;

export const helloSchema = z.object({
  t: z.literal('hello'),
  protocol: z.number().int(),
  node: z.string().min(1).max(255),
  url: z.string().max(2048).nullable(),
  database: z.string().min(1).max(128),
  /** the sender's last applied sequence of the receiver's log (0: none yet) */
  position: z.number().min(0),
  /** false: the sender has never completed a sync of this database and wants a copy */
  synced: z.boolean(),
  /** stream only changes after this time instead of copying (add_node start_time) */
  startTime: z.number().nullable(),
  tables: z.array(tableSchema).max(10_000),
  /** the sender's certificate authority (PEM), so the receiver can trust it */
  ca: z.string().max(64 * 1024).nullable().optional(),
  /** add_node over wss with credentials: a certificate signing request for the receiver's CA */
  csr: z.string().max(64 * 1024).optional(),
  /** optional messages the sender understands (e.g. 'status' for cluster_network); older nodes send none */
  features: z.array(z.string().max(64)).max(64).optional(),
  /** the sender's tombstone horizon for this database (storage/tombstones.ts; 0: none purged) */
  horizon: z.number().min(0).optional(),
  /** the sender halted this database's replication (past a tombstone horizon; replication/horizon.ts) */
  halted: z.boolean().optional(),
  /** the origins the sender streams directly, and its watermark of others (replication/relay.ts) */
  relay: relayAdvertSchema.optional(),
  /** the sender wants a copy and committed part of one from the receiver before: resume after it */
  copyResume: copyResumeSchema.optional(),
});
export type Hello = z.infer<typeof helloSchema>;

/**
 * A batch of log entries; `through` is the last sequence examined (entries may be filtered out).
 * With `catchup`, entries a relay skipped earlier (relay.ts): behind the position, which stays.
 */
export interface TxnsMessage {
  t: 'txns';
  entries: Array<[number, LogEntry]>;
  through: number;
  catchup?: true;
}

/** The sender's direct origins changed (relay.ts); `since` covers every origin it dropped. */
export interface DirectMessage extends RelayAdvert {
  t: 'direct';
}

export interface AckMessage {
  t: 'ack';
  seq: number;
}

export interface CopyStartMessage {
  t: 'copy-start';
  total: number;
  sequence: number;
  /** the copied tables as of the snapshot (created on the receiver if missing) */
  tables?: TableSchema[];
  /** the copy continues the one the hello's copyResume named: `total` counts what is left */
  resumed?: boolean;
}

export interface CopyMessage {
  t: 'copy';
  table: string;
  /** [key, version, origin, record or null for a tombstone, holders?]: with holders (sharded) a null record is a stub */
  records: Array<[PrimaryKey, number, string, DataRecord | null, string[]?]>;
  /** which part of the table the records are (a receiver records it to resume; older senders omit it) */
  stage?: CopyStage;
}

export interface CopyEndMessage {
  t: 'copy-end';
  sequence: number;
}

export interface TableDigest {
  table: string;
  record_count: number;
  /** sha256 over (key, version, origin) of every record in key order */
  digest: string;
}

/**
 * A request to the peer or the answer to one ({t, id, ...fields}); which kinds exist and what
 * their fields are is peer-requests.ts's table, which checks them (see `decode`).
 */
export interface PeerRequestMessage {
  t: string;
  id: number;
  [field: string]: unknown;
}

/** cluster_verify repair: send me a full copy to merge. */
export interface ResyncRequestMessage {
  t: 'resync-request';
}

/** Answer to a hello's csr: the certificate signed by the receiver's CA, and that CA. */
export interface CertificateMessage {
  t: 'certificate';
  certificate: string;
  ca: string;
}

/** The messages this module checks itself (cluster_network's through network-messages.ts). */
export type CoreMessage = Hello | TxnsMessage | DirectMessage | AckMessage | CopyStartMessage | CopyMessage | CopyEndMessage | ResyncRequestMessage | CertificateMessage | NetworkMessage;
export type Message = CoreMessage | PeerRequestMessage;

/** Checks of message kinds defined outside this module (peer requests): type → check. */
export type MessageChecks = ReadonlyMap<string, (message: Record<string, unknown> & { t: string }) => Message>;

const packr = new Packr({ useRecords: false, mapsAsObjects: true, moreTypes: false });

/**
 * An encoding at least this large gets a buffer of its own. msgpackr packs into one shared buffer
 * (grown to ~1.5-2x the largest value packed) and returns views of it, so after one large value
 * that buffer would stay alive for good, pinned by every small value packed after it. The large
 * value keeps it (with its slack) only as long as the value lives: frames are built and dropped.
 */
export const DETACH_ENCODED_BYTES = 1024 * 1024;

function pack(value: unknown): Buffer {
  const packed = packr.pack(value);
  if (packed.length < DETACH_ENCODED_BYTES) return packed;
  startFreshBuffer(packr);
  return packed;
}

/**
 * A value known to be large (a log entry of DETACH_ENCODED_BYTES or more, by its estimate),
 * encoded into a buffer sized for it up front (encode-size.ts), so it is not grown in steps.
 */
export function encodeLargeValue(value: unknown, bufferBytes: number): Buffer {
  packr.useBuffer(Buffer.allocUnsafeSlow(bufferBytes));
  const packed = packr.pack(value);
  // The value keeps its buffer (as pack does for large ones); later values start a fresh one.
  startFreshBuffer(packr);
  return packed;
}

export function encode(message: Message): Buffer {
  return pack(message);
}

/** One value encoded as it would be inside a message (frames.ts assembles frames from these). */
export function encodeValue(value: unknown): Buffer {
  return pack(value);
}

export class ProtocolError extends Error {
  override name = 'ProtocolError';
}

const logEntryShape = (value: unknown): value is LogEntry => {
  if (typeof value !== 'object' || value === null) return false;
  const entry = value as Partial<LogEntry>;
  return typeof entry.v === 'number' && typeof entry.o === 'string' && Array.isArray(entry.w);
};

/** Decode and check a frame (shape, then every name and record: security/peer-input.ts); throws ProtocolError naming what is wrong. */
export function decode(frame: Buffer, checks: MessageChecks = new Map()): Message {
  const message = decodeShape(frame, checks);
  const problem = peerMessageProblem(message);
  if (problem) throw new ProtocolError(problem);
  return message;
}

function decodeShape(frame: Buffer, checks: MessageChecks): Message {
  let value: unknown;
  try {
    value = packr.unpack(frame);
  } catch (error) {
    throw new ProtocolError(`undecodable frame: ${(error as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || typeof (value as { t?: unknown }).t !== 'string') {
    throw new ProtocolError('frame is not a message (no type)');
  }
  const message = value as { t: string } & Record<string, unknown>;
  if (isNetworkMessageType(message.t)) {
    const parsed = parseNetworkMessage(message);
    if ('problem' in parsed) throw new ProtocolError(parsed.problem);
    return parsed;
  }
  switch (message.t) {
    case 'hello': {
      const parsed = helloSchema.safeParse(message);
      if (!parsed.success) throw new ProtocolError(`bad hello: ${parsed.error.issues[0]?.path.join('.')} ${parsed.error.issues[0]?.message}`);
      return parsed.data;
    }
    case 'txns':
      if (!Array.isArray(message.entries) || typeof message.through !== 'number') throw new ProtocolError('bad txns frame');
      if (message.catchup !== undefined && message.catchup !== true) throw new ProtocolError('bad txns frame: catchup is not true');
      for (const item of message.entries as unknown[]) {
        if (!Array.isArray(item) || typeof item[0] !== 'number' || !logEntryShape(item[1])) throw new ProtocolError('bad log entry in txns frame');
      }
      return message as unknown as TxnsMessage;
    case 'direct': {
      const parsed = relayAdvertSchema.safeParse(message);
      if (!parsed.success) throw new ProtocolError(`bad direct message: ${parsed.error.issues[0]?.path.join('.')} ${parsed.error.issues[0]?.message}`);
      return { t: 'direct', ...parsed.data };
    }
    case 'ack':
      if (typeof message.seq !== 'number') throw new ProtocolError('bad ack');
      return message as unknown as AckMessage;
    case 'copy-start':
      if (typeof message.total !== 'number' || typeof message.sequence !== 'number') throw new ProtocolError('bad copy-start');
      if (message.tables !== undefined && !z.array(tableSchema).max(10_000).safeParse(message.tables).success) throw new ProtocolError('bad copy-start tables');
      if (message.resumed !== undefined && typeof message.resumed !== 'boolean') throw new ProtocolError('bad copy-start resumed');
      return message as unknown as CopyStartMessage;
    case 'copy':
      if (typeof message.table !== 'string' || !Array.isArray(message.records)) throw new ProtocolError('bad copy frame');
      if (message.stage !== undefined && !(COPY_STAGES as readonly unknown[]).includes(message.stage)) throw new ProtocolError('bad copy frame stage');
      return message as unknown as CopyMessage;
    case 'copy-end':
      if (typeof message.sequence !== 'number') throw new ProtocolError('bad copy-end');
      return message as unknown as CopyEndMessage;
    case 'resync-request':
      return { t: 'resync-request' };
    case 'certificate':
      if (typeof message.certificate !== 'string' || typeof message.ca !== 'string') throw new ProtocolError('bad certificate message');
      return message as unknown as CertificateMessage;
    default: {
      const check = checks.get(message.t);
      if (!check) throw new ProtocolError(`unknown message type ${JSON.stringify(message.t).slice(0, 40)}`);
      return check(message);
    }
  }
}
