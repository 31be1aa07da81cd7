// The disk partition log (src/storage/disk-log.ts) through the PartitionLog interface, and what
// only a disk log has: segment files named by base offset, sparse index files, reopening after a
// clean shutdown or a crash, rebuilding lost indexes, truncating a torn or corrupt tail, deleting
// segment files for retention and DeleteRecords, and flush.messages.
import t, { type Test } from 'tap';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { ManualClock } from '../../src/broker/clock.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import { decodeBatches, encodeRecordBatch, readInt64 } from '../../src/protocol/records.js';
import { DiskLog, type DiskLogState } from '../../src/storage/disk-log.js';
import { FileHandles } from '../../src/storage/file-handles.js';
import type { AppendResult, LogSettings, PartitionLog, TimestampOffset } from '../../src/storage/log.js';
import { segmentFileName } from '../../src/storage/segment.js';
import { rng } from '../helpers/engines.js';
import { header, logSettings, memoryLog, sized } from '../helpers/log-settings.js';

const T0 = 1_700_000_000_000;
const END = Number.MAX_SAFE_INTEGER;
const KiB = 1024;

// ---------------------------------------------------------------------------------------------
// Batches

interface Spec {
  timestamps: number[];
  epoch: number;
  size: number;
}

/**
 * `count` batches of `size` bytes with 1-3 records each, timestamps that wander by +-1 s around
 * a rising trend (so neither records nor batch maxima are monotonic), and a leader epoch that
 * rises every 40 batches.
 */
function specs(count: number, size = KiB, seed = 7): Spec[] {
  const r = rng(seed);
  return Array.from({ length: count }, (_, i) => ({
    timestamps: Array.from({ length: 1 + (i % 3) }, () => T0 + i * 100 + Math.floor(r() * 2000) - 1000),
    epoch: Math.floor(i / 40),
    size,
  }));
}

async function append(log: PartitionLog, b: Buffer, leaderEpoch = 0, logAppendTime: number | null = null): Promise<AppendResult> {
  return await log.append(b, header(b), { leaderEpoch, logAppendTime, arrived: null });
}

/** Appends a batch per spec; returns the appended buffers (holding their assigned offsets) and results. */
async function fill(log: PartitionLog, list: Spec[]): Promise<{ batches: Buffer[]; results: AppendResult[] }> {
  const batches: Buffer[] = [];
  const results: AppendResult[] = [];
  for (const [i, s] of list.entries()) {
    const b = sized(s.size, s.timestamps, 0x41 + (i % 26));
    results.push(await append(log, b, s.epoch));
    batches.push(b);
  }
  return { batches, results };
}

const baseOffsets = (bufs: Buffer[]) => decodeBatches(Buffer.concat(bufs)).map(d => d.baseOffset);
const digest = (bufs: Buffer[]) => crypto.createHash('sha256').update(Buffer.concat(bufs)).digest('hex');

// ---------------------------------------------------------------------------------------------
// An oracle: the answers a log must give, computed from the decoded records

interface Rec {
  offset: number;
  timestamp: number;
  leaderEpoch: number;
}

function recordsOf(batches: Buffer[]): Rec[] {
  return decodeBatches(Buffer.concat(batches)).flatMap(b => b.records.map(r => ({ offset: r.offset, timestamp: r.timestamp, leaderEpoch: b.partitionLeaderEpoch })));
}

/** The first record (in offset order) at or after `start` whose timestamp is >= `ts`. */
function expectedForTimestamp(recs: Rec[], ts: number, start = 0): TimestampOffset | null {
  const r = recs.find(x => x.offset >= start && x.timestamp >= ts);
  return r === undefined ? null : { ...r };
}

/** The first record holding the largest timestamp at or after offset `from` (Kafka looks at every segment kept). */
function expectedMax(recs: Rec[], from = 0): TimestampOffset | null {
  let best: Rec | null = null;
  for (const r of recs) if (r.offset >= from && (best === null || r.timestamp > best.timestamp)) best = r;
  return best === null ? null : { ...best };
}

// ---------------------------------------------------------------------------------------------
// A log directory of its own per test

interface Fixture {
  dir: string;
  clock: ManualClock;
  /** Read by the log on every use: a test may change it. */
  settings: LogSettings;
  handles: FileHandles;
  /** What the log logged at warn and above. */
  warnings: { msg: string; [k: string]: unknown }[];
  open(state?: Partial<DiskLogState>): DiskLog;
  /** The partition directory's file names, sorted. */
  files(): string[];
  file(name: string): string;
  size(name: string): number;
}

function fixture(t: Test, overrides: Partial<LogSettings> = {}, maxOpenFiles = 64): Fixture {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'samsa-disk-log-'));
  const dir = path.join(root, 'topic-0');
  const clock = new ManualClock(T0);
  const settings = logSettings(overrides);
  const handles = new FileHandles(maxOpenFiles);
  const warnings: Fixture['warnings'] = [];
  const logger = pino({ level: 'warn' }, { write: (line: string) => void warnings.push(JSON.parse(line)) });
  const opened: DiskLog[] = [];
  t.teardown(async () => {
    for (const log of opened) await log.close().catch(() => {});
    handles.closeAll();
    fs.rmSync(root, { recursive: true, force: true });
  });
  return {
    dir,
    clock,
    settings,
    handles,
    warnings,
    open(state = {}) {
      const log = DiskLog.open(dir, 'topic-0', { handles, log: logger, clock, settings: () => settings }, { recoveryPoint: 0, logStartOffset: 0, clean: true, firstDirtyOffset: 0, ...state });
      opened.push(log);
      return log;
    },
    files: () => fs.readdirSync(dir).sort(),
    file: name => path.join(dir, name),
    size: name => fs.statSync(path.join(dir, name)).size,
  };
}

const segmentFiles = (...bases: number[]) => bases.flatMap(b => ['.index', '.log', '.timeindex'].map(s => segmentFileName(b, s)));

/** Every answer a log gives about its contents, for comparing a log before and after a reopen. */
async function answers(log: PartitionLog, recs: Rec[]) {
  const all = await log.read(log.logStartOffset, 1 << 30, false, END);
  const last = recs[recs.length - 1]?.offset ?? 0;
  const probeOffsets = [0, 1, 2, 3, 50, 99, 100, 127, 128, 129, 200, 255, 256, 257, last - 1, last, last + 1];
  const reads = [];
  for (const o of probeOffsets) {
    const r = await log.read(o, 3000, true, END);
    reads.push({ o, bytes: r.bytes, batches: baseOffsets(r.records) });
  }
  const times = [];
  for (let ts = T0 - 2000; ts <= T0 + recs.length * 60 + 2000; ts += 137) times.push(await log.offsetForTimestamp(ts));
  return {
    logStartOffset: log.logStartOffset,
    logEndOffset: log.logEndOffset,
    sizeInBytes: log.sizeInBytes,
    bytes: all.bytes,
    digest: digest(all.records),
    reads,
    times,
    max: await log.maxTimestampOffset(),
    epochs: probeOffsets.map(o => log.epochAt(o)),
  };
}

