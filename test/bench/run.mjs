#!/usr/bin/env node
// `npm run bench`: Samsa's data path beside the machine's physical limit (../shared/bench/baseline.mjs),
// measured in the same run and reported as ratios, because this machine is noisy.
//   produce: 1 KiB records in 16 KiB batches, one partition, PIPELINE requests in flight, acks=1
//   fetch:   the same data read back with 1 MiB fetches, PIPELINE requests in flight
//   start:   `samsa start` to the first answered ApiVersions, in a fresh process
//   idle RSS: of that process after it has started and served one request
// Like the baseline, the broker and its load run in one Node process (one event loop).
// One unmeasured warm-up run first, so the figures are steady-state rather than JIT warm-up.
// Env: TOTAL_MB (256), RUNS (5), PIPELINE (8), BASELINE (path to baseline.mjs), VERBOSE (per-run figures).
import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BASELINE = process.env.BASELINE ?? path.resolve(ROOT, '../shared/bench/baseline.mjs');
const TOTAL_MB = Number(process.env.TOTAL_MB ?? 256);
const RUNS = Number(process.env.RUNS ?? 5);
const PIPELINE = Number(process.env.PIPELINE ?? 8);
const RECORD_BYTES = 1024;
const RECORDS_PER_BATCH = 16;
const FETCH_BYTES = 1024 * 1024;

const { startBroker, encodeRecordBatch, API_SPECS, Writer, Reader } = await import(path.join(ROOT, 'dist/index.js'));

const spec = key => API_SPECS.find(s => s.key === key);
const median = xs => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function frame(key, version, correlationId, body) {
  const s = spec(key);
  const w = new Writer(1024);
  w.int32(0);
  w.int16(key);
  w.int16(version);
  w.int32(correlationId);
  w.nullableString('bench');
  if (version >= s.flexibleMin) w.uvarint(0);
  s.encodeRequest(w, version, body);
  w.patchInt32(0, w.length - 4);
  return w.toBuffer();
}

/**
 * A connection that pipelines requests: `onResponse` gets each response frame, and `refill`
 * runs once per read, after the read's responses are handled (a client refills its window
 * once per read rather than once per response).
 */
function connect(port, onResponse, refill) {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1', () => resolve(sock));
    sock.once('error', reject);
    sock.setNoDelay(true);
    // buffered reads of an incomplete frame, joined once the frame is whole
    let pending = [];
    let pendingBytes = 0;
    let need = 4;
    sock.on('data', chunk => {
      pending.push(chunk);
      pendingBytes += chunk.length;
      if (pendingBytes < need) return;
      let buf = pending.length === 1 ? pending[0] : Buffer.concat(pending, pendingBytes);
      let pos = 0;
      while (buf.length - pos >= 4) {
        const size = buf.readInt32BE(pos);
        if (buf.length - pos - 4 < size) break;
        onResponse(buf.subarray(pos + 4, pos + 4 + size));
        pos += 4 + size;
      }
      buf = buf.subarray(pos);
      pending = buf.length ? [buf] : [];
      pendingBytes = buf.length;
      need = buf.length >= 4 ? 4 + buf.readInt32BE(0) : 4;
      refill();
    });
  });
}

function runBaseline(mode) {
  const out = execFileSync(process.execPath, [BASELINE, mode], {
    env: { ...process.env, TOTAL_MB: String(TOTAL_MB), SINK: 'memory' },
    encoding: 'utf8',
  });
  return JSON.parse(out.trim().split('\n').pop()).MBps;
}

const value = Buffer.alloc(RECORD_BYTES, 120);
const batch = encodeRecordBatch(Array.from({ length: RECORDS_PER_BATCH }, (_, i) => ({ key: `key-${i}`, value })));

/** Produces TOTAL_MB of batches with PIPELINE requests in flight; returns MB/s of batch bytes. */
async function produceRun(broker, topic) {
  const requests = Math.ceil((TOTAL_MB * 1048576) / batch.length);
  const request = frame(0, 9, 1, {
    transactionalId: null,
    acks: 1,
    timeoutMs: 30000,
    topicData: [{ name: topic, topicId: 'AAAAAAAAAAAAAAAAAAAAAA', partitionData: [{ index: 0, records: batch }] }],
  });
  let sent = 0;
  let answered = 0;
  let t0 = 0n;
  return new Promise(async resolve => {
    let sock;
    const pump = () => {
      if (answered === requests) return;
      while (sent < requests && sent - answered < PIPELINE) {
        sent++;
        sock.write(request);
      }
    };
    sock = await connect(
      broker.port,
      () => {
        if (++answered === requests) {
          const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
          sock.destroy();
          resolve((requests * batch.length) / 1048576 / seconds);
        }
      },
      pump,
    );
    t0 = process.hrtime.bigint();
    pump();
  });
}

