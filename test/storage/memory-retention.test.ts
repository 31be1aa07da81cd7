// Retention and DeleteRecords on the memory log's virtual segments (src/storage/memory-log.ts),
// run as scenarios against both engines: the memory log must delete the same whole segments the
// disk log (src/storage/disk-log.ts) deletes, and so move the log start offset to the same places.
import t, { type Test } from 'tap';
import crypto from 'node:crypto';
import { decodeBatches } from '../../src/protocol/records.js';
import type { AppendResult, LogSettings, PartitionLog, TimestampOffset } from '../../src/storage/log.js';
import { ENGINES, T0, make, rng, type EngineName, type Made } from '../helpers/engines.js';
import { header, sized } from '../helpers/log-settings.js';

const END = Number.MAX_SAFE_INTEGER;
const KiB = 1024;

async function append(log: PartitionLog, b: Buffer, leaderEpoch = 0): Promise<AppendResult> {
  return await log.append(b, header(b), { leaderEpoch, logAppendTime: null, arrived: null });
}

const baseOffsets = (bufs: Buffer[]) => decodeBatches(Buffer.concat(bufs)).map(d => d.baseOffset);

/** What a log shows of its extent: log start offset, log end offset, bytes held. */
const extent = (log: PartitionLog) => [log.logStartOffset, log.logEndOffset, log.sizeInBytes];

/** Base offsets of the batches a consumer can read (from the log start offset). */
async function readable(log: PartitionLog): Promise<number[]> {
  return baseOffsets((await log.read(log.logStartOffset, 1 << 30, false, END)).records);
}

/**
 * The standard log of the scenarios: 8 KiB segments of 1 KiB batches of 2 records, so a segment
 * holds 8 batches and 16 offsets. 30 batches: segments at offsets 0, 16, 32 and 48 (the active
 * one, 6 batches). Batch i is stamped T0 + 1000 * segment + i % 8: segment k's newest record is
 * T0 + 1000k + 7 (T0 + 3005 for the active one).
 */
async function standard(t: Test, engine: EngineName, overrides: Partial<LogSettings> = {}): Promise<Made> {
  const m = make(t, engine, { segmentBytes: 8 * KiB, ...overrides });
  for (let i = 0; i < 30; i++) {
    const ts = T0 + 1000 * Math.floor(i / 8) + (i % 8);
    await append(m.log, sized(KiB, [ts, ts]), Math.floor(i / 10));
  }
  return m;
}

// ---------------------------------------------------------------------------------------------
// Scenarios with the answers written out, run on each engine

