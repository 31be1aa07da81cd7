#!/usr/bin/env node
// `npm run bench`: Samsa's data path beside the machine's physical limit (../shared/bench/baseline.mjs),
// measured in the same run and reported as ratios, because this machine is noisy.
//   produce: 1 KiB records in 16 KiB batches to one partition, PIPELINE requests in flight, acks=1;
//            beside it, a server with no protocol fed the same requests (the most a broker could reach)
//   fetch:   the same data read back with 1 MiB fetches, PIPELINE requests in flight
//   start:   `samsa start` to the first answered ApiVersions, in a fresh process
//   idle RSS: of that process after it has started and served one request
// Each measurement runs in a fresh process, as the baseline does: the broker and its load share
// one Node process (one event loop), memory is fresh (nothing freed by an earlier run is reused),
// and the JIT is warmed first on a separate topic whose data stays in memory.
// Env: TOTAL_MB (256), RUNS (5), PIPELINE (8), BASELINE (path to baseline.mjs), VERBOSE (per-run figures).
import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ROOT, BASELINE, dist, spec, frame, lastJson, median, pipeline as pipelineAt, runBaseline as baseline } from './bench-common.mjs';

const SELF = fileURLToPath(import.meta.url);
const TOTAL_MB = Number(process.env.TOTAL_MB ?? 256);
const RUNS = Number(process.env.RUNS ?? 5);
const PIPELINE = Number(process.env.PIPELINE ?? 8);
const WARMUP_MB = 32;
const DISK_RUNS = Number(process.env.DISK_RUNS ?? 3);
const FSYNC_MB = Number(process.env.FSYNC_MB ?? 16);
const PARTITIONS = Number(process.env.PARTITIONS ?? 10000);
const RESTART_MB = Number(process.env.RESTART_MB ?? 1024);
const RECORD_BYTES = 1024;
const RECORDS_PER_BATCH = 16;
const FETCH_BYTES = 1024 * 1024;
const ZERO_UUID = 'AAAAAAAAAAAAAAAAAAAAAA';

const { startBroker, encodeRecordBatch, Reader } = dist;

const value = Buffer.alloc(RECORD_BYTES, 120);
const batch = encodeRecordBatch(Array.from({ length: RECORDS_PER_BATCH }, (_, i) => ({ key: `key-${i}`, value })));

const pipeline = (port, requests, requestAt, onResponse) => pipelineAt(port, requests, requestAt, onResponse, PIPELINE);

const PARTITION_MARK = 0x7eadbeef;

/**
 * Produces `mb` MB of batches to `topic`, request i to partition (firstPartition + i) % partitions; returns MB/s of
 * batch bytes. The request is encoded once; copies in rotation get their partition patched in.
 */
async function produce(port, topic, mb, partitions = 1, acks = 1, firstPartition = 0) {
  const requests = requestsFor(mb);
  const template = frame(0, 9, 1, {
    transactionalId: null,
    acks,
    timeoutMs: 30000,
    topicData: [{ name: topic, topicId: ZERO_UUID, partitionData: [{ index: PARTITION_MARK, records: batch }] }],
  });
  const at = template.indexOf(Buffer.from([0x7e, 0xad, 0xbe, 0xef]));
  // more copies than requests in flight: a copy is reused only after its request was answered
  const copies = Array.from({ length: PIPELINE * 2 }, () => Buffer.from(template));
  const request = i => {
    const f = copies[i % copies.length];
    f.writeInt32BE((firstPartition + i) % partitions, at);
    return f;
  };
  // responses are not decoded here (that would weigh on the measured process); the children
  // check the log end offsets afterwards instead
  const seconds = await pipeline(port, requests, request, () => {});
  return (requests * batch.length) / 1048576 / seconds;
}

