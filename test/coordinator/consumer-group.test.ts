// The KIP-848 consumer group (src/coordinator/group/consumer-group.ts): ConsumerGroupHeartbeat's
// validation and errors, joins, revocation before reassignment, leaves, session and rebalance
// timeouts on explicit time, static membership, regex subscriptions, the records each change
// writes and their replay (through the __consumer_offsets encoders), and a property test over
// random membership changes: no partition is ever owned by two members, and the group converges.
import t, { type Test } from 'tap';
import type { ConsumerGroupHeartbeatRequest } from '../../src/protocol/messages/consumer-group-heartbeat.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import { SERVER_ASSIGNORS, serverRange, uniform } from '../../src/coordinator/group/assignors/index.js';
import {
  ConsumerGroupCoordinator,
  compileTopicRegex,
  topicsMetadataHash,
  TopicRegexError,
  type ConsumerGroupConfig,
  type HeartbeatContext,
  type HeartbeatResult,
  type TopicInfo,
} from '../../src/coordinator/group/consumer-group.js';
import { decodeRecord, encodeRecord, MEMBER_STATE, type GroupRecord } from '../../src/coordinator/group/offsets-records.js';

const T0 = 1_700_000_000_000;
const SESSION = 45_000;
const REBALANCE = 30_000;

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = a;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 2 ** 32;
  };
}

/** The cluster's topics; every change makes a new Map, as the coordinator's id index expects. */
class Cluster {
  topics = new Map<string, TopicInfo>();
  version = 0;
  private next = 1;

  create(name: string, partitions: number, internal = false): string {
    const b = Buffer.alloc(16);
    b[0] = 0x40;
    b.writeUInt32BE(this.next++, 12);
    const id = b.toString('base64url');
    this.topics = new Map(this.topics).set(name, { id, partitions, internal });
    this.version++;
    return id;
  }

  resize(name: string, partitions: number): void {
    this.topics = new Map(this.topics).set(name, { ...this.topics.get(name)!, partitions });
    this.version++;
  }

  id(name: string): string {
    return this.topics.get(name)!.id;
  }

  name(id: string): string {
    for (const [n, t] of this.topics) if (t.id === id) return n;
    return `?${id}`;
  }
}

type Plain = Record<string, number[]>;

class Harness {
  now = T0;
  readonly cluster = new Cluster();
  readonly coord: ConsumerGroupCoordinator;
  /** Every record written, in order, as the log would hold them. */
  readonly log: GroupRecord[] = [];
  private ids = 0;

  constructor(config: Partial<ConsumerGroupConfig> = {}) {
    this.coord = new ConsumerGroupCoordinator({
      assignors: [...SERVER_ASSIGNORS.values()],
      sessionTimeoutMs: SESSION,
      heartbeatIntervalMs: 5_000,
      maxSize: 1000,
      newMemberId: () => `generated-${++this.ids}`,
      ...config,
    });
  }

  ctx(apiVersion = 1): HeartbeatContext {
    return { now: this.now, topics: this.cluster.topics, metadataVersion: this.cluster.version, apiVersion, clientId: 'client', clientHost: '/127.0.0.1' };
  }

  hb(req: Partial<ConsumerGroupHeartbeatRequest>, apiVersion = 1): HeartbeatResult {
    const full: ConsumerGroupHeartbeatRequest = {
      groupId: 'g',
      memberId: '',
      memberEpoch: 0,
      instanceId: null,
      rackId: null,
      rebalanceTimeoutMs: -1,
      subscribedTopicNames: null,
      subscribedTopicRegex: null,
      serverAssignor: null,
      topicPartitions: null,
      ...req,
    };
    const res = this.coord.heartbeat(full, this.ctx(apiVersion));
    this.log.push(...res.records);
    return res;
  }

  expire(): ReturnType<ConsumerGroupCoordinator['expire']> {
    const out = this.coord.expire({ now: this.now, topics: this.cluster.topics, metadataVersion: this.cluster.version });
    for (const e of out) this.log.push(...e.records);
    return out;
  }

  plain(list: { topicId: string; partitions: number[] }[] | null | undefined): Plain | null {
    if (list === null || list === undefined) return null;
    const out: Plain = {};
    for (const tp of list) out[this.cluster.name(tp.topicId)] = [...tp.partitions].sort((a, b) => a - b);
    return out;
  }

  group(id = 'g') {
    return this.coord.group(id)!;
  }

  memberState(memberId: string, groupId = 'g') {
    const m = this.group(groupId).members.get(memberId)!;
    const toPlain = (p: ReadonlyMap<string, ReadonlySet<number>>): Plain => {
      const out: Plain = {};
      for (const [id, set] of p) out[this.cluster.name(id)] = [...set].sort((a, b) => a - b);
      return out;
    };
    return { epoch: m.memberEpoch, state: m.state, assigned: toPlain(m.assignedPartitions), revoking: toPlain(m.partitionsPendingRevocation) };
  }
}

/** A well-behaved KIP-848 client: reports what it owns, gives up what it is no longer assigned at once. */
class Client {
  epoch = 0;
  owned = new Map<string, Set<number>>();
  lastError = 0;
  /** When set, the client keeps partitions it was asked to give up (a slow revocation). */
  stubborn = false;

  constructor(
    readonly h: Harness,
    public memberId: string,
    readonly opts: { topics?: string[]; regex?: string; instanceId?: string; assignor?: string; groupId?: string; rebalanceTimeoutMs?: number } = {},
  ) {}

  private ownedList(): { topicId: string; partitions: number[] }[] {
    return [...this.owned].map(([topicId, set]) => ({ topicId, partitions: [...set].sort((a, b) => a - b) }));
  }

  private take(res: HeartbeatResult): HeartbeatResult {
    const r = res.response;
    this.lastError = r.errorCode;
    if (r.errorCode === ErrorCode.FENCED_MEMBER_EPOCH || r.errorCode === ErrorCode.UNKNOWN_MEMBER_ID) {
      // Fenced: abandon everything and rejoin later.
      this.owned = new Map();
      this.epoch = 0;
      return res;
    }
    if (r.errorCode !== ErrorCode.NONE) return res;
    if (r.memberId !== null) this.memberId = r.memberId;
    this.epoch = r.memberEpoch;
    if (r.assignment !== null) {
      const next = new Map<string, Set<number>>();
      for (const tp of r.assignment.topicPartitions) next.set(tp.topicId, new Set(tp.partitions));
      if (this.stubborn) for (const [id, set] of this.owned) for (const p of set) (next.get(id) ?? next.set(id, new Set()).get(id)!).add(p);
      this.owned = next;
    }
    return res;
  }

  join(apiVersion = 1): HeartbeatResult {
    return this.take(
      this.h.hb(
        {
          groupId: this.opts.groupId ?? 'g',
          memberId: this.memberId,
          memberEpoch: 0,
          instanceId: this.opts.instanceId ?? null,
          rebalanceTimeoutMs: this.opts.rebalanceTimeoutMs ?? REBALANCE,
          subscribedTopicNames: this.opts.regex === undefined ? (this.opts.topics ?? []) : null,
          subscribedTopicRegex: this.opts.regex ?? null,
          serverAssignor: this.opts.assignor ?? null,
          topicPartitions: [],
        },
        apiVersion,
      ),
    );
  }

