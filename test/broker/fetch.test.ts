// Fetch (1): every version, the byte limits (KIP-74: the first batch comes whole), long polls,
// per-partition errors, leader-epoch fencing, incremental fetch sessions (KIP-227) and the
// aborted-transactions field by isolation level.
/* eslint-disable @typescript-eslint/no-explicit-any -- responses decoded from the specs at run time */
import t from 'tap';
import { testBroker, testClient, waitFor } from '../helpers/broker.js';
import { TestClient, requestFrame } from '../helpers/client.js';
import { batch, batchesOf, body, createTopic, fetchTopic, latest, produce, valuesOf, ZERO_UUID, type FetchPartitionSpec } from '../helpers/kafka.js';
import { ManualClock } from '../../src/broker/clock.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import type { RunningBroker } from '../../src/index.js';

const UNKNOWN_ID = 'AAAAAAAAAAAAAAAAAAAAAQ';

interface FetchArgs {
  maxWaitMs?: number;
  minBytes?: number;
  maxBytes?: number;
  isolationLevel?: number;
  sessionId?: number;
  sessionEpoch?: number;
  topics: [string, string, FetchPartitionSpec[]][];
  forgotten?: [string, string, number[]][];
}

function fetchBody(a: FetchArgs): Record<string, unknown> {
  return body(1, {
    maxWaitMs: a.maxWaitMs ?? 0,
    minBytes: a.minBytes ?? 0,
    maxBytes: a.maxBytes ?? 0x7fffffff,
    isolationLevel: a.isolationLevel ?? 0,
    sessionId: a.sessionId ?? 0,
    sessionEpoch: a.sessionEpoch ?? -1,
    topics: a.topics.map(([name, id, parts]) => fetchTopic(name, id, parts)),
    forgottenTopicsData: (a.forgotten ?? []).map(([topic, topicId, partitions]) => ({ topic, topicId, partitions })),
  });
}

const fetch = (c: TestClient, v: number, a: FetchArgs): Promise<any> => c.request(1, v, fetchBody(a));

/** [topic (name or id), partition, error, high watermark, values] of every partition answered. */
function answered(res: any, v: number): [string, number, number, number, string[]][] {
  return res.responses.flatMap((x: any) => x.partitions.map((p: any) => [v >= 13 ? x.topicId : x.topic, p.partitionIndex, p.errorCode, p.highWatermark, valuesOf(p.records)]));
}

const p = (partition: number, fetchOffset: number, more: Partial<FetchPartitionSpec> = {}): FetchPartitionSpec => ({ partition, fetchOffset, ...more });

/** Counts long polls that began waiting. */
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

t.test('every version 4-18: by name below 13, by topic id from 13', async t => {
  const b = await testBroker(t);
  const c = await testClient(t, b);
  const id = await createTopic(c, 'f', 2);
  await produce(c, 'f', 0, batch(['a', 'b']));
  await produce(c, 'f', 0, batch(['c']));
  for (let v = 4; v <= 18; v++) {
    const topic = v >= 13 ? 'ignored-name' : 'f';
    const res = await fetch(c, v, { topics: [[topic, v >= 13 ? id : ZERO_UUID, [p(0, 0), p(1, 0), p(0, 2)]]] });
    if (v >= 7) t.same([res.errorCode, res.sessionId], [0, 0], `v${v}: no error, no session`);
    t.same(
      answered(res, v),
      [
        [v >= 13 ? id : 'f', 0, 0, 3, ['a', 'b', 'c']],
        [v >= 13 ? id : 'f', 1, 0, 0, []],
        [v >= 13 ? id : 'f', 0, 0, 3, ['c']],
      ],
      `v${v}: partitions in request order`,
    );
    const p0 = res.responses[0].partitions[0];
    t.equal(p0.lastStableOffset, 3, `v${v}: last stable offset`);
    if (v >= 5) t.equal(p0.logStartOffset, 0, `v${v}: log start offset`);
    t.equal(p0.abortedTransactions, null, `v${v}: read_uncommitted has no aborted transactions list`);
    if (v >= 11) t.equal(p0.preferredReadReplica, -1, `v${v}: no preferred replica`);
    t.equal(res.throttleTimeMs, 0);
  }
});

