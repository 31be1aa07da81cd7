// What a test reads of a topic's log directly (not through a client): every value in every
// partition, for checking that clients through faults lost nothing and wrote nothing twice.
import type { Test } from 'tap';
import { decodeBatches } from '../../src/protocol/records.js';
import type { RunningBroker } from '../../src/index.js';

/** Every value in the topic's log, read from the partitions' logs themselves. */
export async function logValues(b: RunningBroker, topic: string): Promise<string[]> {
  const out: string[] = [];
  for (const p of b.cluster.topic(topic)!.partitions) {
    let offset = p.log.logStartOffset;
    while (offset < p.log.highWatermark) {
      const read = await p.log.read(offset, 1 << 20, true, p.log.highWatermark);
      const before = offset;
      for (const bytes of read.records) {
        for (const batch of decodeBatches(bytes)) {
          offset = Math.max(offset, batch.baseOffset + batch.lastOffsetDelta + 1);
          for (const r of batch.records) out.push(r.value!.toString());
        }
      }
      if (offset === before) break;
    }
  }
  return out;
}

/** Checks that values 0 … count-1 are each in the log exactly once. */
export async function checkExactlyOnce(t: Test, b: RunningBroker, topic: string, count: number): Promise<void> {
  const values = await logValues(b, topic);
  const seen = new Map<string, number>();
  for (const v of values) seen.set(v, (seen.get(v) ?? 0) + 1);
  const missing = [];
  for (let i = 0; i < count; i++) if (!seen.has(String(i))) missing.push(i);
  const doubled = [...seen].filter(([, n]) => n > 1).map(([v]) => v);
  t.same(missing, [], `${topic}: no value lost`);
  t.same(doubled, [], `${topic}: no value written twice`);
  t.equal(values.length, count, `${topic}: ${count} records in the log`);
}

