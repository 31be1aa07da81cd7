// Storage faults in disk mode: "disk full or an I/O error on append fails that produce with
// KAFKA_STORAGE_ERROR (56) and loses nothing already acknowledged; the broker keeps running."
// First a real full disk: the data directory lives on a small tmpfs, acks=all produces run until
// the kernel answers ENOSPC (once in the middle of a segment, once at a segment roll). Then EIO,
// injected in-process into the positioned write of one partition's .log file (after half of the
// batch reached the file) and into the fdatasync of a flush.messages=1 topic. Every time the
// acknowledged records must read back once and in order, nothing unacknowledged may sit between
// them, the broker must keep answering, and a restart (full recovery included) must find the same.
// Also on a full disk: DeleteTopics still deletes (its removal frees the space the metadata save
// needs), and a shutdown that cannot write its checkpoints still resolves, closes its files and
// leaves the next start to recover; so does one after a partition could not be opened (EIO).
/* eslint-disable @typescript-eslint/no-explicit-any -- responses decoded from the specs at run time */
import t, { type Test } from 'tap';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { METADATA_FILE } from '../../src/cluster/metadata-store.js';
import { startBroker, type RunningBroker } from '../../src/index.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import type { RecordInput } from '../../src/protocol/records.js';
import { TestClient } from '../helpers/client.js';
import { waitFor } from '../helpers/broker.js';
import { batch, createTopic, fetchOne, latest, metadata, readContiguous, topicNames, ZERO_UUID } from '../helpers/kafka.js';
import type { LogLine } from '../helpers/samsa-process.js';

const MiB = 1024 * 1024;
const CLEAN_SHUTDOWN = '.kafka_cleanshutdown';
const RECOVERY_POINTS = 'recovery-point-offset-checkpoint';
const APPEND_FAILED = 'append to the log failed';

interface Teardown {
  teardown(fn: () => unknown): void;
}

// ---------------------------------------------------------------------------------------------
// tmpfs

function run(cmd: string, args: string[]): { ok: boolean; out: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return { ok: r.status === 0, out: `${r.stderr ?? ''}${r.stdout ?? ''}${r.error ? String(r.error) : ''}`.trim() };
}

/** Why a tmpfs cannot be mounted here (then the full-disk tests skip), or false when it can. */
function tmpfsUnavailable(): string | false {
  if (process.platform !== 'linux') return 'a full disk is made with a tmpfs mount, which needs Linux';
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'samsa-tmpfs-probe-'));
  try {
    const m = run('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', dir]);
    if (!m.ok) return `mount -t tmpfs was refused (needs root or CAP_SYS_ADMIN): ${m.out}`;
    run('umount', [dir]);
    return false;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const NO_TMPFS = tmpfsUnavailable();

/** A fresh directory; with `tmpfsBytes`, a tmpfs of that size is mounted on it. Removed (unmounted) when the test ends, after `before`. */
function scratchDir(t: Teardown, before: () => Promise<void>, tmpfsBytes?: number): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'samsa-disk-fault-'));
  let mounted = false;
  t.teardown(async () => {
    await before();
    // a broker that could not close cleanly may still hold files open there: detach lazily then
    if (mounted && !run('umount', [dir]).ok) run('umount', ['-l', dir]);
    fs.rmSync(dir, { recursive: true, force: true });
  });
  if (tmpfsBytes !== undefined) {
    const m = run('mount', ['-t', 'tmpfs', '-o', `size=${tmpfsBytes}`, 'tmpfs', dir]);
    if (!m.ok) throw new Error(`mount -t tmpfs on ${dir}: ${m.out}`);
    mounted = true;
  }
  return dir;
}

/** Writes to `file` until the file system is full (ENOSPC); returns the bytes written. */
function fillUp(file: string): number {
  const fd = fs.openSync(file, 'a');
  const chunk = Buffer.alloc(64 * 1024, 0x7a);
  let total = 0;
  try {
    for (;;) {
      try {
        total += fs.writeSync(fd, chunk);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOSPC') return total;
        throw err;
      }
    }
  } finally {
    fs.closeSync(fd);
  }
}

// ---------------------------------------------------------------------------------------------
// Brokers on one data directory

interface Started {
  b: RunningBroker;
  c: TestClient;
  logs: LogLine[];
}

/** (Re)starts in-process brokers on `dataDir`; teardown closes whatever still runs. */
function brokers(): { start: (dataDir: string, config?: Record<string, string | number>) => Promise<Started>; closeAll: () => Promise<void> } {
  const running: Started[] = [];
  return {
    async start(dataDir, config = {}) {
      const logs: LogLine[] = [];
      const logger = pino({ level: 'info' }, { write: (line: string) => void logs.push(JSON.parse(line)) });
      const b = await startBroker({ port: 0, host: '127.0.0.1', dataDir, logger, config });
      const c = await TestClient.connect(b.bootstrap);
      const s = { b, c, logs };
      running.push(s);
      return s;
    },
    async closeAll() {
      for (const s of running.splice(0)) {
        s.c.close();
        await s.b.close().catch(() => {});
      }
    },
  };
}

async function stop(s: Started): Promise<void> {
  s.c.close();
  await s.b.close();
}

const errorLines = (s: Started) => s.logs.filter(l => l.level >= 50);
/** A log line's message and its error's, with where that was thrown. */
const describe = (l: LogLine) => {
  const err = l.err as { message?: string; stack?: string } | undefined;
  const at = err?.stack?.split('\n').find(line => line.includes('/src/'))?.trim();
  return err === undefined ? l.msg : `${l.msg}: ${err.message} ${at ?? ''}`.trim();
};
const truncations = (s: Started) => s.logs.filter(l => typeof l.truncatedBytes === 'number' && (l.truncatedBytes as number) > 0);

/** The broker answers: ApiVersions, and Metadata showing the topics with no error. */
async function stillServing(t: Test, c: TestClient, topics: string[], what: string): Promise<void> {
  const av = await c.call(18, 3, { clientSoftwareName: 'samsa-test', clientSoftwareVersion: '1.0' });
  t.equal(av.errorCode, 0, `${what}: ApiVersions answers`);
  const md = await metadata(c, topics);
  t.same(
    md.topics.map((x: any) => [x.name, x.errorCode, x.partitions.length > 0 && x.partitions.every((p: any) => p.errorCode === 0)]),
    topics.map(name => [name, 0, true]),
    `${what}: Metadata lists ${topics.join(', ')} with every partition online`,
  );
}

