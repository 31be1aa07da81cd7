// Other clients against Samsa: kcat and confluent-kafka-python (both librdkafka 2.0.2),
// kafka-python 2.0.2 and kafkajs. Each produces keyed data (with headers), reads it back from the
// beginning, and looks offsets up by time with the exact offsets checked; then every client reads
// what every other one wrote. Samsa's own decoder over a raw Fetch is the reference every read is
// compared with, and the reference itself is checked against what was sent.
//
// A missing tool skips its tests with the reason, or fails them when SAMSA_REQUIRE_CROSS_CLIENT=1
// (CI installs them: apt-get install -y kcat python3-confluent-kafka python3-kafka). The Python
// libraries are the system's, so the scripts run with /usr/bin/python3, not whatever is on PATH.
import t, { type Test } from 'tap';
import { fileURLToPath } from 'node:url';
import { CompressionTypes, Kafka, Partitioners, logLevel, type Message } from 'kafkajs';
import { decodeBatches } from '../../src/protocol/records.js';
import { testBroker, testClient, waitFor } from '../helpers/broker.js';
import { crossClientTest } from '../helpers/cross-client.js';
import { PYTHON, runProcess } from '../helpers/processes.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- JSON from other processes and kafkajs internals */
const PY_DIR = fileURLToPath(new URL('./python/', import.meta.url));
const RUN_TIMEOUT_MS = 30_000;

/** A child process with a timeout, killed by its pid when it overruns or the test process exits (test/helpers/processes.ts). */
const run = (cmd: string, args: string[], input = '', timeoutMs = RUN_TIMEOUT_MS) => runProcess(cmd, args, { input, timeoutMs });

/** Runs a command that must succeed; returns its stdout. */
async function ok(cmd: string, args: string[], input = ''): Promise<string> {
  const r = await run(cmd, args, input);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} exited with ${r.code}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`);
  return r.stdout;
}

/** Why a tool cannot be used here, or null when it can. */
async function unavailable(cmd: string, args: string[]): Promise<string | null> {
  try {
    const r = await run(cmd, args, '', 10_000);
    return r.code === 0 ? null : `\`${cmd} ${args.join(' ')}\` exited with ${r.code}: ${r.stderr.trim().split('\n').pop()}`;
  } catch (err) {
    return `\`${cmd}\` cannot run: ${(err as Error).message}`;
  }
}

const [kcatMissing, confluentMissing, kafkaPythonMissing] = await Promise.all([
  unavailable('kcat', ['-V']),
  unavailable(PYTHON, ['-c', 'import confluent_kafka']),
  unavailable(PYTHON, ['-c', 'import kafka']),
]);

/** A subtest that needs a tool. */
const withTool = (name: string, missing: string | null, fn: (t: Test) => Promise<void>): void => crossClientTest(t, name, 'a tool', missing, fn);

// ---------------------------------------------------------------------------------------------
// Records as every client reports them.

type Header = [string, string | null];

interface Rec {
  topic: string;
  partition: number;
  offset: number;
  timestamp: number;
  key: string | null;
  value: string | null;
  headers: Header[];
}

interface Msg {
  key: string | null;
  value: string | null;
  partition?: number;
  timestamp?: number;
  headers?: Header[];
}

const byPosition = (a: Rec, b: Rec) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition || a.offset - b.offset);
const sorted = (recs: Rec[]) => [...recs].sort(byPosition);

const broker = await testBroker(t, { config: { 'num.partitions': 3, 'log.cleaner.backoff.ms': 20 } });
const kafka = new Kafka({ clientId: 'samsa-cross-client', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 3, initialRetryTime: 50 } });
const admin = kafka.admin();
await admin.connect();
t.teardown(() => admin.disconnect());
const raw = await testClient(t, broker);

/** topic → partitions, for every topic a client produced to (what the cross-reads read). */
const produced = new Map<string, number>();

async function createTopic(topic: string, partitions: number): Promise<void> {
  await admin.createTopics({ topics: [{ topic, numPartitions: partitions }] });
}

