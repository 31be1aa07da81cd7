// Consumer groups with a real client: kafkajs consumers against Samsa's classic group
// coordinator. Members join one by one and leave while a producer keeps writing, and every record
// must be consumed exactly once; a member killed without leaving (a child process, SIGKILLed) is
// dropped after its session timeout and the others take its partitions; committed offsets survive
// a clean restart and a SIGKILL of bin/samsa on the same data directory; each of Samsa's kafkajs
// assigners (range, roundrobin, sticky, cooperative-sticky) balances a group, the sticky ones
// keeping what they can; and kafkajs surfaces the coordinator's refusals (NON_EMPTY_GROUP,
// GROUP_ID_NOT_FOUND, INVALID_SESSION_TIMEOUT, INCONSISTENT_GROUP_PROTOCOL).
//
// Session timeouts are small (broker group.min.session.timeout.ms=500, members 3 s, heartbeats
// every 100 ms, fetches that wait at most 50 ms) so rebalances and expiries take a few seconds at
// most. Every wait is for a condition; nothing asserts a duration.
import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { AssignerProtocol, Kafka, logLevel, type Admin, type Consumer, type PartitionAssigner, type Producer } from 'kafkajs';
import { testBroker } from '../helpers/broker.js';
import { committed, logEnds } from '../helpers/kafkajs-admin.js';
import { SamsaProcess } from '../helpers/samsa-process.js';
import { kafkajsAssigners } from '../../src/coordinator/group/assignors/index.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const WAIT_MS = 20_000;
const SESSION_TIMEOUT_MS = 3000;
const BROKER_CONFIG = { 'group.min.session.timeout.ms': 500, 'group.initial.rebalance.delay.ms': 0, 'num.partitions': 1 };

interface Teardown {
  teardown(fn: () => unknown): void;
}

// ---------------------------------------------------------------------------------------------
// Waiting: a condition polled until it holds, with the last state seen in the failure message.

async function until<T>(what: string, check: () => Promise<T | null | undefined | false> | T | null | undefined | false, state: () => unknown = () => undefined, timeoutMs = WAIT_MS): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last state: ${JSON.stringify(state())}`);
    await new Promise(r => setTimeout(r, 25));
  }
}

// ---------------------------------------------------------------------------------------------
// The group as the broker describes it, and as its members report it.

type Assignment = Record<string, number[]>;

interface GroupView {
  state: string;
  protocol: string;
  protocolType: string;
  members: { memberId: string; clientId: string; assignment: Assignment }[];
}

async function describeGroup(admin: Admin, groupId: string): Promise<GroupView> {
  const { groups } = await admin.describeGroups([groupId]);
  const g = groups[0]!;
  return {
    state: g.state,
    protocol: g.protocol,
    protocolType: g.protocolType,
    members: g.members
      .map(m => ({ memberId: m.memberId, clientId: m.clientId, assignment: normalize(AssignerProtocol.MemberAssignment.decode(m.memberAssignment)?.assignment ?? {}) }))
      .sort((a, b) => (a.memberId < b.memberId ? -1 : a.memberId > b.memberId ? 1 : 0)),
  };
}

/** Topics in order, partitions sorted, empty topics dropped: assignments compare with t.same. */
function normalize(a: Assignment): Assignment {
  return Object.fromEntries(
    Object.keys(a)
      .sort()
      .filter(topic => a[topic]!.length > 0)
      .map(topic => [topic, [...a[topic]!].sort((x, y) => x - y)]),
  );
}

/** Why the members' assignments do not cover `topic`'s partitions exactly once, or null. */
function coverageProblem(view: GroupView, topic: string, partitions: number): string | null {
  const owners = new Map<number, string[]>();
  for (const m of view.members) {
    for (const [name, parts] of Object.entries(m.assignment)) {
      if (name !== topic) return `member ${m.memberId} is assigned another topic, ${name}`;
      for (const p of parts) owners.set(p, [...(owners.get(p) ?? []), m.memberId]);
    }
  }
  for (let p = 0; p < partitions; p++) {
    const o = owners.get(p) ?? [];
    if (o.length !== 1) return `partition ${p} is assigned to ${o.length} members`;
  }
  if (owners.size !== partitions) return `partitions ${[...owners.keys()].filter(p => p >= partitions)} do not exist`;
  return null;
}

/** A group member as its client reports it: GROUP_JOIN events give its member id and assignment. */
interface Reported {
  name: string;
  memberId: string;
  assignment: Assignment;
}

/**
 * Waits until the group is Stable with exactly `members`, each partition of `topic` assigned to
 * exactly one of them, and each member's own last GROUP_JOIN reporting the assignment the broker
 * describes (so every member has synced this generation). Returns the broker's view.
 */
async function waitBalanced(admin: Admin, groupId: string, topic: string, partitions: number, members: Reported[]): Promise<GroupView> {
  let last: unknown = null;
  return until(
    `group ${groupId} to be stable with ${members.map(m => m.name).join(', ')} sharing ${topic}'s ${partitions} partitions`,
    async () => {
      const view = await describeGroup(admin, groupId);
      const problems: string[] = [];
      if (view.state !== 'Stable') problems.push(`state ${view.state}`);
      const want = members.map(m => m.memberId).sort();
      const got = view.members.map(m => m.memberId);
      if (JSON.stringify(got) !== JSON.stringify(want)) problems.push(`members ${JSON.stringify(got)}, want ${JSON.stringify(want)}`);
      const coverage = coverageProblem(view, topic, partitions);
      if (coverage !== null) problems.push(coverage);
      for (const m of members) {
        const described = view.members.find(x => x.memberId === m.memberId);
        if (described && JSON.stringify(described.assignment) !== JSON.stringify(normalize(m.assignment))) {
          problems.push(`${m.name} reports ${JSON.stringify(m.assignment)}, the broker describes ${JSON.stringify(described.assignment)}`);
        }
      }
      last = { view, problems, reported: members };
      return problems.length === 0 ? view : null;
    },
    () => last,
  );
}

