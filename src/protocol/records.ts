// RecordBatch (message format v2): header fields read and patched in place, validation of a
// produced batch without decoding its records, and a full encoder/decoder for control batches,
// tests and the few broker paths that need individual records.
import { crc32c } from '@node-rs/crc32';
import { gunzipSync, gzipSync } from 'node:zlib';
import { ErrorCode } from './errors.js';
import { Reader, Writer } from './wire.js';

// Byte offsets of the batch header fields.
export const BASE_OFFSET = 0;
export const BATCH_LENGTH = 8;
export const PARTITION_LEADER_EPOCH = 12;
export const MAGIC = 16;
export const CRC = 17;
export const ATTRIBUTES = 21;
export const LAST_OFFSET_DELTA = 23;
export const BASE_TIMESTAMP = 27;
export const MAX_TIMESTAMP = 35;
export const PRODUCER_ID = 43;
export const PRODUCER_EPOCH = 51;
export const BASE_SEQUENCE = 53;
export const RECORDS_COUNT = 57;
export const HEADER_SIZE = 61;
/** Bytes before the batch length field counts from (baseOffset + batchLength). */
export const LOG_OVERHEAD = 12;

export const COMPRESSION_MASK = 0x07;
export const TIMESTAMP_TYPE_BIT = 0x08;
export const TRANSACTIONAL_BIT = 0x10;
export const CONTROL_BIT = 0x20;
/** KIP-534: the base timestamp holds the batch's delete horizon (set by the log cleaner). */
export const DELETE_HORIZON_BIT = 0x40;

export const Compression = { none: 0, gzip: 1, snappy: 2, lz4: 3, zstd: 4 } as const;

const TWO_32 = 4294967296;

export function readInt64(buf: Buffer, at: number): number {
  return buf.readInt32BE(at) * TWO_32 + buf.readUInt32BE(at + 4);
}

export function writeInt64(buf: Buffer, at: number, v: number): void {
  const hi = Math.floor(v / TWO_32);
  buf.writeInt32BE(hi, at);
  buf.writeUInt32BE(v - hi * TWO_32, at + 4);
}

/** What the broker needs to know about one produced batch, read from its header alone. */
export interface BatchHeader {
  /** Byte size of the whole batch, LOG_OVERHEAD included. */
  size: number;
  attributes: number;
  lastOffsetDelta: number;
  baseTimestamp: number;
  maxTimestamp: number;
  producerId: number;
  producerEpoch: number;
  baseSequence: number;
  recordCount: number;
}

/** A produced batch's failure: the Kafka error code and the message the broker logs/returns. */
export interface BatchProblem {
  code: number;
  message: string;
}

/**
 * Validates the record data of one partition of a Produce request (v3+) the way Kafka's
 * ProduceRequest.validateRecords and LogValidator do at the batch level: exactly one batch,
 * magic 2, base offset 0, a CRC32C that matches, a sane offset range and record count. Records
 * are not decoded.
 */