// ---------------------------------------------------------------------------------------------
// What was sent and what the log holds

interface Sent {
  values: string[];
  bytes: number;
  acked: boolean;
  baseOffset: number;
}

/** Batches of unique values, padded so that they differ in size. */
class Source {
  seq = 0;
  constructor(
    readonly label: string,
    readonly recordsPerBatch: number,
    readonly minPad: number,
    readonly padSpread: number,
  ) {}

  next(): { records: RecordInput[]; buf: Buffer; sent: Sent } {
    const records = Array.from({ length: this.recordsPerBatch }, () => {
      const s = this.seq++;
      const pad = this.minPad + ((s * 7919) % this.padSpread);
      return { value: `${this.label}|${s}|${String.fromCharCode(97 + (s % 26)).repeat(pad)}` };
    });
    const buf = batch(records);
    return { records, buf, sent: { values: records.map(r => r.value as string), bytes: buf.length, acked: false, baseOffset: -1 } };
  }
}

/** A produce (v9, acks=all) of one batch to each of `parts`; returns the partition answers in order. */
async function produceMany(c: TestClient, parts: { topic: string; partition: number; records: Buffer }[]): Promise<any[]> {
  const topics: string[] = [];
  for (const p of parts) if (!topics.includes(p.topic)) topics.push(p.topic);
  const res = await c.call(0, 9, {
    acks: -1,
    timeoutMs: 5000,
    topicData: topics.map(name => ({
      name,
      topicId: ZERO_UUID,
      partitionData: parts.filter(p => p.topic === name).map(p => ({ index: p.partition, records: p.records })),
    })),
  });
  return parts.map(p => res.responses.find((x: any) => x.name === p.topic).partitionResponses.find((x: any) => x.index === p.partition));
}

async function produceOne(c: TestClient, topic: string, partition: number, records: Buffer): Promise<any> {
  return (await produceMany(c, [{ topic, partition, records }]))[0];
}

/** Marks `sent` acknowledged when the answer says so. */
function record(sent: Sent, answer: any): void {
  if (answer.errorCode === 0) {
    sent.acked = true;
    sent.baseOffset = Number(answer.baseOffset);
  }
}

interface LoggedBatch {
  baseOffset: number;
  lastOffset: number;
  values: string[];
}

/** Every batch of a partition, fetched from offset 0 up to ListOffsets latest, as its values. */
async function readLog(c: TestClient, topic: string, partition: number): Promise<{ batches: LoggedBatch[]; end: number; problems: string[] }> {
  const { batches, end, problems } = await readContiguous(c, topic, partition);
  return { end, problems, batches: batches.map(b => ({ baseOffset: b.baseOffset, lastOffset: b.baseOffset + b.lastOffsetDelta, values: b.records.map(r => r.value?.toString() ?? '<null>') })) };
}

/**
 * Checks a partition's log against what was sent to it, in sending order (one connection, one
 * request at a time): every acknowledged batch at the offset its ack gave, with its values; an
 * unacknowledged batch either absent or whole in its place; nothing else. Returns how many
 * unacknowledged batches are in the log.
 */
async function verifyLog(t: Test, c: TestClient, topic: string, partition: number, sent: Sent[], what: string): Promise<{ unackedPresent: number; log: LoggedBatch[] }> {
  const { batches, end, problems } = await readLog(c, topic, partition);
  t.same(problems, [], `${what}: ${topic}-${partition} reads back contiguously from offset 0 to ${end}`);
  const wrong: string[] = [];
  let i = 0;
  let unackedPresent = 0;
  for (const s of sent) {
    const got = batches[i];
    const same = got !== undefined && JSON.stringify(got.values) === JSON.stringify(s.values);
    if (s.acked) {
      if (got === undefined) wrong.push(`the acked batch at ${s.baseOffset} is missing`);
      else if (!same) wrong.push(`the batch at ${got.baseOffset} (${got.values[0]?.slice(0, 30)}) is not the one acked at ${s.baseOffset} (${s.values[0]?.slice(0, 30)})`);
      else if (got.baseOffset !== s.baseOffset) wrong.push(`the batch acked at ${s.baseOffset} is at ${got.baseOffset}`);
      i++;
    } else if (same) {
      unackedPresent++;
      i++;
    }
    if (wrong.length >= 5) break;
  }
  if (wrong.length === 0 && i < batches.length) wrong.push(`${batches.length - i} batch(es) from offset ${batches[i]!.baseOffset} were never sent`);
  const acked = sent.filter(s => s.acked);
  t.same(wrong, [], `${what}: ${topic}-${partition} holds its ${acked.length} acknowledged batches (${acked.reduce((n, s) => n + s.values.length, 0)} records) once each, in order, at their acked offsets, and nothing else between them`);
  const all = batches.flatMap(b => b.values);
  t.equal(new Set(all).size, all.length, `${what}: no record of ${topic}-${partition} appears twice`);
  return { unackedPresent, log: batches };
}

/** Total size of a partition's .log files. */
function logBytes(partDir: string): number {
  return fs
    .readdirSync(partDir)
    .filter(f => /^\d{20}\.log$/.test(f))
    .reduce((n, f) => n + fs.statSync(path.join(partDir, f)).size, 0);
}

const segmentCount = (partDir: string) => fs.readdirSync(partDir).filter(f => /^\d{20}\.log$/.test(f)).length;

/**
 * Restarts on `dataDir` twice: after the clean shutdown `s` is stopped with, then with the
 * clean-shutdown marker and recovery points removed, so every segment is recovered (each batch's
 * size and CRC checked): both must read every partition exactly as `expected`, truncating nothing.
 */
