// CreateTopics (19), DeleteTopics (20) and CreatePartitions (37): Kafka's answer for every
// refusal, and proof through Metadata that a refusal changes nothing.
/* eslint-disable @typescript-eslint/no-explicit-any -- responses decoded from the specs at run time */
import t from 'tap';
import { testBroker, testClient } from '../helpers/broker.js';
import type { TestClient } from '../helpers/client.js';
import { batch, createTopic, metadata, produce, topicNames, ZERO_UUID } from '../helpers/kafka.js';
import { ErrorCode } from '../../src/protocol/errors.js';

interface NewTopic {
  name: string;
  numPartitions?: number;
  replicationFactor?: number;
  assignments?: { partitionIndex: number; brokerIds: number[] }[];
  configs?: { name: string; value: string | null }[];
}

const creatable = (x: NewTopic) => ({ numPartitions: -1, replicationFactor: -1, assignments: [], configs: [], ...x });

async function create(c: TestClient, topics: NewTopic[], opts: { version?: number; validateOnly?: boolean } = {}): Promise<any[]> {
  const res = await c.call(19, opts.version ?? 7, { topics: topics.map(creatable), validateOnly: opts.validateOnly ?? false, timeoutMs: 5000 });
  return res.topics;
}

/** Partition counts of every topic, by name: what a refusal must leave untouched. */
async function layout(c: TestClient): Promise<Record<string, number>> {
  const res = await metadata(c, null);
  return Object.fromEntries(res.topics.map((x: any) => [x.name, x.partitions.length]));
}

t.test('CreateTopics creates, at every version, and answers configs (v5+) and topic ids (v7)', async t => {
  const b = await testBroker(t, { config: { 'num.partitions': 2, 'log.retention.ms': 1000 } });
  const c = await testClient(t, b);
  for (let v = 2; v <= 7; v++) {
    const [r] = await create(c, [{ name: `t${v}`, numPartitions: 3, replicationFactor: 1, configs: [{ name: 'cleanup.policy', value: 'compact' }] }], { version: v });
    t.equal(r.name, `t${v}`);
    t.equal(r.errorCode, 0, `v${v}: created`);
    t.equal(r.errorMessage, null, `v${v}: no message`);
    if (v >= 5) {
      t.equal(r.numPartitions, 3, `v${v}: numPartitions`);
      t.equal(r.replicationFactor, 1, `v${v}: replicationFactor`);
      t.equal(r.topicConfigErrorCode, 0, `v${v}: topicConfigErrorCode`);
      const names = r.configs.map((x: any) => x.name);
      t.same(names, [...names].sort(), `v${v}: configs sorted by name, as Kafka lists them`);
      const cfg = new Map<string, any>(r.configs.map((x: any) => [x.name, x]));
      t.same([cfg.get('cleanup.policy').value, cfg.get('cleanup.policy').configSource], ['compact', 1], `v${v}: the topic's own config (DYNAMIC_TOPIC_CONFIG)`);
      t.same([cfg.get('retention.ms').value, cfg.get('retention.ms').configSource], ['1000', 4], `v${v}: a broker synonym (STATIC_BROKER_CONFIG)`);
      t.same([cfg.get('segment.bytes').value, cfg.get('segment.bytes').configSource], ['1073741824', 5], `v${v}: a default (DEFAULT_CONFIG)`);
      t.equal(cfg.get('max.message.bytes').readOnly, false);
      t.equal(cfg.get('max.message.bytes').isSensitive, false);
    }
    if (v >= 7) {
      t.not(r.topicId, ZERO_UUID, `v${v}: a topic id`);
      const md = await metadata(c, [`t${v}`]);
      t.equal(md.topics[0].topicId, r.topicId, `v${v}: the id Metadata reports`);
    }
  }
  // defaults: -1 partitions and replication factor take num.partitions and default.replication.factor
  const [d] = await create(c, [{ name: 'defaults' }]);
  t.same([d.errorCode, d.numPartitions, d.replicationFactor], [0, 2, 1], 'defaults applied');
  // explicit assignments
  const [a] = await create(c, [{ name: 'assigned', assignments: [{ partitionIndex: 1, brokerIds: [0] }, { partitionIndex: 0, brokerIds: [0] }] }]);
  t.same([a.errorCode, a.numPartitions, a.replicationFactor], [0, 2, 1], 'created from assignments');
  t.same(await layout(c), { t2: 3, t3: 3, t4: 3, t5: 3, t6: 3, t7: 3, defaults: 2, assigned: 2 });
});

