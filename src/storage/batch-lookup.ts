// Finding a record inside one stored batch by its timestamp, shared by the memory and disk logs.
import { ATTRIBUTES, BASE_OFFSET, MAX_TIMESTAMP, TIMESTAMP_TYPE_BIT, readInt64, recordTimestamps } from '../protocol/records.js';
import type { TimestampOffset } from './log.js';

/**
 * The first record of `batch` at or past `startOffset` whose timestamp satisfies `match`; the
 * batch itself (its base offset and max timestamp) when its records cannot be read here or it
 * uses LogAppendTime.
 */
export function findRecordInBatch(batch: Buffer, startOffset: number, leaderEpoch: number, match: (ts: number) => boolean): TimestampOffset {
  return matchRecordInBatch(batch, startOffset, leaderEpoch, match) ?? { offset: Math.max(readInt64(batch, BASE_OFFSET), startOffset), timestamp: readInt64(batch, MAX_TIMESTAMP), leaderEpoch };
}

/**
 * As findRecordInBatch, but null when the batch's records were read and none at or past
 * `startOffset` matches: the records that do lie below the log start offset (in the batch that
 * holds it), so a lookup must go on to the next batch.
 */
export function matchRecordInBatch(batch: Buffer, startOffset: number, leaderEpoch: number, match: (ts: number) => boolean): TimestampOffset | null {
  if ((batch.readInt16BE(ATTRIBUTES) & TIMESTAMP_TYPE_BIT) === 0) {
    const records = recordTimestamps(batch);
    if (records !== null) {
      for (const r of records) {
        if (r.offset >= startOffset && match(r.timestamp)) return { offset: r.offset, timestamp: r.timestamp, leaderEpoch };
      }
      return null;
    }
  }
  return { offset: Math.max(readInt64(batch, BASE_OFFSET), startOffset), timestamp: readInt64(batch, MAX_TIMESTAMP), leaderEpoch };
}