async function restartTwice(
  t: Test,
  s: Started,
  start: (dataDir: string) => Promise<Started>,
  dataDir: string,
  expected: Map<string, LoggedBatch[]>,
): Promise<Started> {
  await stop(s);
  t.ok(fs.existsSync(path.join(dataDir, CLEAN_SHUTDOWN)), 'the broker shut down cleanly');
  for (const mode of ['clean restart', 'restart recovering every segment']) {
    if (mode !== 'clean restart') {
      await stop(s);
      fs.rmSync(path.join(dataDir, CLEAN_SHUTDOWN));
      fs.rmSync(path.join(dataDir, RECOVERY_POINTS), { force: true });
    }
    s = await start(dataDir);
    const opening = s.logs.find(l => l.msg === 'opening the data directory');
    t.equal(opening?.cleanShutdown, mode === 'clean restart', `${mode}: the broker ${mode === 'clean restart' ? 'trusts' : 'recovers'} the segments`);
    t.same(truncations(s), [], `${mode}: recovery truncated nothing`);
    for (const [name, batches] of expected) {
      const dash = name.lastIndexOf('-');
      const got = await readLog(s.c, name.slice(0, dash), Number(name.slice(dash + 1)));
      t.same(got.problems, [], `${mode}: ${name} reads back contiguously`);
      t.same(got.batches, batches, `${mode}: ${name} holds exactly the ${batches.length} batches it held before`);
    }
    t.same(errorLines(s), [], `${mode}: nothing logged at error level`);
  }
  return s;
}

// ---------------------------------------------------------------------------------------------
// A real full disk

t.test('disk full (ENOSPC) in the middle of a segment: KAFKA_STORAGE_ERROR, nothing acknowledged lost, the broker serves on', { skip: NO_TMPFS }, async t => {
  const { start, closeAll } = brokers();
  const mnt = scratchDir(t, closeAll, 4 * MiB);
  const dataDir = path.join(mnt, 'data');
  const filler = path.join(mnt, 'filler');
  let s = await start(dataDir);
  await createTopic(s.c, 'full', 1, { 'segment.bytes': String(MiB) });
  // room to free once the disk is full, as an operator would
  fs.writeFileSync(filler, Buffer.alloc(384 * 1024, 0x66));

  // 4 records of 1-8 KB a batch: the disk fills a few segments in, after some rolls
  const src = new Source('full', 4, 1000, 7000);
  const sent: Sent[] = [];
  let failed: { answer: any; buf: Buffer; sent: Sent } | null = null;
  while (failed === null && sent.length < 2000) {
    const { buf, sent: x } = src.next();
    const answer = await produceOne(s.c, 'full', 0, buf);
    sent.push(x);
    record(x, answer);
    if (answer.errorCode !== 0) failed = { answer, buf, sent: x };
  }
  if (failed === null) throw new Error('2000 produces of ~20 KB fitted on a 4 MiB tmpfs');
  const acked = sent.filter(x => x.acked);
  const ackedEnd = acked.reduce((n, x) => n + x.values.length, 0);
  const ackedBytes = acked.reduce((n, x) => n + x.bytes, 0);
  const partDir = path.join(dataDir, 'full-0');
  t.ok(acked.length === sent.length - 1, `${acked.length} produces acknowledged before the first failure, the one that failed was the last sent`);
  t.ok(segmentCount(partDir) >= 3, `the log rolled on the way (${segmentCount(partDir)} segments)`);

  t.equal(failed.answer.errorCode, ErrorCode.KAFKA_STORAGE_ERROR, `the produce that found the disk full: KAFKA_STORAGE_ERROR (got ${failed.answer.errorCode}: ${failed.answer.errorMessage})`);
  t.match(failed.answer.errorMessage ?? '', /ENOSPC|no space/i, 'its message names the cause');
  t.same([Number(failed.answer.baseOffset), Number(failed.answer.logStartOffset)], [-1, -1], 'with no offsets');
  t.equal(logBytes(partDir), ackedBytes, `the .log files hold exactly the ${ackedBytes} bytes of the acknowledged batches: the partial write was cut off`);
  t.equal(await latest(s.c, 'full', 0), ackedEnd, `the log end offset stays at ${ackedEnd}`);

  // the same batch again (a producer's retry): the cut freed what the partial write took, no more
  const retry = await produceOne(s.c, 'full', 0, failed.buf);
  t.equal(retry.errorCode, ErrorCode.KAFKA_STORAGE_ERROR, 'a retry while the disk is still full fails the same way');
  t.equal(logBytes(partDir), ackedBytes, 'and leaves no bytes behind either');

  await stillServing(t, s.c, ['full'], 'disk full');
  await verifyLog(t, s.c, 'full', 0, sent, 'disk full');
  t.ok(errorLines(s).length > 0, 'the failure is logged at error level');
  t.same(
    errorLines(s).filter(l => l.msg !== APPEND_FAILED).map(describe),
    [],
    `every error line is "${APPEND_FAILED}" (no handler failure)`,
  );
  t.ok(errorLines(s).every(l => l.partition === 'full-0'), 'and names the partition');

  // space freed: the producer's retry of the failed batch goes through, at the log end
  fs.rmSync(filler);
  const again = await produceOne(s.c, 'full', 0, failed.buf);
  t.same([again.errorCode, Number(again.baseOffset)], [0, ackedEnd], `with space freed, the retried batch is acknowledged at offset ${ackedEnd}`);
  // the failed attempts and the retry are one batch, the last sent: acknowledged now, once
  record(failed.sent, again);
  const more = src.next();
  const moreAnswer = await produceOne(s.c, 'full', 0, more.buf);
  sent.push(more.sent);
  record(more.sent, moreAnswer);
  t.equal(moreAnswer.errorCode, 0, 'and so is a new one after it');
  const { unackedPresent, log } = await verifyLog(t, s.c, 'full', 0, sent, 'space freed');
  t.equal(unackedPresent, 0, 'no unacknowledged batch in the log');
  t.equal(logBytes(partDir), sent.filter(x => x.acked).reduce((n, x) => n + x.bytes, 0), 'the .log files hold exactly the acknowledged batches');

  s = await restartTwice(t, s, start, dataDir, new Map([['full-0', log]]));
  const after = await produceOne(s.c, 'full', 0, src.next().buf);
  t.same([after.errorCode, Number(after.baseOffset)], [0, log[log.length - 1]!.lastOffset + 1], 'after the restarts a produce lands at the log end');
});