// ---------------------------------------------------------------------------------------------
// kafkajs members in this process, writing what they consume to a shared list.

interface Seen {
  value: string;
  partition: number;
  offset: number;
  by: string;
}

interface Member extends Reported {
  consumer: Consumer;
  crash: Error | null;
  joins: number;
  connected: boolean;
  disconnect(): Promise<void>;
}

interface MemberOptions {
  assigner?: PartitionAssigner;
  sessionTimeout?: number;
  /** Called for each message before it is recorded; may pause the partition. */
  onMessage?: (m: Seen, pause: () => void) => void;
  /** Time each message takes to process, so a backlog builds and rebalances meet batches half done. */
  processingMs?: number;
}

function newKafka(bootstrap: string, clientId: string): Kafka {
  return new Kafka({ clientId, brokers: [bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 8, initialRetryTime: 50, maxRetryTime: 1000 } });
}

/** A consumer of `topic` in `groupId`; resolves once it has joined (kafkajs's run() waits for the first join). */
async function startMember(t: Teardown, kafka: Kafka, groupId: string, topic: string, name: string, sink: Seen[], opts: MemberOptions = {}): Promise<Member> {
  const consumer = kafka.consumer({
    groupId,
    sessionTimeout: opts.sessionTimeout ?? SESSION_TIMEOUT_MS,
    rebalanceTimeout: 10_000,
    heartbeatInterval: 100,
    maxWaitTimeInMs: 50,
    retry: { retries: 5, initialRetryTime: 50, maxRetryTime: 1000 },
    ...(opts.assigner ? { partitionAssigners: [opts.assigner] } : {}),
  });
  const m: Member = {
    name,
    consumer,
    memberId: '',
    assignment: {},
    crash: null,
    joins: 0,
    connected: true,
    async disconnect() {
      if (!m.connected) return;
      m.connected = false;
      await consumer.disconnect();
    },
  };
  consumer.on(consumer.events.GROUP_JOIN, e => {
    m.memberId = e.payload.memberId;
    m.assignment = e.payload.memberAssignment;
    m.joins++;
  });
  consumer.on(consumer.events.CRASH, e => {
    m.crash = e.payload.error;
  });
  t.teardown(() => m.disconnect());
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ partition, message, pause }) => {
      const seen = { value: message.value!.toString(), partition, offset: Number(message.offset), by: name };
      opts.onMessage?.(seen, pause);
      sink.push(seen);
      if (opts.processingMs) await new Promise(r => setTimeout(r, opts.processingMs));
    },
  });
  return m;
}

