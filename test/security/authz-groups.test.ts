// Authorization of the group APIs as Kafka 4.1's KafkaApis does it, over PLAINTEXT where the
// requester is User:ANONYMOUS and the ACLs are put in the cluster's store directly:
// FindCoordinator, JoinGroup/SyncGroup/Heartbeat/LeaveGroup, OffsetCommit, OffsetFetch,
// OffsetDelete, DescribeGroups, ListGroups, DeleteGroups, ConsumerGroupHeartbeat (subscribed
// names and regex resolution) and ConsumerGroupDescribe (assignment topics); and a kafkajs
// consumer that may read its topic but not its group.
/* eslint-disable @typescript-eslint/no-explicit-any -- responses decoded from the specs at run time */
import t, { type Test } from 'tap';
import { AssignerProtocol, Kafka, logLevel } from 'kafkajs';
import { anonymousAcl as acl, securedWithClient, type Secured } from '../helpers/acls.js';
import { testBroker, testClient, waitFor } from '../helpers/broker.js';
import type { TestClient } from '../helpers/client.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import { errorMessage } from '../../src/protocol/errors.js';
import { AclOperation as Op, AclPermissionType as Perm, PatternType as Pat, ResourceType as Res } from '../../src/security/acls.js';

const FIND = 10, JOIN = 11, HEARTBEAT = 12, LEAVE = 13, SYNC = 14, DESCRIBE = 15, LIST = 16, COMMIT = 8, FETCH = 9, DELETE_GROUPS = 42, OFFSET_DELETE = 47, CG_HEARTBEAT = 68, CG_DESCRIBE = 69;
const NOT_REQUESTED = -2147483648;
const bit = (...ops: number[]) => ops.reduce((bits, op) => bits | (1 << op), 0);

/** A secured broker with __consumer_offsets made, without FindCoordinator's check. */
async function secured(t: Test, config: Record<string, string> = {}): Promise<Secured> {
  const s = await securedWithClient(t, config);
  s.b.broker.groups.coordinatorFor('any');
  return s;
}

const subscription = AssignerProtocol.MemberMetadata.encode({ version: 0, topics: ['t'], userData: Buffer.alloc(0) });

const join = (c: TestClient, groupId: string, memberId = '') =>
  c.call(JOIN, 7, {
    groupId,
    sessionTimeoutMs: 10_000,
    rebalanceTimeoutMs: 10_000,
    memberId,
    groupInstanceId: null,
    protocolType: 'consumer',
    protocols: [{ name: 'range', metadata: subscription }],
  });

/** JoinGroup v7 as a client does it: again with the member id the first answer hands out. */
async function joinWithId(c: TestClient, groupId: string): Promise<any> {
  const first = await join(c, groupId);
  return first.errorCode === ErrorCode.MEMBER_ID_REQUIRED ? join(c, groupId, first.memberId) : first;
}

/** A simple consumer's OffsetCommit v8 (generation -1); error codes by `topic-partition`. */
async function commit(c: TestClient, groupId: string, offsets: Record<string, number>): Promise<Record<string, number>> {
  const byTopic = new Map<string, any[]>();
  for (const [tp, committedOffset] of Object.entries(offsets)) {
    const i = tp.lastIndexOf('-');
    const name = tp.slice(0, i);
    if (!byTopic.has(name)) byTopic.set(name, []);
    byTopic.get(name)!.push({ partitionIndex: Number(tp.slice(i + 1)), committedOffset, committedLeaderEpoch: -1, committedMetadata: 'm' });
  }
  const r = await c.call(COMMIT, 8, { groupId, generationIdOrMemberEpoch: -1, memberId: '', groupInstanceId: null, topics: [...byTopic].map(([name, partitions]) => ({ name, partitions })) });
  const out: Record<string, number> = {};
  for (const topic of r.topics) for (const p of topic.partitions) out[`${topic.name}-${p.partitionIndex}`] = p.errorCode;
  return out;
}

/** [topic, partition, offset, error] of an OffsetFetch topics list. */
const offsetsOf = (topics: any[]) => topics.flatMap((x: any) => x.partitions.map((p: any) => [x.name, p.partitionIndex, Number(p.committedOffset), p.errorCode]));

