// Log compaction (src/storage/cleaner.ts) on both engines: the latest record of every key is
// kept and nothing newer is lost, offsets never change, the active segment is never touched,
// tombstones go only after delete.retention.ms has passed since their first cleaning (KIP-534),
// min/max.compaction.lag.ms and min.cleanable.dirty.ratio decide when a log is cleaned, and the
// disk engine's cleaned segments survive restarts and an interrupted swap.
import t, { type Test } from 'tap';
import { crc32c } from '@node-rs/crc32';
import fs from 'node:fs';
import path from 'node:path';
import { ATTRIBUTES, BASE_TIMESTAMP, CRC, Compression, DELETE_HORIZON_BIT, LAST_OFFSET_DELTA, decodeBatch, decodeBatches, encodeRecordBatch, readInt64, type RecordInput } from '../../src/protocol/records.js';
import { cleanBatch, cleanLog, cleaningCandidate, shouldClean, type CleaningResult } from '../../src/storage/cleaner.js';
import { DiskLog } from '../../src/storage/disk-log.js';
import type { PartitionLog } from '../../src/storage/log.js';
import { gzipSync } from 'node:zlib';
import { ENGINES, T0, make, rng, type EngineName, type Made } from '../helpers/engines.js';
import { header } from '../helpers/log-settings.js';

const END = Number.MAX_SAFE_INTEGER;
const DAY = 86_400_000;

interface Rec {
  offset: number;
  key: string | null;
  /** null: a tombstone */
  value: string | null;
}

async function append(log: PartitionLog, records: RecordInput[], clockNow: number): Promise<void> {
  const b = encodeRecordBatch(records.map(r => ({ timestamp: clockNow, ...r })));
  await log.append(b, header(b), { leaderEpoch: 0, logAppendTime: null, arrived: null });
}

/** Every record a consumer reads from the log start offset, in order. */
async function contents(log: PartitionLog): Promise<Rec[]> {
  const r = await log.read(log.logStartOffset, 1 << 30, false, END);
  return decodeBatches(Buffer.concat(r.records)).flatMap(b =>
    b.records.map(x => ({ offset: x.offset, key: x.key === null ? null : x.key.toString(), value: x.value === null ? null : x.value.toString() })),
  );
}

/** What a consumer that read everything knows: each key's last value (tombstoned keys absent). */
function latest(recs: Rec[]): Map<string, string> {
  const m = new Map<string, string>();
  for (const r of recs) {
    if (r.key === null) continue;
    if (r.value === null) m.delete(r.key);
    else m.set(r.key, r.value);
  }
  return m;
}

/** Cleans once, as the background cleaner would, if the log qualifies; null when it does not. */
async function clean(m: Made, maxKeys = 1 << 20): Promise<CleaningResult | null> {
  const log = m.log.compactable()!;
  const c = cleaningCandidate(log, m.settings, m.clock.now());
  if (c === null || !shouldClean(c, m.settings)) return null;
  return cleanLog(log, c, m.settings, m.clock.now(), maxKeys);
}

/** The base offset of the active segment (the cleaner never goes past it). */
const activeBase = (m: Made) => m.log.compactable()!.cleanerSegments().at(-1)!.baseOffset;

function compacted(t: Test, engine: EngineName, overrides: Parameters<typeof make>[2] = {}) {
  return make(t, engine, { compact: true, deleteRetention: false, segmentBytes: 1024, minCleanableRatio: 0, ...overrides });
}

/** Appends `n` batches of 1-3 records over `keys` keys (one value in 20 a tombstone, one in 50 keyless), the clock moving 10 ms each. */
async function workload(m: Made, n: number, keys: number, seed: number, opts: { tombstones?: boolean; keyless?: boolean } = {}): Promise<Rec[]> {
  const r = rng(seed);
  const written: Rec[] = [];
  for (let i = 0; i < n; i++) {
    const batch: RecordInput[] = [];
    for (let j = 0, count = 1 + Math.floor(r() * 3); j < count; j++) {
      const roll = r();
      const key = opts.keyless && roll < 0.02 ? null : `k${Math.floor(r() * keys)}`;
      const value = opts.tombstones && roll > 0.95 ? null : `v${i}.${j}`;
      batch.push({ key, value });
      written.push({ offset: m.log.logEndOffset + j, key, value });
    }
    await append(m.log, batch, m.clock.now());
    m.clock.advance(10);
  }
  return written;
}

