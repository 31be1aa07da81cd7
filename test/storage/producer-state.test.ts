// Producer state in the logs (src/storage/producer-state.ts, txn-index.ts): sequence and
// transaction tracking from batch headers, the last stable offset, the aborted-transaction index
// of both engines, producer state snapshots, and their rebuild after a clean or unclean restart.
import t, { type Test } from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { ManualClock } from '../../src/broker/clock.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import { TRANSACTIONAL_BIT, encodeEndTxnMarker, encodeRecordBatch, readBatchHeader, readEndTxnMarker } from '../../src/protocol/records.js';
import { DiskLog, type DiskLogState } from '../../src/storage/disk-log.js';
import { FileHandles } from '../../src/storage/file-handles.js';
import type { LogSettings, PartitionLog } from '../../src/storage/log.js';
import { ProducerStateManager } from '../../src/storage/producer-state.js';
import { logSettings, memoryLog } from '../helpers/log-settings.js';

const T0 = 1_700_000_000_000;
const EXPIRY = { expirationMs: 86_400_000, checkIntervalMs: 600_000 };

/** A data batch of `count` records from producer `pid` (transactional unless told otherwise). */
function data(pid: number, epoch: number, seq: number, count = 1, transactional = true): Buffer {
  return encodeRecordBatch(
    Array.from({ length: count }, (_, i) => ({ key: `k${i}`, value: `v${seq + i}`, timestamp: T0 })),
    { producerId: pid, producerEpoch: epoch, baseSequence: seq, attributes: transactional ? TRANSACTIONAL_BIT : 0 },
  );
}

const marker = (pid: number, epoch: number, commit: boolean, coordinatorEpoch = 0) => encodeEndTxnMarker(pid, epoch, { commit, coordinatorEpoch }, T0);

async function append(log: PartitionLog, b: Buffer): Promise<number> {
  return (await log.append(b, readBatchHeader(b), { leaderEpoch: 0, logAppendTime: null, arrived: null })).baseOffset;
}

interface Disk {
  dir: string;
  open(state?: Partial<DiskLogState>): DiskLog;
  files(): string[];
}

function disk(t: Test, overrides: Partial<LogSettings> = {}): Disk {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'samsa-producer-state-'));
  const dir = path.join(root, 'topic-0');
  const settings = logSettings(overrides);
  const handles = new FileHandles(64);
  const opened: DiskLog[] = [];
  t.teardown(async () => {
    for (const log of opened) await log.close().catch(() => {});
    handles.closeAll();
    fs.rmSync(root, { recursive: true, force: true });
  });
  return {
    dir,
    open(state = {}) {
      const log = DiskLog.open(dir, 'topic-0', { handles, log: pino({ level: 'silent' }), clock: new ManualClock(T0), settings: () => settings }, { recoveryPoint: 0, logStartOffset: 0, clean: true, firstDirtyOffset: 0, ...state });
      opened.push(log);
      return log;
    },
    files: () => fs.readdirSync(dir).sort(),
  };
}

t.test('markers: encoded as Kafka writes them and read back', async t => {
  const m = marker(7, 3, true, 5);
  const h = readBatchHeader(m);
  t.same([h.producerId, h.producerEpoch, h.baseSequence, h.recordCount, h.attributes & 0x30], [7, 3, -1, 1, 0x30], 'a transactional control batch of one record');
  t.same(readEndTxnMarker(m), { commit: true, coordinatorEpoch: 5 });
  t.same(readEndTxnMarker(marker(7, 3, false, 0)), { commit: false, coordinatorEpoch: 0 });
  // key: version 0, type; value: version 0, coordinator epoch (Kafka's EndTransactionMarker)
  t.ok(m.includes(Buffer.from([0, 0, 0, 1])), 'the key is (0, COMMIT)');
  t.ok(m.includes(Buffer.from([0, 0, 0, 0, 0, 5])), 'the value is (0, coordinator epoch 5)');
});