  beat(extra: Partial<ConsumerGroupHeartbeatRequest> = {}): HeartbeatResult {
    return this.take(
      this.h.hb({
        groupId: this.opts.groupId ?? 'g',
        memberId: this.memberId,
        memberEpoch: this.epoch,
        instanceId: this.opts.instanceId ?? null,
        topicPartitions: this.ownedList(),
        ...extra,
      }),
    );
  }

  leave(epoch = -1): HeartbeatResult {
    const res = this.h.hb({ groupId: this.opts.groupId ?? 'g', memberId: this.memberId, memberEpoch: epoch, instanceId: this.opts.instanceId ?? null });
    if (res.response.errorCode === ErrorCode.NONE) {
      this.owned = new Map();
      this.epoch = 0;
    }
    return res;
  }

  ownedPlain(): Plain {
    const out: Plain = {};
    for (const [id, set] of this.owned) if (set.size > 0) out[this.h.cluster.name(id)] = [...set].sort((a, b) => a - b);
    return out;
  }
}

function recordTypes(records: GroupRecord[]): string[] {
  return records.map(r => `${r.key.type}${r.value === null ? '(tombstone)' : ''}`);
}

const range = (from: number, to: number): number[] => Array.from({ length: to - from }, (_, i) => from + i);

// ---- joining ---------------------------------------------------------------------------------

t.test('a first member joins: group epoch 1, the whole subscription assigned, and the records that say so', async t => {
  const h = new Harness();
  h.cluster.create('orders', 6);
  const a = new Client(h, 'member-a', { topics: ['orders'] });
  const res = a.join();
  t.equal(res.response.errorCode, ErrorCode.NONE);
  t.equal(res.response.memberId, 'member-a');
  t.equal(res.response.memberEpoch, 1);
  t.equal(res.response.heartbeatIntervalMs, 5_000);
  t.same(h.plain(res.response.assignment?.topicPartitions), { orders: range(0, 6) });
  t.same(recordTypes(res.records), [
    'consumerGroupMemberMetadata',
    'consumerGroupMetadata',
    'consumerGroupTargetAssignmentMember',
    'consumerGroupTargetAssignmentMetadata',
    'consumerGroupCurrentMemberAssignment',
  ]);
  const meta = res.records[1]!.value as { epoch: number; metadataHash: bigint };
  t.equal(meta.epoch, 1);
  t.equal(meta.metadataHash, topicsMetadataHash(['orders'], h.cluster.topics));
  t.not(meta.metadataHash, 0n);
  const current = res.records[4]!.value as { memberEpoch: number; previousMemberEpoch: number; state: number };
  t.same([current.memberEpoch, current.previousMemberEpoch, current.state], [1, 0, MEMBER_STATE.stable]);
  t.equal(h.group().state, 'Stable');
  t.equal(res.deadline, T0 + SESSION);

  // A steady heartbeat writes nothing and sends no assignment.
  h.now += 5_000;
  const again = a.beat();
  t.equal(again.response.memberEpoch, 1);
  t.equal(again.response.assignment, null);
  t.same(again.records, []);
  t.equal(again.deadline, h.now + SESSION);
});

t.test('v0 joins get a member id from the coordinator; v1 must bring one (KIP-1082)', async t => {
  const h = new Harness();
  h.cluster.create('orders', 2);
  const v0 = h.hb({ memberId: '', memberEpoch: 0, rebalanceTimeoutMs: REBALANCE, subscribedTopicNames: ['orders'], topicPartitions: [] }, 0);
  t.equal(v0.response.errorCode, ErrorCode.NONE);
  t.equal(v0.response.memberId, 'generated-1');
  const v1 = h.hb({ memberId: '', memberEpoch: 0, rebalanceTimeoutMs: REBALANCE, subscribedTopicNames: ['orders'], topicPartitions: [] }, 1);
  t.equal(v1.response.errorCode, ErrorCode.INVALID_REQUEST);
  t.equal(v1.response.errorMessage, "MemberId can't be empty.");
  t.equal(v1.response.memberId, null);
  t.same(v1.records, []);
  // A member id the client made up is used as it is.
  const own = h.hb({ memberId: 'my-uuid', memberEpoch: 0, rebalanceTimeoutMs: REBALANCE, subscribedTopicNames: ['orders'], topicPartitions: [] }, 1);
  t.equal(own.response.memberId, 'my-uuid');
});

t.test('a second member: the first revokes before the second gets anything, then both converge', async t => {
  const h = new Harness();
  h.cluster.create('orders', 6);
  const a = new Client(h, 'a', { topics: ['orders'] });
  const b = new Client(h, 'b', { topics: ['orders'] });
  a.join();
  t.same(a.ownedPlain(), { orders: range(0, 6) });

  const bJoin = b.join();
  t.equal(h.group().groupEpoch, 2, 'the join bumps the group epoch');
  t.equal(h.group().assignmentEpoch, 2, 'and the target is computed at once');
  t.equal(bJoin.response.memberEpoch, 2, 'b is at the new epoch...');
  t.same(h.plain(bJoin.response.assignment?.topicPartitions), {}, '...but holds nothing a still owns');
  t.same(h.memberState('b'), { epoch: 2, state: 'unreleased_partitions', assigned: {}, revoking: {} });
  const bTarget = h.group().targetAssignment.get('b')!;
  t.equal([...bTarget.values()][0]!.size, 3, 'b is targeted with half');
  t.equal(h.group().state, 'Reconciling');

  // a learns it must give up b's half; it stays at epoch 1 until it has.
  const aRevoke = a.beat();
  t.equal(aRevoke.response.memberEpoch, 1);
  const kept = h.plain(aRevoke.response.assignment?.topicPartitions)!;
  t.equal(kept['orders']!.length, 3);
  const s = h.memberState('a');
  t.equal(s.state, 'unrevoked_partitions');
  t.same(s.assigned, kept);
  t.same([...s.revoking['orders']!, ...kept['orders']!].sort(), range(0, 6));
  t.match(aRevoke.records.map(r => r.key.type), ['consumerGroupCurrentMemberAssignment']);
  t.ok(h.group().rebalanceDeadlines.has('a'), 'a revocation deadline is set');

  // b still waits: a has not acknowledged.
  const bWaits = b.beat();
  t.same(bWaits.response.assignment, null);
  t.same(b.ownedPlain(), {});

  // a acknowledges by reporting only what it kept: it moves to epoch 2.
  const aDone = a.beat();
  t.equal(aDone.response.memberEpoch, 2);
  t.same(h.memberState('a'), { epoch: 2, state: 'stable', assigned: kept, revoking: {} });
  t.notOk(h.group().rebalanceDeadlines.has('a'), 'the revocation deadline is cancelled');

  // Now b gets the released half.
  const bGets = b.beat();
  t.same(h.plain(bGets.response.assignment?.topicPartitions)!['orders']!.length, 3);
  t.same(h.memberState('b').state, 'stable');
  t.equal(h.group().state, 'Stable');
  const all = [...a.owned.values()].flatMap(x => [...x]).concat([...b.owned.values()].flatMap(x => [...x]));
  t.same(all.sort(), range(0, 6));
  for (const id of ['a', 'b']) t.equal(h.group().members.get(id)!.memberEpoch, h.group().groupEpoch);
});

