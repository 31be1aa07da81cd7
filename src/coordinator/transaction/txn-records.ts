// The records of the internal topic __transaction_state, byte for byte as Kafka 4.1 writes them.
//
// Key: an int16 0, then the transactional id as an int16-length string. Kafka 4.1 calls the int16
// the record type (CoordinatorRecordType TRANSACTION_LOG, the key schema's apiKey 0); Kafkas
// before 4.0 called it key version 0. Either way it is 0 and the key is never flexible.
//
// Value: an int16 version, then the fields at that version; a null value is a tombstone (Kafka
// writes one when it expires a transactional id).
//   v0 (not flexible): int64 ProducerId, int16 ProducerEpoch, int32 TransactionTimeoutMs,
//      int8 TransactionStatus, TransactionPartitions as a nullable int32-length array of
//      { int16-length string Topic, int32-length int32 array PartitionIds },
//      int64 TransactionLastUpdateTimestampMs, int64 TransactionStartTimestampMs.
//   v1 (flexible): the same fields with compact (uvarint length + 1) strings and arrays, a tagged
//      field section after each partitions entry and after the whole value. Tagged fields, each
//      written only when not its default: 0 PreviousProducerId (int64, default -1),
//      1 NextProducerId (int64, default -1), 2 ClientTransactionVersion (int16, default 0).
//
// Which version Kafka 4.1 writes (TransactionLog.valueToBytes with TransactionStateManager's
// transactionVersionLevel()): v1 when the cluster's finalized feature transaction.version is at
// least 1, else v0. It is the cluster's level, not the transaction's ClientTransactionVersion.
// encodeTxnValue takes that level as an optional argument; without it, it falls back to the
// value's clientTransactionVersion, a lower bound of the cluster's level (Kafka only gives a
// transaction a version the cluster has finalized), which gives v1 for every TV2 transaction.
//
// What Kafka 4.1 puts in a value:
//   - TransactionPartitions is null when the state is Empty (and Kafka refuses an Empty state with
//     partitions), else an array, empty when there are no partitions (CompleteCommit, ...), with
//     one entry per topic.
//   - ClientTransactionVersion is always set; the generated writer refuses a non-zero one at v0.
//   - PreviousProducerId and NextProducerId are never set, so they are never on the wire and read
//     back as -1 (KAFKA-20310, fixed after 4.1, sets them at v1+). This encoder writes whatever it
//     is given at v1 (pass -1 for 4.1's exact bytes) and drops them at v0, as the fix does.
//
// The decoders read both versions, skip tagged fields they do not know, never read past the end,
// ignore bytes after the last field (as Kafka's generated readers do), and throw TxnRecordError,
// and nothing else, for malformed bytes.
import { ProtocolError, Reader, Writer } from '../../protocol/wire.js';

export const TRANSACTION_STATE_TOPIC = '__transaction_state';

/** Kafka's TransactionState ids: the TransactionStatus byte of a value. */
export const TxnState = {
  Empty: 0,
  Ongoing: 1,
  PrepareCommit: 2,
  PrepareAbort: 3,
  CompleteCommit: 4,
  CompleteAbort: 5,
  Dead: 6,
  PrepareEpochFence: 7,
} as const;

export type TxnStateId = (typeof TxnState)[keyof typeof TxnState];

/** Kafka's state names, as DescribeTransactions and ListTransactions show them. */
export const TXN_STATE_NAMES: Readonly<Record<TxnStateId, string>> = {
  0: 'Empty',
  1: 'Ongoing',
  2: 'PrepareCommit',
  3: 'PrepareAbort',
  4: 'CompleteCommit',
  5: 'CompleteAbort',
  6: 'Dead',
  7: 'PrepareEpochFence',
};

/** The int16 a key starts with: record type TRANSACTION_LOG (4.1), key version 0 (earlier). */
export const TXN_KEY_TYPE = 0;

/** The value versions: v0 below transaction.version 1, v1 (flexible) from it. */
export const TXN_VALUE_VERSION = { nonFlexible: 0, flexible: 1 } as const;

export interface TxnLogValue {
  /** int64 as a JS number. */
  producerId: number;
  /** v1 tagged field 0; -1 when absent (always, in v0 and in what Kafka 4.1 writes). */
  previousProducerId: number;
  /** v1 tagged field 1; -1 when absent (always, in v0 and in what Kafka 4.1 writes). */
  nextProducerId: number;
  /** int16. */
  producerEpoch: number;
  transactionTimeoutMs: number;
  state: TxnStateId;
  /**
   * One entry per topic. Written as null when the state is Empty (which must have none), else as
   * an array (empty when there are none). Decoded as [] for null and for every Empty value, whose
   * partitions Kafka ignores.
   */
  partitions: { topic: string; partitionIds: number[] }[];
  transactionLastUpdateTimestampMs: number;
  transactionStartTimestampMs: number;
  /** v1 tagged field 2: the TransactionVersion feature level the transaction uses; 0 when absent. */
  clientTransactionVersion: number;
}

