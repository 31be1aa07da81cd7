// Admin APIs through a real, independent client: @platformatic/kafka 1.35.0 (pure JS), against a
// three-node Samsa. kafkajs 2.2.4 and confluent-kafka-python 1.7.0, the clients used elsewhere,
// have none of these calls, so this is the one place their encoding and decoding come from
// someone else's code. Covered, each checked against the cluster's own state where it has one:
//   DescribeCluster (60) v1, DescribeLogDirs (35) through Admin.describeLogDirs,
//   AlterReplicaLogDirs (34) v2, IncrementalAlterConfigs (44) and DescribeConfigs (32) through
//   Admin, DescribeClientQuotas (48) / AlterClientQuotas (49) through Admin, UpdateFeatures (57)
//   v1 with the levels read back from the feature tagged fields of ApiVersions (18) v4 and v3,
//   DescribeTopicPartitions (75) v0, ListConfigResources (74) v0 (the client's
//   listClientMetricsResourcesV0), GetTelemetrySubscriptions (71) / PushTelemetry (72) v0,
//   AlterPartitionReassignments (45) / ListPartitionReassignments (46) v0, and
//   OffsetForLeaderEpoch (23) v4.
// The raw per-version modules throw a ResponseError for any non-zero error code; refusals are
// asserted on its ProtocolErrors (Kafka's error name, code, message) and the parsed response it
// carries. Records are produced with kafkajs, whose produce path is tested elsewhere.
import t, { type Test } from 'tap';
import { Kafka, logLevel } from 'kafkajs';
import * as pk from '@platformatic/kafka';
import { testBroker, waitFor } from '../helpers/broker.js';
import { producerFor } from '../helpers/kafkajs-admin.js';
import { telemetryOf } from '../../src/broker/telemetry.js';
import { ABSENT } from '../../src/cluster/client-quotas.js';
import type { RunningBroker } from '../../src/index.js';

const CLIENT_ID = 'samsa-platformatic-test';

// Kafka's enumerations, spelled out here rather than taken from either side's code
const TOPIC = 2;
const CLIENT_METRICS = 16;
const SET = 0;
const DELETE = 1;
const APPEND = 2;
const SUBTRACT = 3;
const TOPIC_CONFIG = 1;
const DEFAULT_CONFIG = 5;
const CLIENT_METRICS_CONFIG = 7;
const EXACT = 0;
const ANY = 2;
const UPGRADE = 1;
const SAFE_DOWNGRADE = 2;
const BROKERS = 1;
const CONTROLLERS = 2;
const ZERO_UUID = '00000000-0000-0000-0000-000000000000';

/** A Kafka error as the client decoded it from a response. */
interface Problem {
  name: string;
  code: number;
  message: string | null;
  path: string | undefined;
}

interface ClientError {
  code?: string;
  apiId?: string;
  apiCode?: number;
  serverErrorMessage?: string | null;
  path?: string;
  response?: unknown;
  errors?: unknown[];
}

/** The Kafka errors inside a client error (ResponseError, or an Admin MultipleErrors around one). */
function problemsOf(err: unknown): Problem[] {
  const out: Problem[] = [];
  const visit = (e: unknown) => {
    if (e === null || typeof e !== 'object') return;
    const x = e as ClientError;
    if (x.code === 'PLT_KFK_PROTOCOL') out.push({ name: x.apiId!, code: x.apiCode!, message: x.serverErrorMessage ?? null, path: x.path });
    if (Array.isArray(x.errors)) x.errors.forEach(visit);
  };
  visit(err);
  return out;
}

/** The parsed response a ResponseError carries (found anywhere in the error tree). */
function responseOf<T>(err: unknown): T {
  const visit = (e: unknown): unknown => {
    if (e === null || typeof e !== 'object') return undefined;
    const x = e as ClientError;
    if (x.code === 'PLT_KFK_RESPONSE' && x.response !== undefined) return x.response;
    for (const inner of x.errors ?? []) {
      const r = visit(inner);
      if (r !== undefined) return r;
    }
    return undefined;
  };
  const r = visit(err);
  if (r === undefined) throw new Error(`no response in ${String(err)}`);
  return r as T;
}

/** The error a call rejects with; fails the test when it resolves. */
async function refusal(t: Test, p: Promise<unknown>, what: string): Promise<unknown> {
  try {
    const v = await p;
    t.fail(`${what}: expected a refusal, got ${JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? String(x) : x))}`);
    return null;
  } catch (err) {
    return err;
  }
}

const show = (ps: Problem[]) => ps.map(p => [p.name, p.code, p.message]);

/** A raw connection to one node, closed when the test ends. */
async function connectTo(t: Test, b: RunningBroker, nodeId: number): Promise<pk.Connection> {
  const node = b.nodes.find(n => n.nodeId === nodeId)!;
  const conn = new pk.Connection(CLIENT_ID);
  await conn.connect('127.0.0.1', node.port);
  t.teardown(() => conn.close());
  return conn;
}

/** Kafka's 16-byte UUID from the client's dashed hex form, in Samsa's (and Kafka's toString) base64url. */
const uuidBase64 = (uuid: string) => Buffer.from(uuid.replaceAll('-', ''), 'hex').toString('base64url');

interface Features {
  supported: Record<string, [number, number]>;
  finalized: Record<string, number>;
  epoch: bigint;
}

/**
 * ApiVersions (v4 unless asked) through the client's connection, its request from the client's own
 * module and its response read here with the client's Reader: the client's parser stops before
 * the tagged fields that carry the features (0 SupportedFeatures, 1 FinalizedFeaturesEpoch,
 * 2 FinalizedFeatures).
 */
