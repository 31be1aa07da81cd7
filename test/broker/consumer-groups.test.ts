// KIP-848 consumer groups over the wire: ConsumerGroupHeartbeat and ConsumerGroupDescribe wired
// to the coordinator, their records in __consumer_offsets read back after a restart, session
// timeouts, offsets committed and fetched with member epochs, ListGroups, DeleteGroups, and the
// conversions Kafka makes between empty classic and consumer groups.
/* eslint-disable @typescript-eslint/no-explicit-any -- responses decoded from the specs at run time */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t, { type Test } from 'tap';
import { testBroker, testClient, waitFor } from '../helpers/broker.js';
import { TestClient } from '../helpers/client.js';
import { createTopic } from '../helpers/kafka.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import { ManualClock } from '../../src/broker/clock.js';
import { startBroker, type RunningBroker } from '../../src/index.js';

const FIND = 10, JOIN = 11, DESCRIBE = 15, LIST = 16, COMMIT = 8, FETCH = 9, DELETE_GROUPS = 42, OFFSET_DELETE = 47, CG_HEARTBEAT = 68, CG_DESCRIBE = 69;

interface Hb {
  memberId: string;
  memberEpoch: number;
  topics?: string[] | null;
  regex?: string | null;
  owned?: { topicId: string; partitions: number[] }[] | null;
  instanceId?: string | null;
  rebalanceTimeoutMs?: number;
  serverAssignor?: string | null;
}

function heartbeat(c: TestClient, group: string, h: Hb, version = 1): Promise<any> {
  const joining = h.memberEpoch === 0;
  return c.call(CG_HEARTBEAT, version, {
    groupId: group,
    memberId: h.memberId,
    memberEpoch: h.memberEpoch,
    instanceId: h.instanceId ?? null,
    rackId: null,
    rebalanceTimeoutMs: h.rebalanceTimeoutMs ?? (joining ? 30_000 : -1),
    subscribedTopicNames: h.topics !== undefined ? h.topics : joining ? ['t'] : null,
    subscribedTopicRegex: h.regex ?? null,
    serverAssignor: h.serverAssignor ?? null,
    topicPartitions: h.owned !== undefined ? h.owned : joining ? [] : null,
  });
}

/** ConsumerGroupDescribe v1 of one group. */
const describeCG = (c: TestClient, group: string): Promise<any> => c.call(CG_DESCRIBE, 1, { groupIds: [group], includeAuthorizedOperations: false }).then((r: any) => r.groups[0]);

/** The partitions of an assignment, as "topicId:partition" sorted. */
const owned = (r: any): { topicId: string; partitions: number[] }[] => (r.assignment?.topicPartitions ?? []).map((tp: any) => ({ topicId: tp.topicId, partitions: [...tp.partitions].sort((a: number, b: number) => a - b) }));
const count = (o: { partitions: number[] }[]) => o.reduce((n, tp) => n + tp.partitions.length, 0);

/** A member as a client drives it: heartbeats, acknowledging what it was given, until its assignment stops changing. */
class Member {
  memberEpoch = 0;
  assignment: { topicId: string; partitions: number[] }[] = [];
  constructor(
    readonly c: TestClient,
    readonly group: string,
    readonly memberId: string,
    readonly topics: string[] = ['t'],
  ) {}

  async beat(extra: Partial<Hb> = {}): Promise<any> {
    const r = await heartbeat(this.c, this.group, {
      memberId: this.memberId,
      memberEpoch: this.memberEpoch,
      topics: this.memberEpoch === 0 ? this.topics : null,
      owned: this.memberEpoch === 0 ? [] : this.assignment,
      ...extra,
    });
    if (r.errorCode === ErrorCode.NONE) {
      this.memberEpoch = r.memberEpoch;
      if (r.assignment !== null) this.assignment = owned(r);
    }
    return r;
  }
}

async function setup(t: Test, config: Record<string, string | number> = {}, clock?: ManualClock): Promise<{ b: RunningBroker; c: TestClient; topicId: string }> {
  const b = await testBroker(t, { config, clock });
  const c = await testClient(t, b);
  const topicId = await createTopic(c, 't', 6);
  await c.call(FIND, 3, { key: 'any', keyType: 0 });
  return { b, c, topicId };
}