t.test('a member that leaves (-1): the group epoch bumps and the others take its partitions', async t => {
  const h = new Harness();
  h.cluster.create('orders', 4);
  const a = new Client(h, 'a', { topics: ['orders'] });
  const b = new Client(h, 'b', { topics: ['orders'] });
  a.join();
  b.join();
  for (let i = 0; i < 3; i++) {
    a.beat();
    b.beat();
  }
  t.equal(h.group().state, 'Stable');
  const epoch = h.group().groupEpoch;
  const left = b.leave();
  t.equal(left.response.errorCode, ErrorCode.NONE);
  t.equal(left.response.memberId, 'b');
  t.equal(left.response.memberEpoch, -1);
  t.same(recordTypes(left.records), [
    'consumerGroupCurrentMemberAssignment(tombstone)',
    'consumerGroupTargetAssignmentMember(tombstone)',
    'consumerGroupMemberMetadata(tombstone)',
    'consumerGroupMetadata',
  ]);
  t.equal(h.group().groupEpoch, epoch + 1);
  t.equal(h.group().state, 'Assigning', 'the new target waits for the next heartbeat');
  const res = a.beat();
  t.equal(res.response.memberEpoch, epoch + 1);
  t.same(a.ownedPlain(), { orders: range(0, 4) });
  t.equal(h.group().state, 'Stable');

  // The last member leaving empties the group, with the assignment epoch caught up (KAFKA-20442).
  const last = a.leave();
  t.same(recordTypes(last.records).slice(-2), ['consumerGroupMetadata', 'consumerGroupTargetAssignmentMetadata']);
  t.equal(h.group().state, 'Empty');
  t.equal(h.group().assignmentEpoch, h.group().groupEpoch);
});

t.test('unsubscribing from a topic revokes its partitions in the same heartbeat', async t => {
  const h = new Harness();
  h.cluster.create('orders', 2);
  h.cluster.create('payments', 2);
  const a = new Client(h, 'a', { topics: ['orders', 'payments'] });
  a.join();
  t.same(a.ownedPlain(), { orders: [0, 1], payments: [0, 1] });
  const res = a.beat({ subscribedTopicNames: ['orders'] });
  t.same(h.plain(res.response.assignment?.topicPartitions), { orders: [0, 1] });
  t.same(h.memberState('a').revoking, { payments: [0, 1] });
  a.beat();
  t.same(h.memberState('a'), { epoch: h.group().groupEpoch, state: 'stable', assigned: { orders: [0, 1] }, revoking: {} });
});

t.test('topic metadata changes bump the group epoch: new partitions are assigned', async t => {
  const h = new Harness();
  h.cluster.create('orders', 2);
  const a = new Client(h, 'a', { topics: ['orders', 'later'] });
  a.join();
  t.same(a.ownedPlain(), { orders: [0, 1] }, 'a topic that does not exist yet is simply not assigned');
  const epoch = h.group().groupEpoch;
  h.cluster.resize('orders', 4);
  a.beat();
  t.equal(h.group().groupEpoch, epoch + 1);
  t.same(a.ownedPlain(), { orders: [0, 1, 2, 3] });
  h.cluster.create('later', 1);
  a.beat();
  t.equal(h.group().groupEpoch, epoch + 2);
  t.same(a.ownedPlain(), { orders: [0, 1, 2, 3], later: [0] });
  const unrelated = h.group().groupEpoch;
  h.cluster.create('unrelated', 3);
  a.beat();
  t.equal(h.group().groupEpoch, unrelated, 'a topic nobody subscribes to changes nothing');
});

// ---- timeouts --------------------------------------------------------------------------------

