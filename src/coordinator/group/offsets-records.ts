// The records of the internal topic __consumer_offsets, byte for byte as Kafka 4.1 writes them.
//
// A record's key starts with an int16 record type (Kafka's CoordinatorRecordType, the key
// schema's "apiKey"), followed by the key's fields in the classic non-flexible encoding (int16
// strings): keys are never flexible. A value starts with an int16 value version followed by the
// value's fields at that version; a null value is a tombstone. The topic is compacted on the key
// bytes, so a key must be written exactly as Kafka writes it.
//
// What Kafka 4.1 writes (and so what the encoders here write):
//   type 1  OffsetCommit                       value v4, flexible (v1 when the commit carries an
//                                              expire timestamp, from OffsetCommit v2-v4's
//                                              retention time: v1 is the only version with that field)
//   type 2  GroupMetadata (classic groups)     value v3, not flexible
//   type 3  ConsumerGroupMetadata              value v0, flexible
//   type 4  ConsumerGroupPartitionMetadata     only tombstones since 4.1 (KIP-1101 replaced it with
//                                              the metadata hash); values written by 3.7-4.0 still load
//   type 5  ConsumerGroupMemberMetadata        value v0, flexible
//   type 6  ConsumerGroupTargetAssignmentMetadata  value v0, flexible
//   type 7  ConsumerGroupTargetAssignmentMember    value v0, flexible
//   type 8  ConsumerGroupCurrentMemberAssignment   value v0, flexible
//   type 16 ConsumerGroupRegularExpression     value v0, flexible
// Type 0 is the 0.8.2-era offset key, read like type 1. Share-group (9-15) and streams-group
// (17+) records decode as { type: 'other' } and are left to whoever knows them.
//
// Decoders read every value version Kafka ever wrote, skip tagged fields they do not know, never
// read past the end, and throw OffsetsRecordError, and nothing else, for malformed bytes. Like
// Kafka's generated readers they ignore bytes after the last field. Decoded byte fields are
// copies, so a loaded group does not pin the batch it was read from.
import { ProtocolError, Reader, Writer, ZERO_UUID } from '../../protocol/wire.js';

/** Malformed __consumer_offsets bytes, or a value that cannot be encoded. */
export class OffsetsRecordError extends Error {
  override name = 'OffsetsRecordError';
}

/** Kafka's CoordinatorRecordType ids that Samsa reads (the first int16 of a key). */
export const RECORD_TYPE = {
  legacyOffsetCommit: 0,
  offsetCommit: 1,
  groupMetadata: 2,
  consumerGroupMetadata: 3,
  consumerGroupPartitionMetadata: 4,
  consumerGroupMemberMetadata: 5,
  consumerGroupTargetAssignmentMetadata: 6,
  consumerGroupTargetAssignmentMember: 7,
  consumerGroupCurrentMemberAssignment: 8,
  consumerGroupRegularExpression: 16,
} as const;

/** The value version each encoder writes: Kafka 4.1's. */
export const WRITTEN_VALUE_VERSION = {
  offsetCommit: 4,
  /** An offset commit with an expire timestamp: v1, the only version that has one. */
  offsetCommitWithExpireTimestamp: 1,
  groupMetadata: 3,
  consumerGroupMetadata: 0,
  consumerGroupPartitionMetadata: 0,
  consumerGroupMemberMetadata: 0,
  consumerGroupTargetAssignmentMetadata: 0,
  consumerGroupTargetAssignmentMember: 0,
  consumerGroupCurrentMemberAssignment: 0,
  consumerGroupRegularExpression: 0,
} as const;

/** Kafka's MemberState byte in ConsumerGroupCurrentMemberAssignmentValue.state. */
export const MEMBER_STATE = {
  stable: 0,
  unrevokedPartitions: 1,
  unreleasedPartitions: 2,
  unknown: 127,
} as const;

// ---- keys ---------------------------------------------------------------------------------------

export type GroupRecordKey =
  | { type: 'offset'; group: string; topic: string; partition: number }
  | { type: 'group'; group: string }
  | { type: 'consumerGroupMetadata'; group: string }
  | { type: 'consumerGroupPartitionMetadata'; group: string }
  | { type: 'consumerGroupMemberMetadata'; group: string; memberId: string }
  | { type: 'consumerGroupTargetAssignmentMetadata'; group: string }
  | { type: 'consumerGroupTargetAssignmentMember'; group: string; memberId: string }
  | { type: 'consumerGroupCurrentMemberAssignment'; group: string; memberId: string }
  | { type: 'consumerGroupRegularExpression'; group: string; regex: string }
  /** A record type Samsa does not load (share and streams groups, or one from a future Kafka). */
  | { type: 'other'; recordType: number };

export type GroupRecordKeyType = GroupRecordKey['type'];

// ---- values -------------------------------------------------------------------------------------

