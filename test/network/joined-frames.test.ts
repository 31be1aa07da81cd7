// Frames that straddle socket reads: the connection joins them to decode, and the memory log
// keeps the produced batch as the pieces of the reads it arrived in rather than the joined copy.
// A fake socket feeds chosen read boundaries, so every split below is exact.
/* eslint-disable @typescript-eslint/no-explicit-any -- internals and decoded responses */
import t from 'tap';
import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import pino from 'pino';
import { startBroker } from '../../src/index.js';
import { Connection } from '../../src/network/connection.js';
import { ConnectionLimits } from '../../src/network/limits.js';
import { ANONYMOUS } from '../../src/security/principal.js';
import { arrivedAs, type RequestContext } from '../../src/broker/handler.js';
import type { MemoryLog } from '../../src/storage/memory-log.js';
import { TestClient, requestFrame } from '../helpers/client.js';
import { batch, body, createTopic, fetchOne, ZERO_UUID } from '../helpers/kafka.js';
import { testClient } from '../helpers/broker.js';
import { ATTRIBUTES, CRC, HEADER_SIZE, TIMESTAMP_TYPE_BIT, decodeBatches, readInt64, BASE_OFFSET } from '../../src/protocol/records.js';
import { crc32c } from '@node-rs/crc32';

/** Just enough of a net.Socket for Connection: reads are emitted by the test, writes collected. */
class FakeSocket extends EventEmitter {
  written: Buffer[] = [];
  writableLength = 0;
  localAddress = '127.0.0.1';
  localPort = 9092;
  remoteAddress = '127.0.0.1';
  remotePort = 50000;
  setNoDelay(): void {}
  cork(): void {}
  uncork(): void {}
  pause(): void {}
  resume(): void {}
  destroySoon(): void {
    this.emit('close');
  }
  write(b: Buffer): boolean {
    this.written.push(Buffer.from(b));
    return true;
  }
}

/** Responses leave at the end of the event loop's turn: wait for it. */
const turn = () => new Promise(resolve => setImmediate(resolve));

/** Response frames written so far, without their size prefix. */
function responses(s: FakeSocket): Buffer[] {
  const all = Buffer.concat(s.written);
  const out: Buffer[] = [];
  for (let pos = 0; pos + 4 <= all.length; ) {
    const size = all.readInt32BE(pos);
    out.push(all.subarray(pos + 4, pos + 4 + size));
    pos += 4 + size;
  }
  return out;
}

const produceFrame = (topic: string, records: Buffer, correlationId: number) =>
  requestFrame(0, 9, correlationId, body(0, { acks: 1, timeoutMs: 5000, topicData: [{ name: topic, topicId: ZERO_UUID, partitionData: [{ index: 0, records }] }] }));

async function connectFake(t: any, configs: Record<string, string> = {}) {
  const b = await startBroker({ port: 0, logLevel: 'silent', config: { 'num.partitions': 1, ...configs } });
  t.teardown(() => b.close());
  const socket = new FakeSocket();
  new Connection(1, socket as unknown as Socket, b.broker, pino({ level: 'silent' }), {
    maxRequestSize: 1 << 20,
    listenerName: 'PLAINTEXT',
    securityProtocol: 'PLAINTEXT',
    principal: ANONYMOUS,
    limits: new ConnectionLimits(b.broker.config),
    idleMs: 0,
    onClosed: () => {},
  });
  return { b, socket };
}

/** How many buffers hold batch `index` of partition 0 in the memory log. */
const buffersOf = (b: any, topic: string, index: number): number => (b.broker.cluster.topic(topic).partitions[0].log as MemoryLog).buffersOf(index);

t.test('a produce split across reads at every kind of boundary is stored as its pieces and fetched intact', async t => {
  const { b, socket } = await connectFake(t);
  const c = await testClient(t, b);
  await createTopic(c, 'split');
  const records = batch(Array.from({ length: 20 }, (_, i) => `value-${i}-${'x'.repeat(300)}`));
  const frame = produceFrame('split', records, 1);
  const batchStart = frame.length - records.length;
  // split inside the size prefix, inside the request header, inside the batch header (before
  // and after the CRC), and inside the records, with three and four reads
  const cuts = [[2], [9], [batchStart + 5], [batchStart + 20, batchStart + 40], [batchStart + HEADER_SIZE + 100, batchStart + 3000, frame.length - 1]];
  let expectedOffset = 0;
  for (const [i, points] of cuts.entries()) {
    const f = produceFrame('split', records, i + 1);
    let from = 0;
    for (const at of [...points!, f.length]) {
      // each read in a buffer of its own, as a socket hands them over
      socket.emit('data', Buffer.from(f.subarray(from, at)));
      from = at;
    }
    await turn();
    const res = TestClient.decode<any>(responses(socket)[i]!, 0, 9, i + 1);
    const p = res.responses[0].partitionResponses[0];
    t.same([p.errorCode, p.baseOffset], [0, expectedOffset], `cut ${points}: appended at ${expectedOffset}`);
    expectedOffset += 20;
  }
  // a cut in the request header leaves the batch whole in one read; the others split it into
  // 2, 3 and 3 pieces (the last cut falls in the tagged fields that follow the records)
  t.same([1, 2, 3, 4].map(i => buffersOf(b, 'split', i)), [1, 2, 3, 3], 'batches are kept in the reads they arrived in, not copied');
  // fetched back: header fields assigned across the pieces, CRC still valid, records intact
  const fetched = await fetchOne(c, 'split', 0, 0, { partitionMaxBytes: 1 << 20 });
  const batches = decodeBatches(fetched.records);
  t.same(batches.map(x => x.baseOffset), [0, 20, 40, 60, 80], 'base offsets written into each kept batch');
  t.ok(batches.every(x => x.records.map(r => r.value!.toString()).join() === decodeBatches(records)[0]!.records.map(r => r.value!.toString()).join()), 'every record intact');
  let pos = 0;
  for (let k = 0; k < 5; k++) {
    const size = 12 + fetched.records.readInt32BE(pos + 8);
    const one = fetched.records.subarray(pos, pos + size);
    t.equal(crc32c(one.subarray(ATTRIBUTES)), one.readUInt32BE(CRC), `batch ${k} CRC valid`);
    pos += size;
  }
});