/** Values seen more than once, and values sent but never seen. */
function exactlyOnce(sent: string[], seen: Seen[]): { duplicates: Seen[][]; missing: string[]; unexpected: string[] } {
  const byValue = new Map<string, Seen[]>();
  for (const s of seen) byValue.set(s.value, [...(byValue.get(s.value) ?? []), s]);
  const sentSet = new Set(sent);
  return {
    duplicates: [...byValue.values()].filter(list => list.length > 1),
    missing: sent.filter(v => !byValue.has(v)),
    unexpected: [...byValue.keys()].filter(v => !sentSet.has(v)),
  };
}

/** Waits until the group has committed every partition of `topic` up to its log end. */
async function waitCommittedToEnd(admin: Admin, groupId: string, topic: string): Promise<number[]> {
  let last: unknown = null;
  return until(
    `${groupId} to commit ${topic} to its log end`,
    async () => {
      const [c, e] = await Promise.all([committed(admin, groupId, topic), logEnds(admin, topic)]);
      last = { committed: c, logEnd: e };
      return JSON.stringify(c) === JSON.stringify(e) ? c : null;
    },
    () => last,
  );
}

/** Sends one record to each partition, again and again, until stopped. */
function backgroundProducer(producer: Producer, topic: string, partitions: number, prefix: string): { sent: string[]; stop(): Promise<void> } {
  const sent: string[] = [];
  let stopped = false;
  const done = (async () => {
    for (let round = 0; !stopped; round++) {
      const messages = Array.from({ length: partitions }, (_, p) => ({ partition: p, value: `${prefix}-${round}-${p}` }));
      await producer.send({ topic, acks: -1, messages });
      sent.push(...messages.map(m => m.value));
      // pacing, not waiting for anything: a few rounds per rebalance
      await new Promise(r => setTimeout(r, 15));
    }
  })();
  return {
    sent,
    async stop() {
      stopped = true;
      await done;
    },
  };
}

async function produceValues(producer: Producer, topic: string, partitions: number, prefix: string, perPartition: number): Promise<string[]> {
  const messages = Array.from({ length: partitions * perPartition }, (_, i) => ({ partition: i % partitions, value: `${prefix}-${i % partitions}-${Math.floor(i / partitions)}` }));
  await producer.send({ topic, acks: -1, messages });
  return messages.map(m => m.value);
}

// ---------------------------------------------------------------------------------------------

const broker = await testBroker(t, { config: BROKER_CONFIG });
const kafka = newKafka(broker.bootstrap, 'samsa-groups');
const admin = kafka.admin();
await admin.connect();
t.teardown(() => admin.disconnect());
const producer = kafka.producer();
await producer.connect();
t.teardown(() => producer.disconnect());

