// The config admin APIs on the wire: DescribeConfigs (32), AlterConfigs (33),
// IncrementalAlterConfigs (44) and ListConfigResources (74), every version, against Kafka 4.1's
// answers: TOPIC, BROKER (this node and the cluster-wide default ""), BROKER_LOGGER and
// CLIENT_METRICS resources; config sources and synonyms in Kafka's order; read-only and sensitive
// configs; and the refusals (unknown names, bad values, APPEND on a non-list, read-only broker
// configs, unknown topics, other brokers' ids, duplicates), each with Kafka's code and message and
// changing nothing. Topic config changes, and broker configs topics default to, take effect at
// once (produce limits, the logs' retention settings); they survive a restart in disk mode; and
// with several nodes each node answers for its own id while cluster-wide configs reach them all.
/* eslint-disable @typescript-eslint/no-explicit-any -- responses decoded from the specs at run time */
import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { testBroker, testClient } from '../helpers/broker.js';
import { TestClient } from '../helpers/client.js';
import { APPEND, BROKER, BROKER_LOGGER, CLIENT_METRICS, DELETE, GROUP, SET, SUBTRACT, TOPIC } from '../helpers/configs.js';
import { batch, createTopic, produce } from '../helpers/kafka.js';
import { ErrorCode, errorName } from '../../src/protocol/errors.js';
import { LONG_MAX } from '../../src/cluster/configs.js';
import { DYNAMIC_CONFIGS_FILE } from '../../src/cluster/dynamic-configs.js';

// ConfigSource
const DYNAMIC_TOPIC_CONFIG = 1;
const DYNAMIC_BROKER_CONFIG = 2;
const DYNAMIC_DEFAULT_BROKER_CONFIG = 3;
const STATIC_BROKER_CONFIG = 4;
const DEFAULT_CONFIG = 5;
const DYNAMIC_BROKER_LOGGER_CONFIG = 6;
const CLIENT_METRICS_CONFIG = 7;

// ConfigType
const LONG = 5;
const LIST = 7;
const INT = 3;

const INVALID_REQUEST_TEXT = 'This most likely occurs because of a request being malformed by the client library or the message was sent to an incompatible broker. See the broker logs for more details.';

interface Resource {
  resourceType: number;
  resourceName: string;
  configurationKeys?: string[] | null;
}

async function describeAll(c: TestClient, resources: Resource[], opts: { version?: number; synonyms?: boolean; docs?: boolean } = {}): Promise<any[]> {
  const res = await c.call(32, opts.version ?? 4, {
    resources: resources.map(r => ({ configurationKeys: null, ...r })),
    includeSynonyms: opts.synonyms ?? false,
    includeDocumentation: opts.docs ?? false,
  });
  return res.results;
}

async function describe(c: TestClient, resourceType: number, resourceName: string, opts: { version?: number; synonyms?: boolean; docs?: boolean; keys?: string[] | null } = {}): Promise<any> {
  return (await describeAll(c, [{ resourceType, resourceName, configurationKeys: opts.keys ?? null }], opts))[0];
}

/** One config of a successful describe. */
async function config(c: TestClient, resourceType: number, resourceName: string, name: string, synonyms = true): Promise<any> {
  const r = await describe(c, resourceType, resourceName, { keys: [name], synonyms });
  if (r.errorCode !== 0) throw new Error(`describe ${resourceName}: ${errorName(r.errorCode)} ${r.errorMessage}`);
  return r.configs.find((x: any) => x.name === name);
}

type Op = [name: string, op: number, value: string | null];

async function incremental(c: TestClient, resourceType: number, resourceName: string, ops: Op[], opts: { validateOnly?: boolean; version?: number } = {}): Promise<any> {
  const res = await c.call(44, opts.version ?? 1, {
    resources: [{ resourceType, resourceName, configs: ops.map(([name, configOperation, value]) => ({ name, configOperation, value })) }],
    validateOnly: opts.validateOnly ?? false,
  });
  return res.responses[0];
}

async function legacy(c: TestClient, resourceType: number, resourceName: string, configs: [string, string | null][], opts: { validateOnly?: boolean; version?: number } = {}): Promise<any> {
  const res = await c.call(33, opts.version ?? 2, {
    resources: [{ resourceType, resourceName, configs: configs.map(([name, value]) => ({ name, value })) }],
    validateOnly: opts.validateOnly ?? false,
  });
  return res.responses[0];
}

const outcome = (r: any) => [errorName(r.errorCode), r.errorMessage];

