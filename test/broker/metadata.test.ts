// Metadata (3) at every version: which topics a request names (v0's empty list and v1+'s null
// mean all), auto-creation, invalid names, lookup by topic id (v12+; Kafka refuses ids at
// v10-11), the advertised address, authorized operations, cluster id and controller.
/* eslint-disable @typescript-eslint/no-explicit-any -- responses decoded from the specs at run time */
import t from 'tap';
import { testBroker, testClient } from '../helpers/broker.js';
import { TestClient } from '../helpers/client.js';
import { createTopic, topicNames, ZERO_UUID } from '../helpers/kafka.js';
import { ErrorCode } from '../../src/protocol/errors.js';

/** authorizedOperations when not asked for (Integer.MIN_VALUE). */
const NOT_REQUESTED = -2147483648;
/** Every topic operation allowed (no authorizer): READ, WRITE, CREATE, DELETE, ALTER, DESCRIBE, DESCRIBE_CONFIGS, ALTER_CONFIGS. */
const TOPIC_OPS = (1 << 3) | (1 << 4) | (1 << 5) | (1 << 6) | (1 << 7) | (1 << 8) | (1 << 10) | (1 << 11);
/** Every cluster operation: CREATE, ALTER, DESCRIBE, CLUSTER_ACTION, DESCRIBE_CONFIGS, ALTER_CONFIGS, IDEMPOTENT_WRITE. */
const CLUSTER_OPS = (1 << 5) | (1 << 7) | (1 << 8) | (1 << 9) | (1 << 10) | (1 << 11) | (1 << 12);

/** The request's topic list as version v writes it: names (and a zero id from v10). */
const named = (...names: string[]) => names.map(name => ({ name, topicId: ZERO_UUID }));

const byName = (res: any) => new Map<string, any>(res.topics.map((x: any) => [x.name, x]));

t.test('every version 0-13: topics named, all, none; brokers, cluster id, controller', async t => {
  const b = await testBroker(t, { clusterId: 'samsa-cluster-1', config: { 'node.id': 3 } });
  const c = await testClient(t, b);
  const alphaId = await createTopic(c, 'alpha', 2);
  const betaId = await createTopic(c, 'beta', 1);

  for (let v = 0; v <= 13; v++) {
    // all topics: an empty list at v0, null from v1
    const all = await c.call(3, v, { topics: v === 0 ? [] : null, allowAutoTopicCreation: false });
    const topics = byName(all);
    t.same([...topics.keys()].sort(), ['alpha', 'beta'], `v${v}: all topics`);
    const alpha = topics.get('alpha');
    t.equal(alpha.errorCode, 0, `v${v}: alpha ok`);
    t.same(
      alpha.partitions.map((p: any) => [p.errorCode, p.partitionIndex, p.leaderId, p.replicaNodes, p.isrNodes]),
      [
        [0, 0, 3, [3], [3]],
        [0, 1, 3, [3], [3]],
      ],
      `v${v}: alpha's partitions led by node 3`,
    );
    if (v >= 1) t.equal(alpha.isInternal, false, `v${v}: not internal`);
    if (v >= 5) t.same(alpha.partitions[0].offlineReplicas, [], `v${v}: no offline replicas`);
    if (v >= 7) t.equal(alpha.partitions[0].leaderEpoch, 0, `v${v}: leader epoch 0`);
    if (v >= 10) {
      t.equal(alpha.topicId, alphaId, `v${v}: alpha's topic id`);
      t.equal(topics.get('beta').topicId, betaId, `v${v}: beta's topic id`);
    }

    t.same(all.brokers.map((n: any) => [n.nodeId, n.host, n.port]), [[3, '127.0.0.1', b.port]], `v${v}: the one broker, at the address connected to`);
    if (v >= 1) {
      t.equal(all.brokers[0].rack, null, `v${v}: no rack`);
      t.equal(all.controllerId, 3, `v${v}: controller id`);
    }
    if (v >= 2) t.equal(all.clusterId, 'samsa-cluster-1', `v${v}: cluster id`);
    if (v >= 3) t.equal(all.throttleTimeMs, 0, `v${v}: throttle`);
    if (v >= 13) t.equal(all.errorCode, 0, `v${v}: top-level error code`);

    // one topic by name
    const one = await c.call(3, v, { topics: named('beta'), allowAutoTopicCreation: false });
    t.same(one.topics.map((x: any) => [x.name, x.errorCode, x.partitions.length]), [['beta', 0, 1]], `v${v}: beta alone`);

    // none: an empty list from v1
    if (v >= 1) {
      const none = await c.call(3, v, { topics: [], allowAutoTopicCreation: false });
      t.same(none.topics, [], `v${v}: an empty list asks for no topics`);
      t.equal(none.brokers.length, 1, `v${v}: brokers still listed`);
    }

    // a topic named twice is answered once
    const twice = await c.call(3, v, { topics: named('alpha', 'alpha'), allowAutoTopicCreation: false });
    t.equal(twice.topics.length, 1, `v${v}: duplicates answered once`);
  }
});