t.test('members join one by one and leave while records arrive: each partition owned once, each record consumed once', async t => {
  const topic = 'join-leave';
  const groupId = 'join-leave-group';
  const P = 6;
  await admin.createTopics({ topics: [{ topic, numPartitions: P }] });
  const seen: Seen[] = [];
  const m1 = await startMember(t, kafka, groupId, topic, 'm1', seen, { processingMs: 3 });
  let view = await waitBalanced(admin, groupId, topic, P, [m1]);
  t.same(view.members[0]!.assignment, { [topic]: [0, 1, 2, 3, 4, 5] }, 'the first member gets all six partitions');
  t.equal(view.protocolType, 'consumer', 'a consumer group');
  t.equal(view.protocol, 'RoundRobinAssigner', "kafkajs's own assigner is the group's protocol");

  const bg = backgroundProducer(producer, topic, P, 'r');
  await until('m1 to consume', () => seen.length > 0);

  const m2 = await startMember(t, kafka, groupId, topic, 'm2', seen, { processingMs: 3 });
  view = await waitBalanced(admin, groupId, topic, P, [m1, m2]);
  t.same(view.members.map(m => m.assignment[topic]!.length), [3, 3], 'two members: three partitions each');

  const m3 = await startMember(t, kafka, groupId, topic, 'm3', seen, { processingMs: 3 });
  view = await waitBalanced(admin, groupId, topic, P, [m1, m2, m3]);
  t.same(view.members.map(m => m.assignment[topic]!.length), [2, 2, 2], 'three members: two partitions each');

  await m1.disconnect();
  view = await waitBalanced(admin, groupId, topic, P, [m2, m3]);
  t.pass('m1 left: m2 and m3 share the partitions');

  const m4 = await startMember(t, kafka, groupId, topic, 'm4', seen, { processingMs: 3 });
  await waitBalanced(admin, groupId, topic, P, [m2, m3, m4]);
  t.pass('m4 joined');

  // two leave at once
  await Promise.all([m2.disconnect(), m3.disconnect()]);
  view = await waitBalanced(admin, groupId, topic, P, [m4]);
  t.same(view.members[0]!.assignment, { [topic]: [0, 1, 2, 3, 4, 5] }, 'the last member holds all six partitions');

  await bg.stop();
  t.ok(bg.sent.length >= P * 5, `${bg.sent.length} records produced while members joined and left`);
  await until('every record to be consumed', () => exactlyOnce(bg.sent, seen).missing.length === 0, () => exactlyOnce(bg.sent, seen).missing.slice(0, 20));
  const ends = await waitCommittedToEnd(admin, groupId, topic);
  t.equal(ends.reduce((a, b) => a + b, 0), bg.sent.length, 'the group committed every partition to its log end');
  const check = exactlyOnce(bg.sent, seen);
  t.same(check.duplicates, [], 'no record consumed twice');
  t.same(check.missing, [], 'no record missed');
  t.same(check.unexpected, [], 'nothing consumed that was not produced');
  t.same([m1, m2, m3, m4].map(m => m.crash?.message ?? null), [null, null, null, null], 'no consumer crashed');
  const by = new Map<string, number>();
  for (const s of seen) by.set(s.by, (by.get(s.by) ?? 0) + 1);
  // a handover: the next offset of a partition consumed by another member than the one before
  const lastBy = new Map<number, Seen>();
  let handovers = 0;
  for (const s of [...seen].sort((x, y) => x.partition - y.partition || x.offset - y.offset)) {
    if (lastBy.get(s.partition) && lastBy.get(s.partition)!.by !== s.by) handovers++;
    lastBy.set(s.partition, s);
  }
  t.ok(handovers >= P, `partitions changed hands ${handovers} times in the middle of the stream`);
  t.comment(`consumed per member: ${JSON.stringify(Object.fromEntries(by))}`);
  await m4.disconnect();
  t.equal((await describeGroup(admin, groupId)).state, 'Empty', 'the group is empty once the last member left');
});

// A kafkajs consumer in a child process (plain node, without the test runner's loaders): it
// prints its joins and messages as JSON lines and is SIGKILLed, so it never sends LeaveGroup.
const CHILD_CONSUMER = `
import { Kafka, logLevel } from 'kafkajs';
const [bootstrap, groupId, topic, sessionTimeout] = JSON.parse(process.env.SAMSA_CHILD_ARGS);
const out = o => process.stdout.write(JSON.stringify(o) + '\\n');
const kafka = new Kafka({ clientId: 'doomed', brokers: [bootstrap], logLevel: logLevel.NOTHING });
const consumer = kafka.consumer({ groupId, sessionTimeout, rebalanceTimeout: 10000, heartbeatInterval: 100, maxWaitTimeInMs: 50 });
consumer.on(consumer.events.GROUP_JOIN, e => out({ event: 'join', memberId: e.payload.memberId, assignment: e.payload.memberAssignment }));
consumer.on(consumer.events.CRASH, e => out({ event: 'crash', error: String(e.payload.error) }));
await consumer.connect();
await consumer.subscribe({ topics: [topic], fromBeginning: true });
await consumer.run({ eachMessage: async ({ partition, message }) => out({ event: 'message', partition, offset: Number(message.offset), value: message.value.toString() }) });
`;