t.test('DescribeConfigs v1-v4: a topic\'s configs, sources, types and documentation', async t => {
  const b = await testBroker(t);
  const c = await testClient(t, b);
  await createTopic(c, 'described', 1, { 'retention.ms': '3600000', 'cleanup.policy': 'compact,delete' });
  for (const version of [1, 2, 3, 4]) {
    const r = await describe(c, TOPIC, 'described', { version, docs: true });
    t.same([r.errorCode, r.errorMessage, r.resourceType, r.resourceName], [0, '', TOPIC, 'described'], `v${version}: answered (Kafka leaves the message "")`);
    const byName = new Map<string, any>(r.configs.map((x: any) => [x.name, x]));
    t.ok(byName.size >= 30, `v${version}: every topic config (${byName.size})`);
    t.same([byName.get('retention.ms').value, byName.get('retention.ms').configSource], ['3600000', DYNAMIC_TOPIC_CONFIG], 'set on the topic');
    t.same([byName.get('cleanup.policy').value, byName.get('cleanup.policy').configSource], ['compact,delete', DYNAMIC_TOPIC_CONFIG]);
    t.same([byName.get('segment.bytes').value, byName.get('segment.bytes').configSource], ['1073741824', DEFAULT_CONFIG], 'a default');
    t.same([byName.get('flush.ms').value, byName.get('max.compaction.lag.ms').value], [LONG_MAX, LONG_MAX], 'Long.MAX_VALUE written exactly');
    t.same(byName.get('min.cleanable.dirty.ratio').value, '0.5');
    t.ok([...byName.values()].every(x => x.readOnly === false && x.isSensitive === false), 'topic configs are neither read-only nor sensitive');
    t.same(byName.get('retention.ms').synonyms, [], 'no synonyms unless asked');
    if (version >= 3) {
      t.same([byName.get('retention.ms').configType, byName.get('cleanup.policy').configType, byName.get('segment.bytes').configType], [LONG, LIST, INT], 'v3+: config types');
      t.type(byName.get('retention.ms').documentation, 'string', 'v3+: documentation when asked');
    } else {
      t.same([byName.get('retention.ms').configType, byName.get('retention.ms').documentation], [0, null], `v${version}: no type or documentation in the version`);
    }
  }
  const noDocs = await describe(c, TOPIC, 'described', { version: 4 });
  t.equal(noDocs.configs.find((x: any) => x.name === 'retention.ms').documentation, null, 'no documentation unless asked');
});

t.test('DescribeConfigs: configurationKeys, unknown and illegal topics, unknown resource types', async t => {
  const b = await testBroker(t);
  const c = await testClient(t, b);
  await createTopic(c, 'keys');
  const some = await describe(c, TOPIC, 'keys', { keys: ['retention.ms', 'no.such.config', 'segment.ms'] });
  t.same(some.configs.map((x: any) => x.name).sort(), ['retention.ms', 'segment.ms'], 'only the keys asked for; unknown keys left out');
  const empty = await describe(c, TOPIC, 'keys', { keys: [] });
  t.ok(empty.configs.length >= 30, 'an empty key list is every config, as null is');

  const [unknown, illegal, ok] = await describeAll(c, [
    { resourceType: TOPIC, resourceName: 'nope' },
    { resourceType: TOPIC, resourceName: '' },
    { resourceType: TOPIC, resourceName: 'keys', configurationKeys: ['retention.ms'] },
  ]);
  t.same([outcome(unknown), unknown.configs], [['UNKNOWN_TOPIC_OR_PARTITION', ''], []], 'an unknown topic: no message, no configs');
  t.same(outcome(illegal), ['INVALID_TOPIC_EXCEPTION', 'Topic name is illegal, it can\'t be empty']);
  t.same([ok.errorCode, ok.configs.length], [0, 1], 'the other resources are answered');

  // a type Kafka does not authorize fails the whole request, with the code's default text
  const whole = await describeAll(c, [
    { resourceType: TOPIC, resourceName: 'keys' },
    { resourceType: 99, resourceName: 'x' },
  ]);
  t.same(whole.map(r => [r.resourceType, r.resourceName, ...outcome(r), r.configs.length]), [
    [TOPIC, 'keys', 'INVALID_REQUEST', INVALID_REQUEST_TEXT, 0],
    [99, 'x', 'INVALID_REQUEST', INVALID_REQUEST_TEXT, 0],
  ]);
  const group = await describe(c, GROUP, 'my-group');
  t.same(outcome(group), ['INVALID_REQUEST', 'Unsupported resource type: GROUP'], 'group configs are not built');
});

t.test('DescribeConfigs: this broker\'s configs, read-only flags, static and custom configs', async t => {
  const b = await testBroker(t, { config: { 'num.partitions': 3, 'my.custom.config': 'secret' } });
  const c = await testClient(t, b);
  const r = await describe(c, BROKER, '0', { synonyms: true, docs: true });
  t.same([r.errorCode, r.errorMessage], [0, '']);
  const byName = new Map<string, any>(r.configs.map((x: any) => [x.name, x]));
  const np = byName.get('num.partitions');
  t.same([np.value, np.configSource, np.readOnly, np.synonyms], ['3', STATIC_BROKER_CONFIG, true, [
    { name: 'num.partitions', value: '3', source: STATIC_BROKER_CONFIG },
    { name: 'num.partitions', value: '1', source: DEFAULT_CONFIG },
  ]], 'a static config: read-only in Kafka, the default as its last synonym');
  t.same([byName.get('node.id').readOnly, byName.get('log.retention.ms').readOnly, byName.get('message.max.bytes').readOnly, byName.get('listeners').readOnly], [true, false, false, false], 'dynamic configs as Kafka marks them');
  t.same([byName.get('advertised.listeners').value, byName.get('advertised.listeners').configSource, byName.get('advertised.listeners').synonyms], [null, DEFAULT_CONFIG, []], 'an unset config without a default');
  const custom = byName.get('my.custom.config');
  t.same([custom.value, custom.isSensitive, custom.readOnly, custom.configType, custom.configSource, custom.synonyms], [null, true, true, 0, STATIC_BROKER_CONFIG, [
    { name: 'my.custom.config', value: null, source: STATIC_BROKER_CONFIG },
  ]], 'a config Kafka does not know has no type, so it is sensitive: no value');

  const [bad, notInt, other, cluster] = await describeAll(c, [
    { resourceType: BROKER, resourceName: '5' },
    { resourceType: BROKER, resourceName: 'zero' },
    { resourceType: BROKER, resourceName: '0', configurationKeys: ['node.id'] },
    { resourceType: BROKER, resourceName: '' },
  ]);
  t.same(outcome(bad), ['INVALID_REQUEST', 'Unexpected broker id, expected 0 or empty string, but received 5']);
  t.same(outcome(notInt), ['INVALID_REQUEST', 'Broker id must be an integer, but it is: zero']);
  t.same(other.configs.map((x: any) => [x.name, x.value]), [['node.id', '0']]);
  t.same([cluster.errorCode, cluster.configs], [0, []], 'no cluster-wide dynamic configs yet');
});