t.test('auto-creation: on by default with num.partitions; v4+ can opt out; the broker can turn it off', async t => {
  const b = await testBroker(t, { config: { 'num.partitions': 3 } });
  const c = await testClient(t, b);

  for (const v of [1, 3, 4, 9, 12, 13]) {
    const name = `auto-v${v}`;
    const res = await c.call(3, v, { topics: named(name), allowAutoTopicCreation: true });
    t.equal(res.topics[0].errorCode, 0, `v${v}: ${name} created`);
    t.equal(res.topics[0].partitions.length, 3, `v${v}: with num.partitions`);
    if (v >= 10) t.not(res.topics[0].topicId, ZERO_UUID, `v${v}: with a topic id`);
  }
  // v0 names a topic with a non-empty list; it is created too
  const v0 = await c.call(3, 0, { topics: named('auto-v0') });
  t.same(v0.topics.map((x: any) => [x.name, x.errorCode, x.partitions.length]), [['auto-v0', 0, 3]], 'v0 auto-creates');

  for (const v of [4, 8, 12, 13]) {
    const name = `no-auto-v${v}`;
    const res = await c.call(3, v, { topics: named(name), allowAutoTopicCreation: false });
    t.same(
      res.topics.map((x: any) => [x.name, x.errorCode, x.partitions]),
      [[name, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, []]],
      `v${v}: allowAutoTopicCreation=false answers UNKNOWN_TOPIC_OR_PARTITION`,
    );
    if (v >= 10) t.equal(res.topics[0].topicId, ZERO_UUID, `v${v}: no topic id`);
  }
  // asking for all topics never creates anything
  const names = await topicNames(c);
  t.same(names, ['auto-v0', 'auto-v1', 'auto-v12', 'auto-v13', 'auto-v3', 'auto-v4', 'auto-v9'], 'only the auto-created topics exist');

  const off = await testBroker(t, { config: { 'auto.create.topics.enable': false } });
  const c2 = await testClient(t, off);
  for (const v of [0, 1, 4, 12]) {
    const res = await c2.call(3, v, { topics: named('wanted'), allowAutoTopicCreation: true });
    t.equal(res.topics[0].errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `v${v}: auto.create.topics.enable=false`);
  }
  t.same(await topicNames(c2), [], 'nothing created');
});

t.test('invalid topic names answer INVALID_TOPIC_EXCEPTION, whether or not auto-creation is on', async t => {
  const b = await testBroker(t);
  const c = await testClient(t, b);
  const bad = ['bad name!', '.', '..', 'x'.repeat(250), 'a/b', 'ü'];
  for (const allow of [true, false]) {
    const res = await c.call(3, 12, { topics: named(...bad), allowAutoTopicCreation: allow });
    t.same(
      res.topics.map((x: any) => [x.name, x.errorCode, x.partitions.length]),
      bad.map(name => [name, ErrorCode.INVALID_TOPIC_EXCEPTION, 0]),
      `allowAutoTopicCreation=${allow}`,
    );
  }
  // a good name in the same request is still answered (and created)
  const mixed = await c.call(3, 12, { topics: named('good', 'bad name!'), allowAutoTopicCreation: true });
  t.same(
    mixed.topics.map((x: any) => [x.name, x.errorCode]),
    [
      ['good', 0],
      ['bad name!', ErrorCode.INVALID_TOPIC_EXCEPTION],
    ],
  );
  t.same(await topicNames(c), ['good']);
  // a legal name of exactly 249 characters is fine
  const longest = 'y'.repeat(249);
  const res = await c.call(3, 12, { topics: named(longest), allowAutoTopicCreation: true });
  t.equal(res.topics[0].errorCode, 0, '249 characters is a legal name');
});