/** Heartbeats every member in turn until none has anything left to reconcile. */
async function settle(members: Member[], rounds = 10): Promise<void> {
  for (let i = 0; i < rounds; i++) {
    const before = JSON.stringify(members.map(m => [m.memberEpoch, m.assignment]));
    for (const m of members) {
      const r = await m.beat();
      if (r.errorCode !== ErrorCode.NONE) throw new Error(`heartbeat of ${m.memberId}: error ${r.errorCode} ${r.errorMessage}`);
    }
    if (JSON.stringify(members.map(m => [m.memberEpoch, m.assignment])) === before) return;
  }
  throw new Error('the group did not settle');
}

t.test('ApiVersions advertises ConsumerGroupHeartbeat v0-1 and ConsumerGroupDescribe v0-1', async t => {
  const { c } = await setup(t);
  const r = await c.call(18, 3, { clientSoftwareName: 'test', clientSoftwareVersion: '1' });
  const byKey = new Map(r.apiKeys.map((k: any) => [k.apiKey, [k.minVersion, k.maxVersion]]));
  t.same(byKey.get(CG_HEARTBEAT), [0, 1]);
  t.same(byKey.get(CG_DESCRIBE), [0, 1]);
});

t.test('a member joins, gets every partition, and the group is described, listed and Stable', async t => {
  const { c, topicId } = await setup(t);
  const a = new Member(c, 'g', 'member-a');
  const r = await a.beat();
  t.equal(r.errorCode, ErrorCode.NONE);
  t.equal(r.memberId, 'member-a', 'v1: the client-generated member id is kept');
  t.equal(r.memberEpoch, 1, 'the first epoch');
  t.equal(r.heartbeatIntervalMs, 5000, 'group.consumer.heartbeat.interval.ms');
  t.same(a.assignment, [{ topicId, partitions: [0, 1, 2, 3, 4, 5] }]);
  const d = (await c.call(CG_DESCRIBE, 1, { groupIds: ['g', 'missing'], includeAuthorizedOperations: true })).groups;
  t.equal(d[0].errorCode, ErrorCode.NONE);
  t.equal(d[0].groupState, 'Stable');
  t.equal(d[0].groupEpoch, 1);
  t.equal(d[0].assignmentEpoch, 1);
  t.equal(d[0].assignorName, 'uniform', 'the first of group.consumer.assignors');
  t.equal(d[0].members.length, 1);
  t.equal(d[0].members[0].memberId, 'member-a');
  t.equal(d[0].members[0].clientId, 'samsa-test');
  t.equal(d[0].members[0].clientHost, '/127.0.0.1');
  t.same(d[0].members[0].subscribedTopicNames, ['t']);
  t.not(d[0].authorizedOperations, -2147483648, 'authorized operations when asked for');
  t.equal(d[1].errorCode, ErrorCode.GROUP_ID_NOT_FOUND);
  const listed = (await c.call(LIST, 5, { statesFilter: [], typesFilter: [] })).groups;
  t.same(listed.map((g: any) => [g.groupId, g.protocolType, g.groupState, g.groupType]), [['g', 'consumer', 'Stable', 'consumer']]);
  t.same((await c.call(LIST, 5, { statesFilter: ['stable'], typesFilter: ['classic'] })).groups, [], 'the type filter');
  t.same((await c.call(LIST, 5, { statesFilter: ['STABLE'], typesFilter: ['consumer'] })).groups.length, 1, 'filters are case-insensitive');
});

t.test('a second member: partitions are revoked from the first before the second gets them', async t => {
  const { c } = await setup(t);
  const a = new Member(c, 'g', 'member-a');
  const b = new Member(c, 'g', 'member-b');
  await a.beat();
  t.equal(count(a.assignment), 6);
  const rb = await b.beat();
  t.equal(rb.memberEpoch, 2, 'the group epoch grew');
  t.equal(count(b.assignment), 0, 'nothing yet: every partition is still owned by a');
  // a is told to give three back; until it acknowledges, b cannot have them
  const ra = await a.beat();
  t.equal(count(a.assignment), 3, 'a keeps three');
  t.equal(ra.memberEpoch, 1, 'a stays at its epoch until it has revoked');
  await settle([a, b]);
  t.equal(count(a.assignment), 3);
  t.equal(count(b.assignment), 3);
  const all = [...a.assignment, ...b.assignment].flatMap(tp => tp.partitions).sort();
  t.same(all, [0, 1, 2, 3, 4, 5], 'each partition exactly once');
  const d = (await c.call(CG_DESCRIBE, 0, { groupIds: ['g'], includeAuthorizedOperations: false })).groups[0];
  t.equal(d.groupState, 'Stable');
  t.equal(d.authorizedOperations, -2147483648, 'not asked for');
  // b leaves: a gets everything back
  const left = await heartbeat(c, 'g', { memberId: 'member-b', memberEpoch: -1 });
  t.equal(left.errorCode, ErrorCode.NONE);
  t.equal(left.memberEpoch, -1);
  await settle([a]);
  t.equal(count(a.assignment), 6);
});