t.test('broker configs: the cluster-wide default and the node\'s own, with synonyms in Kafka\'s order', async t => {
  const b = await testBroker(t, { config: { 'log.retention.ms': '5000' } });
  const c = await testClient(t, b);
  await createTopic(c, 'follows');
  await createTopic(c, 'own', 1, { 'retention.ms': '777' });
  const retention = () => b.broker.cluster.topic('follows')!.settings.log.retentionMs;
  t.equal(retention(), 5000, 'the static broker config');

  t.same(outcome(await incremental(c, BROKER, '', [['log.retention.ms', SET, '4000']])), ['NONE', null], 'cluster-wide default set');
  t.equal(retention(), 4000, 'the topic\'s retention follows at once');
  t.equal(b.broker.cluster.topic('own')!.settings.log.retentionMs, 777, 'a topic\'s own config still wins');
  t.same(outcome(await incremental(c, BROKER, '0', [['log.retention.ms', SET, '3000']])), ['NONE', null], 'this node\'s own');
  t.equal(retention(), 3000);

  const synonyms = [
    { name: 'log.retention.ms', value: '3000', source: DYNAMIC_BROKER_CONFIG },
    { name: 'log.retention.ms', value: '4000', source: DYNAMIC_DEFAULT_BROKER_CONFIG },
    { name: 'log.retention.ms', value: '5000', source: STATIC_BROKER_CONFIG },
    // Kafka's own default is log.retention.hours'
    { name: 'log.retention.hours', value: '168', source: DEFAULT_CONFIG },
  ];
  const onBroker = await config(c, BROKER, '0', 'log.retention.ms');
  t.same([onBroker.value, onBroker.configSource, onBroker.synonyms], ['3000', DYNAMIC_BROKER_CONFIG, synonyms], 'the broker: every level, highest first');
  const onTopic = await config(c, TOPIC, 'follows', 'retention.ms');
  t.same([onTopic.value, onTopic.configSource, onTopic.synonyms], ['3000', DYNAMIC_BROKER_CONFIG, synonyms], 'the topic: its broker synonym\'s levels');
  const own = await config(c, TOPIC, 'own', 'retention.ms');
  t.same([own.value, own.configSource, own.synonyms], ['777', DYNAMIC_TOPIC_CONFIG, [{ name: 'retention.ms', value: '777', source: DYNAMIC_TOPIC_CONFIG }, ...synonyms]], 'the topic\'s own value first');
  const noSyn = await config(c, TOPIC, 'follows', 'retention.ms', false);
  t.same([noSyn.configSource, noSyn.synonyms], [DYNAMIC_BROKER_CONFIG, []], 'the source without asking for synonyms');

  const clusterWide = await describe(c, BROKER, '', { synonyms: true });
  t.same(clusterWide.configs.map((x: any) => [x.name, x.value, x.configSource, x.readOnly, x.synonyms]), [
    ['log.retention.ms', '4000', DYNAMIC_DEFAULT_BROKER_CONFIG, false, [{ name: 'log.retention.ms', value: '4000', source: DYNAMIC_DEFAULT_BROKER_CONFIG }]],
  ], 'the cluster-wide resource lists its dynamic configs alone');

  t.same(outcome(await incremental(c, BROKER, '0', [['log.retention.ms', DELETE, null]])), ['NONE', null], 'the node\'s own removed');
  t.equal(retention(), 4000, 'back to the cluster-wide default');
  t.same((await config(c, TOPIC, 'follows', 'retention.ms')).configSource, DYNAMIC_DEFAULT_BROKER_CONFIG);
  t.same(outcome(await legacy(c, BROKER, '', [])), ['NONE', null], 'AlterConfigs with nothing removes every cluster-wide config');
  t.equal(retention(), 5000, 'back to the static config');
  t.same((await config(c, TOPIC, 'follows', 'retention.ms')).configSource, STATIC_BROKER_CONFIG);
});

t.test('a cluster-wide message.max.bytes limits what produce accepts, at once', async t => {
  const b = await testBroker(t);
  const c = await testClient(t, b);
  await createTopic(c, 'limited');
  const big = batch(['x'.repeat(3000)]);
  t.equal((await produce(c, 'limited', 0, big)).errorCode, 0, 'accepted at the default limit');
  t.same(outcome(await legacy(c, BROKER, '', [['message.max.bytes', '1000']])), ['NONE', null]);
  t.equal((await produce(c, 'limited', 0, big)).errorCode, ErrorCode.MESSAGE_TOO_LARGE, 'refused over the new limit');
  t.same(outcome(await incremental(c, TOPIC, 'limited', [['max.message.bytes', SET, '100000']])), ['NONE', null], 'the topic sets its own');
  t.equal((await produce(c, 'limited', 0, big)).errorCode, 0, 'which wins');
  t.same(outcome(await incremental(c, TOPIC, 'limited', [['max.message.bytes', SET, '2000']])), ['NONE', null]);
  t.equal((await produce(c, 'limited', 0, big)).errorCode, ErrorCode.MESSAGE_TOO_LARGE, 'lowered again');
});

