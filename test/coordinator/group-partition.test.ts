// Which partition of __consumer_offsets holds a group (Kafka's Utils.abs(hashCode) % partitions,
// the transaction coordinator's function), and data directories written before Samsa matched it:
// a group's records on its old partition are read back, before those on its own partition, so
// what was written since (commits, OffsetDelete, DeleteGroups, group epochs) wins.
/* eslint-disable @typescript-eslint/no-explicit-any -- responses decoded from the specs at run time */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import t, { type Test } from 'tap';
import { partitionForGroup } from '../../src/coordinator/group/group-coordinator.js';
import { decodeKey, encodeRecord, type GroupRecord } from '../../src/coordinator/group/offsets-records.js';
import { javaStringHashCode, partitionForTransactionalId } from '../../src/coordinator/transaction/txn-records.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import { encodeRecordBatch } from '../../src/protocol/records.js';
import { startBroker, type RunningBroker } from '../../src/index.js';
import { TestClient } from '../helpers/client.js';
import { batchesOf, createTopic, fetchOne } from '../helpers/kafka.js';
import { rng } from '../helpers/engines.js';

const FIND = 10, DESCRIBE = 15, LIST = 16, COMMIT = 8, FETCH = 9, DELETE_GROUPS = 42, OFFSET_DELETE = 47, CG_HEARTBEAT = 68, CG_DESCRIBE = 69;
const OFFSETS = '__consumer_offsets';

/** What Samsa computed before it matched Kafka: the hash with its sign bit cleared. */
const oldPartition = (groupId: string, partitions: number) => (javaStringHashCode(groupId) & 0x7fffffff) % partitions;

t.test("partitionForGroup: Kafka's Utils.abs(String.hashCode) % partitions", async t => {
  // hashCode values and partitions computed with a JVM (String.hashCode, Utils.abs), as in txn-records.test.ts
  const cases: [string, number, number, number][] = [
    // id, hashCode, partition of 50, partition of 7
    ['foo', 101574, 24, 4],
    ['hello', 99162322, 22, 0],
    ['my-txn', -1061187895, 45, 5],
    ['orders-producer', -1640734342, 42, 2],
    ['zzzzzz', -685785664, 14, 4],
    ['polygenelubricants', -2147483648, 0, 0], // Utils.abs(Integer.MIN_VALUE) is 0
    ['日本', 835047, 47, 3],
    ['😀-txn', 928373504, 4, 2], // UTF-16 code units, a surrogate pair for the emoji
  ];
  for (const [id, hash, p50, p7] of cases) {
    t.equal(javaStringHashCode(id), hash, `${id} hashCode`);
    t.equal(partitionForGroup(id, 50), p50, `${id} of 50`);
    t.equal(partitionForGroup(id, 7), p7, `${id} of 7`);
  }
  // what earlier versions did, for the negative hashes: another partition
  t.equal(oldPartition('my-txn', 50), 3);
  t.equal(oldPartition('polygenelubricants', 50), 0, 'MIN_VALUE & 0x7fffffff is 0 too');
  t.equal(oldPartition('zzzzzz', 50), 34);
  // one function for both coordinators
  const random = rng(848);
  for (let i = 0; i < 2000; i++) {
    const id = String.fromCharCode(...Array.from({ length: 1 + Math.floor(random() * 12) }, () => 32 + Math.floor(random() * 0x3000)));
    const n = 1 + Math.floor(random() * 64);
    const p = partitionForGroup(id, n);
    if (p !== partitionForTransactionalId(id, n) || p < 0 || p >= n) t.fail(`${JSON.stringify(id)} of ${n}: ${p}`);
  }
});

// ---- a data directory with groups on their old partitions ------------------------------------------

/** Appends records to one partition of __consumer_offsets, as an earlier Samsa wrote them. */
async function appendRaw(b: RunningBroker, partition: number, records: GroupRecord[]): Promise<void> {
  const p = b.broker.cluster.topic(OFFSETS)!.partitions[partition]!;
  const now = Date.now();
  const batch = encodeRecordBatch(records.map(r => ({ ...encodeRecord(r), timestamp: now })), { baseTimestamp: now });
  const outcome = await b.broker.replicas.append(p, batch, null, -1, 9);
  if (outcome.errorCode !== ErrorCode.NONE) throw new Error(`append to ${OFFSETS}-${partition}: error ${outcome.errorCode}`);
}