for (const engine of ENGINES) {
  t.test(`${engine}: retention.ms deletes whole segments by their newest record, oldest first`, async t => {
    const { log, settings } = await standard(t, engine, { retentionMs: 5000 });
    t.same(extent(log), [0, 60, 30 * KiB]);
    t.equal(await log.applyRetention(T0 + 5007), 0, 'segment 0 exactly retention.ms old: kept');
    t.equal(await log.applyRetention(T0 + 5008), 1);
    t.same(extent(log), [16, 60, 22 * KiB], 'the log start offset moves to the next segment\'s base');
    t.same((await readable(log)).slice(0, 2), [16, 18]);
    t.equal(await log.applyRetention(T0 + 5008), 0, 'idempotent');
    t.equal(await log.applyRetention(T0 + 7007), 1, 'segment 1 expired, segment 2 exactly at the limit');
    t.same(extent(log), [32, 60, 14 * KiB]);
    settings.deleteRetention = false;
    t.equal(await log.applyRetention(T0 + 100_000), 0, 'cleanup.policy=compact deletes nothing');
    settings.deleteRetention = true;
    settings.retentionMs = -1;
    t.equal(await log.applyRetention(T0 + 100_000), 0, 'retention.ms -1 deletes nothing');
    settings.retentionMs = 5000;

    // every segment expired: an empty segment is rolled at the end first, so the end offset stays
    t.equal(await log.applyRetention(T0 + 100_000), 2);
    t.same(extent(log), [60, 60, 0]);
    t.same(await readable(log), []);
    t.equal(await log.offsetForTimestamp(T0), null);
    t.equal(await log.maxTimestampOffset(), null);
    t.equal(await log.applyRetention(T0 + 200_000), 0, 'the empty active segment is never deleted');
    const next = await append(log, sized(KiB, [T0 + 150_000, T0 + 150_001]), 7);
    t.same([next.baseOffset, next.lastOffset, next.logStartOffset], [60, 61, 60], 'appends continue at the old end offset');
    t.same(await readable(log), [60]);
    t.same(await log.offsetForTimestamp(T0), { offset: 60, timestamp: T0 + 150_000, leaderEpoch: 7 });
    t.same(await log.maxTimestampOffset(), { offset: 61, timestamp: T0 + 150_001, leaderEpoch: 7 });
    t.equal(log.epochAt(61), 7);
    t.equal(await log.applyRetention(T0 + 150_001), 0);
    t.equal(await log.applyRetention(T0 + 155_002), 1, 'and expire in turn');
    t.same(extent(log), [62, 62, 0]);
  });

  t.test(`${engine}: retention.ms stops at the first segment that has not expired`, async t => {
    const { log } = await (async () => {
      const m = make(t, engine, { segmentBytes: 8 * KiB, retentionMs: 1000 });
      // segment 0 ends with a young batch; segment 1 is all old; segment 2 young
      for (const ts of [0, 0, 0, 0, 0, 0, 0, 5000, 0, 0, 0, 0, 0, 0, 0, 0, 6000, 6000]) await append(m.log, sized(KiB, [T0 + ts]));
      return m;
    })();
    t.same(extent(log), [0, 18, 18 * KiB]);
    t.equal(await log.applyRetention(T0 + 5500), 0, 'segment 1 is old, but segment 0 before it is not');
    t.equal(await log.applyRetention(T0 + 6001), 2);
    t.same(extent(log), [16, 18, 2 * KiB]);
  });

  t.test(`${engine}: retention.bytes deletes oldest segments while the excess covers them, never the active one`, async t => {
    const { log, settings } = await standard(t, engine);
    settings.retentionBytes = 30 * KiB - 1;
    t.equal(await log.applyRetention(T0), 0, 'an excess of one byte');
    settings.retentionBytes = 22 * KiB + 1;
    t.equal(await log.applyRetention(T0), 0, 'an excess one byte short of the oldest segment');
    settings.retentionBytes = 22 * KiB;
    t.equal(await log.applyRetention(T0), 1, 'an excess of exactly the oldest segment');
    t.same(extent(log), [16, 60, 22 * KiB]);
    settings.retentionBytes = 6 * KiB + 1;
    t.equal(await log.applyRetention(T0), 1, 'an excess one byte short of two segments');
    t.same(extent(log), [32, 60, 14 * KiB]);
    settings.retentionBytes = 0;
    t.equal(await log.applyRetention(T0), 1, 'retention.bytes 0 keeps the active segment');
    t.same(extent(log), [48, 60, 6 * KiB]);
    t.equal(await log.applyRetention(T0), 0);
    t.same(await readable(log), [48, 50, 52, 54, 56, 58]);
    // the active segment rolls on: the old one becomes deletable
    for (let i = 0; i < 3; i++) await append(log, sized(KiB, [T0, T0]));
    t.equal(await log.applyRetention(T0), 1);
    t.same(extent(log), [64, 66, KiB]);
  });

  t.test(`${engine}: retention.ms and retention.bytes together`, async t => {
    const { log, settings } = await standard(t, engine, { retentionMs: 5000, retentionBytes: 14 * KiB });
    t.equal(await log.applyRetention(T0 + 5008), 2, 'one segment by time, then one by size');
    t.same(extent(log), [32, 60, 14 * KiB]);
    settings.retentionBytes = 20 * KiB;
    t.equal(await log.applyRetention(T0 + 5008), 0);
  });

  t.test(`${engine}: deleteRecordsBefore moves the log start offset and deletes the segments wholly below it`, async t => {
    const { log } = await standard(t, engine);
    await log.deleteRecordsBefore(10);
    t.same(extent(log), [10, 60, 30 * KiB], 'inside segment 0: nothing deleted');
    t.same((await readable(log)).slice(0, 2), [10, 12]);
    await log.deleteRecordsBefore(5);
    t.same(extent(log), [10, 60, 30 * KiB], 'never backwards');
    await log.deleteRecordsBefore(16);
    t.same(extent(log), [16, 60, 22 * KiB], 'at segment 1\'s base: segment 0 deleted');
    await log.deleteRecordsBefore(47);
    t.same(extent(log), [47, 60, 14 * KiB], 'segment 1 deleted, segment 2 holds the start offset');
    t.same((await readable(log))[0], 46, 'the batch holding the start offset is read whole');
    t.same(await log.offsetForTimestamp(T0), { offset: 47, timestamp: T0 + 2007, leaderEpoch: 2 }, 'lookups by time start at the log start offset');
    t.equal(log.epochAt(47), 2);
    t.equal(await log.applyRetention(T0 + 10 ** 8), 0, 'the default retention.ms (7 days) keeps the rest');
    await log.deleteRecordsBefore(60);
    t.same(extent(log), [60, 60, 0], 'up to the end: every segment deleted, the end offset kept');
    await log.deleteRecordsBefore(100);
    t.same(extent(log), [60, 60, 0], 'never past the end');
    const next = await append(log, sized(KiB, [T0, T0]));
    t.same([next.baseOffset, next.logStartOffset], [60, 60]);
    t.same(await readable(log), [60]);
  });

  t.test(`${engine}: segment.ms rolls on the batches' timestamps, and retention deletes what it rolled`, async t => {
    const { log, settings } = make(t, engine, { segmentMs: 1000 });
    for (const ts of [0, 600, 1000, 1001, 1500, 2002, 2100]) await append(log, sized(100, [T0 + ts]));
    settings.retentionBytes = 0;
    t.equal(await log.applyRetention(T0), 2, 'segments at 0 and 3; the active one at 5');
    t.same(extent(log), [5, 7, 200]);
  });

  t.test(`${engine}: lookups by time answer for the first record at or after the log start offset`, async t => {
    const { log } = make(t, engine, { segmentBytes: 2 * KiB });
    await append(log, sized(KiB, [T0 + 100, T0 + 0, T0 + 50]), 1); // offsets 0-2: the newest record first
    await append(log, sized(KiB, [T0 + 40, T0 + 60]), 2); // 3-4
    await append(log, sized(KiB, [T0 + 10]), 3); // 5, in segment 1
    t.same(await log.offsetForTimestamp(T0 + 50), { offset: 0, timestamp: T0 + 100, leaderEpoch: 1 });
    await log.deleteRecordsBefore(1);
    t.same(await log.offsetForTimestamp(T0 + 50), { offset: 2, timestamp: T0 + 50, leaderEpoch: 1 });
    t.same(await log.offsetForTimestamp(T0 + 1), { offset: 2, timestamp: T0 + 50, leaderEpoch: 1 });
    await log.deleteRecordsBefore(2);
    t.same(await log.offsetForTimestamp(T0 + 55), { offset: 4, timestamp: T0 + 60, leaderEpoch: 2 }, 'past a batch whose max timestamp is a record below the start offset');
    t.equal(await log.offsetForTimestamp(T0 + 61), null, 'nothing at or after the start offset is that new');
    // as Kafka: the record with the largest timestamp of the segments kept, even below the log start offset
    t.same(await log.maxTimestampOffset(), { offset: 0, timestamp: T0 + 100, leaderEpoch: 1 }, 'a real record, not the start offset paired with another record\'s time');
  });
}