t.test('broker config refusals: Kafka\'s codes and messages, nothing changed', async t => {
  const b = await testBroker(t, { config: { 'num.partitions': 2 } });
  const c = await testClient(t, b);
  await createTopic(c, 'steady');
  const cases: [what: string, name: string, ops: Op[], code: string, message: string | null][] = [
    ['a read-only config', '0', [['node.id', SET, '5']], 'INVALID_REQUEST', 'Cannot update these configs dynamically: Set(node.id)'],
    ['read-only configs, cluster-wide', '', [['num.partitions', SET, '5'], ['log.retention.ms', SET, '1000'], ['auto.create.topics.enable', SET, 'false']], 'INVALID_REQUEST', 'Cannot update these configs dynamically: Set(num.partitions, auto.create.topics.enable)'],
    ['an out-of-range value', '', [['log.retention.ms', SET, '-5']], 'INVALID_REQUEST', 'Invalid value -5 for configuration log.retention.ms: Value must be at least -1'],
    ['a value of the wrong type', '0', [['message.max.bytes', SET, 'big']], 'INVALID_REQUEST', 'Invalid value big for configuration message.max.bytes: Not a number of type INT'],
    ['a per-broker config cluster-wide', '', [['listeners', SET, 'PLAINTEXT://127.0.0.1:1']], 'INVALID_REQUEST', 'Cannot update these configs at default cluster level, broker id must be specified: Set(listeners)'],
    ['new listeners', '0', [['listeners', SET, 'PLAINTEXT://127.0.0.1:1']], 'INVALID_REQUEST', 'Invalid dynamic configuration'],
    ['too many more cleaner threads', '', [['log.cleaner.threads', SET, '3']], 'INVALID_REQUEST', 'Invalid dynamic configuration'],
    ['local retention over retention', '', [['log.local.retention.ms', SET, '999999999999']], 'INVALID_REQUEST', 'Invalid dynamic configuration'],
    ['APPEND to a non-list', '', [['log.retention.ms', APPEND, '5']], 'INVALID_CONFIG', 'Config value append is not allowed for config key: log.retention.ms'],
    ['SUBTRACT from a non-list', '0', [['message.max.bytes', SUBTRACT, '5']], 'INVALID_CONFIG', 'Config value subtract is not allowed for config key: message.max.bytes'],
    ['APPEND to a config Kafka does not know', '', [['no.such.config', APPEND, 'x']], 'UNKNOWN_SERVER_ERROR', null],
    ['an unknown operation', '', [['log.retention.ms', 7, '5']], 'INVALID_REQUEST', 'Unknown operations type 7'],
    ['another broker\'s id', '1', [['log.retention.ms', SET, '5']], 'INVALID_REQUEST', 'Unexpected broker id, expected 0, but received 1'],
    ['a name that is no id', 'b0', [['log.retention.ms', SET, '5']], 'INVALID_REQUEST', 'Node id must be an integer, but it is: b0'],
    ['a config named twice', '', [['log.retention.ms', SET, '5'], ['log.retention.ms', DELETE, null]], 'INVALID_REQUEST', 'Error due to duplicate config keys'],
    ['a null value to SET', '', [['log.retention.ms', SET, null], ['log.segment.bytes', SET, null]], 'INVALID_REQUEST', 'Null value not supported for : log.retention.ms, log.segment.bytes'],
  ];
  for (const [what, name, ops, code, message] of cases) {
    for (const validateOnly of [true, false]) {
      t.same(outcome(await incremental(c, BROKER, name, ops, { validateOnly })), [code, message], `${what}${validateOnly ? ' (validateOnly)' : ''}`);
    }
  }
  t.same(outcome(await legacy(c, BROKER, '0', [['node.id', '7']])), ['INVALID_REQUEST', 'Cannot update these configs dynamically: Set(node.id)'], 'AlterConfigs: the same checks');
  t.same(outcome(await legacy(c, BROKER, '0', [['log.retention.ms', null]])), ['INVALID_REQUEST', 'Null value not supported for : log.retention.ms'], 'AlterConfigs: no null values at all');
  t.same([b.broker.cluster.dynamicConfigs.broker('').size, b.broker.cluster.dynamicConfigs.broker('0').size], [0, 0], 'nothing stored');
  t.equal(b.broker.cluster.topic('steady')!.settings.log.retentionMs, 604800000, 'nothing applied');
  t.same((await config(c, BROKER, '0', 'num.partitions')).configSource, STATIC_BROKER_CONFIG);

  t.same(outcome(await incremental(c, BROKER, '', [['log.retention.ms', SET, '1000']], { validateOnly: true })), ['NONE', null], 'valid, validateOnly');
  t.equal(b.broker.cluster.topic('steady')!.settings.log.retentionMs, 604800000, 'validateOnly changed nothing');
  t.same(outcome(await incremental(c, BROKER, '0', [['log.cleaner.threads', SET, '2']])), ['NONE', null], 'twice the cleaner threads is allowed');

  // Kafka accepts configs it does not know on a broker (custom configs for plugins)
  t.same(outcome(await incremental(c, BROKER, '0', [['my.plugin.setting', SET, 'on']])), ['NONE', null], 'a custom config');
  const custom = await config(c, BROKER, '0', 'my.plugin.setting');
  t.same([custom.value, custom.isSensitive, custom.readOnly, custom.configSource, custom.synonyms], [null, true, true, DYNAMIC_BROKER_CONFIG, [{ name: 'my.plugin.setting', value: null, source: DYNAMIC_BROKER_CONFIG }]], 'described without its value');
  // list configs take APPEND and SUBTRACT
  t.same(outcome(await incremental(c, BROKER, '', [['log.cleanup.policy', APPEND, 'compact']])), ['NONE', null]);
  t.same((await config(c, BROKER, '', 'log.cleanup.policy')).value, 'delete,compact', 'appended to the default');
  t.same(outcome(await incremental(c, BROKER, '', [['log.cleanup.policy', SUBTRACT, 'delete']])), ['NONE', null]);
  t.same((await config(c, BROKER, '', 'log.cleanup.policy')).value, 'compact');
  t.same(b.broker.cluster.topic('steady')!.settings.log.compact, true, 'and the topic is compacted now');
});