export interface OffsetCommitValue {
  offset: number;
  /** v3+; -1 when absent. */
  leaderEpoch: number;
  metadata: string;
  commitTimestamp: number;
  /** v1 only; -1 when absent. Encoding a value with one writes v1. */
  expireTimestamp: number;
  /**
   * v4+ tagged field (Kafka 4.1): the committed topic's id. Decoding always sets it, to ZERO_UUID
   * when the record has none; encoding omits it when undefined or ZERO_UUID.
   */
  topicId?: string;
}

export interface GroupMetadataMember {
  memberId: string;
  /** v3+; null before. */
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  /** v1+; -1 (Kafka's default for the field) in v0. */
  rebalanceTimeout: number;
  sessionTimeout: number;
  subscription: Buffer;
  assignment: Buffer;
}

export interface GroupMetadataValue {
  protocolType: string;
  generation: number;
  protocol: string | null;
  leader: string | null;
  /** v2+; -1 before. */
  currentStateTimestamp: number;
  members: GroupMetadataMember[];
}

export interface ConsumerGroupMetadataValue {
  /** The group epoch. */
  epoch: number;
  /** KIP-1101's hash of the subscribed topics' metadata (tagged, Kafka 4.1+); 0n when absent. A full 64-bit value. */
  metadataHash: bigint;
}

export interface PartitionRacks {
  partition: number;
  racks: string[];
}

export interface TopicMetadata {
  topicId: string;
  topicName: string;
  numPartitions: number;
  /** Deprecated by Kafka after 4.0 (written empty), kept for the records that have it. */
  partitionMetadata: PartitionRacks[];
}

export interface ConsumerGroupPartitionMetadataValue {
  topics: TopicMetadata[];
}

export interface ClassicProtocol {
  name: string;
  metadata: Buffer;
}

/** The classic-protocol state of a member that joined a consumer group through JoinGroup. */
export interface ClassicMemberMetadata {
  sessionTimeoutMs: number;
  supportedProtocols: ClassicProtocol[];
}

export interface ConsumerGroupMemberMetadataValue {
  instanceId: string | null;
  rackId: string | null;
  clientId: string;
  clientHost: string;
  subscribedTopicNames: string[];
  subscribedTopicRegex: string | null;
  rebalanceTimeoutMs: number;
  serverAssignor: string | null;
  /** Tagged; null for a member using the consumer protocol. */
  classicMemberMetadata: ClassicMemberMetadata | null;
}

export interface ConsumerGroupTargetAssignmentMetadataValue {
  assignmentEpoch: number;
}

export interface TopicPartitions {
  topicId: string;
  partitions: number[];
}

export interface ConsumerGroupTargetAssignmentMemberValue {
  topicPartitions: TopicPartitions[];
}

export interface ConsumerGroupCurrentMemberAssignmentValue {
  memberEpoch: number;
  previousMemberEpoch: number;
  /** A MEMBER_STATE byte. */
  state: number;
  assignedPartitions: TopicPartitions[];
  partitionsPendingRevocation: TopicPartitions[];
}

export interface ConsumerGroupRegularExpressionValue {
  /** The topics the regex resolved to. */
  topics: string[];
  /** The metadata image version (offset) the topics were resolved at. */
  version: number;
  /** When they were resolved (ms). */
  timestamp: number;
}

/** A decoded record: the value's type follows the key's; null is a tombstone. */
export type GroupRecord =
  | { key: Extract<GroupRecordKey, { type: 'offset' }>; value: OffsetCommitValue | null }
  | { key: Extract<GroupRecordKey, { type: 'group' }>; value: GroupMetadataValue | null }
  | { key: Extract<GroupRecordKey, { type: 'consumerGroupMetadata' }>; value: ConsumerGroupMetadataValue | null }
  | { key: Extract<GroupRecordKey, { type: 'consumerGroupPartitionMetadata' }>; value: ConsumerGroupPartitionMetadataValue | null }
  | { key: Extract<GroupRecordKey, { type: 'consumerGroupMemberMetadata' }>; value: ConsumerGroupMemberMetadataValue | null }
  | { key: Extract<GroupRecordKey, { type: 'consumerGroupTargetAssignmentMetadata' }>; value: ConsumerGroupTargetAssignmentMetadataValue | null }
  | { key: Extract<GroupRecordKey, { type: 'consumerGroupTargetAssignmentMember' }>; value: ConsumerGroupTargetAssignmentMemberValue | null }
  | { key: Extract<GroupRecordKey, { type: 'consumerGroupCurrentMemberAssignment' }>; value: ConsumerGroupCurrentMemberAssignmentValue | null }
  | { key: Extract<GroupRecordKey, { type: 'consumerGroupRegularExpression' }>; value: ConsumerGroupRegularExpressionValue | null }
  /** Undecoded: the value's bytes as they were. */
  | { key: Extract<GroupRecordKey, { type: 'other' }>; value: Buffer | null };

