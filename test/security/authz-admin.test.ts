// Authorization of the admin APIs with the ACL authorizer, as Kafka 4.1 checks them in KafkaApis,
// ConfigHelper and (for the requests a broker forwards) ControllerApis: CreateTopics, DeleteTopics,
// CreatePartitions, DescribeConfigs, AlterConfigs, IncrementalAlterConfigs, ListConfigResources,
// DescribeLogDirs, AlterReplicaLogDirs, ElectLeaders, Alter/ListPartitionReassignments,
// UpdateFeatures, Describe/AlterClientQuotas and DescribeCluster. The connections are PLAINTEXT,
// so the requester is User:ANONYMOUS.
/* eslint-disable @typescript-eslint/no-explicit-any -- responses decoded from the specs at run time */
import t, { type Test } from 'tap';
import { allow, createTopicDirectly as topic, onCluster, onTopic, securedWithClient } from '../helpers/acls.js';
import { testBroker, testClient } from '../helpers/broker.js';
import { BROKER, BROKER_LOGGER, CLIENT_METRICS, GROUP, SET, TOPIC } from '../helpers/configs.js';
import { ZERO_UUID } from '../helpers/kafka.js';
import { ErrorCode, errorMessage } from '../../src/protocol/errors.js';
import { AclOperation as Op, AclPermissionType as Perm, ResourceType as Res } from '../../src/security/acls.js';

const NOT_REQUESTED = -2147483648;
const bits = (...ops: number[]) => ops.reduce((b, op) => b | (1 << op), 0);
/** Kafka's ClusterAuthorizationException message for a request refused an operation on the cluster. */
const NOT_AUTHORIZED = /^Request Request\(processor=0, connectionId=\S+, session=Session\(User:ANONYMOUS,\/127\.0\.0\.1\), listenerName=ListenerName\(PLAINTEXT\), securityProtocol=PLAINTEXT, buffer=null, envelope=None\) is not authorized\.$/;

/** A secured broker (test/helpers/acls.ts) making one partition per topic, and a client. */
const secured = (t: Test, config: Record<string, string | number | boolean> = {}) => securedWithClient(t, { 'num.partitions': 1, ...config });

t.test('CreateTopics: CREATE on the cluster or the topic; configs only with DESCRIBE_CONFIGS', async t => {
  const { b, c } = await secured(t);
  const create = (names: string[], validateOnly = false) =>
    c.call(19, 7, { topics: names.map(name => ({ name, numPartitions: 2, replicationFactor: -1, assignments: [], configs: [] })), validateOnly, timeoutMs: 5000 });
  allow(b, onTopic('by-topic-acl', Op.CREATE));

  const res = await create(['refused', 'dup', 'dup', 'by-topic-acl', '__cluster_metadata']);
  t.same(
    res.topics.map((x: any) => [x.name, x.errorCode, x.errorMessage]),
    [
      ['by-topic-acl', ErrorCode.NONE, null],
      ['dup', ErrorCode.INVALID_REQUEST, 'Duplicate topic name.'],
      ['refused', ErrorCode.TOPIC_AUTHORIZATION_FAILED, 'Authorization failed.'],
      ['__cluster_metadata', ErrorCode.INVALID_REQUEST, 'Creation of internal topic __cluster_metadata is prohibited.'],
    ],
    'created, then duplicates, then refusals (the metadata topic regardless of ACLs)',
  );
  t.notOk(b.cluster.topic('refused'), 'the refused topic was not created');
  t.notOk(b.cluster.topic('__cluster_metadata'));
  const made = res.topics[0];
  t.ok(b.cluster.topic('by-topic-acl'), 'CREATE on the topic creates it');
  t.same(
    [made.topicId, made.topicConfigErrorCode, made.numPartitions, made.replicationFactor, made.configs],
    [b.cluster.topic('by-topic-acl')!.id, ErrorCode.TOPIC_AUTHORIZATION_FAILED, -1, -1, []],
    'without DESCRIBE_CONFIGS its configs, partition count and replication factor are withheld',
  );

  allow(b, onCluster(Op.CREATE), onTopic('described', Op.DESCRIBE_CONFIGS));
  const [described, other] = (await create(['described', 'other'])).topics;
  t.same([described.errorCode, described.topicConfigErrorCode, described.numPartitions, described.replicationFactor], [ErrorCode.NONE, ErrorCode.NONE, 2, 1], 'CREATE on the cluster; with DESCRIBE_CONFIGS the full answer');
  t.ok(described.configs.some((x: any) => x.name === 'cleanup.policy'), 'with its configs');
  t.same([other.errorCode, other.topicConfigErrorCode], [ErrorCode.NONE, ErrorCode.TOPIC_AUTHORIZATION_FAILED], 'CREATE on the cluster creates any topic');
});