// ---------------------------------------------------------------------------------------------
// Random operations, both engines in step: every answer must agree

async function state(log: PartitionLog, probes: number[]) {
  const r = await log.read(log.logStartOffset, 1 << 30, false, END);
  const times: (TimestampOffset | null)[] = [];
  for (const ts of probes) times.push(await log.offsetForTimestamp(ts));
  return {
    extent: extent(log),
    digest: crypto.createHash('sha256').update(Buffer.concat(r.records)).digest('hex'),
    batches: baseOffsets(r.records),
    times,
    max: await log.maxTimestampOffset(),
    epoch: log.epochAt(log.logStartOffset),
  };
}

for (const seed of [1, 2, 3]) {
  t.test(`both engines delete the same segments through random appends, retention and DeleteRecords (seed ${seed})`, async t => {
    const overrides = { segmentBytes: 6 * KiB, segmentMs: 20_000 };
    const logs = ENGINES.map(e => make(t, e, overrides));
    const r = rng(seed);
    let now = T0;
    let epoch = 0;
    let deletions = 0;
    let mismatches = 0;
    const ops: string[] = [];
    for (let step = 0; step < 400; step++) {
      const x = r();
      let op: string;
      let results: unknown[];
      if (x < 0.75) {
        now += Math.floor(r() * 300);
        if (r() < 0.05) epoch++;
        const n = 1 + Math.floor(r() * 4);
        const stamps = Array.from({ length: n }, () => now - Math.floor(r() * 3000));
        const size = 100 + Math.floor(r() * 2500);
        op = `append ${n} records, ${size} bytes`;
        results = [];
        // some sizes no batch of n records has (a varint growing a byte skips one): the next size then
        const batch = () => {
          for (let extra = 0; ; extra++) {
            try {
              return sized(Math.max(size, 100 + 20 * n) + extra, stamps);
            } catch (err) {
              if (extra > 3) throw err;
            }
          }
        };
        for (const m of logs) results.push(await append(m.log, batch(), epoch));
      } else if (x < 0.9) {
        const retentionMs = r() < 0.5 ? 5000 + Math.floor(r() * 20_000) : -1;
        const retentionBytes = r() < 0.5 ? Math.floor(r() * 40 * KiB) : -1;
        const at = now + Math.floor(r() * 10_000);
        op = `applyRetention(${at - T0}) ms ${retentionMs} bytes ${retentionBytes}`;
        results = [];
        for (const m of logs) {
          m.settings.retentionMs = retentionMs;
          m.settings.retentionBytes = retentionBytes;
          results.push(await m.log.applyRetention(at));
        }
        deletions += results[0] as number;
      } else {
        const log = logs[0]!.log;
        const target = log.logStartOffset + Math.floor(r() * (log.logEndOffset - log.logStartOffset + 2));
        op = `deleteRecordsBefore(${target})`;
        for (const m of logs) await m.log.deleteRecordsBefore(Math.min(target, m.log.highWatermark));
        results = [];
      }
      ops.push(op);
      const probes = [T0 - 1, now - 2000, now - 500, now, now + 1];
      const [a, b] = [await state(logs[0]!.log, probes), await state(logs[1]!.log, probes)];
      if (JSON.stringify([results[0], a]) !== JSON.stringify([results[1], b])) {
        mismatches++;
        t.same({ result: results[1], ...b }, { result: results[0], ...a }, `step ${step} (${op}): disk as memory; the last ops: ${ops.slice(-5).join('; ')}`);
        if (mismatches > 3) break;
      }
    }
    t.equal(mismatches, 0, 'the engines agreed after each of 400 operations');
    t.ok(deletions > 5, `retention deleted segments (${deletions}), so the comparison covered deletions`);
    t.ok(logs[0]!.log.logStartOffset > 0, 'the log start offset moved');
  });
}