t.test('disk full (ENOSPC) when a produce rolls a new segment: KAFKA_STORAGE_ERROR, nothing acknowledged lost', { skip: NO_TMPFS }, async t => {
  const { start, closeAll } = brokers();
  const mnt = scratchDir(t, closeAll, 4 * MiB);
  const dataDir = path.join(mnt, 'data');
  const filler = path.join(mnt, 'filler');
  let s = await start(dataDir);
  await createTopic(s.c, 'roller', 1, { 'segment.bytes': String(MiB) });
  const partDir = path.join(dataDir, 'roller-0');

  // batches of ~64 KB (each gets an offset index entry) until the active segment is one batch
  // short of segment.bytes: the next produce rolls
  const src = new Source('roller', 4, 16_000, 1);
  const sent: Sent[] = [];
  let next = src.next();
  let segBytes = 0;
  while (!(segBytes > MiB - next.buf.length)) {
    const answer = await produceOne(s.c, 'roller', 0, next.buf);
    t.equal(answer.errorCode, 0, `batch ${sent.length} acknowledged`);
    record(next.sent, answer);
    sent.push(next.sent);
    segBytes += next.buf.length;
    next = src.next();
  }
  t.equal(segmentCount(partDir), 1, `one segment of ${segBytes} bytes, the next batch of ${next.buf.length} bytes rolls it`);

  // another topic's partition whose .log ends mid-page: a small batch fits in that page's slack
  // even on a full disk (tmpfs allocates whole pages), so it can go in the same request
  await createTopic(s.c, 'side', 1);
  const sideSrc = new Source('side', 1, 900, 1);
  const sideSent: Sent[] = [];
  const sideFirst = sideSrc.next();
  record(sideFirst.sent, await produceOne(s.c, 'side', 0, sideFirst.buf));
  sideSent.push(sideFirst.sent);
  t.ok(sideFirst.sent.acked, 'side-0 holds a batch');
  const sideSmall = new Source('side-small', 1, 10, 1).next();
  const slack = 4096 - (sideFirst.buf.length % 4096);
  t.ok(sideSmall.buf.length <= slack, `side-0's next batch (${sideSmall.buf.length} bytes) fits in the ${slack} bytes left in its last page`);

  const filled = fillUp(filler);
  t.ok(filled > 0, `the tmpfs filled up with ${filled} bytes`);
  const [sideAnswer, failed] = await produceMany(s.c, [
    { topic: 'side', partition: 0, records: sideSmall.buf },
    { topic: 'roller', partition: 0, records: next.buf },
  ]);
  sent.push(next.sent);
  record(next.sent, failed);
  sideSent.push(sideSmall.sent);
  record(sideSmall.sent, sideAnswer);
  t.equal(failed.errorCode, ErrorCode.KAFKA_STORAGE_ERROR, `the produce to roller-0 that rolls on a full disk: KAFKA_STORAGE_ERROR (got ${failed.errorCode}: ${failed.errorMessage})`);
  t.same([sideAnswer.errorCode, Number(sideAnswer.baseOffset)], [0, 1], `side-0, earlier in the same request, is acknowledged at offset 1 (got ${sideAnswer.errorCode}: ${sideAnswer.errorMessage})`);
  const ackedEnd = sent.filter(x => x.acked).reduce((n, x) => n + x.values.length, 0);
  t.equal(await latest(s.c, 'roller', 0), ackedEnd, `roller-0's log end offset stays at ${ackedEnd}`);
  t.equal(logBytes(partDir), segBytes, 'roller-0\'s .log files hold exactly the acknowledged batches');
  await stillServing(t, s.c, ['roller', 'side'], 'disk full at a roll');
  await verifyLog(t, s.c, 'roller', 0, sent, 'disk full at a roll');
  const sideCheck = await verifyLog(t, s.c, 'side', 0, sideSent, 'disk full at a roll');
  if (sideCheck.unackedPresent > 0) t.comment('side-0 holds the batch whose produce was answered with an error: a retry would duplicate it');
  t.same(
    errorLines(s).filter(l => l.msg !== APPEND_FAILED).map(describe),
    [],
    `every error line is "${APPEND_FAILED}" (no handler failure)`,
  );

  // space freed: the producer's retry of the failed batch goes through, at the log end
  fs.rmSync(filler);
  const answer = await produceOne(s.c, 'roller', 0, next.buf);
  record(next.sent, answer);
  t.same([answer.errorCode, Number(answer.baseOffset)], [0, ackedEnd], `with space freed, the retried batch is acknowledged at offset ${ackedEnd}`);
  const { unackedPresent, log } = await verifyLog(t, s.c, 'roller', 0, sent, 'space freed');
  t.equal(unackedPresent, 0, 'no unacknowledged batch in roller-0');
  const sideLog = await verifyLog(t, s.c, 'side', 0, sideSent, 'space freed');
  s = await restartTwice(t, s, start, dataDir, new Map([['roller-0', log], ['side-0', sideLog.log]]));
});

/** Free bytes on the file system holding `dir`. */
const freeBytes = (dir: string) => {
  const st = fs.statfsSync(dir);
  return st.bavail * st.bsize;
};

/** Files under `dir` (recursively) whose names end in `.tmp`: a half-done atomic write. */
const tmpFiles = (dir: string) => (fs.readdirSync(dir, { recursive: true }) as string[]).filter(f => f.endsWith('.tmp'));