/** The checks every cleaning must pass, against what was written. */
async function checkCleaned(t: Test, m: Made, written: Rec[], endOffset: number): Promise<Rec[]> {
  const now = await contents(m.log);
  const byOffset = new Map(written.map(w => [w.offset, w]));
  t.ok(
    now.every((r, i) => i === 0 || r.offset > now[i - 1]!.offset),
    'offsets still rise',
  );
  t.ok(
    now.every(r => byOffset.get(r.offset)?.key === r.key && byOffset.get(r.offset)?.value === r.value),
    'every record kept is the one written at its offset',
  );
  t.same(latest(now), latest(written), "a consumer reading everything sees each key's latest value, as before");
  const cleanedPart = now.filter(r => r.offset < endOffset);
  const keys = cleanedPart.map(r => r.key);
  t.equal(new Set(keys).size, keys.length, 'each key appears at most once in the cleaned part');
  const lastOfKey = new Map(written.filter(w => w.offset < endOffset && w.key !== null).map(w => [w.key!, w.offset]));
  t.ok(
    cleanedPart.every(r => r.key !== null && lastOfKey.get(r.key) === r.offset),
    'every record kept in the cleaned part is the last of its key there',
  );
  t.same(
    now.filter(r => r.offset >= activeBase(m)),
    written.filter(w => w.offset >= activeBase(m)),
    'the active segment is untouched',
  );
  t.equal(m.log.logEndOffset, written.length, 'the log end offset stays');
  return now;
}

// ---------------------------------------------------------------------------------------------
// One batch through the cleaner's filter

t.test('cleanBatch: keeps the same buffer when nothing goes, rebuilds a batch with fewer records, drops an emptied one', async t => {
  const b = encodeRecordBatch(
    [
      { key: 'a', value: '1', timestamp: T0 },
      { key: 'b', value: '2', timestamp: T0 + 5 },
      { key: 'a', value: '3', timestamp: T0 + 9 },
      { key: null, value: 'x', timestamp: T0 + 7 },
    ],
    { baseOffset: 100, partitionLeaderEpoch: 4, producerId: -1 },
  );
  const none = new Map<string, number>();
  const kept = cleanBatch(b, new Map([['b', 101]]), 0, T0, DAY);
  t.equal(kept.batch, b, 'records at or past the end offset stay as they are: the same buffer');
  t.equal(cleanBatch(b, none, 104, T0, DAY).removed, 1, 'with no newer keys only the keyless record goes');

  const map = new Map([
    ['a', 102],
    ['b', 200],
  ]);
  const r = cleanBatch(b, map, 104, T0, DAY);
  t.equal(r.removed, 3, 'a superseded record, a key with a later record, and the keyless one go');
  const d = decodeBatch(r.batch!);
  t.same(
    d.records.map(x => [x.offset, x.key?.toString(), x.value?.toString(), x.timestamp]),
    [[102, 'a', '3', T0 + 9]],
    'the kept record keeps its offset, key, value and timestamp',
  );
  t.equal(d.baseOffset, 100, 'base offset kept');
  t.equal(r.batch!.readInt32BE(LAST_OFFSET_DELTA), 3, 'last offset delta kept, so the next offset after the batch is unchanged');
  t.equal(d.partitionLeaderEpoch, 4, 'leader epoch kept');
  t.equal(d.maxTimestamp, T0 + 9, 'max timestamp of the records kept');
  t.equal(r.batch!.readUInt32BE(CRC), crc32c(r.batch!.subarray(ATTRIBUTES)), 'a valid CRC32C');

  t.equal(cleanBatch(b, new Map([['a', 500], ['b', 500]]), 1000, T0, DAY).batch, null, 'a batch with nothing left is dropped');
});

