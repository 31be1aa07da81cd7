// The in-memory partition log (src/storage/memory-log.ts) through the PartitionLog interface:
// offsets, reads (whole batches, maxBytes, KIP-74, upTo), views merged when adjacent in memory,
// lookups by time, leader epochs, and when a batch is kept by reference or copied.
import t from 'tap';
import { BASE_OFFSET, PARTITION_LEADER_EPOCH, decodeBatches, encodeRecordBatch, readInt64, type RecordInput } from '../../src/protocol/records.js';
import { systemClock } from '../../src/broker/clock.js';
import { MemoryLogFactory, type MemoryLog } from '../../src/storage/memory-log.js';
import { header, logSettings, memoryLog } from '../helpers/log-settings.js';
import type { PartitionLog } from '../../src/storage/log.js';

const T0 = 1_700_000_000_000;

/** A batch of `n` records with the given timestamps (default: all T0), in a buffer of its own size. */
function batch(n: number, timestamps?: number[], valueSize = 10): Buffer {
  const records: RecordInput[] = [];
  for (let i = 0; i < n; i++) records.push({ value: Buffer.alloc(valueSize, 0x61 + i), timestamp: timestamps?.[i] ?? T0 });
  return encodeRecordBatch(records);
}

/** `b` copied into the middle of a buffer `total` bytes long: a batch inside a larger network read. */
function inside(b: Buffer, total: number, at = 7): Buffer {
  const big = Buffer.alloc(total);
  b.copy(big, at);
  return big.subarray(at, at + b.length);
}

const append = (log: PartitionLog, b: Buffer, leaderEpoch = 0, logAppendTime: number | null = null) =>
  log.append(b, header(b), { leaderEpoch, logAppendTime, arrived: null }) as ReturnType<MemoryLog["append"]>;

const baseOffsets = (bufs: Buffer[]) => decodeBatches(Buffer.concat(bufs)).map(d => d.baseOffset);
const END = Number.MAX_SAFE_INTEGER;

t.test('offsets are assigned consecutively; the result and the log agree', async t => {
  const log: PartitionLog = new MemoryLogFactory(systemClock).create('t', 0, { topicId: 'AAAAAAAAAAAAAAAAAAAAAA', settings: () => logSettings(), isNew: true });
  t.same([log.logStartOffset, log.logEndOffset, log.highWatermark, log.sizeInBytes], [0, 0, 0, 0]);
  const b = [batch(3), batch(1), batch(5)];
  const results = b.map(x => append(log, inside(x, x.length * 100)));
  t.same(results.map(r => [r.baseOffset, r.lastOffset, r.logAppendTime, r.logStartOffset]), [
    [0, 2, -1, 0],
    [3, 3, -1, 0],
    [4, 8, -1, 0],
  ]);
  t.equal(log.logEndOffset, 9);
  t.equal(log.highWatermark, 9);
  t.equal(log.sizeInBytes, b[0]!.length + b[1]!.length + b[2]!.length);
  const { records, bytes } = await log.read(0, 1 << 20, false, END);
  t.equal(bytes, log.sizeInBytes);
  t.same(decodeBatches(Buffer.concat(records)).map(d => d.records.map(r => r.offset)), [[0, 1, 2], [3], [4, 5, 6, 7, 8]]);
  // a gap in the offset deltas (a compacted batch from a client) still takes lastOffsetDelta + 1 offsets
  const gap = encodeRecordBatch([{ value: 'a' }, { value: 'b', offsetDelta: 1 }]);
  t.same(append(log, gap), { baseOffset: 9, lastOffset: 10, logAppendTime: -1, logStartOffset: 0 });
});

t.test('read: from the middle of a batch returns the whole batch; past the end nothing', async t => {
  const log = memoryLog();
  for (const n of [3, 1, 5]) append(log, inside(batch(n), 4096));
  for (const [offset, first] of [[0, 0], [1, 0], [2, 0], [3, 3], [4, 4], [6, 4], [8, 4]] as const) {
    const { records } = await log.read(offset, 1 << 20, false, END);
    t.equal(baseOffsets(records)[0], first, `offset ${offset} starts at the batch at ${first}`);
  }
  t.same(await log.read(9, 1 << 20, true, END), { records: [], bytes: 0 }, 'at the log end');
  t.same(await log.read(100, 1 << 20, true, END), { records: [], bytes: 0 }, 'past the log end');
  t.same(await memoryLog().read(0, 1 << 20, true, END), { records: [], bytes: 0 }, 'an empty log');
});