t.test('bad heartbeats get Kafka errors and change nothing', async t => {
  const { c } = await setup(t);
  const a = new Member(c, 'g', 'member-a');
  await a.beat();
  const before = await describeCG(c, 'g');
  const cases: [string, Hb, number, number][] = [
    ['v1 without a member id', { memberId: '', memberEpoch: 0 }, 1, ErrorCode.INVALID_REQUEST],
    ['joining without a rebalance timeout', { memberId: 'x', memberEpoch: 0, rebalanceTimeoutMs: -1 }, 1, ErrorCode.INVALID_REQUEST],
    ['joining without a subscription', { memberId: 'x', memberEpoch: 0, topics: null }, 1, ErrorCode.INVALID_REQUEST],
    ['an unknown member', { memberId: 'nobody', memberEpoch: 3 }, 1, ErrorCode.UNKNOWN_MEMBER_ID],
    ['an epoch from the future', { memberId: 'member-a', memberEpoch: 9, owned: [] }, 1, ErrorCode.FENCED_MEMBER_EPOCH],
    ['an unknown server assignor', { memberId: 'y', memberEpoch: 0, serverAssignor: 'nope' }, 1, ErrorCode.UNSUPPORTED_ASSIGNOR],
    ['an invalid regex', { memberId: 'z', memberEpoch: 0, topics: null, regex: '(' }, 1, ErrorCode.INVALID_REGULAR_EXPRESSION],
    ['an unknown group with an epoch', { memberId: 'member-a', memberEpoch: 1 }, 1, ErrorCode.GROUP_ID_NOT_FOUND],
  ];
  for (const [what, h, v, code] of cases) {
    const r = await heartbeat(c, what.includes('unknown group') ? 'other' : 'g', h, v);
    t.equal(r.errorCode, code, what);
  }
  const empty = await c.call(CG_HEARTBEAT, 1, { groupId: '', memberId: 'm', memberEpoch: 0, instanceId: null, rackId: null, rebalanceTimeoutMs: 1000, subscribedTopicNames: ['t'], subscribedTopicRegex: null, serverAssignor: null, topicPartitions: [] });
  t.equal(empty.errorCode, ErrorCode.INVALID_REQUEST, 'an empty group id');
  const after = await describeCG(c, 'g');
  t.same(after, before, 'the group is unchanged');
  t.same((await c.call(CG_DESCRIBE, 1, { groupIds: ['other'], includeAuthorizedOperations: false })).groups[0].errorCode, ErrorCode.GROUP_ID_NOT_FOUND, 'no group was created');
});

t.test('v0 joins get a member id from the coordinator', async t => {
  const { c } = await setup(t);
  const r = await heartbeat(c, 'g', { memberId: '', memberEpoch: 0 }, 0);
  t.equal(r.errorCode, ErrorCode.NONE);
  t.match(r.memberId, /^[A-Za-z0-9_-]{22}$/, "Kafka's Uuid text form");
});

t.test('a member that stops heartbeating is fenced after group.consumer.session.timeout.ms', async t => {
  const clock = new ManualClock();
  const { c } = await setup(t, { 'group.consumer.session.timeout.ms': 2000, 'group.consumer.min.session.timeout.ms': 1000, 'group.consumer.heartbeat.interval.ms': 500, 'group.consumer.min.heartbeat.interval.ms': 100 }, clock);
  const a = new Member(c, 'g', 'member-a');
  const b = new Member(c, 'g', 'member-b');
  await a.beat();
  await b.beat();
  await settle([a, b]);
  t.equal(count(a.assignment), 3);
  // only a keeps heartbeating
  for (let i = 0; i < 5; i++) {
    clock.advance(500);
    await a.beat();
  }
  const d = await waitFor(async () => {
    const g = await describeCG(c, 'g');
    return g.members.length === 1 ? g : null;
  }, 5000, 'b to be fenced');
  t.equal(d.members[0].memberId, 'member-a');
  await settle([a]);
  t.equal(count(a.assignment), 6, 'a owns every partition again');
  const late = await b.beat();
  t.equal(late.errorCode, ErrorCode.UNKNOWN_MEMBER_ID, 'the fenced member is unknown');
});

