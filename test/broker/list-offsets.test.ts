// ListOffsets (2): earliest, latest, by timestamp (the first record at or after it), max timestamp
// over records with unordered timestamps, earliest-local and latest-tiered, timestamps a version
// does not know, duplicates, unknown partitions and leader-epoch fencing, at versions 1-10.
/* eslint-disable @typescript-eslint/no-explicit-any -- responses decoded from the specs at run time */
import t from 'tap';
import { testBroker, testClient } from '../helpers/broker.js';
import type { TestClient } from '../helpers/client.js';
import { batch, createTopic, listOffset, produce } from '../helpers/kafka.js';
import { ErrorCode } from '../../src/protocol/errors.js';

const LATEST = -1;
const EARLIEST = -2;
const MAX_TIMESTAMP = -3;
const EARLIEST_LOCAL = -4;
const LATEST_TIERED = -5;

/** [error, offset, timestamp, leaderEpoch] as version v carries them. */
async function lookup(c: TestClient, topic: string, partition: number, timestamp: number, v = 10, currentLeaderEpoch = -1): Promise<number[]> {
  const r = await listOffset(c, topic, partition, timestamp, { version: v, currentLeaderEpoch });
  return v >= 4 ? [r.errorCode, r.offset, r.timestamp, r.leaderEpoch] : [r.errorCode, r.offset, r.timestamp];
}

t.test('earliest, latest and by timestamp, at every version 1-10', async t => {
  const b = await testBroker(t);
  const c = await testClient(t, b);
  await createTopic(c, 'lo', 2);
  const T = Date.now() - 100_000;
  // offsets 0-2, 3-4, 5: timestamps out of order within and across batches
  await produce(c, 'lo', 0, batch([{ value: 'a', timestamp: T + 100 }, { value: 'b', timestamp: T + 300 }, { value: 'c', timestamp: T + 200 }]));
  await produce(c, 'lo', 0, batch([{ value: 'd', timestamp: T + 150 }, { value: 'e', timestamp: T + 400 }]));
  await produce(c, 'lo', 0, batch([{ value: 'f', timestamp: T + 50 }]));

  for (let v = 1; v <= 10; v++) {
    const e = (...x: number[]) => (v >= 4 ? x : x.slice(0, 3));
    t.same(await lookup(c, 'lo', 0, EARLIEST, v), e(0, 0, -1, 0), `v${v}: earliest`);
    t.same(await lookup(c, 'lo', 0, LATEST, v), e(0, 6, -1, 0), `v${v}: latest`);
    t.same(await lookup(c, 'lo', 1, EARLIEST, v), e(0, 0, -1, 0), `v${v}: earliest of an empty partition`);
    t.same(await lookup(c, 'lo', 1, LATEST, v), e(0, 0, -1, 0), `v${v}: latest of an empty partition`);
    // the first record with a timestamp at or after the one asked, found through the batches' max timestamps
    t.same(await lookup(c, 'lo', 0, 0, v), e(0, 0, T + 100, 0), `v${v}: timestamp 0`);
    t.same(await lookup(c, 'lo', 0, T + 100, v), e(0, 0, T + 100, 0), `v${v}: an exact timestamp`);
    t.same(await lookup(c, 'lo', 0, T + 101, v), e(0, 1, T + 300, 0), `v${v}: the first record at or after, within the first batch whose max reaches it`);
    t.same(await lookup(c, 'lo', 0, T + 301, v), e(0, 4, T + 400, 0), `v${v}: in a later batch`);
    t.same(await lookup(c, 'lo', 0, T + 401, v), e(0, -1, -1, -1), `v${v}: after every record: none`);
    t.same(await lookup(c, 'lo', 1, T, v), e(0, -1, -1, -1), `v${v}: an empty partition: none`);
  }
});

t.test('max timestamp (-3, v7+): the first record holding the largest timestamp', async t => {
  const b = await testBroker(t);
  const c = await testClient(t, b);
  await createTopic(c, 'mt', 2);
  const T = Date.now() - 100_000;
  t.same(await lookup(c, 'mt', 0, MAX_TIMESTAMP), [0, -1, -1, -1], 'an empty log: none');
  await produce(c, 'mt', 0, batch([{ value: 'a', timestamp: T + 10 }, { value: 'b', timestamp: T + 90 }, { value: 'c', timestamp: T + 20 }]));
  t.same(await lookup(c, 'mt', 0, MAX_TIMESTAMP), [0, 1, T + 90, 0], 'the middle record of the batch');
  await produce(c, 'mt', 0, batch([{ value: 'd', timestamp: T + 5 }, { value: 'e', timestamp: T + 50 }]));
  t.same(await lookup(c, 'mt', 0, MAX_TIMESTAMP), [0, 1, T + 90, 0], 'a later batch with smaller timestamps changes nothing');
  await produce(c, 'mt', 0, batch([{ value: 'f', timestamp: T + 1 }, { value: 'g', timestamp: T + 95 }, { value: 'h', timestamp: T + 95 }]));
  t.same(await lookup(c, 'mt', 0, MAX_TIMESTAMP), [0, 6, T + 95, 0], 'a larger one later: its first record');
  await produce(c, 'mt', 0, batch([{ value: 'i', timestamp: T + 95 }]));
  t.same(await lookup(c, 'mt', 0, MAX_TIMESTAMP), [0, 6, T + 95, 0], 'a tie later: still the first');
  for (const v of [7, 8, 9, 10]) t.same(await lookup(c, 'mt', 0, MAX_TIMESTAMP, v), [0, 6, T + 95, 0], `v${v}`);
});

