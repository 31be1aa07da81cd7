// Bad input never crashes the broker. For every API key and every version Samsa decodes, random
// valid requests are built from the protocol specs; then thousands of frames go to the broker:
// valid ones, mutated ones (bit flips, byte overwrites, length fields set to extreme values, a
// different version or API key in the header, a wrong size prefix), truncated ones, and random
// garbage, spread over connections that are replaced whenever the broker closes one. Afterwards
// the broker must still answer on a fresh connection, no handler may have thrown (a throw is a bug,
// logged at error level), and the process must have seen no uncaught exception or rejection.
//
// Budget: SAMSA_FUZZ_SECONDS (default 3). The run is seeded: SAMSA_FUZZ_SEED=<n> replays the same
// sequence of frames (the seed is printed; connection timing can still differ between runs).
import t from 'tap';
import net from 'node:net';
import { randomInt } from 'node:crypto';
import { Writable } from 'node:stream';
import pino from 'pino';
// @ts-expect-error -- plain ESM module without types
import { loadSpecs } from '../protocol/dsl.mjs';
import { API_SPECS } from '../src/protocol/messages/index.js';
import { encodeRecordBatch } from '../src/protocol/records.js';
import { testBroker, testClient } from './helpers/broker.js';
import { requestFrame, TestClient } from './helpers/client.js';
import { batch, createTopic, fetchOne, produce, valuesOf } from './helpers/kafka.js';
import { randomStruct, type Spec, type Struct } from './helpers/random-messages.js';

const SECONDS = Number(process.env.SAMSA_FUZZ_SECONDS ?? 3);
const SEED = process.env.SAMSA_FUZZ_SEED !== undefined ? Number(process.env.SAMSA_FUZZ_SEED) >>> 0 : randomInt(0x7fffffff);
const CONNECTIONS = 8;
/** Frames sent on one connection before it is replaced (so a stalled one does not hold the run). */
const FRAMES_PER_CONNECTION = 64;

// Anything that escapes the broker's error handling reaches these.
const escaped: unknown[] = [];
const onUncaught = (err: unknown) => escaped.push(err);
process.on('uncaughtException', onUncaught);
process.on('unhandledRejection', onUncaught);
t.teardown(() => {
  process.off('uncaughtException', onUncaught);
  process.off('unhandledRejection', onUncaught);
});

/** mulberry32: a small seeded generator, so a run can be replayed from its seed. */
function generator(seed: number) {
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = a;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number): number => Math.floor(next() * n);
  const bytes = (n: number): Buffer => {
    const b = Buffer.allocUnsafe(n);
    for (let i = 0; i < n; i++) b[i] = int(256);
    return b;
  };
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!;
  return { next, int, bytes, pick };
}

const rng = generator(SEED);

/**
 * random-messages draws bytes and uuids from crypto; replace them with seeded ones so that the
 * seed decides every frame. Produce's records are sometimes real batches, to reach the
 * validation behind the CRC.
 */
function reseed(s: Struct, m: Record<string, unknown>): void {
  for (const f of s.fields) {
    const v = m[f.name];
    if (v === null || v === undefined) continue;
    if (f.type === 'struct') reseed(f.struct!, v as Record<string, unknown>);
    else if (f.type === 'array') {
      const arr = v as unknown[];
      for (let i = 0; i < arr.length; i++) {
        if (f.elem === 'struct') reseed(f.struct!, arr[i] as Record<string, unknown>);
        else arr[i] = reseedPrimitive(f.elem!, arr[i]);
      }
    } else m[f.name] = reseedPrimitive(f.type, v);
  }
}

function reseedPrimitive(type: string, v: unknown): unknown {
  if (type === 'records' && rng.int(2) === 0) {
    const n = 1 + rng.int(4);
    return encodeRecordBatch(Array.from({ length: n }, (_, i) => ({ key: rng.int(2) ? `k${i}` : null, value: rng.bytes(rng.int(40)), headers: rng.int(2) ? [{ key: 'h', value: 'v' }] : [] })));
  }
  if (Buffer.isBuffer(v)) return rng.bytes(v.length);
  if (type === 'uuid' && typeof v === 'string' && v !== 'AAAAAAAAAAAAAAAAAAAAAA') return rng.bytes(16).toString('base64url');
  return v;
}

