// A KIP-848 consumer group driven by librdkafka 2.12 (node-rdkafka 3.6.1, which builds its bundled
// librdkafka) with group.protocol=consumer: members join and leave with ConsumerGroupHeartbeat,
// the broker's uniform assignor spreads the partitions, every message is consumed exactly once,
// commits carry member epochs, a killed member's partitions move after its session timeout, and a
// regex subscription picks up a topic created later. Mixed groups: a KIP-848 member joining a
// classic group of kafkajs or librdkafka (classic) consumers upgrades it online, and its leaving
// downgrades it back, with nothing consumed twice.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import t, { type Test } from 'tap';
import Kafka from 'node-rdkafka';
import { Kafka as KafkaJs, logLevel } from 'kafkajs';
import { testBroker, testClient, waitFor } from '../helpers/broker.js';
import type { RunningBroker } from '../../src/index.js';

const WAIT_MS = 30_000;

// short heartbeats and sessions so the test's rebalances take seconds, not Kafka's 5 s and 45 s
const BROKER_CONFIG = {
  'group.consumer.heartbeat.interval.ms': 200,
  'group.consumer.min.heartbeat.interval.ms': 100,
  'group.consumer.session.timeout.ms': 3000,
  'group.consumer.min.session.timeout.ms': 1000,
};

interface Member {
  id: string;
  consumer: Kafka.KafkaConsumer;
  seen: string[];
  partitions(): string[];
  close(): Promise<void>;
}

async function member(t: Test, b: RunningBroker, group: string, name: string, topics: (string | RegExp)[], config: Kafka.ConsumerGlobalConfig = {}): Promise<Member> {
  const consumer = new Kafka.KafkaConsumer(
    {
      'bootstrap.servers': b.bootstrap,
      'group.id': group,
      'group.protocol': 'consumer',
      ...config,
      'client.id': name,
      'enable.auto.commit': true,
      'auto.commit.interval.ms': 100,
      'topic.metadata.refresh.interval.ms': 500,
      rebalance_cb: true,
      // librdkafka logs through the event loop only when asked to
      'log.connection.close': false,
    },
    { 'auto.offset.reset': 'earliest' },
  );
  const seen: string[] = [];
  consumer.on('data', m => seen.push(`${m.topic}/${m.partition}/${m.offset}`));
  consumer.on('event.error', err => t.comment(`${name}: ${err.message}`));
  await new Promise<void>((resolve, reject) => consumer.connect({ timeout: WAIT_MS }, err => (err ? reject(err) : resolve())));
  consumer.subscribe(topics);
  consumer.consume();
  let closed = false;
  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    await new Promise<void>(resolve => consumer.disconnect(() => resolve()));
  };
  t.teardown(close);
  return {
    id: name,
    consumer,
    seen,
    partitions: () =>
      consumer
        .assignments()
        .map(a => `${a.topic}/${a.partition}`)
        .sort(),
    close,
  };
}

async function produce(b: RunningBroker, topic: string, count: number, partitions: number): Promise<void> {
  const kafka = new KafkaJs({ brokers: [b.bootstrap], clientId: 'kip848-producer', logLevel: logLevel.NOTHING });
  const producer = kafka.producer();
  await producer.connect();
  try {
    await producer.send({ topic, messages: Array.from({ length: count }, (_, i) => ({ value: `m${i}`, partition: i % partitions })) });
  } finally {
    await producer.disconnect();
  }
}

async function createTopics(b: RunningBroker, topics: [string, number][]): Promise<void> {
  const kafka = new KafkaJs({ brokers: [b.bootstrap], clientId: 'kip848-admin', logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: topics.map(([topic, numPartitions]) => ({ topic, numPartitions })), waitForLeaders: true });
  } finally {
    await admin.disconnect();
  }
}

async function describeGroup(b: RunningBroker, group: string): Promise<{ state: string; epoch: number; assignor: string; members: string[] }> {
  const c = await testClient({ teardown: () => {} }, b);
  try {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- decoded from the spec at run time
    const g: any = (await c.call(69, 1, { groupIds: [group], includeAuthorizedOperations: false })).groups[0];
    return { state: g.groupState, epoch: g.groupEpoch, assignor: g.assignorName, members: g.members.map((m: { clientId: string }) => m.clientId).sort() };
  } finally {
    c.close();
  }
}

