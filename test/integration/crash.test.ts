// Crash safety of disk mode. First the real thing: bin/samsa with log.flush.interval.messages=1 is
// SIGKILLed while acks=all produces are in flight, five times over, and every restart must hold
// each acknowledged record exactly once at the offset its ack gave, with nothing but whole
// unacknowledged batches after them. SIGKILL keeps the page cache, so a second test watches the
// fsyncs themselves: no ack before an fsync covering its batch. Then in-process restarts of
// damaged data directories: a torn or corrupt tail is truncated (and only it), lost or torn index
// files are rebuilt to answer exactly as before, crash leftovers are cleaned up, and topics, ids,
// partition counts and configs survive while deleted topics stay gone.
/* eslint-disable @typescript-eslint/no-explicit-any -- responses decoded from the specs at run time */
import t, { type Test } from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { waitFor } from '../helpers/broker.js';
import { TestClient } from '../helpers/client.js';
import { SamsaProcess, type LogLine } from '../helpers/samsa-process.js';
import { batch, batchesOf, body, createTopic, fetchOne, latest, listOffset, metadata, produce, readContiguous, ZERO_UUID } from '../helpers/kafka.js';
import { startBroker, type RunningBroker } from '../../src/index.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import { BATCH_LENGTH, LOG_OVERHEAD, type DecodedBatch, type RecordInput } from '../../src/protocol/records.js';

const WAIT_MS = 20_000;
const CLEAN_SHUTDOWN = '.kafka_cleanshutdown';
const RECOVERY_POINTS = 'recovery-point-offset-checkpoint';

interface Teardown {
  teardown(fn: () => unknown): void;
}

/** Lines at error level, and stdout that is not a log line at all (counted as an error). */
function errorLines(s: SamsaProcess): LogLine[] {
  return [...s.logs.filter(l => l.level >= 50), ...s.text.map(line => ({ level: 60, msg: `not a JSON log line: ${line}` }))];
}