t.test('DeleteTopics on a full disk: answered 0, the topic removed (freeing its space) and the metadata saved without it', { skip: NO_TMPFS }, async t => {
  const { start, closeAll } = brokers();
  const mnt = scratchDir(t, closeAll, 4 * MiB);
  const dataDir = path.join(mnt, 'data');
  const filler = path.join(mnt, 'filler');
  const metaFile = path.join(dataDir, METADATA_FILE);
  const listed = () => (JSON.parse(fs.readFileSync(metaFile, 'utf8')).topics as { name: string }[]).map(x => x.name).sort();
  let s = await start(dataDir);
  await createTopic(s.c, 'kept', 1);
  await createTopic(s.c, 'doomed', 2);
  const keptSrc = new Source('kept', 3, 200, 2000);
  const doomedSrc = new Source('doomed', 4, 4000, 4000);
  const keptSent: Sent[] = [];
  for (let i = 0; i < 8; i++) {
    const k = keptSrc.next();
    const [keptAnswer, ...doomedAnswers] = await produceMany(s.c, [
      { topic: 'kept', partition: 0, records: k.buf },
      { topic: 'doomed', partition: 0, records: doomedSrc.next().buf },
      { topic: 'doomed', partition: 1, records: doomedSrc.next().buf },
    ]);
    keptSent.push(k.sent);
    record(k.sent, keptAnswer);
    t.same([keptAnswer.errorCode, ...doomedAnswers.map(a => a.errorCode)], [0, 0, 0], `round ${i}: kept-0, doomed-0 and doomed-1 acknowledged`);
  }
  t.same(listed(), ['doomed', 'kept'], `${METADATA_FILE} lists both topics`);
  const doomedBytes = logBytes(path.join(dataDir, 'doomed-0')) + logBytes(path.join(dataDir, 'doomed-1'));

  const filled = fillUp(filler);
  t.ok(filled > 0, `the tmpfs filled up with ${filled} bytes`);
  // not even one page is left for a new file: the save of the metadata that DeleteTopics tries
  // first (a new samsa-metadata.json.tmp) cannot succeed before the topic's files are gone
  const probe = path.join(mnt, 'probe');
  t.throws(() => fs.writeFileSync(probe, 'x'), { code: 'ENOSPC' }, 'a new file of one byte does not fit');
  fs.rmSync(probe, { force: true });
  const freeBefore = freeBytes(mnt);

  const res = await s.c.call(20, 6, { topics: [{ name: 'doomed', topicId: ZERO_UUID }], timeoutMs: 5000 });
  t.same(
    res.responses.map((r: any) => [r.name, r.errorCode, r.errorMessage]),
    [['doomed', 0, null]],
    `DeleteTopics of doomed on the full disk answers error 0 (got ${JSON.stringify(res.responses)})`,
  );
  await waitFor(() => !fs.readdirSync(dataDir).some(d => d.startsWith('doomed-')), 5000, 'the removal of doomed\'s partition directories');
  t.pass('doomed-0 and doomed-1 are removed, renamed directories included');
  t.ok(freeBytes(mnt) - freeBefore >= doomedBytes, `the ${doomedBytes} bytes of doomed's logs are free again (${freeBytes(mnt) - freeBefore} bytes freed)`);
  t.same(listed(), ['kept'], `${METADATA_FILE} no longer lists doomed`);
  t.same(tmpFiles(dataDir), [], `no ${METADATA_FILE}.tmp (nor any other .tmp file) is left behind`);
  t.same(await topicNames(s.c), ['kept'], 'Metadata lists kept only');
  t.same(errorLines(s).map(describe), [], 'nothing logged at error level');
  await stillServing(t, s.c, ['kept'], 'after the delete');
  const { log } = await verifyLog(t, s.c, 'kept', 0, keptSent, 'after the delete');

  // the filler stays: what the delete freed is room enough for a clean shutdown and restarts
  s = await restartTwice(t, s, start, dataDir, new Map([['kept-0', log]]));
  t.same(await topicNames(s.c), ['kept'], 'after the restarts doomed did not come back');
  t.same(listed(), ['kept'], `and ${METADATA_FILE} still lists kept only`);
  t.notOk(fs.readdirSync(dataDir).some(d => d.startsWith('doomed-')), 'nor did its directories');
  const after = keptSrc.next();
  const afterAnswer = await produceOne(s.c, 'kept', 0, after.buf);
  t.same([afterAnswer.errorCode, Number(afterAnswer.baseOffset)], [0, log[log.length - 1]!.lastOffset + 1], 'kept-0 takes a produce at its log end');
});

t.test('DeleteTopics on a full disk when the topic frees less than the new metadata file needs: the answer, Metadata and a restart agree', { skip: NO_TMPFS }, async t => {
  const { start, closeAll } = brokers();
  const mnt = scratchDir(t, closeAll, 4 * MiB);
  const dataDir = path.join(mnt, 'data');
  const filler = path.join(mnt, 'filler');
  const metaFile = path.join(dataDir, METADATA_FILE);
  let s = await start(dataDir);
  // many topics make samsa-metadata.json several pages long; the empty topic deleted frees one
  // page (its partition.metadata), so the save after its removal cannot fit either
  const names = Array.from({ length: 60 }, (_, i) => `a-topic-with-a-rather-long-name-${String(i).padStart(2, '0')}`);
  for (const name of names) await createTopic(s.c, name, 1, { 'retention.ms': '123456789' });
  const doomed = names[7]!;
  t.ok(fs.statSync(metaFile).size > 2 * 4096, `${METADATA_FILE} takes ${fs.statSync(metaFile).size} bytes: three pages or more to write, where the delete frees one`);
  t.ok(fillUp(filler) > 0, 'the tmpfs filled up');

  const res = await s.c.call(20, 6, { topics: [{ name: doomed, topicId: ZERO_UUID }], timeoutMs: 5000 });
  const answer = res.responses.map((r: any) => [r.name, r.errorCode]);
  t.same(answer.map(([name]: [string]) => name), [doomed], 'DeleteTopics answers for the topic');
  const deleted = answer[0][1] === 0;
  const listed = (await topicNames(s.c)).includes(doomed);
  // Kafka either deletes the topic (answers 0; it is gone for good) or does not (answers an
  // error; the topic stays, with its partition): never half of each
  t.equal(listed, !deleted, `the answer (error ${answer[0][1]}) agrees with Metadata (${listed ? 'lists' : 'does not list'} the topic)`);
  t.same(tmpFiles(dataDir), [], 'no .tmp file is left behind');

  fs.rmSync(filler);
  await stop(s);
  s = await start(dataDir);
  t.equal((await topicNames(s.c)).includes(doomed), listed, `after a restart Metadata ${listed ? 'still lists' : 'still does not list'} the topic`);
  t.same((await topicNames(s.c)).filter(n => n !== doomed), names.filter(n => n !== doomed), 'and every other topic');
});