t.test('offsets: commits checked against member epochs, fetched with them, deleted only for unsubscribed topics', async t => {
  const { c } = await setup(t);
  await createTopic(c, 'other', 1);
  const a = new Member(c, 'g', 'member-a');
  await a.beat();
  const commit = (epoch: number, memberId: string, version = 9, topic = 't') =>
    c.call(COMMIT, version, { groupId: 'g', generationIdOrMemberEpoch: epoch, memberId, groupInstanceId: null, retentionTimeMs: -1, topics: [{ name: topic, partitions: [{ partitionIndex: 0, committedOffset: 5, committedLeaderEpoch: -1, committedMetadata: 'm' }] }] }).then((r: any) => r.topics[0].partitions[0].errorCode);
  t.equal(await commit(1, 'member-a'), ErrorCode.NONE, 'the current epoch');
  t.equal(await commit(0, 'member-a'), ErrorCode.STALE_MEMBER_EPOCH, 'an old epoch');
  t.equal(await commit(1, 'nobody'), ErrorCode.UNKNOWN_MEMBER_ID);
  t.equal(await commit(-1, ''), ErrorCode.UNKNOWN_MEMBER_ID, 'a simple commit to a group with members');
  t.equal(await commit(1, 'member-a', 8), ErrorCode.UNSUPPORTED_VERSION, 'a consumer member commits with v9+');
  t.equal(await commit(1, 'member-a', 9, 'other'), ErrorCode.NONE);
  const fetch = (memberId: string | null, memberEpoch: number) =>
    c.call(FETCH, 9, { groups: [{ groupId: 'g', memberId, memberEpoch, topics: [{ name: 't', partitionIndexes: [0] }] }], requireStable: false }).then((r: any) => r.groups[0]);
  const ok = await fetch('member-a', 1);
  t.equal(ok.errorCode, ErrorCode.NONE);
  t.same([ok.topics[0].partitions[0].committedOffset, ok.topics[0].partitions[0].metadata], [5, 'm']);
  t.equal((await fetch('member-a', 0)).errorCode, ErrorCode.STALE_MEMBER_EPOCH);
  t.equal((await fetch('nobody', 1)).errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
  t.equal((await fetch(null, -1)).errorCode, ErrorCode.NONE, 'an admin fetch');
  const del = await c.call(OFFSET_DELETE, 0, { groupId: 'g', topics: [{ name: 't', partitions: [{ partitionIndex: 0 }] }, { name: 'other', partitions: [{ partitionIndex: 0 }] }] });
  t.same(del.topics.map((x: any) => [x.name, x.partitions[0].errorCode]), [['t', ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC], ['other', ErrorCode.NONE]]);
  t.equal((await fetch(null, -1)).topics[0].partitions[0].committedOffset, 5, 'the subscribed topic keeps its offset');
});

t.test('DeleteGroups: a consumer group with members is refused; an empty one goes with its offsets', async t => {
  const { c } = await setup(t);
  const a = new Member(c, 'g', 'member-a');
  await a.beat();
  await c.call(COMMIT, 9, { groupId: 'g', generationIdOrMemberEpoch: 1, memberId: 'member-a', groupInstanceId: null, retentionTimeMs: -1, topics: [{ name: 't', partitions: [{ partitionIndex: 1, committedOffset: 7, committedLeaderEpoch: -1, committedMetadata: null }] }] });
  const del = () => c.call(DELETE_GROUPS, 2, { groupsNames: ['g'] }).then((r: any) => r.results[0].errorCode);
  t.equal(await del(), ErrorCode.NON_EMPTY_GROUP);
  await heartbeat(c, 'g', { memberId: 'member-a', memberEpoch: -1 });
  t.equal((await describeCG(c, 'g')).groupState, 'Empty');
  t.equal(await del(), ErrorCode.NONE);
  t.equal((await describeCG(c, 'g')).errorCode, ErrorCode.GROUP_ID_NOT_FOUND);
  const f = await c.call(FETCH, 8, { groups: [{ groupId: 'g', topics: null }], requireStable: false });
  t.same(f.groups[0].topics, [], 'the offsets went with it');
  t.equal(await del(), ErrorCode.GROUP_ID_NOT_FOUND);
});

t.test('conversions: an empty classic group becomes a consumer group and back; with group.consumer.migration.policy=disabled groups with members are not', async t => {
  const { c } = await setup(t, { 'group.consumer.migration.policy': 'disabled' });
  // a simple group (offsets only) is an empty classic group
  await c.call(COMMIT, 8, { groupId: 'g', generationIdOrMemberEpoch: -1, memberId: '', groupInstanceId: null, topics: [{ name: 't', partitions: [{ partitionIndex: 0, committedOffset: 3, committedLeaderEpoch: -1, committedMetadata: null }] }] });
  t.equal((await c.call(DESCRIBE, 5, { groups: ['g'], includeAuthorizedOperations: false })).groups[0].groupState, 'Empty');
  const a = new Member(c, 'g', 'member-a');
  const r = await a.beat();
  t.equal(r.errorCode, ErrorCode.NONE, 'the empty classic group becomes a consumer group');
  const listed = (await c.call(LIST, 5, { statesFilter: [], typesFilter: [] })).groups;
  t.same(listed.map((g: any) => [g.groupId, g.groupType]), [['g', 'consumer']], 'one group of that id, of the new type');
  const fetched = await c.call(FETCH, 9, { groups: [{ groupId: 'g', memberId: 'member-a', memberEpoch: 1, topics: [{ name: 't', partitionIndexes: [0] }] }], requireStable: false });
  t.equal(fetched.groups[0].topics[0].partitions[0].committedOffset, 3, 'the offsets stay');
  // a classic member of another protocol type cannot join the consumer group
  const join = (group: string, memberId = '', protocolType = 'consumer') =>
    c.call(JOIN, 5, { groupId: group, sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 10_000, memberId, groupInstanceId: null, protocolType, protocols: [{ name: 'range', metadata: Buffer.alloc(0) }] });
  t.equal((await join('g', '', 'connect')).errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
  const described = (await c.call(DESCRIBE, 6, { groups: ['g'], includeAuthorizedOperations: false })).groups[0];
  t.same([described.errorCode, described.errorMessage], [ErrorCode.GROUP_ID_NOT_FOUND, 'Group g is not a classic group.'], 'DescribeGroups is for classic groups');
  // once empty, a classic member turns it back into a classic group
  await heartbeat(c, 'g', { memberId: 'member-a', memberEpoch: -1 });
  const j = await join('g');
  t.equal(j.errorCode, ErrorCode.MEMBER_ID_REQUIRED, 'the classic join proceeds');
  t.same((await c.call(LIST, 5, { statesFilter: [], typesFilter: [] })).groups.map((g: any) => [g.groupId, g.groupType]), [['g', 'classic']]);
  t.equal((await describeCG(c, 'g')).errorCode, ErrorCode.GROUP_ID_NOT_FOUND);
  // a classic group with members is not a consumer group
  const j2 = await join('g', j.memberId);
  t.equal(j2.errorCode, ErrorCode.NONE);
  const refused = await heartbeat(c, 'g', { memberId: 'member-b', memberEpoch: 0 });
  t.same([refused.errorCode, refused.errorMessage], [ErrorCode.GROUP_ID_NOT_FOUND, 'Group g is not a consumer group']);
});

t.test('consumer groups survive a restart: members, epochs, assignments and offsets are read back', async t => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'samsa-cg-'));
  t.teardown(() => fs.rmSync(dataDir, { recursive: true, force: true }));
  const start = () => startBroker({ port: 0, host: '127.0.0.1', logLevel: 'silent', dataDir });
  let b = await start();
  let c = await TestClient.connect(b.bootstrap);
  try {
    await createTopic(c, 't', 6);
    await c.call(FIND, 3, { key: 'g', keyType: 0 });
    const a = new Member(c, 'g', 'member-a');
    const m2 = new Member(c, 'g', 'member-b');
    await a.beat();
    await m2.beat();
    await settle([a, m2]);
    await c.call(COMMIT, 9, { groupId: 'g', generationIdOrMemberEpoch: a.memberEpoch, memberId: 'member-a', groupInstanceId: null, retentionTimeMs: -1, topics: [{ name: 't', partitions: [{ partitionIndex: 0, committedOffset: 11, committedLeaderEpoch: -1, committedMetadata: 'x' }] }] });
    const before = await describeCG(c, 'g');
    c.close();
    await b.close();
    b = await start();
    c = await TestClient.connect(b.bootstrap);
    const after = await describeCG(c, 'g');
    t.same(after, before, 'the same group, members and assignments');
    // the members carry on where they were
    const ra = await heartbeat(c, 'g', { memberId: 'member-a', memberEpoch: a.memberEpoch, owned: a.assignment });
    t.equal(ra.errorCode, ErrorCode.NONE);
    t.equal(ra.memberEpoch, a.memberEpoch);
    const f = await c.call(FETCH, 9, { groups: [{ groupId: 'g', memberId: 'member-a', memberEpoch: a.memberEpoch, topics: [{ name: 't', partitionIndexes: [0] }] }], requireStable: false });
    t.same([f.groups[0].topics[0].partitions[0].committedOffset, f.groups[0].topics[0].partitions[0].metadata], [11, 'x']);
    // a member that joins after the restart gets partitions as before
    const m3 = new Member(c, 'g', 'member-c');
    const mb = new Member(c, 'g', 'member-b');
    mb.memberEpoch = m2.memberEpoch;
    mb.assignment = m2.assignment;
    const ma = new Member(c, 'g', 'member-a');
    ma.memberEpoch = a.memberEpoch;
    ma.assignment = a.assignment;
    await m3.beat();
    await settle([ma, mb, m3]);
    t.same([count(ma.assignment), count(mb.assignment), count(m3.assignment)], [2, 2, 2]);
  } finally {
    c.close();
    await b.close();
  }
});