// ---- shared helpers -----------------------------------------------------------------------------

const MAX_STRING = 0x7fff;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

function fail(message: string): never {
  throw new OffsetsRecordError(message);
}

/** Turns the wire layer's errors (and a Buffer's range errors) into ours, naming the record. */
function rethrow(what: string, err: unknown): never {
  if (err instanceof OffsetsRecordError) throw new OffsetsRecordError(`${what}: ${err.message}`);
  if (err instanceof ProtocolError || err instanceof RangeError) throw new OffsetsRecordError(`${what}: ${err.message}`);
  throw err;
}

function reader(what: string, buf: Buffer): Reader {
  if (!Buffer.isBuffer(buf)) fail(`${what}: not a buffer`);
  return new Reader(buf);
}

function valueVersion(r: Reader, max: number): number {
  const v = r.int16();
  if (v < 0 || v > max) fail(`unknown value version ${v}`);
  return v;
}

// Classic (non-flexible) primitives. Kafka reads any negative length as null.

function string(r: Reader, field: string): string {
  const len = r.int16();
  if (len < 0) fail(`${field}: non-nullable string is null`);
  return text(r, len);
}

function nullableString(r: Reader, _field: string): string | null {
  const len = r.int16();
  return len < 0 ? null : text(r, len);
}

function bytes(r: Reader, field: string): Buffer {
  const len = r.int32();
  if (len < 0) fail(`${field}: non-nullable bytes are null`);
  return copy(r, len);
}

function arrayLength(r: Reader, field: string, compact: boolean): number {
  const n = r.arrayLength(compact);
  if (n < 0) fail(`${field}: non-nullable array is null`);
  return n;
}

// Flexible primitives: compact (uvarint length + 1) strings, bytes and arrays.

function compactLength(r: Reader): number {
  return r.uvarint() - 1;
}

function compactString(r: Reader, field: string): string {
  const len = compactLength(r);
  if (len < 0) fail(`${field}: non-nullable string is null`);
  if (len > MAX_STRING) fail(`${field}: string length ${len}`);
  return text(r, len);
}

function compactNullableString(r: Reader, field: string): string | null {
  const len = compactLength(r);
  if (len < 0) return null;
  if (len > MAX_STRING) fail(`${field}: string length ${len}`);
  return text(r, len);
}

function compactBytes(r: Reader, field: string): Buffer {
  const len = compactLength(r);
  if (len < 0) fail(`${field}: non-nullable bytes are null`);
  return copy(r, len);
}

function text(r: Reader, len: number): string {
  r.need(len);
  const s = r.buf.toString('utf8', r.pos, r.pos + len);
  r.pos += len;
  return s;
}

function copy(r: Reader, len: number): Buffer {
  r.need(len);
  const b = Buffer.from(r.buf.subarray(r.pos, r.pos + len));
  r.pos += len;
  return b;
}

function bigInt64(r: Reader): bigint {
  r.need(8);
  const v = r.buf.readBigInt64BE(r.pos);
  r.pos += 8;
  return v;
}

function compactStringArray(r: Reader, field: string): string[] {
  const n = arrayLength(r, field, true);
  const out: string[] = new Array(n);
  for (let i = 0; i < n; i++) out[i] = compactString(r, field);
  return out;
}

function compactInt32Array(r: Reader, field: string): number[] {
  const n = arrayLength(r, field, true);
  r.need(n * 4);
  const out: number[] = new Array(n);
  for (let i = 0; i < n; i++) out[i] = r.int32();
  return out;
}

function stringByteLength(s: string, field: string): number {
  const len = Buffer.byteLength(s);
  if (len > MAX_STRING) fail(`${field}: string of ${len} bytes is longer than ${MAX_STRING}`);
  return len;
}

function writeString(w: Writer, s: string, field: string): void {
  stringByteLength(s, field);
  w.string(s);
}

function writeNullableString(w: Writer, s: string | null, field: string): void {
  if (s === null) w.int16(-1);
  else writeString(w, s, field);
}

function writeCompactString(w: Writer, s: string, field: string): void {
  stringByteLength(s, field);
  w.compactString(s);
}

function writeCompactNullableString(w: Writer, s: string | null, field: string): void {
  if (s === null) w.uvarint(0);
  else writeCompactString(w, s, field);
}

function writeCompactStringArray(w: Writer, list: readonly string[], field: string): void {
  w.arrayLength(list.length, true);
  for (const s of list) writeCompactString(w, s, field);
}

function writeCompactInt32Array(w: Writer, list: readonly number[]): void {
  w.arrayLength(list.length, true);
  for (const p of list) w.int32(p);
}