t.test('cleanBatch: a tombstone gets its delete horizon at its first cleaning and goes once the horizon passes', async t => {
  const b = encodeRecordBatch(
    [
      { key: 'a', value: null, timestamp: T0 - 50 },
      { key: 'b', value: 'keep', timestamp: T0 - 40 },
    ],
    { baseOffset: 10 },
  );
  const map = new Map([
    ['a', 10],
    ['b', 11],
  ]);
  const first = cleanBatch(b, map, 12, T0, DAY).batch!;
  t.not(first.readInt16BE(ATTRIBUTES) & DELETE_HORIZON_BIT, 0, 'the delete-horizon attribute is set');
  t.equal(readInt64(first, BASE_TIMESTAMP), T0 + DAY, 'the base timestamp holds the horizon: now + delete.retention.ms');
  t.same(
    decodeBatch(first).records.map(r => [r.key?.toString(), r.value, r.timestamp]),
    [
      ['a', null, T0 - 50],
      ['b', Buffer.from('keep'), T0 - 40],
    ],
    'both records stay, their timestamps unchanged (the deltas were rewritten against the horizon)',
  );
  t.equal(cleanBatch(first, map, 12, T0 + DAY - 1, DAY).batch, first, 'before the horizon nothing changes');
  const after = cleanBatch(first, map, 12, T0 + DAY, DAY).batch!;
  t.same(
    decodeBatch(after).records.map(r => r.key?.toString()),
    ['b'],
    'at the horizon the tombstone goes',
  );
  t.equal(readInt64(after, BASE_TIMESTAMP), T0 + DAY, 'the horizon stays on the batch');
});

t.test('cleanBatch: a gzip batch is decompressed, filtered and compressed again', async t => {
  const plain = encodeRecordBatch(
    [
      { key: 'a', value: 'old', timestamp: T0 },
      { key: 'a', value: 'new', timestamp: T0 + 1 },
    ],
    { baseOffset: 0 },
  );
  // the same records, gzip-compressed
  const section = gzipSync(plain.subarray(61));
  const gz = Buffer.concat([plain.subarray(0, 61), section]);
  gz.writeInt32BE(gz.length - 12, 8);
  gz.writeInt16BE(Compression.gzip, ATTRIBUTES);
  gz.writeUInt32BE(crc32c(gz.subarray(ATTRIBUTES)), CRC);
  const r = cleanBatch(gz, new Map([['a', 1]]), 2, T0, DAY);
  t.equal(r.batch!.readInt16BE(ATTRIBUTES) & 7, Compression.gzip, 'still gzip');
  t.same(
    decodeBatch(r.batch!).records.map(x => x.value?.toString()),
    ['new'],
    'only the latest value is left',
  );
});

// ---------------------------------------------------------------------------------------------
// Whole logs, on both engines

