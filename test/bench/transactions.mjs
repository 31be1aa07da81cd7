#!/usr/bin/env node
// `npm run bench`, part 2: idempotent and transactional producers, beside the same run's plain
// produce and the machine's physical limit (../shared/bench/baseline.mjs), because this machine is noisy.
//   produce, plain vs idempotent: 1 KiB records in 16 KiB batches to one partition, acks=-1, PIPELINE
//     requests in flight (at most 5: an idempotent client keeps no more, as Kafka's broker keeps the
//     metadata of a producer's last five batches), both at the same depth. Idempotent batches carry the
//     producer id and epoch of an InitProducerId and consecutive sequences. Each run alternates plain
//     and idempotent in ROUNDS rounds in one process; a run's ratio is the median of its rounds', the
//     figure the median of the runs'. Beside it the same ratio by CPU time per MB (broker and client).
//   transactions: one transactional producer as a client drives it, each step a round trip:
//     AddPartitionsToTxn (one partition), Produce (one small transactional batch), EndTxn (commit).
//     The same with transaction version 2 (KIP-890 part 2), as a Java producer from 4.0 does it:
//     Produce v12 (the broker adds the partition) and EndTxn v5 (the answer's epoch is the next
//     transaction's), two round trips; a Produce answered CONCURRENT_TRANSACTIONS is retried
//     after RETRY_MS too. At these rates a producer id's 32767 epochs last seconds: the producer
//     moves to the new id EndTxn gives it (counted).
//     AddPartitionsToTxn answered CONCURRENT_TRANSACTIONS (the last commit's markers not yet written)
//     is retried after RETRY_MS, as Kafka's producer does (its 20 ms backoff for a transaction's first
//     AddPartitionsToTxn); retries are counted. Beside it, sequential ApiVersions round trips on the
//     same connection (alternated with the transactions in slices): three of those are the floor of
//     one transaction's time.
// Each measurement runs in a fresh process, as the baseline does, after a JIT warm-up of the same
// kind on a separate topic. Memory mode, then disk mode (a temp data dir, flush left to the OS).
// Env: TOTAL_MB (128, per kind and run), ROUNDS (16), RUNS (5), DISK_RUNS (3), PIPELINE (5),
//      TXN_SECONDS (3), TXN_RUNS (3), RETRY_MS (20), BASELINE (path to baseline.mjs), SKIP_DISK, VERBOSE (per-run figures),
//      CHILD_NODE_ARGS (node flags for the measured processes, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof").
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ROOT, BASELINE, dist, spec, lastJson, median, frame, pipeline as pipelineAt, runBaseline as baseline } from './bench-common.mjs';
import { crc32c } from '@node-rs/crc32';

const SELF = fileURLToPath(import.meta.url);
const TOTAL_MB = Number(process.env.TOTAL_MB ?? 128);
const RUNS = Number(process.env.RUNS ?? 5);
const DISK_RUNS = Number(process.env.DISK_RUNS ?? 3);
const PIPELINE = Number(process.env.PIPELINE ?? 5);
const ROUNDS = Number(process.env.ROUNDS ?? 16);
const TXN_SECONDS = Number(process.env.TXN_SECONDS ?? 3);
const TXN_RUNS = Number(process.env.TXN_RUNS ?? 3);
const RETRY_MS = Number(process.env.RETRY_MS ?? 20);
const WARMUP_MB = 32;
const TXN_WARMUP_SECONDS = 1;
const TXN_SLICES = 6;
const RECORD_BYTES = 1024;
const RECORDS_PER_BATCH = 16;
const ACKS = -1;
const ZERO_UUID = 'AAAAAAAAAAAAAAAAAAAAAA';
const TXN_ID = 'bench-txn';
// record batch layout (magic 2): where the CRC, the attributes (where the CRC starts) and the base sequence sit
const CRC_AT = 17;
const ATTRIBUTES_AT = 21;
const BASE_SEQUENCE_AT = 53;
const PRODUCER_EPOCH_AT = 51;
const PRODUCER_ID_AT = 43;
const TRANSACTIONAL_BIT = 0x10;

const { startBroker, encodeRecordBatch, Reader, ErrorCode } = dist;

