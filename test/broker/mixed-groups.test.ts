// Mixed groups over the wire: classic-protocol members (JoinGroup/SyncGroup/Heartbeat/LeaveGroup)
// inside a KIP-848 consumer group, the online upgrade of a classic group when a consumer-protocol
// member joins, the online downgrade when the last one leaves, group.consumer.migration.policy,
// and the errors Kafka gives classic members of a consumer group.
/* eslint-disable @typescript-eslint/no-explicit-any -- responses decoded from the specs at run time */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t, { type Test } from 'tap';
import { testBroker, testClient } from '../helpers/broker.js';
import { TestClient } from '../helpers/client.js';
import { createTopic } from '../helpers/kafka.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import { ManualClock } from '../../src/broker/clock.js';
import { startBroker, type RunningBroker } from '../../src/index.js';
import { decodeAssignment, encodeAssignment, encodeSubscription } from '../../src/coordinator/group/consumer-protocol.js';

const FIND = 10, JOIN = 11, HEARTBEAT = 12, LEAVE = 13, SYNC = 14, DESCRIBE = 15, LIST = 16, COMMIT = 8, CG_HEARTBEAT = 68, CG_DESCRIBE = 69;

/** A classic consumer as a client drives it: JoinGroup (v5, member id required), SyncGroup, Heartbeat. */
class Classic {
  memberId = '';
  generation = -1;
  owned: number[] = [];
  constructor(
    readonly c: TestClient,
    readonly group: string,
    readonly opts: { instanceId?: string; protocols?: string[]; sessionTimeoutMs?: number; userData?: Buffer } = {},
  ) {}

  metadata(): Buffer {
    return encodeSubscription({ version: 1, topics: ['t'], ownedPartitions: this.owned.length > 0 ? [{ topic: 't', partitions: this.owned }] : [] });
  }

  async join(): Promise<any> {
    for (;;) {
      const r = await this.c.call(JOIN, 5, {
        groupId: this.group,
        sessionTimeoutMs: this.opts.sessionTimeoutMs ?? 10_000,
        rebalanceTimeoutMs: 10_000,
        memberId: this.memberId,
        groupInstanceId: this.opts.instanceId ?? null,
        protocolType: 'consumer',
        protocols: (this.opts.protocols ?? ['range']).map(name => ({ name, metadata: this.metadata() })),
      });
      if (r.errorCode === ErrorCode.MEMBER_ID_REQUIRED) {
        this.memberId = r.memberId;
        continue;
      }
      if (r.errorCode === ErrorCode.NONE) {
        this.memberId = r.memberId;
        this.generation = r.generationId;
      }
      return r;
    }
  }

  /** SyncGroup; a leader (classic group) hands out the partitions round-robin. */
  async sync(join?: any): Promise<any> {
    const assignments: { memberId: string; assignment: Buffer }[] = [];
    if (join !== undefined && join.leader === this.memberId) {
      const ids = join.members.map((m: any) => m.memberId);
      ids.forEach((id: string, i: number) => {
        const partitions = [0, 1, 2, 3, 4, 5].filter(p => p % ids.length === i);
        assignments.push({ memberId: id, assignment: encodeAssignment({ version: 1, assignedPartitions: [{ topic: 't', partitions }], userData: this.opts.userData ?? null }) });
      });
    }
    const r = await this.c.call(SYNC, 5, {
      groupId: this.group,
      generationId: this.generation,
      memberId: this.memberId,
      groupInstanceId: this.opts.instanceId ?? null,
      protocolType: 'consumer',
      protocolName: (this.opts.protocols ?? ['range'])[0],
      assignments,
    });
    if (r.errorCode === ErrorCode.NONE) this.owned = decodeAssignment(r.assignment).assignedPartitions.flatMap((tp: any) => tp.partitions).sort((a: number, b: number) => a - b);
    return r;
  }

  heartbeat(generation = this.generation): Promise<number> {
    return this.c.call(HEARTBEAT, 4, { groupId: this.group, generationId: generation, memberId: this.memberId, groupInstanceId: this.opts.instanceId ?? null }).then((r: any) => r.errorCode);
  }

  leave(): Promise<any> {
    return this.c.call(LEAVE, 5, { groupId: this.group, members: [{ memberId: this.memberId, groupInstanceId: this.opts.instanceId ?? null, reason: null }] });
  }