for (const engine of ENGINES) {
  t.test(`${engine}: cleaning keeps each key's latest record, drops the rest, and leaves offsets and the active segment alone`, async t => {
    const m = compacted(t, engine);
    const written = await workload(m, 300, 12, 1, { keyless: true });
    const before = m.log.sizeInBytes;
    const segments = m.log.compactable()!.cleanerSegments().length;
    t.ok(segments > 10, `the workload rolled ${segments} segments`);
    const r = await clean(m);
    t.ok(r !== null, 'the log qualified');
    t.equal(r!.endOffset, activeBase(m), 'the dirty part was mapped up to the active segment');
    t.ok(m.log.sizeInBytes < before / 3, `the log shrank from ${before} to ${m.log.sizeInBytes} bytes`);
    await checkCleaned(t, m, written, r!.endOffset);
    t.equal(m.log.logStartOffset, 0, 'the log start offset stays');
    t.equal(await clean(m), null, 'with nothing dirty the log no longer qualifies');

    // more writes, another cleaning: the clean part is cleaned again against the new keys
    const more = await workload(m, 200, 12, 2, { keyless: true });
    const all = [...written, ...more.map(w => ({ ...w }))];
    const r2 = await clean(m);
    t.ok(r2 !== null && r2.endOffset > r!.endOffset, 'the second cleaning covered the new dirty part');
    await checkCleaned(t, m, all, r2!.endOffset);
  });

  t.test(`${engine}: reads from any offset work across the gaps and emptied segments cleaning leaves`, async t => {
    const m = compacted(t, engine);
    // one key written over and over: almost every segment is emptied
    for (let i = 0; i < 200; i++) await append(m.log, [{ key: i % 50 === 49 ? `other${i}` : 'hot', value: `v${i}` }], m.clock.now());
    await clean(m);
    const all = await contents(m.log);
    for (const from of [0, 1, 37, 48, 49, 50, 120, 198, 199]) {
      const r = await m.log.read(from, 1 << 20, false, END);
      const got = decodeBatches(Buffer.concat(r.records)).flatMap(b => b.records.map(x => x.offset));
      t.same(
        got.filter(o => o >= from),
        all.map(x => x.offset).filter(o => o >= from),
        `a read from ${from} returns every record kept from there`,
      );
    }
    const small = await m.log.read(0, 1, true, END);
    t.equal(decodeBatches(Buffer.concat(small.records)).length, 1, 'a read of 1 byte from 0 still returns the first batch kept');
  });

  t.test(`${engine}: tombstones stay for delete.retention.ms after their first cleaning, then go`, async t => {
    const m = compacted(t, engine, { deleteRetentionMs: 60_000 });
    await append(m.log, [{ key: 'gone', value: 'first' }], m.clock.now());
    await workload(m, 50, 5, 3);
    await append(m.log, [{ key: 'gone', value: null }], m.clock.now());
    await workload(m, 30, 5, 4);
    const hasTombstone = async () => (await contents(m.log)).some(r => r.key === 'gone' && r.value === null);
    await clean(m);
    t.ok(await hasTombstone(), 'at its first cleaning the tombstone stays');
    t.notOk((await contents(m.log)).some(r => r.key === 'gone' && r.value !== null), 'and the earlier value of its key is gone');
    m.clock.advance(59_000);
    await workload(m, 30, 5, 5); // makes the log dirty again
    await clean(m);
    t.ok(await hasTombstone(), 'before delete.retention.ms has passed it stays');
    m.clock.advance(2_000);
    await workload(m, 30, 5, 6);
    await clean(m);
    t.notOk(await hasTombstone(), 'once delete.retention.ms has passed, the next cleaning removes it');
  });

  t.test(`${engine}: a tombstone superseded by a later record of its key goes at once, like any other record`, async t => {
    const m = compacted(t, engine);
    await append(m.log, [{ key: 'a', value: null }], m.clock.now());
    await append(m.log, [{ key: 'a', value: 'back' }], m.clock.now());
    await workload(m, 60, 5, 14);
    await clean(m);
    t.same(
      (await contents(m.log)).filter(r => r.key === 'a').map(r => r.value),
      ['back'],
      'only the later value is left',
    );
  });

  t.test(`${engine}: min.compaction.lag.ms keeps segments with young records out of the cleaning`, async t => {
    const m = compacted(t, engine, { minCompactionLagMs: 1_000 });
    const written = await workload(m, 150, 4, 7); // 1.5 s of writes, 10 ms apart
    const young = m.clock.now() - 1_000;
    const r = await clean(m);
    const firstYoungSegment = m.log.compactable()!.cleanerSegments().find(s => s.maxTimestamp > young)!;
    t.equal(r!.endOffset, firstYoungSegment.baseOffset, 'the cleaning stops at the first segment holding a record younger than the lag');
    const now = await checkCleaned(t, m, written, r!.endOffset);
    t.same(
      now.filter(x => x.offset >= r!.endOffset),
      written.filter(w => w.offset >= r!.endOffset),
      'the young segments are untouched',
    );
  });

  t.test(`${engine}: min.cleanable.dirty.ratio decides, and max.compaction.lag.ms overrides it`, async t => {
    const m = compacted(t, engine, { minCleanableRatio: 0.5 });
    await workload(m, 300, 1000, 8); // mostly distinct keys: cleaning keeps most of it
    t.ok(await clean(m), 'a log that is all dirty qualifies');
    await workload(m, 40, 1000, 9); // a little more: the dirty share is small
    const c = cleaningCandidate(m.log.compactable()!, m.settings, m.clock.now())!;
    t.ok(c.ratio < 0.5, `dirty ratio ${c.ratio.toFixed(2)} is below 0.5`);
    t.equal(await clean(m), null, 'so the log does not qualify');
    m.settings.maxCompactionLagMs = 60_000;
    t.equal(await clean(m), null, 'nor while its dirty records are younger than max.compaction.lag.ms');
    m.clock.advance(61_000);
    t.ok(await clean(m), 'once a dirty segment is older than max.compaction.lag.ms it is cleaned whatever the ratio');
  });

  t.test(`${engine}: a full offset map cleans part of the dirty range; the next cleaning goes on from there`, async t => {
    const m = compacted(t, engine);
    const written = await workload(m, 300, 400, 10);
    const r = await clean(m, 100);
    t.ok(r!.endOffset < activeBase(m), `the map (100 keys) covered up to offset ${r!.endOffset}, short of ${activeBase(m)}`);
    await checkCleaned(t, m, written, r!.endOffset);
    t.equal(m.log.compactable()!.firstDirtyOffset, r!.endOffset, 'the dirty part now begins where the map stopped');
    let last = r!;
    for (let i = 0; i < 20 && last.endOffset < activeBase(m); i++) last = (await clean(m, 100))!;
    t.equal(last.endOffset, activeBase(m), 'later cleanings reached the active segment');
    await checkCleaned(t, m, written, last.endOffset);
  });

  t.test(`${engine}: retention deleting a segment during a cleaning leaves that group uncleaned, losing nothing`, async t => {
    const m = compacted(t, engine, { deleteRetention: true });
    await workload(m, 100, 5, 11);
    const log = m.log.compactable()!;
    const segments = log.cleanerSegments();
    const writer = log.replaceSegments([segments[0]!]);
    for await (const b of log.batchesOf(segments[0]!)) writer.append(b);
    await m.log.deleteRecordsBefore(segments[1]!.baseOffset);
    t.equal(await writer.commit(), false, 'the commit sees its group changed and swaps nothing');
    t.equal(m.log.logStartOffset, segments[1]!.baseOffset, 'the deletion stands');
    t.equal((await contents(m.log))[0]!.offset, segments[1]!.baseOffset, 'reads start at the new log start offset');
  });
}