t.test('read: maxBytes, minOneBatch (KIP-74) and upTo', async t => {
  const log = memoryLog();
  const sizes = [3, 1, 5].map(n => {
    const b = batch(n);
    append(log, inside(b, 4096));
    return b.length;
  });
  const [s0, s1, s2] = sizes as [number, number, number];
  const read = async (offset: number, maxBytes: number, minOne: boolean, upTo = END) => {
    const r = await log.read(offset, maxBytes, minOne, upTo);
    t.equal(r.bytes, r.records.reduce((n, b) => n + b.length, 0), 'bytes counts the views');
    return [baseOffsets(r.records), r.bytes];
  };
  t.same(await read(0, s0 + s1 + s2, false), [[0, 3, 4], s0 + s1 + s2], 'exactly everything fits');
  t.same(await read(0, s0 + s1 + s2 - 1, false), [[0, 3], s0 + s1], 'one byte short drops the last batch');
  t.same(await read(0, s0, false), [[0], s0]);
  t.same(await read(0, s0 - 1, false), [[], 0], 'a first batch larger than maxBytes without minOneBatch');
  t.same(await read(0, s0 - 1, true), [[0], s0], 'minOneBatch returns it anyway');
  t.same(await read(0, 0, true), [[0], s0], 'even for maxBytes 0');
  t.same(await read(0, s0 + 1, true), [[0], s0], 'minOneBatch only applies to the first batch');
  t.same(await read(4, 1, true), [[4], s2]);
  // upTo: only batches starting below it
  t.same(await read(0, 1 << 20, false, 0), [[], 0], 'upTo 0');
  t.same(await read(0, 1 << 20, true, 0), [[], 0], 'upTo beats minOneBatch');
  t.same(await read(0, 1 << 20, false, 3), [[0], s0], 'upTo 3 stops before the batch at 3');
  t.same(await read(0, 1 << 20, false, 4), [[0, 3], s0 + s1]);
  t.same(await read(0, 1 << 20, false, 5), [[0, 3, 4], s0 + s1 + s2], 'a batch starting below upTo is returned whole');
  t.same(await read(3, 1 << 20, false, 4), [[3], s1]);
  t.same(await read(4, 1 << 20, false, 4), [[], 0]);
});

t.test('bytesFrom', async t => {
  const log = memoryLog();
  const sizes = [3, 1, 5].map(n => {
    const b = batch(n);
    append(log, inside(b, 4096));
    return b.length;
  });
  const [s0, s1, s2] = sizes as [number, number, number];
  const end = log.logEndOffset;
  t.equal(log.bytesFrom(0, end), s0 + s1 + s2);
  t.equal(log.bytesFrom(2, end), s0 + s1 + s2, 'from the batch holding the offset');
  t.equal(log.bytesFrom(3, end), s1 + s2);
  t.equal(log.bytesFrom(6, end), s2);
  t.equal(log.bytesFrom(9, end), 0, 'at the end');
  t.equal(log.bytesFrom(50, end), 0, 'past the end');
  t.equal(log.bytesFrom(0, 3), s0);
  t.equal(log.bytesFrom(0, 4), s0 + s1);
  t.equal(log.bytesFrom(3, 3), 0);
  t.equal(log.bytesFrom(0, 1000), s0 + s1 + s2, 'upTo past the end');
  t.equal(memoryLog().bytesFrom(0, 0), 0);
});

