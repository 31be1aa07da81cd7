// Consumer groups of the Python clients against Samsa: confluent-kafka-python (librdkafka 2.0.2,
// the classic protocol) and kafka-python 2.0.2, each member a process running
// python/group_client.py (subscribe, not assign). The first member starts on a backlog; the second
// joins while it is still working through it, and the partitions handed over must be consumed
// exactly once between them (each member commits synchronously when partitions are revoked and
// before it closes). Eager assignors revoke everything; cooperative-sticky revokes only what moves.
// After both close, a third member of the same group reads exactly the records produced since.
// With librdkafka's range and cooperative-sticky assignors, kafka-python's range, and a group
// mixing kafka-python and librdkafka members that agree on 'range' (whose group the Python
// clients' admin APIs also describe). Then librdkafka static membership (group.instance.id): a
// killed member restarted under its instance id takes its place without a rebalance.
//
// The broker describes the group (kafkajs admin.describeGroups) and must agree with what each
// member reports it was assigned. A missing library skips the tests with the reason, or fails them
// when SAMSA_REQUIRE_CROSS_CLIENT=1. The libraries are the system's: /usr/bin/python3.
/* eslint-disable @typescript-eslint/no-explicit-any -- JSON from other processes */
import t, { type Test } from 'tap';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { AssignerProtocol, Kafka, logLevel, type Admin, type Producer } from 'kafkajs';
import { testBroker } from '../helpers/broker.js';
import { crossClientTest } from '../helpers/cross-client.js';

const PYTHON = '/usr/bin/python3';
const SCRIPT = fileURLToPath(new URL('./python/group_client.py', import.meta.url));
const WAIT_MS = 20_000;

type Client = 'confluent' | 'kafka-python';

// ---------------------------------------------------------------------------------------------

async function until<T>(what: string, check: () => Promise<T | null | undefined | false> | T | null | undefined | false, state: () => unknown = () => undefined, timeoutMs = WAIT_MS): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last state: ${JSON.stringify(state())}`);
    await new Promise(r => setTimeout(r, 25));
  }
}

function unavailable(module: string): Promise<string | null> {
  return new Promise(resolve => {
    const child = spawn(PYTHON, ['-c', `import ${module}`], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', d => (stderr += d));
    child.on('error', err => resolve(`${PYTHON} cannot run: ${err.message}`));
    child.on('close', code => resolve(code === 0 ? null : `\`${PYTHON} -c 'import ${module}'\` exited with ${code}: ${stderr.trim().split('\n').pop()}`));
  });
}

const [confluentMissing, kafkaPythonMissing] = await Promise.all([unavailable('confluent_kafka'), unavailable('kafka')]);
const missingFor = (clients: Client[]) => clients.map(c => (c === 'confluent' ? confluentMissing : kafkaPythonMissing)).find(m => m !== null) ?? null;

const withClients = (name: string, clients: Client[], fn: (t: Test) => Promise<void>): void => crossClientTest(t, name, 'a Python client', missingFor(clients), fn);

// ---------------------------------------------------------------------------------------------
// A member: one group_client.py process, its events parsed as they arrive.

interface Rec {
  topic: string;
  partition: number;
  offset: number;
  value: string;
  by: string;
}

class PyMember {
  readonly proc: ChildProcessWithoutNullStreams;
  readonly records: Rec[] = [];
  /** Partitions revoked, one list per revocation, as "topic/partition". */
  readonly revocations: string[][] = [];
  /** Current assignment as "topic/partition", as the client last reported it. */
  assignment: string[] = [];
  readonly problems: string[] = [];
  finalCommit: [string, number, number][] | null = null;
  closed = false;
  stdout = '';
  stderr = '';
  private readonly exited: Promise<number | null>;

  constructor(
    t: Test,
    readonly client: Client,
    readonly name: string,
    bootstrap: string,
    config: { client_id?: string; group: string; topics: string[]; strategy: string; process_ms?: number; session_timeout_ms?: number; librdkafka?: Record<string, string> },
  ) {
    this.proc = spawn(PYTHON, [SCRIPT, client, bootstrap], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' } });
    let partial = '';
    this.proc.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      this.stdout += chunk;
      partial += chunk;
      const lines = partial.split('\n');
      partial = lines.pop()!;
      for (const line of lines) this.onEvent(JSON.parse(line));
    });
    this.proc.stderr.setEncoding('utf8').on('data', d => (this.stderr += d));
    this.proc.stdin.on('error', () => {});
    this.exited = new Promise(resolve => this.proc.on('exit', code => resolve(code)));
    this.proc.stdin.write(JSON.stringify({ client_id: name, ...config }) + '\n');
    t.teardown(() => {
      if (this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill('SIGKILL');
    });
  }