function writeBigInt64(w: Writer, v: bigint, field: string): void {
  if (typeof v !== 'bigint' || v < INT64_MIN || v > INT64_MAX) fail(`${field}: ${String(v)} is not an int64`);
  w.int32(Number(BigInt.asIntN(32, v >> 32n)));
  w.uint32(Number(BigInt.asUintN(32, v)));
}

/** Writes a tagged-field section from (tag, payload) pairs in ascending tag order. */
function writeTaggedFields(w: Writer, fields: readonly (readonly [number, Buffer])[]): void {
  w.uvarint(fields.length);
  for (const [tag, payload] of fields) {
    w.uvarint(tag);
    w.uvarint(payload.length);
    w.raw(payload);
  }
}

const NO_TAGS: readonly (readonly [number, Buffer])[] = [];

function encoding(what: string, write: (w: Writer) => void): Buffer {
  try {
    const w = new Writer(64);
    write(w);
    return w.toBuffer();
  } catch (err) {
    rethrow(`encoding ${what}`, err);
  }
}

function decoding<T>(what: string, buf: Buffer, read: (r: Reader) => T): T {
  try {
    return read(reader(what, buf));
  } catch (err) {
    rethrow(`decoding ${what}`, err);
  }
}

// ---- keys ---------------------------------------------------------------------------------------

export function encodeKey(key: GroupRecordKey): Buffer {
  return encoding(`${key.type} key`, w => {
    switch (key.type) {
      case 'offset':
        w.int16(RECORD_TYPE.offsetCommit);
        writeString(w, key.group, 'group');
        writeString(w, key.topic, 'topic');
        w.int32(key.partition);
        return;
      case 'group':
        w.int16(RECORD_TYPE.groupMetadata);
        writeString(w, key.group, 'group');
        return;
      case 'consumerGroupMetadata':
      case 'consumerGroupPartitionMetadata':
      case 'consumerGroupTargetAssignmentMetadata':
        w.int16(RECORD_TYPE[key.type]);
        writeString(w, key.group, 'groupId');
        return;
      case 'consumerGroupMemberMetadata':
      case 'consumerGroupTargetAssignmentMember':
      case 'consumerGroupCurrentMemberAssignment':
        w.int16(RECORD_TYPE[key.type]);
        writeString(w, key.group, 'groupId');
        writeString(w, key.memberId, 'memberId');
        return;
      case 'consumerGroupRegularExpression':
        w.int16(RECORD_TYPE.consumerGroupRegularExpression);
        writeString(w, key.group, 'groupId');
        writeString(w, key.regex, 'regularExpression');
        return;
      case 'other':
        fail(`record type ${key.recordType} is not one Samsa writes`);
    }
  });
}

export function decodeKey(buf: Buffer): GroupRecordKey {
  return decoding('key', buf, (r): GroupRecordKey => {
    const recordType = r.int16();
    switch (recordType) {
      case RECORD_TYPE.legacyOffsetCommit:
      case RECORD_TYPE.offsetCommit: {
        const group = string(r, 'group');
        const topic = string(r, 'topic');
        return { type: 'offset', group, topic, partition: r.int32() };
      }
      case RECORD_TYPE.groupMetadata:
        return { type: 'group', group: string(r, 'group') };
      case RECORD_TYPE.consumerGroupMetadata:
        return { type: 'consumerGroupMetadata', group: string(r, 'groupId') };
      case RECORD_TYPE.consumerGroupPartitionMetadata:
        return { type: 'consumerGroupPartitionMetadata', group: string(r, 'groupId') };
      case RECORD_TYPE.consumerGroupTargetAssignmentMetadata:
        return { type: 'consumerGroupTargetAssignmentMetadata', group: string(r, 'groupId') };
      case RECORD_TYPE.consumerGroupMemberMetadata:
      case RECORD_TYPE.consumerGroupTargetAssignmentMember:
      case RECORD_TYPE.consumerGroupCurrentMemberAssignment: {
        const group = string(r, 'groupId');
        const memberId = string(r, 'memberId');
        const type =
          recordType === RECORD_TYPE.consumerGroupMemberMetadata
            ? 'consumerGroupMemberMetadata'
            : recordType === RECORD_TYPE.consumerGroupTargetAssignmentMember
              ? 'consumerGroupTargetAssignmentMember'
              : 'consumerGroupCurrentMemberAssignment';
        return { type, group, memberId };
      }
      case RECORD_TYPE.consumerGroupRegularExpression: {
        const group = string(r, 'groupId');
        return { type: 'consumerGroupRegularExpression', group, regex: string(r, 'regularExpression') };
      }
      default:
        return { type: 'other', recordType };
    }
  });
}

// ---- OffsetCommitValue (v0-v4; v4 flexible) -----------------------------------------------------