export function validateProducedBatch(records: Buffer | null, maxMessageBytes: number): BatchHeader | BatchProblem {
  if (records === null || records.length < LOG_OVERHEAD) {
    return { code: ErrorCode.INVALID_RECORD, message: 'Produce requests with version 3 are only allowed to contain exactly one record batch' };
  }
  const batchLength = records.readInt32BE(BATCH_LENGTH);
  const size = LOG_OVERHEAD + batchLength;
  if (records.length >= MAGIC + 1 && records[MAGIC] !== 2) {
    return { code: ErrorCode.INVALID_RECORD, message: 'Produce requests with version >= 3 are only allowed to contain record batches with magic version 2' };
  }
  if (batchLength < HEADER_SIZE - LOG_OVERHEAD || size > records.length) {
    return { code: ErrorCode.CORRUPT_MESSAGE, message: `Record batch size ${size} does not fit the ${records.length} bytes sent` };
  }
  if (size !== records.length) {
    return { code: ErrorCode.INVALID_RECORD, message: 'Produce requests with version 3 are only allowed to contain exactly one record batch' };
  }
  // Kafka (UnifiedLog.analyzeAndValidateRecords) refuses client batches whose base offset is not 0
  const baseOffset = readInt64(records, BASE_OFFSET);
  if (baseOffset !== 0) {
    return { code: ErrorCode.INVALID_RECORD, message: `The baseOffset of the record batch in the append should be 0, but it is ${baseOffset}` };
  }
  if (size > maxMessageBytes) {
    return { code: ErrorCode.MESSAGE_TOO_LARGE, message: `The record batch size ${size} exceeds max.message.bytes ${maxMessageBytes}` };
  }
  const crc = records.readUInt32BE(CRC);
  if (crc32c(records.subarray(ATTRIBUTES, size)) !== crc) {
    return { code: ErrorCode.CORRUPT_MESSAGE, message: 'Record batch is corrupt (CRC mismatch)' };
  }
  const attributes = records.readInt16BE(ATTRIBUTES);
  const lastOffsetDelta = records.readInt32BE(LAST_OFFSET_DELTA);
  const recordCount = records.readInt32BE(RECORDS_COUNT);
  if (lastOffsetDelta < 0) {
    return { code: ErrorCode.INVALID_RECORD, message: `Batch has an invalid offset range: last offset delta ${lastOffsetDelta}` };
  }
  if (recordCount <= 0) {
    return { code: ErrorCode.INVALID_RECORD, message: `Invalid reported count for record batch: ${recordCount}` };
  }
  if (recordCount !== lastOffsetDelta + 1) {
    return { code: ErrorCode.INVALID_RECORD, message: `Inconsistent batch offset range (${lastOffsetDelta + 1}) and record count (${recordCount})` };
  }
  if ((attributes & COMPRESSION_MASK) > Compression.zstd) {
    return { code: ErrorCode.INVALID_RECORD, message: `Unknown compression codec ${attributes & COMPRESSION_MASK}` };
  }
  if (attributes & CONTROL_BIT) {
    return { code: ErrorCode.INVALID_RECORD, message: 'Clients are not allowed to write control records' };
  }
  return readBatchHeader(records);
}

export function isBatchProblem(x: BatchHeader | BatchProblem): x is BatchProblem {
  return (x as BatchProblem).code !== undefined;
}

/** Sets the broker-assigned fields of a stored batch; only the log-append-time path touches CRC-covered bytes. */
export function assignBatch(batch: Buffer, baseOffset: number, leaderEpoch: number, logAppendTime: number | null): void {
  writeInt64(batch, BASE_OFFSET, baseOffset);
  batch.writeInt32BE(leaderEpoch, PARTITION_LEADER_EPOCH);
  if (logAppendTime !== null) {
    batch.writeInt16BE(batch.readInt16BE(ATTRIBUTES) | TIMESTAMP_TYPE_BIT, ATTRIBUTES);
    writeInt64(batch, MAX_TIMESTAMP, logAppendTime);
    batch.writeUInt32BE(crc32c(batch.subarray(ATTRIBUTES)), CRC);
  }
}

// ---------------------------------------------------------------------------------------------
// Full batches: building and reading individual records.

export interface RecordHeader {
  key: string;
  value: Buffer | null;
}

export interface Record {
  offset: number;
  timestamp: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: RecordHeader[];
}

export interface BatchOptions {
  baseOffset?: number;
  partitionLeaderEpoch?: number;
  /** Attribute bits other than compression (transactional, control, timestamp type). */
  attributes?: number;
  baseTimestamp?: number;
  maxTimestamp?: number;
  producerId?: number;
  producerEpoch?: number;
  baseSequence?: number;
}

export interface RecordInput {
  key?: Buffer | string | null;
  value: Buffer | string | null;
  headers?: { key: string; value: Buffer | string | null }[];
  timestamp?: number;
  /** Offset delta from the batch's base offset; defaults to the record's index. */
  offsetDelta?: number;
}