function apiVersionsFeatures(conn: pk.Connection, version: 3 | 4 = 4): Promise<Features> {
  const parse = (_correlationId: number, _apiKey: number, _apiVersion: number, r: pk.Reader): Features => {
    const errorCode = r.readInt16();
    if (errorCode !== 0) throw new Error(`ApiVersions error ${errorCode}`);
    r.readArray(e => [e.readInt16(), e.readInt16(), e.readInt16()]);
    r.readInt32();
    const out: Features = { supported: {}, finalized: {}, epoch: -1n };
    const count = r.readUnsignedVarInt();
    for (let i = 0; i < count; i++) {
      const tag = r.readUnsignedVarInt();
      const size = r.readUnsignedVarInt();
      if (tag === 0) for (const [name, min, max] of r.readArray(e => [e.readString(), e.readInt16(), e.readInt16()] as const)) out.supported[name] = [min, max];
      else if (tag === 1) out.epoch = r.readInt64();
      else if (tag === 2) for (const [name, max] of r.readArray(e => [e.readString(), e.readInt16(), e.readInt16()] as const)) out.finalized[name] = max;
      else r.skip(size);
    }
    return out;
  };
  return new Promise((resolve, reject) => {
    conn.send(18, version, () => (version === 3 ? pk.apiVersionsV3 : pk.apiVersionsV4).createRequest(CLIENT_ID, '1.35.0'), parse, true, false, (err, res) => (err ? reject(err) : resolve(res!)));
  });
}

interface EpochEndOffset {
  topic: string;
  partition: number;
  errorCode: number;
  leaderEpoch: number;
  endOffset: bigint;
}

/**
 * OffsetForLeaderEpoch v4: the client's request encoding and connection, with the response read
 * here in Kafka's field order. The client's own parser (1.35.0) reads a partition's Partition
 * before its ErrorCode, the reverse of OffsetForLeaderEpochResponse.json: an error on partition 0
 * reads as partition code << 16 with no error, and partition p > 0 without one as partition 0 with
 * error code p. Only partition 0 without an error comes through right.
 */
function offsetForLeaderEpoch(conn: pk.Connection, topics: Parameters<typeof pk.offsetForLeaderEpochV4.createRequest>[1]): Promise<EpochEndOffset[]> {
  const parse = (_correlationId: number, _apiKey: number, _apiVersion: number, r: pk.Reader): EpochEndOffset[] => {
    r.readInt32();
    const out = r
      .readArray(topic => {
        const name = topic.readString();
        return topic.readArray(p => ({ topic: name, errorCode: p.readInt16(), partition: p.readInt32(), leaderEpoch: p.readInt32(), endOffset: p.readInt64() }));
      })
      .flat();
    r.readTaggedFields();
    if (r.remaining !== 0) throw new Error(`OffsetForLeaderEpoch: ${r.remaining} bytes left unread`);
    return out;
  };
  return new Promise((resolve, reject) => {
    conn.send(23, 4, () => pk.offsetForLeaderEpochV4.createRequest(-1, topics), parse, true, true, (err, res) => (err ? reject(err) : resolve(res!)));
  });
}

/** Java's Uuid.hashCode (the XOR of its four 32-bit words), for Kafka's subscription id. */
function javaUuidHash(uuid: string): number {
  const b = Buffer.from(uuid.replaceAll('-', ''), 'hex');
  return b.readInt32BE(0) ^ b.readInt32BE(4) ^ b.readInt32BE(8) ^ b.readInt32BE(12);
}

// One three-node cluster for the file, each subtest with topics of its own. Followers a
// reassignment adds catch up after replica.fetch.wait.max.ms (500 ms by default).
const b = await testBroker(t, { nodes: 3 });
const admin = new pk.Admin({ clientId: CLIENT_ID, bootstrapBrokers: [b.bootstrap], retries: 0 });
t.teardown(() => admin.close());
const kafka = new Kafka({ clientId: CLIENT_ID, brokers: b.nodes.map(n => n.bootstrap), logLevel: logLevel.NOTHING, retry: { retries: 5, initialRetryTime: 50, maxRetryTime: 500 } });
const producer = await producerFor(t, kafka);
const conn0 = await connectTo(t, b, 0);

async function createTopic(name: string, assignments: number[][]): Promise<string> {
  const [created] = await admin.createTopics({ topics: [name], assignments: assignments.map((brokers, partition) => ({ partition, brokers })) });
  return created!.id;
}

type ConfigResource = pk.IncrementalAlterConfigsOptions['resources'][number];

/** IncrementalAlterConfigs through Admin: changes to one resource's configs. */
function alterConfigs(resourceType: ConfigResource['resourceType'], resourceName: string, configs: ConfigResource['configs'], validateOnly = false): Promise<void> {
  return admin.incrementalAlterConfigs({ resources: [{ resourceType, resourceName, configs }], validateOnly });
}

