// Framing and ordering on one connection: pipelined requests are handled one at a time and
// answered in order (a long-poll Fetch holds back the requests behind it, as in Kafka), frames
// may arrive in any TCP chunking, protocol errors close only the offending connection, and a
// client that stops reading holds back its own requests instead of growing the broker's buffers.
/* eslint-disable @typescript-eslint/no-explicit-any -- responses decoded from the specs at run time */
import net from 'node:net';
import t, { type Test } from 'tap';
import { testBroker, testClient, waitFor } from '../helpers/broker.js';
import { TestClient, requestFrame } from '../helpers/client.js';
import { batch, body, createTopic, fetchTopic, produce, valuesOf, ZERO_UUID } from '../helpers/kafka.js';
import { ManualClock } from '../../src/broker/clock.js';
import { decodeBatches } from '../../src/protocol/records.js';
import type { RunningBroker } from '../../src/index.js';

const API_VERSIONS = { clientSoftwareName: 'samsa-test', clientSoftwareVersion: '1.0' };

/** A long-poll Fetch body for partition 0 of `topic` from offset 0. */
const longPoll = (topic: string, maxWaitMs: number) =>
  body(1, { maxWaitMs, minBytes: 1, maxBytes: 1 << 20, topics: [fetchTopic(topic, ZERO_UUID, [{ partition: 0, fetchOffset: 0 }])] });

/** Counts the long polls that started waiting (ReplicaManager.waitForData calls). */
function countWaits(b: RunningBroker): { readonly n: number } {
  const rm = b.broker.replicas;
  const orig = rm.waitForData.bind(rm);
  const counter = { n: 0 };
  rm.waitForData = (...args) => {
    counter.n++;
    return orig(...args);
  };
  return counter;
}

const correlationOf = (frame: Buffer) => frame.readInt32BE(0);

t.test('pipelined requests behind a waiting Fetch are answered after it, in order', async t => {
  const b = await testBroker(t);
  const admin = await testClient(t, b);
  await createTopic(admin, 'slow');
  const waits = countWaits(b);
  const c = await testClient(t, b);
  const frames = [
    requestFrame(1, 12, 101, longPoll('slow', 30_000)),
    requestFrame(18, 3, 102, body(18, API_VERSIONS)),
    requestFrame(3, 12, 103, body(3, { topics: null, allowAutoTopicCreation: false })),
  ];
  c.write(Buffer.concat(frames));
  await waitFor(() => waits.n === 1, 5000, 'the fetch to wait');
  // another connection is served meanwhile; this one answers nothing while its Fetch waits
  const other = await admin.call(18, 3, API_VERSIONS);
  t.equal(other.errorCode, 0);
  t.equal(c.buffered, 0, 'no response overtakes the waiting Fetch');

  const p = await produce(admin, 'slow', 0, batch(['wake']));
  t.equal(p.errorCode, 0);
  const f1 = (await c.nextFrame())!;
  const f2 = (await c.nextFrame())!;
  const f3 = (await c.nextFrame())!;
  t.same([f1, f2, f3].map(correlationOf), [101, 102, 103], 'responses in request order');
  const fetch = TestClient.decode<any>(f1, 1, 12, 101);
  t.same(valuesOf(fetch.responses[0].partitions[0].records), ['wake'], 'the Fetch was woken by the produce');
  t.equal(TestClient.decode<any>(f2, 18, 3, 102).errorCode, 0);
  t.same(TestClient.decode<any>(f3, 3, 12, 103).topics.map((x: any) => x.name), ['slow']);
});

t.test('a Fetch that times out answers empty, then the requests behind it', async t => {
  const clock = new ManualClock();
  const b = await testBroker(t, { clock });
  const admin = await testClient(t, b);
  await createTopic(admin, 'idle');
  const waits = countWaits(b);
  const c = await testClient(t, b);
  c.write(Buffer.concat([requestFrame(1, 12, 7, longPoll('idle', 500)), requestFrame(18, 3, 8, body(18, API_VERSIONS))]));
  await waitFor(() => waits.n === 1, 5000, 'the fetch to wait');
  clock.advance(499);
  await admin.call(18, 3, API_VERSIONS); // a round trip: the event loop has turned
  t.equal(c.buffered, 0, 'still waiting 1 ms before maxWaitMs');
  clock.advance(1);
  const f1 = (await c.nextFrame())!;
  const f2 = (await c.nextFrame())!;
  t.same([correlationOf(f1), correlationOf(f2)], [7, 8]);
  const fetch = TestClient.decode<any>(f1, 1, 12, 7);
  t.equal(fetch.responses[0].partitions[0].errorCode, 0);
  t.equal(fetch.responses[0].partitions[0].records?.length ?? 0, 0, 'no records');
});