/** The reference read: a raw Fetch decoded by Samsa's decodeBatches, every partition to its high watermark. */
async function reference(topic: string): Promise<Rec[]> {
  const partitions = produced.get(topic);
  if (partitions === undefined) throw new Error(`no topic ${topic}`);
  const out: Rec[] = [];
  for (let p = 0; p < partitions; p++) {
    let offset = 0;
    for (;;) {
      const res = await raw.call(1, 12, {
        maxWaitMs: 0,
        minBytes: 0,
        maxBytes: 1 << 20,
        isolationLevel: 0,
        sessionEpoch: -1,
        topics: [{ topic, partitions: [{ partition: p, fetchOffset: offset, partitionMaxBytes: 1 << 20, currentLeaderEpoch: -1, lastFetchedEpoch: -1, logStartOffset: -1 }] }],
      });
      const part = res.responses[0].partitions[0];
      if (part.errorCode !== 0) throw new Error(`reference fetch of ${topic}/${p}: error ${part.errorCode}`);
      for (const b of decodeBatches(Buffer.concat([].concat(part.records)))) {
        for (const r of b.records) {
          if (r.offset < offset) continue;
          out.push({
            topic,
            partition: p,
            offset: r.offset,
            timestamp: r.timestamp,
            key: r.key?.toString() ?? null,
            value: r.value?.toString() ?? null,
            headers: r.headers.map(h => [h.key, h.value?.toString() ?? null]),
          });
        }
      }
      const next = out.length && out[out.length - 1]!.partition === p ? out[out.length - 1]!.offset + 1 : offset;
      if (next >= part.highWatermark || next === offset) break;
      offset = next;
    }
  }
  return out;
}

/**
 * Checks the reference read of `topic` against what was sent: `placed[i]` is where message i went
 * (its partition and offset, from the producer's report or known in advance), and every record
 * must carry that message's key, value, headers and (when given) timestamp.
 */
function checkAsSent(t: Test, ref: Rec[], msgs: Msg[], placed: { partition: number; offset: number }[], what: string): void {
  t.equal(ref.length, msgs.length, `${what}: every record is stored once`);
  const at = new Map(ref.map(r => [`${r.partition}/${r.offset}`, r]));
  const mismatches: unknown[] = [];
  msgs.forEach((m, i) => {
    const r = at.get(`${placed[i]!.partition}/${placed[i]!.offset}`);
    const want = { key: m.key, value: m.value, headers: m.headers ?? [], ...(m.timestamp === undefined ? {} : { timestamp: m.timestamp }) };
    const got = r && { key: r.key, value: r.value, headers: r.headers, ...(m.timestamp === undefined ? {} : { timestamp: r.timestamp }) };
    if (JSON.stringify(got) !== JSON.stringify(want)) mismatches.push({ message: i, placed: placed[i], want, got });
  });
  t.same(mismatches, [], `${what}: keys, values, headers and timestamps as sent, at the offsets reported`);
  const perPartition = new Map<number, number[]>();
  for (const r of ref) perPartition.set(r.partition, [...(perPartition.get(r.partition) ?? []), r.offset]);
  for (const [p, offsets] of perPartition) t.same(offsets, offsets.map((_, i) => i), `${what}: partition ${p} offsets are 0..${offsets.length - 1}`);
}

/** The first offset in `partition` whose timestamp is at or after `ts`, or null if none. */
function firstAtOrAfter(ref: Rec[], partition: number, ts: number): Rec | null {
  return ref.find(r => r.partition === partition && r.timestamp >= ts) ?? null;
}

/** Query times around every record of a topic: before all, on each record, between, and after the last. */
function queryTimes(ref: Rec[]): number[] {
  const times = new Set<number>();
  for (const r of ref) {
    times.add(r.timestamp - 1);
    times.add(r.timestamp);
    times.add(r.timestamp + 1);
  }
  return [...times].sort((a, b) => a - b);
}