t.test('DeleteTopics: DELETE, and DESCRIBE decides what a refusal discloses', async t => {
  const { b, c } = await secured(t);
  const ids = { seen: topic(b, 'seen'), unseen: topic(b, 'unseen'), doomed: topic(b, 'doomed'), doomed2: topic(b, 'doomed2') };
  allow(b, onTopic('seen', Op.DESCRIBE), onTopic('doomed', Op.DELETE), onTopic('doomed2', Op.DELETE), onTopic('absent', Op.DESCRIBE));
  const refused = errorMessage(ErrorCode.TOPIC_AUTHORIZATION_FAILED);

  const byName = await c.call(20, 5, { topicNames: ['seen', 'unseen', 'absent', 'nowhere', 'doomed'], timeoutMs: 5000 });
  t.same(
    byName.responses.map((x: any) => [x.name, x.errorCode, x.errorMessage]),
    [
      ['seen', ErrorCode.TOPIC_AUTHORIZATION_FAILED, refused],
      ['unseen', ErrorCode.TOPIC_AUTHORIZATION_FAILED, refused],
      ['absent', ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)],
      ['nowhere', ErrorCode.TOPIC_AUTHORIZATION_FAILED, refused],
      ['doomed', ErrorCode.NONE, null],
    ],
    'by name: a topic it may not describe is refused whether it exists or not',
  );
  t.ok(b.cluster.topic('seen') && b.cluster.topic('unseen'), 'the refused topics remain');
  t.notOk(b.cluster.topic('doomed'), 'the allowed one is deleted');

  const byId = await c.call(20, 6, { topics: [ids.seen, ids.unseen, ids.doomed2].map(topicId => ({ name: null, topicId })), timeoutMs: 5000 });
  t.same(
    byId.responses.map((x: any) => [x.name, x.topicId, x.errorCode]),
    [
      ['seen', ids.seen, ErrorCode.TOPIC_AUTHORIZATION_FAILED],
      [null, ids.unseen, ErrorCode.TOPIC_AUTHORIZATION_FAILED],
      ['doomed2', ids.doomed2, ErrorCode.NONE],
    ],
    'by id: the name only to a requester that may describe it',
  );

  allow(b, onCluster(Op.DELETE));
  const all = await c.call(20, 5, { topicNames: ['seen', 'unseen'], timeoutMs: 5000 });
  t.same(all.responses.map((x: any) => x.errorCode), [ErrorCode.NONE, ErrorCode.NONE], 'DELETE on the cluster allows every topic');
  t.notOk(b.cluster.topic('unseen'));
});

t.test('CreatePartitions: ALTER on the topic', async t => {
  const { b, c } = await secured(t);
  topic(b, 'grow');
  topic(b, 'fixed');
  allow(b, onTopic('grow', Op.ALTER));
  const res = await c.call(37, 3, { topics: ['grow', 'fixed', 'ghost'].map(name => ({ name, count: 3, assignments: null })), timeoutMs: 5000 });
  t.same(
    res.results.map((x: any) => [x.name, x.errorCode, x.errorMessage]),
    [
      ['fixed', ErrorCode.TOPIC_AUTHORIZATION_FAILED, null],
      ['ghost', ErrorCode.TOPIC_AUTHORIZATION_FAILED, null],
      ['grow', ErrorCode.NONE, null],
    ],
    'refusals (existing or not, without a message) before the answers',
  );
  t.same([b.cluster.topic('grow')!.partitions.length, b.cluster.topic('fixed')!.partitions.length], [3, 1]);
});