t.test('without an authorizer every group API is allowed', async t => {
  const b = await testBroker(t);
  const c = await testClient(t, b);
  const find = await c.call(FIND, 4, { keyType: 0, coordinatorKeys: ['g'] });
  t.equal(find.coordinators[0].errorCode, ErrorCode.NONE);
  const joined = await joinWithId(c, 'g');
  t.equal(joined.errorCode, ErrorCode.NONE);
  const d = (await c.call(DESCRIBE, 5, { groups: ['g'], includeAuthorizedOperations: true })).groups[0];
  t.equal(d.authorizedOperations, bit(Op.READ, Op.DESCRIBE, Op.DELETE, Op.DESCRIBE_CONFIGS, Op.ALTER_CONFIGS), "every operation a group supports");
  t.same((await c.call(LIST, 5, { statesFilter: [], typesFilter: [] })).groups.map((g: any) => g.groupId), ['g']);
});

t.test('FindCoordinator: DESCRIBE on the group or the transactional id, per key; share keys need CLUSTER_ACTION', async t => {
  const s = await secured(t);
  s.b.broker.transactions.coordinatorFor('any');
  s.grant(acl(Res.GROUP, 'g-read', Op.READ), acl(Res.GROUP, 'g-describe', Op.DESCRIBE), acl(Res.TRANSACTIONAL_ID, 'tx-ok', Op.DESCRIBE));

  const groups = (await s.c.call(FIND, 4, { keyType: 0, coordinatorKeys: ['g-read', 'g-no', 'g-describe'] })).coordinators;
  t.same(
    groups.map((k: any) => [k.key, k.errorCode]),
    [
      ['g-read', ErrorCode.NONE],
      ['g-no', ErrorCode.GROUP_AUTHORIZATION_FAILED],
      ['g-describe', ErrorCode.NONE],
    ],
    'READ implies DESCRIBE; the key without an ACL is refused on its own',
  );
  t.same([groups[1].nodeId, groups[1].host, groups[1].port, groups[1].errorMessage], [-1, '', -1, null], 'no node, no message (v4+)');
  t.equal(groups[0].nodeId, s.b.nodeId);

  const old = await s.c.call(FIND, 3, { key: 'g-no', keyType: 0 });
  t.same([old.errorCode, old.errorMessage, old.nodeId, old.host, old.port], [ErrorCode.GROUP_AUTHORIZATION_FAILED, errorMessage(ErrorCode.GROUP_AUTHORIZATION_FAILED), -1, '', -1], 'v3: the single key, with the default message');
  t.equal((await s.c.call(FIND, 0, { key: 'g-no' })).errorCode, ErrorCode.GROUP_AUTHORIZATION_FAILED, 'v0: group keys only');

  const txns = (await s.c.call(FIND, 4, { keyType: 1, coordinatorKeys: ['tx-ok', 'tx-no', 'g-read'] })).coordinators;
  t.same(
    txns.map((k: any) => [k.key, k.errorCode]),
    [
      ['tx-ok', ErrorCode.NONE],
      ['tx-no', ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED],
      ['g-read', ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED],
    ],
    'a transaction key needs DESCRIBE on the transactional id (a group ACL of the same name does not count)',
  );

  const share = (await s.c.call(FIND, 6, { keyType: 2, coordinatorKeys: ['sg:topic-id:0', 'other'] })).coordinators;
  t.same(
    share.map((k: any) => [k.key, k.errorCode, k.errorMessage]),
    [
      ['sg:topic-id:0', ErrorCode.CLUSTER_AUTHORIZATION_FAILED, errorMessage(ErrorCode.CLUSTER_AUTHORIZATION_FAILED)],
      ['other', ErrorCode.CLUSTER_AUTHORIZATION_FAILED, errorMessage(ErrorCode.CLUSTER_AUTHORIZATION_FAILED)],
    ],
    'v6 share keys without CLUSTER_ACTION: the whole request fails',
  );
  t.equal((await s.c.call(FIND, 5, { keyType: 2, coordinatorKeys: ['x'] })).coordinators[0].errorCode, ErrorCode.INVALID_REQUEST, 'below v6 a share key is invalid before any check');
  s.grant(acl(Res.CLUSTER, 'kafka-cluster', Op.CLUSTER_ACTION));
  t.equal((await s.c.call(FIND, 6, { keyType: 2, coordinatorKeys: ['x'] })).coordinators[0].errorCode, ErrorCode.INVALID_REQUEST, 'with CLUSTER_ACTION: past the check (share groups are not enabled)');
});

