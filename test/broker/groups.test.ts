// The group coordinator over the wire, classic protocol: FindCoordinator, JoinGroup, SyncGroup,
// Heartbeat, LeaveGroup, OffsetCommit, OffsetFetch, OffsetDelete, DescribeGroups, ListGroups and
// DeleteGroups, with Kafka's error codes for every client mistake. Each member has its own
// connection, since a parked JoinGroup holds back the responses queued behind it.
/* eslint-disable @typescript-eslint/no-explicit-any -- responses decoded from the specs at run time */
import t, { type Test } from 'tap';
import { AssignerProtocol } from 'kafkajs';
import { testBroker, testClient, waitFor } from '../helpers/broker.js';
import type { TestClient } from '../helpers/client.js';
import { createTopic, metadata } from '../helpers/kafka.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import { ManualClock } from '../../src/broker/clock.js';
import type { RunningBroker } from '../../src/index.js';

const FIND = 10, JOIN = 11, HEARTBEAT = 12, LEAVE = 13, SYNC = 14, DESCRIBE = 15, LIST = 16, COMMIT = 8, FETCH = 9, DELETE_GROUPS = 42, OFFSET_DELETE = 47;

const subscription = (topics: string[]) => AssignerProtocol.MemberMetadata.encode({ version: 0, topics, userData: Buffer.alloc(0) });
const assignment = (topics: Record<string, number[]>) => AssignerProtocol.MemberAssignment.encode({ version: 0, assignment: topics, userData: Buffer.alloc(0) });

interface JoinOpts {
  memberId?: string;
  instance?: string | null;
  protocols?: { name: string; metadata: Buffer }[];
  protocolType?: string;
  sessionTimeoutMs?: number;
  rebalanceTimeoutMs?: number;
  version?: number;
}

function join(c: TestClient, group: string, o: JoinOpts = {}): Promise<any> {
  return c.call(JOIN, o.version ?? 7, {
    groupId: group,
    sessionTimeoutMs: o.sessionTimeoutMs ?? 10_000,
    rebalanceTimeoutMs: o.rebalanceTimeoutMs ?? 10_000,
    memberId: o.memberId ?? '',
    groupInstanceId: o.instance ?? null,
    protocolType: o.protocolType ?? 'consumer',
    protocols: o.protocols ?? [{ name: 'range', metadata: subscription(['t']) }],
  });
}

/** JoinGroup v4+ as a client does it: the first answer hands out the member id. */
async function joinWithId(c: TestClient, group: string, o: JoinOpts = {}): Promise<any> {
  const first = await join(c, group, o);
  if (first.errorCode !== ErrorCode.MEMBER_ID_REQUIRED) return first;
  return join(c, group, { ...o, memberId: first.memberId });
}

const sync = (c: TestClient, group: string, generationId: number, memberId: string, assignments: { memberId: string; assignment: Buffer }[] = [], extra: Record<string, unknown> = {}, version = 5) =>
  c.call(SYNC, version, { groupId: group, generationId, memberId, assignments, protocolType: 'consumer', protocolName: 'range', ...extra });
const heartbeat = (c: TestClient, group: string, generationId: number, memberId: string, instance: string | null = null) =>
  c.call(HEARTBEAT, 4, { groupId: group, generationId, memberId, groupInstanceId: instance }).then((r: any) => r.errorCode);
const describe = (c: TestClient, group: string, version = 5) => c.call(DESCRIBE, version, { groups: [group], includeAuthorizedOperations: true }).then((r: any) => r.groups[0]);

async function commit(c: TestClient, group: string, offsets: [string, number, number, string | null][], extra: Record<string, unknown> = {}, version = 8): Promise<[string, number, number][]> {
  const byTopic = new Map<string, any[]>();
  for (const [topic, partitionIndex, committedOffset, committedMetadata] of offsets) {
    if (!byTopic.has(topic)) byTopic.set(topic, []);
    byTopic.get(topic)!.push({ partitionIndex, committedOffset, committedMetadata, committedLeaderEpoch: 3 });
  }
  const r = await c.call(COMMIT, version, { groupId: group, generationIdOrMemberEpoch: -1, memberId: '', topics: [...byTopic].map(([name, partitions]) => ({ name, partitions })), ...extra });
  return r.topics.flatMap((t: any) => t.partitions.map((p: any) => [t.name, p.partitionIndex, p.errorCode]));
}

async function fetched(c: TestClient, group: string, topics: { name: string; partitionIndexes: number[] }[] | null, version = 7): Promise<any> {
  const r = await c.call(FETCH, version, { groupId: group, topics });
  return { errorCode: r.errorCode, offsets: r.topics.flatMap((t: any) => t.partitions.map((p: any) => [t.name, p.partitionIndex, p.committedOffset, p.metadata, p.errorCode])) };
}