/** Fetches partition 0 of `topic` from offset 0 to `endOffset` with 1 MiB fetches; returns MB/s of record bytes, after checking all were read. */
async function fetch(port, topic, endOffset) {
  const recordsPerFetch = Math.floor(FETCH_BYTES / batch.length) * RECORDS_PER_BATCH;
  const fetchSpec = spec(1);
  const request = i =>
    frame(1, 12, i + 1, {
      ...fetchSpec.defaultRequest(),
      replicaId: -1,
      maxWaitMs: 0,
      minBytes: 1,
      maxBytes: FETCH_BYTES,
      sessionEpoch: -1,
      topics: [
        {
          topic,
          topicId: ZERO_UUID,
          partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: i * recordsPerFetch, lastFetchedEpoch: -1, logStartOffset: -1, partitionMaxBytes: FETCH_BYTES, replicaDirectoryId: ZERO_UUID, highWatermark: Number.MAX_VALUE }],
        },
      ],
      forgottenTopicsData: [],
      rackId: '',
    });
  let bytes = 0;
  const seconds = await pipeline(port, Math.ceil(endOffset / recordsPerFetch), request, (head, size) => {
    bytes += fetchedRecordBytes(head, size);
  });
  // every batch read back once (the partition holds only this bench's whole batches)
  const expected = (endOffset / RECORDS_PER_BATCH) * batch.length;
  if (bytes !== expected) throw new Error(`fetched ${bytes} record bytes, the partition holds ${expected}`);
  return bytes / 1048576 / seconds;
}

/**
 * The record bytes of a Fetch v12 response for one partition, read from the frame's first bytes
 * (the fields before the records): throws unless the partition answered without error and the
 * frame holds all the record bytes it announces.
 */
function fetchedRecordBytes(head, size) {
  const r = new Reader(head);
  r.int32(); // correlation id
  r.skipTaggedFields();
  r.int32(); // throttle time
  const error = r.int16();
  r.int32(); // session id
  if (error !== 0 || r.arrayLength(true) !== 1) throw new Error(`fetch failed with error ${error}`);
  r.compactString(); // topic
  if (r.arrayLength(true) !== 1) throw new Error('fetch answered no partition');
  r.int32(); // partition
  const partitionError = r.int16();
  if (partitionError !== 0) throw new Error(`fetch failed with partition error ${partitionError}`);
  r.skip(24); // high watermark, last stable offset, log start offset
  const aborted = r.arrayLength(true);
  for (let i = 0; i < aborted; i++) {
    r.skip(16);
    r.skipTaggedFields();
  }
  r.int32(); // preferred read replica
  const records = r.uvarint() - 1;
  if (records < 0 || r.pos + records > size) throw new Error(`fetch response of ${size} bytes cannot hold ${records} record bytes`);
  return records;
}

/** Creates a topic; past Kafka's 10,000 records per request, the rest comes as CreatePartitions would add it. */
function createTopic(broker, name, numPartitions = 1, configs = {}) {
  const cluster = broker.broker.cluster;
  const first = Math.min(numPartitions, 5000);
  const plan = cluster.planTopic({ name, numPartitions: first, replicationFactor: 1, assignments: null, configs: new Map(Object.entries(configs)) });
  const topic = cluster.createTopic(name, plan.replicas, plan.configs);
  if (numPartitions > first) cluster.createPartitions(topic, cluster.planPartitions(topic, numPartitions, null));
}

const endOffset = (broker, topic) => broker.broker.cluster.topic(topic).partitions[0].log.logEndOffset;

/** Produce requests (one batch each) that `mb` MB take. */
const requestsFor = mb => Math.ceil((mb * 1048576) / batch.length);

/** Throws unless `topic` holds every record of `mb` MB of produce requests, made `times` times. */
function checkProduced(broker, topic, mb, times = 1) {
  const expected = requestsFor(mb) * times * RECORDS_PER_BATCH;
  const held = broker.broker.cluster.topic(topic).partitions.reduce((n, p) => n + p.log.logEndOffset, 0);
  if (held !== expected) throw new Error(`${topic} holds ${held} records, ${expected} were produced`);
}

function tempDir() {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'samsa-bench-'));
}

async function warmUp(broker) {
  createTopic(broker, 'warmup');
  await produce(broker.port, 'warmup', WARMUP_MB);
  await fetch(broker.port, 'warmup', endOffset(broker, 'warmup'));
}

/**
 * A server with no protocol, fed by produce() exactly as Samsa is: it frames the requests, keeps
 * each one (memory) or appends each with its own write to a file (`fd`), and answers each with a
 * frame the size of Samsa's produce response. What this reaches is the most any broker doing its
 * work in the load's process could reach with these requests; Samsa's figure is read beside it.
 */