  private onEvent(e: any): void {
    switch (e.event) {
      case 'assignment':
        this.assignment = (e.partitions as [string, number][]).map(([topic, p]) => `${topic}/${p}`).sort();
        break;
      case 'record':
        this.records.push({ topic: e.topic, partition: e.partition, offset: e.offset, value: e.value, by: this.name });
        break;
      case 'committed':
        this.finalCommit = e.offsets;
        break;
      case 'closed':
        this.closed = true;
        break;
      case 'revoked':
        this.revocations.push((e.partitions as [string, number][]).map(([topic, p]) => `${topic}/${p}`).sort());
        break;
      default:
        this.problems.push(JSON.stringify(e));
    }
  }

  get running(): boolean {
    return this.proc.exitCode === null && this.proc.signalCode === null;
  }

  /** Commits, closes (leaving the group) and exits; rejects if it does not within the wait. */
  async stop(): Promise<void> {
    this.proc.stdin.end('stop\n');
    const code = await Promise.race([this.exited, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`${this.name} did not exit`)), WAIT_MS).unref())]);
    if (code !== 0 || !this.closed) throw new Error(`${this.name} (${this.client}) exited with ${code}${this.closed ? '' : ' before closing'}\nstdout tail: ${this.stdout.slice(-2000)}\nstderr: ${this.stderr}`);
  }

  describe(): string {
    const problems = `${this.problems.length} problems${this.problems.length ? `, the first: ${JSON.stringify(this.problems.slice(0, 3))}` : ''}`;
    return `${this.name} (${this.client}): assignment ${JSON.stringify(this.assignment)}, ${this.records.length} records, ${problems}, running ${this.running}, stderr ${this.stderr.slice(-1000)}`;
  }
}

// ---------------------------------------------------------------------------------------------

interface GroupView {
  state: string;
  protocol: string;
  members: { clientId: string; memberId: string; assignment: string[] }[];
}

async function describeGroup(admin: Admin, groupId: string): Promise<GroupView> {
  const { groups } = await admin.describeGroups([groupId]);
  const g = groups[0]!;
  return {
    state: g.state,
    protocol: g.protocol,
    members: g.members
      .map(m => {
        const a = AssignerProtocol.MemberAssignment.decode(m.memberAssignment)?.assignment ?? {};
        return { clientId: m.clientId, memberId: m.memberId, assignment: Object.entries(a).flatMap(([topic, ps]) => ps.map(p => `${topic}/${p}`)).sort() };
      })
      .sort((a, b) => (a.clientId < b.clientId ? -1 : 1)),
  };
}

/**
 * Waits until the group is Stable with exactly `members` (by client id), each partition of
 * `topic` assigned to exactly one, and each member reporting the assignment the broker describes.
 */
async function waitBalanced(admin: Admin, groupId: string, topic: string, partitions: number, members: PyMember[], protocol: string): Promise<GroupView> {
  let last: unknown = null;
  return until(
    `group ${groupId} to be stable with ${members.map(m => m.name).join(', ')} sharing ${topic}`,
    async () => {
      const view = await describeGroup(admin, groupId);
      const problems: string[] = [];
      if (view.state !== 'Stable') problems.push(`state ${view.state}`);
      else if (view.protocol !== protocol) problems.push(`protocol ${view.protocol}, want ${protocol}`);
      const names = view.members.map(m => m.clientId);
      const want = members.map(m => m.name).sort();
      if (JSON.stringify(names) !== JSON.stringify(want)) problems.push(`members ${JSON.stringify(names)}, want ${JSON.stringify(want)}`);
      const all = view.members.flatMap(m => m.assignment).sort();
      const every = Array.from({ length: partitions }, (_, p) => `${topic}/${p}`).sort();
      if (JSON.stringify(all) !== JSON.stringify(every)) problems.push(`assigned ${JSON.stringify(all)}, want each of ${JSON.stringify(every)} once`);
      for (const m of members) {
        const d = view.members.find(x => x.clientId === m.name);
        if (d && JSON.stringify(d.assignment) !== JSON.stringify(m.assignment)) problems.push(`${m.name} reports ${JSON.stringify(m.assignment)}, the broker describes ${JSON.stringify(d.assignment)}`);
        if (!m.running) problems.push(`${m.name} exited: ${m.describe()}`);
      }
      last = { view, problems, members: members.map(m => m.describe()) };
      if (members.some(m => !m.running)) throw new Error(`a member exited: ${JSON.stringify(last)}`);
      return problems.length === 0 ? view : null;
    },
    () => last,
  );
}