async function setup(t: Test, config: Record<string, string | number> = {}): Promise<{ b: RunningBroker; c: TestClient; client: () => Promise<TestClient> }> {
  const b = await testBroker(t, { config: { 'group.min.session.timeout.ms': 100, ...config } });
  const c = await testClient(t, b);
  await createTopic(c, 't', 4);
  // as clients do: the first FindCoordinator creates __consumer_offsets
  await c.call(FIND, 3, { key: 'any', keyType: 0 });
  return { b, c, client: () => testClient(t, b) };
}

t.test('FindCoordinator: group and transaction keys name this node; share-group keys are refused', async t => {
  const b = await testBroker(t, { config: { 'offsets.topic.num.partitions': 5 } });
  const c = await testClient(t, b);
  const names = (await metadata(c, null)).topics.map((x: any) => x.name);
  t.notOk(names.includes('__consumer_offsets'), 'no internal topic before the first lookup');
  for (let v = 0; v <= 3; v++) {
    const r = await c.call(FIND, v, { key: 'g', keyType: 0 });
    t.same([r.errorCode, r.nodeId, r.host, r.port], [0, b.nodeId, '127.0.0.1', b.port], `v${v}`);
  }
  const batched = await c.call(FIND, 4, { keyType: 0, coordinatorKeys: ['a', 'b', ''] });
  t.same(batched.coordinators.map((x: any) => [x.key, x.errorCode, x.nodeId, x.port]), [['a', 0, 0, b.port], ['b', 0, 0, b.port], ['', 0, 0, b.port]], 'v4 answers every key');
  const txn = await c.call(FIND, 4, { keyType: 1, coordinatorKeys: ['tx'] });
  t.same([txn.coordinators[0].errorCode, txn.coordinators[0].nodeId], [ErrorCode.NONE, 0], 'the transaction coordinator');
  const share = await c.call(FIND, 6, { keyType: 2, coordinatorKeys: ['s'] });
  t.equal(share.coordinators[0].errorCode, ErrorCode.INVALID_REQUEST, 'share groups are not enabled');
  const v1 = await c.call(FIND, 1, { key: 'tx', keyType: 1 });
  t.same([v1.errorCode, v1.nodeId, v1.host, v1.port], [ErrorCode.NONE, 0, '127.0.0.1', b.port]);
  const v0 = await c.call(FIND, 0, { key: 'tx' });
  t.same([v0.errorCode, v0.nodeId], [ErrorCode.NONE, 0], 'v0 has no key type: a group');
  const md = await metadata(c, ['__consumer_offsets']);
  t.same([md.topics[0].errorCode, md.topics[0].isInternal, md.topics[0].partitions.length], [0, true, 5], 'the internal topic exists, with offsets.topic.num.partitions');
});