function noProtocolServer(fd) {
  const kept = [];
  let filePosition = 0;
  // Samsa's answer to the bench's Produce v9 (one topic, one partition) is 48 bytes after its size
  const reply = Buffer.alloc(4 + 48);
  reply.writeInt32BE(48, 0);
  const server = net.createServer(sock => {
    sock.setNoDelay(true);
    // a frame straddling reads: its pieces so far (size prefix included), and their bytes
    let pieces = [];
    let piecesBytes = 0;
    let corked = false;
    const uncork = () => {
      corked = false;
      sock.uncork();
    };
    const take = frame => {
      if (fd === null) kept.push(frame);
      else filePosition += fs.writeSync(fd, frame, 0, frame.length, filePosition);
      // answers go out once per loop turn, as Samsa's do
      if (!corked) {
        corked = true;
        sock.cork();
        setImmediate(uncork);
      }
      sock.write(reply);
    };
    // frames are views of the reads; only a frame that straddles reads is joined (as Samsa does)
    sock.on('data', chunk => {
      let pos = 0;
      if (piecesBytes > 0) {
        const head = piecesBytes >= 4 ? pieces[0] : Buffer.concat([...pieces, chunk.subarray(0, 4 - piecesBytes)]);
        const total = 4 + head.readInt32BE(0);
        const need = total - piecesBytes;
        if (chunk.length < need) {
          pieces.push(chunk);
          piecesBytes += chunk.length;
          return;
        }
        take(Buffer.concat([...pieces, chunk.subarray(0, need)], total).subarray(4));
        pieces = [];
        piecesBytes = 0;
        pos = need;
      }
      while (chunk.length - pos >= 4 && chunk.length - pos >= 4 + chunk.readInt32BE(pos)) {
        const size = chunk.readInt32BE(pos);
        take(chunk.subarray(pos + 4, pos + 4 + size));
        pos += 4 + size;
      }
      if (pos < chunk.length) {
        pieces = [chunk.subarray(pos)];
        piecesBytes = chunk.length - pos;
      }
    });
  });
  return new Promise(resolve => server.listen(0, '127.0.0.1', () => resolve(server)));
}

