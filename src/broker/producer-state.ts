// Idempotent producers' state of one partition (Kafka's ProducerStateManager and
// ProducerStateEntry): per producer id, its epoch and the sequence ranges and offsets of its last
// five batches. Checked from the batch header alone — the produce path still never decodes records.
// A retried batch (same epoch and sequence range as one of the five) is answered with the offsets it
// got the first time and is not appended again; a gap in the sequence is OUT_OF_ORDER_SEQUENCE_NUMBER;
// an older epoch is INVALID_PRODUCER_EPOCH. As in Kafka, a producer whose last batch is older than
// producer.id.expiration.ms (by the batch's timestamp) is dropped by a sweep that runs every
// producer.id.expiration.check.interval.ms — here the first check or append after it is due — and
// not at lookup, so a batch with an old timestamp is still checked against its predecessor.
// Kept in memory: a restarted broker starts with no producer state (see the README).
import { ErrorCode } from '../protocol/errors.js';
import type { BatchHeader } from '../protocol/records.js';

/** Kafka's ProducerStateEntry.NUM_BATCHES_TO_RETAIN. */
const BATCHES_TO_RETAIN = 5;
const INT32_MAX = 2_147_483_647;

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
}

export type SequenceCheck =
  | { kind: 'append' }
  | { kind: 'duplicate'; firstOffset: number; lastOffset: number }
  | { kind: 'error'; code: number; message: string };

const APPEND: SequenceCheck = { kind: 'append' };

/** Kafka's DefaultRecordBatch.incrementSequence: sequences wrap from Int.MAX to 0. */
export function lastSequence(header: BatchHeader): number {
  const s = header.baseSequence + header.lastOffsetDelta;
  return s > INT32_MAX ? s - INT32_MAX - 1 : s;
}

function inSequence(lastSeq: number, nextSeq: number): boolean {
  return nextSeq === lastSeq + 1 || (nextSeq === 0 && lastSeq === INT32_MAX);
}

export class ProducerStateManager {
  private readonly entries = new Map<number, ProducerEntry>();
  private nextSweep = 0;

  constructor(
    private readonly name: string,
    /** producer.id.expiration.ms and producer.id.expiration.check.interval.ms */
    private readonly expiry: () => { expirationMs: number; checkIntervalMs: number },
  ) {}

  /**
   * Kafka's duplicate check (UnifiedLog.analyzeAndValidateProducerState) then
   * ProducerAppendInfo.checkProducerEpoch and checkSequence, for a client's data batch.
   */
  check(header: BatchHeader, now: number): SequenceCheck {
    this.maybeSweep(now);
    const e = this.entries.get(header.producerId);
    if (e === undefined) return APPEND; // no state (new, expired, or lost in a restart): any sequence is accepted
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
      return APPEND;
    }
    const currentLastSeq = e.batches.length > 0 ? e.batches[e.batches.length - 1]!.lastSeq : -1;
    if (!inSequence(currentLastSeq, firstSeq)) {
      return {
        kind: 'error',
        code: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
        message: `Out of order sequence number for producer ${header.producerId} in partition ${this.name}: ${firstSeq} (incoming seq. number), ${currentLastSeq} (current end sequence number)`,
      };
    }
    return APPEND;
  }

  /** Records an appended batch (Kafka's ProducerStateEntry.addBatch). */
  record(header: BatchHeader, firstOffset: number, timestamp: number): void {
    let e = this.entries.get(header.producerId);
    if (e === undefined) {
      e = { producerId: header.producerId, epoch: header.producerEpoch, batches: [], lastTimestamp: timestamp };
      this.entries.set(header.producerId, e);
    }
    if (e.epoch !== header.producerEpoch) {
      e.epoch = header.producerEpoch;
      e.batches = [];
    }
    if (e.batches.length === BATCHES_TO_RETAIN) e.batches.shift();
    e.batches.push({ firstSeq: header.baseSequence, lastSeq: lastSequence(header), firstOffset, lastOffset: firstOffset + header.lastOffsetDelta, timestamp });
    e.lastTimestamp = timestamp;
  }

  /** Kafka's removeExpiredProducers, when the check interval has come round. */
  private maybeSweep(now: number): void {
    if (now < this.nextSweep) return;
    const { expirationMs, checkIntervalMs } = this.expiry();
    const due = this.nextSweep !== 0;
    this.nextSweep = now + checkIntervalMs;
    if (!due) return; // the first call starts the interval
    for (const [id, e] of this.entries) if (now - e.lastTimestamp >= expirationMs) this.entries.delete(id);
  }
}