function exactlyOnce(sent: string[], seen: Rec[]): { duplicates: Rec[][]; missing: string[]; unexpected: string[] } {
  const byValue = new Map<string, Rec[]>();
  for (const s of seen) byValue.set(s.value, [...(byValue.get(s.value) ?? []), s]);
  const sentSet = new Set(sent);
  return {
    duplicates: [...byValue.values()].filter(list => list.length > 1),
    missing: sent.filter(v => !byValue.has(v)),
    unexpected: [...byValue.keys()].filter(v => !sentSet.has(v)),
  };
}

async function produceValues(producer: Producer, topic: string, partitions: number, prefix: string, perPartition: number): Promise<string[]> {
  const messages = Array.from({ length: partitions * perPartition }, (_, i) => ({ partition: i % partitions, value: `${prefix}-${i % partitions}-${Math.floor(i / partitions)}` }));
  await producer.send({ topic, acks: -1, messages });
  return messages.map(m => m.value);
}

async function committedOffsets(admin: Admin, groupId: string, topic: string): Promise<number[]> {
  const res = await admin.fetchOffsets({ groupId, topics: [topic] });
  return [...(res.find(r => r.topic === topic)?.partitions ?? [])].sort((a, b) => a.partition - b.partition).map(p => Number(p.offset));
}

async function logEnds(admin: Admin, topic: string): Promise<number[]> {
  return [...(await admin.fetchTopicOffsets(topic))].sort((a, b) => a.partition - b.partition).map(o => Number(o.high));
}

/** The group as a Python client's admin API sees it (group_client.py's admin modes). */
function pyAdmin(client: 'confluent-admin' | 'kafka-python-admin', bootstrap: string, groupId: string): Promise<any> {
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, [SCRIPT, client, bootstrap], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' } });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', d => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', d => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), WAIT_MS);
    child.on('close', code => {
      clearTimeout(timer);
      if (code === 0) resolve(JSON.parse(stdout));
      else reject(new Error(`${client} exited with ${code}\nstdout: ${stdout}\nstderr: ${stderr}`));
    });
    child.stdin.end(JSON.stringify({ group: groupId }) + '\n');
  });
}

// ---------------------------------------------------------------------------------------------

const broker = await testBroker(t, { config: { 'group.min.session.timeout.ms': 500, 'group.initial.rebalance.delay.ms': 0 } });
const kafka = new Kafka({ clientId: 'samsa-groups-cross', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 5, initialRetryTime: 50 } });
const admin = kafka.admin();
await admin.connect();
t.teardown(() => admin.disconnect());
const producer = kafka.producer();
await producer.connect();
t.teardown(() => producer.disconnect());

interface Scenario {
  name: string;
  /** The first two members, joining one after the other, and the third, which resumes after them. */
  clients: [Client, Client, Client];
  /** partition.assignment.strategy, the same for all three. */
  strategy: string;
  /** Records per partition waiting for the first member: enough to outlast the rebalance b's arrival starts. */
  backlog: number;
}

const SCENARIOS: Scenario[] = [
  { name: 'confluent-kafka-python, range', clients: ['confluent', 'confluent', 'confluent'], strategy: 'range', backlog: 80 },
  { name: 'confluent-kafka-python, cooperative-sticky', clients: ['confluent', 'confluent', 'confluent'], strategy: 'cooperative-sticky', backlog: 150 },
  { name: 'kafka-python, range', clients: ['kafka-python', 'kafka-python', 'kafka-python'], strategy: 'range', backlog: 80 },
  { name: 'kafka-python and confluent-kafka-python in one group, range', clients: ['kafka-python', 'confluent', 'kafka-python'], strategy: 'range', backlog: 80 },
];