/** Deterministic test data: keys repeat (so keyed partitioning shows), some keys or values are null. */
function messages(src: string, n: number, opts: { partitions?: number; base?: number; nullKeys?: boolean; nullValues?: boolean } = {}): Msg[] {
  return Array.from({ length: n }, (_, i) => {
    const m: Msg = {
      key: opts.nullKeys && i % 10 === 9 ? null : `${src}-key-${i % 5}`,
      value: opts.nullValues && i % 10 === 4 ? null : `${src} value ${i} ü ${'·'.repeat(i % 4)}`,
      headers: i % 6 === 5 ? [] : [['src', src], ['seq', String(i)], ...(i % 3 === 0 ? ([['dup', 'a'], ['dup', 'b']] as Header[]) : [])],
    };
    if (opts.partitions !== undefined) m.partition = i % opts.partitions;
    if (opts.base !== undefined) m.timestamp = opts.base + i * 10;
    return m;
  });
}

// ---------------------------------------------------------------------------------------------
// The clients, behind one shape: consume every record of some topics from the beginning.

const python = (script: string) => async (command: string, req: unknown): Promise<any> =>
  JSON.parse(await ok(PYTHON, [`${PY_DIR}${script}`, command, broker.bootstrap], JSON.stringify(req)));
const confluent = python('confluent_client.py');
const kafkaPython = python('kafka_python_client.py');

async function kcatConsume(topics: string[]): Promise<Rec[]> {
  const out: Rec[] = [];
  for (const topic of topics) {
    const lines = await ok('kcat', ['-b', broker.bootstrap, '-C', '-t', topic, '-o', 'beginning', '-e', '-J', '-q', '-m', '10']);
    for (const line of lines.split('\n')) if (line.trim()) out.push(fromKcat(JSON.parse(line)));
  }
  return out;
}

function fromKcat(j: any): Rec {
  const headers: Header[] = [];
  const h: (string | null)[] = j.headers ?? [];
  for (let i = 0; i < h.length; i += 2) headers.push([h[i]!, h[i + 1] ?? null]);
  return { topic: j.topic, partition: j.partition, offset: j.offset, timestamp: j.ts, key: j.key, value: j.payload, headers };
}

/** kafkajs without a consumer group: its low-level Broker's Fetch, through the client's private cluster factory. */
async function kafkajsConsume(topics: string[]): Promise<Rec[]> {
  const factory = Object.getOwnPropertySymbols(kafka).find(s => s.description === 'private:Kafka:createCluster');
  if (!factory) throw new Error('kafkajs internals changed: no createCluster symbol');
  const cluster = (kafka as any)[factory]({ metadataMaxAge: 300000, allowAutoTopicCreation: false });
  await cluster.connect();
  try {
    const out: Rec[] = [];
    for (const topic of topics) {
      await cluster.addTargetTopic(topic);
      await cluster.refreshMetadata();
      for (const meta of cluster.findTopicPartitionMetadata(topic)) {
        const b = await cluster.findBroker({ nodeId: meta.leader });
        let offset = 0;
        for (;;) {
          const res = await b.fetch({
            replicaId: -1,
            isolationLevel: 1,
            maxWaitTime: 0,
            topics: [{ topic, partitions: [{ partition: meta.partitionId, fetchOffset: String(offset), maxBytes: 1 << 20 }] }],
          });
          const part = res.responses[0].partitions[0];
          let next = offset;
          for (const m of part.messages) {
            if (Number(m.offset) < offset) continue;
            const headers: Header[] = [];
            for (const [k, v] of Object.entries(m.headers ?? {})) {
              for (const one of Array.isArray(v) ? v : [v]) headers.push([k, one === null || one === undefined ? null : String(one)]);
            }
            out.push({
              topic,
              partition: meta.partitionId,
              offset: Number(m.offset),
              timestamp: Number(m.timestamp),
              key: m.key === null ? null : m.key.toString(),
              value: m.value === null ? null : m.value.toString(),
              headers,
            });
            next = Number(m.offset) + 1;
          }
          if (next >= Number(part.highWatermark) || next === offset) break;
          offset = next;
        }
      }
    }
    return out;
  } finally {
    await cluster.disconnect();
  }
}

