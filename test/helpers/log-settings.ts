// For tests that build logs directly: Kafka's topic config defaults (overridable), and batches.
import { systemClock, type Clock } from '../../src/broker/clock.js';
import type { LogSettings } from '../../src/storage/log.js';
import { MemoryLog } from '../../src/storage/memory-log.js';
import { encodeRecordBatch, isBatchProblem, validateProducedBatch, type BatchHeader } from '../../src/protocol/records.js';

export function logSettings(overrides: Partial<LogSettings> = {}): LogSettings {
  return {
    segmentBytes: 1073741824,
    segmentMs: 604800000,
    segmentJitterMs: 0,
    indexIntervalBytes: 4096,
    segmentIndexBytes: 10485760,
    flushMessages: Number.MAX_VALUE,
    flushMs: Number.MAX_VALUE,
    retentionMs: 604800000,
    retentionBytes: -1,
    deleteRetention: true,
    compact: false,
    deleteRetentionMs: 86400000,
    minCleanableRatio: 0.5,
    minCompactionLagMs: 0,
    maxCompactionLagMs: Number.MAX_VALUE,
    ...overrides,
  };
}

export function memoryLog(overrides: Partial<LogSettings> = {}, clock: Clock = systemClock): MemoryLog {
  const settings = logSettings(overrides);
  return new MemoryLog(() => settings, clock);
}

/** A produced batch's header, as the broker validates it (throws on a problem). */
export function header(b: Buffer): BatchHeader {
  const h = validateProducedBatch(b, 1 << 30);
  if (isBatchProblem(h)) throw new Error(h.message);
  return h;
}

/**
 * A batch with one record per timestamp, exactly `size` bytes long (the last record's value is
 * padded to fit), its values filled with `fill` so that batches differ in content.
 */
export function sized(size: number, timestamps: number[], fill = 0x61): Buffer {
  // a varint length growing a byte skips a size: a different length for the other values then hits it
  for (const lead of [8, 7, 9]) {
    const make = (pad: number) =>
      encodeRecordBatch(timestamps.map((timestamp, i) => ({ value: Buffer.alloc(i === timestamps.length - 1 ? pad : lead, fill), timestamp })));
    const base = make(0).length;
    for (let pad = Math.max(0, size - base - 6); pad <= size - base; pad++) {
      const b = make(pad);
      if (b.length === size) return b;
    }
  }
  throw new Error(`no batch of ${timestamps.length} records is exactly ${size} bytes`);
}
