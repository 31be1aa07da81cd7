// The embedded formats of the classic group protocol's "consumer" protocol type: the member
// metadata a consumer sends in JoinGroup (ConsumerProtocolSubscription) and the assignment the
// leader sends back through SyncGroup (ConsumerProtocolAssignment), plus the user data of Java's
// (and librdkafka's) sticky assignors.
//
// Both are version-prefixed (int16) and, at every version, use the classic non-flexible encoding
// ("flexibleVersions": "none" in Kafka's JSON specs): int16-length strings, int32-length arrays and
// bytes, no tagged fields. Kafka reads a version newer than it knows with the newest layout it
// knows and ignores whatever follows, so fields are only ever appended; we do the same, and like
// Kafka ignore bytes after the known fields. Decoders validate bytes that come from clients: they
// never read past the end and throw ConsumerProtocolError, and nothing else, for bad input.
import { ProtocolError, Reader, Writer } from '../../protocol/wire.js';

export const CONSUMER_PROTOCOL_TYPE = 'consumer';
/** The newest ConsumerProtocolSubscription/Assignment version we know (v3 added the rack id). */
export const CONSUMER_PROTOCOL_VERSION = 3;

/** Malformed consumer-protocol bytes from a client. */
export class ConsumerProtocolError extends Error {
  override name = 'ConsumerProtocolError';
}

export interface TopicPartitions {
  topic: string;
  partitions: number[];
}

export interface ConsumerSubscription {
  version: number;
  topics: string[];
  userData: Buffer | null;
  /** v1+ (empty before). */
  ownedPartitions: TopicPartitions[];
  /** v2+ (-1 before, and -1 when unknown). */
  generationId: number;
  /** v3+ (null before). */
  rackId: string | null;
}

export interface ConsumerAssignment {
  version: number;
  assignedPartitions: TopicPartitions[];
  userData: Buffer | null;
}

/** Java StickyAssignor's user data: the member's previous assignment, and (v1) its generation. */
export interface StickyUserData {
  previousAssignment: TopicPartitions[];
  /** null: the v0 layout, which has no generation. */
  generation: number | null;
}

function encodingVersion(version: number | undefined): number {
  const v = version ?? CONSUMER_PROTOCOL_VERSION;
  if (!Number.isInteger(v) || v < 0 || v > 0x7fff) throw new RangeError(`invalid consumer protocol version ${v}`);
  // Kafka writes a version newer than it knows as the newest it knows.
  return Math.min(v, CONSUMER_PROTOCOL_VERSION);
}

function writeTopicPartitions(w: Writer, list: readonly TopicPartitions[]): void {
  w.int32(list.length);
  for (const tp of list) {
    w.string(tp.topic);
    w.int32(tp.partitions.length);
    for (const p of tp.partitions) w.int32(p);
  }
}

/**
 * Encodes a subscription at `s.version` (default: the newest, 3). Fields the version lacks are
 * left out, as Kafka does with these ignorable fields.
 */
export function encodeSubscription(s: {
  version?: number;
  topics: readonly string[];
  userData?: Buffer | null;
  ownedPartitions?: readonly TopicPartitions[];
  generationId?: number;
  rackId?: string | null;
}): Buffer {
  const version = encodingVersion(s.version);
  const w = new Writer(128);
  w.int16(version);
  w.int32(s.topics.length);
  for (const t of s.topics) w.string(t);
  w.nullableBytes(s.userData ?? null);
  if (version >= 1) writeTopicPartitions(w, s.ownedPartitions ?? []);
  if (version >= 2) w.int32(s.generationId ?? -1);
  if (version >= 3) w.nullableString(s.rackId ?? null);
  return Buffer.from(w.toBuffer());
}

export function encodeAssignment(a: { version?: number; assignedPartitions: readonly TopicPartitions[]; userData?: Buffer | null }): Buffer {
  const version = encodingVersion(a.version);
  const w = new Writer(128);
  w.int16(version);
  writeTopicPartitions(w, a.assignedPartitions);
  w.nullableBytes(a.userData ?? null);
  return Buffer.from(w.toBuffer());
}

/** Encodes StickyAssignorUserData: v1 (with the generation) unless `generation` is null. No version prefix: Kafka tells the two apart by length. */
export function encodeStickyUserData(d: StickyUserData): Buffer {
  const w = new Writer(64);
  writeTopicPartitions(w, d.previousAssignment);
  if (d.generation !== null) w.int32(d.generation);
  return Buffer.from(w.toBuffer());
}

/** CooperativeStickyAssignor's user data (read by Kafka only from subscriptions before v2): the generation alone. */
export function encodeCooperativeStickyUserData(generation: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32BE(generation);
  return b;
}

// ---- decoding ----------------------------------------------------------------------------------