t.test('CreateTopics refusals: Kafka codes, and nothing created', async t => {
  const b = await testBroker(t);
  const c = await testClient(t, b);
  await createTopic(c, 'exists');
  await createTopic(c, 'dotted_name');
  const before = await layout(c);

  const cases: [string, NewTopic, number, string | null][] = [
    ['an existing topic', { name: 'exists' }, ErrorCode.TOPIC_ALREADY_EXISTS, "Topic 'exists' already exists."],
    ['an illegal name', { name: 'bad name' }, ErrorCode.INVALID_TOPIC_EXCEPTION, null],
    ['an empty name', { name: '' }, ErrorCode.INVALID_TOPIC_EXCEPTION, null],
    ['"."', { name: '.' }, ErrorCode.INVALID_TOPIC_EXCEPTION, null],
    ['a name of 250 characters', { name: 'n'.repeat(250) }, ErrorCode.INVALID_TOPIC_EXCEPTION, null],
    ["a name colliding by '.' vs '_'", { name: 'dotted.name' }, ErrorCode.INVALID_TOPIC_EXCEPTION, "Topic 'dotted.name' collides with existing topic: dotted_name"],
    ['0 partitions', { name: 'p0', numPartitions: 0 }, ErrorCode.INVALID_PARTITIONS, 'Number of partitions was set to an invalid non-positive value.'],
    ['-2 partitions', { name: 'pm2', numPartitions: -2 }, ErrorCode.INVALID_PARTITIONS, 'Number of partitions was set to an invalid non-positive value.'],
    ['replication factor 0', { name: 'rf0', replicationFactor: 0 }, ErrorCode.INVALID_REPLICATION_FACTOR, 'Replication factor must be larger than 0, or -1 to use the default value.'],
    ['replication factor 0 and 0 partitions (the factor is checked first)', { name: 'rf0p0', replicationFactor: 0, numPartitions: 0 }, ErrorCode.INVALID_REPLICATION_FACTOR, null],
    ['replication factor above the broker count', { name: 'rf2', replicationFactor: 2 }, ErrorCode.INVALID_REPLICATION_FACTOR, null],
    ['an assignment to an unknown broker', { name: 'a1', assignments: [{ partitionIndex: 0, brokerIds: [7] }] }, ErrorCode.INVALID_REPLICA_ASSIGNMENT, null],
    ['an assignment naming a broker twice', { name: 'a2', assignments: [{ partitionIndex: 0, brokerIds: [0, 0] }] }, ErrorCode.INVALID_REPLICA_ASSIGNMENT, null],
    ['an empty assignment', { name: 'a3', assignments: [{ partitionIndex: 0, brokerIds: [] }] }, ErrorCode.INVALID_REPLICA_ASSIGNMENT, null],
    ['assignments that skip a partition', { name: 'a4', assignments: [{ partitionIndex: 0, brokerIds: [0] }, { partitionIndex: 2, brokerIds: [0] }] }, ErrorCode.INVALID_REPLICA_ASSIGNMENT, null],
    ['two assignments of one partition', { name: 'a5', assignments: [{ partitionIndex: 0, brokerIds: [0] }, { partitionIndex: 0, brokerIds: [0] }] }, ErrorCode.INVALID_REPLICA_ASSIGNMENT, null],
    ['assignments and a partition count', { name: 'a6', numPartitions: 1, assignments: [{ partitionIndex: 0, brokerIds: [0] }] }, ErrorCode.INVALID_REQUEST, null],
    ['assignments and a replication factor', { name: 'a7', replicationFactor: 1, assignments: [{ partitionIndex: 0, brokerIds: [0] }] }, ErrorCode.INVALID_REQUEST, null],
    ['an unknown config', { name: 'c1', configs: [{ name: 'no.such.config', value: '1' }] }, ErrorCode.INVALID_CONFIG, null],
    ['a config value of the wrong type', { name: 'c2', configs: [{ name: 'retention.ms', value: 'soon' }] }, ErrorCode.INVALID_CONFIG, null],
    ['a config value out of range', { name: 'c3', configs: [{ name: 'min.insync.replicas', value: '0' }] }, ErrorCode.INVALID_CONFIG, null],
    ['a config value not among the allowed', { name: 'c4', configs: [{ name: 'cleanup.policy', value: 'shred' }] }, ErrorCode.INVALID_CONFIG, null],
    ['a null config value', { name: 'c5', configs: [{ name: 'retention.ms', value: null }] }, ErrorCode.INVALID_CONFIG, 'Null value not supported for topic configs: retention.ms'],
    ['a bad config and a bad partition count (configs are checked first)', { name: 'c6', numPartitions: 0, configs: [{ name: 'retention.ms', value: 'x' }] }, ErrorCode.INVALID_CONFIG, null],
  ];
  for (const validateOnly of [false, true]) {
    for (const [what, topic, code, message] of cases) {
      const [r] = await create(c, [topic], { validateOnly });
      t.equal(r.errorCode, code, `${what}${validateOnly ? ' (validateOnly)' : ''}: error ${code}`);
      t.equal(r.name, topic.name);
      t.type(r.errorMessage, 'string', `${what}: a message`);
      if (message !== null) t.equal(r.errorMessage, message, `${what}: Kafka's message`);
      t.same([r.topicId, r.numPartitions, r.replicationFactor, r.configs], [ZERO_UUID, -1, -1, null], `${what}: no result fields`);
    }
  }
  t.same(await layout(c), before, 'nothing was created');

  // every refusal in one request, beside one good topic: only the good one is created
  const all = await create(c, [...cases.map(x => x[1]), { name: 'good' }]);
  t.same(
    all.map(r => [r.name, r.errorCode]),
    [...cases.map(([, topic, code]) => [topic.name, code]), ['good', 0]],
    'each topic answered in request order',
  );
  t.same(await layout(c), { ...before, good: 1 }, 'only the good topic was created');
});