t.test('maxBytes, partitionMaxBytes, fetch.max.bytes and the first-batch rule (KIP-74)', async t => {
  const b = await testBroker(t, { config: { 'fetch.max.bytes': 1024 } });
  const c = await testClient(t, b);
  await createTopic(c, 'sz', 2);
  const value = Buffer.alloc(600, 1);
  for (const part of [0, 1]) for (let i = 0; i < 3; i++) await produce(c, 'sz', part, batch([{ value }]));
  const size = batch([{ value }]).length;
  const counts = (res: any) => res.responses.flatMap((x: any) => x.partitions.map((q: any) => batchesOf(q.records).length));

  // fetch.max.bytes (1024) caps a request asking for more: one batch of ~670 bytes fits, two do not
  t.same(counts(await fetch(c, 12, { topics: [['sz', ZERO_UUID, [p(0, 0), p(1, 0)]]] })), [1, 0], 'capped by fetch.max.bytes');

  const big = await testBroker(t);
  const c2 = await testClient(t, big);
  await createTopic(c2, 'sz', 2);
  for (const part of [0, 1]) for (let i = 0; i < 3; i++) await produce(c2, 'sz', part, batch([{ value }]));
  const cases: [string, Partial<FetchArgs>, Partial<FetchPartitionSpec>[], number[]][] = [
    ['no limits', {}, [{}, {}], [3, 3]],
    ['partitionMaxBytes of two and a half batches', {}, [{ partitionMaxBytes: 2.5 * size }, { partitionMaxBytes: 2.5 * size }], [2, 2]],
    ['maxBytes of two and a half batches, shared in order', { maxBytes: 2.5 * size }, [{}, {}], [2, 0]],
    ['maxBytes smaller than the first batch: that batch still comes whole', { maxBytes: 10 }, [{}, {}], [1, 0]],
    ['partitionMaxBytes smaller than a batch: whole only for the first partition with data', {}, [{ partitionMaxBytes: 10 }, { partitionMaxBytes: 10 }], [1, 0]],
    ['maxBytes 0', { maxBytes: 0 }, [{}, {}], [1, 0]],
  ];
  for (const [what, args, parts, expected] of cases) {
    const res = await fetch(c2, 12, { ...args, topics: [['sz', ZERO_UUID, [p(0, 0, parts[0]), p(1, 0, parts[1])]]] });
    t.same(counts(res), expected, what);
    for (const x of res.responses[0].partitions) {
      const got = batchesOf(x.records).length;
      t.equal(x.records?.length ?? 0, got * size, `${what}: partition ${x.partitionIndex} holds whole batches only`);
    }
  }
  // the first partition has nothing to read: the rule applies to the next one
  const res = await fetch(c2, 12, { maxBytes: 10, topics: [['sz', ZERO_UUID, [p(0, 3), p(1, 0, { partitionMaxBytes: 10 })]]] });
  t.same(counts(res), [0, 1], 'the first partition with data gets its first batch whole');
});