/** The child side of one run; `mode` picks the measurement. Prints one JSON line. */
async function child(mode) {
  let out;
  if (mode === 'memory') {
    const broker = await startBroker({ port: 0 });
    await warmUp(broker);
    createTopic(broker, 'bench');
    const produceMBps = await produce(broker.port, 'bench', TOTAL_MB);
    checkProduced(broker, 'bench', TOTAL_MB);
    const fetchMBps = await fetch(broker.port, 'bench', endOffset(broker, 'bench'));
    out = { produceMBps, fetchMBps };
  } else if (mode === 'no-protocol' || mode === 'no-protocol-file') {
    const dataDir = mode === 'no-protocol-file' ? tempDir() : null;
    const fd = dataDir === null ? null : fs.openSync(path.join(dataDir, 'segment.log'), 'w');
    const server = await noProtocolServer(fd);
    const port = server.address().port;
    await produce(port, 'warmup', WARMUP_MB);
    const produceMBps = await produce(port, 'bench', TOTAL_MB);
    server.close();
    if (fd !== null) fs.closeSync(fd);
    if (dataDir !== null) fs.rmSync(dataDir, { recursive: true, force: true });
    out = { produceMBps };
  } else if (mode === 'disk') {
    // produce with flush left to the OS; then a new broker on the directory fetches it cold
    // (nothing of it in the process; the OS page cache holds it, as for the baseline's file)
    const dataDir = tempDir();
    let broker = await startBroker({ port: 0, dataDir });
    await warmUp(broker);
    createTopic(broker, 'bench');
    const produceMBps = await produce(broker.port, 'bench', TOTAL_MB);
    checkProduced(broker, 'bench', TOTAL_MB);
    await broker.close();
    broker = await startBroker({ port: 0, dataDir });
    const fetchMBps = await fetch(broker.port, 'bench', endOffset(broker, 'bench'));
    await broker.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
    out = { produceMBps, fetchMBps };
  } else if (mode === 'fsync') {
    const dataDir = tempDir();
    const broker = await startBroker({ port: 0, dataDir, config: { 'log.flush.interval.messages': 1 } });
    await warmUp(broker);
    createTopic(broker, 'bench');
    const produceMBps = await produce(broker.port, 'bench', FSYNC_MB, 1, -1);
    checkProduced(broker, 'bench', FSYNC_MB);
    await broker.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
    out = { produceMBps };
  } else if (mode === 'partitions') {
    // the same load as 'disk' produce, to one partition and then spread over PARTITIONS
    const dataDir = tempDir();
    const broker = await startBroker({ port: 0, dataDir, maxOpenFiles: Number(process.env.MAX_OPEN_FILES ?? 1000) });
    await warmUp(broker);
    createTopic(broker, 'one');
    createTopic(broker, 'many', PARTITIONS);
    // alternated in rounds: the kernel writing back what one wrote must not weigh on the other alone
    const rounds = 4;
    let oneSeconds = 0;
    let manySeconds = 0;
    for (let r = 0; r < rounds; r++) {
      oneSeconds += TOTAL_MB / rounds / (await produce(broker.port, 'one', TOTAL_MB / rounds));
      // each round goes on where the last left off, so every partition is written to
      const firstPartition = requestsFor(TOTAL_MB / rounds) * r;
      manySeconds += TOTAL_MB / rounds / (await produce(broker.port, 'many', TOTAL_MB / rounds, PARTITIONS, 1, firstPartition));
    }
    checkProduced(broker, 'one', TOTAL_MB / rounds, rounds);
    checkProduced(broker, 'many', TOTAL_MB / rounds, rounds);
    const oneMBps = TOTAL_MB / oneSeconds;
    const manyMBps = TOTAL_MB / manySeconds;
    await broker.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
    out = { oneMBps, manyMBps };
  } else if (mode === 'restart') {
    // a RESTART_MB data dir, reopened after a clean shutdown and after an unclean one (the
    // clean-shutdown marker and recovery points removed, as after a crash before the first
    // checkpoint: every segment is read back and CRC-checked)
    const dataDir = tempDir();
    let broker = await startBroker({ port: 0, dataDir });
    createTopic(broker, 'bench');
    await produce(broker.port, 'bench', RESTART_MB);
    const end = endOffset(broker, 'bench');
    await broker.close();
    let t0 = process.hrtime.bigint();
    broker = await startBroker({ port: 0, dataDir });
    const cleanMs = Number(process.hrtime.bigint() - t0) / 1e6;
    if (endOffset(broker, 'bench') !== end) throw new Error('clean restart lost data');
    await broker.close();
    fs.rmSync(path.join(dataDir, '.kafka_cleanshutdown'));
    fs.rmSync(path.join(dataDir, 'recovery-point-offset-checkpoint'));
    t0 = process.hrtime.bigint();
    broker = await startBroker({ port: 0, dataDir });
    const uncleanMs = Number(process.hrtime.bigint() - t0) / 1e6;
    if (endOffset(broker, 'bench') !== end) throw new Error('unclean restart lost data');
    await broker.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
    out = { cleanMs, uncleanMs };
  } else throw new Error(`unknown child mode ${mode}`);
  process.stdout.write(`${JSON.stringify(out)}\n`);
  process.exit(0);
}

const runBaseline = (mode, sink = 'memory') => baseline(mode, sink, TOTAL_MB);

function runSamsa(mode = 'memory') {
  return lastJson(execFileSync(process.execPath, [SELF, '--child', mode], { encoding: 'utf8', maxBuffer: 1 << 20 }));
}

async function dataPath() {
  const rows = [];
  for (let run = 0; run < RUNS; run++) {
    const row = { ingest: runBaseline('ingest'), egress: runBaseline('egress'), noProtocol: runSamsa('no-protocol').produceMBps, ...runSamsa() };
    rows.push(row);
    if (process.env.VERBOSE) {
      console.log(`  run ${run}: produce ${row.produceMBps.toFixed(0)} MB/s (baseline ingest ${row.ingest}, no-protocol server ${row.noProtocol.toFixed(0)}), fetch ${row.fetchMBps.toFixed(0)} MB/s (baseline egress ${row.egress})`);
    }
  }
  return throughputMedians(rows);
}