t.test('session expiry: a silent member is removed at its deadline, not before', async t => {
  const h = new Harness();
  h.cluster.create('orders', 4);
  const a = new Client(h, 'a', { topics: ['orders'] });
  const b = new Client(h, 'b', { topics: ['orders'] });
  a.join();
  b.join();
  a.beat();
  b.beat();
  a.beat();
  t.equal(h.coord.nextDeadline(), T0 + SESSION, 'the sessions run from the last heartbeats, at T0');

  h.now = T0 + 20_000;
  b.beat(); // b stays alive; a stays silent
  h.now = T0 + SESSION - 1;
  t.same(h.expire(), [], 'nothing is due yet');
  h.now = T0 + SESSION;
  const expired = h.expire();
  t.same(
    expired.map(e => e.fenced),
    [[{ groupId: 'g', memberId: 'a', reason: 'session' }]],
  );
  t.notOk(h.group().members.has('a'));
  t.equal(h.coord.nextDeadline(), T0 + 20_000 + SESSION, "now b's");
  b.beat();
  t.same(b.ownedPlain(), { orders: range(0, 4) });
  // The expired member's next heartbeat learns it is gone.
  t.equal(a.beat().response.errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
});

t.test('rebalance timeout: a member that does not revoke in time is fenced; one that does is not', async t => {
  const h = new Harness();
  h.cluster.create('orders', 4);
  const a = new Client(h, 'a', { topics: ['orders'], rebalanceTimeoutMs: 10_000 });
  const b = new Client(h, 'b', { topics: ['orders'] });
  a.join();
  a.stubborn = true;
  b.join();
  const res = a.beat();
  t.equal(h.memberState('a').state, 'unrevoked_partitions');
  t.equal(res.deadline, h.now + 10_000, 'the rebalance deadline comes before the session deadline');
  for (let i = 1; i <= 4; i++) {
    h.now += 2_000;
    a.beat(); // still reporting the partitions it must give up
  }
  t.equal(h.memberState('a').state, 'unrevoked_partitions');
  h.now = T0 + 10_000;
  const expired = h.expire();
  t.same(expired[0]?.fenced, [{ groupId: 'g', memberId: 'a', reason: 'rebalance' }]);
  t.notOk(h.group().members.has('a'));
  t.equal(a.beat().response.errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
  b.beat();
  t.same(b.ownedPlain(), { orders: range(0, 4) });

  // The same, but the member revokes in time.
  const h2 = new Harness();
  h2.cluster.create('orders', 4);
  const c = new Client(h2, 'c', { topics: ['orders'], rebalanceTimeoutMs: 10_000 });
  const d = new Client(h2, 'd', { topics: ['orders'] });
  c.join();
  d.join();
  c.beat();
  h2.now += 9_000;
  c.beat();
  t.equal(h2.memberState('c').state, 'stable');
  h2.now = T0 + 10_000;
  t.same(h2.expire(), []);
});

// ---- static membership -------------------------------------------------------------------------

t.test('a static member leaves with -2 and its successor takes over its assignment', async t => {
  const h = new Harness();
  h.cluster.create('orders', 4);
  const s1 = new Client(h, 'instance-1-run-1', { topics: ['orders'], instanceId: 'instance-1' });
  const other = new Client(h, 'dynamic', { topics: ['orders'] });
  s1.join();
  other.join();
  for (let i = 0; i < 3; i++) {
    s1.beat();
    other.beat();
  }
  const before = s1.ownedPlain();
  t.equal(before['orders']!.length, 2);
  const epoch = h.group().groupEpoch;

  const left = s1.leave(-2);
  t.same([left.response.errorCode, left.response.memberId, left.response.memberEpoch], [ErrorCode.NONE, 'instance-1-run-1', -2]);
  t.same(recordTypes(left.records), ['consumerGroupCurrentMemberAssignment']);
  t.equal(h.group().groupEpoch, epoch, 'a temporary leave does not rebalance');
  t.equal(h.group().members.get('instance-1-run-1')!.memberEpoch, -2);

  // Its partitions are not handed to anyone else meanwhile.
  other.beat();
  t.equal(other.ownedPlain()['orders']!.length, 2);

  const s2 = new Client(h, 'instance-1-run-2', { topics: ['orders'], instanceId: 'instance-1' });
  const rejoin = s2.join();
  t.equal(rejoin.response.errorCode, ErrorCode.NONE);
  t.same(s2.ownedPlain(), before, 'the successor continues with the same partitions');
  t.notOk(h.group().members.has('instance-1-run-1'));
  t.equal(h.group().staticMembers.get('instance-1'), 'instance-1-run-2');
  t.same(recordTypes(rejoin.records).slice(0, 6), [
    'consumerGroupCurrentMemberAssignment(tombstone)',
    'consumerGroupTargetAssignmentMember(tombstone)',
    'consumerGroupMemberMetadata(tombstone)',
    'consumerGroupMemberMetadata',
    'consumerGroupTargetAssignmentMember',
    'consumerGroupCurrentMemberAssignment',
  ]);

  // The old incarnation is fenced by the new one.
  const stale = h.hb({ memberId: 'instance-1-run-1', memberEpoch: epoch, instanceId: 'instance-1', topicPartitions: [] });
  t.equal(stale.response.errorCode, ErrorCode.FENCED_INSTANCE_ID);
  // And a third one cannot join while the second holds the instance id.
  const s3 = new Client(h, 'instance-1-run-3', { topics: ['orders'], instanceId: 'instance-1' });
  t.equal(s3.join().response.errorCode, ErrorCode.UNRELEASED_INSTANCE_ID);
  // The holder itself may rejoin with epoch 0 (after being fenced) and keeps its id.
  t.equal(s2.join().response.errorCode, ErrorCode.NONE);
});

t.test('a static member gone for good (-2, then no successor) expires after its session', async t => {
  const h = new Harness();
  h.cluster.create('orders', 2);
  const s = new Client(h, 's', { topics: ['orders'], instanceId: 'i' });
  const d = new Client(h, 'd', { topics: ['orders'] });
  s.join();
  d.join();
  s.beat();
  d.beat();
  s.leave(-2);
  h.now += SESSION;
  d.beat();
  const expired = h.expire();
  t.same(expired[0]?.fenced.map(f => f.memberId), ['s']);
  d.beat();
  t.same(d.ownedPlain(), { orders: [0, 1] });
  t.equal(h.hb({ memberId: 's', memberEpoch: -2, instanceId: 'i' }).response.errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
});

// ---- epochs and errors -----------------------------------------------------------------------

t.test('member epoch checks: FENCED_MEMBER_EPOCH, the previous epoch after a lost response, rejoining with 0', async t => {
  const h = new Harness();
  h.cluster.create('orders', 4);
  const a = new Client(h, 'a', { topics: ['orders'] });
  const b = new Client(h, 'b', { topics: ['orders'] });
  a.join();
  b.join();
  a.beat();
  a.beat();
  const m = h.group().members.get('a')!;
  t.equal(m.memberEpoch, 2);
  t.equal(m.previousMemberEpoch, 1);
  const owned = [{ topicId: h.cluster.id('orders'), partitions: [...a.owned.get(h.cluster.id('orders'))!] }];

  const ahead = h.hb({ memberId: 'a', memberEpoch: 3, topicPartitions: owned });
  t.equal(ahead.response.errorCode, ErrorCode.FENCED_MEMBER_EPOCH);
  t.match(ahead.response.errorMessage, /greater member epoch \(3\)/);
  t.same(ahead.records, []);
  const halfJoin = h.hb({ memberId: 'a', memberEpoch: 0, topicPartitions: owned });
  t.equal(halfJoin.response.errorCode, ErrorCode.INVALID_REQUEST, 'epoch 0 must be a full join');
  const older = h.hb({ memberId: 'a', memberEpoch: 1, topicPartitions: owned });
  t.equal(older.response.errorCode, ErrorCode.NONE, 'the previous epoch with owned partitions within the assignment is accepted');
  t.equal(older.response.memberEpoch, 2, 'and answered with the current epoch');
  t.equal(older.response.assignment, null, 'it owns what it is assigned: no assignment');
  const partial = h.hb({ memberId: 'a', memberEpoch: 1, topicPartitions: [{ topicId: owned[0]!.topicId, partitions: owned[0]!.partitions.slice(0, 1) }] });
  t.equal(partial.response.errorCode, ErrorCode.NONE);
  t.same(h.plain(partial.response.assignment?.topicPartitions), h.plain(owned), 'it owns less than it is assigned: the assignment it missed is sent again');
  const olderOwningMore = h.hb({ memberId: 'a', memberEpoch: 1, topicPartitions: [{ topicId: h.cluster.id('orders'), partitions: [0, 1, 2, 3] }] });
  t.equal(olderOwningMore.response.errorCode, ErrorCode.FENCED_MEMBER_EPOCH, 'but not when it owns more than it is assigned');
  const olderSilent = h.hb({ memberId: 'a', memberEpoch: 1, topicPartitions: null });
  t.equal(olderSilent.response.errorCode, ErrorCode.FENCED_MEMBER_EPOCH, 'nor when it does not say what it owns');

  // After FENCED_MEMBER_EPOCH the client rejoins with epoch 0 and the same id (KAFKA-19233).
  const rejoin = a.join();
  t.equal(rejoin.response.errorCode, ErrorCode.NONE);
  t.equal(rejoin.response.memberEpoch, 2);
  t.notSame(rejoin.response.assignment, null);
});

t.test('UNKNOWN_MEMBER_ID, GROUP_ID_NOT_FOUND and GROUP_MAX_SIZE_REACHED', async t => {
  const h = new Harness({ maxSize: 2 });
  h.cluster.create('orders', 4);
  const nogroup = h.hb({ groupId: 'nope', memberId: 'x', memberEpoch: 3, topicPartitions: [] });
  t.equal(nogroup.response.errorCode, ErrorCode.GROUP_ID_NOT_FOUND);
  t.equal(h.coord.group('nope'), undefined, 'nothing is created for a refused request');
  const a = new Client(h, 'a', { topics: ['orders'] });
  const b = new Client(h, 'b', { topics: ['orders'] });
  a.join();
  t.equal(h.hb({ memberId: 'ghost', memberEpoch: 1, topicPartitions: [] }).response.errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
  t.equal(h.hb({ memberId: 'ghost', memberEpoch: -1 }).response.errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
  t.equal(h.hb({ memberId: 'ghost', memberEpoch: -2, instanceId: 'nobody' }).response.errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
  t.equal(h.hb({ groupId: 'nope', memberId: 'ghost', memberEpoch: -1 }).response.errorCode, ErrorCode.GROUP_ID_NOT_FOUND);
  b.join();
  t.equal(
    h.hb({ memberId: 'ghost', memberEpoch: 1, topicPartitions: [] }).response.errorCode,
    ErrorCode.GROUP_MAX_SIZE_REACHED,
    'a full group answers any id it does not know with GROUP_MAX_SIZE_REACHED, as Kafka checks the size first',
  );
  const c = new Client(h, 'c', { topics: ['orders'] });
  const full = c.join();
  t.equal(full.response.errorCode, ErrorCode.GROUP_MAX_SIZE_REACHED);
  t.equal(full.response.errorMessage, 'The consumer group has reached its maximum capacity of 2 members.');
  t.equal(a.join().response.errorCode, ErrorCode.NONE, 'a member already in the group may rejoin');
});

t.test('request validation: INVALID_REQUEST, UNSUPPORTED_ASSIGNOR, INVALID_REGULAR_EXPRESSION, and nothing written', async t => {
  const h = new Harness();
  h.cluster.create('orders', 1);
  const join = { memberId: 'm', memberEpoch: 0, rebalanceTimeoutMs: REBALANCE, subscribedTopicNames: ['orders'], topicPartitions: [] };
  const cases: [string, Partial<ConsumerGroupHeartbeatRequest>, number, number, string][] = [
    ['blank group id', { ...join, groupId: '  ' }, 1, ErrorCode.INVALID_REQUEST, "GroupId can't be empty."],
    ['empty member id on a v1 join', { ...join, memberId: '' }, 1, ErrorCode.INVALID_REQUEST, "MemberId can't be empty."],
    ['empty member id on a heartbeat', { memberId: '', memberEpoch: 4 }, 0, ErrorCode.INVALID_REQUEST, "MemberId can't be empty."],
    ['empty member id on a leave', { memberId: '', memberEpoch: -1 }, 0, ErrorCode.INVALID_REQUEST, "MemberId can't be empty."],
    ['empty instance id', { ...join, instanceId: '' }, 1, ErrorCode.INVALID_REQUEST, "InstanceId can't be empty."],
    ['empty rack id', { ...join, rackId: ' ' }, 1, ErrorCode.INVALID_REQUEST, "RackId can't be empty."],
    ['join without rebalance timeout', { ...join, rebalanceTimeoutMs: -1 }, 1, ErrorCode.INVALID_REQUEST, 'RebalanceTimeoutMs must be provided in first request.'],
    ['join without owned partitions', { ...join, topicPartitions: null }, 1, ErrorCode.INVALID_REQUEST, 'TopicPartitions must be empty when (re-)joining.'],
    [
      'join owning partitions',
      { ...join, topicPartitions: [{ topicId: h.cluster.id('orders'), partitions: [0] }] },
      1,
      ErrorCode.INVALID_REQUEST,
      'TopicPartitions must be empty when (re-)joining.',
    ],
    [
      'join without a subscription',
      { ...join, subscribedTopicNames: null },
      1,
      ErrorCode.INVALID_REQUEST,
      'Either SubscribedTopicNames or SubscribedTopicRegex must be non-null when (re-)joining.',
    ],
    ['static leave without instance id', { memberId: 'm', memberEpoch: -2 }, 1, ErrorCode.INVALID_REQUEST, "InstanceId can't be null."],
    ['epoch below -2', { memberId: 'm', memberEpoch: -3 }, 1, ErrorCode.INVALID_REQUEST, 'MemberEpoch is invalid.'],
    [
      'unknown assignor',
      { ...join, serverAssignor: 'sticky' },
      1,
      ErrorCode.UNSUPPORTED_ASSIGNOR,
      'ServerAssignor sticky is not supported. Supported assignors: uniform, range.',
    ],
    [
      'invalid regex',
      { ...join, subscribedTopicNames: null, subscribedTopicRegex: 'orders-(' },
      1,
      ErrorCode.INVALID_REGULAR_EXPRESSION,
      'SubscribedTopicRegex `orders-(` is not a valid regular expression',
    ],
    [
      'a lookaround RE2 refuses',
      { ...join, subscribedTopicNames: null, subscribedTopicRegex: 'orders(?!-dlq).*' },
      1,
      ErrorCode.INVALID_REGULAR_EXPRESSION,
      'lookaround is not supported',
    ],
  ];
  for (const [name, req, version, code, message] of cases) {
    const res = h.hb(req, version);
    t.equal(res.response.errorCode, code, name);
    t.match(res.response.errorMessage, message, name);
    t.same([res.response.memberId, res.response.memberEpoch, res.response.heartbeatIntervalMs, res.response.assignment], [null, 0, 0, null], name);
    t.same(res.records, [], name);
  }
  t.equal(h.coord.group('g'), undefined, 'no group was created by any of them');
  // Empty names are a valid subscription to nothing.
  const nothing = h.hb({ ...join, subscribedTopicNames: [] });
  t.equal(nothing.response.errorCode, ErrorCode.NONE);
  t.same(nothing.response.assignment, { topicPartitions: [] });
});

t.test('the assignment is sent only on joins, full requests, changes, or when the member reports something else', async t => {
  const h = new Harness();
  h.cluster.create('orders', 2);
  const a = new Client(h, 'a', { topics: ['orders'] });
  a.join();
  const id = h.cluster.id('orders');
  t.same(a.beat().response.assignment, null, 'steady: not sent');
  const full = h.hb({ memberId: 'a', memberEpoch: 1, rebalanceTimeoutMs: REBALANCE, subscribedTopicNames: ['orders'], topicPartitions: [{ topicId: id, partitions: [0, 1] }] });
  t.notSame(full.response.assignment, null, 'full request: sent');
  const lost = h.hb({ memberId: 'a', memberEpoch: 1, topicPartitions: [] });
  t.same(h.plain(lost.response.assignment?.topicPartitions), { orders: [0, 1] }, 'the member reports owning nothing: sent again');
  t.same(h.hb({ memberId: 'a', memberEpoch: 1, topicPartitions: null }).response.assignment, null, 'no report: not sent');
});

// ---- regex subscriptions -----------------------------------------------------------------------

t.test('a regex subscription resolves on the coordinator and picks up topics created later', async t => {
  const h = new Harness();
  h.cluster.create('orders-eu', 2);
  h.cluster.create('payments', 2);
  h.cluster.create('__consumer_offsets', 50, true);
  const a = new Client(h, 'a', { regex: 'orders-.*' });
  const join = a.join();
  t.same(a.ownedPlain(), { 'orders-eu': [0, 1] });
  const regexRecord = join.records.find(r => r.key.type === 'consumerGroupRegularExpression')!;
  t.same(regexRecord.value, { topics: ['orders-eu'], version: h.cluster.version, timestamp: T0 });
  t.equal(h.group().groupEpoch, 1);

  const b = new Client(h, 'b', { regex: '.*' });
  b.join();
  t.same([...h.group().resolvedRegexes.get('.*')!.topics].sort(), ['orders-eu', 'payments'], 'internal topics are not matched');

  h.now += 1_000;
  h.cluster.create('orders-us', 2);
  const epoch = h.group().groupEpoch;
  const res = a.beat();
  t.equal(h.group().groupEpoch, epoch + 1, 'the new topic bumps the group epoch');
  t.same([...h.group().resolvedRegexes.get('orders-.*')!.topics].sort(), ['orders-eu', 'orders-us']);
  t.ok(res.records.some(r => r.key.type === 'consumerGroupRegularExpression' && r.key.regex === 'orders-.*'));
  for (let i = 0; i < 4; i++) {
    a.beat();
    b.beat();
  }
  t.equal(h.group().state, 'Stable');
  const owned = { ...a.ownedPlain() };
  const bOwned = b.ownedPlain();
  t.ok(Object.keys(owned).every(n => n.startsWith('orders-')), 'a only gets what its regex names');
  t.same(
    (owned['orders-us']?.length ?? 0) + (bOwned['orders-us']?.length ?? 0),
    2,
    'the new topic is assigned',
  );
  t.same(
    h.group().describe(h.cluster.topics, 'uniform', ['uniform', 'range']).members.map(m => [m.memberId, m.subscribedTopicRegex]),
    [
      ['a', 'orders-.*'],
      ['b', '.*'],
    ],
  );

  // The last member of a regex leaving deletes its record.
  const left = a.leave();
  t.ok(left.records.some(r => r.key.type === 'consumerGroupRegularExpression' && r.value === null));
  t.notOk(h.group().resolvedRegexes.has('orders-.*'));

  // Changing the regex on a heartbeat: the old one's record goes, the new one resolves.
  const c = new Client(h, 'c', { regex: 'orders-eu' });
  c.join();
  c.beat({ subscribedTopicRegex: 'payments' });
  t.notOk(h.group().resolvedRegexes.has('orders-eu'));
  t.same([...h.group().resolvedRegexes.get('payments')!.topics], ['payments']);
});

t.test('regex resolution without a metadata version, with DESCRIBE filtering, and a bad regex on a heartbeat', async t => {
  const h = new Harness();
  h.cluster.create('orders-eu', 1);
  h.cluster.create('orders-secret', 1);
  const ctx = (): HeartbeatContext => ({ ...h.ctx(), metadataVersion: undefined, topicDescribable: name => !name.includes('secret') });
  const join = h.coord.heartbeat(
    { groupId: 'g', memberId: 'a', memberEpoch: 0, instanceId: null, rackId: null, rebalanceTimeoutMs: REBALANCE, subscribedTopicNames: null, subscribedTopicRegex: 'orders-.*', serverAssignor: null, topicPartitions: [] },
    ctx(),
  );
  t.same(h.plain(join.response.assignment?.topicPartitions), { 'orders-eu': [0] }, 'a topic the member may not describe is not matched');
  h.cluster.create('orders-us', 1);
  const owned = join.response.assignment!.topicPartitions;
  const next = h.coord.heartbeat(
    { groupId: 'g', memberId: 'a', memberEpoch: 1, instanceId: null, rackId: null, rebalanceTimeoutMs: -1, subscribedTopicNames: null, subscribedTopicRegex: null, serverAssignor: null, topicPartitions: owned },
    ctx(),
  );
  t.same(h.plain(next.response.assignment?.topicPartitions), { 'orders-eu': [0], 'orders-us': [0] }, 'without a version the regex is matched again on every heartbeat');
  const bad = h.coord.heartbeat(
    { groupId: 'g', memberId: 'a', memberEpoch: 2, instanceId: null, rackId: null, rebalanceTimeoutMs: -1, subscribedTopicNames: null, subscribedTopicRegex: '[', serverAssignor: null, topicPartitions: null },
    ctx(),
  );
  t.equal(bad.response.errorCode, ErrorCode.INVALID_REGULAR_EXPRESSION);
  t.same(bad.records, []);
  t.equal(h.group().members.get('a')!.subscribedTopicRegex, 'orders-.*', 'the member keeps its regex');
});

t.test('regex translation from RE2/J to JavaScript', async t => {
  const matches = (re: string, name: string): boolean => compileTopicRegex(re).test(name);
  t.ok(matches('orders-.*', 'orders-eu'));
  t.notOk(matches('orders', 'orders-eu'), 'a regex matches the whole name');
  t.notOk(matches('orders-.*', 'xorders-eu'));
  t.ok(matches('orders|payments', 'payments'));
  t.ok(matches('(?i)ORDERS-.*', 'orders-eu'), 'leading flags');
  t.ok(matches('orders\\-[[:digit:]]+', 'orders-42'), 'escaped punctuation and POSIX classes');
  t.notOk(matches('orders\\-[[:digit:]]+', 'orders-4x'));
  t.ok(matches('\\Qa.b\\E', 'a.b'), '\\Q...\\E quotes');
  t.notOk(matches('\\Qa.b\\E', 'axb'));
  t.ok(matches('t{2}', 'tt'));
  t.ok(matches('x{y}', 'x{y}'), 'braces that are no repetition are literals');
  t.ok(matches('[]a]+', ']a]'), 'a ] first in a class is a literal');
  t.ok(matches('(?P<env>dev|prod)-.*', 'prod-1'), 'Python-style named groups');
  t.ok(matches('\\x{41}\\x42', 'AB'));
  t.ok(matches('\\pL+', 'orders'));
  for (const bad of ['(', 'a(?=b)', 'a(?<!b)', '(a)\\1', '[z-a]', 'a{1001}', '\\q', '(?U)a*', 'a(?i)b', '*a', 'x\\']) {
    t.throws(() => compileTopicRegex(bad), TopicRegexError, bad);
  }
});

// ---- describe --------------------------------------------------------------------------------

t.test('describe: states, epochs, the preferred assignor, assignments by topic id and name', async t => {
  const h = new Harness();
  h.cluster.create('orders', 2);
  t.same(h.coord.describe(['g', ''], h.cluster.topics).map(g => [g.groupId, g.errorCode, g.groupState]), [
    ['g', ErrorCode.GROUP_ID_NOT_FOUND, ''],
    ['', ErrorCode.INVALID_GROUP_ID, ''],
  ]);
  const a = new Client(h, 'a', { topics: ['orders'], assignor: 'range' });
  a.join();
  const [d] = h.coord.describe(['g'], h.cluster.topics);
  t.equal(d!.groupState, 'Stable');
  t.equal(d!.assignorName, 'range');
  t.equal(d!.groupEpoch, 1);
  t.equal(d!.assignmentEpoch, 1);
  t.same(d!.members[0], {
    memberId: 'a',
    instanceId: null,
    rackId: null,
    memberEpoch: 1,
    clientId: 'client',
    clientHost: '/127.0.0.1',
    subscribedTopicNames: ['orders'],
    subscribedTopicRegex: null,
    assignment: { topicPartitions: [{ topicId: h.cluster.id('orders'), topicName: 'orders', partitions: [0, 1] }] },
    targetAssignment: { topicPartitions: [{ topicId: h.cluster.id('orders'), topicName: 'orders', partitions: [0, 1] }] },
    memberType: 1,
  });
  t.same(h.coord.listGroups(), [{ groupId: 'g', protocolType: 'consumer', groupState: 'Stable', groupType: 'consumer' }]);
  const b = new Client(h, 'b', { topics: ['orders'] });
  b.join();
  t.equal(h.coord.describe(['g'], h.cluster.topics)[0]!.groupState, 'Reconciling');
  t.equal(h.coord.describe(['g'], h.cluster.topics)[0]!.assignorName, 'range', 'the assignor most members asked for');
  // Empty; and deleted.
  t.equal(h.coord.deleteGroup('g').errorCode, ErrorCode.NON_EMPTY_GROUP);
  a.leave();
  b.leave();
  t.equal(h.coord.describe(['g'], h.cluster.topics)[0]!.groupState, 'Empty');
  const del = h.coord.deleteGroup('g');
  t.equal(del.errorCode, ErrorCode.NONE);
  t.equal(del.records.at(-1)!.key.type, 'consumerGroupMetadata');
  t.equal(del.records.at(-1)!.value, null);
  t.equal(h.coord.group('g'), undefined);
});

t.test('offset commit and fetch validation for consumer group members', async t => {
  const h = new Harness();
  h.cluster.create('orders', 2);
  const a = new Client(h, 'a', { topics: ['orders'] });
  a.join();
  const g = h.group();
  t.equal(g.offsetCommitError('a', null, 1, false, 9), ErrorCode.NONE);
  t.equal(g.offsetCommitError('a', null, 0, false, 9), ErrorCode.STALE_MEMBER_EPOCH);
  t.equal(g.offsetCommitError('a', null, 1, false, 8), ErrorCode.UNSUPPORTED_VERSION);
  t.equal(g.offsetCommitError('zz', null, 1, false, 9), ErrorCode.UNKNOWN_MEMBER_ID);
  t.equal(g.offsetCommitError('', null, -1, true, 3), ErrorCode.NONE, 'a transactional commit without member information');
  t.equal(g.offsetFetchError(null, -1), ErrorCode.NONE);
  t.equal(g.offsetFetchError('a', 1), ErrorCode.NONE);
  t.equal(g.offsetFetchError('a', 7), ErrorCode.STALE_MEMBER_EPOCH);
  a.leave();
  t.equal(g.offsetCommitError('', null, -1, false, 2), ErrorCode.NONE, 'an admin commit to an empty group');
});

// ---- records and replay ------------------------------------------------------------------------

function snapshot(h: Harness, coord = h.coord) {
  return coord.groupIds().map(id => {
    const g = coord.group(id)!;
    return {
      id,
      groupEpoch: g.groupEpoch,
      assignmentEpoch: g.assignmentEpoch,
      metadataHash: g.metadataHash,
      state: g.state,
      staticMembers: [...g.staticMembers],
      regexes: [...g.resolvedRegexes].map(([r, v]) => [r, [...v.topics].sort(), v.version, v.timestamp]),
      describe: g.describe(h.cluster.topics, 'uniform', ['uniform', 'range']),
      members: [...g.members.values()].map(m => ({ ...m, assignedPartitions: h.plain(partitionsOf(m.assignedPartitions)), partitionsPendingRevocation: h.plain(partitionsOf(m.partitionsPendingRevocation)) })),
    };
  });
}

function partitionsOf(p: ReadonlyMap<string, ReadonlySet<number>>): { topicId: string; partitions: number[] }[] {
  return [...p].map(([topicId, set]) => ({ topicId, partitions: [...set] }));
}

function replayThroughBytes(records: GroupRecord[]): ConsumerGroupCoordinator {
  const fresh = new ConsumerGroupCoordinator({ assignors: [uniform, serverRange], sessionTimeoutMs: SESSION, heartbeatIntervalMs: 5_000, maxSize: 1000 });
  for (const r of records) {
    const { key, value } = encodeRecord(r);
    if (!fresh.replay(decodeRecord(key, value))) throw new Error(`not a consumer group record: ${r.key.type}`);
  }
  return fresh;
}

t.test('the records replayed (through their bytes) rebuild the same groups; members expire unless they heartbeat', async t => {
  const h = new Harness();
  h.cluster.create('orders', 6);
  h.cluster.create('audit-1', 2);
  const a = new Client(h, 'a', { topics: ['orders'] });
  const b = new Client(h, 'b', { topics: ['orders'], instanceId: 'b-instance' });
  const c = new Client(h, 'c', { regex: 'audit-.*' });
  const d = new Client(h, 'd', { topics: ['orders'], groupId: 'other' });
  a.join();
  b.join();
  c.join();
  d.join();
  a.beat(); // a is now revoking: pending revocation is part of the replayed state
  b.beat();
  h.cluster.create('audit-2', 1);
  c.beat();
  b.leave(-2);
  const e = new Client(h, 'e', { topics: ['orders'] });
  e.join();
  e.leave();

  const fresh = replayThroughBytes(h.log);
  t.same(snapshot(h, fresh), snapshot(h));
  // toRecords is the same state again, as a compacted log would hold it.
  const compact = replayThroughBytes(h.coord.groupIds().flatMap(id => h.group(id).toRecords()));
  t.same(snapshot(h, compact), snapshot(h));

  // After loading, every member has a full session from now; the revoking one a rebalance timeout.
  const loadedAt = h.now + 100_000;
  t.equal(fresh.onLoaded(loadedAt), loadedAt + REBALANCE);
  t.equal(fresh.group('g')!.rebalanceDeadlines.get('a')?.memberEpoch, h.group().members.get('a')!.memberEpoch);
  // A member that heartbeats after the load carries on where it was.
  const cont = fresh.heartbeat(
    { groupId: 'g', memberId: 'c', memberEpoch: c.epoch, instanceId: null, rackId: null, rebalanceTimeoutMs: -1, subscribedTopicNames: null, subscribedTopicRegex: null, serverAssignor: null, topicPartitions: [...c.owned].map(([topicId, s]) => ({ topicId, partitions: [...s] })) },
    { ...h.ctx(), now: loadedAt + 1 },
  );
  t.equal(cont.response.errorCode, ErrorCode.NONE);
  t.equal(h.group().state, 'Assigning', "e's leave had left the target behind");
  t.equal(cont.response.memberEpoch, h.group().groupEpoch, 'the heartbeat computes it and c moves to the group epoch');
  t.same(recordTypes(cont.records).slice(-2), ['consumerGroupTargetAssignmentMetadata', 'consumerGroupCurrentMemberAssignment']);
  // The others expire: the revoking one first, at its rebalance timeout.
  const fenced = (now: number): string[] =>
    fresh.expire({ now, topics: h.cluster.topics, metadataVersion: h.cluster.version }).flatMap(x => x.fenced.map(f => `${f.groupId}/${f.memberId}/${f.reason}`)).sort();
  t.same(fenced(loadedAt + REBALANCE), ['g/a/rebalance']);
  t.same(fenced(loadedAt + SESSION), ['g/b/session', 'other/d/session']);
  t.same(fresh.group('g')!.members.size, 1, 'c remains');
});

t.test('a group loaded with a Kafka 3.7-4.0 partition metadata record deletes it on its next epoch bump', async t => {
  const h = new Harness();
  h.cluster.create('orders', 2);
  const a = new Client(h, 'a', { topics: ['orders'] });
  a.join();
  const legacy: GroupRecord = {
    key: { type: 'consumerGroupPartitionMetadata', group: 'g' },
    value: { topics: [{ topicId: h.cluster.id('orders'), topicName: 'orders', numPartitions: 2, partitionMetadata: [] }] },
  };
  const fresh = replayThroughBytes([...h.log, legacy]);
  t.ok(fresh.group('g')!.hasLegacyPartitionMetadata);
  const res = fresh.heartbeat(
    { groupId: 'g', memberId: 'b', memberEpoch: 0, instanceId: null, rackId: null, rebalanceTimeoutMs: REBALANCE, subscribedTopicNames: ['orders'], subscribedTopicRegex: null, serverAssignor: null, topicPartitions: [] },
    h.ctx(),
  );
  t.ok(res.records.some(r => r.key.type === 'consumerGroupPartitionMetadata' && r.value === null));
  t.notOk(fresh.group('g')!.hasLegacyPartitionMetadata);
});

t.test('configuration is checked as Kafka checks it', async t => {
  const base = { assignors: [uniform], sessionTimeoutMs: 45_000, heartbeatIntervalMs: 5_000, maxSize: 10 };
  t.throws(() => new ConsumerGroupCoordinator({ ...base, assignors: [] }));
  t.throws(() => new ConsumerGroupCoordinator({ ...base, heartbeatIntervalMs: 45_000, maxHeartbeatIntervalMs: 60_000 }));
  t.throws(() => new ConsumerGroupCoordinator({ ...base, sessionTimeoutMs: 70_000, maxSessionTimeoutMs: 60_000 }));
  t.doesNotThrow(() => new ConsumerGroupCoordinator(base));
});

// ---- properties ------------------------------------------------------------------------------

interface SimClient {
  client: Client;
  alive: boolean;
  joined: boolean;
}

function checkDisjoint(t: Test, h: Harness, clients: SimClient[], where: string): boolean {
  // The coordinator's view: assigned and pending revocation of different members never overlap.
  const seen = new Map<string, string>();
  for (const g of h.coord.groupIds().map(id => h.group(id))) {
    for (const m of g.members.values()) {
      for (const p of [m.assignedPartitions, m.partitionsPendingRevocation]) {
        for (const [topicId, set] of p) {
          for (const n of set) {
            const key = `${g.groupId}/${topicId}/${n}`;
            const other = seen.get(key);
            if (other !== undefined && other !== m.memberId) {
              t.fail(`${where}: ${key} held by ${other} and ${m.memberId}`);
              return false;
            }
            seen.set(key, m.memberId);
          }
        }
      }
    }
  }
  // The clients' view: what live clients consume never overlaps.
  const consumed = new Map<string, string>();
  for (const s of clients) {
    if (!s.alive || !s.joined) continue;
    for (const [topicId, set] of s.client.owned) {
      for (const n of set) {
        const key = `${topicId}/${n}`;
        const other = consumed.get(key);
        if (other !== undefined) {
          t.fail(`${where}: clients ${other} and ${s.client.memberId} both consume ${key}`);
          return false;
        }
        consumed.set(key, s.client.memberId);
      }
    }
  }
  return true;
}

t.test('property: no partition is ever owned by two members, and heartbeating members converge', async t => {
  const runs = 150;
  let converged = 0;
  for (let seed = 1; seed <= runs; seed++) {
    const r = mulberry32(seed);
    const int = (lo: number, hi: number): number => lo + Math.floor(r() * (hi - lo + 1));
    const h = new Harness();
    const topicNames = ['t0', 't1', 't2'];
    h.cluster.create('t0', int(1, 8));
    h.cluster.create('t1', int(1, 8));
    const clients: SimClient[] = [];
    const subscription = (): { topics?: string[]; regex?: string } => {
      const k = int(0, 3);
      if (k === 0) return { regex: 't[0-9]' };
      return { topics: topicNames.filter(() => r() < 0.6).concat(k === 3 ? ['t0'] : []) };
    };
    const settle = (): void => {
      // What a client consumes: nothing once it is dead, has left, or learnt it was fenced.
      for (const c of clients) {
        if (c.joined && (c.client.lastError === ErrorCode.FENCED_MEMBER_EPOCH || c.client.lastError === ErrorCode.UNKNOWN_MEMBER_ID)) c.joined = false;
        if (!c.alive || !c.joined) c.client.owned = new Map();
      }
    };
    // Time passes in heartbeat intervals: live clients heartbeat, dead ones do not, timers fire.
    const tick = (): void => {
      h.now += 5_000;
      for (const c of clients) if (c.alive && c.joined) c.client.beat();
      settle();
      h.expire();
    };
    let ok = true;
    const steps = int(20, 60);
    for (let step = 0; step < steps && ok; step++) {
      const op = r();
      const live = clients.filter(c => c.alive && c.joined);
      if (op < 0.15 || live.length === 0) {
        const statik = r() < 0.3;
        const c = new Client(h, `m${seed}-${clients.length}`, { ...subscription(), ...(statik ? { instanceId: `i${clients.length % 3}` } : {}) });
        const res = c.join();
        clients.push({ client: c, alive: true, joined: res.response.errorCode === ErrorCode.NONE });
      } else if (op < 0.22) {
        const c = live[int(0, live.length - 1)]!;
        c.client.leave(c.client.opts.instanceId !== undefined && r() < 0.5 ? -2 : -1);
        c.joined = false;
      } else if (op < 0.27) {
        // A client dies silently; its session will expire.
        live[int(0, live.length - 1)]!.alive = false;
      } else if (op < 0.35) {
        for (let k = int(1, 12); k > 0 && ok; k--) {
          tick();
          ok = checkDisjoint(t, h, clients, `seed ${seed} step ${step} tick`);
        }
      } else if (op < 0.38) {
        if (h.cluster.topics.has('t2')) h.cluster.resize('t1', h.cluster.topics.get('t1')!.partitions + 1);
        else h.cluster.create('t2', int(1, 4));
      } else {
        live[int(0, live.length - 1)]!.client.beat();
      }
      settle();
      ok = ok && checkDisjoint(t, h, clients, `seed ${seed} step ${step}`);
    }
    if (!ok) break;
    // Quiesce: the dead expire while every live member keeps heartbeating with what it was told.
    for (let k = 0; k < 12 && ok; k++) {
      tick();
      ok = checkDisjoint(t, h, clients, `seed ${seed} quiesce ${k}`);
    }
    if (!ok) break;
    const members = clients.filter(c => c.alive && c.joined);
    const g = h.coord.group('g');
    if (g === undefined || g.members.size === 0) {
      converged++;
      continue;
    }
    const stable =
      g.state === 'Stable' &&
      g.groupEpoch === g.assignmentEpoch &&
      [...g.members.values()].every(m => m.memberEpoch === g.groupEpoch && m.state === 'stable');
    // Everything subscribed is consumed by exactly one client.
    const expected = new Set<string>();
    for (const name of g.subscribedTopicNames()) {
      const info = h.cluster.topics.get(name);
      if (info !== undefined) for (let p = 0; p < info.partitions; p++) expected.add(`${info.id}/${p}`);
    }
    const consumed = new Set<string>();
    for (const c of members) for (const [id, set] of c.client.owned) for (const p of set) consumed.add(`${id}/${p}`);
    if (stable && consumed.size === expected.size && [...expected].every(k => consumed.has(k))) converged++;
    else t.fail(`seed ${seed}: did not converge (state ${g.state}, consumed ${consumed.size} of ${expected.size})`);
    // And the log rebuilds the same group.
    if (seed % 10 === 0) t.same(snapshot(h, replayThroughBytes(h.log)), snapshot(h), `seed ${seed}: replay`);
  }
  t.equal(converged, runs, 'every run converged');
});
