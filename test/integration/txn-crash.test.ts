// Transactions across a SIGKILL of bin/samsa (disk mode), driven over the raw protocol. A broker
// killed with transactions open must, once restarted on the same data directory, finish every
// one as Kafka's coordinator would: an open transaction is aborted when it times out or when a new
// InitProducerId of its transactional id fences it; a transaction whose EndTxn was answered (its
// PrepareCommit is in __transaction_state) is committed. Every partition of a transaction ends
// with exactly one marker of its outcome (none lost, none doubled), also when the kill lands
// among a transaction's markers: on reload Samsa writes only the markers that had not landed
// (Kafka's coordinator sends them all again and its partitions append the repeats; Samsa's
// TransactionCoordinator.writeMarkers skips a partition whose marker is there). read_committed sees exactly
// the committed records (decided as a client does, from the aborted transactions the fetch
// lists), the last stable offset reaches the high watermark, the old producer epoch is fenced and
// the transactional id goes on at a newer epoch. Before each restart the data directory is read
// directly, so the test knows (and reports) what the kill left behind: an undecided transaction, a
// PrepareCommit with some of its markers written, or a completed one.
/* eslint-disable @typescript-eslint/no-explicit-any -- responses decoded from the specs at run time */
import t, { type Test } from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { waitFor } from '../helpers/broker.js';
import { READ_COMMITTED, addPartitions, findTxnCoordinator, send, type Producer } from '../helpers/transactions.js';
import { TestClient } from '../helpers/client.js';
import { SamsaProcess, type LogLine } from '../helpers/samsa-process.js';
import { ZERO_UUID, batchesOf, body, createTopic, fetchOne, listOffset, readContiguous } from '../helpers/kafka.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import { CONTROL_BIT, TRANSACTIONAL_BIT, decodeBatches, encodeRecordBatch, type DecodedBatch } from '../../src/protocol/records.js';
import { TRANSACTION_STATE_TOPIC, TXN_STATE_NAMES, decodeTxnKey, decodeTxnValue, type TxnStateId } from '../../src/coordinator/transaction/txn-records.js';

const WAIT_MS = 30_000;
/** The cleanup interval while a test sets transactions up (no timeout abort may interfere), and after a restart. */
const NO_CLEANUP_MS = 3_600_000;
const FAST_CLEANUP_MS = 100;

// ---------------------------------------------------------------------------------------------
// Brokers: bin/samsa on one data directory, restarted after each SIGKILL

interface Node {
  proc: SamsaProcess;
  bootstrap: string;
  c: TestClient;
}

/** Lines at error level, and stdout that is not a log line at all. */
function errorLines(s: SamsaProcess): LogLine[] {
  return [...s.logs.filter(l => l.level >= 50), ...s.text.map(line => ({ level: 60, msg: `not a JSON log line: ${line}` }))];
}