t.test('long poll: immediate with enough data, woken by a produce, or answered empty at maxWaitMs', async t => {
  const clock = new ManualClock();
  const b = await testBroker(t, { clock });
  const c = await testClient(t, b);
  const producer = await testClient(t, b);
  await createTopic(c, 'lp', 2);
  const ts = clock.now();
  await produce(producer, 'lp', 0, batch([{ value: 'ready', timestamp: ts }]));
  const waits = countWaits(b);

  // enough data: answered without the clock moving
  const now = await fetch(c, 12, { maxWaitMs: 60_000, minBytes: 1, topics: [['lp', ZERO_UUID, [p(0, 0)]]] });
  t.same(answered(now, 12), [['lp', 0, 0, 1, ['ready']]], 'answered at once');
  t.equal(waits.n, 0, 'did not wait');

  // not enough: waits until a produce from another connection brings minBytes
  const id = c.send(1, 12, fetchBody({ maxWaitMs: 60_000, minBytes: 500, topics: [['lp', ZERO_UUID, [p(0, 1), p(1, 0)]]] }));
  await waitFor(() => waits.n === 1, 5000, 'the fetch to wait');
  await produce(producer, 'lp', 1, batch([{ value: 'small', timestamp: ts }]));
  await producer.call(18, 3, { clientSoftwareName: 'samsa-test', clientSoftwareVersion: '1' });
  t.equal(c.buffered, 0, 'a produce below minBytes does not answer it');
  await produce(producer, 'lp', 0, batch([{ value: Buffer.alloc(600, 2), timestamp: ts }]));
  const woken = TestClient.decode<any>((await c.nextFrame())!, 1, 12, id);
  t.same(
    answered(woken, 12).map(([, part, err, hw, values]) => [part, err, hw, values.length]),
    [
      [0, 0, 2, 1],
      [1, 0, 1, 1],
    ],
    'woken with both partitions\' new data',
  );

  // never enough: answered empty when maxWaitMs passes
  const id2 = c.send(1, 12, fetchBody({ maxWaitMs: 1000, minBytes: 1, topics: [['lp', ZERO_UUID, [p(0, 2), p(1, 1)]]] }));
  await waitFor(() => waits.n === 2, 5000, 'the second fetch to wait');
  clock.advance(999);
  await producer.call(18, 3, { clientSoftwareName: 'samsa-test', clientSoftwareVersion: '1' });
  t.equal(c.buffered, 0, 'still waiting at 999 ms');
  clock.advance(1);
  const empty = TestClient.decode<any>((await c.nextFrame())!, 1, 12, id2);
  t.same(answered(empty, 12), [['lp', 0, 0, 2, []], ['lp', 1, 0, 1, []]], 'empty answer at maxWaitMs');

  // maxWaitMs 0: never waits
  const zero = await fetch(c, 12, { maxWaitMs: 0, minBytes: 1_000_000, topics: [['lp', ZERO_UUID, [p(0, 2)]]] });
  t.same(answered(zero, 12), [['lp', 0, 0, 2, []]]);
  t.equal(waits.n, 2, 'maxWaitMs 0 did not wait');

  // a partition error answers at once (Kafka's errorReadingData)...
  const oor = await fetch(c, 12, { maxWaitMs: 60_000, minBytes: 1, topics: [['lp', ZERO_UUID, [p(0, 2), p(1, 99)]]] });
  t.same(answered(oor, 12).map(x => x[2]), [0, ErrorCode.OFFSET_OUT_OF_RANGE], 'an out-of-range offset answers at once');
  t.equal(waits.n, 2);

  // ...but an unknown topic beside a readable partition does not: Kafka leaves it out of the read
  const id3 = c.send(1, 12, fetchBody({ maxWaitMs: 500, minBytes: 1, topics: [['lp', ZERO_UUID, [p(0, 2)]], ['nope', ZERO_UUID, [p(0, 0)]]] }));
  await waitFor(() => waits.n === 3, 5000, 'the fetch with an unknown topic to wait');
  clock.advance(500);
  const mixed = TestClient.decode<any>((await c.nextFrame())!, 1, 12, id3);
  t.same(
    answered(mixed, 12),
    [
      ['lp', 0, 0, 2, []],
      ['nope', 0, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, -1, []],
    ],
    'answered at maxWaitMs, the unknown topic with its error',
  );
  // only unknown topics: nothing to wait for
  const only = await fetch(c, 12, { maxWaitMs: 60_000, minBytes: 1, topics: [['nope', ZERO_UUID, [p(0, 0)]]] });
  t.same(answered(only, 12).map(x => x[2]), [ErrorCode.UNKNOWN_TOPIC_OR_PARTITION], 'only unknown partitions: answered at once');

  // a topic deleted while a fetch waits on it wakes the fetch, which answers UNKNOWN_TOPIC_OR_PARTITION
  await createTopic(c, 'doomed');
  const id4 = c.send(1, 12, fetchBody({ maxWaitMs: 60_000, minBytes: 1, topics: [['doomed', ZERO_UUID, [p(0, 0)]]] }));
  await waitFor(() => waits.n === 4, 5000, 'the fetch on the doomed topic to wait');
  const del = await producer.call(20, 6, { topics: [{ name: 'doomed', topicId: ZERO_UUID }], timeoutMs: 1000 });
  t.equal(del.responses[0].errorCode, 0);
  const gone = TestClient.decode<any>((await c.nextFrame())!, 1, 12, id4);
  t.same(answered(gone, 12), [['doomed', 0, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, -1, []]], 'woken by the deletion');
});