t.test('views: batches adjacent in memory read as one view, others as their own', async t => {
  // small batches in large buffers are copied into one slab: one view for all of them
  const slabbed = memoryLog();
  for (let i = 0; i < 5; i++) append(slabbed, inside(batch(2), 64 * 1024));
  const a = await slabbed.read(0, 1 << 20, false, END);
  t.equal(a.records.length, 1, 'one view over the slab');
  t.same(baseOffsets(a.records), [0, 2, 4, 6, 8]);
  const mid = await slabbed.read(4, 1 << 20, false, END);
  t.equal(mid.records.length, 1);
  t.same(baseOffsets(mid.records), [4, 6, 8], 'a view starting at the batch holding the offset');

  // batches that fill their own buffers are kept as they are: one view each
  const kept = memoryLog();
  const own = [batch(2), batch(3), batch(1)];
  for (const b of own) append(kept, b);
  const k = await kept.read(0, 1 << 20, false, END);
  t.equal(k.records.length, 3, 'not adjacent: separate views');
  k.records.forEach((v, i) => t.equal(v.buffer, own[i]!.buffer, `view ${i} is the appended buffer`));
  t.same(baseOffsets(k.records), [0, 2, 5]);

  // two batches side by side in one network read are both kept, and read as one view
  const b1 = batch(2);
  const b2 = batch(3);
  const read = Buffer.alloc(b1.length + b2.length); // not from the shared pool: this buffer is the whole network read
  b1.copy(read);
  b2.copy(read, b1.length);
  const pair = memoryLog();
  append(pair, read.subarray(0, b1.length));
  append(pair, read.subarray(b1.length));
  const p = await pair.read(0, 1 << 20, false, END);
  t.equal(p.records.length, 1);
  t.equal(p.records[0]!.buffer, read.buffer);
  t.equal(p.records[0]!.length, read.length);
  t.same(baseOffsets(p.records), [0, 2]);
  // a maxBytes that cuts the run returns the first batch's view alone
  const cut = await pair.read(0, b1.length, false, END);
  t.same([cut.records.length, cut.records[0]!.length], [1, b1.length]);

  // a kept batch between slabbed ones breaks the run
  const mixed = memoryLog();
  append(mixed, inside(batch(1), 8192));
  const lone = batch(1);
  append(mixed, lone);
  append(mixed, inside(batch(1), 8192));
  const m = await mixed.read(0, 1 << 20, false, END);
  t.equal(m.records.length, 3);
  t.equal(m.records[1]!.buffer, lone.buffer);
  t.same(baseOffsets(m.records), [0, 1, 2]);

  // slabs fill up: more than 16 KiB of small batches spans two slabs, read back in order
  const many = memoryLog();
  let total = 0;
  for (let i = 0; i < 20; i++) {
    const b = batch(1, undefined, 900);
    total += b.length;
    append(many, inside(b, 64 * 1024));
  }
  t.ok(total > 16 * 1024);
  const all = await many.read(0, 1 << 20, false, END);
  t.equal(all.records.length, 2, 'one view per slab');
  t.same(baseOffsets(all.records), Array.from({ length: 20 }, (_, i) => i));
  t.equal(all.bytes, total);
});

t.test('keep or copy: a small part of a large buffer is copied, a batch filling its buffer kept', async t => {
  const log = memoryLog();
  const original = batch(3);
  const snapshot = Buffer.from(original);
  const view = inside(original, 64 * 1024);
  append(log, view, 4);
  view.fill(0xee); // the request buffer is reused after the append returns
  const r = await log.read(0, 1 << 20, false, END);
  t.not(r.records[0]!.buffer, view.buffer, 'stored in a buffer of the log');
  const stored = r.records[0]!;
  t.equal(readInt64(stored, BASE_OFFSET), 0);
  t.equal(stored.readInt32BE(PARTITION_LEADER_EPOCH), 4, 'the leader epoch is written into the copy');
  snapshot.writeInt32BE(4, PARTITION_LEADER_EPOCH);
  t.ok(stored.equals(snapshot), 'mutating the original buffer did not change what is read');

  // a batch that is its whole buffer is kept: its header is assigned in place
  const whole = batch(2);
  append(log, whole, 6);
  const w = await log.read(3, 1 << 20, false, END);
  t.equal(w.records[0]!.buffer, whole.buffer, 'kept by reference');
  t.equal(readInt64(whole, BASE_OFFSET), 3, 'base offset assigned in the appended buffer');
  t.equal(whole.readInt32BE(PARTITION_LEADER_EPOCH), 6);

  // the boundary: kept when the batch is at least 1/8 of its buffer
  const b = batch(1);
  const eighth = inside(b, b.length * 8, 0);
  const less = inside(b, b.length * 8 + 1, 0);
  const edge = memoryLog();
  append(edge, eighth);
  append(edge, less);
  const e = await edge.read(0, 1 << 20, false, END);
  t.equal(e.records.length, 2);
  t.equal(e.records[0]!.buffer, eighth.buffer, 'exactly 1/8 of its buffer: kept');
  t.not(e.records[1]!.buffer, less.buffer, 'a byte less than 1/8: copied');

  // a large batch in a much larger buffer is copied to a buffer of its own, not a slab
  const large = batch(1, undefined, 300 * 1024);
  const largeView = inside(large, 4 * 1024 * 1024);
  const big = memoryLog();
  append(big, largeView);
  largeView.fill(0);
  const g = await big.read(0, 1 << 30, false, END);
  t.not(g.records[0]!.buffer, largeView.buffer);
  t.equal(g.records[0]!.length, large.length);
  t.equal(decodeBatches(g.records[0]!)[0]!.records[0]!.value!.length, 300 * 1024, 'intact');
});