t.test('CreateTopics: a name given twice is refused once, and neither is created', async t => {
  const b = await testBroker(t);
  const c = await testClient(t, b);
  const res = await create(c, [{ name: 'twice' }, { name: 'single' }, { name: 'twice', numPartitions: 4 }]);
  // Kafka (ControllerApis.createTopics) answers the others first, then each duplicated name once
  t.same(
    res.map(r => [r.name, r.errorCode, r.errorMessage]),
    [
      ['single', 0, null],
      ['twice', ErrorCode.INVALID_REQUEST, 'Duplicate topic name.'],
    ],
  );
  t.same(await topicNames(c), ['single']);
});

t.test('CreateTopics validateOnly checks and answers as if created, but creates nothing', async t => {
  const b = await testBroker(t);
  const c = await testClient(t, b);
  for (let v = 2; v <= 7; v++) {
    const [r] = await create(c, [{ name: 'maybe', numPartitions: 4, configs: [{ name: 'retention.ms', value: '5000' }] }], { version: v, validateOnly: true });
    t.equal(r.errorCode, 0, `v${v}: valid`);
    if (v >= 5) {
      t.same([r.numPartitions, r.replicationFactor], [4, 1], `v${v}: what would be created`);
      t.equal(r.configs.find((x: any) => x.name === 'retention.ms').value, '5000');
    }
  }
  t.same(await topicNames(c), [], 'nothing created');
});

async function del(c: TestClient, version: number, topics: { name?: string | null; topicId?: string }[]): Promise<any[]> {
  const fields =
    version >= 6
      ? { topics: topics.map(x => ({ name: x.name ?? null, topicId: x.topicId ?? ZERO_UUID })), timeoutMs: 5000 }
      : { topicNames: topics.map(x => x.name!), timeoutMs: 5000 };
  const res = await c.call(20, version, fields);
  return res.responses;
}