t.test('DescribeConfigs: DESCRIBE_CONFIGS on the topic, the cluster or the group', async t => {
  const { b, c } = await secured(t);
  topic(b, 'open');
  topic(b, 'closed');
  // ALTER_CONFIGS implies DESCRIBE_CONFIGS
  allow(b, onTopic('open', Op.ALTER_CONFIGS));
  const describe = (resources: [number, string][]) =>
    c.call(32, 4, { resources: resources.map(([resourceType, resourceName]) => ({ resourceType, resourceName, configurationKeys: null })), includeSynonyms: false });
  const res = await describe([[TOPIC, 'closed'], [BROKER, '0'], [TOPIC, 'open'], [GROUP, 'g'], [BROKER_LOGGER, '0'], [CLIENT_METRICS, 'm']]);
  const code = (x: any) => [x.resourceType, x.resourceName, x.errorCode, x.errorMessage, x.configs.length > 0];
  t.same(res.results.map(code), [
    [TOPIC, 'open', ErrorCode.NONE, '', true],
    [TOPIC, 'closed', ErrorCode.TOPIC_AUTHORIZATION_FAILED, 'Topic authorization failed.', false],
    [BROKER, '0', ErrorCode.CLUSTER_AUTHORIZATION_FAILED, 'Cluster authorization failed.', false],
    [GROUP, 'g', ErrorCode.GROUP_AUTHORIZATION_FAILED, 'Group authorization failed.', false],
    [BROKER_LOGGER, '0', ErrorCode.CLUSTER_AUTHORIZATION_FAILED, 'Cluster authorization failed.', false],
    [CLIENT_METRICS, 'm', ErrorCode.CLUSTER_AUTHORIZATION_FAILED, 'Cluster authorization failed.', false],
  ], 'answers first, then the refusals with the code\'s default text');

  allow(b, onCluster(Op.DESCRIBE_CONFIGS));
  const broker = await describe([[BROKER, '0'], [BROKER_LOGGER, '0']]);
  t.same(broker.results.map((x: any) => [x.errorCode, x.configs.length > 0]), [[ErrorCode.NONE, true], [ErrorCode.NONE, true]], 'DESCRIBE_CONFIGS on the cluster: brokers and loggers');

  const unknownType = await describe([[TOPIC, 'open'], [99, 'x']]);
  t.same(unknownType.results.map((x: any) => x.errorCode), [ErrorCode.INVALID_REQUEST, ErrorCode.INVALID_REQUEST], 'an unknown type still fails the whole request');
});