t.test('a group forms: member id required, leader assigns, followers receive, heartbeats, describe', async t => {
  const { c, client } = await setup(t);
  const m1c = await client();
  const first = await join(m1c, 'g1');
  t.equal(first.errorCode, ErrorCode.MEMBER_ID_REQUIRED, 'v4+: a new member must rejoin with the id it is given');
  t.match(first.memberId, /^samsa-test-[0-9a-f-]{36}$/, 'the member id is the client id and a UUID');
  t.equal((await describe(c, 'g1')).groupState, 'Empty', 'a pending member is not a member yet');
  const j1 = await join(m1c, 'g1', { memberId: first.memberId });
  t.same([j1.errorCode, j1.generationId, j1.leader, j1.memberId, j1.protocolName, j1.protocolType], [0, 1, first.memberId, first.memberId, 'range', 'consumer']);
  t.same(j1.members.map((m: any) => m.memberId), [first.memberId], 'the leader is told the members');
  t.same(AssignerProtocol.MemberMetadata.decode(j1.members[0].metadata)?.topics, ['t'], 'with their metadata for the chosen protocol');
  t.equal((await describe(c, 'g1')).groupState, 'CompletingRebalance');
  const a1 = assignment({ t: [0, 1, 2, 3] });
  const s1 = await sync(m1c, 'g1', 1, j1.memberId, [{ memberId: j1.memberId, assignment: a1 }]);
  t.same([s1.errorCode, s1.protocolType, s1.protocolName], [0, 'consumer', 'range']);
  t.ok(Buffer.from(s1.assignment).equals(a1), 'the leader gets its own assignment back');
  t.equal(await heartbeat(m1c, 'g1', 1, j1.memberId), 0);
  const d = await describe(c, 'g1');
  t.same([d.errorCode, d.groupState, d.protocolType, d.protocolData, d.members.length], [0, 'Stable', 'consumer', 'range', 1]);
  t.same([d.members[0].memberId, d.members[0].clientId, d.members[0].clientHost], [j1.memberId, 'samsa-test', '/127.0.0.1']);
  t.ok(Buffer.from(d.members[0].memberAssignment).equals(a1), 'describe shows the assignment of a stable group');
  t.not(d.authorizedOperations, -2147483648, 'authorized operations when asked');

  // a second member joins: the first learns of the rebalance from its heartbeat and rejoins
  const m2c = await client();
  const j2p = joinWithId(m2c, 'g1');
  await waitFor(async () => (await heartbeat(m1c, 'g1', 1, j1.memberId)) === ErrorCode.REBALANCE_IN_PROGRESS, 5000, 'rebalance seen by the heartbeat');
  t.equal((await describe(c, 'g1')).protocolData, '', 'no protocol reported while rebalancing');
  const j1b = await join(m1c, 'g1', { memberId: j1.memberId });
  const j2 = await j2p;
  t.same([j1b.generationId, j2.generationId, j1b.leader, j2.leader], [2, 2, j1.memberId, j1.memberId], 'both in generation 2, the first member still leads');
  t.same(j1b.members.map((m: any) => m.memberId).sort(), [j1.memberId, j2.memberId].sort(), 'the leader sees both members');
  t.same(j2.members, [], 'a follower sees none');
  // the follower's sync waits for the leader's
  const s2p = sync(m2c, 'g1', 2, j2.memberId);
  t.equal(await heartbeat(c, 'g1', 2, j2.memberId), 0, 'heartbeats are fine while the group completes its rebalance');
  const a2 = assignment({ t: [2, 3] });
  await sync(m1c, 'g1', 2, j1.memberId, [{ memberId: j1.memberId, assignment: assignment({ t: [0, 1] }) }, { memberId: j2.memberId, assignment: a2 }]);
  const s2 = await s2p;
  t.equal(s2.errorCode, 0);
  t.ok(Buffer.from(s2.assignment).equals(a2), 'the follower receives what the leader assigned it');
  t.equal(await heartbeat(m2c, 'g1', 1, j2.memberId), ErrorCode.ILLEGAL_GENERATION, 'an old generation is refused');

  // the leader leaves: the follower rebalances alone and becomes leader
  const left = await m1c.call(LEAVE, 5, { groupId: 'g1', members: [{ memberId: j1.memberId, groupInstanceId: null, reason: 'done' }, { memberId: 'nobody', groupInstanceId: null, reason: null }] });
  t.same(left.members.map((m: any) => [m.memberId, m.errorCode]), [[j1.memberId, 0], ['nobody', ErrorCode.UNKNOWN_MEMBER_ID]], 'LeaveGroup answers each member');
  t.equal(await heartbeat(m2c, 'g1', 2, j2.memberId), ErrorCode.REBALANCE_IN_PROGRESS);
  const j2b = await join(m2c, 'g1', { memberId: j2.memberId });
  t.same([j2b.generationId, j2b.leader], [3, j2.memberId]);
  const leave0 = await m2c.call(LEAVE, 0, { groupId: 'g1', memberId: j2.memberId });
  t.equal(leave0.errorCode, 0, 'v0 leaves with one member id');
  t.equal((await describe(c, 'g1')).groupState, 'Empty', 'the group is empty');
  t.equal((await m2c.call(LEAVE, 2, { groupId: 'g1', memberId: j2.memberId })).errorCode, ErrorCode.UNKNOWN_MEMBER_ID, 'v0-2 put the member error at the top level');
});