t.test('the state machine: transactions, their checks and the last stable offset', async t => {
  const s = new ProducerStateManager('t-0');
  const h = (b: Buffer) => readBatchHeader(b);
  t.equal(s.firstUnstableOffset(), -1);
  // producer 1 opens a transaction at offset 0, producer 2 at offset 1
  t.same(s.check(h(data(1, 0, 0)), T0, EXPIRY), { kind: 'append' });
  s.apply(h(data(1, 0, 0)), 0, T0, null);
  s.apply(h(data(2, 0, 0, 2)), 1, T0, null);
  s.apply(h(data(1, 0, 1)), 3, T0, null);
  t.equal(s.firstUnstableOffset(), 0, 'the oldest open transaction holds the last stable offset');
  t.equal(s.entry(1)!.currentTxnFirstOffset, 0);
  t.equal(s.entry(2)!.currentTxnFirstOffset, 1);
  // a non-transactional write while a transaction is open (Kafka's InvalidTxnStateException)
  const plain = s.check(h(data(1, 0, 2, 1, false)), T0, EXPIRY);
  t.equal(plain.kind === 'error' && plain.code, ErrorCode.INVALID_TXN_STATE);
  // producer 1 aborts: the index entry's last stable offset is producer 2's open transaction
  t.same(s.apply(h(marker(1, 0, false)), 4, T0, { commit: false, coordinatorEpoch: 0 }), { producerId: 1, firstOffset: 0, lastOffset: 4, lastStableOffset: 1 });
  t.equal(s.firstUnstableOffset(), 1);
  t.equal(s.entry(1)!.currentTxnFirstOffset, -1);
  // producer 2 commits: no index entry
  t.equal(s.apply(h(marker(2, 0, true)), 5, T0, { commit: true, coordinatorEpoch: 0 }), null);
  t.equal(s.firstUnstableOffset(), -1, 'nothing open: the last stable offset is the high watermark');
  // an abort with no other transaction open: stable from just past the marker
  s.apply(h(data(2, 0, 2)), 6, T0, null);
  t.same(s.apply(h(marker(2, 0, false)), 7, T0, { commit: false, coordinatorEpoch: 0 }), { producerId: 2, firstOffset: 6, lastOffset: 7, lastStableOffset: 8 });
  // a marker for a transaction that wrote nothing here leaves no trace
  t.equal(s.apply(h(marker(3, 0, false)), 8, T0, { commit: false, coordinatorEpoch: 2 }), null);
  // coordinator-side checks of markers
  t.equal(s.checkMarker(3, 0, 1)?.code, ErrorCode.TRANSACTION_COORDINATOR_FENCED, 'an older coordinator epoch');
  t.equal(s.checkMarker(3, 0, 2), null);
  s.apply(h(data(4, 5, 0)), 9, T0, null);
  t.equal(s.checkMarker(4, 4, 0)?.code, ErrorCode.INVALID_PRODUCER_EPOCH, 'an older producer epoch');
  t.equal(s.checkMarker(99, 0, 0), null, 'an unknown producer');
  // a bumped epoch (KIP-890 markers carry epoch + 1) starts the producer afresh
  s.apply(h(marker(4, 6, true)), 10, T0, { commit: true, coordinatorEpoch: 0 });
  t.same([s.entry(4)!.epoch, s.entry(4)!.batches.length], [6, 0]);
  t.equal(s.check(h(data(4, 6, 0)), T0, EXPIRY).kind, 'append', 'the new epoch starts at sequence 0');
});

t.test('expiry keeps producers with an open transaction', async t => {
  const s = new ProducerStateManager('t-0');
  const h = (b: Buffer) => readBatchHeader(b);
  s.apply(h(data(1, 0, 0)), 0, T0, null);
  s.apply(h(data(2, 0, 0, 1, false)), 1, T0, null);
  s.check(h(data(9, 0, 0)), T0, EXPIRY); // starts the sweep interval
  s.check(h(data(9, 0, 0)), T0 + EXPIRY.expirationMs + EXPIRY.checkIntervalMs, EXPIRY);
  t.ok(s.entry(1) !== undefined, 'the transactional producer stays while its transaction is open');
  t.equal(s.entry(2), undefined, 'the idle idempotent producer expired');
});