const toBuf = (x: Buffer | string | null | undefined): Buffer | null =>
  x === null || x === undefined ? null : typeof x === 'string' ? Buffer.from(x) : x;

/** A record field: varint length (-1 for null), then the bytes. */
function writeVarBytes(w: Writer, b: Buffer | null): void {
  if (b === null) w.varint(-1);
  else {
    w.varint(b.length);
    w.raw(b);
  }
}

function readVarBytes(r: Reader): Buffer | null {
  const len = r.varint();
  if (len < 0) return null;
  r.need(len);
  return Buffer.from(r.buf.subarray(r.pos, (r.pos += len)));
}

/** Encodes an uncompressed RecordBatch (magic 2) with a correct CRC32C. */
export function encodeRecordBatch(records: RecordInput[], opts: BatchOptions = {}): Buffer {
  const now = Date.now();
  const baseTimestamp = opts.baseTimestamp ?? (records[0]?.timestamp ?? now);
  const body = new Writer(256);
  let maxTimestamp = -1;
  let lastOffsetDelta = 0;
  records.forEach((rec, i) => {
    const ts = rec.timestamp ?? baseTimestamp;
    if (ts > maxTimestamp) maxTimestamp = ts;
    const delta = rec.offsetDelta ?? i;
    if (delta > lastOffsetDelta) lastOffsetDelta = delta;
    const r = new Writer(64);
    r.int8(0); // record attributes, unused
    r.varlong(ts - baseTimestamp);
    r.varint(delta);
    writeVarBytes(r, toBuf(rec.key));
    writeVarBytes(r, toBuf(rec.value));
    const headers = rec.headers ?? [];
    r.varint(headers.length);
    for (const h of headers) {
      writeVarBytes(r, Buffer.from(h.key));
      writeVarBytes(r, toBuf(h.value));
    }
    const rb = r.toBuffer();
    body.varint(rb.length);
    body.raw(rb);
  });
  const recordsBytes = body.toBuffer();
  const batch = Buffer.alloc(HEADER_SIZE + recordsBytes.length);
  writeInt64(batch, BASE_OFFSET, opts.baseOffset ?? 0);
  batch.writeInt32BE(batch.length - LOG_OVERHEAD, BATCH_LENGTH);
  batch.writeInt32BE(opts.partitionLeaderEpoch ?? -1, PARTITION_LEADER_EPOCH);
  batch.writeInt8(2, MAGIC);
  batch.writeInt16BE(opts.attributes ?? 0, ATTRIBUTES);
  batch.writeInt32BE(records.length === 0 ? 0 : lastOffsetDelta, LAST_OFFSET_DELTA);
  writeInt64(batch, BASE_TIMESTAMP, baseTimestamp);
  writeInt64(batch, MAX_TIMESTAMP, opts.maxTimestamp ?? (maxTimestamp < 0 ? baseTimestamp : maxTimestamp));
  writeInt64(batch, PRODUCER_ID, opts.producerId ?? -1);
  batch.writeInt16BE(opts.producerEpoch ?? -1, PRODUCER_EPOCH);
  batch.writeInt32BE(opts.baseSequence ?? -1, BASE_SEQUENCE);
  batch.writeInt32BE(records.length, RECORDS_COUNT);
  recordsBytes.copy(batch, HEADER_SIZE);
  batch.writeUInt32BE(crc32c(batch.subarray(ATTRIBUTES)), CRC);
  return batch;
}

export interface DecodedBatch {
  baseOffset: number;
  partitionLeaderEpoch: number;
  attributes: number;
  lastOffsetDelta: number;
  baseTimestamp: number;
  maxTimestamp: number;
  producerId: number;
  producerEpoch: number;
  baseSequence: number;
  records: Record[];
}

/** Decompresses a batch's records section; null for a codec this process cannot read. */
function recordsSection(batch: Buffer, codec: number): Buffer | null {
  const section = batch.subarray(HEADER_SIZE);
  if (codec === Compression.none) return section;
  if (codec === Compression.gzip) return gunzipSync(section);
  return null;
}