const consumers: { name: string; missing: string | null; consume: (topics: string[]) => Promise<Rec[]> }[] = [
  { name: 'kafkajs', missing: null, consume: kafkajsConsume },
  { name: 'kcat', missing: kcatMissing, consume: kcatConsume },
  { name: 'confluent-kafka-python', missing: confluentMissing, consume: topics => confluent('consume', { topics: Object.fromEntries(topics.map(x => [x, produced.get(x)])) }) },
  { name: 'kafka-python', missing: kafkaPythonMissing, consume: topics => kafkaPython('consume', { topics: Object.fromEntries(topics.map(x => [x, produced.get(x)])) }) },
];

// Explicit timestamps an hour back, 10 ms apart, so lookups by time have exact answers.
const BASE = Math.floor((Date.now() - 3_600_000) / 1000) * 1000;

// ---------------------------------------------------------------------------------------------

withTool('kcat', kcatMissing, async t => {
  const topic = 'from-kcat';
  await createTopic(topic, 3);
  produced.set(topic, 3);
  // kcat sets headers per run, and its records carry the time they were sent, so each partition
  // is written by three runs (three batches, a few ms apart): keys split off at ':', empty keys
  // and values sent as null (-Z); one run gzip-compressed
  const msgs: Msg[] = [];
  const placed: { partition: number; offset: number }[] = [];
  for (let p = 0; p < 3; p++) {
    for (let run = 0; run < 3; run++) {
      const headers: Header[] = [['src', 'kcat'], ['part', String(p)], ['run', String(run)]];
      const lines: string[] = [];
      for (let j = 0; j < 4; j++) {
        const i = run * 4 + j;
        const key = i % 7 === 6 ? null : `kcat-key-${i % 4}`;
        const value = i % 5 === 4 ? null : `kcat ${p}/${i} ü`;
        lines.push(`${key ?? ''}:${value ?? ''}`);
        msgs.push({ key, value, headers });
        placed.push({ partition: p, offset: i });
      }
      const args = ['-b', broker.bootstrap, '-P', '-t', topic, '-p', String(p), '-K', ':', '-Z', ...headers.flatMap(([k, v]) => ['-H', `${k}=${v}`])];
      await ok('kcat', [...args, ...(p === 1 && run === 1 ? ['-z', 'gzip'] : [])], lines.join('\n') + '\n');
    }
  }
  const ref = await reference(topic);
  checkAsSent(t, ref, msgs, placed, 'kcat → Samsa');

  t.same(sorted(await kcatConsume([topic])), ref, 'kcat reads back what it wrote');

  // without -p, librdkafka's partitioner places by key: one key, one partition
  await createTopic('kcat-keyed', 4);
  produced.set('kcat-keyed', 4);
  const keyedLines = Array.from({ length: 40 }, (_, i) => `k${i % 8}:v${i}`);
  await ok('kcat', ['-b', broker.bootstrap, '-P', '-t', 'kcat-keyed', '-K', ':'], keyedLines.join('\n') + '\n');
  const keyed = await reference('kcat-keyed');
  t.equal(keyed.length, 40);
  const home = new Map<string, Set<number>>();
  for (const r of keyed) home.set(r.key!, (home.get(r.key!) ?? new Set()).add(r.partition));
  t.same([...home.values()].map(s => s.size), Array(8).fill(1), 'every key lands in exactly one partition');
  t.same(keyed.filter(r => r.key === 'k3').map(r => r.value), [3, 11, 19, 27, 35].map(i => `v${i}`), 'in the order sent');

  // offsets by time, -Q: the first offset at or after the time, -1 after the last record (a run
  // names each partition once, so each run asks one time per partition)
  const times = [0, 1, 2].map(p => queryTimes(ref.filter(r => r.partition === p)));
  const lookups: { partition: number; ts: number; got: number; want: number }[] = [];
  for (let i = 0; i < Math.max(...times.map(x => x.length)); i++) {
    const round = [0, 1, 2].filter(p => times[p]![i] !== undefined);
    const out = await ok('kcat', ['-b', broker.bootstrap, '-Q', ...round.flatMap(p => ['-t', `${topic}:${p}:${times[p]![i]}`])]);
    for (const p of round) {
      const m = new RegExp(`^${topic} \\[${p}\\] offset (-?\\d+)$`, 'm').exec(out);
      const ts = times[p]![i]!;
      lookups.push({ partition: p, ts, got: m ? Number(m[1]) : NaN, want: firstAtOrAfter(ref, p, ts)?.offset ?? -1 });
    }
  }
  t.same(lookups.filter(l => l.got !== l.want), [], `kcat -Q: ${lookups.length} lookups exact`);
  // -o s@<ts>: consuming starts at the first record at or after the time (here: the last run's)
  const p0 = ref.filter(r => r.partition === 0);
  const from = firstAtOrAfter(ref, 0, p0[8]!.timestamp)!.offset;
  const fromTime = (await ok('kcat', ['-b', broker.bootstrap, '-C', '-t', topic, '-p', '0', '-o', `s@${p0[8]!.timestamp}`, '-e', '-J', '-q']))
    .split('\n')
    .filter(Boolean)
    .map(l => fromKcat(JSON.parse(l)));
  t.same(fromTime, p0.filter(r => r.offset >= from), `-o s@<time of offset 8>: from offset ${from}`);
});