t.test('lookup by topic id: v12+; unknown ids answer UNKNOWN_TOPIC_ID; v10-11 refuse ids', async t => {
  const b = await testBroker(t);
  const c = await testClient(t, b);
  const id = await createTopic(c, 'by-id', 2);
  const unknown = 'AAAAAAAAAAAAAAAAAAAAAQ'; // a well-formed id no topic has
  for (const v of [12, 13]) {
    const res = await c.call(3, v, { topics: [{ name: null, topicId: id }], allowAutoTopicCreation: false });
    t.same(res.topics.map((x: any) => [x.name, x.topicId, x.errorCode, x.partitions.length]), [['by-id', id, 0, 2]], `v${v}: found by id`);
    const miss = await c.call(3, v, { topics: [{ name: null, topicId: unknown }], allowAutoTopicCreation: true });
    t.same(
      miss.topics.map((x: any) => [x.name, x.topicId, x.errorCode, x.partitions]),
      [[null, unknown, ErrorCode.UNKNOWN_TOPIC_ID, []]],
      `v${v}: unknown id`,
    );
  }
  // Kafka: "Topic IDs are not supported in requests for version 10/11" → INVALID_REQUEST for every topic
  for (const v of [10, 11]) {
    const res = await c.call(3, v, { topics: [{ name: null, topicId: id }], allowAutoTopicCreation: false });
    t.same(res.topics.map((x: any) => [x.name, x.topicId, x.errorCode, x.partitions]), [['', id, ErrorCode.INVALID_REQUEST, []]], `v${v}: null name refused`);
    const both = await c.call(3, v, { topics: [{ name: 'by-id', topicId: id }], allowAutoTopicCreation: false });
    t.same(both.topics.map((x: any) => [x.name, x.errorCode]), [['by-id', ErrorCode.INVALID_REQUEST]], `v${v}: a topic id refused`);
  }
  t.same(await topicNames(c), ['by-id'], 'nothing else created');
});

t.test('the advertised address: the one connected to, unless advertised.listeners says otherwise', async t => {
  // listening on every interface: a client coming in through 127.0.0.2 is told 127.0.0.2
  const any = await testBroker(t, { host: '0.0.0.0' });
  for (const host of ['127.0.0.1', '127.0.0.2']) {
    const c = await TestClient.connect(`${host}:${any.port}`);
    t.teardown(() => c.close());
    const res = await c.call(3, 12, { topics: [], allowAutoTopicCreation: false });
    t.same(res.brokers.map((n: any) => [n.nodeId, n.host, n.port]), [[0, host, any.port]], `connected through ${host}`);
  }

  const adv = await testBroker(t, { config: { 'advertised.listeners': 'PLAINTEXT://kafka.example.com:19092' } });
  const c = await testClient(t, adv);
  for (const v of [0, 9, 13]) {
    const res = await c.call(3, v, { topics: v === 0 ? [] : null, allowAutoTopicCreation: false });
    t.same(res.brokers.map((n: any) => [n.nodeId, n.host, n.port]), [[0, 'kafka.example.com', 19092]], `v${v}: advertised.listeners`);
  }
});

t.test('authorized operations: the sentinel unless asked for, every operation when asked (no authorizer)', async t => {
  const b = await testBroker(t);
  const c = await testClient(t, b);
  await createTopic(c, 'ops');
  for (let v = 8; v <= 13; v++) {
    const plain = await c.call(3, v, { topics: named('ops', 'missing'), allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false, includeClusterAuthorizedOperations: false });
    t.same(plain.topics.map((x: any) => x.topicAuthorizedOperations), [NOT_REQUESTED, NOT_REQUESTED], `v${v}: not requested`);
    if (v <= 10) t.equal(plain.clusterAuthorizedOperations, NOT_REQUESTED, `v${v}: cluster ops not requested`);

    const asked = await c.call(3, v, { topics: named('ops', 'missing'), allowAutoTopicCreation: false, includeTopicAuthorizedOperations: true, includeClusterAuthorizedOperations: true });
    const ops = byName(asked);
    t.equal(ops.get('ops').topicAuthorizedOperations, TOPIC_OPS, `v${v}: topic operations`);
    // Kafka fills the operations of every topic answered by name, found or not
    t.equal(ops.get('missing').errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    t.equal(ops.get('missing').topicAuthorizedOperations, TOPIC_OPS, `v${v}: operations of an unknown topic too`);
    if (v <= 10) t.equal(asked.clusterAuthorizedOperations, CLUSTER_OPS, `v${v}: cluster operations`);
  }
});