t.test('AlterConfigs and IncrementalAlterConfigs: ALTER_CONFIGS, where Kafka checks it', async t => {
  const { b, c } = await secured(t);
  topic(b, 'tunable');
  topic(b, 'locked');
  allow(b, onTopic('tunable', Op.ALTER_CONFIGS));
  const incremental = (resources: [number, string, [string, number, string | null][]][]) =>
    c.call(44, 1, { resources: resources.map(([resourceType, resourceName, configs]) => ({ resourceType, resourceName, configs: configs.map(([name, configOperation, value]) => ({ name, configOperation, value })) })), validateOnly: false });
  const rows = (res: any) => res.responses.map((x: any) => [x.resourceType, x.resourceName, x.errorCode, x.errorMessage]);

  const res = await incremental([
    [TOPIC, 'tunable', [['retention.ms', SET, '5000']]],
    [TOPIC, 'locked', [['retention.ms', SET, '5000']]],
    [TOPIC, 'locked-and-bad', [['retention.ms', SET, 'soon']]],
    [BROKER, '0', [['log.retention.ms', SET, '3000']]],
    [BROKER, '0', [['log.retention.ms', SET, '3000']]],
    [BROKER, '', [['log.retention.ms', SET, 'soon']]],
    [BROKER_LOGGER, '7', [['root', SET, 'DEBUG']]],
    [GROUP, 'g', [['consumer.session.timeout.ms', SET, '50000']]],
    [CLIENT_METRICS, 'm', [['interval.ms', SET, '1000']]],
  ]);
  t.same(rows(res), [
    [TOPIC, 'tunable', ErrorCode.NONE, null],
    [TOPIC, 'locked', ErrorCode.TOPIC_AUTHORIZATION_FAILED, 'Topic authorization failed.'],
    [TOPIC, 'locked-and-bad', ErrorCode.TOPIC_AUTHORIZATION_FAILED, 'Topic authorization failed.'],
    [BROKER, '0', ErrorCode.INVALID_REQUEST, 'Each resource must appear at most once.'],
    [BROKER, '0', ErrorCode.INVALID_REQUEST, 'Each resource must appear at most once.'],
    [BROKER, '', ErrorCode.INVALID_REQUEST, res.responses[5].errorMessage],
    [BROKER_LOGGER, '7', ErrorCode.CLUSTER_AUTHORIZATION_FAILED, null],
    [GROUP, 'g', ErrorCode.GROUP_AUTHORIZATION_FAILED, 'Group authorization failed.'],
    [CLIENT_METRICS, 'm', ErrorCode.CLUSTER_AUTHORIZATION_FAILED, 'Cluster authorization failed.'],
  ], 'topics are authorized before their configs are checked; a broker\'s configs are checked first; the logger before its node id');
  t.equal(b.cluster.topic('tunable')!.configs.get('retention.ms'), '5000', 'the allowed change was made');
  t.equal(b.cluster.topic('locked')!.configs.get('retention.ms'), undefined, 'the refused one was not');

  const legacy = await c.call(33, 2, { resources: [{ resourceType: BROKER, resourceName: '0', configs: [{ name: 'log.retention.ms', value: '3000' }] }, { resourceType: TOPIC, resourceName: 'locked', configs: [{ name: 'retention.ms', value: '1' }] }], validateOnly: false });
  t.same(rows(legacy), [
    [BROKER, '0', ErrorCode.CLUSTER_AUTHORIZATION_FAILED, 'Cluster authorization failed.'],
    [TOPIC, 'locked', ErrorCode.TOPIC_AUTHORIZATION_FAILED, 'Topic authorization failed.'],
  ], 'AlterConfigs alike');
  t.equal(b.cluster.dynamicConfigs.broker('0').get('log.retention.ms'), undefined, 'no broker config changed');

  allow(b, onCluster(Op.ALTER_CONFIGS));
  const granted = await incremental([[BROKER, '0', [['log.retention.ms', SET, '3000']]], [BROKER_LOGGER, '7', [['root', SET, 'DEBUG']]]]);
  t.same(rows(granted).map((r: any[]) => r[2]), [ErrorCode.NONE, ErrorCode.INVALID_REQUEST], 'with ALTER_CONFIGS on the cluster: the change is made, the logger reaches its node id check');
});

t.test('ListConfigResources, DescribeLogDirs, AlterReplicaLogDirs: permissions on the cluster', async t => {
  const { b, c } = await secured(t);
  topic(b, 'logs');
  const list = await c.call(74, 1, { resourceTypes: [] });
  t.same([list.errorCode, list.configResources], [ErrorCode.CLUSTER_AUTHORIZATION_FAILED, []], 'ListConfigResources: DESCRIBE_CONFIGS on the cluster');
  const listBad = await c.call(74, 1, { resourceTypes: [99] });
  t.equal(listBad.errorCode, ErrorCode.CLUSTER_AUTHORIZATION_FAILED, 'checked before the types');

  for (const v of [1, 4]) {
    const dirs = await c.call(35, v, { topics: null });
    t.same(dirs.results, [], `DescribeLogDirs v${v}: no results`);
    if (v >= 3) t.equal(dirs.errorCode, ErrorCode.CLUSTER_AUTHORIZATION_FAILED, `v${v}: the top-level error`);
  }
  const move = await c.call(34, 2, { dirs: [{ path: 'memory', topics: [{ name: 'logs', partitions: [0, 1] }] }] });
  t.same(move.results.map((x: any) => [x.topicName, x.partitions.map((p: any) => [p.partitionIndex, p.errorCode])]), [['logs', [[0, ErrorCode.CLUSTER_AUTHORIZATION_FAILED], [1, ErrorCode.CLUSTER_AUTHORIZATION_FAILED]]]], 'AlterReplicaLogDirs: every partition');

  allow(b, onCluster(Op.DESCRIBE_CONFIGS), onCluster(Op.ALTER));
  const listed = await c.call(74, 1, { resourceTypes: [] });
  t.equal(listed.errorCode, ErrorCode.NONE);
  t.ok(listed.configResources.some((x: any) => x.resourceName === 'logs'), 'listed once allowed');
  const dirs = await c.call(35, 4, { topics: null });
  t.same([dirs.errorCode, dirs.results.length], [ErrorCode.NONE, 1], 'ALTER implies DESCRIBE on the cluster');
  const moved = await c.call(34, 2, { dirs: [{ path: dirs.results[0].logDir, topics: [{ name: 'logs', partitions: [0] }] }] });
  t.equal(moved.results[0].partitions[0].errorCode, ErrorCode.NONE);
});