t.test('shutdown on a full disk: close resolves, closes its files, does not mark it clean; the next start recovers every acknowledged record', { skip: NO_TMPFS }, async t => {
  const { start, closeAll } = brokers();
  const mnt = scratchDir(t, closeAll, 4 * MiB);
  const dataDir = path.join(mnt, 'data');
  const filler = path.join(mnt, 'filler');
  let s = await start(dataDir);
  await createTopic(s.c, 'shut', 2);
  const parts: [string, number][] = [
    ['shut', 0],
    ['shut', 1],
    ['fresh', 0],
  ];
  const names = parts.map(([topic, p]) => `${topic}-${p}`);
  const sources = new Map(names.map(n => [n, new Source(n, 3, 300, 3000)]));
  const sent = new Map<string, Sent[]>(names.map(n => [n, []]));
  /** One produce request with a new batch for each of `which`; all must be acknowledged. */
  const round = async (which: [string, number][], what: string) => {
    const batches = which.map(([topic, partition]) => ({ topic, partition, ...sources.get(`${topic}-${partition}`)!.next() }));
    const answers = await produceMany(s.c, batches.map(b => ({ topic: b.topic, partition: b.partition, records: b.buf })));
    batches.forEach((b, i) => {
      sent.get(`${b.topic}-${b.partition}`)!.push(b.sent);
      record(b.sent, answers[i]);
    });
    t.same(answers.map(a => a.errorCode), which.map(() => 0), `${what}: ${which.map(([topic, p]) => `${topic}-${p}`).join(', ')} acknowledged`);
  };
  const shut = parts.slice(0, 2);
  for (let i = 0; i < 3; i++) await round(shut, `round ${i}`);
  // a clean restart, so the checkpoint files exist; what is produced next lies past them
  await stop(s);
  s = await start(dataDir);
  for (let i = 3; i < 6; i++) await round(shut, `round ${i}`);
  // a new topic with one small batch: its leader-epoch-checkpoint is written at its first flush,
  // roll or close, so its own close needs a new file too and fails on the full disk
  await createTopic(s.c, 'fresh', 1);
  await round(parts, 'round 6');
  const checkpoints = fs.readdirSync(dataDir).filter(f => f.endsWith('-checkpoint'));
  t.ok(checkpoints.includes(RECOVERY_POINTS), `the checkpoint files exist (${checkpoints.join(', ')})`);
  const before = new Map(checkpoints.map(f => [f, fs.readFileSync(path.join(dataDir, f), 'utf8')]));

  const filled = fillUp(filler);
  t.ok(filled > 0, `the tmpfs filled up with ${filled} bytes`);
  s.c.close();
  await t.resolves(s.b.close(), 'broker.close() resolves on the full disk');

  // the checkpoints are new files (written to <name>.tmp, then renamed): no page is left for
  // them, so the shutdown cannot record its recovery points, and must not claim to be clean
  const failures = errorLines(s).map(describe);
  t.ok(
    failures.some(m => m.startsWith('writing the checkpoints at shutdown failed') && /ENOSPC/.test(m)),
    `the failed checkpoint write is logged at error level, with its cause (${JSON.stringify(failures)})`,
  );
  t.ok(
    errorLines(s).some(l => l.msg === 'closing a log failed' && l.partition === 'fresh-0' && /ENOSPC/.test(describe(l))),
    'so is the failed close of fresh-0, naming the partition',
  );
  t.notOk(fs.existsSync(path.join(dataDir, CLEAN_SHUTDOWN)), 'no clean-shutdown marker: the next start recovers');
  t.same(tmpFiles(dataDir), [], 'no .tmp file is left behind');
  t.same(
    [...before].filter(([f, text]) => fs.readFileSync(path.join(dataDir, f), 'utf8') !== text).map(([f]) => f),
    [],
    'the checkpoint files are the ones written before, whole',
  );
  // fresh-0's close failed before it closed its segments: only the factory's handles close them
  const realData = `${fs.realpathSync(dataDir)}/`;
  const open = fs
    .readdirSync('/proc/self/fd')
    .map(fd => fdPath(Number(fd)))
    .filter(f => f.startsWith(realData));
  t.same(open, [], 'every file descriptor into the data directory is closed');

  fs.rmSync(filler);
  s = await start(dataDir);
  const opening = s.logs.find(l => l.msg === 'opening the data directory');
  t.equal(opening?.cleanShutdown, false, 'the start after it recovers (cleanShutdown false)');
  t.same(truncations(s), [], 'recovery truncated nothing');
  t.same(errorLines(s).map(describe), [], 'nothing logged at error level');
  const expected = new Map<string, LoggedBatch[]>();
  for (const [topic, p] of parts) {
    const name = `${topic}-${p}`;
    const { unackedPresent, log } = await verifyLog(t, s.c, topic, p, sent.get(name)!, 'restarted after the failed shutdown');
    t.equal(unackedPresent, 0, `${name}: nothing unacknowledged`);
    expected.set(name, log);
  }
  s = await restartTwice(t, s, start, dataDir, expected);
  await round(parts, 'after the restarts');
});

// ---------------------------------------------------------------------------------------------
// Injected I/O errors

type FdCallback = (err: NodeJS.ErrnoException | null) => void;
const mutableFs = fs as unknown as {
  writeSync: (...args: unknown[]) => number;
  fdatasync: (fd: number, cb: FdCallback) => void;
  openSync: (...args: unknown[]) => number;
};

/** The file behind a descriptor of this process. */
function fdPath(fd: number): string {
  try {
    return fs.readlinkSync(`/proc/self/fd/${fd}`);
  } catch {
    return '';
  }
}

const eio = (syscall: string): NodeJS.ErrnoException => Object.assign(new Error(`EIO: i/o error, ${syscall}`), { code: 'EIO', errno: -5, syscall });