interface ChildMember extends Reported {
  pid: number;
  seen: Seen[];
  exited: Promise<string>;
  stdout: string;
}

function startChildMember(t: Teardown, bootstrap: string, groupId: string, topic: string): ChildMember {
  const child = spawn('env', ['-u', 'NODE_OPTIONS', process.execPath, '--input-type=module', '-e', CHILD_CONSUMER], {
    cwd: ROOT,
    env: { ...process.env, SAMSA_CHILD_ARGS: JSON.stringify([bootstrap, groupId, topic, SESSION_TIMEOUT_MS]) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const m: ChildMember = {
    name: 'child',
    pid: child.pid!,
    memberId: '',
    assignment: {},
    seen: [],
    stdout: '',
    exited: new Promise(resolve => child.on('exit', (code, signal) => resolve(signal ?? String(code)))),
  };
  let partial = '';
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', d => (stderr += d));
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    m.stdout += chunk;
    partial += chunk;
    const lines = partial.split('\n');
    partial = lines.pop()!;
    for (const line of lines) {
      const e = JSON.parse(line);
      if (e.event === 'join') {
        m.memberId = e.memberId;
        m.assignment = e.assignment;
      } else if (e.event === 'message') m.seen.push({ value: e.value, partition: e.partition, offset: e.offset, by: 'child' });
    }
  });
  void m.exited.then(() => {
    if (stderr) m.stdout += `\nstderr: ${stderr}`;
  });
  t.teardown(() => {
    try {
      process.kill(m.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  });
  return m;
}

t.test('a member killed without leaving is dropped after its session timeout; the others take over its partitions', async t => {
  const topic = 'killed-member';
  const groupId = 'killed-member-group';
  const P = 6;
  await admin.createTopics({ topics: [{ topic, numPartitions: P }] });
  const seen: Seen[] = [];
  const a = await startMember(t, kafka, groupId, topic, 'a', seen);
  const b = await startMember(t, kafka, groupId, topic, 'b', seen);
  const child = startChildMember(t, broker.bootstrap, groupId, topic);
  const view = await waitBalanced(admin, groupId, topic, P, [a, b, child]).catch(err => {
    throw new Error(`${err.message}\nchild output: ${child.stdout}`);
  });
  const childPartitions = view.members.find(m => m.memberId === child.memberId)!.assignment[topic]!;
  t.equal(childPartitions.length, 2, `the child member owns partitions ${childPartitions}`);

  // everything before the kill is consumed and committed, so nothing may be consumed twice
  const before = await produceValues(producer, topic, P, 'before', 4);
  await until('the records before the kill to be consumed', () => exactlyOnce(before, [...seen, ...child.seen]).missing.length === 0);
  await waitCommittedToEnd(admin, groupId, topic);
  t.ok(child.seen.length > 0, `the child consumed ${child.seen.length} records of its partitions`);

  process.kill(child.pid, 'SIGKILL');
  t.equal(await child.exited, 'SIGKILL', 'the child was killed (no LeaveGroup)');

  const after = await produceValues(producer, topic, P, 'after', 4);
  await until(
    "the survivors to consume every record produced after the kill, the dead member's partitions too",
    () => exactlyOnce(after, seen.filter(s => s.value.startsWith('after'))).missing.length === 0,
    () => exactlyOnce(after, seen.filter(s => s.value.startsWith('after'))).missing,
  );
  const rebalanced = await waitBalanced(admin, groupId, topic, P, [a, b]);
  t.notOk(rebalanced.members.some(m => m.memberId === child.memberId), 'the dead member is gone from the group');
  const takenOver = seen.filter(s => s.value.startsWith('after') && childPartitions.includes(s.partition));
  t.equal(takenOver.length, childPartitions.length * 4, "the dead member's partitions were consumed by the survivors");
  const all = exactlyOnce([...before, ...after], [...seen, ...child.seen]);
  t.same(all.duplicates, [], 'no record consumed twice');
  t.same(all.missing, [], 'no record missed');
  t.same([a.crash, b.crash], [null, null], 'the survivors did not crash');
});

// ---------------------------------------------------------------------------------------------

t.test('committed offsets survive a clean restart and a SIGKILL of bin/samsa on the same data directory', async t => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'samsa-groups-'));
  const procs: SamsaProcess[] = [];
  t.teardown(async () => {
    for (const s of procs) s.kill();
    await Promise.all(procs.map(s => s.exit().catch(() => {})));
    fs.rmSync(dataDir, { recursive: true, force: true });
  });
  const start = async () => {
    const s = new SamsaProcess(
      ['start', '--port', '0', '--data-dir', dataDir, '--log-level', 'info', '--override', 'group.min.session.timeout.ms=500', '--override', 'group.initial.rebalance.delay.ms=0'],
      undefined,
      WAIT_MS,
    );
    procs.push(s);
    const bootstrap = await s.started();
    const k = newKafka(bootstrap, 'samsa-resume');
    const adm = k.admin();
    await adm.connect();
    const prod = k.producer();
    await prod.connect();
    return { s, k, admin: adm, producer: prod, close: () => Promise.all([adm.disconnect(), prod.disconnect()]) };
  };
  const topic = 'resume';
  const groupId = 'resume-group';
  const P = 3;

  let b = await start();
  await b.admin.createTopics({ topics: [{ topic, numPartitions: P }] });
  const first = await produceValues(b.producer, topic, P, 'one', 10);
  // the first consumer stops each partition part way: at 3, 6 and 9 records, pausing it there
  const stopAt = [3, 6, 9];
  const seen1: Seen[] = [];
  const c1 = await startMember(t, b.k, groupId, topic, 'c1', seen1, {
    onMessage: (m, pause) => {
      if (m.offset === stopAt[m.partition]! - 1) pause();
    },
  });
  let last: unknown = null;
  await until(
    'c1 to commit 3, 6 and 9',
    async () => {
      last = await committed(b.admin, groupId, topic);
      return JSON.stringify(last) === JSON.stringify(stopAt);
    },
    () => ({ committed: last, seen: seen1.length }),
  );
  await c1.disconnect();
  t.same(
    seen1.map(s => s.value).sort(),
    first.filter(v => Number(v.split('-')[2]) < stopAt[Number(v.split('-')[1])]!).sort(),
    'c1 consumed exactly the records up to where it paused',
  );
  const offsetsBefore = await b.admin.fetchOffsets({ groupId, topics: [topic] });
  t.equal((await describeGroup(b.admin, groupId)).state, 'Empty', 'the group is empty after c1 left');

  // a clean restart
  await b.close();
  b.s.proc.kill('SIGTERM');
  t.equal(await b.s.exit(), 0, 'samsa exited cleanly on SIGTERM');
  b = await start();
  t.equal(b.s.logs.find(l => l.msg === 'opening the data directory')?.cleanShutdown, true, 'the restart saw a clean shutdown');
  const offsetsAfter = await b.admin.fetchOffsets({ groupId, topics: [topic] });
  t.same(offsetsAfter, offsetsBefore, 'fetchOffsets answers the same after the restart');
  const described = await describeGroup(b.admin, groupId);
  t.same([described.state, described.protocolType], ['Empty', 'consumer'], 'the group is back, empty, with its protocol type');

  const seen2: Seen[] = [];
  const c2 = await startMember(t, b.k, groupId, topic, 'c2', seen2);
  const rest = first.filter(v => !seen1.some(s => s.value === v));
  await until('c2 to consume the rest', () => seen2.length >= rest.length, () => seen2.length);
  await waitCommittedToEnd(b.admin, groupId, topic);
  t.same(seen2.map(s => s.value).sort(), rest.sort(), 'c2 resumed exactly after the committed offsets: nothing reprocessed, nothing skipped');
  await c2.disconnect();
  const offsetsBeforeKill = await b.admin.fetchOffsets({ groupId, topics: [topic] });
  t.same(offsetsBeforeKill.find(x => x.topic === topic)!.partitions.map(p => p.offset).sort(), ['10', '10', '10'], 'everything committed');

  // SIGKILL: the commits are in __consumer_offsets' log, which recovery reads back
  await b.close();
  b.s.kill();
  await b.s.exit();
  t.equal(b.s.signal, 'SIGKILL', 'samsa was killed');
  b = await start();
  t.equal(b.s.logs.find(l => l.msg === 'opening the data directory')?.cleanShutdown, false, 'the restart saw an unclean shutdown');
  t.same(await b.admin.fetchOffsets({ groupId, topics: [topic] }), offsetsBeforeKill, 'fetchOffsets answers the same after the crash');
  const second = await produceValues(b.producer, topic, P, 'two', 2);
  const seen3: Seen[] = [];
  const c3 = await startMember(t, b.k, groupId, topic, 'c3', seen3);
  await until('c3 to consume the new records', () => seen3.length >= second.length, () => seen3.length);
  await waitCommittedToEnd(b.admin, groupId, topic);
  t.same(seen3.map(s => s.value).sort(), second.sort(), 'c3 consumed only the records produced after the crash');
  await c3.disconnect();
  await b.close();
  const errors = procs.flatMap(s => s.logs.filter(l => l.level >= 50));
  t.same(errors, [], 'nothing logged at error level');
});