export function encodeOffsetCommitValue(v: OffsetCommitValue): Buffer {
  return encoding('OffsetCommitValue', w => {
    if (v.expireTimestamp !== -1) {
      // v1: offset, metadata, commit timestamp, expire timestamp (no leader epoch, no topic id).
      w.int16(WRITTEN_VALUE_VERSION.offsetCommitWithExpireTimestamp);
      w.int64(v.offset);
      writeString(w, v.metadata, 'metadata');
      w.int64(v.commitTimestamp);
      w.int64(v.expireTimestamp);
      return;
    }
    w.int16(WRITTEN_VALUE_VERSION.offsetCommit);
    w.int64(v.offset);
    w.int32(v.leaderEpoch);
    writeCompactString(w, v.metadata, 'metadata');
    w.int64(v.commitTimestamp);
    if (v.topicId === undefined || v.topicId === ZERO_UUID) {
      writeTaggedFields(w, NO_TAGS);
    } else {
      const id = new Writer(16);
      id.uuid(v.topicId);
      writeTaggedFields(w, [[0, id.toBuffer()]]);
    }
  });
}

export function decodeOffsetCommitValue(buf: Buffer): OffsetCommitValue {
  return decoding('OffsetCommitValue', buf, r => {
    const version = valueVersion(r, 4);
    const flexible = version >= 4;
    const offset = r.int64();
    const leaderEpoch = version >= 3 ? r.int32() : -1;
    const metadata = flexible ? compactString(r, 'metadata') : string(r, 'metadata');
    const commitTimestamp = r.int64();
    const expireTimestamp = version === 1 ? r.int64() : -1;
    let topicId = ZERO_UUID;
    if (flexible) {
      r.taggedFields((tag, f) => {
        if (tag === 0) topicId = f.uuid();
      });
    }
    return { offset, leaderEpoch, metadata, commitTimestamp, expireTimestamp, topicId };
  });
}

// ---- GroupMetadataValue (v0-v4; v4 flexible) ----------------------------------------------------

export function encodeGroupMetadataValue(v: GroupMetadataValue): Buffer {
  return encoding('GroupMetadataValue', w => {
    w.int16(WRITTEN_VALUE_VERSION.groupMetadata);
    writeString(w, v.protocolType, 'protocolType');
    w.int32(v.generation);
    writeNullableString(w, v.protocol, 'protocol');
    writeNullableString(w, v.leader, 'leader');
    w.int64(v.currentStateTimestamp);
    w.arrayLength(v.members.length, false);
    for (const m of v.members) {
      writeString(w, m.memberId, 'memberId');
      writeNullableString(w, m.groupInstanceId, 'groupInstanceId');
      writeString(w, m.clientId, 'clientId');
      writeString(w, m.clientHost, 'clientHost');
      w.int32(m.rebalanceTimeout);
      w.int32(m.sessionTimeout);
      w.bytes(m.subscription);
      w.bytes(m.assignment);
    }
  });
}

export function decodeGroupMetadataValue(buf: Buffer): GroupMetadataValue {
  return decoding('GroupMetadataValue', buf, r => {
    const version = valueVersion(r, 4);
    const flexible = version >= 4;
    const str = flexible ? compactString : string;
    const nullableStr = flexible ? compactNullableString : nullableString;
    const byteField = flexible ? compactBytes : bytes;
    const protocolType = str(r, 'protocolType');
    const generation = r.int32();
    const protocol = nullableStr(r, 'protocol');
    const leader = nullableStr(r, 'leader');
    const currentStateTimestamp = version >= 2 ? r.int64() : -1;
    const n = arrayLength(r, 'members', flexible);
    const members: GroupMetadataMember[] = new Array(n);
    for (let i = 0; i < n; i++) {
      const memberId = str(r, 'memberId');
      const groupInstanceId = version >= 3 ? nullableStr(r, 'groupInstanceId') : null;
      const clientId = str(r, 'clientId');
      const clientHost = str(r, 'clientHost');
      const rebalanceTimeout = version >= 1 ? r.int32() : -1;
      const sessionTimeout = r.int32();
      const subscription = byteField(r, 'subscription');
      const assignment = byteField(r, 'assignment');
      if (flexible) r.skipTaggedFields();
      members[i] = { memberId, groupInstanceId, clientId, clientHost, rebalanceTimeout, sessionTimeout, subscription, assignment };
    }
    if (flexible) r.skipTaggedFields();
    return { protocolType, generation, protocol, leader, currentStateTimestamp, members };
  });
}

// ---- KIP-848 consumer group values (v0, flexible) -----------------------------------------------

export function encodeConsumerGroupMetadataValue(v: ConsumerGroupMetadataValue): Buffer {
  return encoding('ConsumerGroupMetadataValue', w => {
    w.int16(WRITTEN_VALUE_VERSION.consumerGroupMetadata);
    w.int32(v.epoch);
    if (v.metadataHash === 0n) {
      writeTaggedFields(w, NO_TAGS);
    } else {
      const hash = new Writer(8);
      writeBigInt64(hash, v.metadataHash, 'metadataHash');
      writeTaggedFields(w, [[0, hash.toBuffer()]]);
    }
  });
}