t.test('EIO on the append write and on the fsync of flush.messages=1: KAFKA_STORAGE_ERROR for that produce only', { skip: process.platform === 'linux' ? false : 'finds the file behind a descriptor in /proc/self/fd' }, async t => {
  const original = { writeSync: mutableFs.writeSync, fdatasync: mutableFs.fdatasync };
  const restore = () => Object.assign(mutableFs, original);
  t.teardown(restore);
  const { start, closeAll } = brokers();
  const dataDir = scratchDir(t, closeAll);
  let s = await start(dataDir);
  await createTopic(s.c, 'eio', 2);
  await createTopic(s.c, 'other', 1);
  await createTopic(s.c, 'synced', 2, { 'flush.messages': '1' });
  const parts = [
    ['eio', 0],
    ['eio', 1],
    ['other', 0],
    ['synced', 0],
    ['synced', 1],
  ] as const;
  const sent = new Map<string, Sent[]>(parts.map(([topic, p]) => [`${topic}-${p}`, []]));
  const sources = new Map<string, Source>(parts.map(([topic, p]) => [`${topic}-${p}`, new Source(`${topic}-${p}`, 3, 100, 3000)]));
  /** One produce request with a new batch for each named partition; records what was sent and acked. */
  const produce = async (names: string[]) => {
    const batches = names.map(name => ({ name, ...sources.get(name)!.next() }));
    const answers = await produceMany(
      s.c,
      batches.map(b => ({ topic: b.name.slice(0, b.name.lastIndexOf('-')), partition: Number(b.name.slice(b.name.lastIndexOf('-') + 1)), records: b.buf })),
    );
    batches.forEach((b, i) => {
      sent.get(b.name)!.push(b.sent);
      record(b.sent, answers[i]);
    });
    return new Map(batches.map((b, i) => [b.name, answers[i]]));
  };
  const end = (name: string) => sent.get(name)!.filter(x => x.acked).reduce((n, x) => n + x.values.length, 0);
  const all = [...sent.keys()];
  for (let i = 0; i < 3; i++) {
    const answers = await produce(all);
    t.same([...answers.values()].map(a => a.errorCode), all.map(() => 0), `round ${i}: every partition acknowledged`);
  }

  // --- EIO from the positioned write of eio-0's .log, after half of the batch reached the file
  const eioDir = `${fs.realpathSync(path.join(dataDir, 'eio-0'))}/`;
  const eio0Bytes = logBytes(eioDir);
  let partialBytes = 0;
  let writeFailures = 0;
  mutableFs.writeSync = (...args: unknown[]) => {
    const fd = args[0] as number;
    const file = fdPath(fd);
    if (file.startsWith(eioDir) && file.endsWith('.log')) {
      const [, buf, offset, length, position] = args as [number, Buffer, number, number, number];
      if (partialBytes === 0 && length > 1) {
        partialBytes = Reflect.apply(original.writeSync, fs, [fd, buf, offset, Math.floor(length / 2), position]) as number;
        return partialBytes;
      }
      writeFailures++;
      throw eio('write');
    }
    return Reflect.apply(original.writeSync, fs, args) as number;
  };
  const endsBefore = new Map(all.map(n => [n, end(n)]));
  const r1 = await produce(['eio-0', 'eio-1', 'other-0']);
  t.ok(partialBytes > 0 && writeFailures === 1, `the write wrote ${partialBytes} bytes, then failed with EIO`);
  t.equal(r1.get('eio-0').errorCode, ErrorCode.KAFKA_STORAGE_ERROR, `eio-0: KAFKA_STORAGE_ERROR (got ${r1.get('eio-0').errorCode}: ${r1.get('eio-0').errorMessage})`);
  t.match(r1.get('eio-0').errorMessage ?? '', /EIO/, 'its message names the cause');
  t.same(
    ['eio-1', 'other-0'].map(n => [n, r1.get(n).errorCode, Number(r1.get(n).baseOffset)]),
    ['eio-1', 'other-0'].map(n => [n, 0, endsBefore.get(n)]),
    'the other partition of the topic and another topic, in the same request, are acknowledged at their log ends',
  );
  t.equal(logBytes(eioDir), eio0Bytes, 'the half-written batch was cut off eio-0\'s .log');
  t.equal(await latest(s.c, 'eio', 0), endsBefore.get('eio-0'), 'eio-0\'s log end offset is unchanged');
  const r2 = await produce(['eio-0']);
  t.equal(r2.get('eio-0').errorCode, ErrorCode.KAFKA_STORAGE_ERROR, 'while the writes keep failing, so do the produces to eio-0');
  t.equal(logBytes(eioDir), eio0Bytes, 'leaving nothing behind');
  await stillServing(t, s.c, ['eio', 'other', 'synced'], 'write EIO');
  await verifyLog(t, s.c, 'eio', 0, sent.get('eio-0')!, 'write EIO');
  t.ok(errorLines(s).some(l => l.msg === APPEND_FAILED && l.partition === 'eio-0'), 'an error line names eio-0');
  restore();
  const r3 = await produce(['eio-0']);
  t.same([r3.get('eio-0').errorCode, Number(r3.get('eio-0').baseOffset)], [0, endsBefore.get('eio-0')], 'writes healed: eio-0 takes a produce again, at its old log end (the partition did not go offline)');
  const eioCheck = await verifyLog(t, s.c, 'eio', 0, sent.get('eio-0')!, 'writes healed');
  t.equal(eioCheck.unackedPresent, 0, 'eio-0 holds none of the failed batches');

  // --- EIO from the fdatasync that acknowledges a produce to synced-0 (flush.messages=1)
  const syncedDir = `${fs.realpathSync(path.join(dataDir, 'synced-0'))}/`;
  let syncFailures = 0;
  mutableFs.fdatasync = (fd: number, cb: FdCallback) => {
    if (fdPath(fd).startsWith(syncedDir)) {
      syncFailures++;
      process.nextTick(() => cb(eio('fdatasync')));
      return;
    }
    original.fdatasync.call(fs, fd, cb);
  };
  const syncedEnds = new Map(all.map(n => [n, end(n)]));
  const r4 = await produce(['synced-0', 'synced-1', 'other-0']);
  t.ok(syncFailures > 0, `the fdatasync of synced-0 failed with EIO (${syncFailures} time(s))`);
  t.equal(r4.get('synced-0').errorCode, ErrorCode.KAFKA_STORAGE_ERROR, `synced-0: KAFKA_STORAGE_ERROR (got ${r4.get('synced-0').errorCode}: ${r4.get('synced-0').errorMessage})`);
  t.same(
    ['synced-1', 'other-0'].map(n => [n, r4.get(n).errorCode, Number(r4.get(n).baseOffset)]),
    ['synced-1', 'other-0'].map(n => [n, 0, syncedEnds.get(n)]),
    'the other partition of the topic (fsynced) and another topic, in the same request, are acknowledged',
  );
  const r5 = await produce(['synced-0']);
  t.equal(r5.get('synced-0').errorCode, ErrorCode.KAFKA_STORAGE_ERROR, 'while fsyncs keep failing, so do the produces to synced-0');
  await stillServing(t, s.c, ['eio', 'other', 'synced'], 'fsync EIO');
  // after a failed fsync the page cache proves nothing (the kernel may have dropped the pages):
  // as Kafka takes a failed log directory offline, the partition goes offline until a restart
  const offlineRead = await fetchOne(s.c, 'synced', 0, 0);
  t.equal(offlineRead.errorCode, ErrorCode.KAFKA_STORAGE_ERROR, 'synced-0 is offline: a fetch gets KAFKA_STORAGE_ERROR');
  restore();
  const r6 = await produce(['synced-0']);
  t.equal(r6.get('synced-0').errorCode, ErrorCode.KAFKA_STORAGE_ERROR, 'with fsyncs healed, synced-0 stays offline until the broker restarts');

  // everything else reads back now as two restarts (the second recovering every segment) find it
  const expected = new Map<string, LoggedBatch[]>();
  for (const [topic, p] of parts) {
    const name = `${topic}-${p}`;
    if (name === 'synced-0') continue;
    const { log } = await verifyLog(t, s.c, topic, p, sent.get(name)!, 'before the restarts');
    expected.set(name, log);
  }
  await stop(s);
  t.notOk(fs.existsSync(path.join(dataDir, CLEAN_SHUTDOWN)), 'with a partition offline the shutdown is not marked clean: the next start recovers');
  s = await start(dataDir);
  const syncedCheck = await verifyLog(t, s.c, 'synced', 0, sent.get('synced-0')!, 'restarted after the failed fsyncs');
  t.comment(`synced-0: ${syncedCheck.unackedPresent} of the batches whose fsync failed were found on disk at the restart (written, never acknowledged)`);
  t.same(
    syncedCheck.log.slice(0, 3).map(b => b.baseOffset),
    sent.get('synced-0')!.slice(0, 3).map(x => x.baseOffset),
    'the batches acknowledged before the failures are where they were',
  );
  expected.set('synced-0', syncedCheck.log);
  s = await restartTwice(t, s, start, dataDir, expected);
  const r7 = await produce(all);
  t.same([...r7.values()].map(a => a.errorCode), all.map(() => 0), 'after the restarts every partition takes produces');
});