interface Seed {
  key: number;
  version: number;
  frame: Buffer;
}

/** Valid frames: a few random requests for every API and every version the broker decodes. */
function validFrames(): Seed[] {
  const specs: Spec[] = loadSpecs();
  const out: Seed[] = [];
  for (const api of API_SPECS) {
    const spec = specs.find(s => s.key === api.key)!;
    for (let v = api.minVersion; v <= api.maxVersion; v++) {
      for (let i = 0; i < 3; i++) {
        const body = randomStruct(spec.request, v);
        reseed(spec.request, body);
        out.push({ key: api.key, version: v, frame: requestFrame(api.key, v, rng.int(0x7fffffff), body, rng.pick(['fuzz', null, '', 'ü'.repeat(rng.int(40))])) });
      }
    }
  }
  return out;
}

const INTERESTING_32 = [0, 1, -1, 0x7fffffff, -0x80000000, 0xffff, 0x10000, 0x7fff, 0x8000];
const INTERESTING_16 = [0, 1, -1, 0x7fff, -0x8000, 0xff, 0x100];

/** One frame of bad input, derived from a valid one (or from nothing). */
function mutate(seeds: Seed[]): { kind: string; bytes: Buffer } {
  const s = rng.pick(seeds);
  const f = Buffer.from(s.frame);
  const body = () => 4 + 8 + rng.int(Math.max(1, f.length - 12)); // a position past size, key, version, correlation id
  const fixSize = (b: Buffer) => (b.writeInt32BE(b.length - 4, 0), b);
  switch (rng.int(11)) {
    case 0:
      return { kind: 'valid', bytes: f };
    case 1: {
      const flips = 1 + rng.int(8);
      for (let i = 0; i < flips && f.length > 4; i++) {
        const at = 4 + rng.int(f.length - 4);
        f[at]! ^= 1 << rng.int(8);
      }
      return { kind: 'bit flips', bytes: f };
    }
    case 2: {
      const n = 1 + rng.int(6);
      for (let i = 0; i < n && f.length > 12; i++) f[body()] = rng.int(256);
      return { kind: 'byte overwrites', bytes: f };
    }
    case 3: {
      // a length field (string, bytes, array, varint) set to an extreme: write one at a random spot
      const at = body();
      if (rng.int(2) === 0 && at + 4 <= f.length) f.writeInt32BE(rng.pick(INTERESTING_32) | 0, at);
      else if (at + 2 <= f.length) f.writeInt16BE(rng.pick(INTERESTING_16), at);
      else if (at < f.length) f[at] = rng.pick([0x00, 0x7f, 0x80, 0xff]);
      if (rng.int(3) === 0 && at + 5 <= f.length) f.fill(0xff, at, at + 5); // an unterminated varint
      return { kind: 'length field', bytes: f };
    }
    case 4: {
      // truncated, the size prefix telling the truth about the shorter frame
      const cut = 4 + rng.int(Math.max(1, f.length - 4));
      return { kind: 'truncated', bytes: fixSize(Buffer.from(f.subarray(0, cut))) };
    }
    case 5: {
      // extended with junk the decoder does not expect
      return { kind: 'trailing junk', bytes: fixSize(Buffer.concat([f, rng.bytes(1 + rng.int(32))])) };
    }
    case 6: {
      // the body of one version sent as another version of the same API (or another API)
      const other = rng.int(3) === 0 ? rng.pick(API_SPECS) : API_SPECS.find(a => a.key === s.key)!;
      f.writeInt16BE(other.key, 4);
      f.writeInt16BE(other.minVersion + rng.int(other.maxVersion - other.minVersion + 1), 6);
      return { kind: 'wrong version', bytes: f };
    }
    case 7: {
      // an API key or version the broker does not know
      if (rng.int(2) === 0) f.writeInt16BE(rng.pick([-1, 7, 1000, 0x7fff, -0x8000]), 4);
      else f.writeInt16BE(rng.pick([-1, 0x7fff, 200]), 6);
      return { kind: 'unknown key or version', bytes: f };
    }
    case 8: {
      // a size prefix that lies: too small (the rest reads as the next frame), too big, negative, huge
      f.writeInt32BE(rng.pick([0, 1, 3, 7, f.length - 5, f.length + 10, -1, -0x80000000, 0x7fffffff, 200 * 1024 * 1024]), 0);
      return { kind: 'size prefix', bytes: f };
    }
    case 9: {
      // a valid header, a random body
      const head = Buffer.from(f.subarray(0, Math.min(f.length, 12 + rng.int(8))));
      return { kind: 'random body', bytes: fixSize(Buffer.concat([head, rng.bytes(rng.int(200))])) };
    }
    default: {
      // garbage: sometimes with a plausible size prefix
      const g = rng.bytes(1 + rng.int(300));
      if (rng.int(2) === 0 && g.length >= 4) fixSize(g);
      return { kind: 'garbage', bytes: g };
    }
  }
}