t.test('topic configs: IncrementalAlterConfigs operations and AlterConfigs replacing them all', async t => {
  const b = await testBroker(t);
  const c = await testClient(t, b);
  await createTopic(c, 'ops', 1, { 'segment.ms': '3600000' });
  const own = () => Object.fromEntries(b.broker.cluster.topic('ops')!.configs);
  t.same(outcome(await incremental(c, TOPIC, 'ops', [['retention.ms', SET, '1000'], ['cleanup.policy', APPEND, 'compact']])), ['NONE', null]);
  t.same(own(), { 'segment.ms': '3600000', 'retention.ms': '1000', 'cleanup.policy': 'delete,compact' }, 'SET, and APPEND to the default list');
  t.same([b.broker.cluster.topic('ops')!.settings.log.retentionMs, b.broker.cluster.topic('ops')!.settings.log.compact], [1000, true], 'applied at once');
  t.same(outcome(await incremental(c, TOPIC, 'ops', [['cleanup.policy', SUBTRACT, 'delete'], ['segment.ms', DELETE, null], ['no.such.config', DELETE, null]])), ['NONE', null], 'deleting an unset (even unknown) config is no change');
  t.same(own(), { 'retention.ms': '1000', 'cleanup.policy': 'compact' });
  t.same(outcome(await incremental(c, TOPIC, 'ops', [['cleanup.policy', APPEND, 'compact,delete']])), ['NONE', null]);
  t.same(own()['cleanup.policy'], 'compact,delete', 'items already there are not added twice');

  const refusals: [what: string, name: string, ops: Op[], code: string, message: string][] = [
    ['APPEND to a non-list', 'ops', [['retention.ms', APPEND, '5']], 'INVALID_CONFIG', 'Can\'t APPEND to key retention.ms because its type is not LIST.'],
    ['SUBTRACT from a non-list', 'ops', [['segment.bytes', SUBTRACT, '5']], 'INVALID_CONFIG', 'Can\'t SUBTRACT to key segment.bytes because its type is not LIST.'],
    ['an unknown name', 'ops', [['no.such.config', SET, '1']], 'INVALID_CONFIG', 'Unknown topic config name: no.such.config'],
    ['an out-of-range value', 'ops', [['retention.ms', SET, '-2']], 'INVALID_CONFIG', 'Invalid value -2 for configuration retention.ms: Value must be at least -1'],
    ['a value not allowed in a list', 'ops', [['cleanup.policy', APPEND, 'zip']], 'INVALID_CONFIG', 'Invalid value zip for configuration cleanup.policy: String must be one of: compact, delete'],
    ['an unknown topic', 'nope', [['retention.ms', SET, '5']], 'UNKNOWN_TOPIC_OR_PARTITION', 'The topic \'nope\' does not exist.'],
    ['the default topic', '', [['retention.ms', SET, '5']], 'INVALID_REQUEST', 'Default topic resources are not allowed.'],
    ['an illegal topic name', 'a/b', [['retention.ms', SET, '5']], 'INVALID_TOPIC_EXCEPTION', 'Topic name "a/b" is illegal, it contains a character other than ASCII alphanumerics, \'.\', \'_\' and \'-\''],
    ['a null value', 'ops', [['retention.ms', SET, null]], 'INVALID_REQUEST', 'Null value not supported for : retention.ms'],
    ['an unknown operation', 'ops', [['retention.ms', 4, '5']], 'INVALID_REQUEST', 'Unknown operations type 4'],
  ];
  const before = own();
  for (const [what, name, ops, code, message] of refusals) {
    for (const validateOnly of [true, false]) {
      t.same(outcome(await incremental(c, TOPIC, name, ops, { validateOnly })), [code, message], `${what}${validateOnly ? ' (validateOnly)' : ''}`);
    }
  }
  t.same(own(), before, 'nothing changed');

  t.same(outcome(await incremental(c, TOPIC, 'ops', [['retention.ms', SET, '2000']], { validateOnly: true })), ['NONE', null], 'validateOnly');
  t.same(own(), before, 'validateOnly changed nothing');

  t.same(outcome(await legacy(c, TOPIC, 'ops', [['max.message.bytes', '5000']])), ['NONE', null], 'AlterConfigs');
  t.same(own(), { 'max.message.bytes': '5000' }, 'AlterConfigs replaces every config of the topic');
  t.same([b.broker.cluster.topic('ops')!.settings.log.retentionMs, b.broker.cluster.topic('ops')!.settings.maxMessageBytes], [604800000, 5000]);
  t.same(outcome(await legacy(c, TOPIC, 'ops', [['retention.ms', '5'], ['retention.ms', '6']])), ['INVALID_REQUEST', 'Error due to duplicate config keys']);
  t.same(outcome(await legacy(c, TOPIC, 'nope', [['retention.ms', '5']])), ['UNKNOWN_TOPIC_OR_PARTITION', 'The topic \'nope\' does not exist.']);
  t.same(outcome(await legacy(c, TOPIC, 'ops', [['retention.ms', '5'], ['no.such', '1']])), ['INVALID_CONFIG', 'Unknown topic config name: no.such']);
  t.same(own(), { 'max.message.bytes': '5000' }, 'nothing changed');
});