t.test('errors: offset out of range, unknown topic, partition and topic id', async t => {
  const b = await testBroker(t);
  const c = await testClient(t, b);
  const id = await createTopic(c, 'e');
  await produce(c, 'e', 0, batch(['a', 'b']));
  const oor = await fetch(c, 12, { isolationLevel: 1, topics: [['e', ZERO_UUID, [p(0, 3), p(0, -1), p(0, 2)]]] });
  const parts = oor.responses[0].partitions;
  // Kafka's createLogReadResult(e): every offset unknown, no aborted transactions list
  for (const q of parts.slice(0, 2)) {
    t.same(
      [q.errorCode, q.highWatermark, q.lastStableOffset, q.logStartOffset, q.abortedTransactions, q.records?.length ?? 0],
      [ErrorCode.OFFSET_OUT_OF_RANGE, -1, -1, -1, null, 0],
      `offset ${q === parts[0] ? 3 : -1}: OFFSET_OUT_OF_RANGE`,
    );
  }
  t.same([parts[2].errorCode, parts[2].highWatermark, parts[2].abortedTransactions], [0, 2, []], 'the log end offset itself is in range');

  const unknown = await fetch(c, 12, { topics: [['nope', ZERO_UUID, [p(0, 0)]], ['e', ZERO_UUID, [p(5, 0)]]] });
  t.same(
    unknown.responses.flatMap((x: any) => x.partitions.map((q: any) => [x.topic, q.partitionIndex, q.errorCode, q.highWatermark, q.lastStableOffset, q.logStartOffset])),
    [
      ['nope', 0, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, -1, -1, -1],
      ['e', 5, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, -1, -1, -1],
    ],
  );
  for (const v of [13, 18]) {
    const res = await fetch(c, v, { topics: [[``, UNKNOWN_ID, [p(0, 0)]], ['', id, [p(3, 0), p(0, 0)]]] });
    t.same(
      answered(res, v),
      [
        [UNKNOWN_ID, 0, ErrorCode.UNKNOWN_TOPIC_ID, -1, []],
        [id, 3, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, -1, []],
        [id, 0, 0, 2, ['a', 'b']],
      ],
      `v${v}: unknown topic id and unknown partition of a known id`,
    );
  }
});

t.test('leader epoch: FENCED_LEADER_EPOCH below, UNKNOWN_LEADER_EPOCH above the current one', async t => {
  const b = await testBroker(t);
  const c = await testClient(t, b);
  await createTopic(c, 'epochs');
  await produce(c, 'epochs', 0, batch(['x']));
  b.broker.cluster.topic('epochs')!.partitions[0]!.leaderEpoch = 3;
  for (const v of [9, 12, 15, 16, 18]) {
    const id = v >= 13 ? b.broker.cluster.topic('epochs')!.id : ZERO_UUID;
    const res = await fetch(c, v, { topics: [['epochs', id, [p(0, 0, { currentLeaderEpoch: 2 }), p(0, 0, { currentLeaderEpoch: 4 }), p(0, 0, { currentLeaderEpoch: 3 }), p(0, 0)]]] });
    const parts = res.responses[0].partitions;
    t.same(
      parts.map((q: any) => [q.errorCode, q.highWatermark, valuesOf(q.records).length]),
      [
        [ErrorCode.FENCED_LEADER_EPOCH, -1, 0],
        [ErrorCode.UNKNOWN_LEADER_EPOCH, -1, 0],
        [0, 1, 1],
        [0, 1, 1],
      ],
      `v${v}`,
    );
    if (v >= 16) {
      // Kafka tells a fenced client the current leader and its endpoint (KIP-951)
      t.same([parts[0].currentLeader.leaderId, parts[0].currentLeader.leaderEpoch], [0, 3], `v${v}: the current leader of a fenced partition`);
      t.same(res.nodeEndpoints.map((n: any) => [n.nodeId, n.host, n.port]), [[0, '127.0.0.1', b.port]], `v${v}: its endpoint`);
    }
  }
});