const offsetRecord = (group: string, topic: string, partition: number, offset: number): GroupRecord => ({
  key: { type: 'offset', group, topic, partition },
  value: { offset, leaderEpoch: -1, metadata: `m${offset}`, commitTimestamp: Date.now(), expireTimestamp: -1 },
});

/** Every record of a partition of __consumer_offsets: [key, is a tombstone]. */
async function keysOf(c: TestClient, partition: number): Promise<[any, boolean][]> {
  const p = await fetchOne(c, OFFSETS, partition, 0);
  if (p.errorCode !== 0) throw new Error(`fetch ${OFFSETS}-${partition}: error ${p.errorCode}`);
  return batchesOf(p.records).flatMap(b => b.records.map(r => [decodeKey(r.key!), r.value === null] as [any, boolean]));
}

async function fetched(c: TestClient, group: string): Promise<[string, number, number, string][]> {
  await c.call(FIND, 3, { key: group, keyType: 0 });
  const r = await c.call(FETCH, 7, { groupId: group, topics: null });
  if (r.errorCode !== 0) throw new Error(`OffsetFetch ${group}: error ${r.errorCode}`);
  return r.topics.flatMap((tp: any) => tp.partitions.map((p: any) => [tp.name, p.partitionIndex, p.committedOffset, p.metadata]));
}

async function commit(c: TestClient, group: string, topic: string, partition: number, offset: number): Promise<number> {
  await c.call(FIND, 3, { key: group, keyType: 0 });
  const r = await c.call(COMMIT, 8, {
    groupId: group,
    generationIdOrMemberEpoch: -1,
    memberId: '',
    topics: [{ name: topic, partitions: [{ partitionIndex: partition, committedOffset: offset, committedLeaderEpoch: -1, committedMetadata: `new ${offset}` }] }],
  });
  return r.topics[0].partitions[0].errorCode;
}

const describeCG = (c: TestClient, group: string): Promise<any> => c.call(CG_DESCRIBE, 1, { groupIds: [group], includeAuthorizedOperations: false }).then((r: any) => r.groups[0]);

function heartbeat(c: TestClient, group: string, memberId: string): Promise<any> {
  return c.call(CG_HEARTBEAT, 1, {
    groupId: group,
    memberId,
    memberEpoch: 0,
    instanceId: null,
    rackId: null,
    rebalanceTimeoutMs: 30_000,
    subscribedTopicNames: ['t'],
    subscribedTopicRegex: null,
    serverAssignor: null,
    topicPartitions: [],
  });
}

interface Opened {
  b: RunningBroker;
  c: TestClient;
  logs: { level: number; msg: string; [k: string]: unknown }[];
  /** Closes the client and the broker (at the test's end if not before). */
  close(): Promise<void>;
}

async function open(t: Test, dataDir: string): Promise<Opened> {
  const logs: Opened['logs'] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void logs.push(JSON.parse(line)) });
  const b = await startBroker({ port: 0, host: '127.0.0.1', dataDir, logger });
  const c = await TestClient.connect(b.bootstrap);
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    c.close();
    await b.close();
  };
  t.teardown(close);
  return { b, c, logs, close };
}

const FOREIGN_LOG = /other than their own/;