export function decodeConsumerGroupMetadataValue(buf: Buffer): ConsumerGroupMetadataValue {
  return decoding('ConsumerGroupMetadataValue', buf, r => {
    valueVersion(r, 0);
    const epoch = r.int32();
    let metadataHash = 0n;
    r.taggedFields((tag, f) => {
      if (tag === 0) metadataHash = bigInt64(f);
    });
    return { epoch, metadataHash };
  });
}

export function encodeConsumerGroupPartitionMetadataValue(v: ConsumerGroupPartitionMetadataValue): Buffer {
  return encoding('ConsumerGroupPartitionMetadataValue', w => {
    w.int16(WRITTEN_VALUE_VERSION.consumerGroupPartitionMetadata);
    w.arrayLength(v.topics.length, true);
    for (const t of v.topics) {
      w.uuid(t.topicId);
      writeCompactString(w, t.topicName, 'topicName');
      w.int32(t.numPartitions);
      w.arrayLength(t.partitionMetadata.length, true);
      for (const p of t.partitionMetadata) {
        w.int32(p.partition);
        writeCompactStringArray(w, p.racks, 'racks');
        writeTaggedFields(w, NO_TAGS);
      }
      writeTaggedFields(w, NO_TAGS);
    }
    writeTaggedFields(w, NO_TAGS);
  });
}

export function decodeConsumerGroupPartitionMetadataValue(buf: Buffer): ConsumerGroupPartitionMetadataValue {
  return decoding('ConsumerGroupPartitionMetadataValue', buf, r => {
    valueVersion(r, 0);
    const n = arrayLength(r, 'topics', true);
    const topics: TopicMetadata[] = new Array(n);
    for (let i = 0; i < n; i++) {
      const topicId = r.uuid();
      const topicName = compactString(r, 'topicName');
      const numPartitions = r.int32();
      const pn = arrayLength(r, 'partitionMetadata', true);
      const partitionMetadata: PartitionRacks[] = new Array(pn);
      for (let j = 0; j < pn; j++) {
        const partition = r.int32();
        const racks = compactStringArray(r, 'racks');
        r.skipTaggedFields();
        partitionMetadata[j] = { partition, racks };
      }
      r.skipTaggedFields();
      topics[i] = { topicId, topicName, numPartitions, partitionMetadata };
    }
    r.skipTaggedFields();
    return { topics };
  });
}

function encodeClassicMemberMetadata(c: ClassicMemberMetadata): Buffer {
  const w = new Writer(64);
  // A nullable struct in a tagged field starts with an unsigned varint presence marker (1).
  w.uvarint(1);
  w.int32(c.sessionTimeoutMs);
  w.arrayLength(c.supportedProtocols.length, true);
  for (const p of c.supportedProtocols) {
    writeCompactString(w, p.name, 'supportedProtocols.name');
    w.compactBytes(p.metadata);
    writeTaggedFields(w, NO_TAGS);
  }
  writeTaggedFields(w, NO_TAGS);
  return w.toBuffer();
}

function decodeClassicMemberMetadata(r: Reader): ClassicMemberMetadata | null {
  // Kafka reads a marker of 0 as null (and never writes one: null is written as no field).
  if (r.uvarint() === 0) return null;
  const sessionTimeoutMs = r.int32();
  const n = arrayLength(r, 'supportedProtocols', true);
  const supportedProtocols: ClassicProtocol[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const name = compactString(r, 'supportedProtocols.name');
    const metadata = compactBytes(r, 'supportedProtocols.metadata');
    r.skipTaggedFields();
    supportedProtocols[i] = { name, metadata };
  }
  r.skipTaggedFields();
  return { sessionTimeoutMs, supportedProtocols };
}

export function encodeConsumerGroupMemberMetadataValue(v: ConsumerGroupMemberMetadataValue): Buffer {
  return encoding('ConsumerGroupMemberMetadataValue', w => {
    w.int16(WRITTEN_VALUE_VERSION.consumerGroupMemberMetadata);
    writeCompactNullableString(w, v.instanceId, 'instanceId');
    writeCompactNullableString(w, v.rackId, 'rackId');
    writeCompactString(w, v.clientId, 'clientId');
    writeCompactString(w, v.clientHost, 'clientHost');
    writeCompactStringArray(w, v.subscribedTopicNames, 'subscribedTopicNames');
    writeCompactNullableString(w, v.subscribedTopicRegex, 'subscribedTopicRegex');
    w.int32(v.rebalanceTimeoutMs);
    writeCompactNullableString(w, v.serverAssignor, 'serverAssignor');
    writeTaggedFields(w, v.classicMemberMetadata === null ? NO_TAGS : [[0, encodeClassicMemberMetadata(v.classicMemberMetadata)]]);
  });
}