t.test('JoinGroup, SyncGroup, Heartbeat and LeaveGroup need READ on the group', async t => {
  const s = await secured(t);
  s.grant(acl(Res.GROUP, 'g-describe', Op.DESCRIBE));

  for (const group of ['g', 'g-describe']) {
    const r = await join(s.c, group);
    t.same([r.errorCode, r.generationId, r.memberId, r.leader, r.protocolName, r.members], [ErrorCode.GROUP_AUTHORIZATION_FAILED, -1, '', '', null, []], `JoinGroup of ${group}: refused`);
  }
  const sync = (extra: Record<string, unknown> = {}) =>
    s.c.call(SYNC, 5, { groupId: 'g', generationId: 1, memberId: 'm', groupInstanceId: null, protocolType: 'consumer', protocolName: 'range', assignments: [], ...extra });
  const refused = await sync();
  t.same([refused.errorCode, refused.assignment.length], [ErrorCode.GROUP_AUTHORIZATION_FAILED, 0], 'SyncGroup');
  t.equal((await sync({ protocolType: null })).errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL, 'v5 without the protocol type: refused for that before authorization');
  t.equal((await s.c.call(HEARTBEAT, 4, { groupId: 'g', generationId: 1, memberId: 'm', groupInstanceId: null })).errorCode, ErrorCode.GROUP_AUTHORIZATION_FAILED, 'Heartbeat');
  const left = await s.c.call(LEAVE, 5, { groupId: 'g', members: [{ memberId: 'm', groupInstanceId: null, reason: null }] });
  t.same([left.errorCode, left.members], [ErrorCode.GROUP_AUTHORIZATION_FAILED, []], 'LeaveGroup v5: top level, no members');
  t.equal((await s.c.call(LEAVE, 0, { groupId: 'g', memberId: 'm' })).errorCode, ErrorCode.GROUP_AUTHORIZATION_FAILED, 'LeaveGroup v0');

  s.grant(acl(Res.GROUP, 'g', Op.READ));
  const joined = await joinWithId(s.c, 'g');
  t.equal(joined.errorCode, ErrorCode.NONE, 'with READ the member joins');
  const synced = await sync({ generationId: joined.generationId, memberId: joined.memberId, assignments: [{ memberId: joined.memberId, assignment: Buffer.from('a') }] });
  t.same([synced.errorCode, synced.assignment.toString()], [ErrorCode.NONE, 'a']);
  t.equal((await s.c.call(HEARTBEAT, 4, { groupId: 'g', generationId: joined.generationId, memberId: joined.memberId, groupInstanceId: null })).errorCode, ErrorCode.NONE);
  const leave = await s.c.call(LEAVE, 5, { groupId: 'g', members: [{ memberId: joined.memberId, groupInstanceId: null, reason: null }] });
  t.same([leave.errorCode, leave.members.map((m: any) => m.errorCode)], [ErrorCode.NONE, [ErrorCode.NONE]]);

  s.grant(acl(Res.GROUP, 'g', Op.READ, Perm.DENY));
  t.equal((await join(s.c, 'g')).errorCode, ErrorCode.GROUP_AUTHORIZATION_FAILED, 'a DENY wins over the ALLOW');
});