t.test('DescribeCluster v1: the cluster id, the controller, the three brokers and their ports', async t => {
  const res = await pk.describeClusterV1.api.async(conn0, true, BROKERS);
  t.equal(res.errorCode, 0);
  t.equal(res.endpointType, BROKERS);
  t.equal(res.clusterId, b.clusterId);
  t.equal(res.controllerId, b.cluster.controllerId);
  t.equal(res.controllerId, 0, 'the first live node');
  t.same(
    res.brokers.map(x => [x.brokerId, x.host, x.port, x.rack]),
    b.nodes.map(n => [n.nodeId, '127.0.0.1', n.port, null]),
  );
  t.same(new Set(b.nodes.map(n => n.port)).size, 3, 'three distinct ports');
  t.ok(res.clusterAuthorizedOperations > 0, 'authorized operations when asked for');
  const without = await pk.describeClusterV1.api.async(conn0, false, BROKERS);
  t.equal(without.clusterAuthorizedOperations, -2147483648, 'INT32 min when not asked for');
  const other = await connectTo(t, b, 2);
  t.same((await pk.describeClusterV1.api.async(other, false, BROKERS)).brokers.map(x => x.port), b.nodes.map(n => n.port), 'node 2 answers the same');
  const err = await refusal(t, pk.describeClusterV1.api.async(conn0, false, CONTROLLERS), 'controller endpoints');
  t.same(show(problemsOf(err)), [['MISMATCHED_ENDPOINT_TYPE', 114, 'The request was sent to an endpoint of type BROKER, but we wanted an endpoint of type CONTROLLER']]);
});

t.test('DescribeLogDirs through Admin, then AlterReplicaLogDirs v2 to that directory and to a bogus one', async t => {
  await createTopic('logdirs', [
    [0, 1],
    [1, 2],
  ]);
  await producer.send({ topic: 'logdirs', messages: [{ partition: 0, value: 'a' }, { partition: 0, value: 'bb' }, { partition: 1, value: 'ccc' }] });
  const parts = b.cluster.topic('logdirs')!.partitions;
  t.ok(parts[0]!.log.sizeInBytes > 0 && parts[1]!.log.sizeInBytes > 0, 'data in both partitions');

  const described = await admin.describeLogDirs({ topics: [{ name: 'logdirs', partitions: [0, 1] }] });
  t.same(described.map(d => d.broker).sort(), [0, 1, 2], 'every broker answered');
  const byBroker = new Map(described.map(d => [d.broker, d]));
  const expected: Record<number, number[]> = { 0: [0], 1: [0, 1], 2: [1] };
  let logDir = '';
  for (const [broker, held] of Object.entries(expected)) {
    const d = byBroker.get(Number(broker))!;
    t.equal(d.results.length, 1, `broker ${broker}: one log directory`);
    const dir = d.results[0]!;
    logDir = dir.logDir;
    t.ok(dir.logDir.length > 0, `broker ${broker}: its log directory is named (${dir.logDir})`);
    const topic = dir.topics.find(x => x.name === 'logdirs');
    t.same(
      topic?.partitions.map(p => [p.partitionIndex, p.partitionSize, p.offsetLag, p.isFutureKey]),
      held.map(i => [i, BigInt(parts[i]!.log.sizeInBytes), 0n, false]),
      `broker ${broker}: the partitions it holds, with their sizes`,
    );
  }

  // node 1 holds both partitions: moving them to the directory they are in is accepted
  const conn1 = await connectTo(t, b, 1);
  const ok = await pk.alterReplicaLogDirsV2.api.async(conn1, [{ path: logDir, topics: [{ name: 'logdirs', partitions: [0, 1] }] }]);
  t.same(ok.results.map(r => [r.topicName, r.partitions.map(p => [p.partitionIndex, p.errorCode])]), [['logdirs', [[0, 0], [1, 0]]]]);

  // node 0 holds only partition 0: Kafka answers REPLICA_NOT_AVAILABLE for the other, per partition
  let err = await refusal(t, pk.alterReplicaLogDirsV2.api.async(conn0, [{ path: logDir, topics: [{ name: 'logdirs', partitions: [0, 1] }, { name: 'nope', partitions: [0] }] }]), 'partitions not held');
  t.same(
    problemsOf(err).map(p => [p.path, p.name, p.code]),
    [
      ['/results/0/partitions/1', 'REPLICA_NOT_AVAILABLE', 9],
      ['/results/1/partitions/0', 'UNKNOWN_TOPIC_OR_PARTITION', 3],
    ],
  );
  type AlterDirs = Awaited<ReturnType<typeof pk.alterReplicaLogDirsV2.api.async>>;
  t.same(
    responseOf<AlterDirs>(err).results.map(r => [r.topicName, r.partitions.map(p => [p.partitionIndex, p.errorCode])]),
    [
      ['logdirs', [[0, 0], [1, 9]]],
      ['nope', [[0, 3]]],
    ],
    'partition 0 accepted in the same answer',
  );

  err = await refusal(t, pk.alterReplicaLogDirsV2.api.async(conn1, [{ path: '/no/such/log/dir', topics: [{ name: 'logdirs', partitions: [0, 1] }] }]), 'a bogus directory');
  t.same(
    problemsOf(err).map(p => [p.path, p.name, p.code]),
    [
      ['/results/0/partitions/0', 'LOG_DIR_NOT_FOUND', 57],
      ['/results/0/partitions/1', 'LOG_DIR_NOT_FOUND', 57],
    ],
  );
  const again = await admin.describeLogDirs({ topics: [{ name: 'logdirs', partitions: [0, 1] }] });
  t.same(
    again.map(d => [d.broker, d.results.map(r => r.logDir)]).sort(),
    described.map(d => [d.broker, d.results.map(r => r.logDir)]).sort(),
    'the replicas stay where they were',
  );
});