t.test('DeleteTopics by name (v1-6) and by id (v6)', async t => {
  const b = await testBroker(t);
  const c = await testClient(t, b);
  for (let v = 1; v <= 6; v++) {
    const id = await createTopic(c, `gone${v}`, 2);
    t.equal((await produce(c, `gone${v}`, 1, batch(['x']))).errorCode, 0);
    const [r] = await del(c, v, [{ name: `gone${v}` }]);
    t.same([r.name, r.errorCode], [`gone${v}`, 0], `v${v}: deleted by name`);
    if (v >= 5) t.equal(r.errorMessage, null);
    if (v >= 6) t.equal(r.topicId, id, `v${v}: answers the topic id`);
    t.same(await topicNames(c), [], `v${v}: gone from Metadata`);
    t.equal((await produce(c, `gone${v}`, 1, batch(['y']))).errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `v${v}: no longer writable`);
  }
  const id = await createTopic(c, 'by-id');
  const [r] = await del(c, 6, [{ topicId: id }]);
  t.same([r.name, r.topicId, r.errorCode], ['by-id', id, 0], 'deleted by id, answered with its name');
  t.same(await topicNames(c), []);
  // the name can be used again, by a new topic with a new id
  const again = await createTopic(c, 'by-id');
  t.not(again, id, 'a re-created topic has a new id');
  t.same((await metadata(c, ['by-id'])).topics[0].partitions.length, 1);
});

t.test('DeleteTopics refusals change nothing', async t => {
  const b = await testBroker(t);
  const c = await testClient(t, b);
  const keepId = await createTopic(c, 'keep');
  const unknownId = 'AAAAAAAAAAAAAAAAAAAAAQ';
  for (let v = 1; v <= 6; v++) {
    const [r] = await del(c, v, [{ name: 'missing' }]);
    t.same([r.name, r.errorCode], ['missing', ErrorCode.UNKNOWN_TOPIC_OR_PARTITION], `v${v}: unknown name`);
  }
  const byId = await del(c, 6, [{ topicId: unknownId }]);
  t.same(byId.map(r => [r.name, r.topicId, r.errorCode]), [[null, unknownId, ErrorCode.UNKNOWN_TOPIC_ID]], 'unknown id');
  const both = await del(c, 6, [{ name: 'keep', topicId: keepId }]);
  t.same(both.map(r => [r.name, r.topicId, r.errorCode]), [['keep', keepId, ErrorCode.INVALID_REQUEST]], 'name and id together');
  const neither = await del(c, 6, [{ name: null, topicId: ZERO_UUID }]);
  t.same(neither.map(r => [r.name, r.topicId, r.errorCode]), [[null, ZERO_UUID, ErrorCode.INVALID_REQUEST]], 'neither name nor id');
  for (const v of [1, 5, 6]) {
    const dup = await del(c, v, [{ name: 'keep' }, { name: 'keep' }]);
    t.same(dup.map(r => [r.name, r.errorCode]), [['keep', ErrorCode.INVALID_REQUEST]], `v${v}: a name given twice is refused, once`);
    if (v >= 5) t.equal(dup[0].errorMessage, 'Duplicate topic name.');
  }
  const dupId = await del(c, 6, [{ topicId: keepId }, { topicId: keepId }]);
  t.same(dupId.map(r => [r.topicId, r.errorCode, r.errorMessage]), [[keepId, ErrorCode.INVALID_REQUEST, 'Duplicate topic id.']], 'an id given twice');
  const sameTopic = await del(c, 6, [{ topicId: keepId }, { name: 'keep' }]);
  t.same(sameTopic.map(r => r.errorCode), [ErrorCode.INVALID_REQUEST, ErrorCode.INVALID_REQUEST], 'one topic by id and by name: neither deleted');
  t.same(await topicNames(c), ['keep'], 'nothing deleted');
});

t.test('DeleteTopics with delete.topic.enable=false: INVALID_REQUEST before v3, TOPIC_DELETION_DISABLED after', async t => {
  const b = await testBroker(t, { config: { 'delete.topic.enable': false } });
  const c = await testClient(t, b);
  const id = await createTopic(c, 'stays');
  for (let v = 1; v <= 6; v++) {
    const res = await del(c, v, [{ name: 'stays' }, { name: 'missing' }]);
    const code = v < 3 ? ErrorCode.INVALID_REQUEST : ErrorCode.TOPIC_DELETION_DISABLED;
    t.same(res.map(r => [r.name, r.errorCode]), [['stays', code], ['missing', code]], `v${v}: every topic refused with ${code}`);
  }
  const res = await del(c, 6, [{ topicId: id }]);
  t.same(res.map(r => [r.topicId, r.errorCode]), [[id, ErrorCode.TOPIC_DELETION_DISABLED]], 'by id too');
  t.same(await topicNames(c), ['stays']);
});