t.test('every version of both alter APIs; duplicate resources; unknown and unbuilt resource types', async t => {
  const b = await testBroker(t);
  const c = await testClient(t, b);
  await createTopic(c, 'versions');
  for (const version of [0, 1, 2]) {
    t.same(outcome(await legacy(c, TOPIC, 'versions', [['retention.ms', String(1000 + version)]], { version })), ['NONE', null], `AlterConfigs v${version}`);
    t.equal(b.broker.cluster.topic('versions')!.configs.get('retention.ms'), String(1000 + version));
  }
  for (const version of [0, 1]) {
    t.same(outcome(await incremental(c, TOPIC, 'versions', [['retention.ms', SET, String(2000 + version)]], { version })), ['NONE', null], `IncrementalAlterConfigs v${version}`);
    t.equal(b.broker.cluster.topic('versions')!.configs.get('retention.ms'), String(2000 + version));
  }
  for (const [key, version, entry] of [[33, 2, { name: 'retention.ms', value: '5' }], [44, 1, { name: 'retention.ms', configOperation: SET, value: '5' }]] as const) {
    const res = await c.call(key, version, {
      resources: [
        { resourceType: TOPIC, resourceName: 'versions', configs: [entry] },
        { resourceType: BROKER, resourceName: '', configs: [] },
        { resourceType: TOPIC, resourceName: 'versions', configs: [] },
        { resourceType: GROUP, resourceName: 'g', configs: [] },
        { resourceType: 99, resourceName: 'x', configs: [] },
      ],
      validateOnly: false,
    });
    t.same(res.responses.map((r: any) => [r.resourceType, r.resourceName, ...outcome(r)]), [
      [TOPIC, 'versions', 'INVALID_REQUEST', 'Each resource must appear at most once.'],
      [BROKER, '', 'NONE', null],
      [TOPIC, 'versions', 'INVALID_REQUEST', 'Each resource must appear at most once.'],
      [GROUP, 'g', 'INVALID_REQUEST', 'Unknown resource type 32'],
      [99, 'x', 'INVALID_REQUEST', 'Unknown resource type 99'],
    ], `API ${key}: each resource answered in request order`);
  }
  t.equal(b.broker.cluster.topic('versions')!.configs.get('retention.ms'), '2001', 'the duplicated topic unchanged');
  t.same(outcome(await legacy(c, BROKER_LOGGER, '0', [['root', 'INFO']])), ['INVALID_REQUEST', 'Unknown resource type 8'], 'AlterConfigs never set loggers');
});

t.test('BROKER_LOGGER: the node\'s root logger level, described and set', async t => {
  const b = await testBroker(t, { logLevel: 'error' });
  const c = await testClient(t, b);
  const root = await describe(c, BROKER_LOGGER, '0');
  t.same([root.errorCode, root.configs], [0, [{ name: 'root', value: 'ERROR', readOnly: false, configSource: DYNAMIC_BROKER_LOGGER_CONFIG, isSensitive: false, synonyms: [], configType: 0, documentation: null }]]);
  const [empty, notInt, other] = await describeAll(c, [
    { resourceType: BROKER_LOGGER, resourceName: '' },
    { resourceType: BROKER_LOGGER, resourceName: 'x' },
    { resourceType: BROKER_LOGGER, resourceName: '3' },
  ]);
  t.same([outcome(empty), outcome(notInt), outcome(other)], [
    ['INVALID_REQUEST', 'Broker id must not be empty'],
    ['INVALID_REQUEST', 'Broker id must be an integer, but it is: x'],
    ['INVALID_REQUEST', 'Unexpected broker id, expected 0 but received 3'],
  ]);
  const refusals: [what: string, name: string, ops: Op[], code: string, message: string][] = [
    ['a level log4j does not have', '0', [['root', SET, 'LOUD']], 'INVALID_CONFIG', 'Cannot set the log level of root to LOUD as it is not a supported log level. Valid log levels are DEBUG, ERROR, FATAL, INFO, TRACE, WARN'],
    ['a lower-case level', '0', [['root', SET, 'info']], 'INVALID_CONFIG', 'Cannot set the log level of root to info as it is not a supported log level. Valid log levels are DEBUG, ERROR, FATAL, INFO, TRACE, WARN'],
    ['an unknown logger', '0', [['kafka.server', SET, 'INFO']], 'INVALID_CONFIG', 'Logger kafka.server does not exist!'],
    ['removing the root level', '0', [['root', DELETE, null]], 'INVALID_REQUEST', 'Removing the log level of the root logger is not allowed'],
    ['APPEND', '0', [['root', APPEND, 'INFO']], 'INVALID_REQUEST', 'APPEND operation is not allowed for the BROKER_LOGGER resource'],
    ['another node', '2', [['root', SET, 'INFO']], 'INVALID_REQUEST', 'Unexpected node id. Expected 0, but received 0'],
    ['no node id', '', [['root', SET, 'INFO']], 'INVALID_REQUEST', 'Node id must be an integer, but it is: '],
  ];
  for (const [what, name, ops, code, message] of refusals) t.same(outcome(await incremental(c, BROKER_LOGGER, name, ops)), [code, message], what);
  t.same(outcome(await incremental(c, BROKER_LOGGER, '0', [['root', SET, 'FATAL']], { validateOnly: true })), ['NONE', null]);
  t.equal(b.broker.log.level, 'error', 'validateOnly changed nothing');
  t.same(outcome(await incremental(c, BROKER_LOGGER, '0', [['root', SET, 'FATAL']])), ['NONE', null]);
  t.equal(b.broker.log.level, 'fatal', 'the node\'s logger level');
  t.equal((await describe(c, BROKER_LOGGER, '0')).configs[0].value, 'FATAL');
});