t.test('a request split into one-byte writes, and many requests in one write', async t => {
  const b = await testBroker(t);
  const c = await testClient(t, b);
  const bytes = Buffer.concat([requestFrame(18, 3, 1, body(18, API_VERSIONS)), requestFrame(3, 12, 2, body(3, { topics: [], allowAutoTopicCreation: false }))]);
  for (const byte of bytes) {
    c.write(Buffer.from([byte]));
    await new Promise(r => setImmediate(r));
  }
  t.equal(TestClient.decode<any>((await c.nextFrame())!, 18, 3, 1).errorCode, 0);
  t.same(TestClient.decode<any>((await c.nextFrame())!, 3, 12, 2).topics, []);

  const many: Buffer[] = [];
  for (let i = 0; i < 200; i++) many.push(i % 2 ? requestFrame(18, 3, 1000 + i, body(18, API_VERSIONS)) : requestFrame(3, 1, 1000 + i, body(3, { topics: [] })));
  c.write(Buffer.concat(many));
  for (let i = 0; i < 200; i++) {
    const frame = (await c.nextFrame())!;
    if (correlationOf(frame) !== 1000 + i) {
      t.fail(`response ${i} has correlation id ${correlationOf(frame)}`);
      return;
    }
    const res = i % 2 ? TestClient.decode<any>(frame, 18, 3) : TestClient.decode<any>(frame, 3, 1);
    if (i % 2 ? res.errorCode !== 0 : res.topics.length !== 0) t.fail(`response ${i} is wrong`);
  }
  t.pass('200 pipelined responses in order');
});

/** Sends `bytes` on a fresh connection and expects the broker to close it, while `bystander` keeps working. */
async function closesOnly(t: Test, b: RunningBroker, bystander: TestClient, bytes: Buffer, what: string): Promise<void> {
  const c = await TestClient.connect(b.bootstrap);
  t.teardown(() => c.close());
  // a working request first, so the connection is known to be healthy before the bad bytes
  t.equal((await c.call(18, 3, API_VERSIONS)).errorCode, 0, `${what}: connection works before`);
  c.write(bytes);
  // and one after, which must never be answered
  c.write(requestFrame(18, 3, 99, body(18, API_VERSIONS)));
  t.equal(await c.nextFrame(), null, `${what}: closed without a response`);
  await c.waitClosed();
  t.equal((await bystander.call(18, 3, API_VERSIONS)).errorCode, 0, `${what}: another connection still works`);
}

t.test('protocol errors close only the offending connection', async t => {
  const b = await testBroker(t, { config: { 'socket.request.max.bytes': 1024 } });
  const bystander = await testClient(t, b);

  // unknown API keys
  for (const key of [99, 32767, -1]) {
    const frame = requestFrame(18, 0, 5, body(18));
    frame.writeInt16BE(key, 4);
    await closesOnly(t, b, bystander, frame, `API key ${key}`);
  }
  // versions the broker does not speak (Fetch starts at v4 in Kafka 4, Metadata ends at v13)
  const fetchV3 = requestFrame(1, 4, 5, longPoll('x', 0));
  fetchV3.writeInt16BE(3, 6);
  await closesOnly(t, b, bystander, fetchV3, 'Fetch v3');
  const metadataV14 = requestFrame(3, 13, 5, body(3, { topics: null, allowAutoTopicCreation: true }));
  metadataV14.writeInt16BE(14, 6);
  await closesOnly(t, b, bystander, metadataV14, 'Metadata v14');
  const createTopicsV1 = requestFrame(19, 2, 5, body(19));
  createTopicsV1.writeInt16BE(1, 6);
  await closesOnly(t, b, bystander, createTopicsV1, 'CreateTopics v1 (removed in Kafka 4)');

  // a truncated body: the frame is shorter than the request it starts
  const full = requestFrame(3, 12, 5, { topics: [{ topicId: ZERO_UUID, name: 'some-topic' }], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
  const truncated = Buffer.from(full.subarray(0, full.length - 8));
  truncated.writeInt32BE(truncated.length - 4, 0);
  await closesOnly(t, b, bystander, truncated, 'truncated Metadata body');

  // garbage after a valid header: a compact array length far beyond the frame
  const header = requestFrame(3, 12, 5, body(3, { topics: null, allowAutoTopicCreation: false }));
  const headerLen = 4 + 2 + 2 + 4 + 2 + 'samsa-test'.length + 1;
  const garbage = Buffer.concat([header.subarray(0, headerLen), Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f, 1, 2, 3])]);
  garbage.writeInt32BE(garbage.length - 4, 0);
  await closesOnly(t, b, bystander, garbage, 'garbage Metadata body');

  // a header too short to hold key, version and correlation id
  await closesOnly(t, b, bystander, Buffer.from([0, 0, 0, 3, 0, 18, 0]), '3-byte frame');
  await closesOnly(t, b, bystander, Buffer.from([0, 0, 0, 0]), 'empty frame');

  // frame sizes: over socket.request.max.bytes (announced only: the broker must not wait for the body), and negative
  const big = Buffer.alloc(8);
  big.writeInt32BE(1025, 0);
  await closesOnly(t, b, bystander, big, 'frame of 1025 bytes over a 1024 limit');
  const negative = Buffer.alloc(4);
  negative.writeInt32BE(-5, 0);
  await closesOnly(t, b, bystander, negative, 'negative frame size');

  // the same with the size prefix trickling in byte by byte: refused once the 4 bytes are in,
  // without buffering towards the announced size
  for (const size of [1025, 0x7fffffff, -1]) {
    const c = await TestClient.connect(b.bootstrap);
    t.teardown(() => c.close());
    const prefix = Buffer.alloc(4);
    prefix.writeInt32BE(size, 0);
    for (const byte of prefix) {
      c.write(Buffer.from([byte]));
      await new Promise(r => setImmediate(r));
    }
    await c.waitClosed(2000);
    t.pass(`a frame size of ${size} sent byte by byte closes the connection`);
  }

  // a request exactly at the limit is served
  const c = await testClient(t, b);
  const padded = requestFrame(18, 3, 42, body(18, { clientSoftwareName: 'samsa-test', clientSoftwareVersion: '1' + '0'.repeat(1024 - 40) }));
  const atLimit = padded.length - 4;
  t.ok(atLimit <= 1024 && atLimit > 1000, `request of ${atLimit} bytes`);
  c.write(padded);
  t.equal(TestClient.decode<any>((await c.nextFrame())!, 18, 3, 42).errorCode, 0, 'a request within socket.request.max.bytes is served');
});