withTool('confluent-kafka-python', confluentMissing, async t => {
  const topic = 'from-confluent';
  await createTopic(topic, 3);
  produced.set(topic, 3);
  // explicit partitions and timestamps for most, the partitioner's choice by key for the rest
  const msgs = messages('confluent', 36, { base: BASE, nullKeys: true, nullValues: true });
  msgs.forEach((m, i) => {
    if (i < 24) m.partition = i % 3;
  });
  const reports: any[] = await confluent('produce', { topic, messages: msgs, compression: 'gzip', acks: -1 });
  t.same(reports.filter(r => r.error), [], 'every message delivered');
  checkAsSent(t, await reference(topic), msgs, reports, 'confluent → Samsa');
  t.same(reports.slice(0, 24).map(r => r.partition), msgs.slice(0, 24).map(m => m.partition), 'explicit partitions honoured');
  const home = new Map<string | null, Set<number>>();
  msgs.forEach((m, i) => {
    if (i >= 24 && m.key !== null) home.set(m.key, (home.get(m.key) ?? new Set()).add(reports[i].partition));
  });
  t.ok([...home.values()].every(s => s.size === 1), 'keyed messages: one key, one partition');
  t.same(reports.map(r => r.timestamp), msgs.map(m => m.timestamp), 'create timestamps as given');

  const ref = await reference(topic);
  t.same(sorted(await confluent('consume', { topics: { [topic]: 3 } })), ref, 'confluent reads back what it wrote');

  // acks=0 and acks=1 land too
  await createTopic('confluent-acks', 1);
  produced.set('confluent-acks', 1);
  await confluent('produce', { topic: 'confluent-acks', acks: 0, messages: [{ key: 'a', value: 'acks0', partition: 0 }] });
  await confluent('produce', { topic: 'confluent-acks', acks: 1, messages: [{ key: 'b', value: 'acks1', partition: 0 }] });
  t.same((await reference('confluent-acks')).map(r => [r.offset, r.key, r.value]), [[0, 'a', 'acks0'], [1, 'b', 'acks1']]);

  // enable.idempotence=true: librdkafka asks for a producer id and numbers its batches
  await createTopic('confluent-idempotent', 2);
  produced.set('confluent-idempotent', 2);
  const idem = messages('confluent-idem', 40, { partitions: 2, base: BASE });
  const idemReports: any[] = await confluent('produce', { topic: 'confluent-idempotent', messages: idem, acks: -1, idempotent: true });
  t.same(idemReports.filter(r => r.error), [], 'idempotent: every message delivered');
  checkAsSent(t, await reference('confluent-idempotent'), idem, idemReports, 'confluent idempotent → Samsa');

  // offsets_for_times: the first offset at or after the time, -1 (OFFSET_END) after the last
  const queries = [0, 1, 2].flatMap(p => queryTimes(ref.filter(r => r.partition === p)).map(timestamp => ({ partition: p, timestamp })));
  const answers: any[] = await confluent('offsets_for_times', { topic, queries });
  t.same(
    answers,
    queries.map(q => ({ ...q, offset: firstAtOrAfter(ref, q.partition, q.timestamp)?.offset ?? -1, error: null })),
    `offsets_for_times: ${answers.length} lookups exact`,
  );
});