t.test('CLIENT_METRICS subscriptions: set, described, listed, refused', async t => {
  const b = await testBroker(t);
  const c = await testClient(t, b);
  const fresh = await describe(c, CLIENT_METRICS, 'sub', { synonyms: true });
  t.same(fresh.configs.map((x: any) => [x.name, x.value, x.configSource]), [['metrics', '', DEFAULT_CONFIG], ['interval.ms', '300000', DEFAULT_CONFIG], ['match', '', DEFAULT_CONFIG]], 'any name: the defaults');
  t.same(outcome(await incremental(c, CLIENT_METRICS, 'sub', [['metrics', SET, 'org.apache.kafka.producer.'], ['interval.ms', SET, '1000'], ['match', SET, 'client_software_name=kafka-python, client_id=app.*']])), ['NONE', null]);
  t.same(outcome(await incremental(c, CLIENT_METRICS, 'sub', [['metrics', APPEND, 'org.apache.kafka.consumer.']])), ['NONE', null], 'APPEND to a list');
  const set = await describe(c, CLIENT_METRICS, 'sub', { synonyms: true });
  t.same(set.configs.map((x: any) => [x.name, x.value, x.configSource, x.synonyms.length]), [
    ['metrics', 'org.apache.kafka.producer.,org.apache.kafka.consumer.', CLIENT_METRICS_CONFIG, 1],
    ['interval.ms', '1000', CLIENT_METRICS_CONFIG, 1],
    ['match', 'client_software_name=kafka-python,client_id=app.*', CLIENT_METRICS_CONFIG, 1],
  ]);
  const refusals: [what: string, name: string, ops: Op[], code: string, message: string][] = [
    ['an interval under 100 ms', 'sub', [['interval.ms', SET, '50']], 'INVALID_REQUEST', 'Invalid value 50 for interval.ms, interval must be between 100 and 3600000 (1 hour)'],
    ['an interval that is no number', 'sub', [['interval.ms', SET, 'soon']], 'INVALID_CONFIG', 'Invalid value soon for configuration interval.ms: Not a number of type INT'],
    ['an unknown config', 'sub', [['colour', SET, 'blue']], 'INVALID_REQUEST', 'Unknown client metrics configuration: colour'],
    ['an unknown match parameter', 'sub', [['match', SET, 'client_colour=blue']], 'INVALID_CONFIG', 'Illegal client matching pattern: client_colour=blue'],
    ['a bad regular expression', 'sub', [['match', SET, 'client_id=(']], 'INVALID_CONFIG', 'Illegal client matching pattern: client_id=('],
    ['APPEND to a non-list', 'sub', [['interval.ms', APPEND, '5']], 'INVALID_CONFIG', 'Can\'t APPEND to key interval.ms because its type is not LIST.'],
    ['no name', '', [['interval.ms', SET, '1000']], 'INVALID_REQUEST', 'Subscription name can\'t be empty'],
  ];
  for (const [what, name, ops, code, message] of refusals) t.same(outcome(await incremental(c, CLIENT_METRICS, name, ops)), [code, message], what);
  t.same(Object.fromEntries(b.broker.cluster.dynamicConfigs.clientMetrics('sub')), { metrics: 'org.apache.kafka.producer.,org.apache.kafka.consumer.', 'interval.ms': '1000', match: 'client_software_name=kafka-python, client_id=app.*' }, 'nothing changed');
  t.same(outcome(await describe(c, CLIENT_METRICS, '')), ['INVALID_REQUEST', 'Client metrics subscription name must not be empty']);
  t.same(outcome(await legacy(c, CLIENT_METRICS, 'other', [['interval.ms', '60000']])), ['NONE', null], 'AlterConfigs');

  const v0 = await c.call(74, 0, {});
  t.same([v0.errorCode, v0.configResources.map((r: any) => r.resourceName).sort()], [0, ['other', 'sub']], 'ListConfigResources v0: the subscriptions');
  t.same(outcome(await legacy(c, CLIENT_METRICS, 'other', [])), ['NONE', null], 'no configs left: the subscription is gone');
  t.same((await c.call(74, 1, { resourceTypes: [CLIENT_METRICS] })).configResources, [{ resourceName: 'sub', resourceType: CLIENT_METRICS }]);
});