t.test('a client that stops reading holds back its own requests, not the broker', async t => {
  const b = await testBroker(t);
  const admin = await testClient(t, b);
  await createTopic(admin, 'big');
  // one batch of ~1 MiB: every Fetch below answers with it
  const value = Buffer.alloc(1_000_000, 7);
  t.equal((await produce(admin, 'big', 0, batch([{ value }]))).errorCode, 0);

  let reads = 0;
  const rm = b.broker.replicas;
  const read = rm.read.bind(rm);
  rm.read = (...args) => {
    reads++;
    return read(...args);
  };

  const N = 120; // ~120 MB of responses if the broker answered them all
  const [host, port] = [b.host, b.port];
  const sock = net.connect(port, host);
  await new Promise<void>(resolve => sock.once('connect', () => resolve()));
  t.teardown(() => sock.destroy());
  sock.pause(); // the client reads nothing
  const fetchBig = { ...longPoll('big', 0), minBytes: 0, topics: [fetchTopic('big', ZERO_UUID, [{ partition: 0, fetchOffset: 0, partitionMaxBytes: 2 << 20 }])] };
  const requests: Buffer[] = [];
  for (let i = 0; i < N; i++) requests.push(requestFrame(1, 12, i, fetchBig));
  sock.write(Buffer.concat(requests));

  // the broker handles requests until the unread responses reach its high-water mark, then stops
  let last = -1;
  let stableSince = Date.now();
  await waitFor(() => {
    if (reads !== last) {
      last = reads;
      stableSince = Date.now();
      return false;
    }
    return reads > 0 && Date.now() - stableSince > 300;
  }, 10_000, 'the broker to stop handling the unread connection');
  t.ok(reads < N / 2, `the broker stopped after ${reads} of ${N} fetches (bounded by its write buffer, not the client)`);

  // other connections are served meanwhile
  const other = await testClient(t, b);
  t.equal((await other.call(18, 3, API_VERSIONS)).errorCode, 0, 'another connection is served');
  t.equal((await produce(other, 'big', 0, batch(['small']))).errorCode, 0, 'and can produce');

  // the client reads again: every response arrives, whole and in order
  let buf = Buffer.alloc(0);
  const frames: Buffer[] = [];
  const done = new Promise<void>((resolve, reject) => {
    sock.on('data', chunk => {
      buf = Buffer.concat([buf, chunk]);
      while (buf.length >= 4 && buf.length >= 4 + buf.readInt32BE(0)) {
        frames.push(buf.subarray(4, 4 + buf.readInt32BE(0)));
        buf = buf.subarray(4 + buf.readInt32BE(0));
        if (frames.length === N) resolve();
      }
    });
    sock.on('close', () => reject(new Error(`closed after ${frames.length} responses`)));
  });
  sock.resume();
  await done;
  let ok = true;
  frames.forEach((frame, i) => {
    const res = TestClient.decode<any>(frame, 1, 12);
    const p = res.responses[0]?.partitions[0];
    const batches = p ? decodeBatches(p.records) : [];
    if (correlationOf(frame) !== i || p.errorCode !== 0 || batches.length < 1 || !batches[0]!.records[0]!.value!.equals(value)) {
      if (ok) t.fail(`response ${i}: correlation id ${correlationOf(frame)}, ${batches.length} batches`);
      ok = false;
    }
  });
  t.ok(ok, `all ${N} responses arrived complete and in order`);
  t.equal(reads, N, 'every fetch was handled once the client read');
});