t.test('a partition whose log cannot be opened at start (EIO) keeps the shutdown unclean: the next start recovers it', async t => {
  const originalOpen = mutableFs.openSync;
  t.teardown(() => void (mutableFs.openSync = originalOpen));
  const { start, closeAll } = brokers();
  const dataDir = scratchDir(t, closeAll);
  let s = await start(dataDir);
  await createTopic(s.c, 'torn', 1);
  await createTopic(s.c, 'whole', 1);
  const names = ['torn-0', 'whole-0'];
  const sources = new Map(names.map(n => [n, new Source(n, 3, 100, 2000)]));
  const sent = new Map<string, Sent[]>(names.map(n => [n, []]));
  for (let i = 0; i < 3; i++) {
    const batches = names.map(n => sources.get(n)!.next());
    const answers = await produceMany(s.c, batches.map((b, p) => ({ topic: names[p]!.slice(0, -2), partition: 0, records: b.buf })));
    batches.forEach((b, p) => {
      sent.get(names[p]!)!.push(b.sent);
      record(b.sent, answers[p]);
    });
    t.same(answers.map(a => a.errorCode), [0, 0], `round ${i}: torn-0 and whole-0 acknowledged`);
  }
  await stop(s);
  // then a crash in the middle of an append to torn-0, as far as the files show: no clean-shutdown
  // marker, and at the end of torn-0's .log a batch (never acknowledged) whose header reached the
  // disk but whose second half did not (zeros, as a file extended before its pages were written).
  // Its sizes are whole: only recovery, which checks CRCs, can tell it from a good batch
  fs.rmSync(path.join(dataDir, CLEAN_SHUTDOWN));
  const tornEnd = sent.get('torn-0')!.reduce((n, x) => n + x.values.length, 0);
  const torn = sources.get('torn-0')!.next();
  sent.get('torn-0')!.push(torn.sent);
  const tornBytes = Buffer.from(torn.buf);
  tornBytes.writeBigInt64BE(BigInt(tornEnd), 0); // its base offset: the log end
  tornBytes.fill(0, Math.floor(tornBytes.length / 2));
  fs.appendFileSync(path.join(dataDir, 'torn-0', '00000000000000000000.log'), tornBytes);

  // the start after the crash cannot open torn-0's files (EIO): torn-0 stays offline, unrecovered
  const tornDirs = [path.join(dataDir, 'torn-0'), path.join(fs.realpathSync(dataDir), 'torn-0')].map(d => `${d}/`);
  let openFailures = 0;
  mutableFs.openSync = (...args: unknown[]) => {
    if (typeof args[0] === 'string' && tornDirs.some(d => (args[0] as string).startsWith(d))) {
      openFailures++;
      throw eio('open');
    }
    return Reflect.apply(originalOpen, fs, args) as number;
  };
  s = await start(dataDir);
  mutableFs.openSync = originalOpen;
  t.ok(openFailures > 0, `opening torn-0's files failed with EIO (${openFailures} time(s))`);
  t.equal(s.logs.find(l => l.msg === 'opening the data directory')?.cleanShutdown, false, 'the start after the crash recovers');
  t.ok(errorLines(s).some(l => l.msg === 'partition offline: its log could not be opened' && l.partition === 'torn-0'), 'torn-0 is logged offline');
  t.equal((await fetchOne(s.c, 'torn', 0, 0)).errorCode, ErrorCode.KAFKA_STORAGE_ERROR, 'a fetch from torn-0 gets KAFKA_STORAGE_ERROR');
  await verifyLog(t, s.c, 'whole', 0, sent.get('whole-0')!, 'torn-0 offline');

  // torn-0 was never recovered in that run: its shutdown must leave the next start to recover
  // it, as Kafka writes no clean-shutdown file for a log directory that went offline
  await stop(s);
  t.notOk(fs.existsSync(path.join(dataDir, CLEAN_SHUTDOWN)), 'with torn-0 offline the shutdown is not marked clean');
  s = await start(dataDir);
  t.equal(s.logs.find(l => l.msg === 'opening the data directory')?.cleanShutdown, false, 'the next start recovers (cleanShutdown false)');
  t.same(
    truncations(s).map(l => [l.partition, l.truncatedBytes]),
    [['torn-0', tornBytes.length]],
    `recovery cut the ${tornBytes.length} bytes of the half-written batch off torn-0, nothing else`,
  );
  const expected = new Map<string, LoggedBatch[]>();
  for (const name of names) {
    const { unackedPresent, log } = await verifyLog(t, s.c, name.slice(0, -2), 0, sent.get(name)!, 'restarted with the files healed');
    t.equal(unackedPresent, 0, `${name}: nothing unacknowledged`);
    expected.set(name, log);
  }
  s = await restartTwice(t, s, start, dataDir, expected);
});