t.test('ElectLeaders, partition reassignments, UpdateFeatures: refused first, with the request in the message', async t => {
  const { b, c } = await secured(t);
  topic(b, 'p');
  const elect = await c.call(43, 2, { electionType: 7, topicPartitions: [{ topic: 'p', partitions: [0] }], timeoutMs: 5000 });
  t.equal(elect.errorCode, ErrorCode.CLUSTER_AUTHORIZATION_FAILED, 'ElectLeaders: ALTER, checked before the election type');
  t.match(elect.replicaElectionResults[0].partitionResult[0], { partitionId: 0, errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, errorMessage: NOT_AUTHORIZED });

  const alter = await c.call(45, 0, { topics: [{ name: 'p', partitions: [{ partitionIndex: 0, replicas: [0] }] }], timeoutMs: 5000 });
  t.equal(alter.errorCode, ErrorCode.CLUSTER_AUTHORIZATION_FAILED, 'AlterPartitionReassignments: ALTER');
  t.match(alter.errorMessage, NOT_AUTHORIZED);
  t.equal(alter.responses[0].partitions[0].errorCode, ErrorCode.CLUSTER_AUTHORIZATION_FAILED);

  const list = await c.call(46, 0, { topics: null, timeoutMs: 5000 });
  t.equal(list.errorCode, ErrorCode.CLUSTER_AUTHORIZATION_FAILED, 'ListPartitionReassignments: DESCRIBE');
  t.match(list.errorMessage, NOT_AUTHORIZED);

  const features = await c.call(57, 1, { featureUpdates: [{ feature: 'no.such.feature', maxVersionLevel: 1, upgradeType: 1, allowDowngrade: false }], validateOnly: true, timeoutMs: 5000 });
  t.equal(features.errorCode, ErrorCode.CLUSTER_AUTHORIZATION_FAILED, 'UpdateFeatures: ALTER, before the features are looked at');
  t.match(features.errorMessage, NOT_AUTHORIZED);
  t.same(features.results, []);

  allow(b, onCluster(Op.DESCRIBE));
  t.equal((await c.call(46, 0, { topics: null, timeoutMs: 5000 })).errorCode, ErrorCode.NONE, 'DESCRIBE lists reassignments');
  t.equal((await c.call(45, 0, { topics: [], timeoutMs: 5000 })).errorCode, ErrorCode.CLUSTER_AUTHORIZATION_FAILED, 'but does not alter them');
  allow(b, onCluster(Op.ALTER));
  const elected = await c.call(43, 2, { electionType: 0, topicPartitions: [{ topic: 'p', partitions: [0] }], timeoutMs: 5000 });
  t.equal(elected.errorCode, ErrorCode.NONE, 'ALTER: ElectLeaders proceeds');
  t.not(elected.replicaElectionResults[0].partitionResult[0].errorCode, ErrorCode.CLUSTER_AUTHORIZATION_FAILED);
  const featuresNow = await c.call(57, 1, { featureUpdates: [{ feature: 'no.such.feature', maxVersionLevel: 1, upgradeType: 1, allowDowngrade: false }], validateOnly: true, timeoutMs: 5000 });
  t.not(featuresNow.errorCode, ErrorCode.CLUSTER_AUTHORIZATION_FAILED, 'ALTER: UpdateFeatures reaches its own checks');
});