// ---------------------------------------------------------------------------------------------

t.test('offsets are consecutive and batches read back byte for byte, from any offset of a batch', async t => {
  const f = fixture(t);
  const log = f.open();
  t.same([log.logStartOffset, log.logEndOffset, log.highWatermark, log.sizeInBytes], [0, 0, 0, 0]);
  t.same(await log.read(0, 1 << 20, true, END), { records: [], bytes: 0 }, 'an empty log reads nothing');
  const originals = [3, 1, 5, 2].map((n, i) => encodeRecordBatch(Array.from({ length: n }, (_, j) => ({ key: `k${i}-${j}`, value: `value ${i}-${j}`, timestamp: T0 + j }))));
  const sent = originals.map(b => Buffer.from(b));
  const results: AppendResult[] = [];
  for (const [i, b] of sent.entries()) results.push(await append(log, b, i));
  t.same(results.map(r => [r.baseOffset, r.lastOffset, r.logAppendTime, r.logStartOffset]), [
    [0, 2, -1, 0],
    [3, 3, -1, 0],
    [4, 8, -1, 0],
    [9, 10, -1, 0],
  ]);
  t.same([log.logEndOffset, log.highWatermark], [11, 11]);
  t.equal(log.sizeInBytes, originals.reduce((n, b) => n + b.length, 0));

  const all = await log.read(0, 1 << 20, false, END);
  t.equal(all.bytes, log.sizeInBytes);
  t.ok(Buffer.concat(all.records).equals(Buffer.concat(sent)), 'the stored bytes are the appended batches with their assigned offsets and epochs');
  const decoded = decodeBatches(Buffer.concat(all.records));
  t.same(decoded.map(d => d.records.map(r => r.offset)), [[0, 1, 2], [3], [4, 5, 6, 7, 8], [9, 10]]);
  t.same(decoded.map(d => d.partitionLeaderEpoch), [0, 1, 2, 3]);
  t.same(decoded[2]!.records.map(r => r.key!.toString()), ['k2-0', 'k2-1', 'k2-2', 'k2-3', 'k2-4'], 'record contents intact');
  // apart from the base offset and leader epoch, the stored batch is the one the producer sent
  const stored = Buffer.from(all.records[0]!.subarray(0, originals[0]!.length));
  t.ok(stored.subarray(17).equals(originals[0]!.subarray(17)), 'magic, CRC and everything after it unchanged');

  for (const [offset, first] of [[0, 0], [1, 0], [2, 0], [3, 3], [4, 4], [6, 4], [8, 4], [9, 9], [10, 9]] as const) {
    const r = await log.read(offset, 1 << 20, false, END);
    t.equal(baseOffsets(r.records)[0], first, `offset ${offset} starts with the batch at ${first}`);
    const firstIndex = results.findIndex(x => x.baseOffset === first);
    t.ok(Buffer.concat(r.records).equals(Buffer.concat(sent.slice(firstIndex))), `offset ${offset}: the batches from there, byte for byte`);
  }
  t.same(await log.read(11, 1 << 20, true, END), { records: [], bytes: 0 }, 'at the log end');
  t.same(await log.read(500, 1 << 20, true, END), { records: [], bytes: 0 }, 'past the log end');
});

t.test('read: maxBytes, minOneBatch (KIP-74) and upTo', async t => {
  const f = fixture(t);
  const log = f.open();
  // batches of 3, 1 and 5 records, 200, 300 and 400 bytes long
  for (const [i, n] of [3, 1, 5].entries()) await append(log, sized(200 + 100 * i, Array.from({ length: n }, () => T0)));
  const [s0, s1, s2] = [200, 300, 400];
  const read = async (offset: number, maxBytes: number, minOne: boolean, upTo = END) => {
    const r = await log.read(offset, maxBytes, minOne, upTo);
    t.equal(r.bytes, r.records.reduce((n, b) => n + b.length, 0), 'bytes counts the buffers');
    return [baseOffsets(r.records), r.bytes];
  };
  t.same(await read(0, s0 + s1 + s2, false), [[0, 3, 4], s0 + s1 + s2], 'exactly everything fits');
  t.same(await read(0, s0 + s1 + s2 - 1, false), [[0, 3], s0 + s1], 'one byte short drops the last batch');
  t.same(await read(0, s0, false), [[0], s0]);
  t.same(await read(0, s0 - 1, false), [[], 0], 'a first batch larger than maxBytes without minOneBatch');
  t.same(await read(0, s0 - 1, true), [[0], s0], 'minOneBatch returns it anyway');
  t.same(await read(0, 100, true), [[0], s0], 'minOneBatch with maxBytes well below the batch size');
  t.same(await read(0, 1, true), [[0], s0], 'minOneBatch with maxBytes smaller than a batch header');
  t.same(await read(0, 0, true), [[0], s0], 'minOneBatch with maxBytes 0');
  t.same(await read(0, 0, false), [[], 0], 'maxBytes 0 without minOneBatch');
  t.same(await read(0, s0 + 1, true), [[0], s0], 'minOneBatch only applies to the first batch');
  t.same(await read(4, 1, true), [[4], s2]);
  t.same(await read(0, 1 << 20, false, 0), [[], 0], 'upTo 0');
  t.same(await read(0, 1 << 20, true, 0), [[], 0], 'upTo beats minOneBatch');
  t.same(await read(0, 1 << 20, false, 3), [[0], s0], 'upTo 3 stops before the batch at 3');
  t.same(await read(0, 1 << 20, false, 5), [[0, 3, 4], s0 + s1 + s2], 'a batch starting below upTo is returned whole');
  t.same(await read(3, 1 << 20, false, 4), [[3], s1]);
  t.same(await read(4, 1 << 20, false, 4), [[], 0]);
});