// Samsa stores and serves batches as sent, so codecs it cannot decompress itself (snappy, zstd:
// Node 20 has neither) still pass through intact. (lz4 is not tried: librdkafka 2.0.2 gates lz4 on
// FindCoordinator being advertised, which it is not until consumer groups are built, and sends
// such batches uncompressed.)
withTool('snappy and zstd batches pass through (confluent-kafka-python, kcat)', confluentMissing ?? kcatMissing, async t => {
  const topic = 'librdkafka-codecs';
  await createTopic(topic, 2);
  const codecs = ['snappy', 'zstd'] as const;
  const sent: Msg[][] = [];
  for (const [p, compression] of codecs.entries()) {
    // compressible values, so librdkafka keeps the compressed form
    const msgs = Array.from({ length: 6 }, (_, i): Msg => ({ key: `${compression}-${i}`, value: `${compression} ${i} ${'abc'.repeat(100)}`, partition: p, timestamp: BASE + i * 10, headers: [['codec', compression]] }));
    await confluent('produce', { topic, messages: msgs, compression, linger_ms: 100 });
    sent.push(msgs);
  }
  const res = await raw.call(1, 12, {
    maxWaitMs: 0,
    minBytes: 0,
    maxBytes: 1 << 20,
    isolationLevel: 0,
    sessionEpoch: -1,
    topics: [{ topic, partitions: [0, 1].map(partition => ({ partition, fetchOffset: 0, partitionMaxBytes: 1 << 20, currentLeaderEpoch: -1, lastFetchedEpoch: -1, logStartOffset: -1 })) }],
  });
  const codecOf = (records: Buffer | Buffer[]) => Buffer.concat(([] as Buffer[]).concat(records)).readInt16BE(21) & 7;
  t.same(res.responses[0].partitions.map((p: any) => codecOf(p.records)), [2, 4], 'stored as snappy and zstd batches');
  const want = sent.flatMap((msgs, p) => msgs.map((m, offset) => ({ topic, partition: p, offset, timestamp: m.timestamp!, key: m.key, value: m.value, headers: m.headers! })));
  t.same(sorted(await confluent('consume', { topics: { [topic]: 2 } })), want, 'confluent-kafka-python reads them back');
  t.same(sorted(await kcatConsume([topic])), want, 'kcat reads them back');
  t.test('offsets by time inside such a batch are exact', { todo: 'Samsa cannot decompress snappy/lz4/zstd in Node 20, so it answers lookups by time at batch granularity (the batch base offset); Kafka answers the record' }, async t => {
    const got: any[] = await confluent('offsets_for_times', { topic, queries: [0, 1].map(partition => ({ partition, timestamp: BASE + 30 })) });
    t.same(got.map(g => g.offset), [3, 3]);
  });
});