/** Malformed __transaction_state bytes, or a value that cannot be encoded. */
export class TxnRecordError extends Error {
  override name = 'TxnRecordError';
  /**
   * Set when a key starts with an int16 other than 0. Kafka's loader skips such a record with a
   * warning ("a left over from an aborted upgrade") instead of failing the partition's load.
   */
  readonly unknownKeyType: number | undefined;

  constructor(message: string, unknownKeyType?: number) {
    super(message);
    this.unknownKeyType = unknownKeyType;
  }
}

/**
 * The partition of a coordinator's internal topic that holds `key`, as both of Kafka's
 * coordinators pick it (TransactionStateManager.partitionFor for __transaction_state,
 * GroupCoordinatorService.partitionFor for __consumer_offsets): Utils.abs(key.hashCode()) %
 * partitions, with Java's String.hashCode over UTF-16 code units and Utils.abs(Integer.MIN_VALUE)
 * = 0. The one implementation: partitionForTransactionalId and the group coordinator's
 * partitionForGroup both call it.
 */
export function coordinatorPartitionFor(key: string, partitions: number): number {
  const h = javaStringHashCode(key);
  return (h === -0x80000000 ? 0 : Math.abs(h)) % partitions;
}

/** Kafka's TransactionStateManager.partitionFor: see coordinatorPartitionFor. */
export function partitionForTransactionalId(transactionalId: string, partitions: number): number {
  return coordinatorPartitionFor(transactionalId, partitions);
}

/** Java's String.hashCode. */
export function javaStringHashCode(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(h, 31) + s.charCodeAt(i)) | 0;
  return h;
}

// ---- helpers ------------------------------------------------------------------------------------

const MAX_STRING = 0x7fff;
const NO_PRODUCER_ID = -1;

function fail(message: string): never {
  throw new TxnRecordError(message);
}

/** Turns the wire layer's errors (and a Buffer's range errors) into ours, naming the record. */
function rethrow(what: string, err: unknown): never {
  if (err instanceof TxnRecordError) throw new TxnRecordError(`${what}: ${err.message}`, err.unknownKeyType);
  if (err instanceof ProtocolError || err instanceof RangeError) throw new TxnRecordError(`${what}: ${err.message}`);
  throw err;
}

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
    if (!Buffer.isBuffer(buf)) fail('not a buffer');
    return read(new Reader(buf));
  } catch (err) {
    rethrow(`decoding ${what}`, err);
  }
}

function checkStringLength(s: string, field: string): void {
  const len = Buffer.byteLength(s);
  if (len > MAX_STRING) fail(`${field}: string of ${len} bytes is longer than ${MAX_STRING}`);
}

function readString(r: Reader, flexible: boolean, field: string): string {
  const len = flexible ? r.uvarint() - 1 : r.int16();
  if (len < 0) fail(`${field}: non-nullable string is null`);
  if (len > MAX_STRING) fail(`${field}: string length ${len}`);
  r.need(len);
  const s = r.buf.toString('utf8', r.pos, r.pos + len);
  r.pos += len;
  return s;
}

function readState(r: Reader): TxnStateId {
  const id = r.int8();
  if (id < TxnState.Empty || id > TxnState.PrepareEpochFence) fail(`unknown transaction state id ${id}`);
  return id as TxnStateId;
}

// ---- keys ---------------------------------------------------------------------------------------

export function encodeTxnKey(transactionalId: string): Buffer {
  return encoding('TransactionLogKey', w => {
    checkStringLength(transactionalId, 'transactionalId');
    w.int16(TXN_KEY_TYPE);
    w.string(transactionalId);
  });
}

/** The transactional id; TxnRecordError (with unknownKeyType set for a foreign key) otherwise. */
export function decodeTxnKey(key: Buffer): string {
  return decoding('TransactionLogKey', key, r => {
    const type = r.int16();
    if (type !== TXN_KEY_TYPE) throw new TxnRecordError(`unknown key type (version) ${type}`, type);
    return readString(r, false, 'transactionalId');
  });
}

// ---- values -------------------------------------------------------------------------------------

/**
 * Encodes a value at the version Kafka 4.1 writes for a cluster whose finalized transaction.version
 * is `transactionVersionLevel`: v1 from level 1, else v0. Without the level, the value's
 * clientTransactionVersion stands in for it (see the top of this file).
 */