t.test('librdkafka is 2.12 or later (KIP-848 consumer protocol)', async t => {
  const [major, minor] = Kafka.librdkafkaVersion.split('.').map(Number);
  t.ok(major! > 2 || (major === 2 && minor! >= 12), `librdkafka ${Kafka.librdkafkaVersion}`);
});

t.test('members join and leave a consumer group; every message is consumed exactly once', async t => {
  const b = await testBroker(t, { config: BROKER_CONFIG });
  await createTopics(b, [['t', 6]]);
  await produce(b, 't', 60, 6);

  const a = await member(t, b, 'kip848', 'member-a', ['t']);
  await waitFor(() => a.partitions().length === 6 && a.seen.length === 60, WAIT_MS, 'member a to own all six partitions and read the 60 messages');
  const d1 = await describeGroup(b, 'kip848');
  t.same([d1.state, d1.assignor, d1.members], ['Stable', 'uniform', ['member-a']], 'a Stable consumer group of one, assigned by the broker');

  const m2 = await member(t, b, 'kip848', 'member-b', ['t']);
  await waitFor(() => a.partitions().length === 3 && m2.partitions().length === 3, WAIT_MS, 'the partitions to be split three and three');
  t.same([...a.partitions(), ...m2.partitions()].sort(), ['t/0', 't/1', 't/2', 't/3', 't/4', 't/5'], 'each partition is owned once');
  const d2 = await describeGroup(b, 'kip848');
  t.same([d2.state, d2.members], ['Stable', ['member-a', 'member-b']]);
  t.ok(d2.epoch > d1.epoch, 'the group epoch grew');

  await produce(b, 't', 60, 6);
  await waitFor(() => a.seen.length + m2.seen.length === 120, WAIT_MS, 'the second 60 messages to be consumed');
  t.ok(m2.seen.length > 0, 'the second member consumes its share');

  // b leaves: a takes its partitions back and resumes from b's committed offsets
  await m2.close();
  await waitFor(() => a.partitions().length === 6, WAIT_MS, 'member a to own all six partitions again');
  await produce(b, 't', 30, 6);
  await waitFor(() => a.seen.length + m2.seen.length >= 150, WAIT_MS, 'the last 30 messages to be consumed');
  const all = [...a.seen, ...m2.seen];
  t.equal(all.length, 150, 'no message consumed twice');
  t.equal(new Set(all).size, 150, 'every message consumed once');
  const d3 = await describeGroup(b, 'kip848');
  t.same([d3.state, d3.members], ['Stable', ['member-a']]);
  await a.close();
  await waitFor(async () => (await describeGroup(b, 'kip848')).state === 'Empty', WAIT_MS, 'the group to be empty');
});

t.test('a regex subscription takes in a matching topic created while the group runs', async t => {
  const b = await testBroker(t, { config: BROKER_CONFIG });
  await createTopics(b, [['orders-eu', 2], ['audit', 1]]);
  const m = await member(t, b, 'kip848-regex', 'member-r', [/^orders-.*/]);
  await waitFor(() => m.partitions().length === 2, WAIT_MS, 'the matching topic to be assigned');
  await createTopics(b, [['orders-us', 3]]);
  await waitFor(() => m.partitions().length === 5, WAIT_MS, 'the new matching topic to be assigned');
  t.same(m.partitions(), ['orders-eu/0', 'orders-eu/1', 'orders-us/0', 'orders-us/1', 'orders-us/2'], 'audit is not subscribed');
  await produce(b, 'orders-us', 9, 3);
  await waitFor(() => m.seen.length === 9, WAIT_MS, 'the new topic to be consumed');
});