  /** Heartbeat; on REBALANCE_IN_PROGRESS rejoin and sync, as a client does. Returns the heartbeat's error. */
  async beat(): Promise<number> {
    const code = await this.heartbeat();
    if (code === ErrorCode.REBALANCE_IN_PROGRESS) {
      const j = await this.join();
      if (j.errorCode === ErrorCode.NONE) await this.sync(j);
    }
    return code;
  }
}

/** A KIP-848 member: ConsumerGroupHeartbeat, acknowledging what it was given. */
class Modern {
  epoch = 0;
  owned: { topicId: string; partitions: number[] }[] = [];
  constructor(
    readonly c: TestClient,
    readonly group: string,
    readonly memberId: string,
  ) {}

  async beat(epoch = this.epoch): Promise<any> {
    const r = await this.c.call(CG_HEARTBEAT, 1, {
      groupId: this.group,
      memberId: this.memberId,
      memberEpoch: epoch,
      instanceId: null,
      rackId: null,
      rebalanceTimeoutMs: epoch === 0 ? 10_000 : -1,
      subscribedTopicNames: epoch === 0 ? ['t'] : null,
      subscribedTopicRegex: null,
      serverAssignor: null,
      topicPartitions: epoch === 0 ? [] : epoch < 0 ? null : this.owned,
    });
    if (r.errorCode === ErrorCode.NONE && epoch >= 0) {
      this.epoch = r.memberEpoch;
      if (r.assignment !== null) this.owned = r.assignment.topicPartitions.map((tp: any) => ({ topicId: tp.topicId, partitions: [...tp.partitions].sort((a: number, b: number) => a - b) }));
    }
    return r;
  }

  partitions(): number[] {
    return this.owned.flatMap(tp => tp.partitions).sort((a, b) => a - b);
  }
}

async function setup(t: Test, config: Record<string, string | number> = {}, clock?: ManualClock) {
  const b = await testBroker(t, { config, clock });
  const c = await testClient(t, b);
  const topicId = await createTopic(c, 't', 6);
  await c.call(FIND, 3, { key: 'any', keyType: 0 });
  return { b, c, topicId };
}

/** A Stable classic group of two members with partitions 0,2,4 and 1,3,5. */
async function classicGroup(t: Test, broker: RunningBroker, group: string, opts: ConstructorParameters<typeof Classic>[2] = {}): Promise<[Classic, Classic]> {
  // one connection each: a parked JoinGroup holds up the requests behind it on its connection
  const a = new Classic(await testClient(t, broker), group, opts);
  const b = new Classic(await testClient(t, broker), group, opts);
  await a.join();
  // the second member's join starts a rebalance that completes when the first rejoins
  const jb = b.join();
  await new Promise(r => setTimeout(r, 20));
  const [ra, rb] = await Promise.all([a.join(), jb]);
  await Promise.all([a.sync(ra), b.sync(rb)]);
  return [a, b];
}

const listed = async (c: TestClient): Promise<[string, string, string][]> =>
  (await c.call(LIST, 5, { statesFilter: [], typesFilter: [] })).groups.map((g: any) => [g.groupId, g.groupType, g.groupState]);
const describeCG = (c: TestClient, group: string): Promise<any> => c.call(CG_DESCRIBE, 1, { groupIds: [group], includeAuthorizedOperations: false }).then((r: any) => r.groups[0]);

/** Every classic and modern member heartbeats (classic ones rejoining when told) until nothing changes. */
async function settle(classic: Classic[], modern: Modern[], rounds = 12): Promise<void> {
  for (let i = 0; i < rounds; i++) {
    const state = () => JSON.stringify([classic.map(m => [m.generation, m.owned]), modern.map(m => [m.epoch, m.owned])]);
    const before = state();
    let rejoined = false;
    for (const m of classic) if ((await m.beat()) === ErrorCode.REBALANCE_IN_PROGRESS) rejoined = true;
    for (const m of modern) {
      const r = await m.beat();
      if (r.errorCode !== ErrorCode.NONE) throw new Error(`heartbeat of ${m.memberId}: ${r.errorCode} ${r.errorMessage}`);
    }
    if (!rejoined && state() === before) return;
  }
  throw new Error('the mixed group did not settle');
}