export function decodeConsumerGroupMemberMetadataValue(buf: Buffer): ConsumerGroupMemberMetadataValue {
  return decoding('ConsumerGroupMemberMetadataValue', buf, r => {
    valueVersion(r, 0);
    const instanceId = compactNullableString(r, 'instanceId');
    const rackId = compactNullableString(r, 'rackId');
    const clientId = compactString(r, 'clientId');
    const clientHost = compactString(r, 'clientHost');
    const subscribedTopicNames = compactStringArray(r, 'subscribedTopicNames');
    const subscribedTopicRegex = compactNullableString(r, 'subscribedTopicRegex');
    const rebalanceTimeoutMs = r.int32();
    const serverAssignor = compactNullableString(r, 'serverAssignor');
    let classicMemberMetadata: ClassicMemberMetadata | null = null;
    r.taggedFields((tag, f) => {
      if (tag === 0) classicMemberMetadata = decodeClassicMemberMetadata(f);
    });
    return {
      instanceId,
      rackId,
      clientId,
      clientHost,
      subscribedTopicNames,
      subscribedTopicRegex,
      rebalanceTimeoutMs,
      serverAssignor,
      classicMemberMetadata,
    };
  });
}

export function encodeConsumerGroupTargetAssignmentMetadataValue(v: ConsumerGroupTargetAssignmentMetadataValue): Buffer {
  return encoding('ConsumerGroupTargetAssignmentMetadataValue', w => {
    w.int16(WRITTEN_VALUE_VERSION.consumerGroupTargetAssignmentMetadata);
    w.int32(v.assignmentEpoch);
    writeTaggedFields(w, NO_TAGS);
  });
}

export function decodeConsumerGroupTargetAssignmentMetadataValue(buf: Buffer): ConsumerGroupTargetAssignmentMetadataValue {
  return decoding('ConsumerGroupTargetAssignmentMetadataValue', buf, r => {
    valueVersion(r, 0);
    const assignmentEpoch = r.int32();
    r.skipTaggedFields();
    return { assignmentEpoch };
  });
}

function writeTopicPartitionsList(w: Writer, list: readonly TopicPartitions[]): void {
  w.arrayLength(list.length, true);
  for (const tp of list) {
    w.uuid(tp.topicId);
    writeCompactInt32Array(w, tp.partitions);
    writeTaggedFields(w, NO_TAGS);
  }
}

function readTopicPartitionsList(r: Reader, field: string): TopicPartitions[] {
  const n = arrayLength(r, field, true);
  const out: TopicPartitions[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const topicId = r.uuid();
    const partitions = compactInt32Array(r, `${field}.partitions`);
    r.skipTaggedFields();
    out[i] = { topicId, partitions };
  }
  return out;
}

export function encodeConsumerGroupTargetAssignmentMemberValue(v: ConsumerGroupTargetAssignmentMemberValue): Buffer {
  return encoding('ConsumerGroupTargetAssignmentMemberValue', w => {
    w.int16(WRITTEN_VALUE_VERSION.consumerGroupTargetAssignmentMember);
    writeTopicPartitionsList(w, v.topicPartitions);
    writeTaggedFields(w, NO_TAGS);
  });
}

export function decodeConsumerGroupTargetAssignmentMemberValue(buf: Buffer): ConsumerGroupTargetAssignmentMemberValue {
  return decoding('ConsumerGroupTargetAssignmentMemberValue', buf, r => {
    valueVersion(r, 0);
    const topicPartitions = readTopicPartitionsList(r, 'topicPartitions');
    r.skipTaggedFields();
    return { topicPartitions };
  });
}

export function encodeConsumerGroupCurrentMemberAssignmentValue(v: ConsumerGroupCurrentMemberAssignmentValue): Buffer {
  return encoding('ConsumerGroupCurrentMemberAssignmentValue', w => {
    w.int16(WRITTEN_VALUE_VERSION.consumerGroupCurrentMemberAssignment);
    w.int32(v.memberEpoch);
    w.int32(v.previousMemberEpoch);
    w.int8(v.state);
    writeTopicPartitionsList(w, v.assignedPartitions);
    writeTopicPartitionsList(w, v.partitionsPendingRevocation);
    writeTaggedFields(w, NO_TAGS);
  });
}

export function decodeConsumerGroupCurrentMemberAssignmentValue(buf: Buffer): ConsumerGroupCurrentMemberAssignmentValue {
  return decoding('ConsumerGroupCurrentMemberAssignmentValue', buf, r => {
    valueVersion(r, 0);
    const memberEpoch = r.int32();
    const previousMemberEpoch = r.int32();
    const state = r.int8();
    const assignedPartitions = readTopicPartitionsList(r, 'assignedPartitions');
    const partitionsPendingRevocation = readTopicPartitionsList(r, 'partitionsPendingRevocation');
    r.skipTaggedFields();
    return { memberEpoch, previousMemberEpoch, state, assignedPartitions, partitionsPendingRevocation };
  });
}