t.test('reads span segments, with maxBytes, minOneBatch and upTo applied across them', async t => {
  // 16 KiB segments of 1 KiB batches: 16 batches (of 2 records) each, 40 batches in 3 segments
  const f = fixture(t, { segmentBytes: 16 * KiB, indexIntervalBytes: 3 * KiB });
  const log = f.open();
  const sent: Buffer[] = [];
  for (let i = 0; i < 40; i++) {
    const b = sized(KiB, [T0 + i, T0 + i], 0x30 + i);
    await append(log, b);
    sent.push(b);
  }
  t.same(log.segmentBaseOffsets, [0, 32, 64]);
  const all = await log.read(0, 1 << 20, false, END);
  t.equal(all.records.length, 3, 'one buffer per segment');
  t.ok(Buffer.concat(all.records).equals(Buffer.concat(sent)), 'every batch of every segment, byte for byte');

  const from = async (offset: number, maxBytes: number, minOne = false, upTo = END) => {
    const r = await log.read(offset, maxBytes, minOne, upTo);
    return { first: baseOffsets(r.records)[0] ?? null, count: baseOffsets(r.records).length, bytes: r.bytes, same: Buffer.concat(r.records).equals(Buffer.concat(sent.slice(Math.floor(offset / 2), Math.floor(offset / 2) + baseOffsets(r.records).length))) };
  };
  t.same(await from(20, 20 * KiB), { first: 20, count: 20, bytes: 20 * KiB, same: true }, 'from the middle of the first segment into the third');
  t.same(await from(21, 20 * KiB + 1023), { first: 20, count: 20, bytes: 20 * KiB, same: true }, 'maxBytes stops before a batch that does not fit, in a later segment');
  t.same(await from(30, 2 * KiB), { first: 30, count: 2, bytes: 2 * KiB, same: true }, 'the last batch of a segment and the first of the next');
  t.same(await from(32, 100, true), { first: 32, count: 1, bytes: KiB, same: true }, 'minOneBatch at a segment start');
  t.same(await from(62, 3 * KiB), { first: 62, count: 3, bytes: 3 * KiB, same: true });
  t.same(await from(79, 1 << 20), { first: 78, count: 1, bytes: KiB, same: true }, 'the last offset');
  t.same(await from(10, 1 << 20, false, 40), { first: 10, count: 15, bytes: 15 * KiB, same: true }, 'upTo in the second segment');
  t.same(await from(10, 1 << 20, false, 64), { first: 10, count: 27, bytes: 27 * KiB, same: true }, 'upTo at the third segment\'s base');
  t.same(await from(64, 1 << 20, false, 64), { first: null, count: 0, bytes: 0, same: true });
});

t.test('segment.bytes rolls segments; their files are named by the 20-digit base offset', async t => {
  const f = fixture(t, { segmentBytes: 64 * KiB });
  const log = f.open();
  t.same(f.files(), ['00000000000000000000.log'], 'a new log has one empty segment at offset 0');
  t.equal(sized(KiB, [T0, T0]).length, KiB);
  for (let i = 0; i < 200; i++) await append(log, sized(KiB, [T0 + i, T0 + i]));
  // a segment takes a batch while its size is <= segment.bytes - batch size: 64 batches of 1 KiB
  t.same(log.segmentBaseOffsets, [0, 128, 256, 384]);
  t.same([log.segmentCount, log.logEndOffset, log.sizeInBytes], [4, 400, 200 * KiB]);
  t.ok(f.files().includes('00000000000000000384.log'), 'the active segment\'s file exists before any close');
  await log.close();
  t.same(f.files(), [
    '00000000000000000000.index', '00000000000000000000.log', '00000000000000000000.timeindex',
    '00000000000000000128.index', '00000000000000000128.log', '00000000000000000128.snapshot', '00000000000000000128.timeindex',
    '00000000000000000256.index', '00000000000000000256.log', '00000000000000000256.snapshot', '00000000000000000256.timeindex',
    '00000000000000000384.index', '00000000000000000384.log', '00000000000000000384.snapshot', '00000000000000000384.timeindex',
    // producer state snapshots: one per roll, at the new segment's base offset, and one at shutdown
    '00000000000000000400.snapshot',
    'leader-epoch-checkpoint',
  ]);
  t.same([0, 128, 256, 384].map(b => f.size(segmentFileName(b, '.log'))), [64 * KiB, 64 * KiB, 64 * KiB, 8 * KiB]);
  t.equal(segmentFileName(12345678901234, '.log'), '00000012345678901234.log');

  // a batch larger than segment.bytes gets a segment of its own
  const g = fixture(t, { segmentBytes: 4 * KiB });
  const big = g.open();
  for (let i = 0; i < 5; i++) await append(big, sized(KiB, [T0]));
  t.same(big.segmentBaseOffsets, [0, 4], '4 batches of 1 KiB fill a 4 KiB segment');
  await append(big, sized(10 * KiB, [T0]));
  await append(big, sized(KiB, [T0]));
  t.same(big.segmentBaseOffsets, [0, 4, 5, 6]);
  t.same([4, 5, 6].map(b => g.size(segmentFileName(b, '.log'))), [KiB, 10 * KiB, KiB]);
  const r = await big.read(5, 1, true, END);
  t.same([baseOffsets(r.records), r.bytes], [[5], 10 * KiB], 'the large batch reads back whole');

  // segment.ms: counted from the first batch's timestamp
  const h = fixture(t, { segmentMs: 1000 });
  const timed = h.open();
  for (const ts of [0, 600, 1000, 1001, 1500, 2002]) await append(timed, sized(100, [T0 + ts]));
  t.same(timed.segmentBaseOffsets, [0, 3, 5], 'a batch more than segment.ms after the segment\'s first rolls it');
});

t.test('index.interval.bytes: one offset and time index entry per interval of log', async t => {
  const f = fixture(t, { segmentBytes: 64 * KiB, indexIntervalBytes: 4 * KiB });
  const log = f.open();
  for (let i = 0; i < 70; i++) await append(log, sized(KiB, [T0 + 10 * i + 5, T0 + 10 * i]));
  t.same(log.segmentBaseOffsets, [0, 128]);
  await log.close();

  const offsetEntries = (base: number) => {
    const b = fs.readFileSync(f.file(segmentFileName(base, '.index')));
    return Array.from({ length: b.length / 8 }, (_, i) => [b.readInt32BE(i * 8), b.readInt32BE(i * 8 + 4)]);
  };
  const timeEntries = (base: number) => {
    const b = fs.readFileSync(f.file(segmentFileName(base, '.timeindex')));
    return Array.from({ length: b.length / 12 }, (_, i) => [readInt64(b, i * 12), b.readInt32BE(i * 12 + 8)]);
  };
  // an entry goes in when more than 4 KiB was appended since the last: at batches 5, 10, ..., 60
  const at = [5, 10, 15, 20, 25, 30, 35, 40, 45, 50, 55, 60];
  t.equal(f.size(segmentFileName(0, '.index')), 12 * 8);
  t.equal(f.size(segmentFileName(0, '.timeindex')), 12 * 12);
  t.same(offsetEntries(0), at.map(k => [2 * k + 1, k * KiB]), 'relative last offset of the batch, and its position');
  const times = timeEntries(0);
  t.same(times.map(e => e[0]), at.map(k => T0 + 10 * k + 5), 'the largest timestamp so far');
  t.ok(times.every(([, rel], i) => rel! >= 2 * at[i]! && rel! <= 2 * at[i]! + 1), 'at an offset of the batch holding it');
  t.same(offsetEntries(128), [[2 * 69 + 1 - 128, 5 * KiB]], 'the second segment counts from its own start');
  t.equal(timeEntries(128).length, 1);

  // index.interval.bytes 0: every batch but a segment's first; a huge interval: none
  const dense = fixture(t, { indexIntervalBytes: 0 });
  const d = dense.open();
  for (let i = 0; i < 10; i++) await append(d, sized(300, [T0 + i]));
  await d.close();
  t.equal(dense.size(segmentFileName(0, '.index')), 9 * 8);
  t.equal(dense.size(segmentFileName(0, '.timeindex')), 9 * 12);
  const sparse = fixture(t, { indexIntervalBytes: 1 << 30 });
  const s = sparse.open();
  for (let i = 0; i < 10; i++) await append(s, sized(300, [T0 + i]));
  await s.close();
  t.same([sparse.size(segmentFileName(0, '.index')), sparse.size(segmentFileName(0, '.timeindex'))], [0, 0]);

  // lookups answer the same with any number of entries
  for (const fx of [dense, sparse]) {
    const reopened = fx.open();
    const r = await reopened.read(6, 1 << 20, false, END);
    t.same(baseOffsets(r.records), [6, 7, 8, 9]);
    t.same(await reopened.offsetForTimestamp(T0 + 4), { offset: 4, timestamp: T0 + 4, leaderEpoch: 0 });
  }
});