/** A fuzzing connection: writes whatever it is given and reads (and drops) whatever comes back. */
class FuzzConnection {
  closed = false;
  sent = 0;
  private constructor(private readonly socket: net.Socket) {
    socket.on('data', () => {});
    socket.on('error', () => {});
    socket.on('close', () => (this.closed = true));
  }

  static open(port: number): Promise<FuzzConnection> {
    return new Promise((resolve, reject) => {
      const s = net.connect(port, '127.0.0.1', () => resolve(new FuzzConnection(s)));
      s.once('error', reject);
    });
  }

  /** False when the connection cannot take more (closed by the broker, used up, or backed up). */
  usable(): boolean {
    return !this.closed && this.sent < FRAMES_PER_CONNECTION && this.socket.writableLength < 1 << 20;
  }

  write(b: Buffer): void {
    this.sent++;
    // sometimes in pieces, to exercise reassembly of frames split across reads
    if (b.length > 8 && rng.int(4) === 0) {
      const at = 1 + rng.int(b.length - 1);
      this.socket.write(b.subarray(0, at));
      this.socket.write(b.subarray(at));
    } else this.socket.write(b);
  }

  close(): void {
    this.socket.destroy();
  }
}

t.test(`fuzzing every API for ${SECONDS}s (seed ${SEED})`, async t => {
  t.comment(`fuzz seed ${SEED}; replay with SAMSA_FUZZ_SEED=${SEED} SAMSA_FUZZ_SECONDS=${SECONDS}`);
  // the broker's error-level logs: every one is a handler that threw or a response that would not encode
  const errors: Record<string, unknown>[] = [];
  const logger = pino(
    { level: 'error' },
    new Writable({
      write(chunk, _enc, done) {
        errors.push(JSON.parse(String(chunk)));
        done();
      },
    }),
  );
  const broker = await testBroker(t, { logger, config: { 'num.partitions': 2 } });
  const seeds = validFrames();
  t.ok(seeds.length > 500, `${seeds.length} valid requests across ${API_SPECS.length} APIs and all their versions`);

  const pool: FuzzConnection[] = [];
  const all: FuzzConnection[] = [];
  t.teardown(() => all.forEach(c => c.close()));
  const connection = async (i: number): Promise<FuzzConnection> => {
    const c = pool[i];
    if (c && c.usable()) return c;
    c?.close();
    const fresh = await FuzzConnection.open(broker.port);
    all.push(fresh);
    pool[i] = fresh;
    return fresh;
  };

  const kinds = new Map<string, number>();
  let frames = 0;
  let reconnects = 0;
  const deadline = Date.now() + SECONDS * 1000;
  // every valid request once, in order, then random mutations until the budget is spent
  let next = 0;
  while (Date.now() < deadline || next < seeds.length) {
    const f = next < seeds.length ? { kind: 'valid (every API × version)', bytes: seeds[next++]!.frame } : mutate(seeds);
    const i = rng.int(CONNECTIONS);
    const before = pool[i];
    const c = await connection(i);
    if (c !== before) reconnects++;
    c.write(f.bytes);
    kinds.set(f.kind, (kinds.get(f.kind) ?? 0) + 1);
    frames++;
    // let the broker work through what was sent
    if (frames % 16 === 0) await new Promise(r => setImmediate(r));
    if (escaped.length > 0 || errors.length > 0) break;
  }
  t.comment(`${frames} frames over ${reconnects} connections: ${[...kinds].map(([k, n]) => `${k} ${n}`).join(', ')}`);
  for (const c of all) c.close();

  // the broker still answers, on a fresh connection: ApiVersions, then a produce/fetch round trip
  const client = await testClient(t, broker);
  const versions = await client.call(18, 3, { clientSoftwareName: 'samsa-fuzz', clientSoftwareVersion: '1.0' });
  t.equal(versions.errorCode, 0, 'ApiVersions answers');
  t.ok(versions.apiKeys.some((k: { apiKey: number }) => k.apiKey === 0), 'and lists Produce');
  await createTopic(client, 'after-the-fuzz');
  const produced = await produce(client, 'after-the-fuzz', 0, batch(['still', 'here']));
  t.equal(produced.errorCode, 0, 'produce works');
  t.equal(produced.baseOffset, 0);
  const fetched = await fetchOne(client, 'after-the-fuzz', 0, 0);
  t.equal(fetched.errorCode, 0, 'fetch works');
  t.same(valuesOf(fetched.records), ['still', 'here'], 'and returns what was produced');

  t.same(errors.map(e => ({ msg: e.msg, api: e.api, version: e.version, err: (e.err as { message?: string } | undefined)?.message })), [], `no handler threw (seed ${SEED})`);
  t.same(escaped.map(String), [], `no uncaught exception or unhandled rejection (seed ${SEED})`);
});