t.test('snapshots round-trip the state; damaged ones are refused without changing it', async t => {
  const s = new ProducerStateManager('t-0');
  const h = (b: Buffer) => readBatchHeader(b);
  s.apply(h(data(1, 2, 0, 3)), 0, T0, null);
  s.apply(h(data(1, 2, 3)), 3, T0 + 1, null);
  s.apply(h(data(5, 0, 0, 1, false)), 4, T0 + 2, null);
  s.apply(h(marker(6, 1, true, 4)), 5, T0 + 3, { commit: true, coordinatorEpoch: 4 });
  const bytes = s.encodeSnapshot();
  const copy = new ProducerStateManager('t-0');
  copy.loadSnapshot(bytes);
  t.same(copy.activeProducers(), s.activeProducers());
  t.equal(copy.firstUnstableOffset(), 0, 'the open transaction comes back with its first offset');
  t.same(copy.check(h(data(1, 2, 3)), T0, EXPIRY), { kind: 'duplicate', firstOffset: 3, lastOffset: 3 }, 'a retry after the reload is still a duplicate');
  const damaged = Buffer.from(bytes);
  damaged[damaged.length - 3] ^= 1;
  t.throws(() => copy.loadSnapshot(damaged), /checksum/);
  t.throws(() => copy.loadSnapshot(Buffer.from('garbage')));
  t.same(copy.activeProducers(), s.activeProducers(), 'a refused snapshot changed nothing');
});

for (const engine of ['memory', 'disk'] as const) {
  t.test(`${engine} log: last stable offset and aborted transactions`, async t => {
    const log: PartitionLog = engine === 'memory' ? memoryLog() : disk(t).open();
    await append(log, data(10, 0, 0, 1, false)); // 0: plain idempotent
    await append(log, data(1, 0, 0, 2)); // 1-2: producer 1 opens
    await append(log, data(2, 0, 0)); // 3: producer 2 opens
    t.equal(log.lastStableOffset, 1, 'held at producer 1\'s first offset');
    t.equal(log.highWatermark, 4);
    await append(log, marker(1, 0, false)); // 4: producer 1 aborts
    t.equal(log.lastStableOffset, 3);
    await append(log, data(1, 0, 2)); // 5: producer 1 opens again
    await append(log, marker(2, 0, true)); // 6: producer 2 commits
    t.equal(log.lastStableOffset, 5);
    await append(log, marker(1, 0, false)); // 7: producer 1 aborts again
    t.equal(log.lastStableOffset, 8, 'all decided: the high watermark');
    t.same(log.abortedTransactions(0, 8), [
      { producerId: 1, firstOffset: 1, lastOffset: 4, lastStableOffset: 3 },
      { producerId: 1, firstOffset: 5, lastOffset: 7, lastStableOffset: 8 },
    ]);
    t.same(log.abortedTransactions(5, 8).map(a => a.firstOffset), [5], 'a fetch past the first abort marker');
    t.same(log.abortedTransactions(0, 1), [], 'a fetch that ends before either transaction');
    t.same(log.abortedTransactions(0, 2).map(a => a.firstOffset), [1]);
  });
}