/** Decodes every batch in `data` (stored or fetched bytes). Throws on malformed data or a codec it cannot read. */
export function decodeBatches(data: Buffer): DecodedBatch[] {
  const out: DecodedBatch[] = [];
  let pos = 0;
  while (pos + LOG_OVERHEAD <= data.length) {
    const size = LOG_OVERHEAD + data.readInt32BE(pos + BATCH_LENGTH);
    if (pos + size > data.length) break; // a partial batch at the end of a fetch response
    const batch = data.subarray(pos, pos + size);
    out.push(decodeBatch(batch));
    pos += size;
  }
  return out;
}

export function decodeBatch(batch: Buffer): DecodedBatch {
  const attributes = batch.readInt16BE(ATTRIBUTES);
  const baseOffset = readInt64(batch, BASE_OFFSET);
  const baseTimestamp = readInt64(batch, BASE_TIMESTAMP);
  const maxTimestamp = readInt64(batch, MAX_TIMESTAMP);
  const logAppendTime = (attributes & TIMESTAMP_TYPE_BIT) !== 0;
  const count = batch.readInt32BE(RECORDS_COUNT);
  const section = recordsSection(batch, attributes & COMPRESSION_MASK);
  if (section === null) throw new Error(`cannot decompress codec ${attributes & COMPRESSION_MASK}`);
  const r = new Reader(section);
  const records: Record[] = [];
  for (let i = 0; i < count; i++) {
    const len = r.varint();
    const end = r.pos + len;
    r.int8();
    const tsDelta = r.varlong();
    const offsetDelta = r.varint();
    const key = readVarBytes(r);
    const value = readVarBytes(r);
    const headerCount = r.varint();
    const headers: RecordHeader[] = [];
    for (let h = 0; h < headerCount; h++) {
      const hk = readVarBytes(r);
      headers.push({ key: hk === null ? '' : hk.toString('utf8'), value: readVarBytes(r) });
    }
    r.pos = end;
    records.push({
      offset: baseOffset + offsetDelta,
      timestamp: logAppendTime ? maxTimestamp : baseTimestamp + tsDelta,
      key,
      value,
      headers,
    });
  }
  return {
    baseOffset,
    partitionLeaderEpoch: batch.readInt32BE(PARTITION_LEADER_EPOCH),
    attributes,
    lastOffsetDelta: batch.readInt32BE(LAST_OFFSET_DELTA),
    baseTimestamp,
    maxTimestamp,
    producerId: readInt64(batch, PRODUCER_ID),
    producerEpoch: batch.readInt16BE(PRODUCER_EPOCH),
    baseSequence: batch.readInt32BE(BASE_SEQUENCE),
    records,
  };
}

/**
 * Offsets and timestamps of the records of one stored batch, for lookups by time. Returns null
 * when the batch's codec cannot be read here; callers then answer at batch granularity.
 */