t.test('requests a broker must refuse rather than attempt', async t => {
  const broker = await testBroker(t);
  const client = await testClient(t, broker);
  // a billion partitions: Kafka's controller refuses more than 10000 records in one request
  const huge = await client.call(19, 7, { topics: [{ name: 'huge', numPartitions: 1_000_000_000, replicationFactor: -1, assignments: [], configs: [] }], validateOnly: true });
  t.same([huge.topics[0].errorCode, huge.topics[0].errorMessage], [44, 'Unable to perform excessively large batch operation.'], 'CreateTopics: POLICY_VIOLATION');
  const edge = await client.call(19, 7, { topics: [{ name: 'edge', numPartitions: 9_999, replicationFactor: -1, assignments: [], configs: [] }], validateOnly: true });
  t.equal(edge.topics[0].errorCode, 0, '9999 partitions and the topic record are 10000 records: allowed');
  const over = await client.call(19, 7, { topics: [{ name: 'edge', numPartitions: 9_999, replicationFactor: -1, assignments: [], configs: [{ name: 'retention.ms', value: '1000' }] }], validateOnly: true });
  t.equal(over.topics[0].errorCode, 44, 'one config record more is too many');
  await createTopic(client, 'grows');
  const grow = await client.call(37, 3, { topics: [{ name: 'grows', count: 1_000_000_000, assignments: null }], timeoutMs: 1000, validateOnly: true });
  t.equal(grow.results[0].errorCode, -1, 'CreatePartitions: UNKNOWN_SERVER_ERROR, as Kafka answers its too-many-records failure');
});

t.test('closing a broker ends its long polls (nothing keeps the process alive)', async t => {
  const timers = () => process.getActiveResourcesInfo().filter(r => r === 'Timeout').length;
  const beforeBroker = timers();
  const broker = await testBroker(t);
  const client = await TestClient.connect(broker.bootstrap);
  t.teardown(() => client.close());
  await createTopic(client, 'quiet');
  const before = timers();
  client.send(1, 12, {
    ...API_SPECS.find(a => a.key === 1)!.defaultRequest(),
    maxWaitMs: 0x7fffffff,
    minBytes: 1,
    maxBytes: 1024,
    topics: [{ topic: 'quiet', partitions: [{ partition: 0, fetchOffset: 0, partitionMaxBytes: 1024, currentLeaderEpoch: -1, lastFetchedEpoch: -1, logStartOffset: -1 }] }],
  });
  const waiting = async () => {
    for (let i = 0; i < 100 && timers() <= before; i++) await new Promise(r => setTimeout(r, 10));
    return timers();
  };
  t.ok((await waiting()) > before, 'the fetch waits on a timer');
  await broker.close();
  await new Promise(r => setImmediate(r));
  t.equal(timers(), beforeBroker, 'closing the broker cleared it, and its retention timer');
});