// ---------------------------------------------------------------------------------------------

const ASSIGNERS: { key: keyof typeof kafkajsAssigners; protocol: string; sticky: boolean }[] = [
  { key: 'range', protocol: 'range', sticky: false },
  { key: 'roundRobin', protocol: 'roundrobin', sticky: false },
  { key: 'sticky', protocol: 'sticky', sticky: true },
  { key: 'cooperativeSticky', protocol: 'cooperative-sticky', sticky: true },
];

for (const a of ASSIGNERS) {
  t.test(`Samsa's kafkajs assigner ${a.protocol}: two then three members, every partition once`, async t => {
    const topic = `assign-${a.protocol}`;
    const groupId = `assign-${a.protocol}-group`;
    const P = 6;
    await admin.createTopics({ topics: [{ topic, numPartitions: P }] });
    const assigner = kafkajsAssigners[a.key] as unknown as PartitionAssigner;
    const seen: Seen[] = [];
    const m1 = await startMember(t, kafka, groupId, topic, 'm1', seen, { assigner });
    const m2 = await startMember(t, kafka, groupId, topic, 'm2', seen, { assigner });
    const two = await waitBalanced(admin, groupId, topic, P, [m1, m2]);
    t.equal(two.protocol, a.protocol, `the group's protocol is ${a.protocol}`);
    t.same(two.members.map(m => m.assignment[topic]!.length), [3, 3], 'two members: three partitions each');
    const m3 = await startMember(t, kafka, groupId, topic, 'm3', seen, { assigner });
    const three = await waitBalanced(admin, groupId, topic, P, [m1, m2, m3]);
    t.same(three.members.map(m => m.assignment[topic]!.length), [2, 2, 2], 'three members: two partitions each');

    // members sorted by member id, as Kafka's assignors order them
    const ids = three.members.map(m => m.memberId);
    if (a.protocol === 'range') {
      t.same(three.members.map(m => m.assignment[topic]), [[0, 1], [2, 3], [4, 5]], 'range: consecutive blocks in member id order');
    } else if (a.protocol === 'roundrobin') {
      t.same(three.members.map(m => m.assignment[topic]), ids.map((_, i) => [i, i + 3]), 'roundrobin: dealt in member id order');
    }
    if (a.sticky) {
      // from 3+3 to 2+2+2 at least four partitions can stay where they were
      const owner = new Map<number, string>();
      for (const m of two.members) for (const p of m.assignment[topic]!) owner.set(p, m.memberId);
      const kept = three.members.flatMap(m => m.assignment[topic]!.filter(p => owner.get(p) === m.memberId));
      t.equal(kept.length, 4, `${a.protocol}: four partitions stayed with their owners (${kept}), only two moved to the new member`);
      t.same(three.members.find(m => m.memberId === m3.memberId)!.assignment[topic]!.length, 2, 'and the new member got two');
    }

    const values = await produceValues(producer, topic, P, a.protocol, 3);
    await until('the records to be consumed', () => exactlyOnce(values, seen).missing.length === 0);
    await waitCommittedToEnd(admin, groupId, topic);
    const check = exactlyOnce(values, seen);
    t.same([check.duplicates, check.missing], [[], []], 'each record consumed exactly once');
    const owners = new Map(three.members.flatMap(m => m.assignment[topic]!.map(p => [p, [m1, m2, m3].find(x => x.memberId === m.memberId)!.name])));
    t.same(
      seen.filter(s => owners.get(s.partition) !== s.by),
      [],
      'each record consumed by the member that owns its partition',
    );
  });
}