t.test('IncrementalAlterConfigs through Admin: SET, APPEND, SUBTRACT, DELETE on a topic, read back with describeConfigs', async t => {
  await createTopic('configs', [[0, 1, 2]]);
  const own = () => Object.fromEntries(b.cluster.topic('configs')!.configs);
  const read = async (names: string[]) => {
    const [res] = await admin.describeConfigs({ resources: [{ resourceType: TOPIC, resourceName: 'configs', configurationKeys: names }] });
    t.equal(res!.resourceName, 'configs');
    return Object.fromEntries(res!.configs.map(c => [c.name, [c.value, c.configSource]]));
  };
  t.same(await read(['retention.ms', 'cleanup.policy']), { 'retention.ms': ['604800000', DEFAULT_CONFIG], 'cleanup.policy': ['delete', DEFAULT_CONFIG] }, 'the defaults');

  await alterConfigs(TOPIC, 'configs', [
    { name: 'retention.ms', configOperation: SET, value: '3600000' },
    { name: 'cleanup.policy', configOperation: APPEND, value: 'compact' },
  ]);
  t.same(await read(['retention.ms', 'cleanup.policy']), { 'retention.ms': ['3600000', TOPIC_CONFIG], 'cleanup.policy': ['delete,compact', TOPIC_CONFIG] }, 'SET, and APPEND to the default list');
  t.same(own(), { 'retention.ms': '3600000', 'cleanup.policy': 'delete,compact' });
  t.same([b.cluster.topic('configs')!.settings.log.retentionMs, b.cluster.topic('configs')!.settings.log.compact], [3600000, true], 'in force at once');

  await alterConfigs(TOPIC, 'configs', [
    { name: 'cleanup.policy', configOperation: SUBTRACT, value: 'delete' },
    { name: 'retention.ms', configOperation: DELETE },
  ]);
  t.same(await read(['retention.ms', 'cleanup.policy']), { 'retention.ms': ['604800000', DEFAULT_CONFIG], 'cleanup.policy': ['compact', TOPIC_CONFIG] }, 'SUBTRACT, and DELETE back to the default');
  t.same(own(), { 'cleanup.policy': 'compact' });

  const before = own();
  for (const validateOnly of [true, false]) {
    const err = await refusal(
      t,
      alterConfigs(TOPIC, 'configs', [{ name: 'retention.ms', configOperation: SET, value: '5' }, { name: 'no.such.config', configOperation: SET, value: '1' }], validateOnly),
      'an unknown config',
    );
    t.same(show(problemsOf(err)), [['INVALID_CONFIG', 40, 'Unknown topic config name: no.such.config']], `an unknown config name${validateOnly ? ' (validateOnly)' : ''}`);
  }
  const err = await refusal(t, alterConfigs(TOPIC, 'configs', [{ name: 'retention.ms', configOperation: APPEND, value: '5' }]), 'APPEND to a non-list');
  t.same(show(problemsOf(err)), [['INVALID_CONFIG', 40, 'Can\'t APPEND to key retention.ms because its type is not LIST.']]);
  t.same(own(), before, 'nothing changed');
  t.same(await read(['retention.ms']), { 'retention.ms': ['604800000', DEFAULT_CONFIG] });
});

t.test('AlterClientQuotas / DescribeClientQuotas through Admin: set, described by exact and match filters, removed, refused', async t => {
  const answers = await admin.alterClientQuotas({
    entries: [
      { entities: [{ entityType: 'user', entityName: 'alice' }, { entityType: 'client-id', entityName: 'app' }], ops: [{ key: 'producer_byte_rate', value: 1024, remove: false }] },
      { entities: [{ entityType: 'user', entityName: 'alice' }], ops: [{ key: 'consumer_byte_rate', value: 2048, remove: false }, { key: 'request_percentage', value: 12.5, remove: false }] },
    ],
  });
  t.same(
    answers.map(a => [a.errorCode, a.errorMessage, a.entity.map(e => `${e.entityType}=${e.entityName}`).join(',')]).sort(),
    [
      [0, null, 'client-id=app,user=alice'],
      [0, null, 'user=alice'],
    ],
    'each entity answered; Kafka lists client-id before user',
  );
  t.same(
    [b.cluster.clientQuotas.quota('producer_byte_rate', 'alice', 'app'), b.cluster.clientQuotas.quota('consumer_byte_rate', 'alice', ABSENT), b.cluster.clientQuotas.quota('producer_byte_rate', 'alice', ABSENT)],
    [1024, 2048, undefined],
    'stored per entity',
  );

  type Entry = Awaited<ReturnType<typeof admin.describeClientQuotas>>[number];
  const text = (entries: Entry[]) =>
    entries
      .map(e => `${e.entity.map(x => `${x.entityType}=${x.entityName ?? '<default>'}`).join(',')}: ${e.values.map(v => `${v.key}=${v.value}`).sort().join(',')}`)
      .sort();
  const both = ['client-id=app,user=alice: producer_byte_rate=1024', 'user=alice: consumer_byte_rate=2048,request_percentage=12.5'];
  t.same(text(await admin.describeClientQuotas({ components: [{ entityType: 'user', matchType: EXACT, match: 'alice' }] })), both, 'exact user: alone and with a client id');
  t.same(text(await admin.describeClientQuotas({ components: [{ entityType: 'user', matchType: EXACT, match: 'alice' }], strict: true })), [both[1]], 'exact user, strict');
  t.same(text(await admin.describeClientQuotas({ components: [{ entityType: 'client-id', matchType: ANY }] })), [both[0]], 'any client id');
  t.same(
    text(await admin.describeClientQuotas({ components: [{ entityType: 'user', matchType: ANY }, { entityType: 'client-id', matchType: EXACT, match: 'app' }], strict: true })),
    [both[0]],
    'any user with client id app',
  );
  t.same(text(await admin.describeClientQuotas({ components: [{ entityType: 'user', matchType: EXACT, match: 'bob' }] })), [], 'an unknown user: nothing');

  await admin.alterClientQuotas({ entries: [{ entities: [{ entityType: 'user', entityName: 'alice' }, { entityType: 'client-id', entityName: 'app' }], ops: [{ key: 'producer_byte_rate', remove: true }] }] });
  t.same(text(await admin.describeClientQuotas({ components: [{ entityType: 'user', matchType: EXACT, match: 'alice' }] })), [both[1]], 'removed: an entity without values is gone');
  t.equal(b.cluster.clientQuotas.quota('producer_byte_rate', 'alice', 'app'), undefined);

  const size = b.cluster.clientQuotas.size;
  for (const validateOnly of [true, false]) {
    const err = await refusal(
      t,
      admin.alterClientQuotas({
        // the client's types name only user and client-id; the broker is who must refuse the rest
        entries: [{ entities: [{ entityType: 'group' as 'user', entityName: 'g' }], ops: [{ key: 'producer_byte_rate', value: 5, remove: false }] }],
        validateOnly,
      }),
      'a bad entity type',
    );
    t.same(show(problemsOf(err)), [['INVALID_REQUEST', 42, 'Unhandled client quota entity type: group']], `an unknown entity type${validateOnly ? ' (validateOnly)' : ''}`);
  }
  const err = await refusal(t, admin.alterClientQuotas({ entries: [{ entities: [{ entityType: 'user', entityName: 'carol' }], ops: [{ key: 'producer_byte_rate', value: -1, remove: false }] }] }), 'a negative rate');
  t.same(show(problemsOf(err)), [['INVALID_REQUEST', 42, 'Quota producer_byte_rate must be greater than 0']]);
  t.equal(b.cluster.clientQuotas.size, size, 'nothing stored');
  t.same(text(await admin.describeClientQuotas({ components: [{ entityType: 'user', matchType: ANY }] })), [both[1]], 'only alice\'s own quota remains');
  const bad = await refusal(t, admin.describeClientQuotas({ components: [{ entityType: 'group' as 'user', matchType: ANY }] }), 'a filter on an unknown type');
  t.same(show(problemsOf(bad)), [['UNSUPPORTED_VERSION', 35, 'Unsupported entity type group']]);
});