t.test('close and reopen after a clean shutdown keeps everything', async t => {
  const f = fixture(t, { segmentBytes: 64 * KiB });
  const log = f.open();
  const list = specs(150);
  const { batches, results } = await fill(log, list);
  t.same(log.segmentBaseOffsets, [0, results[64]!.baseOffset, results[128]!.baseOffset]);
  const recs = recordsOf(batches);
  const before = await answers(log, recs);
  // the answers are right, not only stable
  t.equal(before.digest, digest(batches));
  t.same(before.max, expectedMax(recs));
  t.same(before.times, (() => {
    const out = [];
    for (let ts = T0 - 2000; ts <= T0 + recs.length * 60 + 2000; ts += 137) out.push(expectedForTimestamp(recs, ts));
    return out;
  })());
  t.same(before.epochs.slice(0, 4), [0, 0, 0, 0]);
  t.equal(log.epochAt(results[40]!.baseOffset), 1);
  t.equal(log.epochAt(results[40]!.baseOffset - 1), 0);
  t.equal(log.epochAt(results[149]!.lastOffset), 3);
  await log.close();
  t.equal(log.recoveryPoint, log.logEndOffset, 'close flushes everything');
  await t.rejects(log.read(0, 100, true, END), { code: ErrorCode.KAFKA_STORAGE_ERROR }, 'a closed log refuses reads');
  const late = sized(100, [T0]);
  t.throws(() => log.append(late, header(late), { leaderEpoch: 0, logAppendTime: null, arrived: null }), { code: ErrorCode.KAFKA_STORAGE_ERROR }, 'and appends');

  const indexFiles = f.files().filter(n => n.endsWith('index'));
  const indexBytes = indexFiles.map(n => fs.readFileSync(f.file(n)));
  const reopened = f.open({ clean: true, recoveryPoint: log.logEndOffset });
  t.same(await answers(reopened, recs), before, 'every answer as before the close');
  t.same(reopened.segmentBaseOffsets, log.segmentBaseOffsets);
  t.equal(reopened.recoveryPoint, reopened.logEndOffset);
  t.same(f.warnings, [], 'nothing to warn about');
  t.ok(indexFiles.every((n, i) => fs.readFileSync(f.file(n)).equals(indexBytes[i]!)), 'index files untouched');

  // appends continue where the log ended, and roll where the first run would have
  const extra = specs(110).map(s => ({ ...s, epoch: 4 }));
  const more = await fill(reopened, extra);
  t.equal(more.results[0]!.baseOffset, before.logEndOffset);
  t.equal(reopened.epochAt(before.logEndOffset), 4);
  t.equal(reopened.epochAt(before.logEndOffset - 1), 3);
  const straight = fixture(t, { segmentBytes: 64 * KiB });
  const unbroken = straight.open();
  await fill(unbroken, list);
  await fill(unbroken, extra);
  t.same(reopened.segmentBaseOffsets, unbroken.segmentBaseOffsets, 'the same segments as a log that was never closed');
  t.equal(reopened.logEndOffset, unbroken.logEndOffset);
});

t.test('reopen after a crash (recovery point 0) rebuilds every index and answers the same', async t => {
  const f = fixture(t, { segmentBytes: 64 * KiB, indexIntervalBytes: 2 * KiB });
  const log = f.open();
  const { batches } = await fill(log, specs(150));
  const recs = recordsOf(batches);
  const before = await answers(log, recs);
  await log.close();
  const indexFiles = f.files().filter(n => n.endsWith('index'));
  t.equal(indexFiles.length, 6);
  const indexBytes = indexFiles.map(n => fs.readFileSync(f.file(n)));
  t.ok(indexBytes.some(b => b.length > 0));
  // stale index files: recovery must not read them
  for (const n of indexFiles) fs.writeFileSync(f.file(n), Buffer.alloc(0));

  const recovered = f.open({ clean: false, recoveryPoint: 0 });
  t.same(await answers(recovered, recs), before, 'every answer as before');
  t.equal(recovered.recoveryPoint, 0, 'the recovery point only moves on a flush (as Kafka)');
  t.ok(indexFiles.every((n, i) => fs.readFileSync(f.file(n)).equals(indexBytes[i]!)), 'the index files rebuilt as they were');
  t.same(f.warnings, [], 'nothing was truncated');
  await recovered.flush();
  t.equal(recovered.recoveryPoint, recovered.logEndOffset);
});

t.test('lost or damaged index files are rebuilt from the log, even after a clean shutdown', async t => {
  const f = fixture(t, { segmentBytes: 64 * KiB, indexIntervalBytes: 2 * KiB });
  const log = f.open();
  const { batches } = await fill(log, specs(150));
  const recs = recordsOf(batches);
  const before = await answers(log, recs);
  await log.close();
  const indexFiles = f.files().filter(n => n.endsWith('index'));
  const indexBytes = indexFiles.map(n => fs.readFileSync(f.file(n)));
  for (const n of indexFiles) fs.rmSync(f.file(n));
  t.same(f.files().filter(n => n.endsWith('index')), []);

  const rebuilt = f.open({ clean: true });
  t.same(f.files().filter(n => n.endsWith('index')), indexFiles, 'the index files are back');
  t.ok(indexFiles.every((n, i) => fs.readFileSync(f.file(n)).equals(indexBytes[i]!)), 'with the same entries');
  t.same(f.warnings.map(w => [w.msg, w.segment]), log.segmentBaseOffsets.map(b => ['rebuilt the index files of a segment', b]));
  t.same(await answers(rebuilt, recs), before, 'offset and time lookups answer as before');
  await rebuilt.close();

  // an index that cannot be right (not whole entries; positions outside the log) is rebuilt too
  f.warnings.length = 0;
  fs.writeFileSync(f.file(indexFiles[0]!), Buffer.alloc(7));
  const wild = Buffer.alloc(16);
  wild.writeInt32BE(1, 0);
  wild.writeInt32BE(1 << 30, 4);
  wild.writeInt32BE(2, 8);
  wild.writeInt32BE(1 << 30, 12);
  fs.writeFileSync(f.file(segmentFileName(rebuilt.segmentBaseOffsets[1]!, '.index')), wild);
  const again = f.open({ clean: true });
  t.equal(f.warnings.length, 2);
  t.same(await answers(again, recs), before);
  t.ok(indexFiles.every((n, i) => fs.readFileSync(f.file(n)).equals(indexBytes[i]!)));
});