// ---------------------------------------------------------------------------------------------
// The disk engine: cleaned segments on disk, across restarts and an interrupted swap

t.test('disk: cleaned segments survive a clean and an unclean restart, and so does the dirty offset', async t => {
  const m = compacted(t, 'disk');
  const written = await workload(m, 300, 12, 12, { tombstones: true });
  const r = (await clean(m))!;
  const after = await contents(m.log);
  for (const clean of [true, false]) {
    const log = await m.reopen(clean);
    t.same(await contents(log), after, `after a${clean ? ' clean' : 'n unclean'} restart the log reads the same`);
    t.equal(log.firstDirtyOffset, r.endOffset, 'the first dirty offset is carried over');
  }
  await checkCleaned(t, m, written, r.endOffset);
  const files = fs.readdirSync(m.dir!);
  t.notOk(files.some(f => f.endsWith('.cleaned') || f.endsWith('.swap') || f.endsWith('.deleted')), 'no temporary files are left');
});

t.test('disk: a crash after the cleaned segment became .swap is completed at the next start; a .cleaned leftover is removed', async t => {
  const m = compacted(t, 'disk');
  const written = await workload(m, 200, 6, 13);
  const dir = m.dir!;
  // keep a copy of the files as they are before cleaning
  const before = new Map(fs.readdirSync(dir).filter(f => /^\d{20}\./.test(f)).map(f => [f, fs.readFileSync(path.join(dir, f))]));
  const r = (await clean(m))!;
  const cleaned = await contents(m.log);
  const firstGroup = (m.log as DiskLog).segmentBaseOffsets[0]!;
  const cleanedLog = fs.readFileSync(path.join(dir, `${String(firstGroup).padStart(20, '0')}.log`));
  await (m.log as DiskLog).close();
  // the directory as a crash would leave it: the old segments, and the first cleaned one as .swap
  for (const f of fs.readdirSync(dir)) if (/^\d{20}\./.test(f)) fs.rmSync(path.join(dir, f));
  for (const [f, bytes] of before) fs.writeFileSync(path.join(dir, f), bytes);
  fs.writeFileSync(path.join(dir, `${String(firstGroup).padStart(20, '0')}.log.swap`), cleanedLog);
  fs.writeFileSync(path.join(dir, `${String(firstGroup).padStart(20, '0')}.log.cleaned`), cleanedLog.subarray(0, 100));
  (m.log as DiskLog).discard();
  const log = (await m.reopen(false)) as DiskLog;
  const got = await contents(log);
  t.same(latest(got), latest(written), "each key's latest value is there");
  const firstGroupEnd = cleaned.filter(x => x.offset < r.endOffset).at(-1)!.offset;
  t.same(
    got.filter(x => x.offset <= firstGroupEnd && x.offset < (log.segmentBaseOffsets[1] ?? END)),
    cleaned.filter(x => x.offset <= firstGroupEnd && x.offset < (log.segmentBaseOffsets[1] ?? END)),
    'the swapped-in segment holds the cleaned records',
  );
  t.ok(
    got.every((x, i) => i === 0 || x.offset > got[i - 1]!.offset),
    'no record appears twice (the replaced segments were deleted)',
  );
  t.notOk(fs.readdirSync(dir).some(f => f.endsWith('.swap') || f.endsWith('.cleaned')), 'no .swap or .cleaned file is left');
});