t.test('LogAppendTime: the broker-set timestamp and new CRC reach every piece', async t => {
  const { b, socket } = await connectFake(t);
  const c = await testClient(t, b);
  await createTopic(c, 'lat', 1, { 'message.timestamp.type': 'LogAppendTime' });
  // values large enough that the reads are buffers of their own, not slices of Node's pool
  const records = batch(['a', 'b', 'c'].map(v => ({ value: v.repeat(3000), timestamp: 1000 })));
  const f = produceFrame('lat', records, 1);
  const batchStart = f.length - records.length;
  // the cut falls between the attributes and the max timestamp of the batch header
  socket.emit('data', Buffer.from(f.subarray(0, batchStart + 30)));
  socket.emit('data', Buffer.from(f.subarray(batchStart + 30)));
  await turn();
  const p = TestClient.decode<any>(responses(socket)[0]!, 0, 9, 1).responses[0].partitionResponses[0];
  t.equal(p.errorCode, 0);
  t.ok(p.logAppendTimeMs > 1000, 'log append time returned');
  t.equal(buffersOf(b, 'lat', 0), 2, 'kept as pieces');
  const fetched = (await fetchOne(c, 'lat', 0, 0)).records as Buffer;
  t.equal(fetched.readInt16BE(ATTRIBUTES) & TIMESTAMP_TYPE_BIT, TIMESTAMP_TYPE_BIT, 'timestamp type set');
  t.equal(readInt64(fetched, 35), p.logAppendTimeMs, 'max timestamp replaced');
  t.equal(readInt64(fetched, BASE_OFFSET), 0);
  t.equal(crc32c(fetched.subarray(ATTRIBUTES)), fetched.readUInt32BE(CRC), 'CRC recomputed and valid');
  t.same(decodeBatches(fetched)[0]!.records.map(r => r.timestamp), [p.logAppendTimeMs, p.logAppendTimeMs, p.logAppendTimeMs]);
  t.same(decodeBatches(fetched)[0]!.records.map(r => r.value!.length), [3000, 3000, 3000], 'records intact');
});

t.test('a small batch straddling two large reads is copied rather than pinning them', async t => {
  const { b, socket } = await connectFake(t);
  const c = await testClient(t, b);
  await createTopic(c, 'small');
  const records = batch(['tiny']);
  const f = produceFrame('small', records, 1);
  // the frame sits at the end of one 64 KiB read and the start of the next
  const first = Buffer.alloc(65536);
  const second = Buffer.alloc(65536);
  const cut = f.length - 20;
  // filler frames before it: two ApiVersions requests padded out by their client ids
  const fillerLen = 65536 - cut;
  const half = Math.floor(fillerLen / 2);
  const fillers = [requestFrame(18, 0, 98, {}, 'f'.repeat(half - 14)), requestFrame(18, 0, 99, {}, 'g'.repeat(fillerLen - half - 14))];
  const filler = Buffer.concat(fillers);
  t.equal(filler.length, fillerLen, 'filler frames fill the first read');
  filler.copy(first, 0);
  f.copy(first, fillerLen, 0, cut);
  f.copy(second, 0, cut);
  socket.emit('data', first);
  socket.emit('data', second.subarray(0, f.length - cut));
  await turn();
  const res = responses(socket);
  t.equal(res.length, 3, 'every request answered');
  t.equal(buffersOf(b, 'small', 0), 1, 'copied, not kept as pieces of 64 KiB reads');
  t.same(decodeBatches((await fetchOne(c, 'small', 0, 0)).records)[0]!.records.map(r => r.value!.toString()), ['tiny']);
});

t.test('arrivedAs maps views of a joined frame back to the reads', async t => {
  const pieces = [Buffer.from('\x00\x00\x00\x0aabc'), Buffer.from('defg'), Buffer.from('hij')];
  const joined = Buffer.alloc(14);
  Buffer.concat(pieces).copy(joined);
  const frame = joined.subarray(4);
  const ctx = { frame, framePieces: pieces } as unknown as RequestContext;
  const parts = (view: Buffer) => arrivedAs(ctx, view)?.map(p => p.toString());
  t.same(parts(frame.subarray(0, 10)), ['abc', 'defg', 'hij'], 'the whole frame');
  t.same(parts(frame.subarray(1, 5)), ['bc', 'de'], 'across one boundary');
  t.same(parts(frame.subarray(3, 7)), ['defg'], 'exactly one piece');
  t.same(parts(frame.subarray(8, 9)), ['i'], 'inside the last piece');
  t.equal(arrivedAs(ctx, Buffer.from('abc')), null, 'a buffer that is not a view of the frame');
  t.equal(arrivedAs(ctx, joined.subarray(0, 6)), null, 'a view reaching outside the frame');
  t.equal(arrivedAs({ frame, framePieces: null } as unknown as RequestContext, frame.subarray(0, 3)), null, 'a frame read in one piece');
});