/** Medians of runs' produce/fetch figures beside their baselines. */
function throughputMedians(rows) {
  return {
    produce: median(rows.map(r => r.produceMBps)),
    fetch: median(rows.map(r => r.fetchMBps)),
    baseIngest: median(rows.map(r => r.ingest)),
    baseEgress: median(rows.map(r => r.egress)),
    // the median of each run's own ratio: each pair was measured back to back
    produceRatio: median(rows.map(r => r.produceMBps / r.ingest)),
    fetchRatio: median(rows.map(r => r.fetchMBps / r.egress)),
    noProtocol: median(rows.map(r => r.noProtocol)),
    noProtocolRatio: median(rows.map(r => r.noProtocol / r.ingest)),
    // Samsa's produce beside the no-protocol server's, run by run
    ofNoProtocol: median(rows.map(r => r.produceMBps / r.noProtocol)),
  };
}

/** Starts `samsa start` in a fresh process; resolves with ms to the first ApiVersions answer, and the process. */
async function startOnce() {
  const port = await new Promise(resolve => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = s.address().port;
      s.close(() => resolve(p));
    });
  });
  const t0 = process.hrtime.bigint();
  const proc = spawn(process.execPath, [path.join(ROOT, 'bin/samsa'), 'start', '--port', String(port), '--log-level', 'warn'], { stdio: 'ignore' });
  const apiVersions = frame(18, 3, 1, { clientSoftwareName: 'bench', clientSoftwareVersion: '1' });
  for (;;) {
    const ok = await new Promise(resolve => {
      const sock = net.connect(port, '127.0.0.1');
      sock.once('error', () => resolve(false));
      sock.once('connect', () => sock.write(apiVersions));
      sock.once('data', () => {
        sock.destroy();
        resolve(true);
      });
    });
    if (ok) break;
    if (Number(process.hrtime.bigint() - t0) / 1e6 > 10000) throw new Error('samsa start did not answer within 10 s');
    await new Promise(r => setTimeout(r, 2));
  }
  return { ms: Number(process.hrtime.bigint() - t0) / 1e6, proc };
}