t.test('JoinGroup, SyncGroup and Heartbeat refuse bad requests with Kafka\'s codes and change nothing', async t => {
  const { c, client } = await setup(t);
  t.equal((await join(c, 'g', { sessionTimeoutMs: 50 })).errorCode, ErrorCode.INVALID_SESSION_TIMEOUT, 'below group.min.session.timeout.ms');
  t.equal((await join(c, 'g', { sessionTimeoutMs: 1_800_001 })).errorCode, ErrorCode.INVALID_SESSION_TIMEOUT, 'above group.max.session.timeout.ms');
  t.equal((await join(c, '')).errorCode, ErrorCode.INVALID_GROUP_ID);
  t.equal((await join(c, 'g', { memberId: 'made-up' })).errorCode, ErrorCode.UNKNOWN_MEMBER_ID, 'a member id the group never gave');
  t.equal((await join(c, 'g', { protocols: [] })).errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL, 'no protocols');
  t.equal((await join(c, 'g', { protocolType: '' })).errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL, 'no protocol type');
  t.equal((await describe(c, 'g')).groupState, 'Empty', 'none of those made a member');

  const m1 = await client();
  const j = await joinWithId(m1, 'g');
  await sync(m1, 'g', j.generationId, j.memberId, [{ memberId: j.memberId, assignment: assignment({ t: [0] }) }]);
  const m2 = await client();
  t.equal((await joinWithId(m2, 'g', { protocolType: 'connect' })).errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL, 'another protocol type');
  t.equal((await joinWithId(m2, 'g', { protocols: [{ name: 'roundrobin', metadata: subscription(['t']) }] })).errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL, 'no protocol in common');
  t.equal((await sync(m2, 'g', j.generationId, 'stranger')).errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
  t.equal((await sync(m2, 'g', j.generationId + 1, j.memberId)).errorCode, ErrorCode.ILLEGAL_GENERATION);
  t.equal((await sync(m2, 'g', j.generationId, j.memberId, [], { protocolName: 'roundrobin' })).errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL, 'v5 protocol name mismatch');
  t.equal((await sync(m2, 'g', j.generationId, j.memberId, [], { protocolType: 'connect' })).errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL, 'v5 protocol type mismatch');
  t.equal((await sync(m2, 'nogroup', 1, 'x')).errorCode, ErrorCode.UNKNOWN_MEMBER_ID, 'unknown group');
  t.equal((await sync(m2, '', 1, 'x')).errorCode, ErrorCode.INVALID_GROUP_ID);
  t.equal(await heartbeat(m2, 'nogroup', 1, 'x'), ErrorCode.UNKNOWN_MEMBER_ID, 'heartbeat to an unknown group');
  t.equal(await heartbeat(m2, 'g', j.generationId, 'stranger'), ErrorCode.UNKNOWN_MEMBER_ID);
  t.equal(await heartbeat(m2, 'g', 99, j.memberId), ErrorCode.ILLEGAL_GENERATION);
  t.equal(await heartbeat(m2, '', 1, j.memberId), ErrorCode.INVALID_GROUP_ID);
  const d = await describe(c, 'g');
  t.same([d.groupState, d.members.length, d.members[0].memberId], ['Stable', 1, j.memberId], 'the group is as it was');
  t.equal(await heartbeat(m1, 'g', j.generationId, j.memberId), 0);
  t.equal((await c.call(LEAVE, 3, { groupId: 'nogroup', members: [{ memberId: 'x', groupInstanceId: null }] })).errorCode, ErrorCode.UNKNOWN_MEMBER_ID, 'leave an unknown group');
});

t.test('a member that stops heartbeating is removed after its session timeout and the group rebalances', async t => {
  const { c, client } = await setup(t);
  const m1 = await client();
  const m2 = await client();
  const j1 = await joinWithId(m1, 'g', { sessionTimeoutMs: 60_000 });
  await sync(m1, 'g', 1, j1.memberId, [{ memberId: j1.memberId, assignment: assignment({ t: [0, 1, 2, 3] }) }]);
  const j2p = joinWithId(m2, 'g', { sessionTimeoutMs: 300 });
  await waitFor(async () => (await heartbeat(m1, 'g', 1, j1.memberId)) === ErrorCode.REBALANCE_IN_PROGRESS);
  await join(m1, 'g', { memberId: j1.memberId, sessionTimeoutMs: 60_000 });
  const j2 = await j2p;
  t.equal(j2.generationId, 2);
  await sync(m1, 'g', 2, j1.memberId, [{ memberId: j2.memberId, assignment: assignment({ t: [2, 3] }) }]);
  t.equal((await sync(m2, 'g', 2, j2.memberId)).errorCode, 0);
  // m2 goes silent; m1 keeps heartbeating and is told to rebalance once m2's session expires
  const started = Date.now();
  await waitFor(async () => (await heartbeat(m1, 'g', 2, j1.memberId)) === ErrorCode.REBALANCE_IN_PROGRESS, 5000, 'the session timeout rebalance');
  t.ok(Date.now() - started >= 200, 'not before the session timeout');
  const j1c = await join(m1, 'g', { memberId: j1.memberId, sessionTimeoutMs: 60_000 });
  t.same([j1c.generationId, j1c.members.map((m: any) => m.memberId)], [3, [j1.memberId]], 'the silent member is gone');
  t.equal(await heartbeat(m2, 'g', 2, j2.memberId), ErrorCode.UNKNOWN_MEMBER_ID, 'and learns so when it comes back');
  t.equal((await describe(c, 'g')).members.length, 1);
});

t.test('a member that never syncs is removed after the rebalance timeout; one that never rejoins is dropped', async t => {
  const { client } = await setup(t);
  const m1 = await client();
  const m2 = await client();
  const j1 = await joinWithId(m1, 'g', { rebalanceTimeoutMs: 400, sessionTimeoutMs: 60_000 });
  await sync(m1, 'g', 1, j1.memberId, [{ memberId: j1.memberId, assignment: assignment({ t: [0] }) }]);
  // m2 joins; m1 does not rejoin within the rebalance timeout, so generation 2 has only m2
  const j2 = await joinWithId(m2, 'g', { rebalanceTimeoutMs: 400, sessionTimeoutMs: 60_000 });
  t.same([j2.generationId, j2.leader, j2.members.map((m: any) => m.memberId)], [2, j2.memberId, [j2.memberId]], 'the member that did not rejoin is dropped; the new one leads');
  t.equal(await heartbeat(m1, 'g', 1, j1.memberId), ErrorCode.UNKNOWN_MEMBER_ID);
  // a third member joins; m2 rejoins but nobody sends SyncGroup
  const m3 = await client();
  const j3p = joinWithId(m3, 'g', { rebalanceTimeoutMs: 400, sessionTimeoutMs: 60_000 });
  await waitFor(async () => (await heartbeat(m2, 'g', 2, j2.memberId)) === ErrorCode.REBALANCE_IN_PROGRESS);
  const j2b = await join(m2, 'g', { memberId: j2.memberId, rebalanceTimeoutMs: 400, sessionTimeoutMs: 60_000 });
  const j3 = await j3p;
  t.equal(j3.generationId, 3);
  await sync(m2, 'g', 3, j2b.memberId, [{ memberId: j3.memberId, assignment: assignment({ t: [1] }) }]);
  // m3 never syncs: after the rebalance timeout it is removed and a rebalance starts
  await waitFor(async () => (await heartbeat(m2, 'g', 3, j2.memberId)) === ErrorCode.REBALANCE_IN_PROGRESS, 5000, 'the pending-sync expiry');
  t.equal(await heartbeat(m3, 'g', 3, j3.memberId), ErrorCode.UNKNOWN_MEMBER_ID, 'the member that never synced is gone');
});

t.test('a rebalance timeout of 0: the pending-sync expiry is already due, so the SyncGroup finds the member gone', async t => {
  const { client } = await setup(t);
  const m = await client();
  for (let round = 0; round < 5; round++) {
    const j = await joinWithId(m, `zero-${round}`, { rebalanceTimeoutMs: 0, sessionTimeoutMs: 60_000 });
    const s = await sync(m, `zero-${round}`, j.generationId, j.memberId, [{ memberId: j.memberId, assignment: assignment({ t: [0] }) }]);
    t.equal(s.errorCode, ErrorCode.UNKNOWN_MEMBER_ID, `round ${round}: UNKNOWN_MEMBER_ID every time, as Kafka 4.1 answers`);
  }
});

t.test('static membership: no member id round trip, a restarted member takes its place, the old id is fenced', async t => {
  const { c, client } = await setup(t);
  const m1 = await client();
  const j = await join(m1, 'g', { instance: 'i-1', version: 5 });
  t.equal(j.errorCode, 0, 'a static member joins at once, without MEMBER_ID_REQUIRED');
  t.match(j.memberId, /^i-1-/, 'its member id starts with its instance id');
  const a = assignment({ t: [0, 1] });
  await sync(m1, 'g', j.generationId, j.memberId, [{ memberId: j.memberId, assignment: a }], { groupInstanceId: 'i-1' });
  t.equal((await describe(c, 'g', 4)).members[0].groupInstanceId, 'i-1', 'describe v4 reports the instance id');
  // the member restarts (unknown member id, same instance id): same generation, same assignment
  const m1b = await client();
  const again = await join(m1b, 'g', { instance: 'i-1', version: 5 });
  t.same([again.errorCode, again.generationId], [0, j.generationId], 'no rebalance');
  t.not(again.memberId, j.memberId, 'a new member id');
  const s = await sync(m1b, 'g', again.generationId, again.memberId, [], { groupInstanceId: 'i-1' });
  t.ok(Buffer.from(s.assignment).equals(a), 'the assignment is kept');
  t.equal(await heartbeat(m1, 'g', j.generationId, j.memberId, 'i-1'), ErrorCode.FENCED_INSTANCE_ID, 'the old member id is fenced');
  t.equal((await join(m1, 'g', { memberId: j.memberId, instance: 'i-1', version: 5 })).errorCode, ErrorCode.FENCED_INSTANCE_ID);
  t.equal((await commit(m1, 'g', [['t', 0, 5, null]], { generationIdOrMemberEpoch: j.generationId, memberId: j.memberId, groupInstanceId: 'i-1' }))[0]![2], ErrorCode.FENCED_INSTANCE_ID, 'commits from the fenced id too');
  // an administrator removes the instance by its id alone
  const r = await c.call(LEAVE, 4, { groupId: 'g', members: [{ memberId: '', groupInstanceId: 'i-1' }, { memberId: '', groupInstanceId: 'i-9' }] });
  t.same(r.members.map((m: any) => [m.groupInstanceId, m.errorCode]), [['i-1', 0], ['i-9', ErrorCode.UNKNOWN_MEMBER_ID]]);
  t.equal((await describe(c, 'g')).groupState, 'Empty');
});

t.test('protocol selection: the protocol every member supports that most prefer', async t => {
  const { client } = await setup(t);
  const m1 = await client();
  const m2 = await client();
  const m3 = await client();
  const md = subscription(['t']);
  const p = (...names: string[]) => names.map(name => ({ name, metadata: md }));
  const j1 = await joinWithId(m1, 'g', { protocols: p('sticky', 'range', 'roundrobin') });
  t.equal(j1.protocolName, 'sticky', 'one member: its first choice');
  await sync(m1, 'g', 1, j1.memberId, [], { protocolName: 'sticky' });
  const j2p = joinWithId(m2, 'g', { protocols: p('roundrobin', 'range') });
  const j3p = joinWithId(m3, 'g', { protocols: p('roundrobin', 'range', 'sticky') });
  await waitFor(async () => (await heartbeat(m1, 'g', 1, j1.memberId)) === ErrorCode.REBALANCE_IN_PROGRESS);
  await waitFor(async () => (await m1.call(DESCRIBE, 5, { groups: ['g'] })).groups[0].members.length === 3);
  const j1b = await join(m1, 'g', { memberId: j1.memberId, protocols: p('sticky', 'range', 'roundrobin') });
  const [j2, j3] = await Promise.all([j2p, j3p]);
  t.same([j1b.protocolName, j2.protocolName, j3.protocolName], ['roundrobin', 'roundrobin', 'roundrobin'], 'sticky is not supported by all; roundrobin has two votes to range\'s one');
});

t.test('offsets: simple commits, metadata, fetch forms, and refusals that change nothing', async t => {
  const { c } = await setup(t);
  await createTopic(c, 'u', 2);
  t.same(await commit(c, 'simple', [['t', 0, 10, 'meta-0'], ['t', 1, 11, null], ['u', 0, 12, '']]), [['t', 0, 0], ['t', 1, 0], ['u', 0, 0]], 'a commit from outside group management creates a simple group');
  t.same((await fetched(c, 'simple', [{ name: 't', partitionIndexes: [0, 1, 2] }])).offsets, [['t', 0, 10, 'meta-0', 0], ['t', 1, 11, '', 0], ['t', 2, -1, '', 0]], 'metadata round-trips; null metadata reads back empty; no commit is -1');
  const all = await fetched(c, 'simple', null);
  t.same(all.offsets.map((o: any[]) => o.slice(0, 3)), [['t', 0, 10], ['t', 1, 11], ['u', 0, 12]], 'a null topic list fetches every committed offset');
  const v1 = await c.call(FETCH, 1, { groupId: 'simple', topics: [{ name: 't', partitionIndexes: [1] }] });
  t.same([v1.topics[0].partitions[0].committedOffset, v1.topics[0].partitions[0].errorCode], [11, 0], 'v1');
  const v5 = await c.call(FETCH, 5, { groupId: 'simple', topics: [{ name: 't', partitionIndexes: [0] }] });
  t.equal(v5.topics[0].partitions[0].committedLeaderEpoch, 3, 'v5+ returns the leader epoch');
  const batched = await c.call(FETCH, 8, { groups: [{ groupId: 'simple', topics: null }, { groupId: 'unknown', topics: [{ name: 't', partitionIndexes: [0] }] }], requireStable: true });
  t.same(batched.groups.map((g: any) => [g.groupId, g.errorCode, g.topics.flatMap((x: any) => x.partitions.map((p: any) => p.committedOffset))]), [['simple', 0, [10, 11, 12]], ['unknown', 0, [-1]]], 'v8 batches groups; an unknown group has no offsets');
  t.same((await c.call(DESCRIBE, 5, { groups: ['simple'] })).groups[0].groupState, 'Empty');
  t.same((await c.call(LIST, 5, {})).groups.map((g: any) => [g.groupId, g.protocolType, g.groupState, g.groupType]), [['simple', '', 'Empty', 'classic']], 'ListGroups shows the simple group');

  const before = await fetched(c, 'simple', null);
  t.same(await commit(c, 'simple', [['t', 0, 99, 'x'.repeat(4097)], ['t', 1, 99, 'x'.repeat(4096)]]), [['t', 0, ErrorCode.OFFSET_METADATA_TOO_LARGE], ['t', 1, 0]], 'metadata over offset.metadata.max.bytes is refused per partition');
  t.same(await commit(c, 'simple', [['nope', 0, 1, null], ['t', 7, 1, null], ['t', -1, 1, null]]), [['nope', 0, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION], ['t', 7, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION], ['t', -1, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]], 'unknown topics and partitions');
  t.same(await commit(c, 'never', [['nope', 0, 1, null]]), [['nope', 0, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]]);
  t.equal((await c.call(DESCRIBE, 6, { groups: ['never'] })).groups[0].errorCode, ErrorCode.GROUP_ID_NOT_FOUND, 'a commit only for unknown topics creates no group');
  t.same(await commit(c, 'absent', [['t', 0, 1, null]], { generationIdOrMemberEpoch: 4, memberId: 'm' }), [['t', 0, ErrorCode.ILLEGAL_GENERATION]], 'v8: a generation for an unknown group is ILLEGAL_GENERATION');
  t.same(await commit(c, 'absent', [['t', 0, 1, null]], { generationIdOrMemberEpoch: 4, memberId: 'm' }, 9), [['t', 0, ErrorCode.GROUP_ID_NOT_FOUND]], 'v9: GROUP_ID_NOT_FOUND');
  t.same(await commit(c, 'simple', [['t', 0, 1, null]], { generationIdOrMemberEpoch: 1, memberId: 'm' }), [['t', 0, ErrorCode.UNKNOWN_MEMBER_ID]], 'a member id the group does not have');
  const after = await fetched(c, 'simple', null);
  before.offsets[1][2] = 99; // the one accepted commit above
  before.offsets[1][3] = 'x'.repeat(4096);
  t.same(after, before, 'nothing else changed');
});

t.test('offsets of a live group: generation checks, REBALANCE_IN_PROGRESS, OffsetDelete', async t => {
  const { c, client } = await setup(t);
  await createTopic(c, 'other', 1);
  const m = await client();
  const j = await joinWithId(m, 'g');
  t.same(await commit(m, 'g', [['t', 0, 1, null]], { generationIdOrMemberEpoch: j.generationId, memberId: j.memberId }), [['t', 0, ErrorCode.REBALANCE_IN_PROGRESS]], 'no commits before the assignment is synced');
  await sync(m, 'g', j.generationId, j.memberId, [{ memberId: j.memberId, assignment: assignment({ t: [0] }) }]);
  t.same(await commit(m, 'g', [['t', 0, 5, null], ['other', 0, 6, null]], { generationIdOrMemberEpoch: j.generationId, memberId: j.memberId }), [['t', 0, 0], ['other', 0, 0]]);
  t.same(await commit(m, 'g', [['t', 0, 9, null]], { generationIdOrMemberEpoch: j.generationId + 1, memberId: j.memberId }), [['t', 0, ErrorCode.ILLEGAL_GENERATION]]);
  t.same(await commit(c, 'g', [['t', 0, 9, null]]), [['t', 0, ErrorCode.UNKNOWN_MEMBER_ID]], 'a commit without member id while the group has members');
  const del = await c.call(OFFSET_DELETE, 0, { groupId: 'g', topics: [{ name: 't', partitions: [{ partitionIndex: 0 }] }, { name: 'other', partitions: [{ partitionIndex: 0 }] }, { name: 'gone', partitions: [{ partitionIndex: 0 }] }] });
  t.same(del.topics.map((x: any) => [x.name, x.partitions[0].errorCode]), [['t', ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC], ['other', 0], ['gone', ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]], 'a subscribed topic\'s offsets stay; another\'s go');
  t.same((await fetched(c, 'g', null)).offsets.map((o: any[]) => o.slice(0, 3)), [['t', 0, 5]]);
  t.equal((await c.call(OFFSET_DELETE, 0, { groupId: 'nogroup', topics: [] })).errorCode, ErrorCode.GROUP_ID_NOT_FOUND);
  t.equal((await c.call(OFFSET_DELETE, 0, { groupId: '', topics: [] })).errorCode, ErrorCode.INVALID_GROUP_ID);
  t.equal((await c.call(DELETE_GROUPS, 2, { groupsNames: ['g'] })).results[0].errorCode, ErrorCode.NON_EMPTY_GROUP, 'a group with members cannot be deleted');
  // once empty: offsets delete freely, and the group can be deleted with them
  await m.call(LEAVE, 3, { groupId: 'g', members: [{ memberId: j.memberId, groupInstanceId: null }] });
  const del2 = await c.call(OFFSET_DELETE, 0, { groupId: 'g', topics: [{ name: 't', partitions: [{ partitionIndex: 0 }, { partitionIndex: 1 }] }] });
  t.same(del2.topics[0].partitions.map((p: any) => p.errorCode), [0, 0]);
  t.same((await fetched(c, 'g', null)).offsets, []);
  await commit(c, 'g', [['t', 2, 7, null]]);
  const dg = await c.call(DELETE_GROUPS, 2, { groupsNames: ['g', 'nogroup'] });
  t.same(dg.results.map((r: any) => [r.groupId, r.errorCode]), [['g', 0], ['nogroup', ErrorCode.GROUP_ID_NOT_FOUND]]);
  t.same((await fetched(c, 'g', null)).offsets, [], 'its offsets went with it');
  t.same((await describe(c, 'g')).groupState, 'Dead', 'v5 describes a missing group as Dead');
});

t.test('ListGroups filters by state and type; DescribeGroups v6 names missing groups', async t => {
  const { c, client } = await setup(t);
  await commit(c, 'simple', [['t', 0, 1, null]]);
  const m = await client();
  const j = await joinWithId(m, 'live');
  await sync(m, 'live', j.generationId, j.memberId, []);
  const list = async (statesFilter: string[], typesFilter: string[] = [], v = 5) => (await c.call(LIST, v, { statesFilter, typesFilter })).groups.map((g: any) => g.groupId).sort();
  t.same(await list([]), ['live', 'simple']);
  t.same(await list(['stable']), ['live'], 'states are matched case-insensitively');
  t.same(await list(['Empty']), ['simple']);
  t.same(await list([], ['consumer']), [], 'no KIP-848 groups');
  t.same(await list([], ['Classic']), ['live', 'simple']);
  const v0 = await c.call(LIST, 0, {});
  t.same(v0.groups.map((g: any) => g.protocolType).sort(), ['', 'consumer']);
  const d = await c.call(DESCRIBE, 6, { groups: ['missing', 'live'] });
  t.same(d.groups.map((g: any) => [g.groupId, g.errorCode, g.errorMessage, g.groupState]), [['missing', ErrorCode.GROUP_ID_NOT_FOUND, 'Group missing not found.', 'Dead'], ['live', 0, null, 'Stable']]);
});

t.test('offsets expire after offsets.retention.minutes; an empty group without offsets is deleted', async t => {
  const clock = new ManualClock();
  const b = await testBroker(t, { clock, config: { 'offsets.retention.minutes': 1, 'offsets.retention.check.interval.ms': 1000 } });
  const c = await testClient(t, b);
  await createTopic(c, 't', 1);
  await c.call(FIND, 3, { key: 'any', keyType: 0 });
  await commit(c, 'old', [['t', 0, 1, null]]);
  clock.advance(30_000);
  await commit(c, 'young', [['t', 0, 2, null]]);
  await commit(c, 'explicit', [['t', 0, 3, null]], { retentionTimeMs: 5_000 }, 4);
  clock.advance(31_000);
  // the expiry task reschedules itself after each run: step the clock until it has run again
  await waitFor(async () => {
    clock.advance(1000);
    return (await fetched(c, 'old', null)).offsets.length === 0;
  }, 5000, 'the old offsets to expire');
  t.same((await fetched(c, 'young', null)).offsets.map((o: any[]) => o[2]), [2], 'younger offsets stay');
  t.same((await fetched(c, 'explicit', null)).offsets, [], 'v2-4 retention time expires the offset on its own schedule');
  t.same((await c.call(LIST, 5, {})).groups.map((g: any) => g.groupId), ['young'], 'the emptied groups are deleted');
});

t.test('malformed and oversized input from members is stored as sent or refused, and never breaks the group', async t => {
  const { c, client } = await setup(t);
  const m1 = await client();
  const m2 = await client();
  // a subscription the consumer protocol cannot read, and a large one: the broker keeps them as bytes
  const garbage = Buffer.from([0xff, 0xff, 0x7f]);
  const big = Buffer.alloc(512 * 1024, 7);
  const j1 = await joinWithId(m1, 'g', { protocols: [{ name: 'range', metadata: garbage }] });
  const j2p = joinWithId(m2, 'g', { protocols: [{ name: 'range', metadata: big }] });
  await waitFor(async () => (await heartbeat(m1, 'g', j1.generationId, j1.memberId)) === ErrorCode.REBALANCE_IN_PROGRESS);
  const j1b = await join(m1, 'g', { memberId: j1.memberId, protocols: [{ name: 'range', metadata: garbage }] });
  const j2 = await j2p;
  const metas = new Map<string, Buffer>(j1b.members.map((m: any) => [m.memberId, Buffer.from(m.metadata)]));
  t.ok(metas.get(j1.memberId)?.equals(garbage) && metas.get(j2.memberId)?.equals(big), 'the leader receives both members\' metadata unchanged');
  // the leader assigns garbage to one member, names a member that does not exist, and forgets none
  const s2p = sync(m2, 'g', j2.generationId, j2.memberId);
  const s1 = await sync(m1, 'g', j1b.generationId, j1.memberId, [
    { memberId: j2.memberId, assignment: garbage },
    { memberId: 'not-a-member', assignment: assignment({ t: [0] }) },
  ]);
  t.same([s1.errorCode, Buffer.from(s1.assignment).length], [0, 0], 'a member the leader left out gets an empty assignment');
  t.ok(Buffer.from((await s2p).assignment).equals(garbage), 'an assignment is delivered as the leader wrote it');
  const d = await describe(c, 'g');
  t.same([d.groupState, d.members.length], ['Stable', 2], 'the unknown member id is ignored');
  // OffsetDelete cannot read the subscriptions, so it treats the consumer group as subscribed to everything (Kafka's rule)
  const del = await c.call(OFFSET_DELETE, 0, { groupId: 'g', topics: [{ name: 't', partitions: [{ partitionIndex: 0 }] }] });
  t.equal(del.topics[0].partitions[0].errorCode, ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC);
  t.equal(await heartbeat(m1, 'g', j1b.generationId, j1.memberId), 0, 'the group carries on');
});