withTool('kafka-python', kafkaPythonMissing, async t => {
  const topic = 'from-kafka-python';
  await createTopic(topic, 3);
  produced.set(topic, 3);
  // kafka-python refuses a message with neither key nor value, so keys are never null here
  const msgs = messages('kafka-python', 36, { base: BASE + 5, nullValues: true });
  msgs.forEach((m, i) => {
    if (i < 24) m.partition = i % 3;
  });
  const reports: any[] = await kafkaPython('produce', { topic, messages: msgs, compression: 'gzip', acks: -1 });
  checkAsSent(t, await reference(topic), msgs, reports, 'kafka-python → Samsa');
  t.same(reports.slice(0, 24).map(r => r.partition), msgs.slice(0, 24).map(m => m.partition), 'explicit partitions honoured');
  const home = new Map<string | null, Set<number>>();
  msgs.forEach((m, i) => {
    if (i >= 24) home.set(m.key, (home.get(m.key) ?? new Set()).add(reports[i].partition));
  });
  t.ok([...home.values()].every(s => s.size === 1), 'keyed messages: one key, one partition');

  const ref = await reference(topic);
  t.same(sorted(await kafkaPython('consume', { topics: { [topic]: 3 } })), ref, 'kafka-python reads back what it wrote');

  // offsets_for_times: OffsetAndTimestamp of the first record at or after the time, None after the last
  const queries = [0, 1, 2].flatMap(p => queryTimes(ref.filter(r => r.partition === p)).map(timestamp => ({ partition: p, timestamp })));
  const answers: any[] = await kafkaPython('offsets_for_times', { topic, queries });
  t.same(
    answers,
    queries.map(q => {
      const r = firstAtOrAfter(ref, q.partition, q.timestamp);
      return { ...q, offset: r?.offset ?? null, found_timestamp: r?.timestamp ?? null };
    }),
    `offsets_for_times: ${answers.length} lookups exact, with the records' timestamps`,
  );
});

t.test('kafkajs produces for the others', async t => {
  const topic = 'from-kafkajs';
  await createTopic(topic, 3);
  produced.set(topic, 3);
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  t.teardown(() => producer.disconnect());
  const msgs = messages('kafkajs', 30, { partitions: 3, base: BASE + 7, nullKeys: true, nullValues: true }).map(m => ({
    ...m,
    // kafkajs headers are an object: one entry per name, repeated names as arrays
    headers: m.headers?.filter(([k]) => k !== 'dup'),
  }));
  const toKafkajs = (m: Msg): Message => ({
    key: m.key,
    value: m.value,
    partition: m.partition,
    timestamp: String(m.timestamp),
    headers: Object.fromEntries((m.headers ?? []).map(([k, v]) => [k, v ?? undefined])),
  });
  const half = msgs.length / 2;
  const first = await producer.send({ topic, acks: -1, compression: CompressionTypes.GZIP, messages: msgs.slice(0, half).map(toKafkajs) });
  const second = await producer.send({ topic, acks: 1, messages: msgs.slice(half).map(toKafkajs) });
  const counts = new Map<number, number>();
  const placed = msgs.map(m => {
    const offset = counts.get(m.partition!) ?? 0;
    counts.set(m.partition!, offset + 1);
    return { partition: m.partition!, offset };
  });
  t.same(first.map(r => [r.partition, r.baseOffset]).sort(), [[0, '0'], [1, '0'], [2, '0']]);
  t.same(second.map(r => [r.partition, r.baseOffset]).sort(), [[0, '5'], [1, '5'], [2, '5']]);
  checkAsSent(t, await reference(topic), msgs, placed, 'kafkajs → Samsa');
});

