// Idempotent and transactional producers' state of one partition (Kafka's ProducerStateManager,
// ProducerStateEntry and ProducerAppendInfo): per producer id, its epoch, the sequence ranges and
// offsets of its last five batches, the first offset of its open transaction and the epoch of the
// coordinator that last wrote it a marker. Built from batch headers alone (and the one record of a
// marker) - the produce path still never decodes records.
//
// The log owns it: every append goes through `apply`, and a restart rebuilds it from the latest
// snapshot (written at segment rolls and shutdown) plus the batches after it. The broker checks a
// client's batch with `check` before appending: a retried batch (same epoch and sequence range as
// one of the five) is answered with the offsets it got the first time, a gap in the sequence is
// OUT_OF_ORDER_SEQUENCE_NUMBER, an older epoch INVALID_PRODUCER_EPOCH. As in Kafka, a producer
// without an open transaction whose last batch is older than producer.id.expiration.ms (by the
// batch's timestamp) is dropped by a sweep that runs every producer.id.expiration.check.interval.ms
// - here the first check after it is due - and not at lookup. Retention and DeleteRecords leave
// the state alone (KIP-360).
import { crc32c } from '@node-rs/crc32';
import { ErrorCode } from '../protocol/errors.js';
import { CONTROL_BIT, TRANSACTIONAL_BIT, readEndTxnMarker, type BatchHeader, type EndTxnMarker } from '../protocol/records.js';

/** Kafka's ProducerStateEntry.NUM_BATCHES_TO_RETAIN. */
const BATCHES_TO_RETAIN = 5;
const INT32_MAX = 2_147_483_647;
const SNAPSHOT_VERSION = 1;

interface BatchMetadata {
  firstSeq: number;
  lastSeq: number;
  firstOffset: number;
  lastOffset: number;
  timestamp: number;
}

export interface ProducerEntry {
  producerId: number;
  epoch: number;
  /** Oldest first, at most five. */
  batches: BatchMetadata[];
  lastTimestamp: number;
  /** Epoch of the coordinator that wrote this producer's last marker, or -1. */
  coordinatorEpoch: number;
  /** First offset of the producer's open transaction, or -1. */
  currentTxnFirstOffset: number;
}

/** An aborted transaction as the transaction index records it (Kafka's AbortedTxn). */
export interface AbortedTxn {
  producerId: number;
  firstOffset: number;
  /** The offset of the abort marker. */
  lastOffset: number;
  /** The last stable offset once the transaction completed. */
  lastStableOffset: number;
}

export type SequenceCheck =
  | { kind: 'append' }
  | { kind: 'duplicate'; firstOffset: number; lastOffset: number }
  | { kind: 'error'; code: number; message: string };

export interface ExpirySettings {
  /** producer.id.expiration.ms */
  expirationMs: number;
  /** producer.id.expiration.check.interval.ms */
  checkIntervalMs: number;
}

const APPEND: SequenceCheck = { kind: 'append' };

/** Kafka's DefaultRecordBatch.incrementSequence: sequences wrap from Int.MAX to 0. */
export function lastSequence(header: Pick<BatchHeader, 'baseSequence' | 'lastOffsetDelta'>): number {
  const s = header.baseSequence + header.lastOffsetDelta;
  return s > INT32_MAX ? s - INT32_MAX - 1 : s;
}

function inSequence(lastSeq: number, nextSeq: number): boolean {
  return nextSeq === lastSeq + 1 || (nextSeq === 0 && lastSeq === INT32_MAX);
}

/** The header fields producer state is kept from. */
export type ProducerBatch = Pick<BatchHeader, 'attributes' | 'lastOffsetDelta' | 'producerId' | 'producerEpoch' | 'baseSequence'>;

export class ProducerStateManager {
  private readonly entries = new Map<number, ProducerEntry>();
  /** Open transactions by first offset; appended in offset order, so the first key is the lowest. */
  private readonly ongoing = new Map<number, number>();
  private nextSweep = 0;

  constructor(private readonly name: string) {}

  /** Whether a batch changes producer state (it has a producer id, or is a marker). */
  static tracks(header: Pick<BatchHeader, 'producerId' | 'attributes'>): boolean {
    return header.producerId >= 0 || (header.attributes & CONTROL_BIT) !== 0;
  }