for (const damage of ['cut', 'flip'] as const) {
  for (const where of ['last', 'first'] as const) {
    t.test(`recovery: a ${damage === 'cut' ? 'torn' : 'bit-flipped'} last batch of the ${where} segment is truncated back to the last good batch`, async t => {
      const f = fixture(t, { segmentBytes: 64 * KiB });
      const log = f.open();
      const { batches, results } = await fill(log, specs(150));
      const bases = log.segmentBaseOffsets;
      t.equal(bases.length, 3);
      await log.close();

      // the damaged batch: the last of segment 0 (batch 63) or of the last segment (batch 149)
      const bad = where === 'first' ? 63 : 149;
      const seg = where === 'first' ? bases[0]! : bases[2]!;
      const logFile = f.file(segmentFileName(seg, '.log'));
      const size = fs.statSync(logFile).size;
      if (damage === 'cut') fs.truncateSync(logFile, size - 5);
      else {
        const fd = fs.openSync(logFile, 'r+');
        const at = size - KiB + 500; // inside the batch's records, covered by its CRC
        const byte = Buffer.alloc(1);
        fs.readSync(fd, byte, 0, 1, at);
        byte[0] = byte[0]! ^ 0x10;
        fs.writeSync(fd, byte, 0, 1, at);
        fs.closeSync(fd);
      }

      const recovered = f.open({ clean: false, recoveryPoint: where === 'first' ? 0 : seg });
      const good = batches.slice(0, bad);
      const end = results[bad]!.baseOffset;
      t.equal(recovered.logEndOffset, end, 'the log ends before the damaged batch');
      t.equal(recovered.sizeInBytes, bad * KiB);
      t.equal(f.size(segmentFileName(seg, '.log')), (bad % 64) * KiB, 'the file is cut at the last good batch');
      if (where === 'first') {
        t.same(recovered.segmentBaseOffsets, [0], 'the segments after the damaged one are deleted');
        t.same(f.files(), [...segmentFiles(0), 'leader-epoch-checkpoint']);
      } else {
        t.same(recovered.segmentBaseOffsets, bases);
      }
      const warned = f.warnings.map(w => w.msg);
      t.ok(warned.some(m => /^truncated \d+ bytes from the end of a segment$/.test(m)), 'the truncation is logged');
      t.equal(warned.filter(m => m === 'deleted a segment that followed a truncated one').length, where === 'first' ? 2 : 0);
      t.ok(recovered.recoveryPoint <= end);

      const all = await recovered.read(0, 1 << 30, false, END);
      t.ok(Buffer.concat(all.records).equals(Buffer.concat(good)), 'the good batches intact');
      const recs = recordsOf(good);
      for (const ts of [T0 - 5000, T0 + 3000, T0 + 6300, T0 + 6350, T0 + 14_000, T0 + 20_000]) {
        t.same(await recovered.offsetForTimestamp(ts), expectedForTimestamp(recs, ts), `offsetForTimestamp ${ts - T0}`);
      }
      t.same(await recovered.maxTimestampOffset(), expectedMax(recs));
      t.equal(recovered.epochAt(end - 1), good.length > 120 ? 3 : 1);
      t.equal(recovered.epochAt(end), -1, 'no batch holds the old offsets');

      // appends continue at the new end, in the segment that was cut (or after it when full)
      const next = await append(recovered, sized(KiB, [T0 + 50_000, T0 + 50_001], 0x7a), 5);
      t.same([next.baseOffset, next.lastOffset], [end, end + 1]);
      const tail = await recovered.read(end, 1 << 20, false, END);
      t.same(decodeBatches(Buffer.concat(tail.records)).map(d => [d.baseOffset, d.partitionLeaderEpoch]), [[end, 5]]);
      t.equal(recovered.epochAt(end), 5);
      await recovered.close();

      const reopened = f.open({ clean: true });
      t.equal(reopened.logEndOffset, end + 2);
      const again = await reopened.read(0, 1 << 30, false, END);
      t.equal(again.bytes, (bad + 1) * KiB);
      t.same(await reopened.offsetForTimestamp(T0 + 40_000), { offset: end, timestamp: T0 + 50_000, leaderEpoch: 5 });
    });
  }
}

t.test('leader epochs of truncated offsets do not come back once the log grows past them again', async t => {
  const f = fixture(t, { segmentBytes: 64 * KiB });
  const log = f.open();
  // epochs 0, 1, 2, 3 begin at batches 0, 40, 80, 120
  const { results } = await fill(log, specs(150));
  await log.close();
  fs.truncateSync(f.file(segmentFileName(0, '.log')), 63 * KiB - 10); // batch 62 torn; segments 1, 2 go
  const recovered = f.open({ clean: false, recoveryPoint: 0 });
  const end = results[62]!.baseOffset;
  t.equal(recovered.logEndOffset, end);
  // the new leader (epoch 1 still) writes past where epochs 2 and 3 once began
  await fill(recovered, specs(100).map(s => ({ ...s, epoch: 1 })));
  t.ok(recovered.logEndOffset > results[120]!.baseOffset);
  t.equal(recovered.epochAt(results[80]!.baseOffset), 1);
  t.equal(recovered.epochAt(results[120]!.baseOffset + 1), 1);
  await recovered.close();
  const reopened = f.open({ clean: true });
  t.equal(reopened.epochAt(results[80]!.baseOffset), 1, 'after a restart too');
  t.equal(reopened.epochAt(results[120]!.baseOffset + 1), 1);
  t.equal(reopened.epochAt(results[39]!.baseOffset), 0);
});