t.test('offsetForTimestamp: first record at or after a time, with non-monotonic batch timestamps', async t => {
  const log = memoryLog();
  // batch max timestamps 1000, 500, 2000, 100, 100, 100, 3000 (offsets 0-1, 2-3, 4-6, 7, 8, 9, 10)
  const batches = [[900, 1000], [400, 500], [1500, 2000, 1800], [100], [100], [100], [3000]];
  for (const ts of batches) append(log, batch(ts.length, ts.map(x => T0 + x)), 5);
  const at = async (x: number) => {
    const r = await log.offsetForTimestamp(T0 + x);
    return r === null ? null : [r.offset, r.timestamp - T0, r.leaderEpoch];
  };
  t.same(await at(-1_000_000), [0, 900, 5], 'before everything: the first record');
  t.same(await at(450), [0, 900, 5], 'the first batch whose max reaches the time, not the later 500');
  t.same(await at(950), [1, 1000, 5]);
  t.same(await at(1000), [1, 1000, 5], 'equal counts');
  t.same(await at(1001), [4, 1500, 5], 'past the running max of the first two batches');
  t.same(await at(1200), [4, 1500, 5], 'not the 3000 batch a search on raw maxima would find');
  t.same(await at(1600), [5, 2000, 5], 'the first record at or after, in offset order');
  t.same(await at(2001), [10, 3000, 5]);
  t.same(await at(3000), [10, 3000, 5]);
  t.equal(await at(3001), null, 'after everything');
  t.equal(await memoryLog().offsetForTimestamp(0), null, 'an empty log');

  // LogAppendTime batches answer with their first offset at the append time
  const lat = memoryLog();
  append(lat, batch(3, [T0, T0, T0]), 1, T0 + 100);
  append(lat, batch(2, [T0, T0]), 2, T0 + 200);
  const r = await lat.offsetForTimestamp(T0 + 150);
  t.same(r, { offset: 3, timestamp: T0 + 200, leaderEpoch: 2 });
});

t.test('maxTimestampOffset: the first record holding the largest timestamp', async t => {
  t.equal(await memoryLog().maxTimestampOffset(), null);
  const log = memoryLog();
  append(log, batch(2, [T0 + 10, T0 + 40]), 1); // offsets 0-1
  append(log, batch(4, [T0 + 10, T0 + 50, T0 + 30, T0 + 50]), 2); // offsets 2-5: 50 first at 3
  append(log, batch(2, [T0 + 50, T0 + 20]), 3); // offsets 6-7: 50 again, later
  append(log, batch(1, [T0 + 5]), 4);
  t.same(await log.maxTimestampOffset(), { offset: 3, timestamp: T0 + 50, leaderEpoch: 2 });
  append(log, batch(3, [T0 + 1, T0 + 60, T0 + 60]), 7); // offsets 9-11
  t.same(await log.maxTimestampOffset(), { offset: 10, timestamp: T0 + 60, leaderEpoch: 7 }, 'moves to a larger timestamp');

  const lat = memoryLog();
  append(lat, batch(2), 0, T0 + 5);
  append(lat, batch(3), 0, T0 + 9);
  append(lat, batch(1), 0, T0 + 7);
  t.same(await lat.maxTimestampOffset(), { offset: 2, timestamp: T0 + 9, leaderEpoch: 0 }, 'LogAppendTime: the batch\'s first offset');
});

t.test('epochAt: the leader epoch of the batch holding an offset', async t => {
  const log = memoryLog();
  append(log, batch(2), 0); // 0-1
  append(log, batch(3), 0); // 2-4
  append(log, batch(1), 3); // 5
  append(log, batch(2), 7); // 6-7
  t.same([0, 1, 2, 4, 5, 6, 7].map(o => log.epochAt(o)), [0, 0, 0, 0, 3, 7, 7]);
  t.equal(log.epochAt(8), -1, 'the log end offset');
  t.equal(log.epochAt(100), -1);
  t.equal(log.epochAt(-1), -1);
  t.equal(memoryLog().epochAt(0), -1);
});

t.test('close releases the batches', async t => {
  const log = memoryLog();
  append(log, batch(2));
  await log.close();
  t.same(await log.read(0, 1 << 20, true, END), { records: [], bytes: 0 });
});