t.test('groups on the partition an earlier Samsa chose are loaded, and what is written since wins', async t => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'samsa-group-partition-'));
  t.teardown(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  // groups with a negative hash, their old partition before (3 < 45) and after (34 > 14) the new one
  const classic = 'zzzzzz';
  const deleted = 'my-txn';
  const consumer = 'orders-producer';
  const plain = 'foo'; // a positive hash: the same partition before and after
  const old = (g: string) => oldPartition(g, 50);
  const home = (g: string) => partitionForGroup(g, 50);
  t.same([classic, deleted, consumer].map(g => [old(g), home(g)]), [[34, 14], [3, 45], [6, 42]]);
  t.equal(old(plain), home(plain));

  // ---- an earlier version's data directory, written record by record
  let o = await open(t, dataDir);
  await createTopic(o.c, 't', 4);
  await o.c.call(FIND, 3, { key: 'any', keyType: 0 });
  t.equal(o.b.broker.cluster.topic(OFFSETS)!.partitions.length, 50);
  await appendRaw(o.b, old(classic), [
    { key: { type: 'group', group: classic }, value: { protocolType: 'consumer', generation: 4, protocol: 'range', leader: null, currentStateTimestamp: Date.now(), members: [] } },
    offsetRecord(classic, 't', 0, 10),
    offsetRecord(classic, 't', 1, 20),
    offsetRecord(classic, 't', 1, 21),
    offsetRecord(classic, 't', 2, 30),
  ]);
  await appendRaw(o.b, old(deleted), [offsetRecord(deleted, 't', 0, 5), offsetRecord(deleted, 't', 3, 7)]);
  await appendRaw(o.b, old(consumer), [
    { key: { type: 'consumerGroupMetadata', group: consumer }, value: { epoch: 7, metadataHash: 0n } },
    { key: { type: 'consumerGroupTargetAssignmentMetadata', group: consumer }, value: { assignmentEpoch: 7 } },
    offsetRecord(consumer, 't', 2, 99),
  ]);
  await appendRaw(o.b, home(plain), [offsetRecord(plain, 't', 0, 1)]);
  await o.close();

  // ---- opened by this version: the old partition's records are there
  o = await open(t, dataDir);
  let { c } = o;
  t.same(await fetched(c, classic), [['t', 0, 10, 'm10'], ['t', 1, 21, 'm21'], ['t', 2, 30, 'm30']], 'the classic group commits from its old partition');
  t.same(await fetched(c, deleted), [['t', 0, 5, 'm5'], ['t', 3, 7, 'm7']], 'a simple group from its old partition');
  t.same(await fetched(c, consumer), [['t', 2, 99, 'm99']]);
  t.same(await fetched(c, plain), [['t', 0, 1, 'm1']]);
  const d = (await c.call(DESCRIBE, 5, { groups: [classic], includeAuthorizedOperations: false })).groups[0];
  t.same([d.errorCode, d.groupState, d.protocolType], [0, 'Empty', 'consumer'], 'its GroupMetadata too');
  const cg = await describeCG(c, consumer);
  t.same([cg.errorCode, cg.groupState, cg.groupEpoch, cg.assignmentEpoch], [0, 'Empty', 7, 7], 'the consumer group from its old partition');
  const listed = (await c.call(LIST, 5, {})).groups.map((g: any) => g.groupId).sort();
  t.same(listed, [classic, plain, deleted, consumer].sort());
  const found = o.logs.filter(l => FOREIGN_LOG.test(l.msg));
  t.same(
    found.map(l => [l.level, l.groups, l.partitions]),
    [[30, 3, [old(deleted), old(consumer), old(classic)]]],
    'one info line per load: how many groups were on another partition, and which',
  );
  t.same(o.logs.filter(l => l.level >= 40), [], 'no warning');

  // a write that fails is undone by reading the group back: its old partition first
  const replicas = o.b.broker.replicas;
  const append = replicas.append.bind(replicas);
  let failures = 1;
  replicas.append = (p, ...rest) => {
    if (p.topic.name === OFFSETS && failures-- > 0) {
      return { errorCode: ErrorCode.KAFKA_STORAGE_ERROR, errorMessage: 'injected', recordErrors: [], baseOffset: -1, logAppendTime: -1, logStartOffset: -1 };
    }
    return append(p, ...rest);
  };
  t.equal((await heartbeat(c, consumer, 'member-x')).errorCode, ErrorCode.NOT_COORDINATOR, 'the join could not be written');
  const reread = await describeCG(c, consumer);
  t.same([reread.errorCode, reread.groupState, reread.groupEpoch, reread.members.length], [0, 'Empty', 7, 0], 'the consumer group is as its old partition has it');
  t.same(await fetched(c, consumer), [['t', 2, 99, 'm99']]);

  // ---- written after the upgrade, to the groups' own partitions
  t.equal(await commit(c, classic, 't', 0, 15), ErrorCode.NONE);
  const del = await c.call(OFFSET_DELETE, 0, { groupId: classic, topics: [{ name: 't', partitions: [{ partitionIndex: 1 }] }] });
  t.same([del.errorCode, del.topics[0].partitions[0].errorCode], [0, 0]);
  t.same(await fetched(c, classic), [['t', 0, 15, 'new 15'], ['t', 2, 30, 'm30']]);
  t.equal((await c.call(DELETE_GROUPS, 2, { groupsNames: [deleted] })).results[0].errorCode, ErrorCode.NONE);
  const joined = await heartbeat(c, consumer, 'member-a');
  t.same([joined.errorCode, joined.memberEpoch], [0, 8], 'the consumer group takes a member at the next epoch');

  const homeKeys = await keysOf(c, home(classic));
  t.ok(homeKeys.some(([k, gone]) => k.type === 'offset' && k.partition === 0 && !gone), 'the new commit is on the home partition');
  t.ok(homeKeys.some(([k, gone]) => k.type === 'offset' && k.partition === 1 && gone), 'and the OffsetDelete tombstone');
  const oldKeys = await keysOf(c, old(classic));
  t.same(
    oldKeys.filter(([, gone]) => gone).map(([k]) => [k.group, k.topic, k.partition]),
    [[classic, 't', 1]],
    'the tombstone is also on the old partition, for its cleaner; nothing else is written there',
  );
  t.equal(oldKeys.length, 6);
  t.same(
    (await keysOf(c, old(deleted))).filter(([, gone]) => gone).map(([k]) => [k.type, k.partition ?? null]).sort(),
    [['group', null], ['offset', 0], ['offset', 3]],
    "DeleteGroups' tombstones too",
  );
  await o.close();

  // ---- restarted: what was written since the upgrade wins
  o = await open(t, dataDir);
  ({ c } = o);
  t.same(await fetched(c, classic), [['t', 0, 15, 'new 15'], ['t', 2, 30, 'm30']], 'the newer commit wins, the deleted offset stays deleted');
  t.same(await fetched(c, deleted), [], 'the deleted group has no offsets');
  const gone = (await c.call(DESCRIBE, 6, { groups: [deleted], includeAuthorizedOperations: false })).groups[0];
  t.equal(gone.errorCode, ErrorCode.GROUP_ID_NOT_FOUND, 'and is gone');
  const after = await describeCG(c, consumer);
  t.same([after.groupEpoch, after.members.map((m: any) => m.memberId)], [8, ['member-a']], 'the newer group epoch and member win');
  t.same(await fetched(c, consumer), [['t', 2, 99, 'm99']]);
  t.same(await fetched(c, plain), [['t', 0, 1, 'm1']]);
  const listedAfter = (await c.call(LIST, 5, {})).groups.map((g: any) => g.groupId).sort();
  t.same(listedAfter, [classic, plain, consumer].sort());
  t.same(
    o.logs.filter(l => FOREIGN_LOG.test(l.msg)).map(l => l.groups),
    [3],
    'the old records are still read, before the new ones',
  );
  t.same(o.logs.filter(l => l.level >= 40), [], 'no warning');
  await o.close();
});

t.test('a new data directory has no group on another partition and says nothing of it', async t => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'samsa-group-partition-'));
  t.teardown(() => fs.rmSync(dataDir, { recursive: true, force: true }));
  let o = await open(t, dataDir);
  await createTopic(o.c, 't', 1);
  for (const g of ['my-txn', 'zzzzzz', 'polygenelubricants', 'foo']) t.equal(await commit(o.c, g, 't', 0, 3), ErrorCode.NONE);
  t.same(await keysOf(o.c, 0), [[{ type: 'offset', group: 'polygenelubricants', topic: 't', partition: 0 }, false]], 'Integer.MIN_VALUE: partition 0');
  t.same((await keysOf(o.c, 45)).map(([k]) => k.group), ['my-txn']);
  await o.close();
  o = await open(t, dataDir);
  for (const g of ['my-txn', 'zzzzzz', 'polygenelubricants', 'foo']) t.same(await fetched(o.c, g), [['t', 0, 3, 'new 3']], g);
  t.same(o.logs.filter(l => FOREIGN_LOG.test(l.msg)), []);
  await o.close();
});