t.test('LogAppendTime batches (rewritten CRC) pass recovery', async t => {
  const f = fixture(t);
  const log = f.open();
  for (let i = 0; i < 5; i++) await append(log, sized(500, [T0, T0 + 1]), 2, T0 + 1000 * i);
  await log.close();
  const recovered = f.open({ clean: false, recoveryPoint: 0 });
  t.equal(recovered.logEndOffset, 10);
  t.same(f.warnings, []);
  const r = await recovered.read(0, 1 << 20, false, END);
  t.same(decodeBatches(Buffer.concat(r.records)).map(d => [d.maxTimestamp, d.records.map(x => x.timestamp)]), [0, 1, 2, 3, 4].map(i => [T0 + 1000 * i, [T0 + 1000 * i, T0 + 1000 * i]]), 'the append time replaced the record times');
  t.same(await recovered.offsetForTimestamp(T0 + 1500), { offset: 4, timestamp: T0 + 2000, leaderEpoch: 2 });
  t.same(await recovered.maxTimestampOffset(), { offset: 8, timestamp: T0 + 4000, leaderEpoch: 2 });
});

t.test('offsetForTimestamp and maxTimestampOffset across segments, with timestamps out of order', async t => {
  const f = fixture(t, { segmentBytes: 8 * KiB, indexIntervalBytes: KiB });
  const log = f.open();
  const mem = memoryLog({ segmentBytes: 8 * KiB }, f.clock);
  const list = specs(120, 512, 99);
  // a few batches far out of order: an early peak and a late dip
  list[10]!.timestamps = [T0 + 20_000, T0 + 500];
  list[70]!.timestamps = [T0 - 3000];
  const { batches } = await fill(log, list);
  await fill(mem, list);
  t.ok(log.segmentCount >= 7, `${log.segmentCount} segments`);
  const recs = recordsOf(batches);
  const targets: number[] = [];
  for (let ts = T0 - 4000; ts <= T0 + 21_000; ts += 97) targets.push(ts);
  targets.push(T0 + 20_000, T0 + 20_001, T0 - 3000);
  /** `start`: the log start offset; `kept`: the base offset of the first segment kept. */
  const check = async (l: PartitionLog, start: number, what: string, kept = 0) => {
    let wrong = 0;
    for (const ts of targets) {
      const got = await l.offsetForTimestamp(ts);
      const want = expectedForTimestamp(recs, ts, start);
      if (JSON.stringify(got) !== JSON.stringify(want)) {
        wrong++;
        t.same(got, want, `${what}: offsetForTimestamp(T0 + ${ts - T0})`);
      }
    }
    t.equal(wrong, 0, `${what}: ${targets.length} lookups by time`);
    t.same(await l.maxTimestampOffset(), expectedMax(recs, kept), `${what}: maxTimestampOffset`);
  };
  t.same(await log.offsetForTimestamp(T0 + 15_000), { offset: recs.find(r => r.timestamp === T0 + 20_000)!.offset, timestamp: T0 + 20_000, leaderEpoch: 0 }, 'the early peak answers for a time far past it');
  await check(log, 0, 'disk');
  await check(mem, 0, 'memory');
  await log.close();
  const reopened = f.open({ clean: true });
  await check(reopened, 0, 'disk after a clean reopen');
  await reopened.close();
  const recovered = f.open({ clean: false, recoveryPoint: 0 });
  await check(recovered, 0, 'disk after recovery');

  // DeleteRecords into the middle of a batch: its records below the new start no longer answer
  const batch = batches.findIndex((b, i) => i > 72 && decodeBatches(b)[0]!.records.length === 3);
  const start = decodeBatches(batches[batch]!)[0]!.baseOffset + 1;
  await recovered.deleteRecordsBefore(start);
  await mem.deleteRecordsBefore(start);
  const kept = recovered.segmentBaseOffsets[0]!;
  t.ok(kept > 0 && kept < start, `segments below ${kept} deleted`);
  t.same([mem.logStartOffset, recovered.logStartOffset], [start, start]);
  await check(recovered, start, 'disk after DeleteRecords', kept);
  await check(mem, start, 'memory after DeleteRecords', kept);
  await recovered.close();
  await check(f.open({ clean: true, logStartOffset: start }), start, 'disk reopened after DeleteRecords', kept);
});

t.test('retention.ms deletes the segments whose newest record is older, oldest first', async t => {
  const f = fixture(t, { segmentBytes: 64 * KiB, retentionMs: 10_000 });
  const log = f.open();
  // segment k (64 batches) holds timestamps T0 + 1000k .. T0 + 1000k + 63; 200 batches: 4 segments
  for (let i = 0; i < 200; i++) {
    const k = Math.floor(i / 64);
    await append(log, sized(KiB, [T0 + 1000 * k + (i % 64), T0 + 1000 * k]));
  }
  t.same(log.segmentBaseOffsets, [0, 128, 256, 384]);
  const newest = (k: number) => T0 + 1000 * k + (k < 3 ? 63 : 7);
  t.equal(await log.applyRetention(newest(0) + 10_000), 0, 'exactly retention.ms old: kept');
  t.same(f.files().filter(n => n.endsWith('.log')).length, 4);
  t.equal(await log.applyRetention(newest(0) + 10_001), 1, 'one millisecond more: deleted');
  t.same(log.segmentBaseOffsets, [128, 256, 384]);
  t.same([log.logStartOffset, log.logEndOffset, log.sizeInBytes], [128, 400, 136 * KiB]);
  t.notOk(f.files().some(n => n.startsWith(segmentFileName(0, ''))), 'its files are gone');
  const r = await log.read(0, 2 * KiB, false, END);
  t.same(baseOffsets(r.records), [128, 130], 'reads start at the new log start offset');
  t.equal(await log.applyRetention(newest(1) + 10_001), 1);
  t.same(log.segmentBaseOffsets, [256, 384]);
  t.equal(await log.applyRetention(newest(1) + 10_001), 0, 'nothing more to delete at that time');

  // everything expires: an empty segment is rolled at the log end first, keeping the end offset
  t.equal(await log.applyRetention(T0 + 1_000_000), 2);
  t.same(log.segmentBaseOffsets, [400]);
  t.same([log.logStartOffset, log.logEndOffset, log.sizeInBytes], [400, 400, 0]);
  // the snapshot taken when the empty segment rolled stays with it
  t.same(f.files(), ['00000000000000000400.log', '00000000000000000400.snapshot', 'leader-epoch-checkpoint']);
  t.same(await log.read(0, 1 << 20, true, END), { records: [], bytes: 0 });
  t.equal(await log.offsetForTimestamp(0), null);
  t.equal(await log.maxTimestampOffset(), null);
  t.equal(await log.applyRetention(T0 + 2_000_000), 0, 'an empty active segment is never deleted');
  t.same(log.segmentBaseOffsets, [400]);

  const next = await append(log, sized(KiB, [T0 + 5, T0 + 6]));
  t.same([next.baseOffset, next.lastOffset, next.logStartOffset], [400, 401, 400], 'the next append continues at the old end');
  t.same(baseOffsets((await log.read(0, 1 << 20, false, END)).records), [400]);
  t.same(await log.offsetForTimestamp(0), { offset: 400, timestamp: T0 + 5, leaderEpoch: 0 });
  await log.close();
  const reopened = f.open({ clean: true });
  t.same([reopened.logStartOffset, reopened.logEndOffset, reopened.segmentBaseOffsets], [400, 402, [400]], 'and a reopen sees the same');
});