t.test('OffsetCommit: READ on the group, then READ on each topic before its existence is looked at', async t => {
  const s = await secured(t);
  s.topic('readable', 1);
  s.topic('secret', 1);
  s.grant(acl(Res.TOPIC, 'readable', Op.READ), acl(Res.TOPIC, 'ghost-ok', Op.READ), acl(Res.TOPIC, 'secret', Op.DESCRIBE));
  const offsets = { 'readable-0': 5, 'readable-7': 1, 'secret-0': 3, 'ghost-0': 1, 'ghost-ok-0': 1 };

  t.same(
    await commit(s.c, 'g', offsets),
    { 'readable-0': 30, 'readable-7': 30, 'secret-0': 30, 'ghost-0': 30, 'ghost-ok-0': 30 },
    'no READ on the group: every partition GROUP_AUTHORIZATION_FAILED',
  );
  s.grant(acl(Res.GROUP, 'g', Op.READ));
  t.same(
    await commit(s.c, 'g', offsets),
    {
      'readable-0': ErrorCode.NONE,
      'readable-7': ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
      'secret-0': ErrorCode.TOPIC_AUTHORIZATION_FAILED,
      'ghost-0': ErrorCode.TOPIC_AUTHORIZATION_FAILED,
      'ghost-ok-0': ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
    },
    'DESCRIBE is not READ; an unknown topic one may not read is TOPIC_AUTHORIZATION_FAILED, one one may read UNKNOWN_TOPIC_OR_PARTITION',
  );
  s.grant(acl(Res.GROUP, 'g', Op.DESCRIBE));
  const fetched = await s.c.call(FETCH, 7, { groupId: 'g', topics: [{ name: 'readable', partitionIndexes: [0] }], requireStable: false });
  t.same(offsetsOf(fetched.topics), [['readable', 0, 5, ErrorCode.NONE]], 'only the authorized partition was committed');
});

t.test('OffsetFetch: DESCRIBE on each group; offsets only of topics one may DESCRIBE', async t => {
  const s = await secured(t);
  s.topic('readable', 1);
  s.topic('secret', 1);
  s.grant(acl(Res.GROUP, 'g', Op.READ), acl(Res.TOPIC, 'readable', Op.READ), acl(Res.TOPIC, 'secret', Op.READ));
  t.same(await commit(s.c, 'g', { 'readable-0': 5, 'secret-0': 7 }), { 'readable-0': 0, 'secret-0': 0 });
  s.revoke(acl(Res.TOPIC, 'secret', Op.READ));
  const both = [
    { name: 'secret', partitionIndexes: [0] },
    { name: 'readable', partitionIndexes: [0] },
  ];

  const v8 = await s.c.call(FETCH, 8, {
    groups: [
      { groupId: 'g', topics: both },
      { groupId: 'g-no', topics: both },
      { groupId: 'g', topics: null },
    ],
    requireStable: false,
  });
  t.same(
    offsetsOf(v8.groups[0].topics),
    [
      ['readable', 0, 5, ErrorCode.NONE],
      ['secret', 0, -1, ErrorCode.TOPIC_AUTHORIZATION_FAILED],
    ],
    'the refused topic comes after the fetched ones, without its offset',
  );
  t.equal(v8.groups[0].topics[1].partitions[0].metadata, '');
  t.same([v8.groups[1].groupId, v8.groups[1].errorCode, v8.groups[1].topics], ['g-no', ErrorCode.GROUP_AUTHORIZATION_FAILED, []], 'a group one may not describe: its error only');
  t.same(offsetsOf(v8.groups[2].topics), [['readable', 0, 5, ErrorCode.NONE]], 'all topics: those one may not describe are left out');

  const v7 = await s.c.call(FETCH, 7, { groupId: 'g', topics: both, requireStable: false });
  t.same(offsetsOf(v7.topics), [
    ['readable', 0, 5, ErrorCode.NONE],
    ['secret', 0, -1, ErrorCode.TOPIC_AUTHORIZATION_FAILED],
  ]);
  t.same(offsetsOf((await s.c.call(FETCH, 7, { groupId: 'g', topics: null, requireStable: false })).topics), [['readable', 0, 5, ErrorCode.NONE]]);
  const v7no = await s.c.call(FETCH, 7, { groupId: 'g-no', topics: both, requireStable: false });
  t.same([v7no.errorCode, v7no.topics], [ErrorCode.GROUP_AUTHORIZATION_FAILED, []], 'v2-7: the top-level error');
  const v1no = await s.c.call(FETCH, 1, { groupId: 'g-no', topics: both });
  t.same(offsetsOf(v1no.topics), [
    ['secret', 0, -1, ErrorCode.GROUP_AUTHORIZATION_FAILED],
    ['readable', 0, -1, ErrorCode.GROUP_AUTHORIZATION_FAILED],
  ], 'v1: the error in every requested partition');

  s.grant(acl(Res.TOPIC, 'secret', Op.DESCRIBE));
  t.same(offsetsOf((await s.c.call(FETCH, 7, { groupId: 'g', topics: null, requireStable: false })).topics), [
    ['readable', 0, 5, ErrorCode.NONE],
    ['secret', 0, 7, ErrorCode.NONE],
  ], 'DESCRIBE on the topic is enough to see its offset');
});

