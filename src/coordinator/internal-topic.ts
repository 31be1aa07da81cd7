// What the group and transaction coordinators share about their internal topics: reading a
// partition's records back at load.
import type { Partition } from '../cluster/cluster.js';
import { CONTROL_BIT, decodeBatches } from '../protocol/records.js';

/**
 * Calls `onRecord` with every keyed data record of a partition, in log order, from the log start
 * to the high watermark (transaction markers are skipped). A read returns whole batches, often
 * several per buffer; each is used once.
 */
export async function scanRecords(p: Partition, onRecord: (key: Buffer, value: Buffer | null, batchOffset: number) => void): Promise<void> {
  let offset = p.log.logStartOffset;
  const end = p.log.highWatermark;
  while (offset < end) {
    const read = await p.log.read(offset, 1 << 20, true, end);
    const before = offset;
    for (const bytes of read.records) {
      for (const batch of decodeBatches(bytes)) {
        offset = Math.max(offset, batch.baseOffset + batch.lastOffsetDelta + 1);
        if ((batch.attributes & CONTROL_BIT) !== 0) continue;
        for (const rec of batch.records) if (rec.key !== null) onRecord(rec.key, rec.value, batch.baseOffset);
      }
    }
    if (offset <= before) break;
  }
}