const value = Buffer.alloc(RECORD_BYTES, 120);
const records = Array.from({ length: RECORDS_PER_BATCH }, (_, i) => ({ key: `key-${i}`, value }));
const plainBatch = encodeRecordBatch(records);

/**
 * A batch whose base sequence is rewritten per request without recomputing its CRC over the whole
 * batch (3.6 µs a 16 KiB batch here, which would weigh on the idempotent run alone): CRC32C is
 * affine, so crc(batch with sequence s) = crc(template) ^ delta(s ^ template's sequence), and delta is
 * linear in its 32 bits — four byte tables built from 32 CRCs of the template's length.
 */
function sequencedBatch(opts) {
  const template = encodeRecordBatch(records, { ...opts, baseSequence: 0 });
  const covered = template.length - ATTRIBUTES_AT;
  const seqAt = BASE_SEQUENCE_AT - ATTRIBUTES_AT;
  const zero = Buffer.alloc(covered);
  const crcZero = crc32c(zero);
  const bit = [];
  for (let b = 0; b < 32; b++) {
    zero.writeUInt32BE((1 << b) >>> 0, seqAt);
    bit.push((crc32c(zero) ^ crcZero) >>> 0);
  }
  // tables[j][v]: the CRC change of byte j (0 = the least significant) of the sequence flipping by v
  const tables = Array.from({ length: 4 }, (_, j) => {
    const t = new Uint32Array(256);
    for (let v = 1; v < 256; v++) for (let k = 0; k < 8; k++) if (v & (1 << k)) t[v] ^= bit[j * 8 + k];
    return t;
  });
  const baseCrc = template.readUInt32BE(CRC_AT);
  return {
    template,
    /** Writes sequence `seq` and its CRC into the batch's copy at `at` in `buf`. */
    patch(buf, at, seq) {
      const d = seq >>> 0; // the template's sequence is 0
      const crc = baseCrc ^ tables[0][d & 0xff] ^ tables[1][(d >>> 8) & 0xff] ^ tables[2][(d >>> 16) & 0xff] ^ tables[3][d >>> 24];
      buf.writeInt32BE(seq, at + BASE_SEQUENCE_AT);
      buf.writeUInt32BE(crc >>> 0, at + CRC_AT);
    },
  };
}

const pipeline = (port, requests, requestAt, onResponse) => pipelineAt(port, requests, requestAt, onResponse, PIPELINE);

/** One connection for request/response round trips, one at a time, as a client's coordinator calls are. */
class Client {
  static connect(port) {
    return new Promise((resolve, reject) => {
      const sock = net.connect(port, '127.0.0.1', () => resolve(new Client(sock)));
      sock.once('error', reject);
    });
  }

  constructor(sock) {
    this.sock = sock;
    this.sock.setNoDelay(true);
    this.correlationId = 0;
    this.pending = Buffer.alloc(0);
    this.waiting = null;
    sock.on('data', chunk => {
      this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
      if (this.pending.length < 4 || this.pending.length - 4 < this.pending.readInt32BE(0)) return;
      const size = this.pending.readInt32BE(0);
      const f = this.pending.subarray(4, 4 + size);
      this.pending = this.pending.subarray(4 + size);
      const w = this.waiting;
      this.waiting = null;
      w(f);
    });
  }

  /** Sends one request; resolves with its decoded response. */
  call(key, version, body) {
    const s = spec(key);
    const id = ++this.correlationId;
    return new Promise(resolve => {
      this.waiting = f => {
        const r = new Reader(f);
        if (r.int32() !== id) throw new Error(`response to ${id} expected`);
        // ApiVersions answers with header v0 at every version (KIP-511)
        if (version >= s.flexibleMin && key !== 18) r.skipTaggedFields();
        resolve(s.decodeResponse(r, version));
      };
      this.sock.write(frame(key, version, id, body));
    });
  }

  close() {
    this.sock.destroy();
  }
}

const sleep = ms => new Promise(r => setTimeout(r, ms));

/** Creates a one-partition topic. */
function createTopic(broker, name) {
  const cluster = broker.broker.cluster;
  const plan = cluster.planTopic({ name, numPartitions: 1, replicationFactor: 1, assignments: null, configs: new Map() });
  cluster.createTopic(name, plan.replicas, plan.configs);
}