t.test('OffsetDelete: DELETE on the group, READ on each topic', async t => {
  const s = await secured(t);
  s.topic('readable', 1);
  s.topic('secret', 1);
  s.grant(acl(Res.GROUP, 'g', Op.READ), acl(Res.TOPIC, 'readable', Op.READ), acl(Res.TOPIC, 'secret', Op.DESCRIBE));
  t.same(await commit(s.c, 'g', { 'readable-0': 5 }), { 'readable-0': 0 });
  const request = {
    groupId: 'g',
    topics: [
      { name: 'readable', partitions: [{ partitionIndex: 0 }, { partitionIndex: 4 }] },
      { name: 'secret', partitions: [{ partitionIndex: 0 }] },
      { name: 'ghost', partitions: [{ partitionIndex: 0 }] },
    ],
  };
  const refused = await s.c.call(OFFSET_DELETE, 0, request);
  t.same([refused.errorCode, refused.topics], [ErrorCode.GROUP_AUTHORIZATION_FAILED, []], 'READ on the group is not DELETE');
  s.grant(acl(Res.GROUP, 'g', Op.DELETE));
  const r = await s.c.call(OFFSET_DELETE, 0, request);
  t.equal(r.errorCode, ErrorCode.NONE);
  t.same(
    r.topics.flatMap((x: any) => x.partitions.map((p: any) => [x.name, p.partitionIndex, p.errorCode])),
    [
      ['readable', 0, ErrorCode.NONE],
      ['readable', 4, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
      ['secret', 0, ErrorCode.TOPIC_AUTHORIZATION_FAILED],
      ['ghost', 0, ErrorCode.TOPIC_AUTHORIZATION_FAILED],
    ],
  );
  const after = await s.c.call(FETCH, 7, { groupId: 'g', topics: [{ name: 'readable', partitionIndexes: [0] }], requireStable: false });
  t.same(offsetsOf(after.topics), [['readable', 0, -1, ErrorCode.NONE]], 'the offset is gone');
});

t.test('DescribeGroups: DESCRIBE on each group, the refused ones first; authorized operations are the requester\'s', async t => {
  const s = await secured(t);
  s.grant(acl(Res.GROUP, 'a', Op.DESCRIBE), acl(Res.GROUP, 'b', Op.READ), acl(Res.GROUP, 'b', Op.DELETE));
  const r = await s.c.call(DESCRIBE, 5, { groups: ['a', 'no', 'b', 'no2'], includeAuthorizedOperations: true });
  t.same(
    r.groups.map((g: any) => [g.groupId, g.errorCode]),
    [
      ['no', ErrorCode.GROUP_AUTHORIZATION_FAILED],
      ['no2', ErrorCode.GROUP_AUTHORIZATION_FAILED],
      ['a', ErrorCode.NONE],
      ['b', ErrorCode.NONE],
    ],
  );
  const no = r.groups[0];
  t.same([no.groupState, no.protocolType, no.protocolData, no.members, no.authorizedOperations], ['', '', '', [], NOT_REQUESTED], 'Kafka\'s groupError');
  t.equal(r.groups[2].authorizedOperations, bit(Op.DESCRIBE), 'a: DESCRIBE only');
  t.equal(r.groups[3].authorizedOperations, bit(Op.READ, Op.DESCRIBE, Op.DELETE), 'b: READ and DELETE, and the DESCRIBE they imply');
  const v6 = await s.c.call(DESCRIBE, 6, { groups: ['no'], includeAuthorizedOperations: false });
  t.same([v6.groups[0].errorCode, v6.groups[0].errorMessage], [ErrorCode.GROUP_AUTHORIZATION_FAILED, null], 'v6: no message');
});

t.test('ListGroups: DESCRIBE on the cluster lists every group, else those one may describe', async t => {
  const s = await secured(t);
  s.grant(acl(Res.GROUP, 'l', Op.READ, Perm.ALLOW, Pat.PREFIXED));
  for (const g of ['la', 'lb', 'lc']) t.equal((await joinWithId(s.c, g)).errorCode, ErrorCode.NONE);
  const listed = async () => (await s.c.call(LIST, 5, { statesFilter: [], typesFilter: [] })).groups.map((g: any) => g.groupId).sort();
  t.same(await listed(), ['la', 'lb', 'lc']);
  s.grant(acl(Res.GROUP, 'lb', Op.DESCRIBE, Perm.DENY));
  t.same(await listed(), ['la', 'lc'], 'a group one may not describe is left out');
  s.revoke(acl(Res.GROUP, 'l', Op.READ, Perm.ALLOW, Pat.PREFIXED));
  t.same(await listed(), [], 'no group at all');
  t.equal((await s.c.call(LIST, 5, { statesFilter: [], typesFilter: [] })).errorCode, ErrorCode.NONE, 'not an error');
  s.grant(acl(Res.CLUSTER, 'kafka-cluster', Op.DESCRIBE));
  t.same(await listed(), ['la', 'lb', 'lc'], 'DESCRIBE on the cluster: every group, its own DENY notwithstanding');
});

t.test('DeleteGroups: DELETE on each group; refused groups answered last, a group named twice once', async t => {
  const s = await secured(t);
  s.grant(acl(Res.GROUP, 'x', Op.READ), acl(Res.GROUP, 'x', Op.DELETE), acl(Res.GROUP, 'y', Op.READ));
  for (const g of ['x', 'y']) {
    const m = await joinWithId(s.c, g);
    await s.c.call(LEAVE, 5, { groupId: g, members: [{ memberId: m.memberId, groupInstanceId: null, reason: null }] });
  }
  const r = await s.c.call(DELETE_GROUPS, 2, { groupsNames: ['y', 'x', 'nobody', 'x'] });
  t.same(
    r.results.map((x: any) => [x.groupId, x.errorCode]),
    [
      ['x', ErrorCode.NONE],
      ['y', ErrorCode.GROUP_AUTHORIZATION_FAILED],
      ['nobody', ErrorCode.GROUP_AUTHORIZATION_FAILED],
    ],
  );
  s.grant(acl(Res.CLUSTER, 'kafka-cluster', Op.DESCRIBE));
  t.same((await s.c.call(LIST, 5, { statesFilter: [], typesFilter: [] })).groups.map((g: any) => g.groupId), ['y'], 'x is gone, y is not');
});

/** A ConsumerGroupHeartbeat v1 join (member epoch 0). */
const cgJoin = (c: TestClient, groupId: string, memberId: string, names: string[] | null, regex: string | null = null) =>
  c.call(CG_HEARTBEAT, 1, {
    groupId,
    memberId,
    memberEpoch: 0,
    instanceId: null,
    rackId: null,
    rebalanceTimeoutMs: 30_000,
    subscribedTopicNames: names,
    subscribedTopicRegex: regex,
    serverAssignor: null,
    topicPartitions: [],
  });

t.test('ConsumerGroupHeartbeat: READ on the group, DESCRIBE on each subscribed topic; a regex resolves to describable topics only', async t => {
  const s = await secured(t);
  const seen = s.topic('seen', 2);
  s.topic('hidden', 2);
  const rYes = s.topic('r-yes', 1);
  s.topic('r-no', 1);
  s.grant(acl(Res.GROUP, 'cg-describe', Op.DESCRIBE));

  for (const group of ['cg', 'cg-describe']) {
    const r = await cgJoin(s.c, group, 'm1', ['seen']);
    t.same([r.errorCode, r.errorMessage, r.memberId, r.memberEpoch, r.assignment], [ErrorCode.GROUP_AUTHORIZATION_FAILED, null, null, 0, null], `${group}: no READ`);
  }
  s.grant(acl(Res.GROUP, 'cg', Op.READ), acl(Res.TOPIC, 'seen', Op.DESCRIBE), acl(Res.TOPIC, 'r-yes', Op.READ));
  const refused = await cgJoin(s.c, 'cg', 'm1', ['seen', 'hidden']);
  t.same([refused.errorCode, refused.errorMessage, refused.memberId], [ErrorCode.TOPIC_AUTHORIZATION_FAILED, null, null], 'a subscribed topic one may not describe');
  t.equal((await cgJoin(s.c, 'cg', 'm1', ['seen', 'ghost'])).errorCode, ErrorCode.TOPIC_AUTHORIZATION_FAILED, 'nor one that does not exist');

  const r = await cgJoin(s.c, 'cg', 'm1', ['seen']);
  t.equal(r.errorCode, ErrorCode.NONE);
  t.same(r.assignment.topicPartitions.map((tp: any) => [tp.topicId, [...tp.partitions].sort()]), [[seen, [0, 1]]]);

  const byRegex = await cgJoin(s.c, 'cg', 'm2', null, 'r-.*');
  t.equal(byRegex.errorCode, ErrorCode.NONE, 'a regex subscription is not refused');
  const d = await waitFor(async () => {
    const g = (await s.c.call(CG_DESCRIBE, 1, { groupIds: ['cg'], includeAuthorizedOperations: false })).groups[0];
    const m2 = g.members.find((m: any) => m.memberId === 'm2');
    return m2 !== undefined && m2.targetAssignment.topicPartitions.length > 0 ? m2 : null;
  }, 5000, 'the regex member\'s target assignment');
  t.same(d.targetAssignment.topicPartitions.map((tp: any) => [tp.topicId, tp.topicName]), [[rYes, 'r-yes']], 'r-no matched the regex but may not be described');
});

t.test('ConsumerGroupDescribe: DESCRIBE on each group, and on every topic of its assignments', async t => {
  const s = await secured(t);
  s.topic('seen', 2);
  s.grant(acl(Res.GROUP, 'cg', Op.READ), acl(Res.TOPIC, 'seen', Op.DESCRIBE));
  t.equal((await cgJoin(s.c, 'cg', 'm1', ['seen'])).errorCode, ErrorCode.NONE);

  const r = await s.c.call(CG_DESCRIBE, 1, { groupIds: ['cg', 'cg-no'], includeAuthorizedOperations: true });
  t.same(
    r.groups.map((g: any) => [g.groupId, g.errorCode]),
    [
      ['cg-no', ErrorCode.GROUP_AUTHORIZATION_FAILED],
      ['cg', ErrorCode.NONE],
    ],
    'the refused group first',
  );
  t.same([r.groups[0].errorMessage, r.groups[0].members, r.groups[0].authorizedOperations], [null, [], NOT_REQUESTED]);
  t.equal(r.groups[1].members.length, 1);
  t.equal(r.groups[1].authorizedOperations, bit(Op.READ, Op.DESCRIBE), 'the requester\'s operations on the group');

  s.revoke(acl(Res.TOPIC, 'seen', Op.DESCRIBE));
  const hidden = (await s.c.call(CG_DESCRIBE, 1, { groupIds: ['cg'], includeAuthorizedOperations: true })).groups[0];
  t.same(
    [hidden.errorCode, hidden.errorMessage, hidden.members, hidden.groupState, hidden.groupEpoch, hidden.authorizedOperations],
    [ErrorCode.TOPIC_AUTHORIZATION_FAILED, 'The group has described topic(s) that the client is not authorized to describe.', [], '', 0, NOT_REQUESTED],
    'an assigned topic one may not describe hides the group',
  );
});

t.test('kafkajs: a consumer that may read its topic but not its group cannot join', async t => {
  const s = await secured(t);
  s.topic('feed', 1);
  // DESCRIBE on the group lets FindCoordinator through: JoinGroup is what refuses
  s.grant(acl(Res.TOPIC, 'feed', Op.READ), acl(Res.GROUP, 'readers', Op.DESCRIBE));
  const kafka = new Kafka({ clientId: 'authz-groups', brokers: [s.b.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 0 } });
  const consumer = kafka.consumer({ groupId: 'readers', retry: { retries: 0, restartOnFailure: async () => false } });
  t.teardown(() => consumer.disconnect());
  const failure = new Promise<any>((resolve, reject) => {
    consumer.on(consumer.events.CRASH, e => resolve(e.payload.error));
    consumer.on(consumer.events.GROUP_JOIN, () => reject(new Error('the consumer joined its group')));
    setTimeout(() => reject(new Error('the consumer neither joined nor failed')), 15_000).unref();
  });
  await consumer.connect();
  await consumer.subscribe({ topic: 'feed', fromBeginning: true });
  await consumer.run({ eachMessage: async () => {} }).catch(() => {});
  const err = await failure;
  t.equal(err.type ?? err.cause?.type, 'GROUP_AUTHORIZATION_FAILED');
});