export function recordTimestamps(batch: Buffer): { offset: number; timestamp: number }[] | null {
  const attributes = batch.readInt16BE(ATTRIBUTES);
  const baseOffset = readInt64(batch, BASE_OFFSET);
  const baseTimestamp = readInt64(batch, BASE_TIMESTAMP);
  const maxTimestamp = readInt64(batch, MAX_TIMESTAMP);
  const count = batch.readInt32BE(RECORDS_COUNT);
  if (attributes & TIMESTAMP_TYPE_BIT) {
    // log append time: every record carries the batch's max timestamp
    return [{ offset: baseOffset, timestamp: maxTimestamp }];
  }
  const section = recordsSection(batch, attributes & COMPRESSION_MASK);
  if (section === null) return null;
  const r = new Reader(section);
  const out: { offset: number; timestamp: number }[] = [];
  for (let i = 0; i < count; i++) {
    const len = r.varint();
    const end = r.pos + len;
    r.int8();
    const tsDelta = r.varlong();
    const offsetDelta = r.varint();
    out.push({ offset: baseOffset + offsetDelta, timestamp: baseTimestamp + tsDelta });
    r.pos = end;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Records as the log cleaner sees them: keys and tombstones, and batches rebuilt from a subset.

/** One record of a stored batch: its offset, timestamp, key, and where its encoding lies. */
export interface RecordView {
  offset: number;
  timestamp: number;
  /** A view of the key bytes, or null. */
  key: Buffer | null;
  /** False for a tombstone (null value). */
  hasValue: boolean;
  /** The record's encoding after its length prefix. */
  body: Buffer;
  /** Where, in `body`, the offset delta starts (after the attributes and the timestamp delta). */
  afterTimestamp: number;
}

/**
 * The records of one stored batch, or null when its codec cannot be read here. Throws on a
 * malformed records section.
 */
export function batchRecords(batch: Buffer): RecordView[] | null {
  const attributes = batch.readInt16BE(ATTRIBUTES);
  const section = recordsSection(batch, attributes & COMPRESSION_MASK);
  if (section === null) return null;
  const baseOffset = readInt64(batch, BASE_OFFSET);
  const baseTimestamp = readInt64(batch, BASE_TIMESTAMP);
  const count = batch.readInt32BE(RECORDS_COUNT);
  const r = new Reader(section);
  const out: RecordView[] = [];
  for (let i = 0; i < count; i++) {
    const len = r.varint();
    r.need(len);
    const start = r.pos;
    const end = start + len;
    r.int8();
    const tsDelta = r.varlong();
    const afterTimestamp = r.pos - start;
    const offsetDelta = r.varint();
    const keyLength = r.varint();
    let key: Buffer | null = null;
    if (keyLength >= 0) {
      r.need(keyLength);
      key = section.subarray(r.pos, r.pos + keyLength);
      r.pos += keyLength;
    }
    const valueLength = r.varint();
    if (r.pos > end) throw new Error('a record overruns its length');
    out.push({ offset: baseOffset + offsetDelta, timestamp: baseTimestamp + tsDelta, key, hasValue: valueLength >= 0, body: section.subarray(start, end), afterTimestamp });
    r.pos = end;
  }
  return out;
}

/**
 * A batch holding only `records` (a subset of `original`'s, in order), as Kafka's cleaner
 * rebuilds one: the header is kept (base offset, last offset delta, producer fields, leader
 * epoch, codec), the record count and CRC are new, the max timestamp is that of the records
 * kept (LogAppendTime batches keep theirs), and with `deleteHorizonMs` the base timestamp
 * becomes the delete horizon (KIP-534) with each record's timestamp delta rewritten to match.
 */
export function rebuildBatch(original: Buffer, records: readonly RecordView[], deleteHorizonMs: number | null): Buffer {
  let attributes = original.readInt16BE(ATTRIBUTES);
  const oldBase = readInt64(original, BASE_TIMESTAMP);
  const base = deleteHorizonMs ?? oldBase;
  if (deleteHorizonMs !== null) attributes |= DELETE_HORIZON_BIT;
  const w = new Writer(original.length);
  let maxTimestamp = -1;
  for (const rec of records) {
    if (rec.timestamp > maxTimestamp) maxTimestamp = rec.timestamp;
    if (base === oldBase) {
      w.varint(rec.body.length);
      w.raw(rec.body);
      continue;
    }
    const body = new Writer(rec.body.length + 10);
    body.int8(rec.body[0]!);
    body.varlong(rec.timestamp - base);
    body.raw(rec.body.subarray(rec.afterTimestamp));
    const bytes = body.toBuffer();
    w.varint(bytes.length);
    w.raw(bytes);
  }
  let section = w.toBuffer();
  const codec = attributes & COMPRESSION_MASK;
  if (codec === Compression.gzip) section = gzipSync(section);
  else if (codec !== Compression.none) throw new Error(`cannot compress codec ${codec}`);
  const batch = Buffer.allocUnsafe(HEADER_SIZE + section.length);
  original.copy(batch, 0, 0, HEADER_SIZE);
  batch.writeInt32BE(batch.length - LOG_OVERHEAD, BATCH_LENGTH);
  batch.writeInt16BE(attributes, ATTRIBUTES);
  writeInt64(batch, BASE_TIMESTAMP, base);
  if ((attributes & TIMESTAMP_TYPE_BIT) === 0) writeInt64(batch, MAX_TIMESTAMP, maxTimestamp);
  batch.writeInt32BE(records.length, RECORDS_COUNT);
  section.copy(batch, HEADER_SIZE);
  batch.writeUInt32BE(crc32c(batch.subarray(ATTRIBUTES)), CRC);
  return batch;
}

// ---------------------------------------------------------------------------------------------
// Transaction markers: control batches of one record whose key is (version, type) and whose value
// is (version, coordinator epoch), as Kafka's EndTransactionMarker writes them.

/** Kafka's ControlRecordType ids. */
export const ControlType = { ABORT: 0, COMMIT: 1 } as const;

export interface EndTxnMarker {
  commit: boolean;
  coordinatorEpoch: number;
}

/** The header fields a stored or produced batch is read by (see BatchHeader), from its first 61 bytes. */
export function readBatchHeader(batch: Buffer): BatchHeader {
  return {
    size: LOG_OVERHEAD + batch.readInt32BE(BATCH_LENGTH),
    attributes: batch.readInt16BE(ATTRIBUTES),
    lastOffsetDelta: batch.readInt32BE(LAST_OFFSET_DELTA),
    baseTimestamp: readInt64(batch, BASE_TIMESTAMP),
    maxTimestamp: readInt64(batch, MAX_TIMESTAMP),
    producerId: readInt64(batch, PRODUCER_ID),
    producerEpoch: batch.readInt16BE(PRODUCER_EPOCH),
    baseSequence: batch.readInt32BE(BASE_SEQUENCE),
    recordCount: batch.readInt32BE(RECORDS_COUNT),
  };
}

/**
 * The commit/abort marker a control batch carries, or null when it carries none (an empty
 * control batch, which the cleaner leaves behind, or another control record type). Control
 * batches are never compressed. Throws on malformed bytes.
 */
export function readEndTxnMarker(batch: Buffer): EndTxnMarker | null {
  if (batch.readInt32BE(RECORDS_COUNT) === 0) return null;
  const r = new Reader(batch.subarray(HEADER_SIZE));
  r.varint(); // record length
  r.int8();
  r.varlong();
  r.varint();
  const key = readVarBytes(r);
  const value = readVarBytes(r);
  if (key === null || key.length < 4) throw new Error('a control record without a key');
  const type = key.readInt16BE(2);
  if (type !== ControlType.ABORT && type !== ControlType.COMMIT) return null;
  if (value === null || value.length < 6) throw new Error('a transaction marker without a coordinator epoch');
  return { commit: type === ControlType.COMMIT, coordinatorEpoch: value.readInt32BE(2) };
}

/** A commit or abort marker batch for one producer, ready to append (offsets assigned by the log). */
export function encodeEndTxnMarker(producerId: number, producerEpoch: number, marker: EndTxnMarker, timestamp: number): Buffer {
  const key = Buffer.alloc(4);
  key.writeInt16BE(0, 0);
  key.writeInt16BE(marker.commit ? ControlType.COMMIT : ControlType.ABORT, 2);
  const value = Buffer.alloc(6);
  value.writeInt16BE(0, 0);
  value.writeInt32BE(marker.coordinatorEpoch, 2);
  return encodeRecordBatch([{ key, value, timestamp }], {
    attributes: CONTROL_BIT | TRANSACTIONAL_BIT,
    baseTimestamp: timestamp,
    producerId,
    producerEpoch,
    baseSequence: -1,
  });
}