const partition0 = (broker, topic) => broker.broker.cluster.topic(topic).partitions[0];

/** Produce requests (one batch each) that `mb` MB take. */
const requestsFor = mb => Math.ceil((mb * 1048576) / plainBatch.length);

/** InitProducerId without a transactional id: an idempotent producer's id and epoch. */
async function initIdempotent(port) {
  const c = await Client.connect(port);
  const r = await c.call(22, 4, { transactionalId: null, transactionTimeoutMs: 60000, producerId: -1, producerEpoch: -1 });
  c.close();
  if (r.errorCode !== 0) throw new Error(`InitProducerId failed with ${r.errorCode}`);
  return { producerId: r.producerId, producerEpoch: r.producerEpoch };
}

/**
 * Produces `mb` MB of batches to partition 0 of `topic`; returns MB/s of batch bytes. With `sequenced`
 * (a producer's sequencedBatch), batches carry consecutive sequences from request `firstRequest`'s on. The request is encoded once;
 * copies in rotation get their sequence (and CRC) patched in.
 */
async function produce(port, topic, mb, sequenced = null, firstRequest = 0) {
  const requests = requestsFor(mb);
  const batch = sequenced === null ? plainBatch : sequenced.template;
  const template = frame(0, 9, 1, {
    transactionalId: null,
    acks: ACKS,
    timeoutMs: 30000,
    topicData: [{ name: topic, topicId: ZERO_UUID, partitionData: [{ index: 0, records: batch }] }],
  });
  const at = template.indexOf(batch);
  // more copies than requests in flight: a copy is reused only after its request was answered
  const copies = Array.from({ length: PIPELINE * 2 }, () => Buffer.from(template));
  const request =
    sequenced === null
      ? i => copies[i % copies.length]
      : i => {
          const f = copies[i % copies.length];
          sequenced.patch(f, at, (firstRequest + i) * RECORDS_PER_BATCH);
          return f;
        };
  // responses are not decoded here (that would weigh on the measured process); the child checks
  // the log and the producer state afterwards instead
  const seconds = await pipeline(port, requests, request, () => {});
  return (requests * batch.length) / 1048576 / seconds;
}

/** Throws unless `topic` holds every record of `times` × `mb` MB of produce requests (and, idempotent, the producer state agrees). */
function checkProduced(broker, topic, mb, producer, times = 1) {
  const p = partition0(broker, topic);
  const expected = requestsFor(mb) * times * RECORDS_PER_BATCH;
  if (p.log.logEndOffset !== expected) throw new Error(`${topic} holds ${p.log.logEndOffset} records, ${expected} were produced`);
  if (producer !== null) {
    const e = p.log.producers.entry(producer.producerId);
    const lastSeq = e?.batches.at(-1)?.lastSeq;
    if (lastSeq !== expected - 1) throw new Error(`producer state of ${topic} ends at sequence ${lastSeq}, expected ${expected - 1}`);
  }
}

function tempDir() {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'samsa-bench-txn-'));
}