t.test('ListConfigResources v1: resource types, all of them by default, UNSUPPORTED_VERSION for others', async t => {
  const b = await testBroker(t);
  const c = await testClient(t, b);
  await createTopic(c, 'listed-a');
  await createTopic(c, 'listed-b');
  t.same(outcome(await incremental(c, CLIENT_METRICS, 'subs', [['interval.ms', SET, '1000']])), ['NONE', null]);
  const all = await c.call(74, 1, { resourceTypes: [] });
  t.same([all.errorCode, all.configResources.map((r: any) => [r.resourceType, r.resourceName])], [0, [
    [CLIENT_METRICS, 'subs'],
    [BROKER_LOGGER, '0'],
    [BROKER, '0'],
    [TOPIC, 'listed-a'],
    [TOPIC, 'listed-b'],
  ]], 'every type v1 knows');
  t.same((await c.call(74, 1, { resourceTypes: [TOPIC] })).configResources.map((r: any) => r.resourceName), ['listed-a', 'listed-b'], 'topics only');
  t.same((await c.call(74, 1, { resourceTypes: [GROUP] })).configResources, [], 'no group has configs');
  for (const types of [[99], [TOPIC, 0]]) {
    const r = await c.call(74, 1, { resourceTypes: types });
    t.same([errorName(r.errorCode), r.configResources], ['UNSUPPORTED_VERSION', []], `types ${types.join(',')}`);
  }
});

t.test('disk mode: dynamic broker configs, topic configs and subscriptions survive a restart', async t => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'samsa-configs-'));
  t.teardown(() => fs.rmSync(dataDir, { recursive: true, force: true }));
  {
    const b = await testBroker(t, { dataDir });
    const c = await testClient(t, b);
    await createTopic(c, 'kept');
    t.same(outcome(await incremental(c, BROKER, '', [['log.retention.ms', SET, '4000'], ['log.cleanup.policy', SET, 'compact']])), ['NONE', null]);
    t.same(outcome(await incremental(c, BROKER, '0', [['message.max.bytes', SET, '2000']])), ['NONE', null]);
    t.same(outcome(await incremental(c, TOPIC, 'kept', [['segment.ms', SET, '3600000']])), ['NONE', null]);
    t.same(outcome(await incremental(c, CLIENT_METRICS, 'subs', [['interval.ms', SET, '1000']])), ['NONE', null]);
    c.close();
    await b.close();
  }
  const stored = JSON.parse(fs.readFileSync(path.join(dataDir, DYNAMIC_CONFIGS_FILE), 'utf8'));
  t.same(stored, { version: 1, brokers: { '': { 'log.retention.ms': '4000', 'log.cleanup.policy': 'compact' }, '0': { 'message.max.bytes': '2000' } }, clientMetrics: { subs: { 'interval.ms': '1000' } } }, 'their own file');
  const b = await testBroker(t, { dataDir });
  const c = await testClient(t, b);
  const settings = b.broker.cluster.topic('kept')!.settings;
  t.same([settings.log.retentionMs, settings.log.compact, settings.maxMessageBytes, settings.log.segmentMs], [4000, true, 2000, 3600000], 'the topic resolves with them at start');
  t.same([(await config(c, TOPIC, 'kept', 'retention.ms')).configSource, (await config(c, TOPIC, 'kept', 'max.message.bytes')).configSource, (await config(c, TOPIC, 'kept', 'segment.ms')).configSource], [DYNAMIC_DEFAULT_BROKER_CONFIG, DYNAMIC_BROKER_CONFIG, DYNAMIC_TOPIC_CONFIG]);
  t.same((await config(c, CLIENT_METRICS, 'subs', 'interval.ms')).value, '1000');
  t.equal((await produce(c, 'kept', 0, batch(['x'.repeat(3000)]))).errorCode, ErrorCode.MESSAGE_TOO_LARGE, 'the node\'s message.max.bytes in force');
});

t.test('several nodes: each answers for its own id; cluster-wide configs reach every node', async t => {
  const b = await testBroker(t, { nodes: 2 });
  const node1 = b.nodes[1]!;
  const c1 = await TestClient.connect(node1.bootstrap);
  t.teardown(() => c1.close());
  const c0 = await testClient(t, b);
  const [own, other] = await describeAll(c1, [
    { resourceType: BROKER, resourceName: '1', configurationKeys: ['node.id'] },
    { resourceType: BROKER, resourceName: '0' },
  ]);
  t.same(own.configs.map((x: any) => [x.name, x.value]), [['node.id', '1']], 'node 1 describes itself');
  t.same(outcome(other), ['INVALID_REQUEST', 'Unexpected broker id, expected 1 or empty string, but received 0'], 'and no other node');
  t.same(outcome(await incremental(c1, BROKER, '0', [['log.retention.ms', SET, '5']])), ['INVALID_REQUEST', 'Unexpected broker id, expected 1, but received 0']);
  t.same(outcome(await incremental(c1, BROKER, '', [['producer.id.expiration.ms', SET, '5000']])), ['NONE', null], 'cluster-wide, through node 1');
  t.same(outcome(await incremental(c1, BROKER, '1', [['log.cleaner.backoff.ms', SET, '1000']])), ['NONE', null], 'node 1\'s own');
  const config0 = b.nodes[0]!.broker!.config;
  const config1 = node1.broker!.config;
  t.same([config0.int('producer.id.expiration.ms'), config1.int('producer.id.expiration.ms')], [5000, 5000], 'every node reads the cluster-wide value');
  t.same([config0.int('log.cleaner.backoff.ms'), config1.int('log.cleaner.backoff.ms')], [15000, 1000], 'a node\'s own value is its own');
  t.same((await config(c0, BROKER, '0', 'producer.id.expiration.ms')).configSource, DYNAMIC_DEFAULT_BROKER_CONFIG, 'node 0 describes the cluster-wide value');
  const listed = await c0.call(74, 1, { resourceTypes: [BROKER] });
  t.same(listed.configResources.map((r: any) => r.resourceName), ['0', '1'], 'ListConfigResources: every node');
});