/** Fetches the partition from offset 0 to its end with 1 MiB fetches, PIPELINE in flight; MB/s of record bytes. */
async function fetchRun(broker, topic, endOffset) {
  const batchesPerFetch = Math.floor(FETCH_BYTES / batch.length);
  const recordsPerFetch = batchesPerFetch * RECORDS_PER_BATCH;
  const fetches = Math.ceil(endOffset / recordsPerFetch);
  const fetchSpec = spec(1);
  let sent = 0;
  let answered = 0;
  let bytes = 0;
  let t0 = 0n;
  const request = i =>
    frame(1, 12, i + 1, {
      ...fetchSpec.defaultRequest(),
      replicaId: -1,
      maxWaitMs: 0,
      minBytes: 1,
      maxBytes: FETCH_BYTES,
      isolationLevel: 0,
      sessionId: 0,
      sessionEpoch: -1,
      topics: [{ topic, topicId: 'AAAAAAAAAAAAAAAAAAAAAA', partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: i * recordsPerFetch, lastFetchedEpoch: -1, logStartOffset: -1, partitionMaxBytes: FETCH_BYTES, replicaDirectoryId: 'AAAAAAAAAAAAAAAAAAAAAA', highWatermark: Number.MAX_VALUE }] }],
      forgottenTopicsData: [],
      rackId: '',
    });
  return new Promise(async resolve => {
    let sock;
    const pump = () => {
      if (answered === fetches) return;
      while (sent < fetches && sent - answered < PIPELINE) sock.write(request(sent++));
    };
    sock = await connect(
      broker.port,
      f => {
        const r = new Reader(f);
        r.int32();
        r.skipTaggedFields();
        const res = fetchSpec.decodeResponse(r, 12);
        bytes += res.responses[0].partitions[0].records.length;
        if (++answered === fetches) {
          const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
          sock.destroy();
          resolve(bytes / 1048576 / seconds);
        }
      },
      pump,
    );
    t0 = process.hrtime.bigint();
    pump();
  });
}

/** One produce run and one fetch run on a fresh broker; returns their MB/s. */
async function samsaRun(run) {
  const broker = await startBroker({ port: 0, config: { 'auto.create.topics.enable': 'false' } });
  const topic = `bench-${run}`;
  const cluster = broker.broker.cluster;
  const plan = cluster.planTopic({ name: topic, numPartitions: 1, replicationFactor: 1, assignments: null, configs: new Map() });
  cluster.createTopic(topic, plan.replicas, plan.configs);
  const produce = await produceRun(broker, topic);
  const fetch = process.env.NOFETCH ? 0 : await fetchRun(broker, topic, cluster.topic(topic).partitions[0].log.logEndOffset);
  await broker.close();
  return { produce, fetch };
}

async function dataPath() {
  await samsaRun('warmup');
  const produce = [];
  const fetch = [];
  const baseIngest = [];
  const baseEgress = [];
  for (let run = 0; run < RUNS; run++) {
    baseIngest.push(runBaseline('ingest'));
    baseEgress.push(runBaseline('egress'));
    const r = await samsaRun(run);
    produce.push(r.produce);
    fetch.push(r.fetch);
    if (process.env.VERBOSE) {
      console.log(`  run ${run}: produce ${r.produce.toFixed(0)} MB/s (baseline ingest ${baseIngest.at(-1)}), fetch ${r.fetch.toFixed(0)} MB/s (baseline egress ${baseEgress.at(-1)})`);
    }
  }
  return { produce: median(produce), fetch: median(fetch), baseIngest: median(baseIngest), baseEgress: median(baseEgress) };
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
  const child = spawn(process.execPath, [path.join(ROOT, 'bin/samsa'), 'start', '--port', String(port), '--log-level', 'warn'], { stdio: 'ignore' });
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
  return { ms: Number(process.hrtime.bigint() - t0) / 1e6, child };
}

async function startAndRss() {
  const times = [];
  let rss = 0;
  for (let i = 0; i < 5; i++) {
    const { ms, child } = await startOnce();
    times.push(ms);
    if (i === 4) {
      await new Promise(r => setTimeout(r, 1000));
      const status = fs.readFileSync(`/proc/${child.pid}/status`, 'utf8');
      rss = Number(/VmRSS:\s+(\d+)/.exec(status)[1]) / 1024;
    }
    child.kill('SIGTERM');
    await new Promise(r => child.once('exit', r));
  }
  return { startMs: median(times), rssMB: rss };
}

if (!fs.existsSync(BASELINE)) {
  console.error(`baseline not found at ${BASELINE}; set BASELINE=/path/to/baseline.mjs`);
  process.exit(1);
}
console.log(`samsa bench: ${TOTAL_MB} MB per run, ${RUNS} runs after a warm-up (medians), ${PIPELINE} requests in flight, ${RECORD_BYTES} B records in ${batch.length} B batches, broker and load in one process like the baseline`);
const d = await dataPath();
const s = await startAndRss();
const pct = (a, b) => `${Math.round((a / b) * 100)}%`;
const rows = [
  ['produce (memory)', `${d.produce.toFixed(0)} MB/s`, `baseline ingest ${d.baseIngest} MB/s`, pct(d.produce, d.baseIngest), '≥ 70%'],
  ['fetch (memory)', `${d.fetch.toFixed(0)} MB/s`, `baseline egress ${d.baseEgress} MB/s`, pct(d.fetch, d.baseEgress), ''],
  ['start to first ApiVersions', `${s.startMs.toFixed(0)} ms`, '', '', '≤ 150 ms'],
  ['idle RSS', `${s.rssMB.toFixed(1)} MB`, '', '', '≤ 60 MB'],
];
for (const r of rows) console.log(`${r[0].padEnd(28)} ${r[1].padStart(10)}   ${r[2].padEnd(28)} ${r[3].padStart(5)}  ${r[4]}`);
console.log(JSON.stringify({ produceMBps: Math.round(d.produce), fetchMBps: Math.round(d.fetch), baselineIngestMBps: d.baseIngest, baselineEgressMBps: d.baseEgress, produceRatio: +(d.produce / d.baseIngest).toFixed(3), fetchRatio: +(d.fetch / d.baseEgress).toFixed(3), startMs: Math.round(s.startMs), idleRssMB: +s.rssMB.toFixed(1) }));