function brokers(t: Test): { dataDir: string; start: (cleanupMs: number, extra?: string[]) => Promise<Node>; kill: (n: Node) => Promise<void> } {
  const started: SamsaProcess[] = [];
  const clients: TestClient[] = [];
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'samsa-txn-crash-'));
  t.teardown(async () => {
    for (const c of clients) c.close();
    for (const s of started) s.kill();
    await Promise.all(started.map(s => s.exit().catch(() => {})));
    fs.rmSync(dataDir, { recursive: true, force: true });
  });
  return {
    dataDir,
    async start(cleanupMs, extra = []) {
      const proc = new SamsaProcess(
        [
          'start',
          '--port',
          '0',
          '--data-dir',
          dataDir,
          '--log-level',
          'info',
          // one partition of __transaction_state: the test reads it directly before each restart
          '--override',
          'transaction.state.log.num.partitions=1',
          '--override',
          `transaction.abort.timed.out.transaction.cleanup.interval.ms=${cleanupMs}`,
          ...extra,
        ],
        undefined,
        WAIT_MS,
      );
      started.push(proc);
      const bootstrap = await proc.started();
      const c = await TestClient.connect(bootstrap);
      clients.push(c);
      return { proc, bootstrap, c };
    },
    async kill(n) {
      if (n.proc.running) process.kill(n.proc.proc.pid!, 'SIGKILL');
      await n.proc.exit(WAIT_MS);
      t.equal(n.proc.signal, 'SIGKILL', 'the broker died of SIGKILL');
      n.c.close();
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Transactions over the raw protocol (as test/broker/transactions.test.ts drives them)

const init = (c: TestClient, transactionalId: string, timeoutMs: number): Promise<any> =>
  c.call(22, 4, { transactionalId, transactionTimeoutMs: timeoutMs, producerId: -1, producerEpoch: -1 });

/** InitProducerId until it answers NONE (CONCURRENT_TRANSACTIONS while it fences an open transaction); returns the answers. */
async function initUntilReady(c: TestClient, transactionalId: string, timeoutMs: number): Promise<{ answers: number[]; producer: Producer }> {
  const found = await findTxnCoordinator(c, transactionalId);
  if (found.coordinators[0].errorCode !== 0) throw new Error(`FindCoordinator ${transactionalId}: ${found.coordinators[0].errorCode}`);
  const answers: number[] = [];
  const r = await waitFor(
    async () => {
      const x = await init(c, transactionalId, timeoutMs);
      answers.push(x.errorCode);
      if (x.errorCode === ErrorCode.NONE) return x;
      if (x.errorCode !== ErrorCode.CONCURRENT_TRANSACTIONS) throw new Error(`InitProducerId ${transactionalId}: error ${x.errorCode}`);
      return null;
    },
    WAIT_MS,
    `InitProducerId of ${transactionalId}`,
  );
  return { answers, producer: { transactionalId, producerId: Number(r.producerId), producerEpoch: r.producerEpoch, seq: new Map() } };
}

async function sendOk(c: TestClient, p: Producer, topic: string, partition: number, values: string[]): Promise<void> {
  const a = await send(c, p, topic, partition, values);
  if (a.errorCode !== 0) throw new Error(`transactional produce to ${topic}-${partition} by ${p.transactionalId}: error ${a.errorCode}`);
}

const endTxnBody = (p: Producer, committed: boolean) => body(26, { transactionalId: p.transactionalId, producerId: p.producerId, producerEpoch: p.producerEpoch, committed });

const endTxn = async (c: TestClient, p: Producer, committed: boolean): Promise<number> => (await c.request(26, 3, endTxnBody(p, committed))).errorCode;

const describe = async (c: TestClient, id: string): Promise<any> => (await c.call(65, 0, { transactionalIds: [id] })).transactionStates[0];

const offsetOf = async (c: TestClient, topic: string, partition: number, isolationLevel: number): Promise<number> => {
  const r = await listOffset(c, topic, partition, -1, { isolationLevel });
  if (r.errorCode !== 0) throw new Error(`ListOffsets ${topic}-${partition}: error ${r.errorCode}`);
  return Number(r.offset);
};

/** [last stable offset (ListOffsets read_committed), high watermark (read_uncommitted)]. */
const lsoAndHw = async (c: TestClient, topic: string, partition: number): Promise<[number, number]> => [
  await offsetOf(c, topic, partition, READ_COMMITTED),
  await offsetOf(c, topic, partition, 0),
];

// ---------------------------------------------------------------------------------------------
// Reading partitions: markers, data, and what read_committed delivers

interface Marker {
  offset: number;
  producerId: number;
  producerEpoch: number;
  commit: boolean;
  coordinatorEpoch: number;
}

/** The commit/abort marker of a control batch, read from its decoded control record (key: version, type; value: version, coordinator epoch). */
function markerOf(b: DecodedBatch): Marker | null {
  if ((b.attributes & CONTROL_BIT) === 0) return null;
  const r = b.records[0];
  if (r === undefined || r.key === null || r.key.length < 4) return null;
  const type = r.key.readInt16BE(2);
  if (type !== 0 && type !== 1) return null;
  return { offset: b.baseOffset, producerId: b.producerId, producerEpoch: b.producerEpoch, commit: type === 1, coordinatorEpoch: r.value !== null && r.value.length >= 6 ? r.value.readInt32BE(2) : -1 };
}

interface PartitionView {
  batches: DecodedBatch[];
  markers: Marker[];
  end: number;
}

/** Every batch of a partition, read_uncommitted, with its markers. */
async function readAll(t: Test, c: TestClient, topic: string, partition: number): Promise<PartitionView> {
  const { batches, end, problems } = await readContiguous(c, topic, partition);
  t.same(problems, [], `${topic}-${partition}: offsets contiguous up to the high watermark ${end}`);
  return { batches, markers: batches.map(markerOf).filter((m): m is Marker => m !== null), end };
}

const markerName = (m: Marker) => `${m.commit ? 'COMMIT' : 'ABORT'}(pid ${m.producerId}, epoch ${m.producerEpoch}) at ${m.offset}`;

/** The values a data batch holds. */
const valuesIn = (b: DecodedBatch) => b.records.map(r => r.value?.toString() ?? '<null>');

/**
 * The values a read_committed consumer delivers, from offset 0 to the last stable offset, decided
 * as Kafka's client does: a transactional batch of a producer named in the response's aborted
 * transactions (from that transaction's first offset on) is dropped until the producer's ABORT
 * marker. Also returns every aborted transaction the fetches listed.
 */
async function readCommitted(c: TestClient, topic: string, partition: number): Promise<{ values: string[]; aborted: { producerId: number; firstOffset: number }[]; lso: number }> {
  const lso = await offsetOf(c, topic, partition, READ_COMMITTED);
  const values: string[] = [];
  const listed = new Map<string, { producerId: number; firstOffset: number }>();
  let offset = 0;
  while (offset < lso) {
    const r = await fetchOne(c, topic, partition, offset, { isolationLevel: READ_COMMITTED });
    if (r.errorCode !== 0) throw new Error(`read_committed fetch of ${topic}-${partition} at ${offset}: error ${r.errorCode}`);
    const got = batchesOf(r.records);
    if (got.length === 0) throw new Error(`read_committed fetch of ${topic}-${partition} at ${offset} returned nothing (LSO ${lso})`);
    const aborted = ((r.abortedTransactions ?? []) as any[]).map(a => ({ producerId: Number(a.producerId), firstOffset: Number(a.firstOffset) })).sort((a, b) => a.firstOffset - b.firstOffset);
    for (const a of aborted) listed.set(`${a.producerId}@${a.firstOffset}`, a);
    const abortedPids = new Set<number>();
    for (const b of got) {
      const last = b.baseOffset + b.lastOffsetDelta;
      if (b.baseOffset >= lso) break;
      while (aborted.length > 0 && aborted[0]!.firstOffset <= last) abortedPids.add(aborted.shift()!.producerId);
      const m = markerOf(b);
      if (m !== null) {
        if (!m.commit) abortedPids.delete(m.producerId);
      } else if ((b.attributes & CONTROL_BIT) === 0 && !((b.attributes & TRANSACTIONAL_BIT) !== 0 && abortedPids.has(b.producerId))) {
        values.push(...valuesIn(b));
      }
      offset = last + 1;
    }
  }
  return { values, aborted: [...listed.values()], lso };
}

/**
 * Checks one transaction's footprint in a partition: its data batches (by producer id and epoch)
 * all lie before exactly one marker of the expected outcome at `markerEpoch`, and no other marker
 * of the producer follows that data. Returns the offset of the transaction's first batch.
 */
function checkOneMarker(t: Test, view: PartitionView, label: string, producerId: number, dataEpoch: number, markerEpoch: number, commit: boolean, after = -1): number {
  const data = view.batches.filter(b => (b.attributes & CONTROL_BIT) === 0 && b.producerId === producerId && b.producerEpoch === dataEpoch && b.baseOffset > after);
  const lastData = data.length > 0 ? data[data.length - 1]!.baseOffset + data[data.length - 1]!.lastOffsetDelta : after;
  // the markers of this producer after the transaction's data, up to its next data batch (a later transaction)
  const nextData = view.batches.find(b => (b.attributes & CONTROL_BIT) === 0 && b.producerId === producerId && b.baseOffset > lastData);
  const markers = view.markers.filter(m => m.producerId === producerId && m.offset > lastData && (nextData === undefined || m.offset < nextData.baseOffset));
  t.same(
    markers.map(m => [m.commit, m.producerEpoch]),
    [[commit, markerEpoch]],
    `${label}: exactly one ${commit ? 'COMMIT' : 'ABORT'} marker (epoch ${markerEpoch}) after its ${data.length} batches; found ${markers.map(markerName).join(', ') || 'none'}`,
  );
  return data[0]?.baseOffset ?? -1;
}

// ---------------------------------------------------------------------------------------------
// The data directory read directly, between the kill and the restart

/** Every batch in a partition directory's segments, in offset order (a torn tail is left out). */
function batchesOnDisk(dataDir: string, topic: string, partition: number): DecodedBatch[] {
  const dir = path.join(dataDir, `${topic}-${partition}`);
  if (!fs.existsSync(dir)) return [];
  const out: DecodedBatch[] = [];
  for (const f of fs.readdirSync(dir).filter(f => f.endsWith('.log')).sort()) {
    try {
      out.push(...decodeBatches(fs.readFileSync(path.join(dir, f))));
    } catch {
      // a torn batch: recovery will truncate it; what came before it was decoded
    }
  }
  return out;
}

/** The last state written for a transactional id in __transaction_state, or null. */
function txnStateOnDisk(dataDir: string, transactionalId: string): { state: string; producerEpoch: number } | null {
  let last: { state: string; producerEpoch: number } | null = null;
  for (const b of batchesOnDisk(dataDir, TRANSACTION_STATE_TOPIC, 0)) {
    if ((b.attributes & CONTROL_BIT) !== 0) continue;
    for (const r of b.records) {
      if (r.key === null) continue;
      try {
        if (decodeTxnKey(r.key) !== transactionalId) continue;
        const v = decodeTxnValue(r.value);
        last = v === null ? null : { state: TXN_STATE_NAMES[v.state as TxnStateId], producerEpoch: v.producerEpoch };
      } catch {
        // another record type
      }
    }
  }
  return last;
}

/** Markers of a producer at an epoch on disk. */
function markersOnDisk(dataDir: string, topic: string, partition: number, producerId: number, producerEpoch: number): Marker[] {
  return batchesOnDisk(dataDir, topic, partition)
    .map(markerOf)
    .filter((m): m is Marker => m !== null && m.producerId === producerId && m.producerEpoch === producerEpoch);
}

// ---------------------------------------------------------------------------------------------

t.test('transactions open at a SIGKILL are aborted after the restart: by their timeout, or by a new InitProducerId that fences them', async t => {
  const { dataDir, start, kill } = brokers(t);
  const TOPIC = 'open-txns';
  const PARTS = [0, 1, 2];
  let n = await start(NO_CLEANUP_MS);
  await createTopic(n.c, TOPIC, PARTS.length);

  // a committed transaction before the open ones: it must stay visible throughout
  const { producer: done } = await initUntilReady(n.c, 'done-txn', 60_000);
  t.same(await addPartitions(n.c, done, { [TOPIC]: PARTS }), Object.fromEntries(PARTS.map(p => [`${TOPIC}-${p}`, 0])), 'done-txn: partitions added');
  for (const p of PARTS) await sendOk(n.c, done, TOPIC, p, [`done-p${p}-0`, `done-p${p}-1`]);
  t.equal(await endTxn(n.c, done, true), ErrorCode.NONE, 'done-txn commits');
  for (const p of PARTS) await waitFor(async () => { const [lso, hw] = await lsoAndHw(n.c, TOPIC, p); return lso === hw; }, WAIT_MS, `the commit markers of done-txn on ${p}`);

  // two transactions left open at the kill: one with a 3 s timeout, one with a long one, their
  // batches interleaved, and a plain (non-transactional) record after them on partition 2
  const TIMEOUT_MS = 3000;
  const { producer: timed } = await initUntilReady(n.c, 'timed-txn', TIMEOUT_MS);
  const { producer: fenced } = await initUntilReady(n.c, 'fenced-txn', 60_000);
  t.same(await addPartitions(n.c, timed, { [TOPIC]: PARTS }), Object.fromEntries(PARTS.map(p => [`${TOPIC}-${p}`, 0])), 'timed-txn: partitions added');
  t.same(await addPartitions(n.c, fenced, { [TOPIC]: [0, 1] }), { [`${TOPIC}-0`]: 0, [`${TOPIC}-1`]: 0 }, 'fenced-txn: partitions added');
  await sendOk(n.c, timed, TOPIC, 0, ['timed-p0-0', 'timed-p0-1']);
  await sendOk(n.c, fenced, TOPIC, 0, ['fenced-p0-0']);
  await sendOk(n.c, timed, TOPIC, 0, ['timed-p0-2']);
  await sendOk(n.c, fenced, TOPIC, 1, ['fenced-p1-0', 'fenced-p1-1']);
  await sendOk(n.c, timed, TOPIC, 1, ['timed-p1-0']);
  await sendOk(n.c, timed, TOPIC, 2, ['timed-p2-0']);
  const plain = await n.c.call(0, 9, {
    acks: -1,
    timeoutMs: 5000,
    topicData: [{ name: TOPIC, topicId: ZERO_UUID, partitionData: [{ index: 2, records: encodeRecordBatch([{ value: 'plain-p2-0' }]) }] }],
  });
  t.equal(plain.responses[0].partitionResponses[0].errorCode, 0, 'a plain record after the open transaction on partition 2');

  t.same(
    [(await describe(n.c, 'timed-txn')).transactionState, (await describe(n.c, 'fenced-txn')).transactionState],
    ['Ongoing', 'Ongoing'],
    'both transactions are open at the kill',
  );
  const before: Record<number, [number, number]> = {};
  for (const p of PARTS) before[p] = await lsoAndHw(n.c, TOPIC, p);
  t.same(
    PARTS.map(p => before[p]![0]),
    [3, 3, 3],
    'the open transactions hold the last stable offset at their first batches (after done-txn\'s 2 records and its marker)',
  );

  await kill(n);
  t.same(
    PARTS.flatMap(p => [...markersOnDisk(dataDir, TOPIC, p, timed.producerId, timed.producerEpoch + 1), ...markersOnDisk(dataDir, TOPIC, p, fenced.producerId, fenced.producerEpoch + 1)]),
    [],
    'no marker of the open transactions on disk at the kill',
  );
  t.same(
    [txnStateOnDisk(dataDir, 'timed-txn')?.state, txnStateOnDisk(dataDir, 'fenced-txn')?.state],
    ['Ongoing', 'Ongoing'],
    '__transaction_state on disk holds both as Ongoing',
  );

  n = await start(FAST_CLEANUP_MS);
  const afterRestart = await describe(n.c, 'fenced-txn');
  t.same([afterRestart.transactionState, Number(afterRestart.producerId), afterRestart.producerEpoch], ['Ongoing', fenced.producerId, fenced.producerEpoch], 'the restart reloads fenced-txn as Ongoing (its timeout is far off)');
  t.same(
    (afterRestart.topics as any[]).map(x => [x.topic, [...x.partitions].sort()]),
    [[TOPIC, [0, 1]]],
    'with its partitions',
  );

  // a new producer with fenced-txn's id: the open transaction is aborted at a bumped epoch first
  const { answers, producer: fresh } = await initUntilReady(n.c, 'fenced-txn', 60_000);
  t.equal(answers[0], ErrorCode.CONCURRENT_TRANSACTIONS, 'the first InitProducerId answers CONCURRENT_TRANSACTIONS while it aborts the open transaction');
  t.same([fresh.producerId, fresh.producerEpoch], [fenced.producerId, fenced.producerEpoch + 2], 'then the same producer id at epoch +2 (one for the fence, one for the new producer)');

  // the timed one is aborted by the coordinator once its 3 s have passed
  const timedDone = await waitFor(
    async () => {
      const d = await describe(n.c, 'timed-txn');
      return d.transactionState === 'CompleteAbort' ? d : null;
    },
    WAIT_MS,
    'the timeout abort of timed-txn',
  );
  t.equal(timedDone.producerEpoch, timed.producerEpoch + 1, 'timed-txn was aborted at a bumped epoch');
  for (const p of PARTS) {
    await waitFor(async () => { const [lso, hw] = await lsoAndHw(n.c, TOPIC, p); return lso === hw; }, WAIT_MS, `LSO = HW on ${TOPIC}-${p}`);
  }

  const checkPartitions = async (label: string) => {
    for (const p of PARTS) {
      const view = await readAll(t, n.c, TOPIC, p);
      const [lso, hw] = await lsoAndHw(n.c, TOPIC, p);
      t.equal(lso, hw, `${label} ${TOPIC}-${p}: last stable offset = high watermark = ${hw}`);
      checkOneMarker(t, view, `${label} ${TOPIC}-${p} done-txn`, done.producerId, done.producerEpoch, done.producerEpoch, true);
      const timedFirst = checkOneMarker(t, view, `${label} ${TOPIC}-${p} timed-txn`, timed.producerId, timed.producerEpoch, timed.producerEpoch + 1, false);
      const expectedAborted = [{ producerId: timed.producerId, firstOffset: timedFirst }];
      if (p !== 2) {
        const fencedFirst = checkOneMarker(t, view, `${label} ${TOPIC}-${p} fenced-txn`, fenced.producerId, fenced.producerEpoch, fenced.producerEpoch + 1, false);
        expectedAborted.push({ producerId: fenced.producerId, firstOffset: fencedFirst });
      } else {
        t.same(view.markers.filter(m => m.producerId === fenced.producerId), [], `${label} ${TOPIC}-2: no marker of fenced-txn, which never added it`);
      }
      t.equal(view.markers.length, p === 2 ? 2 : 3, `${label} ${TOPIC}-${p}: ${view.markers.length} markers in all (${view.markers.map(markerName).join(', ')})`);
      t.equal(hw, before[p]![1] + (p === 2 ? 1 : 2), `${label} ${TOPIC}-${p}: the high watermark moved by the abort markers only`);
      // read_uncommitted: every record, each once, the markers after the data they end
      const all = view.batches.filter(b => (b.attributes & CONTROL_BIT) === 0).flatMap(valuesIn);
      t.equal(new Set(all).size, all.length, `${label} ${TOPIC}-${p}: read_uncommitted holds each record once`);
      t.ok(all.some(v => v.startsWith('timed-')) && (p === 2 || all.some(v => v.startsWith('fenced-'))), `${label} ${TOPIC}-${p}: read_uncommitted still sees the aborted records`);
      // read_committed: the committed and plain records only
      const rc = await readCommitted(n.c, TOPIC, p);
      t.same(rc.values, [`done-p${p}-0`, `done-p${p}-1`, ...(p === 2 ? ['plain-p2-0'] : [])], `${label} ${TOPIC}-${p}: read_committed sees none of the aborted records`);
      t.same(
        rc.aborted.sort((a, b) => a.firstOffset - b.firstOffset),
        expectedAborted.sort((a, b) => a.firstOffset - b.firstOffset),
        `${label} ${TOPIC}-${p}: read_committed is told of exactly the aborted transactions, from their first offsets`,
      );
    }
  };
  await checkPartitions('after the restart:');

  // the old epochs are fenced
  t.equal(await endTxn(n.c, timed, true), ErrorCode.PRODUCER_FENCED, 'the timed-out producer cannot commit');
  t.equal(await endTxn(n.c, fenced, true), ErrorCode.PRODUCER_FENCED, 'the fenced producer cannot commit');
  t.equal((await send(n.c, fenced, TOPIC, 0, ['zombie'])).errorCode, ErrorCode.INVALID_PRODUCER_EPOCH, 'nor write');

  // a second SIGKILL with everything decided: nothing is redone on the next restart
  const hwBeforeSecondKill = await Promise.all(PARTS.map(p => offsetOf(n.c, TOPIC, p, 0)));
  t.same(errorLines(n.proc), [], 'the restarted broker logged nothing at error level');
  await kill(n);
  n = await start(FAST_CLEANUP_MS);
  t.same(
    [(await describe(n.c, 'timed-txn')).transactionState, (await describe(n.c, 'fenced-txn')).transactionState, (await describe(n.c, 'done-txn')).transactionState],
    ['CompleteAbort', 'Empty', 'CompleteCommit'],
    'after a second restart: the states as they were',
  );
  t.same(await Promise.all(PARTS.map(p => offsetOf(n.c, TOPIC, p, 0))), hwBeforeSecondKill, 'no marker written again');
  await checkPartitions('after a second restart:');

  // the fenced id goes on: a new transaction at its new epoch commits
  t.same(await addPartitions(n.c, fresh, { [TOPIC]: [0] }), { [`${TOPIC}-0`]: 0 });
  await sendOk(n.c, fresh, TOPIC, 0, ['fresh-p0-0']);
  t.equal(await endTxn(n.c, fresh, true), ErrorCode.NONE, 'the new producer of fenced-txn commits');
  await waitFor(async () => { const [lso, hw] = await lsoAndHw(n.c, TOPIC, 0); return lso === hw; }, WAIT_MS, 'the commit marker');
  t.same((await readCommitted(n.c, TOPIC, 0)).values, ['done-p0-0', 'done-p0-1', 'fresh-p0-0'], 'and read_committed sees its record');
  t.same(errorLines(n.proc), [], 'the last broker logged nothing at error level');
  t.equal(n.proc.stderr, '', 'nothing on stderr');
});

t.test('SIGKILL around EndTxn(commit): an answered commit completes, an unanswered one commits or aborts whole; no marker lost, none doubled beyond Kafka\'s re-send', async t => {
  const { dataDir, start, kill } = brokers(t);
  const TOPIC = 'commit-crash';
  const PARTITIONS = 16;
  const ID = 'crash-commit-txn';
  const PARTS = Array.from({ length: PARTITIONS }, (_, i) => i);
  // How each round kills: as the EndTxn answer arrives, or with the EndTxn still in flight (a few
  // ms after sending it; -1: in the same tick as the write, most likely before the broker read it).
  // With `fsyncEach` the broker runs with log.flush.interval.messages=1, so every marker waits for
  // its fsync and the kill lands among the markers written after the answer; without it the
  // markers are written at once and the kill finds the transaction complete.
  type Mode = { kind: 'answered'; fsyncEach: boolean } | { kind: 'in-flight'; delayMs: number; fsyncEach: boolean };
  const modes: Mode[] = [
    { kind: 'answered', fsyncEach: false },
    { kind: 'answered', fsyncEach: true },
    { kind: 'in-flight', delayMs: -1, fsyncEach: true },
    { kind: 'answered', fsyncEach: true },
    { kind: 'in-flight', delayMs: 0, fsyncEach: true },
    { kind: 'answered', fsyncEach: false },
    { kind: 'in-flight', delayMs: 2, fsyncEach: true },
    { kind: 'answered', fsyncEach: true },
  ];
  const flags = (m: Mode | undefined) => (m?.fsyncEach ? ['--override', 'log.flush.interval.messages=1'] : []);
  let n = await start(NO_CLEANUP_MS, flags(modes[0]));
  await createTopic(n.c, TOPIC, PARTITIONS);

  /** The values read_committed must deliver per partition: those of the committed rounds. */
  const committed = new Map<number, string[]>(PARTS.map(p => [p, []]));
  /** Per round: where the kill landed. */
  const landed: string[] = [];
  let lastEpoch = -1;
  let pid = -1;
  for (const [round, mode] of modes.entries()) {
    const label = `round ${round} (${mode.kind === 'answered' ? 'killed as the answer arrives' : mode.delayMs < 0 ? 'killed as EndTxn is sent' : `killed ${mode.delayMs} ms after sending EndTxn`}${mode.fsyncEach ? ', fsync per append' : ''})`;
    // the id's previous transaction may still be open (an unanswered EndTxn that never reached
    // the log): the InitProducerId fences it, and the round checks that below
    const { producer: p } = await initUntilReady(n.c, ID, 60_000);
    if (pid === -1) pid = p.producerId;
    t.equal(p.producerId, pid, `${label}: the same producer id`);
    t.ok(p.producerEpoch > lastEpoch, `${label}: a new epoch ${p.producerEpoch} (previous ${lastEpoch})`);
    lastEpoch = p.producerEpoch;
    const added = await addPartitions(n.c, p, { [TOPIC]: PARTS });
    t.same(Object.values(added).filter(x => x !== 0), [], `${label}: all ${PARTITIONS} partitions added`);
    const values = new Map<number, string[]>();
    for (const part of PARTS) {
      const vs = Array.from({ length: 1 + ((round + part) % 3) }, (_, i) => `r${round}-p${part}-${i}`);
      values.set(part, vs);
      await sendOk(n.c, p, TOPIC, part, vs);
    }
    const hwBefore = await Promise.all(PARTS.map(part => offsetOf(n.c, TOPIC, part, 0)));

    let answered = false;
    if (mode.kind === 'answered') {
      const id = n.c.send(26, 3, endTxnBody(p, true));
      const frame = await n.c.nextFrame(WAIT_MS);
      process.kill(n.proc.proc.pid!, 'SIGKILL');
      if (frame === null) throw new Error('the broker closed the connection instead of answering EndTxn');
      const res = TestClient.decode<any>(frame, 26, 3, id);
      t.equal(res.errorCode, ErrorCode.NONE, `${label}: EndTxn(commit) answered NONE before the kill`);
      answered = true;
    } else {
      n.c.send(26, 3, endTxnBody(p, true));
      if (mode.delayMs >= 0) await new Promise(resolve => setTimeout(resolve, mode.delayMs));
      process.kill(n.proc.proc.pid!, 'SIGKILL');
    }
    await kill(n);

    // what the kill left on disk
    const stateOnDisk = txnStateOnDisk(dataDir, ID);
    const markersAtKill = PARTS.map(part => markersOnDisk(dataDir, TOPIC, part, p.producerId, p.producerEpoch).length);
    const written = markersAtKill.filter(x => x > 0).length;
    landed.push(`${label}: ${stateOnDisk?.state} on disk, ${written}/${PARTITIONS} markers written`);
    t.comment(landed[landed.length - 1]!);
    t.ok(markersAtKill.every(x => x <= 1), `${label}: at most one marker per partition on disk at the kill`);
    if (stateOnDisk?.state === 'CompleteCommit') t.ok(markersAtKill.every(x => x === 1), `${label}: CompleteCommit on disk comes after every marker`);
    if (answered) t.ok(stateOnDisk?.state === 'PrepareCommit' || stateOnDisk?.state === 'CompleteCommit', `${label}: the answered commit is decided on disk (${stateOnDisk?.state})`);
    const decided = stateOnDisk?.state === 'PrepareCommit' || stateOnDisk?.state === 'CompleteCommit';

    // the next round's kill happens in this run
    n = await start(FAST_CLEANUP_MS, flags(modes[round + 1]));
    let markerEpoch = p.producerEpoch;
    if (decided) {
      const d = await waitFor(
        async () => {
          const x = await describe(n.c, ID);
          return x.transactionState === 'CompleteCommit' ? x : null;
        },
        WAIT_MS,
        `${label}: the commit completed after the restart`,
      );
      t.same([Number(d.producerId), d.producerEpoch, d.topics], [p.producerId, p.producerEpoch, []], `${label}: DescribeTransactions: CompleteCommit at the transaction's epoch, no partitions`);
    } else {
      // never decided: still open after the restart; the next InitProducerId aborts it at epoch +1
      const d = await describe(n.c, ID);
      t.same([d.transactionState, d.producerEpoch], ['Ongoing', p.producerEpoch], `${label}: the undecided transaction is open after the restart`);
      const { answers, producer: next } = await initUntilReady(n.c, ID, 60_000);
      t.equal(answers[0], ErrorCode.CONCURRENT_TRANSACTIONS, `${label}: InitProducerId fences it first`);
      t.equal(next.producerEpoch, p.producerEpoch + 2, `${label}: then answers at epoch +2`);
      markerEpoch = p.producerEpoch + 1;
      const d2 = await describe(n.c, ID);
      t.same([d2.transactionState, d2.producerEpoch], ['Empty', p.producerEpoch + 2], `${label}: DescribeTransactions: Empty at the new epoch`);
    }
    const commit = decided;
    for (const part of PARTS) {
      await waitFor(async () => { const [lso, hw] = await lsoAndHw(n.c, TOPIC, part); return lso === hw && hw > hwBefore[part]!; }, WAIT_MS, `${label}: the marker on ${TOPIC}-${part}`);
    }
    if (commit) for (const part of PARTS) committed.get(part)!.push(...values.get(part)!);
    const problems: string[] = [];
    const resent: number[] = [];
    for (const part of PARTS) {
      const view = await readAll(t, n.c, TOPIC, part);
      const mine = view.markers.filter(m => m.producerId === p.producerId && m.offset >= hwBefore[part]!);
      // killed in PrepareCommit: a partition whose marker was on disk is not written again; a
      // completed transaction is not touched again
      const landed = stateOnDisk?.state === 'PrepareCommit' ? markersAtKill[part]! : 0;
      const expected = stateOnDisk?.state === 'CompleteCommit' ? markersAtKill[part]! : 1;
      if (landed > 0) resent.push(part);
      if (mine.length !== expected || mine.some(m => m.commit !== commit || m.producerEpoch !== markerEpoch)) {
        problems.push(`${TOPIC}-${part}: ${mine.map(markerName).join(', ') || 'no marker'}, expected ${expected} ${commit ? 'COMMIT' : 'ABORT'} at epoch ${markerEpoch} (on disk at the kill: ${markersAtKill[part]})`);
      }
      const [lso, hw] = await lsoAndHw(n.c, TOPIC, part);
      if (lso !== hw) problems.push(`${TOPIC}-${part}: LSO ${lso} != HW ${hw}`);
      if (hw !== hwBefore[part]! + expected) problems.push(`${TOPIC}-${part}: HW ${hw}, expected ${hwBefore[part]! + expected} (the records and ${expected} marker(s))`);
      const rc = await readCommitted(n.c, TOPIC, part);
      if (JSON.stringify(rc.values) !== JSON.stringify(committed.get(part))) problems.push(`${TOPIC}-${part}: read_committed ${JSON.stringify(rc.values)}, expected ${JSON.stringify(committed.get(part))}`);
      // this round's one batch sits just below hwBefore: listed as aborted exactly when the round aborted
      const listed = rc.aborted.filter(a => a.producerId === p.producerId && a.firstOffset >= hwBefore[part]! - values.get(part)!.length).map(a => a.firstOffset);
      const expectedListed = commit ? [] : [hwBefore[part]! - values.get(part)!.length];
      if (JSON.stringify(listed) !== JSON.stringify(expectedListed)) problems.push(`${TOPIC}-${part}: read_committed lists aborted transactions at ${JSON.stringify(listed)}, expected ${JSON.stringify(expectedListed)}`);
    }
    t.same(
      problems,
      [],
      `${label}: every partition holds exactly one ${commit ? 'COMMIT' : 'ABORT'} marker of the transaction, ` +
        `also those whose marker had landed before a PrepareCommit reload (${resent.join(', ') || 'none'}); LSO = HW; read_committed sees exactly the committed rounds`,
    );
    t.same(errorLines(n.proc), [], `${label}: the restarted broker logged nothing at error level`);
  }

  // the id goes on after the last crash: a transaction commits at a newer epoch
  const { producer: last } = await initUntilReady(n.c, ID, 60_000);
  t.ok(last.producerEpoch > lastEpoch, `after the last crash: epoch ${last.producerEpoch} > ${lastEpoch}`);
  await addPartitions(n.c, last, { [TOPIC]: [0] });
  await sendOk(n.c, last, TOPIC, 0, ['last']);
  t.equal(await endTxn(n.c, last, true), ErrorCode.NONE, 'a last transaction commits');
  await waitFor(async () => (await describe(n.c, ID)).transactionState === 'CompleteCommit', WAIT_MS, 'CompleteCommit');
  await waitFor(async () => { const [lso, hw] = await lsoAndHw(n.c, TOPIC, 0); return lso === hw; }, WAIT_MS, 'the last marker');
  t.same((await readCommitted(n.c, TOPIC, 0)).values, [...committed.get(0)!, 'last'], 'and is read back');
  t.comment(`where the kills landed:\n${landed.join('\n')}`);
  t.same(errorLines(n.proc), [], 'the last broker logged nothing at error level');
});