/** A fresh directory under the system temp dir, removed when the test ends (after `before`). */
function tempDir(t: Teardown, before: () => unknown = () => {}): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'samsa-crash-'));
  t.teardown(async () => {
    await before();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  return dir;
}

/** What one partition's log must hold: the batches verified so far and those sent since. */
interface Sent {
  values: string[];
  acked: boolean;
  baseOffset: number;
}

interface LoggedBatch {
  baseOffset: number;
  lastOffset: number;
  values: string[];
}

class Stream {
  /** The log as the last restart read it: every later restart must still hold it, unchanged. */
  verified: LoggedBatch[] = [];
  /** Batches sent in the current run, in sending order (one connection: appended in this order). */
  sent: Sent[] = [];
  seq = 0;

  constructor(
    readonly topic: string,
    readonly partition: number,
    /** Values are padded to up to this many bytes. */
    readonly maxPad: number,
    /** Timestamps: 2 ms apart by sequence number from here, every 11th record 5001 ms back (all distinct). */
    readonly t0: number,
    /** Tells apart streams producing to the same partition. */
    readonly tag = '',
  ) {}

  get label(): string {
    return `${this.topic}-${this.partition}${this.tag}`;
  }

  /** The next batch: 1-5 records, each value naming its partition, run and unique sequence number, padded. */
  nextRecords(run: number): RecordInput[] {
    const n = 1 + ((this.seq * 31) % 5);
    return Array.from({ length: n }, () => {
      const seq = this.seq++;
      return {
        value: `${this.label}|run${run}|seq${seq}|${'x'.repeat((seq * 7919) % this.maxPad)}`,
        timestamp: this.t0 + seq * 2 - (seq % 11 === 5 ? 5001 : 0),
      };
    });
  }
}

/** What a pump reports to: it stops sending once `stopped`. */
interface PumpControl {
  stopped: boolean;
  inFlight: number;
  onAck(s: Stream, sent: Sent): void;
  onSent(): void;
}

/**
 * Controls a run: counts acks and SIGKILLs the broker once `target` have arrived, either right
 * as that ack arrives or just after the next requests went out (`afterSend`).
 */
class KillSwitch implements PumpControl {
  acked = 0;
  inFlight = 0;
  inFlightAtKill = -1;
  stopped = false;

  constructor(
    private readonly broker: SamsaProcess,
    private readonly target: number,
    private readonly afterSend: boolean,
  ) {}

  private kill(): void {
    // in the middle of the stream: the other requests sent are still unanswered
    this.stopped = true;
    this.inFlightAtKill = this.inFlight;
    process.kill(this.broker.proc.pid!, 'SIGKILL');
  }

  onAck(): void {
    this.acked++;
    if (!this.afterSend && !this.stopped && this.acked >= this.target) this.kill();
  }

  onSent(): void {
    if (this.afterSend && !this.stopped && this.acked >= this.target) this.kill();
  }
}

const WINDOW = 8;

/** Produces to one partition over its own connection with WINDOW requests in flight until the broker dies. */
async function pump(c: TestClient, s: Stream, run: number, ks: PumpControl): Promise<void> {
  const pending: { id: number; sent: Sent }[] = [];
  for (;;) {
    while (!ks.stopped && pending.length < WINDOW) {
      const records = s.nextRecords(run);
      const sent: Sent = { values: records.map(r => r.value as string), acked: false, baseOffset: -1 };
      const id = c.send(
        0,
        9,
        body(0, { acks: -1, timeoutMs: 10_000, topicData: [{ name: s.topic, topicId: ZERO_UUID, partitionData: [{ index: s.partition, records: batch(records) }] }] }),
      );
      s.sent.push(sent);
      pending.push({ id, sent });
      ks.inFlight++;
    }
    ks.onSent();
    if (pending.length === 0) return;
    const frame = await c.nextFrame(WAIT_MS);
    // the broker is gone: whatever is still pending was never acknowledged
    if (frame === null) return;
    const { id, sent } = pending.shift()!;
    ks.inFlight--;
    const res = TestClient.decode<any>(frame, 0, 9, id);
    const p = res.responses[0].partitionResponses[0];
    if (p.errorCode !== 0) throw new Error(`produce to ${s.label} failed with error ${p.errorCode} ${p.errorMessage}`);
    sent.acked = true;
    sent.baseOffset = Number(p.baseOffset);
    ks.onAck(s, sent);
  }
}

/**
 * Reads a partition after a restart and checks it against what was sent: the log verified
 * before, then every acknowledged batch of this run at its acked offset, then at most some
 * of the unacknowledged ones, whole and in sending order. Returns the counts for the record.
 */
async function verifyStream(t: Test, c: TestClient, s: Stream, run: number): Promise<{ acked: number; extra: number; unacked: number }> {
  const { batches, end, problems } = await readContiguous(c, s.topic, s.partition);
  const log: LoggedBatch[] = batches.map(b => ({ baseOffset: b.baseOffset, lastOffset: b.baseOffset + b.lastOffsetDelta, values: b.records.map(r => r.value?.toString() ?? '<null>') }));
  const prefix = `${s.label} after run ${run}`;

  // offsets are contiguous from 0 (readPartition checked batch by batch)
  t.same(problems, [], `${prefix}: offsets contiguous from 0 up to the log end offset ${end}`);

  // what earlier restarts read is still there, unchanged
  const before = log.slice(0, s.verified.length);
  t.same(before, s.verified, `${prefix}: the ${s.verified.length} batches read after the previous restart are intact`);

  // acknowledgements arrive in sending order on one connection: the acked ones are a prefix
  const ackedCount = s.sent.filter(x => x.acked).length;
  t.ok(
    s.sent.slice(0, ackedCount).every(x => x.acked),
    `${prefix}: acks came in sending order`,
  );
  const acked = s.sent.slice(0, ackedCount);
  const rest = log.slice(s.verified.length);
  const wrong: string[] = [];
  acked.forEach((x, i) => {
    const got = rest[i];
    if (got === undefined) wrong.push(`acked batch ${i} (offset ${x.baseOffset}, first value ${x.values[0]!.slice(0, 40)}) is missing`);
    else if (got.baseOffset !== x.baseOffset) wrong.push(`acked batch ${i} was acked at offset ${x.baseOffset} but is at ${got.baseOffset}`);
    else if (JSON.stringify(got.values) !== JSON.stringify(x.values)) wrong.push(`the batch at offset ${got.baseOffset} does not hold the values acked there`);
  });
  t.same(wrong.slice(0, 10), [], `${prefix}: all ${ackedCount} acknowledged batches present at the offsets their acks gave, in order`);

  // beyond them: only whole unacknowledged batches, in sending order, at the end
  const unacked = s.sent.slice(ackedCount);
  const extras = rest.slice(acked.length);
  t.ok(extras.length <= unacked.length, `${prefix}: ${extras.length} batches beyond the acknowledged ones, of ${unacked.length} unacknowledged`);
  const extraWrong = extras.filter((x, i) => JSON.stringify(x.values) !== JSON.stringify(unacked[i]?.values)).map(x => x.baseOffset);
  t.same(extraWrong, [], `${prefix}: what follows the acknowledged batches is whole unacknowledged batches, in sending order`);

  // every value exactly once in the whole log
  const all = log.flatMap(b => b.values);
  t.equal(new Set(all).size, all.length, `${prefix}: no record appears twice (${all.length} records)`);

  // lookups through the indexes the restart loaded or rebuilt: fetches from offsets inside
  // batches, ListOffsets by timestamp (Kafka's answer computed from the log read back) and max timestamp
  const recs = batches.flatMap(b => b.records);
  const lookupWrong: string[] = [];
  const step = Math.max(1, Math.floor(recs.length / 40));
  for (let i = step >> 1; i < recs.length; i += step) {
    const r = recs[i]!;
    const f = await fetchOne(c, s.topic, s.partition, r.offset, { partitionMaxBytes: 1 });
    const first = batchesOf(f.records)[0];
    if (f.errorCode !== 0 || !first || first.baseOffset > r.offset || first.baseOffset + first.lastOffsetDelta < r.offset) {
      lookupWrong.push(`fetch at ${r.offset}: error ${f.errorCode}, batch at ${first?.baseOffset}`);
    }
    for (const ts of [r.timestamp - 1, r.timestamp, r.timestamp + 1]) {
      const lo = await listOffset(c, s.topic, s.partition, ts, { version: 8 });
      const expected = expectedByTimestamp(batches, ts);
      if (lo.errorCode !== 0 || Number(lo.offset) !== expected[0] || Number(lo.timestamp) !== expected[1]) {
        lookupWrong.push(`ListOffsets ${ts}: [${lo.errorCode}, ${lo.offset}, ${lo.timestamp}], expected [0, ${expected.join(', ')}]`);
      }
    }
  }
  const maxTs = Math.max(...recs.map(r => r.timestamp));
  const lo = await listOffset(c, s.topic, s.partition, -3, { version: 8 });
  const maxAt = recs.find(r => r.timestamp === maxTs)!;
  if (lo.errorCode !== 0 || Number(lo.offset) !== maxAt.offset || Number(lo.timestamp) !== maxTs) {
    lookupWrong.push(`max timestamp: [${lo.errorCode}, ${lo.offset}, ${lo.timestamp}], expected [0, ${maxAt.offset}, ${maxTs}]`);
  }
  t.same(lookupWrong.slice(0, 10), [], `${prefix}: fetches from offsets inside batches and ListOffsets by timestamp and max timestamp answer right`);

  s.verified = log;
  s.sent = [];
  return { acked: ackedCount, extra: extras.length, unacked: unacked.length };
}

t.test('SIGKILL while acks=all produces are in flight, five times: acknowledged records survive exactly once', async t => {
  const started: SamsaProcess[] = [];
  const dataDir = tempDir(t, async () => {
    for (const s of started) s.kill();
    await Promise.all(started.map(s => s.exit().catch(() => {})));
  });
  const clients: TestClient[] = [];
  t.teardown(() => clients.forEach(c => c.close()));
  const connect = async (bootstrap: string) => {
    const c = await TestClient.connect(bootstrap);
    clients.push(c);
    return c;
  };
  // the recovery-point checkpoint never written, written often, or in between: every run
  // recovers a different share of its segments
  const checkpointMs = [60_000, 20, 250, 5, 60_000, 100];
  const start = (run: number) => {
    const s = new SamsaProcess(
      [
        'start',
        '--port',
        '0',
        '--data-dir',
        dataDir,
        '--log-level',
        'info',
        '--override',
        'log.flush.interval.messages=1',
        '--override',
        `log.flush.offset.checkpoint.interval.ms=${checkpointMs[run]}`,
      ],
      undefined,
      WAIT_MS,
    );
    started.push(s);
    return s;
  };

  const T0 = Date.now() - 3_600_000;
  // crash-a rolls segments on size (1 MiB, larger values), crash-b on time (segment.ms 100: every
  // ~50 records by their timestamps): the kills meet rolls and many segments to recover
  const streams = [new Stream('crash-a', 0, 8000, T0), new Stream('crash-b', 0, 3000, T0), new Stream('crash-b', 1, 3000, T0)];
  const RUNS = 5;
  let broker = start(0);
  let bootstrap = await broker.started();
  let admin = await connect(bootstrap);
  const idA = await createTopic(admin, 'crash-a', 1, { 'segment.bytes': '1048576' });
  const idB = await createTopic(admin, 'crash-b', 2, { 'segment.ms': '100' });

  for (let run = 0; run < RUNS; run++) {
    // kill after some hundreds of acks (varying) while every connection has requests in flight,
    // as an ack arrives (even runs) or just after more requests went out (odd runs)
    const ks = new KillSwitch(broker, 450 + run * 100, run % 2 === 1);
    const conns = await Promise.all(streams.map(() => connect(bootstrap)));
    await Promise.all(streams.map((s, i) => pump(conns[i]!, s, run, ks)));
    await broker.exit();
    t.equal(broker.signal, 'SIGKILL', `run ${run}: the broker was killed`);
    t.ok(ks.acked >= 450 + run * 100, `run ${run}: ${ks.acked} batches acknowledged before the kill`);
    t.ok(ks.inFlightAtKill > 0, `run ${run}: killed with ${ks.inFlightAtKill} requests in flight`);
    t.notOk(fs.existsSync(path.join(dataDir, CLEAN_SHUTDOWN)), `run ${run}: no clean-shutdown marker after SIGKILL`);

    // restart on the same data dir and a new port
    broker = start(run + 1);
    bootstrap = await broker.started();
    admin = await connect(bootstrap);
    const opening = broker.logs.find(l => l.msg === 'opening the data directory');
    t.equal(opening?.cleanShutdown, false, `run ${run}: the restart knows the shutdown was unclean`);
    const md = await metadata(admin, ['crash-a', 'crash-b']);
    t.same(
      md.topics.map((x: any) => [x.name, x.errorCode, x.topicId, x.partitions.length]),
      [
        ['crash-a', 0, idA, 1],
        ['crash-b', 0, idB, 2],
      ],
      `run ${run}: both topics back with their ids and partitions`,
    );
    for (const s of streams) {
      const r = await verifyStream(t, admin, s, run);
      t.comment(`run ${run} ${s.label}: ${r.acked} acked, ${r.extra} of ${r.unacked} unacked batches on disk, log end ${s.verified.length > 0 ? s.verified[s.verified.length - 1]!.lastOffset + 1 : 0}`);
    }
    const truncations = broker.logs.filter(l => typeof l.truncatedBytes === 'number').map(l => `${l.partition}/${l.segment}: ${l.truncatedBytes} (${l.reason})`);
    if (truncations.length > 0) t.comment(`run ${run}: recovery truncated ${truncations.join(', ')}`);
    t.same(
      errorLines(broker),
      [],
      `run ${run}: the restarted broker logged nothing at error level`,
    );
    t.equal(broker.stderr, '', `run ${run}: nothing on stderr`);
  }

  // the last restart takes new produces at the log end and fetches them back
  for (const s of streams) {
    const end = s.verified.length > 0 ? s.verified[s.verified.length - 1]!.lastOffset + 1 : 0;
    t.ok(end > 0, `${s.label}: holds data`);
    const p = await produce(admin, s.topic, s.partition, batch([`${s.label}|after`, `${s.label}|after2`]));
    t.same([p.errorCode, Number(p.baseOffset)], [0, end], `${s.label}: a new produce lands at the log end offset ${end}`);
    const f = await fetchOne(admin, s.topic, s.partition, end);
    t.same(
      batchesOf(f.records).flatMap(b => b.records.map(r => [r.offset, r.value?.toString()])),
      [
        [end, `${s.label}|after`],
        [end + 1, `${s.label}|after2`],
      ],
      `${s.label}: and fetches back`,
    );
  }
  process.kill(broker.proc.pid!, 'SIGTERM');
  await broker.exit();
  t.equal(broker.exitCode, 0, 'SIGTERM: exit code 0');
  t.ok(fs.existsSync(path.join(dataDir, CLEAN_SHUTDOWN)), 'SIGTERM leaves the clean-shutdown marker');
  // the runs crossed segment rolls, so recovery had several segments to deal with
  t.ok(segmentBases(path.join(dataDir, 'crash-a-0')).length >= 3, `crash-a-0 rolled by size: ${segmentBases(path.join(dataDir, 'crash-a-0')).length} segments`);
  for (const p of [0, 1]) {
    const n = segmentBases(path.join(dataDir, `crash-b-${p}`)).length;
    t.ok(n >= 10, `crash-b-${p} rolled by time: ${n} segments`);
  }
  t.same(
    errorLines(broker),
    [],
    'the last broker logged nothing at error level',
  );
});

// ---------------------------------------------------------------------------------------------
// In-process restarts of a data directory

interface Started {
  b: RunningBroker;
  c: TestClient;
  logs: LogLine[];
}

/** A data dir for one test and a way to (re)start a broker on it; everything is closed, then the dir removed, at teardown. */
function diskBrokers(t: Teardown): { dir: string; start: (config?: Record<string, string | number>) => Promise<Started> } {
  const running: Started[] = [];
  const dir = tempDir(t, async () => {
    for (const s of running) s.c.close();
    for (const s of running) await s.b.close().catch(() => {});
  });
  return {
    dir,
    async start(config = {}) {
      const logs: LogLine[] = [];
      const logger = pino({ level: 'debug' }, { write: (line: string) => void logs.push(JSON.parse(line)) });
      const b = await startBroker({ port: 0, host: '127.0.0.1', dataDir: dir, logger, config });
      const c = await TestClient.connect(b.bootstrap);
      const s = { b, c, logs };
      running.push(s);
      return s;
    },
  };
}

async function stop(s: Started): Promise<void> {
  s.c.close();
  await s.b.close();
}

/** The segment files of a partition directory, by base offset. */
function segmentBases(partDir: string): number[] {
  return fs
    .readdirSync(partDir)
    .filter(f => /^\d{20}\.log$/.test(f))
    .map(f => Number(f.slice(0, 20)))
    .sort((a, b) => a - b);
}

const segFile = (partDir: string, base: number, suffix: string) => path.join(partDir, `${String(base).padStart(20, '0')}${suffix}`);

/** Positions and sizes of the batches in a .log file, read from their headers. */
function batchPositions(file: string): { position: number; size: number }[] {
  const buf = fs.readFileSync(file);
  const out: { position: number; size: number }[] = [];
  let pos = 0;
  while (pos + LOG_OVERHEAD <= buf.length) {
    const size = LOG_OVERHEAD + buf.readInt32BE(pos + BATCH_LENGTH);
    out.push({ position: pos, size });
    pos += size;
  }
  if (pos !== buf.length) throw new Error(`${file} does not end at a batch boundary`);
  return out;
}

/** A compact form of a fetched log for comparisons: [base offset, last offset, max timestamp, [offset, timestamp, value]...]. */
function summary(batches: DecodedBatch[]): unknown[] {
  return batches.map(b => [b.baseOffset, b.baseOffset + b.lastOffsetDelta, b.maxTimestamp, b.records.map(r => [r.offset, r.timestamp, r.value?.toString()])]);
}

/** ~3 MB in 1 MiB segments: `batches` batches of 10 records of ~1 KB, timestamps as `ts` gives them. */
async function produceSegments(c: TestClient, topic: string, batches: number, ts: (record: number, batch: number) => number = () => Date.now()): Promise<void> {
  let record = 0;
  for (let i = 0; i < batches; i++) {
    const records = Array.from({ length: 10 }, (_, j) => {
      const n = record++;
      return { value: `${topic}|b${i}|r${n}|${'y'.repeat(900 + ((n * 37) % 200))}`, timestamp: ts(n, i) };
    });
    const p = await produce(c, topic, 0, batch(records));
    if (p.errorCode !== 0) throw new Error(`produce ${topic} batch ${i}: error ${p.errorCode}`);
  }
}

// SIGKILL keeps the page cache, so the test above cannot tell an fsync from none. This one
// watches the fsyncs themselves: with log.flush.interval.messages=1 no produce may be answered
// before an fsync of its segment file, started once the batch was in it, has completed.
t.test('log.flush.interval.messages=1: no produce is acknowledged before an fsync covering it completed', { skip: process.platform === 'linux' ? false : 'needs /proc/self/fd' }, async t => {
  type SyncEvent = { kind: 'start'; id: number; file: string; size: number } | { kind: 'done'; id: number } | { kind: 'ack'; topic: string; partition: number; baseOffset: number };
  const events: SyncEvent[] = [];
  const fsAny = fs as any;
  const original = { fsync: fsAny.fsync, fdatasync: fsAny.fdatasync, fsyncSync: fsAny.fsyncSync, fdatasyncSync: fsAny.fdatasyncSync };
  t.teardown(() => Object.assign(fsAny, original));
  let ids = 0;
  const opened = (fd: number) => {
    try {
      return { file: fs.readlinkSync(`/proc/self/fd/${fd}`), size: fs.fstatSync(fd).size };
    } catch {
      return { file: '?', size: -1 };
    }
  };
  // each fsync is recorded when it starts (with the file's size then) and when it completes;
  // completions are delayed a little at random to widen every window an early ack could use
  for (const name of ['fsync', 'fdatasync'] as const) {
    const fn = original[name];
    fsAny[name] = (fd: number, cb: (err: Error | null) => void) => {
      const id = ids++;
      events.push({ kind: 'start', id, ...opened(fd) });
      fn.call(fs, fd, (err: Error | null) => {
        setTimeout(() => {
          if (!err) events.push({ kind: 'done', id });
          cb(err);
        }, Math.random() * 3);
      });
    };
  }
  for (const name of ['fsyncSync', 'fdatasyncSync'] as const) {
    const fn = original[name];
    fsAny[name] = (fd: number) => {
      const id = ids++;
      events.push({ kind: 'start', id, ...opened(fd) });
      fn.call(fs, fd);
      events.push({ kind: 'done', id });
    };
  }

  const { dir, start } = diskBrokers(t);
  const s = await start({ 'log.flush.interval.messages': 1 });
  await createTopic(s.c, 'synced', 2, { 'segment.bytes': '1048576' });
  // partition 0: two connections at once (appends wait on each other's fsyncs); partition 1: one
  const streams = [new Stream('synced', 0, 6000, Date.now(), 'a'), new Stream('synced', 0, 6000, Date.now(), 'b'), new Stream('synced', 1, 6000, Date.now())];
  const ctl: PumpControl = {
    stopped: false,
    inFlight: 0,
    onAck(st, sent) {
      events.push({ kind: 'ack', topic: st.topic, partition: st.partition, baseOffset: sent.baseOffset });
      if (events.filter(e => e.kind === 'ack').length >= 600) ctl.stopped = true;
    },
    onSent() {},
  };
  const conns = await Promise.all(streams.map(() => TestClient.connect(s.b.bootstrap)));
  t.teardown(() => conns.forEach(c => c.close()));
  await Promise.all(streams.map((st, i) => pump(conns[i]!, st, 0, ctl)));
  await stop(s);

  // where each batch ends in its segment file
  const ends = new Map<string, { file: string; end: number }>();
  for (const partition of [0, 1]) {
    const partDir = fs.realpathSync(path.join(dir, `synced-${partition}`));
    for (const base of segmentBases(partDir)) {
      const file = segFile(partDir, base, '.log');
      const bytes = fs.readFileSync(file);
      for (const { position, size } of batchPositions(file)) ends.set(`${partition}@${Number(bytes.readBigInt64BE(position))}`, { file, end: position + size });
    }
  }
  t.ok(segmentBases(path.join(dir, 'synced-0')).length >= 3, 'partition 0 rolled segments meanwhile');

  const durable = new Map<string, number>();
  const starts = new Map<number, { file: string; size: number }>();
  const early: string[] = [];
  let acks = 0;
  for (const e of events) {
    if (e.kind === 'start') starts.set(e.id, e);
    else if (e.kind === 'done') {
      const st = starts.get(e.id)!;
      durable.set(st.file, Math.max(durable.get(st.file) ?? 0, st.size));
    } else {
      acks++;
      const where = ends.get(`${e.partition}@${e.baseOffset}`);
      if (where === undefined) early.push(`${e.topic}-${e.partition} offset ${e.baseOffset}: acked but no batch starts there`);
      else if ((durable.get(where.file) ?? 0) < where.end) {
        early.push(`${e.topic}-${e.partition} offset ${e.baseOffset}: acked with ${path.basename(where.file)} fsynced up to ${durable.get(where.file) ?? 0}, the batch ends at ${where.end}`);
      }
    }
  }
  t.ok(acks >= 600, `${acks} produces acknowledged`);
  t.same(early.slice(0, 10), [], 'each one after an fsync that covered its batch');
  const syncs = events.filter(e => e.kind === 'start').length;
  t.comment(`${syncs} fsyncs for ${acks} acks`);
});

interface TailCase {
  name: string;
  /** Damages a segment's .log given its batches; returns the position it must be truncated to. */
  damage: (file: string, batches: { position: number; size: number }[]) => number;
  /** Which segment is damaged, counted from the first; default the last. */
  segment?: number;
  /** Also remove the recovery-point checkpoint (every segment is recovered, not only the last). */
  dropCheckpoint?: boolean;
  reason: RegExp;
}

const tailCases: TailCase[] = [
  {
    name: 'a torn last batch (bytes cut off the end of the last .log)',
    damage(file, batches) {
      const last = batches[batches.length - 1]!;
      fs.truncateSync(file, last.position + last.size - 100);
      return last.position;
    },
    reason: /torn batch/,
  },
  {
    name: 'a torn batch header, every segment recovered (no recovery-point checkpoint)',
    damage(file, batches) {
      const last = batches[batches.length - 1]!;
      fs.truncateSync(file, last.position + 30);
      return last.position;
    },
    dropCheckpoint: true,
    reason: /torn batch header/,
  },
  {
    name: 'one bit flipped in the middle of the last batch',
    damage(file, batches) {
      const last = batches[batches.length - 1]!;
      flipBit(file, last.position + Math.floor(last.size / 2), 0x10);
      return last.position;
    },
    reason: /CRC/,
  },
  {
    name: 'one bit flipped in a batch a few before the end: it and every batch after it go',
    damage(file, batches) {
      const victim = batches[batches.length - 4]!;
      flipBit(file, victim.position + Math.floor(victim.size / 2), 0x01);
      return victim.position;
    },
    reason: /CRC/,
  },
  {
    name: 'one bit flipped mid-way through the first segment, every segment recovered: the later segments go too',
    segment: 0,
    damage(file, batches) {
      const victim = batches[Math.floor(batches.length / 2)]!;
      flipBit(file, victim.position + 70, 0x80);
      return victim.position;
    },
    dropCheckpoint: true,
    reason: /CRC/,
  },
];

function flipBit(file: string, at: number, mask: number): void {
  const fd = fs.openSync(file, 'r+');
  try {
    const b = Buffer.alloc(1);
    fs.readSync(fd, b, 0, 1, at);
    b[0]! ^= mask;
    fs.writeSync(fd, b, 0, 1, at);
  } finally {
    fs.closeSync(fd);
  }
}

for (const tc of tailCases) {
  t.test(`unclean restart with ${tc.name}: truncated there, everything before intact`, async t => {
    const { dir, start } = diskBrokers(t);
    let s = await start();
    const topicId = await createTopic(s.c, 'torn', 1, { 'segment.bytes': '1048576' });
    await produceSegments(s.c, 'torn', 300);
    const before = await readContiguous(s.c, 'torn', 0);
    t.same(before.problems, [], 'the log reads back whole before the crash');
    await stop(s);

    const partDir = path.join(dir, 'torn-0');
    const bases = segmentBases(partDir);
    t.ok(bases.length >= 3, `${bases.length} segments`);
    const which = tc.segment ?? bases.length - 1;
    const damagedBase = bases[which]!;
    const damagedFile = segFile(partDir, damagedBase, '.log');
    const positions = batchPositions(damagedFile);
    t.ok(positions.length >= 5, `the damaged segment (${damagedBase}) holds ${positions.length} batches`);
    const earlier = new Map(bases.slice(0, which).map(base => [base, fs.readFileSync(segFile(partDir, base, '.log'))]));
    const originalSize = fs.statSync(damagedFile).size;

    // the crash: damage a segment, drop the clean-shutdown marker (and maybe the recovery points)
    const cutTo = tc.damage(damagedFile, positions);
    const sizeAfterDamage = fs.statSync(damagedFile).size;
    fs.rmSync(path.join(dir, CLEAN_SHUTDOWN));
    if (tc.dropCheckpoint) fs.rmSync(path.join(dir, RECOVERY_POINTS));

    s = await start();
    // the batches wholly before the cut
    const lostFrom = before.batches.findIndex(b => b.baseOffset >= damagedBase) + positions.findIndex(p => p.position === cutTo);
    const kept = before.batches.slice(0, lostFrom);
    const expectedEnd = before.batches[lostFrom]!.baseOffset;
    t.ok(lostFrom < before.batches.length && lostFrom > 0, `batches from #${lostFrom} (offset ${expectedEnd}) on are lost`);

    const after = await readContiguous(s.c, 'torn', 0);
    t.same(after.problems, [], 'the recovered log reads back contiguously');
    t.same(summary(after.batches), summary(kept), `every batch before the damaged one is intact (${kept.length} batches)`);
    t.equal(after.end, expectedEnd, `ListOffsets latest is ${expectedEnd}`);
    t.equal(s.b.broker.cluster.topic('torn')?.partitions[0]?.log.logEndOffset, expectedEnd, 'the log end offset');
    const lo = await listOffset(s.c, 'torn', 0, -1);
    t.same([lo.errorCode, Number(lo.offset)], [0, expectedEnd], 'ListOffsets latest answers the log end offset');
    const fetchedEnd = await fetchOne(s.c, 'torn', 0, expectedEnd);
    t.same([fetchedEnd.errorCode, Number(fetchedEnd.highWatermark), batchesOf(fetchedEnd.records).length], [0, expectedEnd, 0], 'a fetch at the log end: nothing, high watermark there');

    const truncatedBytes = sizeAfterDamage - cutTo;
    const warn = s.logs.find(l => typeof l.truncatedBytes === 'number');
    t.ok(warn, 'a log line reports the truncation');
    t.equal(warn?.level, 40, 'at warn');
    t.equal(warn?.truncatedBytes, truncatedBytes, `truncatedBytes is ${truncatedBytes}`);
    t.match(warn?.msg, new RegExp(`\\b${truncatedBytes}\\b`), 'the message names the truncated byte count');
    t.match(String(warn?.reason), tc.reason, 'and the reason');
    t.equal(warn?.segment, damagedBase, 'and the segment');
    t.equal(s.logs.filter(l => typeof l.truncatedBytes === 'number').length, 1, 'only one segment truncated');
    t.same(s.logs.filter(l => l.level >= 50), [], 'nothing at error level');
    t.equal(fs.statSync(damagedFile).size, cutTo, `the .log file is cut to ${cutTo} bytes (was ${originalSize})`);
    t.same(segmentBases(partDir), bases.slice(0, which + 1), which === bases.length - 1 ? 'no segment deleted' : 'the segments after the truncated one are deleted');
    const deletedWarnings = s.logs.filter(l => l.msg === 'deleted a segment that followed a truncated one').map(l => l.segment);
    t.same(deletedWarnings, bases.slice(which + 1), 'with a warning for each');
    for (const base of bases.slice(which + 1)) {
      t.same(['.log', '.index', '.timeindex'].filter(x => fs.existsSync(segFile(partDir, base, x))), [], `segment ${base}: no file left`);
    }
    for (const [base, bytes] of earlier) t.ok(fs.readFileSync(segFile(partDir, base, '.log')).equals(bytes), `segment ${base} unchanged`);

    // the log goes on from there, the topic as it was
    const md = await metadata(s.c, ['torn']);
    t.same([md.topics[0].errorCode, md.topics[0].topicId], [0, topicId], 'the topic keeps its id');
    const p = await produce(s.c, 'torn', 0, batch(['after the crash']));
    t.same([p.errorCode, Number(p.baseOffset)], [0, expectedEnd], 'a new produce lands at the new log end');
    const f = await fetchOne(s.c, 'torn', 0, expectedEnd);
    t.same(batchesOf(f.records).flatMap(b => b.records.map(r => [r.offset, r.value?.toString()])), [[expectedEnd, 'after the crash']], 'and fetches back');

    // and a clean restart after the recovery holds the same
    const recovered = await readContiguous(s.c, 'torn', 0);
    await stop(s);
    s = await start();
    const again = await readContiguous(s.c, 'torn', 0);
    t.same(summary(again.batches), summary(recovered.batches), 'a clean restart after recovery reads the same log');
    t.equal(s.logs.find(l => l.msg === 'opening the data directory')?.cleanShutdown, true, 'that restart was clean');
    t.notOk(s.logs.some(l => typeof l.truncatedBytes === 'number'), 'and truncated nothing');
  });
}

/** Kafka's answer to ListOffsets by timestamp over the fetched log: the first batch whose max timestamp reaches it, its first record that does. */
function expectedByTimestamp(batches: DecodedBatch[], ts: number): [number, number] {
  for (const b of batches) {
    if (b.maxTimestamp < ts) continue;
    const r = b.records.find(x => x.timestamp >= ts);
    if (r) return [r.offset, r.timestamp];
  }
  return [-1, -1];
}

/** ListOffsets (v8) for each timestamp and Fetch from each offset, as comparable values. */
async function answers(c: TestClient, topic: string, targets: Iterable<number>, offsets: Iterable<number>): Promise<{ lookups: [number, number[]][]; fetches: [number, unknown][] }> {
  const lookups: [number, number[]][] = [];
  for (const target of targets) {
    const r = await listOffset(c, topic, 0, target, { version: 8 });
    lookups.push([target, [r.errorCode, Number(r.offset), Number(r.timestamp), r.leaderEpoch]]);
  }
  const fetches: [number, unknown][] = [];
  for (const o of offsets) {
    const f = await fetchOne(c, topic, 0, o, { partitionMaxBytes: 64 * 1024 });
    fetches.push([o, [f.errorCode, Number(f.highWatermark), Number(f.logStartOffset), f.records === null ? null : Buffer.from(f.records).toString('base64')]]);
  }
  return { lookups, fetches };
}

t.test('index files deleted after a clean shutdown: rebuilt, and every lookup answers as before', async t => {
  const { dir, start } = diskBrokers(t);
  let s = await start();
  await createTopic(s.c, 'idx', 1, { 'segment.bytes': '1048576' });
  // distinct timestamps, mostly increasing; every 13th record and every batch i ≡ 5 (mod 17) go back in time
  const T0 = Date.now() - 3_600_000;
  const ts = (n: number, b: number) => (b % 17 === 5 ? T0 + n * 10 - 50_007 : n % 13 === 0 ? T0 + n * 10 - 20_003 : T0 + n * 10);
  await produceSegments(s.c, 'idx', 300, ts);
  const log = await readContiguous(s.c, 'idx', 0);
  t.same(log.problems, [], 'the log reads back whole');
  const records = log.batches.flatMap(b => b.records);
  t.equal(new Set(records.map(r => r.timestamp)).size, records.length, 'timestamps are distinct');
  t.ok(records.some((r, i) => i > 0 && r.timestamp < records[i - 1]!.timestamp), 'and not monotonic');

  // the questions: timestamps at, just below and just above records (some in every segment), before all, after all, special ones
  const targets = new Set<number>([0, T0 - 100_000, Math.max(...records.map(r => r.timestamp)) + 1, -1, -2, -3]);
  records.forEach((r, i) => {
    if (i % 7 === 0 || r.timestamp < T0 + r.offset * 10) for (const d of [-1, 0, 1]) targets.add(r.timestamp + d);
  });
  // fetches from offsets in the middle of segments (and segment boundaries, the first and last offsets)
  const end = log.end;
  const offsets = new Set<number>([0, end - 1]);
  for (let o = 3; o < end; o += 97) offsets.add(o);
  for (const b of log.batches) if (b.baseOffset % 50 < 10) offsets.add(b.baseOffset + 5);

  const ask = (c: TestClient) => answers(c, 'idx', targets, offsets);
  const before = await ask(s.c);

  // the answers before the restart are the right ones
  const wrongLookups = before.lookups
    .filter(([target]) => target >= 0)
    .filter(([target, [code, offset, timestamp]]) => {
      const [eo, et] = expectedByTimestamp(log.batches, target);
      return code !== 0 || offset !== eo || timestamp !== et;
    });
  t.same(wrongLookups.slice(0, 5), [], `ListOffsets by timestamp finds the first record at or after each of ${targets.size - 3} timestamps`);
  const wrongFetches = before.fetches.filter(([o, [code, , , records]]: any) => {
    if (code !== 0 || records === null) return true;
    const first = batchesOf(Buffer.from(records, 'base64'))[0];
    return first === undefined || first.baseOffset > o || first.baseOffset + first.lastOffsetDelta < o;
  });
  t.same(wrongFetches.map(([o]) => o), [], `each of ${offsets.size} fetches starts with the batch holding its offset`);
  await stop(s);

  const partDir = path.join(dir, 'idx-0');
  const bases = segmentBases(partDir);
  t.ok(bases.length >= 3, `${bases.length} segments`);
  const originals = new Map<string, Buffer>();
  for (const base of bases) {
    for (const suffix of ['.index', '.timeindex']) {
      const file = segFile(partDir, base, suffix);
      t.ok(fs.existsSync(file), `${path.basename(file)} written at the clean shutdown`);
      originals.set(file, fs.readFileSync(file));
      fs.rmSync(file);
    }
  }
  t.ok([...originals.values()].some(b => b.length > 0), 'the indexes had entries');
  t.ok(fs.existsSync(path.join(dir, CLEAN_SHUTDOWN)), 'the shutdown was clean');

  s = await start();
  t.equal(s.logs.filter(l => l.msg === 'rebuilt the index files of a segment').length, bases.length, 'a warning for every segment whose indexes were rebuilt');
  t.same(s.logs.filter(l => l.level >= 50), [], 'nothing at error level');
  t.notOk(s.logs.some(l => typeof l.truncatedBytes === 'number' && (l.truncatedBytes as number) > 0), 'nothing truncated');
  const after = await ask(s.c);
  t.same(after.lookups, before.lookups, `ListOffsets answers exactly as before for ${targets.size} timestamps (with earliest, latest and max timestamp)`);
  t.same(after.fetches, before.fetches, `fetches from ${offsets.size} offsets answer byte for byte as before`);
  await stop(s);

  for (const [file, bytes] of originals) {
    t.ok(fs.existsSync(file), `${path.basename(file)} exists again after the next clean close`);
    t.ok(fs.existsSync(file) && fs.readFileSync(file).equals(bytes), `${path.basename(file)} rebuilt with the same entries`);
  }

  // and the rebuilt files are used as written: a third start answers the same
  s = await start();
  t.notOk(s.logs.some(l => l.msg === 'rebuilt the index files of a segment'), 'the rebuilt indexes are trusted on the next start');
  t.same(await ask(s.c), before, 'and answer the same');
});

t.test('unclean restart amid leftovers of a crash at a roll: an empty newest segment, temp files, torn index files', async t => {
  const { dir, start } = diskBrokers(t);
  let s = await start();
  await createTopic(s.c, 'roll', 1, { 'segment.bytes': '1048576' });
  const T0 = Date.now() - 3_600_000;
  await produceSegments(s.c, 'roll', 300, (n, b) => (b % 9 === 4 ? T0 + n * 10 - 30_007 : T0 + n * 10));
  const log = await readContiguous(s.c, 'roll', 0);
  const records = log.batches.flatMap(b => b.records);
  const targets = [-1, -2, -3, ...records.filter((_, i) => i % 11 === 0).flatMap(r => [r.timestamp - 1, r.timestamp, r.timestamp + 1])];
  const offsets = [0, ...records.filter((_, i) => i % 37 === 3).map(r => r.offset), log.end - 1];
  const before = await answers(s.c, 'roll', targets, offsets);
  await stop(s);

  const partDir = path.join(dir, 'roll-0');
  const bases = segmentBases(partDir);
  t.ok(bases.length >= 3, `${bases.length} segments`);
  const firstIndex = segFile(partDir, bases[0]!, '.index');
  const firstTimeIndex = segFile(partDir, bases[0]!, '.timeindex');
  const indexBytes = fs.readFileSync(firstIndex);
  const timeIndexBytes = fs.readFileSync(firstTimeIndex);
  t.ok(indexBytes.length >= 16 && timeIndexBytes.length >= 24, 'the first segment has index entries');
  // the crash: right after rolling a new segment at the log end, in the middle of rewriting the
  // first segment's indexes and of some atomic writes
  fs.writeFileSync(segFile(partDir, log.end, '.log'), '');
  fs.truncateSync(firstIndex, indexBytes.length - 3);
  fs.truncateSync(firstTimeIndex, timeIndexBytes.length - 5);
  const junk = [path.join(partDir, 'leader-epoch-checkpoint.tmp'), path.join(partDir, 'partition.metadata.tmp'), path.join(partDir, `${segFile('', bases[1]!, '.log')}.deleted`)];
  for (const f of junk) fs.writeFileSync(f, 'half written');
  fs.rmSync(path.join(dir, CLEAN_SHUTDOWN));

  s = await start();
  t.same(s.logs.filter(l => l.level >= 50), [], 'nothing at error level');
  t.same(
    s.logs.filter(l => l.msg === 'rebuilt the index files of a segment').map(l => l.segment),
    [bases[0]],
    'the torn index files of the first segment are noticed and rebuilt',
  );
  t.notOk(s.logs.some(l => typeof l.truncatedBytes === 'number' && (l.truncatedBytes as number) > 0), 'no data truncated');
  t.same(junk.filter(f => fs.existsSync(f)), [], 'the temp and .deleted leftovers are removed');
  const after = await readContiguous(s.c, 'roll', 0);
  t.same(after.problems, [], 'the log reads back contiguously');
  t.same(summary(after.batches), summary(log.batches), 'every batch intact');
  t.equal(after.end, log.end, 'the log end offset is unchanged');
  t.same(await answers(s.c, 'roll', targets, offsets), before, `ListOffsets for ${targets.length} timestamps and fetches from ${offsets.length} offsets answer as before`);
  const p = await produce(s.c, 'roll', 0, batch(['into the empty segment']));
  t.same([p.errorCode, Number(p.baseOffset)], [0, log.end], 'a new produce lands at the log end');
  t.ok(fs.statSync(segFile(partDir, log.end, '.log')).size > 0, 'in the empty segment the crash left');
  await stop(s);
  t.ok(fs.readFileSync(firstIndex).equals(indexBytes), 'the first segment\'s .index is whole again after the clean close');
  t.ok(fs.readFileSync(firstTimeIndex).equals(timeIndexBytes), 'and its .timeindex');
});

t.test('topics, ids, partition counts and configs survive restarts; deleted topics stay deleted', async t => {
  const { dir, start } = diskBrokers(t);
  let s = await start({ 'num.partitions': 2 });
  const clusterId = s.b.clusterId;
  const configs = { 'max.message.bytes': '4000', 'retention.ms': '86400000', 'segment.bytes': '1048576', 'cleanup.policy': 'delete' };
  const created = await s.c.call(19, 7, {
    topics: [
      { name: 'alpha', numPartitions: 3, replicationFactor: -1, assignments: [], configs: Object.entries(configs).map(([name, value]) => ({ name, value })) },
      { name: 'beta', numPartitions: -1, replicationFactor: -1, assignments: [], configs: [] },
      { name: 'doomed', numPartitions: 3, replicationFactor: -1, assignments: [], configs: [{ name: 'retention.ms', value: '1000000' }] },
    ],
    validateOnly: false,
    timeoutMs: 5000,
  });
  t.same(created.topics.map((x: any) => [x.name, x.errorCode]), [['alpha', 0], ['beta', 0], ['doomed', 0]], 'created');
  const alphaConfigs = created.topics[0].configs;
  const doomedId = created.topics[2].topicId;
  // beta grows from 2 to 4 partitions
  const grown = await s.c.call(37, 3, { topics: [{ name: 'beta', count: 4, assignments: null }], timeoutMs: 5000, validateOnly: false });
  t.equal(grown.results[0].errorCode, 0, 'beta grown to 4 partitions');
  for (const [topic, n] of [['alpha', 3], ['beta', 4], ['doomed', 3]] as const) {
    for (let p = 0; p < n; p++) t.equal((await produce(s.c, topic, p, batch([`${topic}-${p}`]))).errorCode, 0, `${topic}-${p} written`);
  }
  const deleted = await s.c.call(20, 6, { topics: [{ name: 'doomed', topicId: ZERO_UUID }], timeoutMs: 5000 });
  t.same(deleted.responses.map((x: any) => [x.name, x.errorCode]), [['doomed', 0]], 'doomed deleted');
  await waitFor(() => [0, 1, 2].every(p => !fs.existsSync(path.join(dir, `doomed-${p}`))), 5000, 'the deleted topic\'s directories to go');
  const mdBefore = await metadata(s.c, null);
  t.same(mdBefore.topics.map((x: any) => [x.name, x.partitions.length]).sort(), [['alpha', 3], ['beta', 4]], 'alpha and beta');
  await stop(s);

  // a partition directory of no topic (a deletion the crash interrupted) is removed on start
  fs.mkdirSync(path.join(dir, 'ghost-0'));
  fs.writeFileSync(path.join(dir, 'ghost-0', '00000000000000000000.log'), '');

  for (const round of [1, 2]) {
    s = await start({ 'num.partitions': 2 });
    t.equal(s.b.clusterId, clusterId, `restart ${round}: the cluster id is kept`);
    const md = await metadata(s.c, null);
    const norm = (m: any) => m.topics.map((x: any) => [x.name, x.topicId, x.isInternal, x.partitions.map((p: any) => [p.partitionIndex, p.errorCode, p.leaderId, p.leaderEpoch, p.replicaNodes, p.isrNodes])]).sort();
    t.same(norm(md), norm(mdBefore), `restart ${round}: Metadata lists the same topics, ids and partitions`);
    t.same(md.clusterId, clusterId, `restart ${round}: and the cluster id`);

    // configs: as stored, as described, and in effect
    const alpha = s.b.broker.cluster.topic('alpha')!;
    t.same(Object.fromEntries(alpha.configs), configs, `restart ${round}: alpha's own configs`);
    const described = s.b.broker.cluster
      .describeTopicConfigs(alpha.configs)
      .map(x => [x.name, x.value])
      .sort();
    t.same(described, alphaConfigs.map((x: any) => [x.name, x.value]).sort(), `restart ${round}: described as CreateTopics answered at creation`);
    t.same(Object.fromEntries(s.b.broker.cluster.topic('beta')!.configs), {}, `restart ${round}: beta has none of its own`);
    const big = batch(['z'.repeat(5000)]);
    t.equal((await produce(s.c, 'alpha', 0, big)).errorCode, ErrorCode.MESSAGE_TOO_LARGE, `restart ${round}: alpha's max.message.bytes still refuses a 5 KB batch`);
    t.equal((await produce(s.c, 'beta', 0, big)).errorCode, 0, `restart ${round}: beta takes it`);
    const again = await s.c.call(19, 7, { topics: [{ name: 'alpha', numPartitions: 1, replicationFactor: -1, assignments: [], configs: [] }], validateOnly: true, timeoutMs: 5000 });
    t.equal(again.topics[0].errorCode, ErrorCode.TOPIC_ALREADY_EXISTS, `restart ${round}: CreateTopics says alpha exists`);

    // data in every partition, including the ones CreatePartitions added
    for (const [topic, n] of [['alpha', 3], ['beta', 4]] as const) {
      for (let p = 0; p < n; p++) {
        const f = await fetchOne(s.c, topic, p, 0);
        t.equal(batchesOf(f.records)[0]?.records[0]?.value?.toString(), `${topic}-${p}`, `restart ${round}: ${topic}-${p} holds its record`);
      }
    }

    // the deleted topic: unknown, its directories gone, its name free
    const gone = await metadata(s.c, ['doomed']);
    t.equal(gone.topics[0].errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `restart ${round}: doomed is unknown`);
    t.equal((await produce(s.c, 'doomed', 0, batch(['x']))).errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `restart ${round}: and not writable`);
    t.same(
      fs.readdirSync(dir).filter(f => f.startsWith('doomed-')),
      [],
      `restart ${round}: no doomed-* directory`,
    );
    await waitFor(() => !fs.existsSync(path.join(dir, 'ghost-0')), 5000, 'the stray directory to go');
    t.pass(`restart ${round}: a directory no topic owns is removed`);
    const free = await s.c.call(19, 7, { topics: [{ name: 'doomed', numPartitions: 1, replicationFactor: -1, assignments: [], configs: [] }], validateOnly: true, timeoutMs: 5000 });
    t.equal(free.topics[0].errorCode, 0, `restart ${round}: the name doomed can be created again`);
    t.same(s.logs.filter(l => l.level >= 50), [], `restart ${round}: nothing at error level`);
    await stop(s);
  }

  // re-created under the same name: a new id and empty partitions, also after a restart
  s = await start({ 'num.partitions': 2 });
  const newId = await createTopic(s.c, 'doomed', 2);
  t.not(newId, doomedId, 'a re-created topic gets a new id');
  await stop(s);
  s = await start({ 'num.partitions': 2 });
  const md = await metadata(s.c, ['doomed']);
  t.same([md.topics[0].errorCode, md.topics[0].topicId, md.topics[0].partitions.length], [0, newId, 2], 'the re-created topic survives a restart');
  t.same([await latest(s.c, 'doomed', 0), await latest(s.c, 'doomed', 1)], [0, 0], 'with nothing of the old one in it');
  t.same(s.logs.filter(l => l.level >= 50), [], 'nothing at error level');
});