t.test('upgrade: a KIP-848 member joining a classic group turns it into a consumer group; the classic members rejoin as its members', async t => {
  const { b: broker, c } = await setup(t);
  const [a, b] = await classicGroup(t, broker, 'g');
  t.same([a.owned, b.owned].sort(), [[0, 2, 4], [1, 3, 5]], 'the classic group is Stable with its assignment');
  const generation = a.generation;
  const m = new Modern(c, 'g', 'modern-1');
  const r = await m.beat();
  t.equal(r.errorCode, ErrorCode.NONE, 'the heartbeat upgrades the group');
  t.same(await listed(c), [['g', 'consumer', 'Reconciling']], 'one group of that id, now a consumer group');
  let d = await describeCG(c, 'g');
  t.equal(d.members.length, 3);
  const classicDescribed = d.members.filter((x: any) => x.memberType === 0);
  t.same(classicDescribed.map((x: any) => x.memberId).sort(), [a.memberId, b.memberId].sort(), 'the classic members are members of the consumer group (memberType 0)');
  t.ok(classicDescribed.every((x: any) => x.memberEpoch === generation), 'at the classic generation as their epoch');
  t.equal(d.groupEpoch, generation + 1, 'the new member bumped the group epoch');
  t.equal(m.partitions().length, 0, 'the newcomer waits for partitions the classic members still hold');

  t.equal(await a.heartbeat(), ErrorCode.REBALANCE_IN_PROGRESS, 'a classic member behind the group epoch is told to rejoin');
  const commitWith = (generationId: number) =>
    c.call(COMMIT, 8, { groupId: 'g', generationIdOrMemberEpoch: generationId, memberId: a.memberId, groupInstanceId: null, topics: [{ name: 't', partitions: [{ partitionIndex: a.owned[0], committedOffset: 1, committedLeaderEpoch: -1, committedMetadata: null }] }] });
  t.equal((await commitWith(generation)).topics[0].partitions[0].errorCode, ErrorCode.NONE, 'a classic member commits with its generation (its member epoch)');
  t.equal((await commitWith(generation + 7)).topics[0].partitions[0].errorCode, ErrorCode.ILLEGAL_GENERATION, 'a wrong generation is ILLEGAL_GENERATION');

  await settle([a, b], [m]);
  const all = [...a.owned, ...b.owned, ...m.partitions()].sort((x, y) => x - y);
  t.same(all, [0, 1, 2, 3, 4, 5], 'every partition owned exactly once');
  t.same([a.owned.length, b.owned.length, m.partitions().length], [2, 2, 2], 'balanced over the three members');
  d = await describeCG(c, 'g');
  t.equal(d.groupState, 'Stable');
  t.ok(d.members.every((x: any) => x.memberEpoch === d.groupEpoch), 'everyone at the group epoch');
  t.equal(a.generation, d.groupEpoch, 'a rejoined classic member gets its member epoch as generation');
  const described = await c.call(DESCRIBE, 5, { groups: ['g'], includeAuthorizedOperations: false });
  t.equal(described.groups[0].groupState, 'Dead', 'DescribeGroups does not describe consumer groups');
});

t.test('downgrade: when the last KIP-848 member leaves, the consumer group becomes a classic group and rebalances', async t => {
  const { b: broker, c } = await setup(t);
  const [a, b] = await classicGroup(t, broker, 'g');
  const m = new Modern(c, 'g', 'modern-1');
  await m.beat();
  await settle([a, b], [m]);
  const epoch = (await describeCG(c, 'g')).groupEpoch;
  const left = await m.beat(-1);
  t.equal(left.errorCode, ErrorCode.NONE);
  t.same(await listed(c), [['g', 'classic', 'PreparingRebalance']], 'a classic group, rebalancing');
  t.equal((await describeCG(c, 'g')).errorCode, ErrorCode.GROUP_ID_NOT_FOUND, 'no longer a consumer group');
  t.equal(await a.heartbeat(epoch), ErrorCode.REBALANCE_IN_PROGRESS, 'the classic group starts at the group epoch, rebalancing');
  const [ja, jb] = await Promise.all([a.join(), b.join()]);
  t.equal(ja.generationId, epoch + 1, 'the next generation');
  t.equal(ja.generationId, jb.generationId);
  const leader = ja.leader === a.memberId ? ja : jb;
  t.equal(leader.members.length, 2, 'the leader gets both members');
  await Promise.all([a.sync(ja), b.sync(jb)]);
  t.same([...a.owned, ...b.owned].sort((x, y) => x - y), [0, 1, 2, 3, 4, 5], 'the classic leader assigned everything');
  t.same(await listed(c), [['g', 'classic', 'Stable']]);
  t.equal(await a.heartbeat(), ErrorCode.NONE);
});