t.test('UpdateFeatures v1: validate-only and real downgrades and upgrades, seen in ApiVersions; refusals change nothing', async t => {
  const start = await apiVersionsFeatures(conn0);
  t.same(start.supported['transaction.version'], [0, 2], 'transaction.version supported 0-2');
  t.same(start.supported['group.version'], [0, 1]);
  t.same([start.finalized['transaction.version'], start.finalized['group.version']], [2, 1], 'finalized at their defaults');
  t.equal(start.epoch, BigInt(b.cluster.features.epoch), 'the epoch the cluster holds');
  const v3 = await apiVersionsFeatures(conn0, 3);
  t.same([v3.supported['metadata.version'], v3.supported['transaction.version'], v3.finalized], [start.supported['metadata.version'], undefined, start.finalized], 'v3 leaves out ranges from 0 (KAFKA-17492)');
  const update = (features: { feature: string; maxVersionLevel: number; upgradeType: number }[], validateOnly: boolean) => pk.updateFeaturesV1.api.async(conn0, 60000, features, validateOnly);

  let res = await update([{ feature: 'transaction.version', maxVersionLevel: 1, upgradeType: SAFE_DOWNGRADE }], true);
  t.same([res.errorCode, res.errorMessage, res.results], [0, null, [{ feature: 'transaction.version', errorCode: 0, errorMessage: 'NONE' }]], 'validate-only: v1 answers per feature');
  t.same(await apiVersionsFeatures(conn0), start, 'validate-only changed nothing, the epoch included');

  res = await update([{ feature: 'transaction.version', maxVersionLevel: 1, upgradeType: SAFE_DOWNGRADE }, { feature: 'group.version', maxVersionLevel: 0, upgradeType: SAFE_DOWNGRADE }], false);
  t.same(res.results.map(r => [r.feature, r.errorCode]).sort(), [['group.version', 0], ['transaction.version', 0]]);
  let now = await apiVersionsFeatures(conn0);
  t.equal(now.finalized['transaction.version'], 1, 'transaction.version downgraded');
  t.equal(now.finalized['group.version'], undefined, 'group.version at level 0 is no longer finalized');
  t.equal(now.epoch, start.epoch + 1n, 'one epoch for the request');
  t.same([b.cluster.features.level('transaction.version'), b.cluster.features.level('group.version')], [1, 0]);
  const conn2 = await connectTo(t, b, 2);
  t.same((await apiVersionsFeatures(conn2)).finalized, now.finalized, 'every node reports the same levels');

  res = await update([{ feature: 'transaction.version', maxVersionLevel: 2, upgradeType: UPGRADE }, { feature: 'group.version', maxVersionLevel: 1, upgradeType: UPGRADE }], false);
  t.equal(res.errorCode, 0);
  now = await apiVersionsFeatures(conn0);
  t.same([now.finalized['transaction.version'], now.finalized['group.version'], now.epoch], [2, 1, start.epoch + 2n], 'upgraded back');

  const FAILED = 'The update failed for all features since the following feature had an error: ';
  const refusals: [what: string, features: { feature: string; maxVersionLevel: number; upgradeType: number }[], message: string][] = [
    ['a level too high', [{ feature: 'transaction.version', maxVersionLevel: 3, upgradeType: UPGRADE }], 'Invalid update version 3 for feature transaction.version. Local controller 0 only supports versions 0-2'],
    ['an unknown feature', [{ feature: 'no.such.feature', maxVersionLevel: 1, upgradeType: UPGRADE }], 'Invalid update version 1 for feature no.such.feature. Local controller 0 does not support this feature.'],
    [
      'a downgrade typed as an upgrade',
      [{ feature: 'group.version', maxVersionLevel: 0, upgradeType: UPGRADE }],
      'Invalid update version 0 for feature group.version. Can\'t downgrade the version of this feature without setting the upgrade type to either safe or unsafe downgrade.',
    ],
  ];
  for (const [what, features, message] of refusals) {
    for (const validateOnly of [true, false]) {
      const err = await refusal(t, update(features, validateOnly), what);
      t.same(show(problemsOf(err)), [['INVALID_UPDATE_VERSION', 95, FAILED + message]], `${what}${validateOnly ? ' (validate-only)' : ''}`);
      t.same(responseOf<{ results: unknown[] }>(err).results, [], 'no per-feature results');
    }
  }
  t.same(await apiVersionsFeatures(conn0), now, 'the refusals changed nothing');
});