export function encodeTxnValue(v: TxnLogValue, transactionVersionLevel: number = v.clientTransactionVersion): Buffer {
  return encoding('TransactionLogValue', w => {
    if (!Number.isInteger(transactionVersionLevel) || transactionVersionLevel < 0) {
      fail(`transaction.version level ${String(transactionVersionLevel)}`);
    }
    const version = transactionVersionLevel >= 1 ? TXN_VALUE_VERSION.flexible : TXN_VALUE_VERSION.nonFlexible;
    const flexible = version === TXN_VALUE_VERSION.flexible;
    if (!(v.state in TXN_STATE_NAMES) || !Number.isInteger(v.state)) fail(`unknown transaction state ${String(v.state)}`);
    const empty = v.state === TxnState.Empty;
    if (empty && v.partitions.length > 0) fail('an Empty transaction has no partitions');
    if (!flexible && v.clientTransactionVersion !== 0) {
      fail(`clientTransactionVersion ${v.clientTransactionVersion} needs value version 1 (transaction.version 1+)`);
    }

    w.int16(version);
    w.int64(v.producerId);
    w.int16(v.producerEpoch);
    w.int32(v.transactionTimeoutMs);
    w.int8(v.state);
    if (empty) {
      w.arrayLength(-1, flexible);
    } else {
      w.arrayLength(v.partitions.length, flexible);
      for (const p of v.partitions) {
        checkStringLength(p.topic, 'topic');
        if (flexible) w.compactString(p.topic);
        else w.string(p.topic);
        w.arrayLength(p.partitionIds.length, flexible);
        for (const id of p.partitionIds) w.int32(id);
        if (flexible) w.uvarint(0);
      }
    }
    w.int64(v.transactionLastUpdateTimestampMs);
    w.int64(v.transactionStartTimestampMs);
    if (!flexible) return;

    const hasPrevious = v.previousProducerId !== NO_PRODUCER_ID;
    const hasNext = v.nextProducerId !== NO_PRODUCER_ID;
    const hasClientVersion = v.clientTransactionVersion !== 0;
    w.uvarint(Number(hasPrevious) + Number(hasNext) + Number(hasClientVersion));
    if (hasPrevious) {
      w.uvarint(0);
      w.uvarint(8);
      w.int64(v.previousProducerId);
    }
    if (hasNext) {
      w.uvarint(1);
      w.uvarint(8);
      w.int64(v.nextProducerId);
    }
    if (hasClientVersion) {
      w.uvarint(2);
      w.uvarint(2);
      w.int16(v.clientTransactionVersion);
    }
  });
}

/** The value, or null for a tombstone. */
export function decodeTxnValue(value: Buffer | null): TxnLogValue | null {
  if (value === null) return null;
  return decoding('TransactionLogValue', value, r => {
    const version = r.int16();
    if (version !== TXN_VALUE_VERSION.nonFlexible && version !== TXN_VALUE_VERSION.flexible) fail(`unknown value version ${version}`);
    const flexible = version === TXN_VALUE_VERSION.flexible;
    const producerId = r.int64();
    const producerEpoch = r.int16();
    const transactionTimeoutMs = r.int32();
    const state = readState(r);
    const n = r.arrayLength(flexible);
    let partitions: TxnLogValue['partitions'] = [];
    if (n > 0) {
      partitions = new Array(n);
      for (let i = 0; i < n; i++) {
        const topic = readString(r, flexible, 'topic');
        const count = r.arrayLength(flexible);
        if (count < 0) fail('partitionIds: non-nullable array is null');
        const partitionIds: number[] = new Array(count);
        for (let j = 0; j < count; j++) partitionIds[j] = r.int32();
        if (flexible) r.skipTaggedFields();
        partitions[i] = { topic, partitionIds };
      }
    }
    const transactionLastUpdateTimestampMs = r.int64();
    const transactionStartTimestampMs = r.int64();
    let previousProducerId = NO_PRODUCER_ID;
    let nextProducerId = NO_PRODUCER_ID;
    let clientTransactionVersion = 0;
    if (flexible) {
      r.taggedFields((tag, f) => {
        if (tag === 0) previousProducerId = f.int64();
        else if (tag === 1) nextProducerId = f.int64();
        else if (tag === 2) clientTransactionVersion = f.int16();
      });
    }
    return {
      producerId,
      previousProducerId,
      nextProducerId,
      producerEpoch,
      transactionTimeoutMs,
      state,
      // Kafka ignores the partitions of an Empty value.
      partitions: state === TxnState.Empty ? [] : partitions,
      transactionLastUpdateTimestampMs,
      transactionStartTimestampMs,
      clientTransactionVersion,
    };
  });
}