t.test('Describe/AlterClientQuotas: DESCRIBE_CONFIGS / ALTER_CONFIGS on the cluster', async t => {
  const { b, c } = await secured(t);
  const entity = [{ entityType: 'client-id', entityName: 'app' }];
  const alter = () => c.call(49, 1, { entries: [{ entity, ops: [{ key: 'producer_byte_rate', value: 1024, remove: false }] }], validateOnly: false });
  const describe = () => c.call(48, 1, { components: [{ entityType: 'client-id', matchType: 2, match: null }], strict: false });

  const refusedAlter = await alter();
  t.same(refusedAlter.entries.map((x: any) => [x.errorCode, x.errorMessage, x.entity]), [[ErrorCode.CLUSTER_AUTHORIZATION_FAILED, 'Cluster authorization failed.', entity]], 'AlterClientQuotas: each entry, the code\'s default text');
  const refusedDescribe = await describe();
  t.same([refusedDescribe.errorCode, refusedDescribe.errorMessage, refusedDescribe.entries], [ErrorCode.CLUSTER_AUTHORIZATION_FAILED, null, null], 'DescribeClientQuotas: no message, no entries');

  allow(b, onCluster(Op.ALTER_CONFIGS));
  t.equal((await alter()).entries[0].errorCode, ErrorCode.NONE, 'ALTER_CONFIGS alters');
  const described = await describe();
  t.same([described.errorCode, described.entries.length], [ErrorCode.NONE, 1], 'and implies DESCRIBE_CONFIGS');
});

t.test('DescribeCluster: no permission needed; its authorized operations need DESCRIBE', async t => {
  const { b, c } = await secured(t);
  const res = await c.call(60, 1, { includeClusterAuthorizedOperations: true });
  t.same([res.errorCode, res.brokers.length, res.clusterAuthorizedOperations], [ErrorCode.NONE, 1, 0], 'answered; operations 0 without DESCRIBE');
  t.equal((await c.call(60, 1, { includeClusterAuthorizedOperations: false })).clusterAuthorizedOperations, NOT_REQUESTED, 'not asked');
  allow(b, onCluster(Op.DESCRIBE), onCluster(Op.ALTER_CONFIGS), { resourceType: Res.CLUSTER, operation: Op.CLUSTER_ACTION, permissionType: Perm.DENY });
  const ops = await c.call(60, 1, { includeClusterAuthorizedOperations: true });
  t.equal(ops.clusterAuthorizedOperations, bits(Op.DESCRIBE, Op.ALTER_CONFIGS, Op.DESCRIBE_CONFIGS), 'the allowed ones, implied ones included');
});

t.test('without an authorizer every check passes', async t => {
  const b = await testBroker(t, { config: { 'num.partitions': 1 } });
  const c = await testClient(t, b);
  const create = await c.call(19, 7, { topics: [{ name: 'free', numPartitions: 1, replicationFactor: -1, assignments: [], configs: [] }], timeoutMs: 5000 });
  t.same([create.topics[0].errorCode, create.topics[0].topicConfigErrorCode], [ErrorCode.NONE, ErrorCode.NONE]);
  t.ok(create.topics[0].configs.length > 0);
  const cluster = await c.call(60, 1, { includeClusterAuthorizedOperations: true });
  t.equal(cluster.clusterAuthorizedOperations, bits(Op.CREATE, Op.CLUSTER_ACTION, Op.DESCRIBE_CONFIGS, Op.ALTER_CONFIGS, Op.IDEMPOTENT_WRITE, Op.ALTER, Op.DESCRIBE), 'every cluster operation');
  const meta = await c.call(3, 10, { topics: [{ name: 'free', topicId: ZERO_UUID }], includeClusterAuthorizedOperations: true, includeTopicAuthorizedOperations: true, allowAutoTopicCreation: false });
  t.equal(meta.clusterAuthorizedOperations, cluster.clusterAuthorizedOperations);
  t.equal(meta.topics[0].topicAuthorizedOperations, bits(Op.READ, Op.WRITE, Op.CREATE, Op.DESCRIBE, Op.DELETE, Op.ALTER, Op.DESCRIBE_CONFIGS, Op.ALTER_CONFIGS), 'every topic operation');
  t.equal((await c.call(46, 0, { topics: null, timeoutMs: 5000 })).errorCode, ErrorCode.NONE);
  t.equal((await c.call(35, 4, { topics: null })).errorCode, ErrorCode.NONE);
});