t.test('group.consumer.migration.policy=disabled: no upgrade, no downgrade; classic members still join consumer groups', async t => {
  const { b: broker, c } = await setup(t, { 'group.consumer.migration.policy': 'DISABLED' });
  await classicGroup(t, broker, 'g');
  const refused = await new Modern(c, 'g', 'modern-1').beat();
  t.same([refused.errorCode, refused.errorMessage], [ErrorCode.GROUP_ID_NOT_FOUND, 'Group g is not a consumer group'], 'the classic group is not upgraded');
  t.same(await listed(c), [['g', 'classic', 'Stable']]);

  const m = new Modern(c, 'h', 'modern-2');
  await m.beat();
  const a = new Classic(c, 'h');
  t.equal((await a.join()).errorCode, ErrorCode.NONE, 'a classic member joins the consumer group');
  await settle([a], [m]);
  t.equal((await m.beat(-1)).errorCode, ErrorCode.NONE);
  t.same((await listed(c)).find(g => g[0] === 'h'), ['h', 'consumer', 'Assigning'], 'the group stays a consumer group of one classic member (its target to be recomputed)');
  t.equal(await a.beat(), ErrorCode.REBALANCE_IN_PROGRESS, 'which rejoins for the departed member\'s partitions');
  t.same(a.owned, [0, 1, 2, 3, 4, 5]);
});