t.test('disk log: producer state survives a clean restart from its snapshot', async t => {
  const d = disk(t);
  const log = d.open();
  await append(log, data(1, 0, 0, 2));
  await append(log, data(2, 0, 0));
  await append(log, marker(2, 0, false));
  await append(log, data(3, 1, 0, 1, false));
  await log.close();
  t.ok(d.files().includes('00000000000000000005.snapshot'), 'a snapshot at the log end at shutdown');
  t.ok(d.files().includes('00000000000000000000.txnindex'), 'the abort is in the transaction index');
  const again = d.open();
  t.equal(again.lastStableOffset, 0, 'producer 1\'s transaction is still open');
  t.same(again.abortedTransactions(0, 5), [{ producerId: 2, firstOffset: 2, lastOffset: 3, lastStableOffset: 0 }]);
  t.same(again.producers.check(readBatchHeader(data(3, 1, 0, 1, false)), T0, EXPIRY), { kind: 'duplicate', firstOffset: 4, lastOffset: 4 });
  const gap = again.producers.check(readBatchHeader(data(3, 1, 5, 1, false)), T0, EXPIRY);
  t.equal(gap.kind === 'error' && gap.code, ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
  await append(again, marker(1, 0, true));
  t.equal(again.lastStableOffset, 6);
});

t.test('disk log: after a crash producer state and the transaction index are rebuilt from the batches', async t => {
  const d = disk(t, { segmentBytes: 400 });
  const log = d.open();
  const offsets: number[] = [];
  // enough batches to roll several segments (each roll writes a snapshot)
  for (let i = 0; i < 6; i++) {
    offsets.push(await append(log, data(1, 0, i * 2, 2)));
    offsets.push(await append(log, marker(1, 0, i % 2 === 0)));
  }
  offsets.push(await append(log, data(2, 0, 0, 1, false)));
  offsets.push(await append(log, data(4, 0, 0)));
  const expectAborted = log.abortedTransactions(0, Number.MAX_SAFE_INTEGER);
  t.equal(expectAborted.length, 3);
  t.ok(log.segmentCount > 2, `the log rolled (${log.segmentCount} segments)`);
  const stableBefore = log.lastStableOffset;
  // a crash: no shutdown snapshot, no clean marker; the transaction index files of every segment are lost too
  (log as unknown as { closed: boolean }).closed = true;
  for (const f of d.files().filter(f => f.endsWith('.txnindex') || f.endsWith('.snapshot'))) {
    if (f.endsWith('.txnindex') || f > '00000000000000000004.snapshot') fs.rmSync(path.join(d.dir, f));
  }
  const recovered = d.open({ clean: false, recoveryPoint: 0 });
  t.equal(recovered.lastStableOffset, stableBefore, 'producer 4\'s open transaction holds the last stable offset again');
  t.same(recovered.abortedTransactions(0, Number.MAX_SAFE_INTEGER), expectAborted, 'every abort is indexed again');
  t.same(recovered.producers.check(readBatchHeader(data(2, 0, 0, 1, false)), T0, EXPIRY).kind, 'duplicate', 'the idempotent producer\'s last batch is known');
  const retry = recovered.producers.check(readBatchHeader(data(1, 0, 10, 2)), T0, EXPIRY);
  t.same(retry, { kind: 'duplicate', firstOffset: offsets[10], lastOffset: offsets[10]! + 1 });
});

t.test('disk log: snapshots past a recovered log end are dropped; deleted segments take theirs along', async t => {
  const d = disk(t, { segmentBytes: 400 });
  const log = d.open();
  for (let i = 0; i < 6; i++) await append(log, data(1, 0, i * 2, 2));
  const bases = log.segmentBaseOffsets;
  await log.close();
  // a snapshot claiming offsets the log does not hold (the log was cut short in a crash)
  fs.copyFileSync(path.join(d.dir, '00000000000000000012.snapshot'), path.join(d.dir, '00000000000000000050.snapshot'));
  const again = d.open({ clean: false, recoveryPoint: 0 });
  t.notOk(d.files().includes('00000000000000000050.snapshot'));
  t.equal(again.producers.entry(1)!.batches.at(-1)!.lastSeq, 11);
  await again.deleteRecordsBefore(bases[2]!);
  t.same(d.files().filter(f => f.endsWith('.snapshot')).map(f => Number(f.slice(0, 20))).filter(o => o < bases[2]!), [], `no snapshot below the first segment (${bases})`);
  t.equal(again.producers.entry(1)!.batches.length, 5, 'DeleteRecords leaves producer state alone (KIP-360)');
});