for (const sc of SCENARIOS) {
  withClients(`${sc.name}: two members share a topic exactly once, commit, and a third resumes after them`, sc.clients, async t => {
    const slug = sc.name.replace(/[^a-z0-9]+/gi, '-');
    const topic = `py-${slug}`;
    const groupId = `py-${slug}-group`;
    const P = 4;
    await admin.createTopics({ topics: [{ topic, numPartitions: P }] });
    const member = (i: number) =>
      new PyMember(t, sc.clients[i]!, `${['a', 'b', 'c'][i]}-${sc.clients[i]}`, broker.bootstrap, { group: groupId, topics: [topic], strategy: sc.strategy, process_ms: 6 });

    // a has a backlog when b joins: records waiting before it starts, 6 ms of work on each (two
    // seconds and more, so b arrives and the rebalance ends before a is through; cooperative-sticky
    // takes two rebalances, and librdkafka waits some hundreds of ms before each rejoin)
    const first = await produceValues(producer, topic, P, 'first', sc.backlog);
    const a = member(0);
    let view = await waitBalanced(admin, groupId, topic, P, [a], sc.strategy);
    t.same(view.members[0]!.assignment.length, P, `${a.name} alone owns all ${P} partitions`);
    await until(`${a.name} to start consuming`, () => a.records.length > 0, () => a.describe());
    const b = member(1);
    view = await waitBalanced(admin, groupId, topic, P, [a, b], sc.strategy);
    t.same(view.members.map(m => m.assignment.length), [2, 2], `${a.name} and ${b.name} own two partitions each`);
    if (sc.strategy === 'range') {
      t.same(view.members.map(m => m.assignment).sort(), [[`${topic}/0`, `${topic}/1`], [`${topic}/2`, `${topic}/3`]], 'range: consecutive blocks');
    }
    const bOwns = view.members.find(m => m.clientId === b.name)!.assignment;
    // (kafka-python also reports an empty revocation before its first join)
    const aRevoked = a.revocations.filter(r => r.length > 0);
    if (sc.strategy === 'cooperative-sticky') {
      // incremental: a gave up only what b got, and kept consuming the rest throughout
      t.same(aRevoked, [bOwns], `cooperative: ${a.name} revoked only ${bOwns.join(', ')}, in one revocation`);
    } else {
      // eager: a gave up everything before rejoining
      t.same(aRevoked, [Array.from({ length: P }, (_, p) => `${topic}/${p}`)], `eager: ${a.name} revoked all its partitions before rejoining`);
    }
    const second = await produceValues(producer, topic, P, 'second', 5);
    const sent = [...first, ...second];
    await until('a and b to consume everything', () => exactlyOnce(sent, [...a.records, ...b.records]).missing.length === 0, () => [a.describe(), b.describe()]);
    // both still own their halves: nothing moved since
    const settled = await waitBalanced(admin, groupId, topic, P, [a, b], sc.strategy);
    const both = sc.clients.includes('confluent') && sc.clients.includes('kafka-python');
    if (both) {
      // the Python clients' admin APIs (ListGroups and DescribeGroups at their versions) see what kafkajs sees
      const want = {
        group: groupId,
        error: null,
        state: 'Stable',
        protocol_type: 'consumer',
        protocol: sc.strategy,
        members: settled.members.map(m => ({ client_id: m.clientId, assignment: m.assignment.map(x => [x.slice(0, x.lastIndexOf('/')), Number(x.slice(x.lastIndexOf('/') + 1))]) })),
      };
      for (const client of ['confluent-admin', 'kafka-python-admin'] as const) {
        const view = await pyAdmin(client, broker.bootstrap, groupId);
        t.same(view.groups, [want], `${client} describes the group as kafkajs does`);
        t.ok(view.listed.includes(groupId), `${client} lists it`);
      }
    }
    // b leaves first and a takes its partitions back; markers show a fetching all of them before
    // it closes in turn (librdkafka 2.0.2 can abort when closed while a rebalance is assigning
    // partitions, librdkafka#4027, so the members do not close together)
    await b.stop();
    await waitBalanced(admin, groupId, topic, P, [a], sc.strategy);
    const markers = await produceValues(producer, topic, P, 'marker', 1);
    sent.push(...markers);
    await until(`${a.name} to consume the markers`, () => exactlyOnce(markers, a.records).missing.length === 0, () => a.describe());
    await a.stop();
    const check = exactlyOnce(sent, [...a.records, ...b.records]);
    t.same(check.duplicates, [], 'no record consumed twice');
    t.same(check.missing, [], 'no record missed');
    t.same(check.unexpected, [], 'nothing consumed that was not produced');
    const handedOver = b.records.filter(r => r.value.startsWith('first'));
    t.ok(handedOver.length > 0, `${b.name} took over partitions in the middle of the backlog: it consumed ${handedOver.length} of the first records (${a.name}: ${a.records.length} records in all, ${b.name}: ${b.records.length})`);
    t.same([...a.problems, ...b.problems], [], 'no errors reported by the clients');
    const ends = await logEnds(admin, topic);
    t.same(await committedOffsets(admin, groupId, topic), ends, 'the group committed every partition to its log end');
    t.same(a.finalCommit, ends.map((o, p) => [topic, p, o]), `as ${a.name}, the last to close, read back its final commit`);
    t.equal((await describeGroup(admin, groupId)).state, 'Empty', 'the group is empty after both closed');
    if (both) {
      const view = await pyAdmin('kafka-python-admin', broker.bootstrap, groupId);
      t.same(view.offsets, ends.map((o, p) => [topic, p, o]), "kafka-python's admin reads the committed offsets");
      t.same(view.groups.map((g: any) => [g.state, g.members]), [['Empty', []]], 'and describes the group as empty');
    }

    // a third member resumes after the committed offsets
    const third = await produceValues(producer, topic, P, 'third', 3);
    const c = member(2);
    await until('c to consume the new records', () => c.records.length >= third.length, () => c.describe());
    await waitBalanced(admin, groupId, topic, P, [c], sc.strategy);
    await c.stop();
    t.same(c.records.map(r => r.value).sort(), [...third].sort(), `${c.name} read exactly the records produced after the commits`);
    t.same(c.problems, [], 'no errors reported by the third member');
    t.same(await committedOffsets(admin, groupId, topic), await logEnds(admin, topic), 'and committed them');
  });
}