t.test('classic members of a consumer group get Kafka\'s errors and change nothing', async t => {
  const { c } = await setup(t);
  const m = new Modern(c, 'g', 'modern-1');
  await m.beat();
  const a = new Classic(c, 'g', { instanceId: 'inst-a' });
  t.equal((await a.join()).errorCode, ErrorCode.NONE, 'a static classic member joins (no member id round trip)');
  await settle([a], [m]);
  const before = JSON.stringify(await describeCG(c, 'g'));

  t.equal((await c.call(SYNC, 5, { groupId: 'g', generationId: a.generation + 1, memberId: a.memberId, groupInstanceId: 'inst-a', protocolType: 'consumer', protocolName: 'range', assignments: [] })).errorCode, ErrorCode.ILLEGAL_GENERATION);
  t.equal((await c.call(SYNC, 5, { groupId: 'g', generationId: a.generation, memberId: a.memberId, groupInstanceId: 'inst-a', protocolType: 'consumer', protocolName: 'roundrobin', assignments: [] })).errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL, 'the protocol of its join');
  t.equal((await c.call(SYNC, 5, { groupId: 'g', generationId: a.generation, memberId: 'other', groupInstanceId: 'inst-a', protocolType: 'consumer', protocolName: 'range', assignments: [] })).errorCode, ErrorCode.FENCED_INSTANCE_ID);
  t.equal((await c.call(HEARTBEAT, 4, { groupId: 'g', generationId: m.epoch, memberId: 'modern-1', groupInstanceId: null })).errorCode, ErrorCode.UNKNOWN_MEMBER_ID, 'a KIP-848 member is not a classic member');
  t.equal((await c.call(HEARTBEAT, 4, { groupId: 'g', generationId: 1, memberId: 'nobody', groupInstanceId: null })).errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
  const leave = await c.call(LEAVE, 5, { groupId: 'g', members: [{ memberId: 'modern-1', groupInstanceId: null, reason: null }, { memberId: '', groupInstanceId: 'inst-x', reason: null }] });
  t.same(leave.members.map((x: any) => x.errorCode), [ErrorCode.UNKNOWN_MEMBER_ID, ErrorCode.UNKNOWN_MEMBER_ID], 'LeaveGroup cannot remove KIP-848 members, nor unknown instances');
  const bad = await c.call(JOIN, 5, { groupId: 'g', sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 10_000, memberId: 'x', groupInstanceId: null, protocolType: 'consumer', protocols: [{ name: 'range', metadata: Buffer.from([0, 1, 0]) }] });
  t.equal(bad.errorCode, ErrorCode.UNKNOWN_SERVER_ERROR, 'a malformed subscription (Kafka: IllegalStateException)');
  const other = await c.call(JOIN, 5, { groupId: 'g', sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 10_000, memberId: 'y', groupInstanceId: null, protocolType: 'consumer', protocols: [{ name: 'roundrobin', metadata: a.metadata() }] });
  t.equal(other.errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL, 'a protocol the classic members do not share');
  t.equal(JSON.stringify(await describeCG(c, 'g')), before, 'the group is unchanged');

  // an administrative removal by instance id works
  const removed = await c.call(LEAVE, 5, { groupId: 'g', members: [{ memberId: '', groupInstanceId: 'inst-a', reason: null }] });
  t.same(removed.members.map((x: any) => [x.memberId, x.errorCode]), [[a.memberId, ErrorCode.NONE]]);
  t.same((await describeCG(c, 'g')).members.map((x: any) => x.memberId), ['modern-1'], 'and the group epoch moved on without it');
});

t.test('upgrade refused: assignments with user data (a custom assignor) or not of the consumer protocol', async t => {
  const { b: broker, c } = await setup(t);
  await classicGroup(t, broker, 'g', { userData: Buffer.from('custom') });
  const r = await new Modern(c, 'g', 'modern-1').beat();
  t.same([r.errorCode, r.errorMessage], [ErrorCode.GROUP_ID_NOT_FOUND, 'Cannot upgrade the classic group g to consumer group because a custom assignor is in use.']);
  t.same(await listed(c), [['g', 'classic', 'Stable']], 'the classic group stays');
});

/**
 * Moves the clock on and lets the coordinator's timer fence whoever is due. A timer that fired at
 * an earlier deadline re-arms only after its write, so a manual clock needs one more step.
 */
async function expireAfter(clock: ManualClock, ms: number): Promise<void> {
  clock.advance(ms);
  await new Promise(r => setTimeout(r, 50));
  clock.advance(1);
  await new Promise(r => setTimeout(r, 50));
}

t.test('a classic member of a consumer group is fenced after its own session timeout, or when it does not rejoin in time', async t => {
  const clock = new ManualClock(1_000_000);
  const { b: broker, c } = await setup(t, {}, clock);
  const m = new Modern(c, 'g', 'modern-1');
  await m.beat();
  const a = new Classic(c, 'g', { sessionTimeoutMs: 8000 });
  await a.join();
  await settle([a], [m]);
  t.equal((await describeCG(c, 'g')).members.length, 2);
  clock.advance(7000);
  t.equal(await a.heartbeat(), ErrorCode.NONE, 'a heartbeat within 8 s keeps it');
  await m.beat();
  await expireAfter(clock, 8001);
  t.same((await describeCG(c, 'g')).members.map((x: any) => x.memberId), ['modern-1'], 'fenced after its 8000 ms session timeout, not the 45 s of group.consumer.session.timeout.ms');
  t.equal(await a.heartbeat(), ErrorCode.UNKNOWN_MEMBER_ID);

  // told to rejoin, a member that heartbeats but never rejoins is fenced after its rebalance timeout (10 s)
  const b = new Classic(await testClient(t, broker), 'g', { sessionTimeoutMs: 8000 });
  await b.join();
  await settle([b], [m]);
  await new Modern(c, 'g', 'modern-2').beat();
  t.equal(await b.heartbeat(), ErrorCode.REBALANCE_IN_PROGRESS);
  clock.advance(6000);
  t.equal(await b.heartbeat(), ErrorCode.REBALANCE_IN_PROGRESS, 'alive, but not rejoining');
  await m.beat();
  await expireAfter(clock, 4001);
  t.notOk((await describeCG(c, 'g')).members.some((x: any) => x.memberId === b.memberId), 'fenced by the join timer');
});

t.test('a mixed group is read back after a restart, and its classic members carry on', async t => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'samsa-mixed-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const start = () => startBroker({ port: 0, host: '127.0.0.1', dataDir: dir, logLevel: 'silent' });
  const first = await start();
  const c1 = await testClient(t, first);
  await createTopic(c1, 't', 6);
  await c1.call(FIND, 3, { key: 'g', keyType: 0 });
  const [a1, a2] = await classicGroup(t, first, 'g');
  const m = new Modern(c1, 'g', 'modern-1');
  await m.beat();
  await settle([a1, a2], [m]);
  const before = await describeCG(c1, 'g');
  for (const x of [c1, a1.c, a2.c]) x.close();
  await first.close();

  const second = await start();
  t.teardown(() => second.close());
  const c = await testClient(t, second);
  await c.call(FIND, 3, { key: 'g', keyType: 0 });
  t.same(await describeCG(c, 'g'), before, 'the same group, members, epochs and assignments');
  const a = Object.assign(new Classic(await testClient(t, second), 'g'), { memberId: a1.memberId, generation: a1.generation, owned: a1.owned });
  t.equal(await a.heartbeat(), ErrorCode.NONE, 'a classic member heartbeats on at its generation');
  t.equal((await Object.assign(new Modern(c, 'g', 'modern-1'), { epoch: m.epoch, owned: m.owned }).beat(-1)).errorCode, ErrorCode.NONE);
  t.same(await listed(c), [['g', 'classic', 'PreparingRebalance']], 'and the downgrade works on the reloaded group');
});