t.test('earliest-local (-4, v8+) and latest-tiered (-5, v9+) without tiered storage', async t => {
  const b = await testBroker(t);
  const c = await testClient(t, b);
  await createTopic(c, 'tier');
  await produce(c, 'tier', 0, batch(['a', 'b']));
  for (const v of [8, 9, 10]) t.same(await lookup(c, 'tier', 0, EARLIEST_LOCAL, v), [0, 0, -1, 0], `v${v}: earliest-local is the log start`);
  for (const v of [9, 10]) t.same(await lookup(c, 'tier', 0, LATEST_TIERED, v), [0, -1, -1, -1], `v${v}: nothing was ever tiered`);
});

t.test('special timestamps a version does not know answer UNSUPPORTED_VERSION', async t => {
  const b = await testBroker(t);
  const c = await testClient(t, b);
  await createTopic(c, 'ver');
  await produce(c, 'ver', 0, batch(['a']));
  // ReplicaManager.isListOffsetsTimestampUnsupported: -3 needs v7, -4 v8, -5 v9; other negatives never
  const cases: [number, number][] = [
    [MAX_TIMESTAMP, 6],
    [MAX_TIMESTAMP, 1],
    [EARLIEST_LOCAL, 7],
    [LATEST_TIERED, 8],
    [-6, 10],
    [-100, 5],
  ];
  for (const [ts, v] of cases) {
    const r = await listOffset(c, 'ver', 0, ts, { version: v });
    t.same([r.errorCode, r.offset, r.timestamp], [ErrorCode.UNSUPPORTED_VERSION, -1, -1], `timestamp ${ts} at v${v}`);
  }
});

t.test('duplicates, unknown partitions and leader epochs', async t => {
  const b = await testBroker(t);
  const c = await testClient(t, b);
  await createTopic(c, 'd', 2);
  await produce(c, 'd', 0, batch(['a']));
  const res = await c.call(2, 10, {
    replicaId: -1,
    topics: [
      { name: 'd', partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: LATEST }, { partitionIndex: 1, currentLeaderEpoch: -1, timestamp: LATEST }] },
      { name: 'd', partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: EARLIEST }] },
      { name: 'nope', partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: LATEST }] },
      { name: 'd', partitions: [{ partitionIndex: 7, currentLeaderEpoch: -1, timestamp: LATEST }] },
    ],
    timeoutMs: 1000,
  });
  // Kafka answers each partition once, grouped by topic (ReplicaManager.fetchOffset)
  const got = res.topics.flatMap((x: any) => x.partitions.map((q: any) => [x.name, q.partitionIndex, q.errorCode, q.offset, q.timestamp]));
  got.sort((a: any[], b: any[]) => (a[0] === b[0] ? a[1] - b[1] : a[0] < b[0] ? -1 : 1));
  t.same(got, [
    ['d', 0, ErrorCode.INVALID_REQUEST, -1, -1],
    ['d', 1, 0, 0, -1],
    ['d', 7, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, -1, -1],
    ['nope', 0, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, -1, -1],
  ]);
  t.same(res.topics.map((x: any) => x.name).sort(), ['d', 'nope'], 'one entry per topic');

  // leader epochs: fenced below the current one, unknown above it (v4+)
  const partition = b.broker.cluster.topic('d')!.partitions[0]!;
  partition.leaderEpoch = 3;
  for (const v of [4, 7, 10]) {
    t.same(await lookup(c, 'd', 0, LATEST, v, 2), [ErrorCode.FENCED_LEADER_EPOCH, -1, -1, -1], `v${v}: fenced`);
    t.same(await lookup(c, 'd', 0, LATEST, v, 4), [ErrorCode.UNKNOWN_LEADER_EPOCH, -1, -1, -1], `v${v}: unknown epoch`);
    t.same(await lookup(c, 'd', 0, LATEST, v, 3), [0, 1, -1, 3], `v${v}: the current epoch`);
  }
  // a batch appended in epoch 3 carries it; the earlier one keeps epoch 0
  const T = Date.now();
  await produce(c, 'd', 0, batch([{ value: 'b', timestamp: T }]));
  t.same(await lookup(c, 'd', 0, EARLIEST), [0, 0, -1, 0], 'earliest: the epoch of the first batch');
  t.same(await lookup(c, 'd', 0, T), [0, 1, T, 3], 'by timestamp: the epoch of the batch found');
  t.same(await lookup(c, 'd', 0, MAX_TIMESTAMP), [0, 1, T, 3], 'max timestamp: the epoch of the batch found');
  t.same(await lookup(c, 'd', 0, LATEST), [0, 2, -1, 3], 'latest: the current epoch');
});

t.test('read_committed and read_uncommitted see the same offsets without transactions', async t => {
  const b = await testBroker(t);
  const c = await testClient(t, b);
  await createTopic(c, 'iso');
  await produce(c, 'iso', 0, batch(['a', 'b', 'c']));
  for (const isolationLevel of [0, 1]) {
    const r = await listOffset(c, 'iso', 0, LATEST, { version: 10, isolationLevel });
    t.same([r.errorCode, r.offset], [0, 3], `isolation level ${isolationLevel}`);
  }
});