// Static membership (KIP-345) with librdkafka's group.instance.id: a member killed and restarted
// under the same instance id takes its old place and assignment without a rebalance (the other
// member revokes nothing), and static members that close without leaving are removed by their
// session timeout.
withClients('confluent-kafka-python static members: a restarted member takes its place without a rebalance', ['confluent'], async t => {
  const topic = 'py-static';
  const groupId = 'py-static-group';
  const P = 4;
  await admin.createTopics({ topics: [{ topic, numPartitions: P }] });
  const member = (name: string, instance: string) =>
    new PyMember(t, 'confluent', name, broker.bootstrap, { group: groupId, topics: [topic], strategy: 'range', session_timeout_ms: 2000, librdkafka: { 'group.instance.id': instance } });
  const a = member('a-static', 'instance-a');
  await waitBalanced(admin, groupId, topic, P, [a], 'range');
  const b = member('b-static', 'instance-b');
  const before = await waitBalanced(admin, groupId, topic, P, [a, b], 'range');
  const aBefore = before.members.find(m => m.clientId === a.name)!;
  const bRevocations = b.revocations.length;

  a.proc.kill('SIGKILL');
  // the same application restarted: the same client id and group.instance.id
  const a2 = member('a-static', 'instance-a');
  await until('the restarted member to be assigned', () => a2.assignment.length > 0, () => a2.describe());
  const after = await waitBalanced(admin, groupId, topic, P, [a2, b], 'range');
  const aAfter = after.members.find(m => m.clientId === a.name)!;
  t.not(aAfter.memberId, aBefore.memberId, 'the restarted member has a new member id');
  t.same(a2.assignment, aBefore.assignment, 'and the assignment the killed member had');
  t.same(b.revocations.slice(bRevocations), [], 'the other member revoked nothing: no rebalance');

  const values = await produceValues(producer, topic, P, 'static', 5);
  await until('the records to be consumed', () => exactlyOnce(values, [...a2.records, ...b.records]).missing.length === 0, () => [a2.describe(), b.describe()]);
  await Promise.all([a2.stop(), b.stop()]);
  const check = exactlyOnce(values, [...a2.records, ...b.records]);
  t.same([check.duplicates, check.missing], [[], []], 'each record consumed exactly once');
  t.same([...a2.problems, ...b.problems], [], 'no errors reported by the clients');
  t.same(await committedOffsets(admin, groupId, topic), await logEnds(admin, topic), 'the group committed every partition to its log end');
  // static members close without LeaveGroup: their session timeouts empty the group
  await until('the static members to time out', async () => (await describeGroup(admin, groupId)).state === 'Empty');
  t.pass('the group is empty once the static members\' sessions expired');
});