export function encodeConsumerGroupRegularExpressionValue(v: ConsumerGroupRegularExpressionValue): Buffer {
  return encoding('ConsumerGroupRegularExpressionValue', w => {
    w.int16(WRITTEN_VALUE_VERSION.consumerGroupRegularExpression);
    writeCompactStringArray(w, v.topics, 'topics');
    w.int64(v.version);
    w.int64(v.timestamp);
    writeTaggedFields(w, NO_TAGS);
  });
}

export function decodeConsumerGroupRegularExpressionValue(buf: Buffer): ConsumerGroupRegularExpressionValue {
  return decoding('ConsumerGroupRegularExpressionValue', buf, r => {
    valueVersion(r, 0);
    const topics = compactStringArray(r, 'topics');
    const version = r.int64();
    const timestamp = r.int64();
    r.skipTaggedFields();
    return { topics, version, timestamp };
  });
}

// ---- whole records ------------------------------------------------------------------------------

/** Decodes a record's key and, unless it is a tombstone or of a type Samsa does not load, its value. */
export function decodeRecord(key: Buffer, value: Buffer | null): GroupRecord {
  const k = decodeKey(key);
  switch (k.type) {
    case 'offset':
      return { key: k, value: value === null ? null : decodeOffsetCommitValue(value) };
    case 'group':
      return { key: k, value: value === null ? null : decodeGroupMetadataValue(value) };
    case 'consumerGroupMetadata':
      return { key: k, value: value === null ? null : decodeConsumerGroupMetadataValue(value) };
    case 'consumerGroupPartitionMetadata':
      return { key: k, value: value === null ? null : decodeConsumerGroupPartitionMetadataValue(value) };
    case 'consumerGroupMemberMetadata':
      return { key: k, value: value === null ? null : decodeConsumerGroupMemberMetadataValue(value) };
    case 'consumerGroupTargetAssignmentMetadata':
      return { key: k, value: value === null ? null : decodeConsumerGroupTargetAssignmentMetadataValue(value) };
    case 'consumerGroupTargetAssignmentMember':
      return { key: k, value: value === null ? null : decodeConsumerGroupTargetAssignmentMemberValue(value) };
    case 'consumerGroupCurrentMemberAssignment':
      return { key: k, value: value === null ? null : decodeConsumerGroupCurrentMemberAssignmentValue(value) };
    case 'consumerGroupRegularExpression':
      return { key: k, value: value === null ? null : decodeConsumerGroupRegularExpressionValue(value) };
    case 'other':
      return { key: k, value };
  }
}

/** Encodes a record as Kafka 4.1 would write it; a null value is a tombstone. */
export function encodeRecord(record: GroupRecord): { key: Buffer; value: Buffer | null } {
  const key = encodeKey(record.key);
  if (record.value === null) return { key, value: null };
  switch (record.key.type) {
    case 'offset':
      return { key, value: encodeOffsetCommitValue(record.value as OffsetCommitValue) };
    case 'group':
      return { key, value: encodeGroupMetadataValue(record.value as GroupMetadataValue) };
    case 'consumerGroupMetadata':
      return { key, value: encodeConsumerGroupMetadataValue(record.value as ConsumerGroupMetadataValue) };
    case 'consumerGroupPartitionMetadata':
      return { key, value: encodeConsumerGroupPartitionMetadataValue(record.value as ConsumerGroupPartitionMetadataValue) };
    case 'consumerGroupMemberMetadata':
      return { key, value: encodeConsumerGroupMemberMetadataValue(record.value as ConsumerGroupMemberMetadataValue) };
    case 'consumerGroupTargetAssignmentMetadata':
      return { key, value: encodeConsumerGroupTargetAssignmentMetadataValue(record.value as ConsumerGroupTargetAssignmentMetadataValue) };
    case 'consumerGroupTargetAssignmentMember':
      return { key, value: encodeConsumerGroupTargetAssignmentMemberValue(record.value as ConsumerGroupTargetAssignmentMemberValue) };
    case 'consumerGroupCurrentMemberAssignment':
      return { key, value: encodeConsumerGroupCurrentMemberAssignmentValue(record.value as ConsumerGroupCurrentMemberAssignmentValue) };
    case 'consumerGroupRegularExpression':
      return { key, value: encodeConsumerGroupRegularExpressionValue(record.value as ConsumerGroupRegularExpressionValue) };
    case 'other':
      // encodeKey has already refused it.
      return fail(`record type ${record.key.recordType} is not one Samsa writes`);
  }
}