t.test('a killed member is fenced after its session timeout and its partitions move, with nothing consumed twice', async t => {
  const b = await testBroker(t, { config: BROKER_CONFIG });
  await createTopics(b, [['t', 6]]);
  await produce(b, 't', 60, 6);
  const a = await member(t, b, 'kip848-kill', 'member-a', ['t']);
  await waitFor(() => a.seen.length === 60, WAIT_MS, 'member a to read the first 60 messages');

  // member b runs in a process of its own, so it can die without a goodbye
  const script = fileURLToPath(new URL('./rdkafka/kip848-member.mjs', import.meta.url));
  const child = spawn(process.execPath, [script, b.bootstrap, 'kip848-kill', 'member-b', 't'], { stdio: ['ignore', 'pipe', 'inherit'] });
  t.teardown(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  let childAssigned: string[] = [];
  let childConsumed = 0;
  let buffered = '';
  child.stdout.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    let nl;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const line = JSON.parse(buffered.slice(0, nl)) as { assigned?: string[]; consumed?: number };
      buffered = buffered.slice(nl + 1);
      if (line.assigned) childAssigned = line.assigned;
      if (line.consumed) childConsumed = line.consumed;
    }
  });
  await waitFor(() => a.partitions().length === 3 && childAssigned.length === 3, WAIT_MS, 'the partitions to be split with the other process');
  await produce(b, 't', 60, 6);
  await waitFor(() => a.seen.length - 60 + childConsumed === 60, WAIT_MS, 'the second 60 messages to be consumed by the two');
  // let the child's auto-commit (100 ms) cover what it read, then kill it
  await new Promise(r => setTimeout(r, 500));
  child.kill('SIGKILL');
  const killedAt = Date.now();
  await waitFor(() => a.partitions().length === 6, WAIT_MS, 'member a to take over the dead member\'s partitions');
  const waited = Date.now() - killedAt;
  t.ok(waited >= 2000, `the partitions moved after the session timeout (3000 ms), not before (${waited} ms)`);
  const d = await describeGroup(b, 'kip848-kill');
  t.same(d.members, ['member-a'], 'the dead member was fenced');
  await produce(b, 't', 30, 6);
  await waitFor(() => a.seen.length === 150 - childConsumed, WAIT_MS, 'member a to consume the rest from the committed offsets');
  t.equal(new Set(a.seen).size, a.seen.length, 'member a read nothing twice');
  t.equal(a.seen.length + childConsumed, 150, 'every message was consumed once by one of the two');
});

/** A kafkajs (classic protocol) consumer: what it consumed and what it was last assigned. */
async function classicMember(t: Test, b: RunningBroker, group: string, name: string): Promise<{ seen: string[]; assigned: () => string[]; close: () => Promise<void> }> {
  const kafka = new KafkaJs({ brokers: [b.bootstrap], clientId: name, logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: group, sessionTimeout: 10_000, heartbeatInterval: 100, rebalanceTimeout: 10_000, maxWaitTimeInMs: 200, retry: { retries: 20, initialRetryTime: 50 } });
  const seen: string[] = [];
  let assigned: string[] = [];
  consumer.on(consumer.events.GROUP_JOIN, e => {
    assigned = Object.entries(e.payload.memberAssignment).flatMap(([topic, ps]) => (ps as number[]).map(p => `${topic}/${p}`)).sort();
  });
  await consumer.connect();
  await consumer.subscribe({ topics: ['t'], fromBeginning: true });
  await consumer.run({ eachMessage: async ({ topic, partition, message }) => void seen.push(`${topic}/${partition}/${message.offset}`) });
  let closed = false;
  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    await consumer.disconnect();
  };
  t.teardown(close);
  return { seen, assigned: () => assigned, close };
}

async function groupType(b: RunningBroker, group: string): Promise<string | undefined> {
  const c = await testClient({ teardown: () => {} }, b);
  try {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- decoded from the spec at run time
    return (await c.call(16, 5, { statesFilter: [], typesFilter: [] })).groups.find((g: any) => g.groupId === group)?.groupType;
  } finally {
    c.close();
  }
}