t.test('fetch sessions (KIP-227)', async t => {
  const b = await testBroker(t);
  const c = await testClient(t, b);
  const producer = await testClient(t, b);
  const id = await createTopic(c, 's', 3);
  await produce(producer, 's', 0, batch(['p0-a']));

  for (const v of [7, 12, 13, 18]) {
    const name = v >= 13 ? '' : 's';
    const tid = v >= 13 ? id : ZERO_UUID;
    const key = v >= 13 ? id : 's';
    const tp = (parts: FetchPartitionSpec[]): [string, string, FetchPartitionSpec[]][] => [[name, tid, parts]];

    // epoch 0 opens a session and answers every partition
    const hw0 = await latest(c, 's', 0);
    const hw1 = await latest(c, 's', 1);
    const full = await fetch(c, v, { sessionId: 0, sessionEpoch: 0, topics: tp([p(0, 0), p(1, hw1)]) });
    t.equal(full.errorCode, 0);
    t.not(full.sessionId, 0, `v${v}: a session was created`);
    const session = full.sessionId;
    t.same(answered(full, v).map(x => [x[0], x[1], x[2], x[3], x[4].length]), [[key, 0, 0, hw0, hw0], [key, 1, 0, hw1, 0]], `v${v}: full answer`);
    const offsets = [hw0, hw1];

    // nothing changed: an incremental fetch answers no partition
    let epoch = 1;
    const quiet = await fetch(c, v, { sessionId: session, sessionEpoch: epoch++, topics: tp([p(0, offsets[0]!)]) });
    t.same([quiet.errorCode, quiet.sessionId, quiet.responses], [0, session, []], `v${v}: nothing new, nothing answered`);

    // new data in partition 1 only: only partition 1 is answered
    await produce(producer, 's', 1, batch([`p1-v${v}`]));
    const one = await fetch(c, v, { sessionId: session, sessionEpoch: epoch++, topics: [] });
    t.same(answered(one, v), [[key, 1, 0, offsets[1]! + 1, [`p1-v${v}`]]], `v${v}: only the changed partition`);
    offsets[1]! += 1;

    // a changed high watermark is answered even when no bytes are left for its data
    await produce(producer, 's', 0, batch([{ value: Buffer.alloc(300) }]));
    await produce(producer, 's', 1, batch([{ value: Buffer.alloc(300) }]));
    const hw = await fetch(c, v, { sessionId: session, sessionEpoch: epoch++, maxBytes: 10, topics: tp([p(1, offsets[1]!)]) });
    t.same(
      answered(hw, v).map(x => [x[1], x[3], x[4].length]),
      [
        [0, offsets[0]! + 1, 1],
        [1, offsets[1]! + 1, 0],
      ],
      `v${v}: partition 1 answered for its new high watermark, without records`,
    );

    // partitions that returned data go to the back of the rotation: partition 1 now comes first
    await produce(producer, 's', 0, batch(['x']));
    const rotated = await fetch(c, v, { sessionId: session, sessionEpoch: epoch++, topics: tp([p(0, offsets[0]! + 1)]) });
    t.same(answered(rotated, v).map(x => [x[1], x[4].length]), [[1, 1], [0, 1]], `v${v}: partition 1 first, then partition 0`);
    offsets[0]! += 2;
    offsets[1]! += 1;

    // add partition 2, forget partition 1
    const at2 = await latest(c, 's', 2);
    await produce(producer, 's', 1, batch(['unseen']));
    await produce(producer, 's', 2, batch([`p2-v${v}`]));
    const changed = await fetch(c, v, {
      sessionId: session,
      sessionEpoch: epoch++,
      topics: tp([p(0, offsets[0]!), p(2, at2)]),
      forgotten: [[name, tid, [1]]],
    });
    t.same(answered(changed, v).map(x => [x[1], x[4]]), [[2, [`p2-v${v}`]]], `v${v}: added partition answered, forgotten one not`);

    // wrong epoch, unknown session, wrong version family
    const wrong = await fetch(c, v, { sessionId: session, sessionEpoch: epoch + 5, topics: [] });
    t.same([wrong.errorCode, wrong.sessionId, wrong.responses], [ErrorCode.INVALID_FETCH_SESSION_EPOCH, 0, []], `v${v}: wrong epoch`);
    const missing = await fetch(c, v, { sessionId: session + 1, sessionEpoch: 1, topics: [] });
    t.same([missing.errorCode, missing.sessionId, missing.responses], [ErrorCode.FETCH_SESSION_ID_NOT_FOUND, 0, []], `v${v}: unknown session`);
    const otherFamily = v >= 13 ? 12 : 13;
    const mixed = await fetch(c, otherFamily, { sessionId: session, sessionEpoch: epoch, topics: [] });
    t.same([mixed.errorCode, mixed.responses], [ErrorCode.FETCH_SESSION_TOPIC_ID_ERROR, []], `v${v} session used at v${otherFamily}`);
    // the session survives those refusals
    const still = await fetch(c, v, { sessionId: session, sessionEpoch: epoch++, topics: [] });
    t.same([still.errorCode, still.sessionId], [0, session], `v${v}: the session is still there`);

    // epoch -1 closes the session: a sessionless full answer
    const closing = await fetch(c, v, { sessionId: session, sessionEpoch: -1, topics: tp([p(0, 0)]) });
    t.same([closing.errorCode, closing.sessionId, answered(closing, v).length], [0, 0, 1], `v${v}: closed with a full answer`);
    const after = await fetch(c, v, { sessionId: session, sessionEpoch: epoch, topics: [] });
    t.equal(after.errorCode, ErrorCode.FETCH_SESSION_ID_NOT_FOUND, `v${v}: the closed session is gone`);

    // forgetting every partition closes the session too
    const s2 = (await fetch(c, v, { sessionId: 0, sessionEpoch: 0, topics: tp([p(2, 0)]) })).sessionId;
    const emptied = await fetch(c, v, { sessionId: s2, sessionEpoch: 1, topics: [], forgotten: [[name, tid, [2]]] });
    t.same([emptied.errorCode, emptied.sessionId, emptied.responses], [0, 0, []], `v${v}: emptied session answered sessionless`);
    t.equal((await fetch(c, v, { sessionId: s2, sessionEpoch: 2, topics: [] })).errorCode, ErrorCode.FETCH_SESSION_ID_NOT_FOUND);

    // a new epoch-0 request naming an existing session replaces it
    const s3 = (await fetch(c, v, { sessionId: 0, sessionEpoch: 0, topics: tp([p(0, 0)]) })).sessionId;
    const s4 = (await fetch(c, v, { sessionId: s3, sessionEpoch: 0, topics: tp([p(0, 0)]) })).sessionId;
    t.not(s4, 0);
    t.equal((await fetch(c, v, { sessionId: s3, sessionEpoch: 1, topics: [] })).errorCode, ErrorCode.FETCH_SESSION_ID_NOT_FOUND, `v${v}: the old session was closed`);
    t.equal((await fetch(c, v, { sessionId: s4, sessionEpoch: 1, topics: [] })).errorCode, 0, `v${v}: the new one works`);
  }

  // no cache slots: sessions are never created
  const noCache = await testBroker(t, { config: { 'max.incremental.fetch.session.cache.slots': 0 } });
  const c2 = await testClient(t, noCache);
  await createTopic(c2, 's');
  const res = await fetch(c2, 12, { sessionId: 0, sessionEpoch: 0, topics: [['s', ZERO_UUID, [p(0, 0)]]] });
  t.same([res.errorCode, res.sessionId, answered(res, 12).length], [0, 0, 1], 'no slots: a sessionless answer');
});