/** Runs a decoder, turning the wire reader's errors into ours. */
function decoding<T>(what: string, buf: Buffer, read: (r: Reader) => T): T {
  if (!Buffer.isBuffer(buf)) throw new ConsumerProtocolError(`${what}: not a buffer`);
  try {
    return read(new Reader(buf));
  } catch (err) {
    if (err instanceof ConsumerProtocolError) throw err;
    if (err instanceof ProtocolError || err instanceof RangeError) throw new ConsumerProtocolError(`${what}: ${err.message}`);
    throw err;
  }
}

function arrayLength(r: Reader, field: string, minElementSize: number): number {
  const n = r.int32();
  if (n < 0) throw new ConsumerProtocolError(`${field}: non-nullable array has length ${n}`);
  // Refuse a count the remaining bytes cannot hold, before allocating for it.
  if (n * minElementSize > r.remaining) throw new ConsumerProtocolError(`${field}: ${n} elements with ${r.remaining} bytes left`);
  return n;
}

function string(r: Reader, field: string): string {
  const len = r.int16();
  if (len < 0) throw new ConsumerProtocolError(`${field}: non-nullable string has length ${len}`);
  r.need(len);
  const s = r.buf.toString('utf8', r.pos, r.pos + len);
  r.pos += len;
  return s;
}

function nullableString(r: Reader, field: string): string | null {
  const len = r.int16();
  if (len === -1) return null;
  if (len < 0) throw new ConsumerProtocolError(`${field}: string length ${len}`);
  r.need(len);
  const s = r.buf.toString('utf8', r.pos, r.pos + len);
  r.pos += len;
  return s;
}

function nullableBytes(r: Reader, field: string): Buffer | null {
  const len = r.int32();
  if (len === -1) return null;
  if (len < 0) throw new ConsumerProtocolError(`${field}: bytes length ${len}`);
  r.need(len);
  // A copy, so the result does not pin (or alias) the request's buffer.
  const b = Buffer.from(r.buf.subarray(r.pos, r.pos + len));
  r.pos += len;
  return b;
}

function readTopicPartitions(r: Reader, field: string): TopicPartitions[] {
  const n = arrayLength(r, field, 6);
  const out: TopicPartitions[] = [];
  for (let i = 0; i < n; i++) {
    const topic = string(r, `${field}.topic`);
    const count = arrayLength(r, `${field}.partitions`, 4);
    const partitions = new Array<number>(count);
    for (let k = 0; k < count; k++) partitions[k] = r.int32();
    out.push({ topic, partitions });
  }
  return out;
}

function readVersion(r: Reader, what: string): number {
  const version = r.int16();
  if (version < 0) throw new ConsumerProtocolError(`${what}: unsupported version ${version}`);
  return version;
}

/** Decodes a subscription of any version >= 0; bytes after the fields of its version (or of v3, for newer ones) are ignored. */
export function decodeSubscription(buf: Buffer): ConsumerSubscription {
  return decoding('consumer protocol subscription', buf, r => {
    const version = readVersion(r, 'subscription');
    const n = arrayLength(r, 'topics', 2);
    const topics = new Array<string>(n);
    for (let i = 0; i < n; i++) topics[i] = string(r, 'topics');
    const userData = nullableBytes(r, 'userData');
    const ownedPartitions = version >= 1 ? readTopicPartitions(r, 'ownedPartitions') : [];
    const generationId = version >= 2 ? r.int32() : -1;
    const rackId = version >= 3 ? nullableString(r, 'rackId') : null;
    return { version, topics, userData, ownedPartitions, generationId, rackId };
  });
}

/** Decodes an assignment of any version >= 0 (the layout has not changed since v0). */
export function decodeAssignment(buf: Buffer): ConsumerAssignment {
  return decoding('consumer protocol assignment', buf, r => {
    const version = readVersion(r, 'assignment');
    const assignedPartitions = readTopicPartitions(r, 'assignedPartitions');
    const userData = nullableBytes(r, 'userData');
    return { version, assignedPartitions, userData };
  });
}

/**
 * Decodes StickyAssignorUserData as Kafka does: the v1 layout if a generation follows the
 * partitions, else v0 (extra bytes too short to be a generation are ignored, as Kafka's fallback to
 * v0 ignores them).
 */
export function decodeStickyUserData(buf: Buffer): StickyUserData {
  return decoding('sticky assignor user data', buf, r => {
    const previousAssignment = readTopicPartitions(r, 'previous_assignment');
    const generation = r.remaining >= 4 ? r.int32() : null;
    return { previousAssignment, generation };
  });
}

export function decodeCooperativeStickyUserData(buf: Buffer): number {
  return decoding('cooperative sticky assignor user data', buf, r => r.int32());
}