  /**
   * Kafka's duplicate check (UnifiedLog.analyzeAndValidateProducerState) then
   * ProducerAppendInfo's epoch, sequence and transaction checks, for a client's data batch.
   */
  check(header: BatchHeader, now: number, expiry: ExpirySettings): SequenceCheck {
    this.maybeSweep(now, expiry);
    const e = this.entries.get(header.producerId);
    if (e === undefined) return APPEND; // no state (new, expired, or never written here): any sequence is accepted
    const firstSeq = header.baseSequence;
    const lastSeq = lastSequence(header);
    if (header.producerEpoch === e.epoch) {
      const dup = e.batches.find(b => b.firstSeq === firstSeq && b.lastSeq === lastSeq);
      if (dup !== undefined) return { kind: 'duplicate', firstOffset: dup.firstOffset, lastOffset: dup.lastOffset };
    }
    if (header.producerEpoch < e.epoch) {
      return {
        kind: 'error',
        code: ErrorCode.INVALID_PRODUCER_EPOCH,
        message: `Epoch of producer ${header.producerId} in ${this.name} is ${header.producerEpoch}, which is smaller than the last seen epoch ${e.epoch}`,
      };
    }
    if (header.producerEpoch !== e.epoch) {
      if (firstSeq !== 0) {
        return {
          kind: 'error',
          code: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
          message: `Invalid sequence number for new epoch of producer ${header.producerId} in partition ${this.name}: ${header.producerEpoch} (request epoch), ${firstSeq} (seq. number), ${e.epoch} (current producer epoch)`,
        };
      }
    } else {
      const currentLastSeq = e.batches.length > 0 ? e.batches[e.batches.length - 1]!.lastSeq : -1;
      if (!inSequence(currentLastSeq, firstSeq)) {
        return {
          kind: 'error',
          code: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
          message: `Out of order sequence number for producer ${header.producerId} in partition ${this.name}: ${firstSeq} (incoming seq. number), ${currentLastSeq} (current end sequence number)`,
        };
      }
    }
    if (e.currentTxnFirstOffset >= 0 && (header.attributes & TRANSACTIONAL_BIT) === 0) {
      return { kind: 'error', code: ErrorCode.INVALID_TXN_STATE, message: `Expected transactional write from producer ${header.producerId} in partition ${this.name}` };
    }
    return APPEND;
  }

  /**
   * Kafka's checks of a marker the transaction coordinator writes (appendEndTxnMarker): an older
   * producer epoch is INVALID_PRODUCER_EPOCH, an older coordinator epoch TRANSACTION_COORDINATOR_FENCED.
   * Null when the marker may be written.
   */
  checkMarker(producerId: number, producerEpoch: number, coordinatorEpoch: number): { code: number; message: string } | null {
    const e = this.entries.get(producerId);
    if (e === undefined) return null;
    if (producerEpoch < e.epoch) {
      return { code: ErrorCode.INVALID_PRODUCER_EPOCH, message: `Epoch of producer ${producerId} in ${this.name} is ${producerEpoch}, which is smaller than the last seen epoch ${e.epoch}` };
    }
    if (coordinatorEpoch < e.coordinatorEpoch) {
      return {
        code: ErrorCode.TRANSACTION_COORDINATOR_FENCED,
        message: `Invalid coordinator epoch for producerId ${producerId} in partition ${this.name}: ${coordinatorEpoch} (zombie), ${e.coordinatorEpoch} (current)`,
      };
    }
    return null;
  }

  /**
   * Records an appended batch at `firstOffset` (Kafka's ProducerAppendInfo.append then update).
   * `marker` is the commit/abort a control batch carries. Returns the aborted transaction to add
   * to the transaction index when the batch aborts one that wrote data here.
   */
  apply(header: ProducerBatch, firstOffset: number, timestamp: number, marker: EndTxnMarker | null): AbortedTxn | null {
    // an emptied control batch (the cleaner's) or another control type changes nothing (as Kafka)
    if ((header.attributes & CONTROL_BIT) !== 0 && marker === null) return null;
    let e = this.entries.get(header.producerId);
    if (e === undefined) {
      e = { producerId: header.producerId, epoch: header.producerEpoch, batches: [], lastTimestamp: timestamp, coordinatorEpoch: -1, currentTxnFirstOffset: -1 };
      this.entries.set(header.producerId, e);
    }
    if (e.epoch !== header.producerEpoch) {
      e.epoch = header.producerEpoch;
      e.batches = [];
    }
    e.lastTimestamp = timestamp;
    if (marker !== null) {
      e.coordinatorEpoch = marker.coordinatorEpoch;
      const first = e.currentTxnFirstOffset;
      if (first < 0) return null; // a transaction that wrote nothing here leaves no trace in the index
      e.currentTxnFirstOffset = -1;
      // Kafka's lastStableOffset(completedTxn): the first other open transaction, else past the marker
      let lastStableOffset = firstOffset + 1;
      for (const [offset, pid] of this.ongoing) {
        if (pid !== header.producerId) {
          lastStableOffset = offset;
          break;
        }
      }
      this.ongoing.delete(first);
      return marker.commit ? null : { producerId: header.producerId, firstOffset: first, lastOffset: firstOffset, lastStableOffset };
    }
    if (e.batches.length === BATCHES_TO_RETAIN) e.batches.shift();
    e.batches.push({ firstSeq: header.baseSequence, lastSeq: lastSequence(header), firstOffset, lastOffset: firstOffset + header.lastOffsetDelta, timestamp });
    if ((header.attributes & TRANSACTIONAL_BIT) !== 0 && e.currentTxnFirstOffset < 0) {
      e.currentTxnFirstOffset = firstOffset;
      this.ongoing.set(firstOffset, header.producerId);
    }
    return null;
  }