t.test('DescribeTopicPartitions v0: pages across two topics following the cursor', async t => {
  const idA = await createTopic('dtp-a', [
    [0, 1],
    [1, 2],
    [2, 0],
  ]);
  const idB = await createTopic('dtp-b', [
    [1, 0],
    [2, 1],
  ]);
  const topics = [{ name: 'dtp-b' }, { name: 'dtp-a' }];
  const page = (r: Awaited<ReturnType<typeof pk.describeTopicPartitionsV0.api.async>>) => ({
    topics: r.topics.map(x => [x.name, x.partitions.map(p => p.partitionIndex)]),
    next: r.nextCursor === undefined ? null : [r.nextCursor.topicName, r.nextCursor.partitionIndex],
  });

  const first = await pk.describeTopicPartitionsV0.api.async(conn0, topics, 2);
  t.same(page(first), { topics: [['dtp-a', [0, 1]]], next: ['dtp-a', 2] }, 'sorted by name; cut inside dtp-a');
  const second = await pk.describeTopicPartitionsV0.api.async(conn0, topics, 2, { topicName: 'dtp-a', partitionIndex: 2 });
  t.same(page(second), { topics: [['dtp-a', [2]], ['dtp-b', [0]]], next: ['dtp-b', 1] }, 'from the cursor, across the topic boundary');
  const third = await pk.describeTopicPartitionsV0.api.async(conn0, topics, 2, { topicName: 'dtp-b', partitionIndex: 1 });
  t.same(page(third), { topics: [['dtp-b', [1]]], next: null }, 'the last page has no cursor');
  const whole = await pk.describeTopicPartitionsV0.api.async(conn0, topics, 100);
  t.same(page(whole), { topics: [['dtp-a', [0, 1, 2]], ['dtp-b', [0, 1]]], next: null }, 'one page when the limit allows');

  // the pages, put together, are the cluster's leadership and the ids the topics were created with
  for (const x of [...first.topics, ...second.topics, ...third.topics]) {
    const topic = b.cluster.topic(x.name!)!;
    t.equal(x.errorCode, 0);
    t.equal(x.topicId, x.name === 'dtp-a' ? idA : idB, `${x.name}: the id CreateTopics answered`);
    t.equal(uuidBase64(x.topicId), topic.id, `${x.name}: the cluster's topic id`);
    t.equal(x.isInternal, false);
    for (const p of x.partitions) {
      const part = topic.partitions[p.partitionIndex]!;
      t.same([p.errorCode, p.leaderId, p.leaderEpoch, p.replicaNodes, p.isrNodes, p.offlineReplicas], [0, part.leader, part.leaderEpoch, part.replicas, part.isr, []], `${x.name}-${p.partitionIndex}`);
    }
  }
  t.same(b.cluster.topic('dtp-b')!.partitions.map(p => p.replicas), [[1, 0], [2, 1]], 'the assignments asked for');

  const err = await refusal(t, pk.describeTopicPartitionsV0.api.async(conn0, [{ name: 'dtp-a' }], 2, { topicName: 'dtp-b', partitionIndex: 0 }), 'a cursor on a topic not asked for');
  t.same(problemsOf(err).map(p => [p.path, p.name]), [['/topics/0', 'INVALID_REQUEST']]);
});