t.test('isolation level: read_committed answers [] aborted transactions, read_uncommitted null', async t => {
  const b = await testBroker(t);
  const c = await testClient(t, b);
  const id = await createTopic(c, 'iso');
  await produce(c, 'iso', 0, batch(['a']));
  for (const v of [4, 11, 12, 13, 18]) {
    const tid = v >= 13 ? id : ZERO_UUID;
    const committed = await fetch(c, v, { isolationLevel: 1, topics: [['iso', tid, [p(0, 0), p(0, 1)]]] });
    t.same(committed.responses[0].partitions.map((q: any) => [q.abortedTransactions, q.lastStableOffset]), [[[], 1], [[], 1]], `v${v}: read_committed`);
    const uncommitted = await fetch(c, v, { isolationLevel: 0, topics: [['iso', tid, [p(0, 0)]]] });
    t.equal(uncommitted.responses[0].partitions[0].abortedTransactions, null, `v${v}: read_uncommitted`);
    const unknown = await fetch(c, v, { isolationLevel: 1, topics: [['nope', v >= 13 ? UNKNOWN_ID : ZERO_UUID, [p(0, 0)]]] });
    t.equal(unknown.responses[0].partitions[0].abortedTransactions, null, `v${v}: an error has no list`);
  }
});

t.test('a pipelined Fetch v3 (below Kafka 4\'s minimum) closes the connection', async t => {
  const b = await testBroker(t);
  const c = await testClient(t, b);
  const frame = requestFrame(1, 4, 1, fetchBody({ topics: [] }));
  frame.writeInt16BE(3, 6);
  c.write(frame);
  await c.waitClosed();
  t.pass('closed');
});
