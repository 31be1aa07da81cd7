#!/usr/bin/env node
// `npm run bench`: Samsa's data path beside the machine's physical limit (../shared/bench/baseline.mjs),
// measured in the same run and reported as ratios, because this machine is noisy.
//   produce: 1 KiB records in 16 KiB batches to one partition, PIPELINE requests in flight, acks=1
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
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SELF = fileURLToPath(import.meta.url);
const BASELINE = process.env.BASELINE ?? path.resolve(ROOT, '../shared/bench/baseline.mjs');
const TOTAL_MB = Number(process.env.TOTAL_MB ?? 256);
const RUNS = Number(process.env.RUNS ?? 5);
const PIPELINE = Number(process.env.PIPELINE ?? 8);
const WARMUP_MB = 32;
const RECORD_BYTES = 1024;
const RECORDS_PER_BATCH = 16;
const FETCH_BYTES = 1024 * 1024;
const ZERO_UUID = 'AAAAAAAAAAAAAAAAAAAAAA';

const median = xs => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const { startBroker, encodeRecordBatch, API_SPECS, Writer, Reader } = await import(path.join(ROOT, 'dist/index.js'));
const spec = key => API_SPECS.find(s => s.key === key);

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

const value = Buffer.alloc(RECORD_BYTES, 120);
const batch = encodeRecordBatch(Array.from({ length: RECORDS_PER_BATCH }, (_, i) => ({ key: `key-${i}`, value })));

/**
 * Sends `requests` requests over one connection with PIPELINE in flight, refilling the window
 * once per read (as a client does); `onResponse` sees each response frame. Resolves with seconds.
 */
function pipeline(port, requests, requestAt, onResponse) {
  return new Promise((resolve, reject) => {
    let sent = 0;
    let answered = 0;
    let t0 = 0n;
    // reads of an incomplete response frame, joined once the frame is whole
    let pending = [];
    let pendingBytes = 0;
    let need = 4;
    const sock = net.connect(port, '127.0.0.1', () => {
      t0 = process.hrtime.bigint();
      pump();
    });
    sock.setNoDelay(true);
    sock.once('error', reject);
    const pump = () => {
      while (sent < requests && sent - answered < PIPELINE) sock.write(requestAt(sent++));
    };
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
        answered++;
        pos += 4 + size;
      }
      buf = buf.subarray(pos);
      pending = buf.length ? [buf] : [];
      pendingBytes = buf.length;
      need = buf.length >= 4 ? 4 + buf.readInt32BE(0) : 4;
      if (answered === requests) {
        sock.destroy();
        resolve(Number(process.hrtime.bigint() - t0) / 1e9);
      } else pump();
    });
  });
}

/** Produces `mb` MB of batches to partition 0 of `topic`; returns MB/s of batch bytes. */
async function produce(port, topic, mb) {
  const requests = Math.ceil((mb * 1048576) / batch.length);
  const request = frame(0, 9, 1, {
    transactionalId: null,
    acks: 1,
    timeoutMs: 30000,
    topicData: [{ name: topic, topicId: ZERO_UUID, partitionData: [{ index: 0, records: batch }] }],
  });
  const seconds = await pipeline(port, requests, () => request, () => {});
  return (requests * batch.length) / 1048576 / seconds;
}

/** Fetches partition 0 of `topic` from offset 0 to `endOffset` with 1 MiB fetches; returns MB/s of record bytes. */
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
  const seconds = await pipeline(port, Math.ceil(endOffset / recordsPerFetch), request, f => {
    const r = new Reader(f);
    r.int32();
    r.skipTaggedFields();
    bytes += fetchSpec.decodeResponse(r, 12).responses[0].partitions[0].records.length;
  });
  return bytes / 1048576 / seconds;
}

/** The child side: one broker, a warm-up topic, then the measured produce and fetch. */
async function child() {
  const broker = await startBroker({ port: 0 });
  const cluster = broker.broker.cluster;
  for (const name of ['warmup', 'bench']) {
    const plan = cluster.planTopic({ name, numPartitions: 1, replicationFactor: 1, assignments: null, configs: new Map() });
    cluster.createTopic(name, plan.replicas, plan.configs);
  }
  await produce(broker.port, 'warmup', WARMUP_MB);
  await fetch(broker.port, 'warmup', cluster.topic('warmup').partitions[0].log.logEndOffset);
  const produceMBps = await produce(broker.port, 'bench', TOTAL_MB);
  const fetchMBps = await fetch(broker.port, 'bench', cluster.topic('bench').partitions[0].log.logEndOffset);
  process.stdout.write(`${JSON.stringify({ produceMBps, fetchMBps })}\n`);
  process.exit(0);
}

const lastJson = out => JSON.parse(out.trim().split('\n').pop());

function runBaseline(mode) {
  return lastJson(execFileSync(process.execPath, [BASELINE, mode], { env: { ...process.env, TOTAL_MB: String(TOTAL_MB), SINK: 'memory' }, encoding: 'utf8' })).MBps;
}

function runSamsa() {
  return lastJson(execFileSync(process.execPath, [SELF, '--child'], { encoding: 'utf8' }));
}

async function dataPath() {
  const rows = [];
  for (let run = 0; run < RUNS; run++) {
    const row = { ingest: runBaseline('ingest'), egress: runBaseline('egress'), ...runSamsa() };
    rows.push(row);
    if (process.env.VERBOSE) {
      console.log(`  run ${run}: produce ${row.produceMBps.toFixed(0)} MB/s (baseline ingest ${row.ingest}), fetch ${row.fetchMBps.toFixed(0)} MB/s (baseline egress ${row.egress})`);
    }
  }
  return {
    produce: median(rows.map(r => r.produceMBps)),
    fetch: median(rows.map(r => r.fetchMBps)),
    baseIngest: median(rows.map(r => r.ingest)),
    baseEgress: median(rows.map(r => r.egress)),
    // the median of each run's own ratio: each pair was measured back to back
    produceRatio: median(rows.map(r => r.produceMBps / r.ingest)),
    fetchRatio: median(rows.map(r => r.fetchMBps / r.egress)),
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

if (process.argv.includes('--child')) {
  await child();
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
  const pct = x => `${Math.round(x * 100)}%`;
  const rows = [
    ['produce (memory)', `${d.produce.toFixed(0)} MB/s`, `baseline ingest ${d.baseIngest} MB/s`, pct(d.produceRatio), '≥ 70%'],
    ['fetch (memory)', `${d.fetch.toFixed(0)} MB/s`, `baseline egress ${d.baseEgress} MB/s`, pct(d.fetchRatio), ''],
    ['start to first ApiVersions', `${s.startMs.toFixed(0)} ms`, '', '', '≤ 150 ms'],
    ['idle RSS', `${s.rssMB.toFixed(1)} MB`, '', '', '≤ 60 MB'],
  ];
  for (const r of rows) console.log(`${r[0].padEnd(28)} ${r[1].padStart(10)}   ${r[2].padEnd(28)} ${r[3].padStart(5)}  ${r[4]}`);
  console.log(
    JSON.stringify({
      produceMBps: Math.round(d.produce),
      fetchMBps: Math.round(d.fetch),
      baselineIngestMBps: d.baseIngest,
      baselineEgressMBps: d.baseEgress,
      produceRatio: +d.produceRatio.toFixed(3),
      fetchRatio: +d.fetchRatio.toFixed(3),
      startMs: Math.round(s.startMs),
      idleRssMB: +s.rssMB.toFixed(1),
    }),
  );
}