/** Starts a broker (on a temp data dir for disk mode); `done` closes it and removes the dir. */
async function broker(disk) {
  const dataDir = disk ? tempDir() : undefined;
  const b = await startBroker({ port: 0, ...(dataDir ? { dataDir } : {}) });
  return {
    b,
    async done() {
      await b.close();
      if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * Plain and idempotent produce in this process, alternated in ROUNDS rounds (each round flips which
 * goes first) after a warm-up of both: both see the same heap and the same moments of this noisy
 * machine, so their ratio is steadier than that of two processes'. MB/s of each over its rounds.
 */
async function pairChild(disk) {
  const { b, done } = await broker(disk);
  const producer = await initIdempotent(b.port);
  const sequenced = sequencedBatch(producer);
  for (const t of ['warmup-plain', 'warmup-idempotent', 'plain', 'idempotent']) createTopic(b, t);
  await produce(b.port, 'warmup-plain', WARMUP_MB / 2, null);
  await produce(b.port, 'warmup-idempotent', WARMUP_MB / 2, sequenced);
  const perRound = TOTAL_MB / ROUNDS;
  // the batch bytes of a round, as produce counts them
  const roundMB = (requestsFor(perRound) * plainBatch.length) / 1048576;
  const seconds = { plain: [], idempotent: [] };
  // CPU seconds of this process (broker and client): less swayed than wall time by other processes
  const cpu = { plain: [], idempotent: [] };
  for (let r = 0; r < ROUNDS; r++) {
    const order = r % 2 === 0 ? ['plain', 'idempotent'] : ['idempotent', 'plain'];
    for (const kind of order) {
      const p = kind === 'plain' ? null : sequenced;
      const c0 = process.cpuUsage();
      // each round goes on where the last left off: the idempotent producer's sequence runs on
      seconds[kind].push(roundMB / (await produce(b.port, kind, perRound, p, r * requestsFor(perRound))));
      const c = process.cpuUsage(c0);
      cpu[kind].push((c.user + c.system) / 1e6);
    }
  }
  checkProduced(b, 'plain', perRound, null, ROUNDS);
  checkProduced(b, 'idempotent', perRound, producer, ROUNDS);
  await done();
  const sum = xs => xs.reduce((a, x) => a + x, 0);
  // the ratios are medians of each round's (the two kinds back to back): a round another process
  // slowed is an outlier there rather than a weight on the whole run
  return {
    plain: (roundMB * ROUNDS) / sum(seconds.plain),
    idempotent: (roundMB * ROUNDS) / sum(seconds.idempotent),
    ratio: median(seconds.plain.map((x, r) => x / seconds.idempotent[r])),
    cpuRatio: median(cpu.plain.map((x, r) => x / cpu.idempotent[r])),
  };
}

/** Retries a coordinator call while it answers a retriable coordinator error (the coordinator loading, or busy). */
async function retrying(call) {
  for (let i = 0; ; i++) {
    const r = await call();
    const code = r.errorCode ?? r.coordinators?.[0]?.errorCode;
    if (![ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, ErrorCode.COORDINATOR_NOT_AVAILABLE, ErrorCode.NOT_COORDINATOR, ErrorCode.CONCURRENT_TRANSACTIONS].includes(code) || i > 200) return r;
    await sleep(RETRY_MS);
  }
}

/** Running totals of transactions on one partition (their producer's sequence there runs on across calls). */
const tally = () => ({ seq: 0, txns: 0, retries: 0, rotations: 0, seconds: 0, add: 0n, produce: 0n, end: 0n });

/**
 * Transaction-version-2 transactions of one small batch each on partition 0 of `topic` for
 * `seconds`, added to `t`; `state` is the producer, whose epoch each commit moves on (its batch
 * then starts at sequence 0 again).
 */
async function transactionsV2(c, state, topic, seconds, t) {
  const small = sequencedBatchSmall(state);
  const t0 = process.hrtime.bigint();
  const until = t0 + BigInt(Math.round(seconds * 1e9));
  for (;;) {
    let at = process.hrtime.bigint();
    if (at >= until) break;
    for (;;) {
      const p = await c.call(0, 12, {
        transactionalId: state.transactionalId,
        acks: ACKS,
        timeoutMs: 30000,
        topicData: [{ name: topic, partitionData: [{ index: 0, records: small(0, state.producerEpoch, state.producerId) }] }],
      });
      const pc = p.responses[0].partitionResponses[0].errorCode;
      if (pc === ErrorCode.NONE) break;
      if (pc !== ErrorCode.CONCURRENT_TRANSACTIONS) throw new Error(`transactional produce (v12) failed with ${pc}`);
      t.retries++;
      await sleep(RETRY_MS);
    }
    const u = process.hrtime.bigint();
    t.produce += u - at;
    at = u;
    const e = await c.call(26, 5, { transactionalId: state.transactionalId, producerId: state.producerId, producerEpoch: state.producerEpoch, committed: true });
    if (e.errorCode !== ErrorCode.NONE) throw new Error(`EndTxn v5 failed with ${e.errorCode}`);
    // at this rate the 32767 epochs of a producer id last seconds: the producer moves to the new id it is given
    if (e.producerId !== state.producerId) t.rotations++;
    state.producerId = e.producerId;
    state.producerEpoch = e.producerEpoch;
    t.end += process.hrtime.bigint() - at;
    t.txns++;
  }
  t.seconds += Number(process.hrtime.bigint() - t0) / 1e9;
}

/**
 * Transactions of one small batch each on partition 0 of `topic` for `seconds`, sequentially as a
 * client does, added to `t` (a tally); `state` is the producer.
 */
async function transactions(c, state, topic, seconds, t) {
  const small = sequencedBatchSmall(state);
  const t0 = process.hrtime.bigint();
  const until = t0 + BigInt(Math.round(seconds * 1e9));
  for (;;) {
    let at = process.hrtime.bigint();
    if (at >= until) break;
    for (;;) {
      const r = await c.call(24, 3, {
        v3AndBelowTransactionalId: TXN_ID,
        v3AndBelowProducerId: state.producerId,
        v3AndBelowProducerEpoch: state.producerEpoch,
        v3AndBelowTopics: [{ name: topic, partitions: [0] }],
      });
      const code = r.resultsByTopicV3AndBelow[0].resultsByPartition[0].partitionErrorCode;
      if (code === ErrorCode.NONE) break;
      if (code !== ErrorCode.CONCURRENT_TRANSACTIONS) throw new Error(`AddPartitionsToTxn failed with ${code}`);
      t.retries++;
      await sleep(RETRY_MS);
    }
    let u = process.hrtime.bigint();
    t.add += u - at;
    at = u;
    const p = await c.call(0, 9, {
      transactionalId: TXN_ID,
      acks: ACKS,
      timeoutMs: 30000,
      topicData: [{ name: topic, topicId: ZERO_UUID, partitionData: [{ index: 0, records: small(t.seq) }] }],
    });
    const pc = p.responses[0].partitionResponses[0].errorCode;
    if (pc !== ErrorCode.NONE) throw new Error(`transactional produce failed with ${pc}`);
    t.seq++;
    u = process.hrtime.bigint();
    t.produce += u - at;
    at = u;
    const e = await c.call(26, 3, { transactionalId: TXN_ID, producerId: state.producerId, producerEpoch: state.producerEpoch, committed: true });
    if (e.errorCode !== ErrorCode.NONE) throw new Error(`EndTxn failed with ${e.errorCode}`);
    t.end += process.hrtime.bigint() - at;
    t.txns++;
  }
  t.seconds += Number(process.hrtime.bigint() - t0) / 1e9;
}

/** A one-record (100 B) transactional batch of the producer's, per sequence. */
function sequencedBatchSmall(state) {
  const template = encodeRecordBatch([{ key: 'k', value: Buffer.alloc(100, 120) }], { attributes: TRANSACTIONAL_BIT, producerId: state.producerId, producerEpoch: state.producerEpoch, baseSequence: 0 });
  // small enough to encode afresh: its CRC is recomputed (a client does the same)
  return (seq, epoch = state.producerEpoch, producerId = state.producerId) => {
    const b = Buffer.from(template);
    b.writeBigInt64BE(BigInt(producerId), PRODUCER_ID_AT);
    b.writeInt16BE(epoch, PRODUCER_EPOCH_AT);
    b.writeInt32BE(seq, BASE_SEQUENCE_AT);
    b.writeUInt32BE(crc32c(b.subarray(ATTRIBUTES_AT)), CRC_AT);
    return b;
  };
}

/** Sequential ApiVersions round trips for `seconds`, added to `t` ({ n, seconds }): the floor of any request's round trip here. */
async function roundTrips(c, seconds, t) {
  const t0 = process.hrtime.bigint();
  const until = t0 + BigInt(Math.round(seconds * 1e9));
  while (process.hrtime.bigint() < until) {
    await c.call(18, 3, { clientSoftwareName: 'bench', clientSoftwareVersion: '1' });
    t.n++;
  }
  t.seconds += Number(process.hrtime.bigint() - t0) / 1e9;
}

async function txnChild(disk) {
  const { b, done } = await broker(disk);
  createTopic(b, 'warmup');
  createTopic(b, 'txn');
  const c = await Client.connect(b.port);
  const producer = async transactionalId => {
    const found = await retrying(() => c.call(10, 4, { keyType: 1, coordinatorKeys: [transactionalId] }));
    if (found.coordinators[0].errorCode !== 0) throw new Error(`FindCoordinator failed with ${found.coordinators[0].errorCode}`);
    const init = await retrying(() => c.call(22, 4, { transactionalId, transactionTimeoutMs: 60000, producerId: -1, producerEpoch: -1 }));
    if (init.errorCode !== 0) throw new Error(`InitProducerId failed with ${init.errorCode}`);
    return { transactionalId, producerId: init.producerId, producerEpoch: init.producerEpoch };
  };
  const state = await producer(TXN_ID);
  const stateV2 = await producer(`${TXN_ID}-v2`);
  createTopic(b, 'warmup-v2');
  createTopic(b, 'txn-v2');
  await transactions(c, state, 'warmup', TXN_WARMUP_SECONDS, tally());
  await transactionsV2(c, stateV2, 'warmup-v2', TXN_WARMUP_SECONDS, tally());
  await roundTrips(c, TXN_WARMUP_SECONDS / 2, { n: 0, seconds: 0 });
  // both kinds of transactions and round trips alternated in slices: all see the same moments of this machine
  const out = tally();
  const outV2 = tally();
  const rt = { n: 0, seconds: 0 };
  for (let i = 0; i < TXN_SLICES; i++) {
    await roundTrips(c, TXN_SECONDS / TXN_SLICES / 3, rt);
    await transactions(c, state, 'txn', TXN_SECONDS / TXN_SLICES, out);
    await transactionsV2(c, stateV2, 'txn-v2', TXN_SECONDS / TXN_SLICES, outV2);
  }
  c.close();
  // every transaction committed: one record and one commit marker each, all stable once the markers are in
  await b.broker.transactions.settled();
  for (const [topic, n] of [
    ['txn', out.txns],
    ['txn-v2', outV2.txns],
  ]) {
    const log = partition0(b, topic).log;
    if (log.logEndOffset !== n * 2 || log.lastStableOffset !== log.logEndOffset) {
      throw new Error(`${topic} holds ${log.logEndOffset} offsets (last stable ${log.lastStableOffset}); ${n} transactions were committed`);
    }
  }
  await done();
  const ms = x => Number(x) / 1e6 / out.txns;
  return {
    txns: out.txns,
    retries: out.retries,
    txnPerSec: out.txns / out.seconds,
    addMs: ms(out.add),
    produceMs: ms(out.produce),
    endMs: ms(out.end),
    rtPerSec: rt.n / rt.seconds,
    v2Txns: outV2.txns,
    v2Retries: outV2.retries,
    v2TxnPerSec: outV2.txns / outV2.seconds,
    v2Rotations: outV2.rotations,
  };
}

/** The child side of one run; prints one JSON line. */
async function child(mode) {
  const disk = mode.startsWith('disk-');
  const kind = mode.replace(/^(disk|memory)-/, '');
  let out;
  if (kind === 'produce') out = await pairChild(disk);
  else if (kind === 'txn') out = await txnChild(disk);
  else throw new Error(`unknown child mode ${mode}`);
  process.stdout.write(`${JSON.stringify(out)}\n`);
  process.exit(0);
}

const runBaseline = sink => baseline('ingest', sink, TOTAL_MB);

function runChild(mode) {
  return lastJson(execFileSync(process.execPath, [...(process.env.CHILD_NODE_ARGS?.split(' ').filter(Boolean) ?? []), SELF, '--child', mode], { encoding: 'utf8', maxBuffer: 1 << 20 }));
}

/** Plain and idempotent produce (alternated within each run), beside the baseline ingest of the same run. */
function producePair(disk, runs) {
  const rows = [];
  const prefix = disk ? 'disk' : 'memory';
  for (let run = 0; run < runs; run++) {
    const ingest = runBaseline(disk ? 'file' : 'memory');
    const row = { ingest, ...runChild(`${prefix}-produce`) };
    rows.push(row);
    if (process.env.VERBOSE) {
      console.log(`  ${prefix} run ${run}: plain ${row.plain.toFixed(0)} MB/s, idempotent ${row.idempotent.toFixed(0)} MB/s (${row.ratio.toFixed(3)}; by CPU time ${row.cpuRatio.toFixed(3)}), baseline ingest ${ingest} MB/s`);
    }
  }
  return {
    plain: median(rows.map(r => r.plain)),
    idempotent: median(rows.map(r => r.idempotent)),
    ingest: median(rows.map(r => r.ingest)),
    // the median of each run's own ratio
    ratio: median(rows.map(r => r.ratio)),
    // plain's CPU time per MB over idempotent's: the same ratio as a cost
    cpuRatio: median(rows.map(r => r.cpuRatio)),
    plainRatio: median(rows.map(r => r.plain / r.ingest)),
    idempotentRatio: median(rows.map(r => r.idempotent / r.ingest)),
  };
}

function txnRuns(disk) {
  const rows = [];
  for (let run = 0; run < TXN_RUNS; run++) {
    const row = runChild(`${disk ? 'disk' : 'memory'}-txn`);
    rows.push(row);
    if (process.env.VERBOSE) {
      console.log(`  ${disk ? 'disk' : 'memory'} txn run ${run}: ${row.txnPerSec.toFixed(0)} txn/s (${row.txns} txns, ${row.retries} retries; add ${row.addMs.toFixed(3)} ms, produce ${row.produceMs.toFixed(3)} ms, end ${row.endMs.toFixed(3)} ms), ${row.rtPerSec.toFixed(0)} round trips/s`);
    }
  }
  const m = k => median(rows.map(r => r[k]));
  return {
    txnPerSec: m('txnPerSec'),
    rtPerSec: m('rtPerSec'),
    // a transaction takes three round trips at least
    ratio: median(rows.map(r => (3 * r.txnPerSec) / r.rtPerSec)),
    retries: rows.reduce((n, r) => n + r.retries, 0),
    // transaction version 2: two round trips at least
    v2TxnPerSec: m('v2TxnPerSec'),
    v2Ratio: median(rows.map(r => (2 * r.v2TxnPerSec) / r.rtPerSec)),
    v2Retries: rows.reduce((n, r) => n + r.v2Retries, 0),
    v2Rotations: rows.reduce((n, r) => n + r.v2Rotations, 0),
    txns: rows.reduce((n, r) => n + r.txns, 0),
    addMs: m('addMs'),
    produceMs: m('produceMs'),
    endMs: m('endMs'),
  };
}

const childAt = process.argv.indexOf('--child');
if (childAt >= 0) {
  await child(process.argv[childAt + 1] ?? 'memory-produce');
} else {
  if (!fs.existsSync(BASELINE)) {
    console.error(`baseline not found at ${BASELINE}; set BASELINE=/path/to/baseline.mjs`);
    process.exit(1);
  }
  console.log(
    `samsa bench (transactions): ${TOTAL_MB} MB per produce run, ${RUNS} runs (${DISK_RUNS} on disk), ${PIPELINE} requests in flight, acks=${ACKS}, ${RECORD_BYTES} B records in ${plainBatch.length} B batches; ${TXN_RUNS} × ${TXN_SECONDS} s of transactions; each run a fresh process like the baseline`,
  );
  const loadBefore = os.loadavg()[0];
  const m = producePair(false, RUNS);
  const mt = txnRuns(false);
  const d = process.env.SKIP_DISK ? null : producePair(true, DISK_RUNS);
  const dt = process.env.SKIP_DISK ? null : txnRuns(true);
  const loadAfter = os.loadavg()[0];
  const pct = x => `${Math.round(x * 100)}%`;
  // other processes' load sways every figure on a small machine: said beside them
  console.log(`load average (1 min) ${loadBefore.toFixed(2)} before, ${loadAfter.toFixed(2)} after, ${os.cpus().length} CPUs`);
  const rows = [
    ['produce, plain (memory)', `${m.plain.toFixed(0)} MB/s`, `baseline ingest ${m.ingest} MB/s`, pct(m.plainRatio), ''],
    ['produce, idempotent (memory)', `${m.idempotent.toFixed(0)} MB/s`, `baseline ingest ${m.ingest} MB/s`, pct(m.idempotentRatio), ''],
    ['  idempotent / plain (memory)', '', `by CPU time per MB: ${pct(m.cpuRatio)}`, pct(m.ratio), '≥ 90%'],
    ['transactions (memory)', `${mt.txnPerSec.toFixed(0)} txn/s`, `3 RTs: ${(mt.rtPerSec / 3).toFixed(0)}/s, ${mt.retries} retries`, pct(mt.ratio), ''],
    ['transactions, TV2 (memory)', `${mt.v2TxnPerSec.toFixed(0)} txn/s`, `2 RTs: ${(mt.rtPerSec / 2).toFixed(0)}/s, ${mt.v2Retries} retries, ${mt.v2Rotations} new ids`, pct(mt.v2Ratio), ''],
  ];
  if (d !== null) {
    rows.push(
      ['produce, plain (disk)', `${d.plain.toFixed(0)} MB/s`, `baseline ingest ${d.ingest} MB/s (file)`, pct(d.plainRatio), ''],
      ['produce, idempotent (disk)', `${d.idempotent.toFixed(0)} MB/s`, `baseline ingest ${d.ingest} MB/s (file)`, pct(d.idempotentRatio), ''],
      ['  idempotent / plain (disk)', '', `by CPU time per MB: ${pct(d.cpuRatio)}`, pct(d.ratio), '≥ 90%'],
      ['transactions (disk)', `${dt.txnPerSec.toFixed(0)} txn/s`, `3 RTs: ${(dt.rtPerSec / 3).toFixed(0)}/s, ${dt.retries} retries`, pct(dt.ratio), ''],
      ['transactions, TV2 (disk)', `${dt.v2TxnPerSec.toFixed(0)} txn/s`, `2 RTs: ${(dt.rtPerSec / 2).toFixed(0)}/s, ${dt.v2Retries} retries, ${dt.v2Rotations} new ids`, pct(dt.v2Ratio), ''],
    );
  }
  for (const r of rows) console.log(`${r[0].padEnd(30)} ${r[1].padStart(12)}   ${r[2].padEnd(40)} ${r[3].padStart(5)}  ${r[4]}`);
  console.log(
    `  per transaction (memory): AddPartitionsToTxn ${mt.addMs.toFixed(3)} ms (with retries), Produce ${mt.produceMs.toFixed(3)} ms, EndTxn ${mt.endMs.toFixed(3)} ms` +
      (dt === null ? '' : `; (disk): ${dt.addMs.toFixed(3)}, ${dt.produceMs.toFixed(3)}, ${dt.endMs.toFixed(3)} ms`),
  );
  const r3 = x => +x.toFixed(3);
  console.log(
    JSON.stringify({
      loadAverage: +Math.max(loadBefore, loadAfter).toFixed(2),
      plainProduceMBps: Math.round(m.plain),
      idempotentProduceMBps: Math.round(m.idempotent),
      baselineIngestMBps: m.ingest,
      idempotentToPlain: r3(m.ratio),
      idempotentToPlainCpu: r3(m.cpuRatio),
      plainProduceRatio: r3(m.plainRatio),
      idempotentProduceRatio: r3(m.idempotentRatio),
      txnPerSec: Math.round(mt.txnPerSec),
      txnRetries: mt.retries,
      txnCount: mt.txns,
      roundTripsPerSec: Math.round(mt.rtPerSec),
      txnToRoundTripRatio: r3(mt.ratio),
      txnV2PerSec: Math.round(mt.v2TxnPerSec),
      txnV2Retries: mt.v2Retries,
      txnV2ProducerIdRotations: mt.v2Rotations,
      txnV2ToRoundTripRatio: r3(mt.v2Ratio),
      ...(d === null
        ? {}
        : {
            diskPlainProduceMBps: Math.round(d.plain),
            diskIdempotentProduceMBps: Math.round(d.idempotent),
            diskBaselineIngestMBps: d.ingest,
            diskIdempotentToPlain: r3(d.ratio),
            diskIdempotentToPlainCpu: r3(d.cpuRatio),
            diskPlainProduceRatio: r3(d.plainRatio),
            diskIdempotentProduceRatio: r3(d.idempotentRatio),
            diskTxnPerSec: Math.round(dt.txnPerSec),
            diskTxnRetries: dt.retries,
            diskTxnCount: dt.txns,
            diskTxnToRoundTripRatio: r3(dt.ratio),
            diskTxnV2PerSec: Math.round(dt.v2TxnPerSec),
            diskTxnV2Retries: dt.v2Retries,
            diskTxnV2ProducerIdRotations: dt.v2Rotations,
            diskTxnV2ToRoundTripRatio: r3(dt.v2Ratio),
          }),
    }),
  );
}