t.test('online upgrade and downgrade: a librdkafka KIP-848 member joins a kafkajs classic group and leaves it; nothing is consumed twice', async t => {
  const b = await testBroker(t, { config: BROKER_CONFIG });
  await createTopics(b, [['t', 6]]);
  await produce(b, 't', 60, 6);
  const x = await classicMember(t, b, 'mixed', 'kafkajs-x');
  const y = await classicMember(t, b, 'mixed', 'kafkajs-y');
  await waitFor(() => x.assigned().length === 3 && y.assigned().length === 3 && x.seen.length + y.seen.length === 60, WAIT_MS, 'the kafkajs group to split the partitions and read the 60 messages');
  t.equal(await groupType(b, 'mixed'), 'classic');

  // upgrade: the KIP-848 member's first heartbeat turns the classic group into a consumer group
  let since = Date.now();
  const m = await member(t, b, 'mixed', 'rdkafka-m', ['t']);
  await waitFor(() => m.partitions().length === 2 && x.assigned().length === 2 && y.assigned().length === 2, WAIT_MS, 'the three members to hold two partitions each');
  t.comment(`upgraded and rebalanced in ${Date.now() - since} ms`);
  t.equal(await groupType(b, 'mixed'), 'consumer', 'the group was upgraded');
  const d = await describeGroup(b, 'mixed');
  t.same([d.state, d.members], ['Stable', ['kafkajs-x', 'kafkajs-y', 'rdkafka-m']], 'kafkajs members are classic members of the consumer group');
  t.same([...x.assigned(), ...y.assigned(), ...m.partitions()].sort(), ['t/0', 't/1', 't/2', 't/3', 't/4', 't/5'], 'each partition owned once');
  await produce(b, 't', 60, 6);
  await waitFor(() => x.seen.length + y.seen.length + m.seen.length === 120, WAIT_MS, 'the next 60 messages to be consumed by the three');
  t.ok(m.seen.length > 0, 'the KIP-848 member consumes its share');

  // downgrade: the last KIP-848 member leaves; the group is classic again and the kafkajs members take everything
  since = Date.now();
  await m.close();
  await waitFor(async () => (await groupType(b, 'mixed')) === 'classic' && x.assigned().length === 3 && y.assigned().length === 3, WAIT_MS, 'the group to be downgraded and rebalanced');
  t.comment(`downgraded and rebalanced in ${Date.now() - since} ms`);
  await produce(b, 't', 30, 6);
  await waitFor(() => x.seen.length + y.seen.length + m.seen.length >= 150, WAIT_MS, 'the last 30 messages to be consumed');
  const all = [...x.seen, ...y.seen, ...m.seen];
  t.equal(all.length, 150, 'no message consumed twice');
  t.equal(new Set(all).size, 150, 'every message consumed once');
});

t.test('a mixed group of librdkafka members: classic roundrobin members with a KIP-848 member, upgraded and downgraded; nothing is consumed twice', async t => {
  const b = await testBroker(t, { config: BROKER_CONFIG });
  await createTopics(b, [['t', 6]]);
  await produce(b, 't', 60, 6);
  const classic: Kafka.ConsumerGlobalConfig = { 'group.protocol': 'classic', 'partition.assignment.strategy': 'roundrobin', 'heartbeat.interval.ms': 100, 'session.timeout.ms': 6000 };
  const x = await member(t, b, 'mixed-rd', 'classic-x', ['t'], classic);
  const y = await member(t, b, 'mixed-rd', 'classic-y', ['t'], classic);
  await waitFor(() => x.partitions().length === 3 && y.partitions().length === 3 && x.seen.length + y.seen.length === 60, WAIT_MS, 'the classic group to split the partitions and read the 60 messages');
  t.equal(await groupType(b, 'mixed-rd'), 'classic');
  const m = await member(t, b, 'mixed-rd', 'consumer-m', ['t']);
  await waitFor(() => m.partitions().length === 2 && x.partitions().length === 2 && y.partitions().length === 2, WAIT_MS, 'the three members to hold two partitions each');
  t.equal(await groupType(b, 'mixed-rd'), 'consumer', 'upgraded');
  t.same([...x.partitions(), ...y.partitions(), ...m.partitions()].sort(), ['t/0', 't/1', 't/2', 't/3', 't/4', 't/5'], 'each partition owned once');
  await produce(b, 't', 60, 6);
  await waitFor(() => x.seen.length + y.seen.length + m.seen.length === 120, WAIT_MS, 'the next 60 messages to be consumed');
  await m.close();
  await waitFor(async () => (await groupType(b, 'mixed-rd')) === 'classic' && x.partitions().length === 3 && y.partitions().length === 3, WAIT_MS, 'the group to be downgraded and rebalanced');
  await produce(b, 't', 30, 6);
  await waitFor(() => x.seen.length + y.seen.length + m.seen.length >= 150, WAIT_MS, 'the last 30 messages to be consumed');
  const all = [...x.seen, ...y.seen, ...m.seen];
  t.equal(all.length, 150, 'no message consumed twice');
  t.equal(new Set(all).size, 150, 'every message consumed once');
});