t.test('a regex subscription picks up topics created later', async t => {
  const { c, topicId } = await setup(t);
  const a = new Member(c, 'g', 'member-a', []);
  const r = await a.beat({ topics: null, regex: 't.*' });
  t.equal(r.errorCode, ErrorCode.NONE);
  await settle([a]);
  t.same(a.assignment, [{ topicId, partitions: [0, 1, 2, 3, 4, 5] }]);
  const id2 = await createTopic(c, 'tz', 2);
  await createTopic(c, 'x', 2);
  await settle([a]);
  t.same(a.assignment.find(tp => tp.topicId === id2)?.partitions, [0, 1], 'the new matching topic is assigned');
  t.equal(a.assignment.length, 2, 'the non-matching topic is not');
});

t.test('a failed write of the group records is answered with an error and the group is read back as the log has it', async t => {
  const { b, c } = await setup(t);
  const a = new Member(c, 'g', 'member-a');
  await a.beat();
  const before = await describeCG(c, 'g');
  // the next append to __consumer_offsets fails as a full disk would make it
  const replicas = b.broker.replicas;
  const append = replicas.append.bind(replicas);
  let failures = 1;
  replicas.append = (p, ...rest) => {
    if (p.topic.name === '__consumer_offsets' && failures-- > 0) {
      return { errorCode: ErrorCode.KAFKA_STORAGE_ERROR, errorMessage: 'injected', recordErrors: [], baseOffset: -1, logAppendTime: -1, logStartOffset: -1 };
    }
    return append(p, ...rest);
  };
  const refused = await heartbeat(c, 'g', { memberId: 'member-b', memberEpoch: 0 });
  t.equal(refused.errorCode, ErrorCode.NOT_COORDINATOR, "Kafka's mapping of a storage error for group writes");
  t.same(await describeCG(c, 'g'), before, 'the join that was not written is gone: the group is as before');
  const ra = await a.beat();
  t.same([ra.errorCode, ra.memberEpoch], [ErrorCode.NONE, 1], 'the first member carries on at its epoch');
  const rb = await heartbeat(c, 'g', { memberId: 'member-b', memberEpoch: 0 });
  t.same([rb.errorCode, rb.memberEpoch], [ErrorCode.NONE, 2], 'the retried join is written and answered');
});