async function startAndRss() {
  const times = [];
  let rss = 0;
  for (let i = 0; i < 5; i++) {
    const { ms, proc } = await startOnce();
    times.push(ms);
    if (i === 4) {
      await new Promise(r => setTimeout(r, 1000));
      rss = Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${proc.pid}/status`, 'utf8'))[1]) / 1024;
    }
    proc.kill('SIGTERM');
    await new Promise(r => proc.once('exit', r));
  }
  return { startMs: median(times), rssMB: rss };
}

/** Disk mode: produce and cold fetch beside the file baselines, fsync per append, many partitions, restart times. */
async function diskFigures() {
  const rows = [];
  for (let run = 0; run < DISK_RUNS; run++) {
    const row = { ingest: runBaseline('ingest', 'file'), egress: runBaseline('egress', 'file'), noProtocol: runSamsa('no-protocol-file').produceMBps, ...runSamsa('disk'), ...runSamsa('partitions') };
    rows.push(row);
    if (process.env.VERBOSE) {
      console.log(`  disk run ${run}: produce ${row.produceMBps.toFixed(0)} MB/s (baseline ingest ${row.ingest}, no-protocol server ${row.noProtocol.toFixed(0)}), cold fetch ${row.fetchMBps.toFixed(0)} MB/s (baseline egress ${row.egress}), one partition ${row.oneMBps.toFixed(0)} / ${PARTITIONS} partitions ${row.manyMBps.toFixed(0)} MB/s`);
    }
  }
  const fsync = runSamsa('fsync');
  const restart = runSamsa('restart');
  return {
    ...throughputMedians(rows),
    one: median(rows.map(r => r.oneMBps)),
    many: median(rows.map(r => r.manyMBps)),
    manyRatio: median(rows.map(r => r.manyMBps / r.oneMBps)),
    fsyncMBps: fsync.produceMBps,
    cleanMs: restart.cleanMs,
    uncleanMs: restart.uncleanMs,
  };
}

const childAt = process.argv.indexOf('--child');
if (childAt >= 0) {
  await child(process.argv[childAt + 1] ?? 'memory');
} else {
  if (!fs.existsSync(BASELINE)) {
    console.error(`baseline not found at ${BASELINE}; set BASELINE=/path/to/baseline.mjs`);
    process.exit(1);
  }
  console.log(
    `samsa bench: ${TOTAL_MB} MB per run, ${RUNS} runs (medians), ${PIPELINE} requests in flight, ${RECORD_BYTES} B records in ${batch.length} B batches; each run a fresh process like the baseline`,
  );
  const d = await dataPath();
  const s = await startAndRss();
  const k = process.env.SKIP_DISK ? null : await diskFigures();
  const pct = x => `${Math.round(x * 100)}%`;
  const rows = [
    ['produce (memory)', `${d.produce.toFixed(0)} MB/s`, `baseline ingest ${d.baseIngest} MB/s`, pct(d.produceRatio), '≥ 70%'],
    ['  no protocol, same load', `${d.noProtocol.toFixed(0)} MB/s`, `Samsa is ${pct(d.ofNoProtocol)} of it`, pct(d.noProtocolRatio), ''],
    ['fetch (memory)', `${d.fetch.toFixed(0)} MB/s`, `baseline egress ${d.baseEgress} MB/s`, pct(d.fetchRatio), ''],
    ['start to first ApiVersions', `${s.startMs.toFixed(0)} ms`, '', '', '≤ 150 ms'],
    ['idle RSS', `${s.rssMB.toFixed(1)} MB`, '', '', '≤ 60 MB'],
  ];
  if (k !== null) {
    rows.push(
      ['produce (disk, OS flush)', `${k.produce.toFixed(0)} MB/s`, `baseline ingest ${k.baseIngest} MB/s (file)`, pct(k.produceRatio), '≥ 80%'],
      ['  no protocol, a write each', `${k.noProtocol.toFixed(0)} MB/s`, `Samsa is ${pct(k.ofNoProtocol)} of it`, pct(k.noProtocolRatio), ''],
      ['produce (disk, fsync each)', `${k.fsyncMBps.toFixed(1)} MB/s`, '', '', ''],
      ['fetch (disk, cold)', `${k.fetch.toFixed(0)} MB/s`, `baseline egress ${k.baseEgress} MB/s (file)`, pct(k.fetchRatio), '≥ 70%'],
      [`produce to ${PARTITIONS} partitions`, `${k.many.toFixed(0)} MB/s`, `one partition ${k.one.toFixed(0)} MB/s`, pct(k.manyRatio), '≥ 70%'],
      [`restart ${RESTART_MB} MB, clean`, `${k.cleanMs.toFixed(0)} ms`, '', '', ''],
      [`restart ${RESTART_MB} MB, unclean`, `${k.uncleanMs.toFixed(0)} ms`, '', '', ''],
    );
  }
  for (const r of rows) console.log(`${r[0].padEnd(30)} ${r[1].padStart(10)}   ${r[2].padEnd(36)} ${r[3].padStart(5)}  ${r[4]}`);
  console.log(
    JSON.stringify({
      produceMBps: Math.round(d.produce),
      fetchMBps: Math.round(d.fetch),
      baselineIngestMBps: d.baseIngest,
      baselineEgressMBps: d.baseEgress,
      produceRatio: +d.produceRatio.toFixed(3),
      noProtocolMBps: Math.round(d.noProtocol),
      noProtocolRatio: +d.noProtocolRatio.toFixed(3),
      fetchRatio: +d.fetchRatio.toFixed(3),
      startMs: Math.round(s.startMs),
      idleRssMB: +s.rssMB.toFixed(1),
      ...(k === null
        ? {}
        : {
            diskProduceMBps: Math.round(k.produce),
            diskProduceRatio: +k.produceRatio.toFixed(3),
            diskNoProtocolMBps: Math.round(k.noProtocol),
            diskNoProtocolRatio: +k.noProtocolRatio.toFixed(3),
            fsyncProduceMBps: +k.fsyncMBps.toFixed(1),
            coldFetchMBps: Math.round(k.fetch),
            coldFetchRatio: +k.fetchRatio.toFixed(3),
            manyPartitionsMBps: Math.round(k.many),
            manyPartitionsRatio: +k.manyRatio.toFixed(3),
            restartCleanMs: Math.round(k.cleanMs),
            restartUncleanMs: Math.round(k.uncleanMs),
          }),
    }),
  );
}