t.test('GetTelemetrySubscriptions / PushTelemetry v0: a client instance id, the default subscription, a push accepted', async t => {
  const telemetry = telemetryOf(b.broker);
  const pushes = telemetry.acceptedPushes;
  const sub = await pk.getTelemetrySubscriptionsV0.api.async(conn0, null);
  t.equal(sub.errorCode, 0);
  t.match(sub.clientInstanceId, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  t.not(sub.clientInstanceId, ZERO_UUID, 'a new client instance id');
  t.same([sub.acceptedCompressionTypes, sub.pushIntervalMs, sub.telemetryMaxBytes, sub.deltaTemporality, sub.requestedMetrics], [[4, 3, 1, 2], 300000, 1048576, true, []], 'no subscription configured');
  // Kafka's subscription id: CRC32C of the metrics set's Java toString and the interval, XOR the id's hash
  t.equal(sub.subscriptionId, (pk.crc32c(Buffer.from('[]300000')) ^ javaUuidHash(sub.clientInstanceId)) | 0, 'Kafka\'s subscription id');

  const id = sub.clientInstanceId;
  const pushed = await pk.pushTelemetryV0.api.async(conn0, id, sub.subscriptionId, false, 0, Buffer.from('otlp-metrics'));
  t.same([pushed.errorCode, pushed.throttleTimeMs], [0, 0], 'the push is accepted');
  t.same([telemetry.acceptedPushes - pushes], [1], 'counted by the node that took it');

  let err = await refusal(t, pk.pushTelemetryV0.api.async(conn0, id, sub.subscriptionId, false, 0, Buffer.from('again')), 'a push within the interval');
  t.same(problemsOf(err).map(p => [p.name, p.code]), [['THROTTLING_QUOTA_EXCEEDED', 89]]);
  err = await refusal(t, pk.getTelemetrySubscriptionsV0.api.async(conn0, id), 'a subscription request within the interval');
  t.same(problemsOf(err).map(p => [p.name, p.code]), [['THROTTLING_QUOTA_EXCEEDED', 89]]);
  t.equal((await pk.pushTelemetryV0.api.async(conn0, id, sub.subscriptionId, true, 0, Buffer.alloc(0))).errorCode, 0, 'a terminating push is not throttled');
  err = await refusal(t, pk.pushTelemetryV0.api.async(conn0, id, sub.subscriptionId, false, 0, Buffer.from('late')), 'a push after terminating');
  t.same(problemsOf(err).map(p => [p.name, p.code]), [['INVALID_REQUEST', 42]]);
  err = await refusal(t, pk.pushTelemetryV0.api.async(conn0, ZERO_UUID, 0, false, 0, Buffer.from('x')), 'the zero id');
  t.same(problemsOf(err).map(p => [p.name, p.code]), [['INVALID_REQUEST', 42]]);
  t.equal(telemetry.acceptedPushes - pushes, 1, 'only the one push was taken');
});

t.test('ListConfigResources v0 (listClientMetricsResourcesV0): client-metrics subscriptions made and removed through Admin', async t => {
  const list = async () => (await pk.listClientMetricsResourcesV0.api.async(conn0)).clientMetricsResources.map(r => r.name).sort();
  t.same(await list(), [], 'none at first');
  await admin.incrementalAlterConfigs({
    resources: [
      {
        resourceType: CLIENT_METRICS,
        resourceName: 'producers',
        configs: [
          { name: 'metrics', configOperation: SET, value: 'org.apache.kafka.producer.' },
          { name: 'interval.ms', configOperation: SET, value: '60000' },
        ],
      },
      { resourceType: CLIENT_METRICS, resourceName: 'everything', configs: [{ name: 'interval.ms', configOperation: SET, value: '120000' }] },
    ],
  });
  t.same(await list(), ['everything', 'producers']);
  // Kafka's ClientMetricsManager serves the subscriptions a new client instance matches (an empty
  // match matches every client): their metrics, and the shortest of their intervals
  const sub = await pk.getTelemetrySubscriptionsV0.api.async(conn0, null);
  t.same(
    [sub.requestedMetrics, sub.pushIntervalMs, sub.subscriptionId],
    [['org.apache.kafka.producer.'], 60000, (pk.crc32c(Buffer.from('[org.apache.kafka.producer.]60000')) ^ javaUuidHash(sub.clientInstanceId)) | 0],
    'GetTelemetrySubscriptions serves the configured subscriptions',
  );
  const conn1 = await connectTo(t, b, 1);
  t.same((await pk.listClientMetricsResourcesV0.api.async(conn1)).clientMetricsResources.map(r => r.name).sort(), ['everything', 'producers'], 'on every node');
  const [described] = await admin.describeConfigs({ resources: [{ resourceType: CLIENT_METRICS, resourceName: 'producers' }] });
  t.same(
    described!.configs.map(c => [c.name, c.value, c.configSource]),
    [
      ['metrics', 'org.apache.kafka.producer.', CLIENT_METRICS_CONFIG],
      ['interval.ms', '60000', CLIENT_METRICS_CONFIG],
      ['match', '', DEFAULT_CONFIG],
    ],
  );
  const err = await refusal(t, alterConfigs(CLIENT_METRICS, 'bad', [{ name: 'interval.ms', configOperation: SET, value: '50' }]), 'an interval too short');
  t.same(show(problemsOf(err)), [['INVALID_REQUEST', 42, 'Invalid value 50 for interval.ms, interval must be between 100 and 3600000 (1 hour)']]);
  t.same(await list(), ['everything', 'producers'], 'a refused subscription is not listed');

  await alterConfigs(CLIENT_METRICS, 'everything', [{ name: 'interval.ms', configOperation: DELETE }]);
  t.same(await list(), ['producers'], 'a subscription with no configs left is gone');
});

t.test('AlterPartitionReassignments / ListPartitionReassignments v0: under way, then completed; a missing node refused', async t => {
  await createTopic('moves', [[0, 1], [1, 2]]);
  const parts = b.cluster.topic('moves')!.partitions;
  t.equal(parts[0]!.leader, 0);
  const res = await pk.alterPartitionReassignmentsV0.api.async(conn0, 10000, true, [{ name: 'moves', partitions: [{ partitionIndex: 0, replicas: [2, 1] }] }]);
  t.same([res.errorCode, res.responses.map(r => [r.name, r.partitions.map(p => [p.partitionIndex, p.errorCode, p.errorMessage])])], [0, [['moves', [[0, 0, null]]]]]);

  const listed = await pk.listPartitionReassignmentsV0.api.async(conn0, 10000, [{ name: 'moves', partitionIndexes: [0, 1] }]);
  t.same(listed.topics, [{ name: 'moves', partitions: [{ partitionIndex: 0, replicas: [2, 1, 0], addingReplicas: [2], removingReplicas: [0] }] }], 'under way: target first, then the replica being removed');
  t.same([parts[0]!.replicas, [...parts[0]!.isr].sort()], [[2, 1, 0], [0, 1]], 'the added replica is not in sync yet');
  const conn2 = await connectTo(t, b, 2);
  t.same((await pk.listPartitionReassignmentsV0.api.async(conn2, 10000, null as unknown as [])).topics.map(x => x.name), ['moves'], 'all reassignments (null topics), through another node');

  await waitFor(async () => (await pk.listPartitionReassignmentsV0.api.async(conn0, 10000, [{ name: 'moves', partitionIndexes: [0] }])).topics.length === 0, 5000, 'the reassignment to complete');
  t.same([parts[0]!.replicas, [...parts[0]!.isr].sort(), parts[0]!.leader], [[2, 1], [1, 2], 2], 'completed: the old leader was removed, the first target replica leads');
  const [md] = (await pk.describeTopicPartitionsV0.api.async(conn0, [{ name: 'moves' }], 10)).topics;
  t.same(md!.partitions.map(p => [p.partitionIndex, p.leaderId, p.replicaNodes]), [[0, 2, [2, 1]], [1, 1, [1, 2]]], 'as DescribeTopicPartitions shows it');

  const before = JSON.stringify(parts.map(p => [p.replicas, p.isr, p.leader, p.leaderEpoch]));
  const err = await refusal(
    t,
    pk.alterPartitionReassignmentsV0.api.async(conn0, 10000, true, [
      { name: 'moves', partitions: [{ partitionIndex: 1, replicas: [1, 7] }, { partitionIndex: 0, replicas: [0, 1] }] },
      { name: 'missing', partitions: [{ partitionIndex: 0, replicas: [0] }] },
    ]),
    'a missing node',
  );
  t.same(
    problemsOf(err).map(p => [p.path, p.name, p.message]),
    [
      ['responses/0/partitions/0', 'INVALID_REPLICA_ASSIGNMENT', 'The manual partition assignment includes broker 7, but no such broker is registered.'],
      ['responses/1/partitions/0', 'UNKNOWN_TOPIC_OR_PARTITION', 'Unable to find a topic named missing.'],
    ],
  );
  type Alter = Awaited<ReturnType<typeof pk.alterPartitionReassignmentsV0.api.async>>;
  const answered = responseOf<Alter>(err);
  t.equal(answered.errorCode, 0, 'no top-level error');
  t.same(answered.responses[0]!.partitions.map(p => p.errorCode), [39, 0], 'the valid partition of the request is reassigned');
  t.not(JSON.stringify(parts.map(p => [p.replicas, p.isr, p.leader, p.leaderEpoch])), before);
  t.same(parts[1]!.replicas, [1, 2], 'the refused partition is unchanged');
  t.same(parts[1]!.addingReplicas, []);
  await waitFor(() => parts[0]!.addingReplicas.length === 0, 5000, 'the second reassignment to complete');
  t.same(parts[0]!.replicas, [0, 1]);
});

t.test('OffsetForLeaderEpoch v4: after a leader move, the old epoch ends where the new one began', async t => {
  // partition 1, so that the index and the error code ahead of it cannot be confused
  await createTopic('epochs', [
    [2, 0],
    [0, 1],
  ]);
  const p = b.cluster.topic('epochs')!.partitions[1]!;
  t.equal(p.leader, 0);
  await producer.send({ topic: 'epochs', messages: [{ partition: 1, value: 'a' }, { partition: 1, value: 'b' }] });
  const oldEpoch = p.leaderEpoch;
  const newEpochStart = p.log.logEndOffset;
  t.equal(newEpochStart, 2);
  b.moveLeader('epochs', 1, 1);
  t.same([p.leader, p.leaderEpoch], [1, oldEpoch + 1]);
  await producer.send({ topic: 'epochs', messages: [{ partition: 1, value: 'c' }, { partition: 1, value: 'd' }, { partition: 1, value: 'e' }] });
  t.equal(p.log.logEndOffset, 5, 'produced to the new leader');

  const conn1 = await connectTo(t, b, 1);
  const ask = (conn: pk.Connection, leaderEpoch: number, currentLeaderEpoch = -1) =>
    offsetForLeaderEpoch(conn, [{ name: 'epochs', partitions: [{ partitionIndex: 1, currentLeaderEpoch, leaderEpoch }] }]).then(r => {
      t.equal(r.length, 1);
      return r[0];
    });
  t.same(await ask(conn1, oldEpoch), { topic: 'epochs', partition: 1, errorCode: 0, leaderEpoch: oldEpoch, endOffset: BigInt(newEpochStart) }, 'the old epoch ends at the offset the new epoch started at');
  t.same(await ask(conn1, oldEpoch + 1, oldEpoch + 1), { topic: 'epochs', partition: 1, errorCode: 0, leaderEpoch: oldEpoch + 1, endOffset: 5n }, 'the current epoch ends at the log end');
  t.same(await ask(conn1, oldEpoch, oldEpoch), { topic: 'epochs', partition: 1, errorCode: 74, leaderEpoch: -1, endOffset: -1n }, 'a stale current epoch: FENCED_LEADER_EPOCH');
  t.same(await ask(conn1, oldEpoch, oldEpoch + 2), { topic: 'epochs', partition: 1, errorCode: 75, leaderEpoch: -1, endOffset: -1n }, 'a current epoch from the future: UNKNOWN_LEADER_EPOCH');
  t.same(await ask(conn0, oldEpoch), { topic: 'epochs', partition: 1, errorCode: 6, leaderEpoch: -1, endOffset: -1n }, 'the old leader: NOT_LEADER_OR_FOLLOWER');
});