t.test('retention.ms: a segment is as old as its newest record; deletion stops at the first young segment', async t => {
  const f = fixture(t, { segmentBytes: 8 * KiB, retentionMs: 1000 });
  const log = f.open();
  // 8 batches a segment; segment 0 ends with a young batch, segment 1 is all old
  const stamps = [
    [0, 0, 0, 0, 0, 0, 0, 5000],
    [0, 0, 0, 0, 0, 0, 0, 0],
    [6000, 6000, 6000, 6000, 6000, 6000, 6000, 6000],
  ];
  for (const seg of stamps) for (const ts of seg) await append(log, sized(KiB, [T0 + ts]));
  t.same(log.segmentBaseOffsets, [0, 8, 16]);
  t.equal(await log.applyRetention(T0 + 5500), 0, 'segment 0 is young by its last batch, so nothing after it goes');
  t.equal(await log.applyRetention(T0 + 6001), 2);
  t.same([log.logStartOffset, log.segmentBaseOffsets], [16, [16]]);

  // retention.ms -1 (and an infinite one) never deletes; neither does a compact-only topic
  const g = fixture(t, { segmentBytes: 8 * KiB, retentionMs: -1 });
  const keep = g.open();
  for (let i = 0; i < 20; i++) await append(keep, sized(KiB, [T0]));
  t.equal(await keep.applyRetention(T0 + 10 ** 12), 0);
  g.settings.retentionMs = 1000;
  g.settings.deleteRetention = false;
  t.equal(await keep.applyRetention(T0 + 10 ** 12), 0, 'cleanup.policy=compact');
  g.settings.deleteRetention = true;
  t.equal(await keep.applyRetention(T0 + 10 ** 12), 3, 'settings are read on every call');
  t.same([keep.logStartOffset, keep.logEndOffset], [20, 20]);
});

t.test('retention.bytes deletes the oldest whole segments while the excess covers them, never the active one', async t => {
  const f = fixture(t, { segmentBytes: 64 * KiB });
  const log = f.open();
  for (let i = 0; i < 200; i++) await append(log, sized(KiB, [T0 + i, T0 + i]));
  const total = 200 * KiB;
  t.same(log.segmentBaseOffsets, [0, 128, 256, 384]);
  f.settings.retentionBytes = total - 1;
  t.equal(await log.applyRetention(T0), 0, 'an excess of 1 byte deletes nothing');
  f.settings.retentionBytes = total - 64 * KiB + 1;
  t.equal(await log.applyRetention(T0), 0, 'an excess one byte short of a segment deletes nothing');
  f.settings.retentionBytes = total - 64 * KiB;
  t.equal(await log.applyRetention(T0), 1, 'an excess of exactly one segment deletes it');
  t.same([log.logStartOffset, log.sizeInBytes, log.segmentBaseOffsets], [128, 136 * KiB, [128, 256, 384]]);
  f.settings.retentionBytes = 8 * KiB + 1;
  t.equal(await log.applyRetention(T0), 1, 'an excess one byte short of two segments deletes one');
  t.same(log.segmentBaseOffsets, [256, 384]);
  f.settings.retentionBytes = 0;
  t.equal(await log.applyRetention(T0), 1, 'retention.bytes 0 keeps the active segment');
  t.same([log.logStartOffset, log.logEndOffset, log.sizeInBytes, log.segmentBaseOffsets], [384, 400, 8 * KiB, [384]]);
  t.same(f.files().filter(n => n.endsWith('.log')), ['00000000000000000384.log']);
  t.equal(await log.applyRetention(T0), 0, 'the active segment alone is never deleted by size');
  f.settings.retentionBytes = -1;
  t.equal(await log.applyRetention(T0), 0);
});

t.test('deleteRecordsBefore moves the log start offset and deletes the segments wholly below it', async t => {
  const f = fixture(t, { segmentBytes: 64 * KiB });
  const log = f.open();
  const sent: Buffer[] = [];
  for (let i = 0; i < 200; i++) {
    const b = sized(KiB, [T0 + i, T0 + i]);
    await append(log, b);
    sent.push(b);
  }
  await log.deleteRecordsBefore(100);
  t.same([log.logStartOffset, log.segmentBaseOffsets, log.sizeInBytes], [100, [0, 128, 256, 384], 200 * KiB], 'inside the first segment: nothing deleted');
  const r = await log.read(0, 2 * KiB, false, END);
  t.same(baseOffsets(r.records), [100, 102], 'reads below the start offset begin at it');
  t.same(await log.offsetForTimestamp(T0), { offset: 100, timestamp: T0 + 50, leaderEpoch: 0 }, 'lookups by time ignore records before it');
  t.equal(log.epochAt(99), -1);
  t.equal(log.epochAt(100), 0);
  await log.deleteRecordsBefore(50);
  t.equal(log.logStartOffset, 100, 'the start offset never moves back');
  await log.deleteRecordsBefore(129);
  t.same([log.logStartOffset, log.segmentBaseOffsets, log.sizeInBytes], [129, [128, 256, 384], 136 * KiB], 'the first segment deleted');
  t.notOk(fs.existsSync(f.file(segmentFileName(0, '.log'))));
  t.equal(baseOffsets((await log.read(129, 1 << 20, true, END)).records)[0], 128, 'the batch holding the start offset is read whole');
  t.equal(await log.applyRetention(T0), 0);
  await log.deleteRecordsBefore(384);
  t.same([log.logStartOffset, log.segmentBaseOffsets], [384, [384]], 'at a segment base: every segment below it goes');
  t.ok(Buffer.concat((await log.read(0, 1 << 20, false, END)).records).equals(Buffer.concat(sent.slice(192))));

  // up to the end: the active segment is rolled and deleted, the end offset kept
  await log.deleteRecordsBefore(400);
  t.same([log.logStartOffset, log.logEndOffset, log.sizeInBytes, log.segmentBaseOffsets], [400, 400, 0, [400]]);
  t.same(f.files(), ['00000000000000000400.log', '00000000000000000400.snapshot', 'leader-epoch-checkpoint']);
  await log.deleteRecordsBefore(1000);
  t.same([log.logStartOffset, log.logEndOffset, log.segmentBaseOffsets], [400, 400, [400]], 'never past the end');
  const next = await append(log, sized(KiB, [T0, T0]));
  t.same([next.baseOffset, next.logStartOffset], [400, 400]);
  await log.close();

  // the log start offset comes back from its checkpoint, within a segment
  const g = fixture(t, { segmentBytes: 64 * KiB });
  const other = g.open();
  for (let i = 0; i < 100; i++) await append(other, sized(KiB, [T0 + i, T0 + i]));
  await other.deleteRecordsBefore(150);
  t.same([other.logStartOffset, other.segmentBaseOffsets], [150, [128]]);
  await other.close();
  const reopened = g.open({ clean: true, logStartOffset: other.logStartOffset });
  t.same([reopened.logStartOffset, reopened.segmentBaseOffsets], [150, [128]]);
  t.same(baseOffsets((await reopened.read(0, KiB, true, END)).records), [150]);
});