// ---------------------------------------------------------------------------------------------

/** Runs a consumer that must fail to join; resolves with the error kafkajs crashed or rejected with. */
async function joinError(t: Teardown, consumer: Consumer, topic: string): Promise<{ type?: string; name?: string }> {
  let crash: { type?: string } | null = null;
  consumer.on(consumer.events.CRASH, e => (crash = e.payload.error as never));
  await consumer.connect();
  t.teardown(() => consumer.disconnect());
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  const rejected = await consumer.run({ eachMessage: async () => {} }).then(
    () => null,
    (e: { type?: string }) => e,
  );
  return until('the consumer to fail', () => rejected ?? crash);
}

t.test('kafkajs surfaces the coordinator refusals', async t => {
  const topic = 'refusals';
  const groupId = 'refusals-group';
  await admin.createTopics({ topics: [{ topic, numPartitions: 2 }] });
  const seen: Seen[] = [];
  const m = await startMember(t, kafka, groupId, topic, 'm', seen);
  await waitBalanced(admin, groupId, topic, 2, [m]);

  const err = await admin.deleteGroups([groupId]).then(
    () => null,
    (e: unknown) => e as { name: string; groups?: { groupId: string; error: { type: string } }[] },
  );
  t.equal(err?.name, 'KafkaJSDeleteGroupsError', 'deleting a group with a member fails');
  t.same(err?.groups?.map(g => [g.groupId, g.error.type]), [[groupId, 'NON_EMPTY_GROUP']], 'with NON_EMPTY_GROUP');
  t.equal((await describeGroup(admin, groupId)).state, 'Stable', 'and the group is untouched');

  const missing = await admin.deleteGroups(['no-such-group']).then(
    () => null,
    (e: unknown) => e as { groups?: { groupId: string; error: { type: string } }[] },
  );
  t.same(missing?.groups?.map(g => [g.groupId, g.error.type]), [['no-such-group', 'GROUP_ID_NOT_FOUND']], 'an unknown group: GROUP_ID_NOT_FOUND');

  // a session timeout below group.min.session.timeout.ms: the join is refused and kafkajs crashes
  const low = await joinError(t, kafka.consumer({ groupId: 'low-session-group', sessionTimeout: 200, heartbeatInterval: 50, retry: { retries: 0, restartOnFailure: async () => false } }), topic);
  t.equal(low.type, 'INVALID_SESSION_TIMEOUT', 'a 200 ms session timeout is refused with INVALID_SESSION_TIMEOUT');

  // a member whose only assignor the group's members do not share
  const foreign = await joinError(
    t,
    kafka.consumer({ groupId, partitionAssigners: [kafkajsAssigners.range as unknown as PartitionAssigner], retry: { retries: 0, restartOnFailure: async () => false } }),
    topic,
  );
  t.equal(foreign.type, 'INCONSISTENT_GROUP_PROTOCOL', "joining with 'range' a group of RoundRobinAssigner members: INCONSISTENT_GROUP_PROTOCOL");
  const still = await waitBalanced(admin, groupId, topic, 2, [m]);
  t.equal(still.protocol, 'RoundRobinAssigner', 'the group carries on as it was');

  // once the member has left, the group (and its offsets) can be deleted
  await produceValues(producer, topic, 2, 'refusals', 2);
  await until('the records to be consumed', () => seen.length >= 4);
  await waitCommittedToEnd(admin, groupId, topic);
  await m.disconnect();
  const deleted = await admin.deleteGroups([groupId]);
  t.same(deleted.map(d => [d.groupId, d.errorCode]), [[groupId, 0]], 'the empty group is deleted');
  t.same(await committed(admin, groupId, topic), [-1, -1], 'its offsets are gone');
  t.equal((await describeGroup(admin, groupId)).state, 'Dead', 'DescribeGroups calls it Dead');
});