async function grow(c: TestClient, topics: { name: string; count: number; assignments?: number[][] | null }[], opts: { version?: number; validateOnly?: boolean } = {}): Promise<any[]> {
  const res = await c.call(37, opts.version ?? 3, {
    topics: topics.map(x => ({ name: x.name, count: x.count, assignments: x.assignments === undefined || x.assignments === null ? null : x.assignments.map(brokerIds => ({ brokerIds })) })),
    timeoutMs: 5000,
    validateOnly: opts.validateOnly ?? false,
  });
  return res.results;
}

t.test('CreatePartitions grows topics, at every version; new partitions are usable', async t => {
  const b = await testBroker(t);
  const c = await testClient(t, b);
  for (let v = 0; v <= 3; v++) {
    await createTopic(c, `g${v}`);
    const [r] = await grow(c, [{ name: `g${v}`, count: 3 }], { version: v });
    t.same([r.name, r.errorCode, r.errorMessage], [`g${v}`, 0, null], `v${v}: grown`);
  }
  t.same(await layout(c), { g0: 3, g1: 3, g2: 3, g3: 3 });
  const p = await produce(c, 'g0', 2, batch(['into a new partition']));
  t.same([p.errorCode, p.baseOffset], [0, 0], 'the new partition takes records');
  const md = await metadata(c, ['g0']);
  t.same(md.topics[0].partitions.map((x: any) => [x.partitionIndex, x.leaderId, x.replicaNodes]), [[0, 0, [0]], [1, 0, [0]], [2, 0, [0]]]);

  await createTopic(c, 'placed');
  const [r] = await grow(c, [{ name: 'placed', count: 3, assignments: [[0], [0]] }]);
  t.equal(r.errorCode, 0, 'grown with explicit assignments');
  t.equal((await layout(c)).placed, 3);
});

t.test('CreatePartitions refusals change nothing', async t => {
  const b = await testBroker(t);
  const c = await testClient(t, b);
  await createTopic(c, 'two', 2);
  const before = await layout(c);
  const cases: [string, { name: string; count: number; assignments?: number[][] | null }, number, string | null][] = [
    ['the same count', { name: 'two', count: 2 }, ErrorCode.INVALID_PARTITIONS, 'Topic already has 2 partition(s).'],
    ['fewer partitions', { name: 'two', count: 1 }, ErrorCode.INVALID_PARTITIONS, 'The topic two currently has 2 partition(s); 1 would not be an increase.'],
    ['a negative count', { name: 'two', count: -1 }, ErrorCode.INVALID_PARTITIONS, null],
    ['too few assignments', { name: 'two', count: 4, assignments: [[0]] }, ErrorCode.INVALID_REPLICA_ASSIGNMENT, 'Attempted to add 2 additional partition(s), but only 1 assignment(s) were specified.'],
    ['too many assignments', { name: 'two', count: 3, assignments: [[0], [0]] }, ErrorCode.INVALID_REPLICA_ASSIGNMENT, null],
    ['an unknown broker', { name: 'two', count: 3, assignments: [[5]] }, ErrorCode.INVALID_REPLICA_ASSIGNMENT, null],
    ['a different replication factor', { name: 'two', count: 3, assignments: [[0, 0]] }, ErrorCode.INVALID_REPLICA_ASSIGNMENT, null],
    ['an unknown topic', { name: 'nope', count: 3 }, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, null],
  ];
  for (const validateOnly of [false, true]) {
    for (const [what, topic, code, message] of cases) {
      const [r] = await grow(c, [topic], { validateOnly });
      t.same([r.name, r.errorCode], [topic.name, code], `${what}${validateOnly ? ' (validateOnly)' : ''}`);
      if (message !== null) t.equal(r.errorMessage, message, `${what}: Kafka's message`);
    }
  }
  const [ok] = await grow(c, [{ name: 'two', count: 5 }], { validateOnly: true });
  t.equal(ok.errorCode, 0, 'validateOnly: a valid change is accepted');
  const dup = await grow(c, [{ name: 'two', count: 3 }, { name: 'two', count: 4 }]);
  t.same(dup.map(r => [r.name, r.errorCode, r.errorMessage]), [['two', ErrorCode.INVALID_REQUEST, 'Duplicate topic name.']], 'a topic given twice');
  t.same(await layout(c), before, 'nothing changed');
  t.equal((await produce(c, 'two', 2, batch(['x']))).errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'no partition 2');
});