t.test('flush.messages: the append resolves once fsynced, and the recovery point reaches the end', async t => {
  const f = fixture(t, { flushMessages: 1, segmentBytes: 4 * KiB });
  const log = f.open();
  t.equal(log.recoveryPoint, 0);
  for (let i = 0; i < 10; i++) {
    const b = sized(KiB, [T0 + i]);
    const pending = log.append(b, header(b), { leaderEpoch: 0, logAppendTime: null, arrived: null });
    t.ok(pending instanceof Promise, `append ${i} waits for its fsync`);
    const r = await pending;
    t.equal(r.baseOffset, i);
    t.equal(log.recoveryPoint, i + 1, 'on disk up to the end offset');
  }
  t.same(log.segmentBaseOffsets, [0, 4, 8], 'rolled segments are covered too');

  const g = fixture(t, { flushMessages: 3 });
  const batched = g.open();
  const kinds: string[] = [];
  for (let i = 0; i < 6; i++) {
    const b = sized(200, [T0]);
    const r = batched.append(b, header(b), { leaderEpoch: 0, logAppendTime: null, arrived: null });
    kinds.push(r instanceof Promise ? 'wait' : 'now');
    await r;
  }
  t.same(kinds, ['now', 'now', 'wait', 'now', 'now', 'wait'], 'every third message is flushed');
  t.equal(batched.recoveryPoint, 6);

  const h = fixture(t);
  const lazy = h.open();
  for (let i = 0; i < 5; i++) {
    const b = sized(200, [T0]);
    t.notOk(lazy.append(b, header(b), { leaderEpoch: 0, logAppendTime: null, arrived: null }) instanceof Promise, 'no flush.messages: answered at once');
  }
  t.equal(lazy.recoveryPoint, 0, 'nothing known on disk yet');
  await lazy.flush();
  t.equal(lazy.recoveryPoint, 5);
});

t.test('flush.ms: a timer flushes appends that did not wait', async t => {
  const f = fixture(t, { flushMs: 1000 });
  const log = f.open();
  for (let i = 0; i < 3; i++) await append(log, sized(200, [T0]));
  t.equal(log.recoveryPoint, 0);
  f.clock.advance(1000);
  // the timer started an fsync, which completes on the thread pool: let the event loop turn until
  // it has (a generous deadline for a slow disk; no time is asserted)
  const deadline = Date.now() + 30_000;
  while (log.recoveryPoint < 3 && Date.now() < deadline) await new Promise(resolve => setImmediate(resolve));
  t.equal(log.recoveryPoint, 3, 'flushed without anyone calling flush()');
});

t.test('a log whose every segment expired keeps its end offset and takes new appends', async t => {
  const f = fixture(t, { segmentBytes: 4 * KiB, retentionMs: 1000 });
  const log = f.open();
  for (let i = 0; i < 6; i++) await append(log, sized(KiB, [T0, T0, T0]), 4);
  t.same(log.segmentBaseOffsets, [0, 12]);
  t.equal(await log.applyRetention(T0 + 1001), 2);
  t.same([log.logStartOffset, log.logEndOffset, log.sizeInBytes, log.segmentBaseOffsets], [18, 18, 0, [18]]);
  t.equal(log.epochAt(17), -1);
  await log.close();
  const reopened = f.open({ clean: true, logStartOffset: 0 });
  t.same([reopened.logStartOffset, reopened.logEndOffset], [18, 18], 'the empty segment\'s name keeps the end offset across a restart');
  const next = await append(reopened, sized(KiB, [T0 + 5000]), 4);
  t.same([next.baseOffset, next.lastOffset, next.logStartOffset], [18, 18, 18]);
  t.equal(reopened.epochAt(18), 4);
  t.same(baseOffsets((await reopened.read(0, 1 << 20, false, END)).records), [18]);
  t.same(await reopened.maxTimestampOffset(), { offset: 18, timestamp: T0 + 5000, leaderEpoch: 4 });
  t.equal(await reopened.applyRetention(T0 + 5000), 0);
});

t.test('bytesFrom: bytes from the batch holding an offset (never less), exact at segment starts', async t => {
  const f = fixture(t, { segmentBytes: 16 * KiB, indexIntervalBytes: 2 * KiB });
  const log = f.open();
  for (let i = 0; i < 40; i++) await append(log, sized(KiB, [T0, T0]));
  const end = log.logEndOffset;
  t.equal(log.bytesFrom(0, end), 40 * KiB);
  t.equal(log.bytesFrom(32, end), 24 * KiB, 'a segment\'s base');
  t.equal(log.bytesFrom(64, end), 8 * KiB);
  t.equal(log.bytesFrom(end, end), 0);
  t.equal(log.bytesFrom(end + 10, end + 20), 0);
  for (const o of [1, 7, 20, 33, 50, 79]) {
    const exact = (40 - Math.floor(o / 2)) * KiB;
    const got = log.bytesFrom(o, end);
    t.ok(got >= exact && got <= exact + 3 * KiB, `bytesFrom(${o}) = ${got}, exactly ${exact}`);
  }
});

t.test('file descriptors stay within their bound while reads cross every segment', async t => {
  const f = fixture(t, { segmentBytes: 4 * KiB }, 2);
  const log = f.open();
  const sent: Buffer[] = [];
  for (let i = 0; i < 24; i++) {
    const b = sized(KiB, [T0 + i], i);
    await append(log, b);
    sent.push(b);
  }
  t.equal(log.segmentCount, 6);
  // the rolled segments' fsyncs pin their descriptors for a while; once done, the bound holds
  await log.flush();
  t.ok(f.handles.openCount <= 2, `${f.handles.openCount} open after the fsyncs`);
  const all = await log.read(0, 1 << 20, false, END);
  t.ok(Buffer.concat(all.records).equals(Buffer.concat(sent)));
  t.ok(f.handles.openCount <= 2, `${f.handles.openCount} open`);
  t.same(await log.offsetForTimestamp(T0 + 21), { offset: 21, timestamp: T0 + 21, leaderEpoch: 0 });
  t.same(await Promise.all([3, 9, 15, 22].map(async o => baseOffsets((await log.read(o, KiB, true, END)).records))), [[3], [9], [15], [22]], 'concurrent reads of different segments');
});
