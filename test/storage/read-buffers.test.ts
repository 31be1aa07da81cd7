// The read buffer pool (src/storage/read-buffers.ts) and its use by fetches of data on disk: a
// buffer goes back to the pool only once the response holding it is written, so pipelined
// fetches that reuse buffers still answer each with exactly the stored bytes.
/* eslint-disable @typescript-eslint/no-explicit-any -- responses decoded from the specs at run time */
import t, { type Test } from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ReadBufferPool, readBuffers } from '../../src/storage/read-buffers.js';
import { testBroker, testClient, waitFor } from '../helpers/broker.js';
import { TestClient } from '../helpers/client.js';
import { batch, batchesOf, body, createTopic, fetchTopic, produce, ZERO_UUID } from '../helpers/kafka.js';

t.test('take gives a buffer of the size class (a power of two from 16 KiB to 8 MiB), give keeps it for the next take', async t => {
  const pool = new ReadBufferPool(1024 * 1024);
  const a = pool.take(20_000);
  t.equal(a.length, 32 * 1024);
  pool.give(a);
  t.equal(pool.heldBytes, 32 * 1024);
  t.equal(pool.take(17_000), a, 'the same buffer again, for any size of its class');
  t.equal(pool.heldBytes, 0);
  t.not(pool.take(20_000), a, 'a buffer taken is not handed out twice');
});

t.test('small and huge reads get buffers of their own size, which are not kept', async t => {
  const pool = new ReadBufferPool(64 * 1024 * 1024);
  const small = pool.take(1000);
  const huge = pool.take(9 * 1024 * 1024);
  t.equal(small.length, 1000);
  t.equal(huge.length, 9 * 1024 * 1024);
  pool.give(small);
  pool.give(huge);
  pool.give(Buffer.allocUnsafe(40_000));
  t.equal(pool.heldBytes, 0);
});

t.test('the pool holds at most its bound of free buffers', async t => {
  const pool = new ReadBufferPool(64 * 1024);
  const bufs = [pool.take(32 * 1024), pool.take(32 * 1024), pool.take(32 * 1024)];
  for (const b of bufs) pool.give(b);
  t.equal(pool.heldBytes, 64 * 1024);
});

/** Batches of 4 records of 10 KB, each record's bytes naming its topic, batch and record. */
const valuesFor = (topic: string, batches: number): string[][] =>
  Array.from({ length: batches }, (_, b) => Array.from({ length: 4 }, (_, r) => Buffer.alloc(10_000, `${topic}${b}.${r};`).toString()));

/** A data dir holding `topics`, written by a broker that is then closed: what a new broker reads is cold. */
async function coldDataDir(t: Test, topics: Record<string, string[][]>): Promise<string> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'samsa-read-buffers-'));
  t.teardown(() => fs.rmSync(dataDir, { recursive: true, force: true }));
  const broker = await testBroker(t, { dataDir });
  const c = await testClient(t, broker);
  for (const [topic, values] of Object.entries(topics)) {
    await createTopic(c, topic);
    for (const v of values) t.equal((await produce(c, topic, 0, batch(v))).errorCode, 0);
  }
  c.close();
  await broker.close();
  return dataDir;
}

const fetchRequest = (topic: string, from: number, maxBytes: number): Record<string, unknown> =>
  body(1, { maxWaitMs: 0, minBytes: 0, maxBytes, topics: [fetchTopic(topic, ZERO_UUID, [{ partition: 0, fetchOffset: from, partitionMaxBytes: maxBytes }])] });

t.test('pipelined fetches of cold data on disk each answer with the stored bytes while read buffers are reused', async t => {
  const values = valuesFor('cold', 40);
  const dataDir = await coldDataDir(t, { cold: values });
  const broker = await testBroker(t, { dataDir });
  const c = await testClient(t, broker);
  const heldBefore = readBuffers.heldBytes;
  // from every batch's first offset, with room for 1 to 6 batches (the response's buffer class varies)
  const asks = values.map((_, b) => ({ from: b * 4, maxBytes: 40_500 * (1 + (b % 6)) }));
  const ids = asks.map(a => c.send(1, 12, fetchRequest('cold', a.from, a.maxBytes)));
  for (const [i, a] of asks.entries()) {
    const frame = await c.nextFrame();
    if (frame === null) throw new Error('connection closed');
    const res: any = TestClient.decode(frame, 1, 12, ids[i]);
    const p = res.responses[0].partitions[0];
    t.equal(p.errorCode, 0);
    const got = batchesOf(p.records);
    const first = a.from / 4;
    const expected = values.slice(first, first + got.length);
    t.ok(got.length >= 1 && got.length <= 1 + (first % 6), `fetch ${i}: ${got.length} batches within its max bytes`);
    t.same(
      got.map(b => [b.baseOffset, b.records.map(r => r.value?.toString())]),
      expected.map((v, k) => [(first + k) * 4, v]),
      `fetch ${i} holds batches ${first}..${first + got.length - 1} as produced`,
    );
  }
  await waitFor(() => readBuffers.heldBytes > heldBefore, 5000, 'the responses, once written, to give their read buffers back');
  t.pass('the responses, once written, gave their read buffers back');
});

t.test('a response waiting on a client that does not read keeps its read buffers while other fetches run', async t => {
  const values = { slow: valuesFor('slow', 40), busy: valuesFor('busy', 40) };
  const dataDir = await coldDataDir(t, values);
  const broker = await testBroker(t, { dataDir });
  // the slow client asks for the whole partition 24 times (about 39 MB) and reads nothing yet:
  // the responses the socket cannot take wait in the broker, on their read buffers
  const slow = await testClient(t, broker);
  slow.pause();
  const rounds = 24;
  const ids = Array.from({ length: rounds }, () => slow.send(1, 12, fetchRequest('slow', 0, 2_000_000)));
  await new Promise(resolve => setTimeout(resolve, 200));
  // meanwhile another client fetches another topic of the same sizes: buffers given back too
  // early would now hold its bytes
  const busy = await testClient(t, broker);
  for (let i = 0; i < rounds; i++) {
    const p = (await busy.call(1, 12, fetchRequest('busy', 0, 2_000_000))).responses[0].partitions[0];
    t.equal(batchesOf(p.records).length, 40);
  }
  // now the slow client reads every response: each is still the slow topic, whole
  slow.resume();
  const frames: Buffer[] = [];
  for (let i = 0; i < rounds; i++) {
    const frame = await slow.nextFrame();
    if (frame === null) throw new Error('connection closed');
    frames.push(frame);
  }
  const expected = values.slow.flat();
  for (const [i, frame] of frames.entries()) {
    const p = TestClient.decode<any>(frame, 1, 12, ids[i]).responses[0].partitions[0];
    const got = batchesOf(p.records).flatMap(b => b.records.map(r => r.value?.toString()));
    t.ok(got.length === expected.length && got.every((v, k) => v === expected[k]), `response ${i} holds the slow topic's records as produced`);
  }
});