// A compacted topic, cleaned before the others read it: every client must step over the gaps
// cleaning leaves (the log still starts at offset 0, the first record kept is at 30) and see
// a gzip batch the cleaner rebuilt (round 3: its tombstone got a delete horizon), and a tombstone.
t.test('a compacted topic, cleaned, for the others', async t => {
  const topic = 'compacted';
  await admin.createTopics({
    topics: [{ topic, numPartitions: 1, configEntries: [{ name: 'cleanup.policy', value: 'compact' }, { name: 'segment.ms', value: '1000' }, { name: 'min.cleanable.dirty.ratio', value: '0.01' }] }],
  });
  produced.set(topic, 1);
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  t.teardown(() => producer.disconnect());
  // five batches 2 s apart by their timestamps (so each starts a segment), keys k0..k9 in the
  // first four, k0..k4 in the last; k9's last value is a tombstone
  for (let round = 0; round < 5; round++) {
    const messages = Array.from({ length: round === 4 ? 5 : 10 }, (_, k) => ({
      key: `k${k}`,
      value: round === 3 && k === 9 ? null : `round ${round} k${k}`,
      partition: 0,
      timestamp: String(BASE + round * 2000 + k),
    }));
    await producer.send({ topic, acks: -1, compression: round % 2 === 1 ? CompressionTypes.GZIP : CompressionTypes.None, messages });
  }
  // the last batch is the active segment, which the cleaner neither cleans nor maps: rounds 0-2
  // are superseded by round 3, which stays whole, as does round 4
  const want = [...Array.from({ length: 10 }, (_, k) => [30 + k, `k${k}`, k === 9 ? null : `round 3 k${k}`]), ...[0, 1, 2, 3, 4].map(k => [40 + k, `k${k}`, `round 4 k${k}`])];
  const got = await waitFor(async () => {
    const ref = (await reference(topic)).map(r => [r.offset, r.key, r.value]);
    return ref.length === want.length ? ref : null;
  }, 10_000, 'the cleaner to compact the topic');
  t.same(got, want, 'the reference read shows the compacted log: the latest value of each key, the tombstone, the offsets as written');
  const offsets = await admin.fetchTopicOffsets(topic);
  t.same(offsets.map(o => [o.low, o.high]), [['0', '45']], 'the log still starts at 0 and ends at 45');
});

// Every client reads every topic every other client wrote, and sees exactly the reference.
for (const c of consumers) {
  withTool(`${c.name} reads what the others wrote`, c.missing, async t => {
    const topics = [...produced.keys()].sort();
    t.ok(topics.includes('from-kafkajs'), 'kafkajs data is among them');
    const want: Rec[] = [];
    for (const topic of topics) want.push(...(await reference(topic)));
    const got = sorted(await c.consume(topics));
    for (const topic of topics) {
      t.same(got.filter(r => r.topic === topic), want.filter(r => r.topic === topic), `${c.name} reads ${topic} as stored`);
    }
  });
}

// Lookups by time on data another client wrote: each client asks about the kafkajs topic.
withTool('offsets by time across clients', confluentMissing ?? kafkaPythonMissing ?? kcatMissing, async t => {
  const topic = 'from-kafkajs';
  const ref = await reference(topic);
  const probes = [BASE, BASE + 7, BASE + 8, BASE + 150, BASE + 157, BASE + 296, BASE + 297, BASE + 298, BASE + 10_000];
  const queries = probes.flatMap(timestamp => [0, 1, 2].map(partition => ({ partition, timestamp })));
  const want = queries.map(q => firstAtOrAfter(ref, q.partition, q.timestamp)?.offset ?? -1);
  const cf: any[] = await confluent('offsets_for_times', { topic, queries });
  t.same(cf.map(x => x.offset), want, 'confluent-kafka-python');
  const kp: any[] = await kafkaPython('offsets_for_times', { topic, queries });
  t.same(kp.map(x => x.offset ?? -1), want, 'kafka-python');
  const kc: number[] = [];
  for (const ts of probes) {
    const out = await ok('kcat', ['-b', broker.bootstrap, '-Q', ...[0, 1, 2].flatMap(p => ['-t', `${topic}:${p}:${ts}`])]);
    for (const p of [0, 1, 2]) kc.push(Number(new RegExp(`\\[${p}\\] offset (-?\\d+)`).exec(out)?.[1]));
  }
  t.same(kc, want, 'kcat');
  const kj: number[] = [];
  for (const ts of probes) {
    const got = await admin.fetchTopicOffsetsByTimestamp(topic, ts);
    for (const p of [0, 1, 2]) kj.push(Number(got.find(o => o.partition === p)!.offset));
  }
  // kafkajs answers the high watermark where Kafka has no record
  t.same(kj, want.map((o, i) => (o < 0 ? ref.filter(r => r.partition === queries[i]!.partition).length : o)), 'kafkajs');
});