  /** The first offset of the oldest open transaction, or -1 (the last stable offset is this or the high watermark). */
  firstUnstableOffset(): number {
    for (const offset of this.ongoing.keys()) return offset;
    return -1;
  }

  /** The producers with state here (DescribeProducers). */
  activeProducers(): readonly ProducerEntry[] {
    return [...this.entries.values()];
  }

  entry(producerId: number): ProducerEntry | undefined {
    return this.entries.get(producerId);
  }

  /** Kafka's removeExpiredProducers, when the check interval has come round; an open transaction keeps its producer. */
  private maybeSweep(now: number, expiry: ExpirySettings): void {
    if (now < this.nextSweep) return;
    const due = this.nextSweep !== 0;
    this.nextSweep = now + expiry.checkIntervalMs;
    if (!due) return; // the first call starts the interval
    for (const [id, e] of this.entries) {
      if (e.currentTxnFirstOffset < 0 && now - e.lastTimestamp >= expiry.expirationMs) this.entries.delete(id);
    }
  }

  /** The state as a snapshot file's bytes: a CRC32C line, then JSON. */
  encodeSnapshot(): Buffer {
    const producers = [...this.entries.values()].map(e => [
      e.producerId,
      e.epoch,
      e.coordinatorEpoch,
      e.lastTimestamp,
      e.currentTxnFirstOffset,
      e.batches.map(b => [b.firstSeq, b.lastSeq, b.firstOffset, b.lastOffset, b.timestamp]),
    ]);
    const body = JSON.stringify({ version: SNAPSHOT_VERSION, producers });
    return Buffer.from(`${crc32c(body).toString(16)}\n${body}`);
  }

  /** Replaces the state by a snapshot's; throws (changing nothing) when the bytes are not a sound snapshot. */
  loadSnapshot(bytes: Buffer): void {
    const text = bytes.toString('utf8');
    const nl = text.indexOf('\n');
    const body = text.slice(nl + 1);
    if (nl < 0 || crc32c(body).toString(16) !== text.slice(0, nl)) throw new Error('producer snapshot checksum mismatch');
    const parsed = JSON.parse(body) as { version: number; producers: unknown[] };
    if (parsed.version !== SNAPSHOT_VERSION || !Array.isArray(parsed.producers)) throw new Error(`unknown producer snapshot version ${parsed.version}`);
    const num = (x: unknown): number => {
      if (typeof x !== 'number' || !Number.isSafeInteger(x)) throw new Error('malformed producer snapshot');
      return x;
    };
    const entries: ProducerEntry[] = parsed.producers.map(p => {
      if (!Array.isArray(p) || p.length !== 6 || !Array.isArray(p[5])) throw new Error('malformed producer snapshot');
      const batches = (p[5] as unknown[]).map(b => {
        if (!Array.isArray(b) || b.length !== 5) throw new Error('malformed producer snapshot');
        return { firstSeq: num(b[0]), lastSeq: num(b[1]), firstOffset: num(b[2]), lastOffset: num(b[3]), timestamp: num(b[4]) };
      });
      return { producerId: num(p[0]), epoch: num(p[1]), coordinatorEpoch: num(p[2]), lastTimestamp: num(p[3]), currentTxnFirstOffset: num(p[4]), batches };
    });
    this.entries.clear();
    this.ongoing.clear();
    for (const e of entries) this.entries.set(e.producerId, e);
    const open = entries.filter(e => e.currentTxnFirstOffset >= 0).sort((a, b) => a.currentTxnFirstOffset - b.currentTxnFirstOffset);
    for (const e of open) this.ongoing.set(e.currentTxnFirstOffset, e.producerId);
  }
}

/**
 * Records an appended (or replayed) stored batch in `producers`; returns the aborted transaction
 * its marker completes, for the transaction index. A marker whose record cannot be read counts
 * as none (only the coordinator writes markers; a damaged one is not worth refusing a log over).
 */
export function recordAppend(producers: ProducerStateManager, batch: Buffer, header: ProducerBatch, baseOffset: number, timestamp: number): AbortedTxn | null {
  if (!ProducerStateManager.tracks(header)) return null;
  let marker: EndTxnMarker | null = null;
  if ((header.attributes & CONTROL_BIT) !== 0) {
    try {
      marker = readEndTxnMarker(batch);
    } catch {
      marker = null;
    }
  }
  return producers.apply(header, baseOffset, timestamp, marker);
}
