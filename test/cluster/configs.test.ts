// Configs (src/cluster/configs.ts): typed parsing with Kafka's messages, the broker config,
// server.properties parsing; and from src/cluster/cluster.ts, topic name rules and the order in
// which a topic config's value is resolved; the dynamic configs (src/cluster/dynamic-configs.ts):
// how a broker config reads them, their file, and the checks the alter APIs share.
import t from 'tap';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  BROKER_CONFIGS, BrokerConfig, LONG_MAX, TOPIC_CONFIGS, brokerConfigDef, parseConfigValue, parseProperties, topicConfigDef,
  canonicalText, dynamicUpdateMode,
  type ConfigDef,
} from '../../src/cluster/configs.js';
import { DynamicConfigs, applyOps, clientMetricsProblem } from '../../src/cluster/dynamic-configs.js';
import { KafkaError } from '../../src/protocol/errors.js';
import { Cluster, MAX_TOPIC_NAME_LENGTH, Topic, plainNode, topicNameProblem } from '../../src/cluster/cluster.js';
import { MemoryLogFactory } from '../../src/storage/memory-log.js';
import { systemClock } from '../../src/broker/clock.js';

const broker = (name: string): ConfigDef => brokerConfigDef(name)!;
const topic = (name: string): ConfigDef => topicConfigDef(name)!;
const TWO_63 = 2 ** 63;

t.test('parseConfigValue: boolean', async t => {
  const d = broker('auto.create.topics.enable');
  t.same(parseConfigValue(d, 'true'), { value: true });
  t.same(parseConfigValue(d, 'FALSE'), { value: false }, 'case-insensitive');
  t.same(parseConfigValue(d, ' True '), { value: true }, 'trimmed');
  for (const bad of ['yes', '1', '', 'truee']) {
    t.same(parseConfigValue(d, bad), { error: `Invalid value ${bad} for configuration auto.create.topics.enable: Expected value to be either true or false` });
  }
  t.same(parseConfigValue(d, null), { value: null });
});

t.test('parseConfigValue: int, short, long with their type bounds', async t => {
  const int = broker('compression.gzip.level'); // an int without a validator
  t.same(parseConfigValue(int, '3'), { value: 3 });
  t.same(parseConfigValue(int, '+3'), { value: 3 });
  t.same(parseConfigValue(int, ' 42 '), { value: 42 });
  t.same(parseConfigValue(int, '007'), { value: 7 });
  t.same(parseConfigValue(int, '2147483647'), { value: 2147483647 });
  t.same(parseConfigValue(int, '-2147483648'), { value: -2147483648 });
  for (const bad of ['2147483648', '-2147483649', '1.5', '1e3', 'zero', '', '0x10', '3 4']) {
    t.same(parseConfigValue(int, bad), { error: `Invalid value ${bad} for configuration compression.gzip.level: Not a number of type INT` }, `int ${JSON.stringify(bad)}`);
  }

  const short = broker('default.replication.factor');
  t.same(parseConfigValue(short, '32767'), { value: 32767 });
  t.same(parseConfigValue(short, '32768'), { error: 'Invalid value 32768 for configuration default.replication.factor: Not a number of type SHORT' });

  const long = broker('log.retention.bytes'); // a long without a validator
  t.same(parseConfigValue(long, '9007199254740993'), { value: 9007199254740992 }, 'beyond 2^53: the nearest double');
  t.same(parseConfigValue(long, LONG_MAX), { value: TWO_63 });
  t.same(parseConfigValue(long, '-9223372036854775808'), { value: -TWO_63 });
  // these round to ±2^63 as doubles but are outside Long's range
  for (const bad of ['9223372036854775808', '9223372036854776000', '-9223372036854775809', '99999999999999999999']) {
    t.same(parseConfigValue(long, bad), { error: `Invalid value ${bad} for configuration log.retention.bytes: Not a number of type LONG` }, `long ${bad}`);
  }
});

t.test('parseConfigValue: ranges in Kafka\'s words', async t => {
  t.same(parseConfigValue(broker('num.partitions'), '0'), { error: 'Invalid value 0 for configuration num.partitions: Value must be at least 1' });
  t.same(parseConfigValue(broker('num.partitions'), '-5'), { error: 'Invalid value -5 for configuration num.partitions: Value must be at least 1' });
  t.same(parseConfigValue(broker('num.partitions'), '1'), { value: 1 });
  t.same(parseConfigValue(topic('segment.bytes'), '1048575'), { error: 'Invalid value 1048575 for configuration segment.bytes: Value must be at least 1048576' });
  t.same(parseConfigValue(topic('retention.ms'), '-1'), { value: -1 });
  t.same(parseConfigValue(topic('retention.ms'), '-2'), { error: 'Invalid value -2 for configuration retention.ms: Value must be at least -1' });
  t.same(parseConfigValue(topic('compression.lz4.level'), '18'), { error: 'Invalid value 18 for configuration compression.lz4.level: Value must be no more than 17' });
  t.same(parseConfigValue(topic('compression.gzip.level'), '-1'), { value: -1 }, 'gzip level -1 is the codec default');
  t.same(parseConfigValue(topic('compression.gzip.level'), '0'), { error: 'Invalid value 0 for configuration compression.gzip.level: Value must be between 1 and 9 or equal to -1' });
  t.same(parseConfigValue(topic('compression.gzip.level'), '9'), { value: 9 });
});

t.test('parseConfigValue: double, string, list', async t => {
  const ratio = topic('min.cleanable.dirty.ratio');
  t.same(parseConfigValue(ratio, '0.25'), { value: 0.25 });
  t.same(parseConfigValue(ratio, '1e-1'), { value: 0.1 });
  t.same(parseConfigValue(ratio, '1'), { value: 1 });
  t.same(parseConfigValue(ratio, 'half'), { error: 'Invalid value half for configuration min.cleanable.dirty.ratio: Not a number of type DOUBLE' });
  t.same(parseConfigValue(ratio, ''), { error: 'Invalid value  for configuration min.cleanable.dirty.ratio: Not a number of type DOUBLE' });
  t.same(parseConfigValue(ratio, '1.5'), { error: 'Invalid value 1.5 for configuration min.cleanable.dirty.ratio: Value must be no more than 1' });

  const comp = topic('compression.type');
  t.same(parseConfigValue(comp, 'gzip'), { value: 'gzip' });
  t.same(parseConfigValue(comp, ' zstd '), { value: 'zstd' }, 'strings are trimmed, as Kafka does');
  t.same(parseConfigValue(comp, 'GZIP'), { error: 'Invalid value GZIP for configuration compression.type: String must be one of: uncompressed, zstd, lz4, snappy, gzip, producer' });
  t.same(parseConfigValue(topic('message.timestamp.type'), 'LogAppendTime'), { value: 'LogAppendTime' });
  t.same(parseConfigValue(broker('log.dirs'), '/tmp/x'), { value: '/tmp/x' }, 'a string without a validator');

  const policy = topic('cleanup.policy');
  t.same(parseConfigValue(policy, 'compact'), { value: ['compact'] });
  t.same(parseConfigValue(policy, 'delete,compact'), { value: ['delete', 'compact'] });
  t.same(parseConfigValue(policy, ' compact , delete '), { value: ['compact', 'delete'] }, 'items trimmed');
  t.same(parseConfigValue(policy, ''), { value: [] }, 'an empty list: Kafka 4.1\'s ValidList accepts it');
  t.same(parseConfigValue(policy, 'delete,bogus'), { error: 'Invalid value bogus for configuration cleanup.policy: String must be one of: compact, delete' }, 'the item at fault is named');
  t.same(parseConfigValue(policy, 'delete,'), { error: 'Invalid value  for configuration cleanup.policy: String must be one of: compact, delete' }, 'an empty item');
  t.same(parseConfigValue(topic('leader.replication.throttled.replicas'), ''), { value: [] }, 'an empty list where allowed');
  t.same(parseConfigValue(broker('listeners'), 'PLAINTEXT://:9092,SSL://h:9093'), { value: ['PLAINTEXT://:9092', 'SSL://h:9093'] });
});

t.test('every default parses; topic configs and their broker synonyms agree', async t => {
  for (const def of [...TOPIC_CONFIGS, ...BROKER_CONFIGS]) {
    const parsed = parseConfigValue(def, def.default);
    t.ok('value' in parsed, `${def.name} default ${def.default} parses`);
  }
  for (const def of TOPIC_CONFIGS) {
    if (!def.brokerSynonym) continue;
    const syn = brokerConfigDef(def.brokerSynonym);
    t.ok(syn, `${def.name}: synonym ${def.brokerSynonym} is a broker config`);
    t.equal(syn?.type, def.type, `${def.name}: same type as ${def.brokerSynonym}`);
    t.equal(syn?.default, def.default, `${def.name}: same default as ${def.brokerSynonym}`);
  }
  t.equal(new Set(TOPIC_CONFIGS.map(d => d.name)).size, TOPIC_CONFIGS.length, 'topic config names unique');
  t.equal(new Set(BROKER_CONFIGS.map(d => d.name)).size, BROKER_CONFIGS.length, 'broker config names unique');
  // Long.MAX_VALUE defaults become 2^63
  t.same(parseConfigValue(topic('flush.ms'), topic('flush.ms').default), { value: TWO_63 });
  t.same(parseConfigValue(topic('max.compaction.lag.ms'), topic('max.compaction.lag.ms').default), { value: TWO_63 });
  t.equal(topic('flush.messages').default, LONG_MAX);
  t.equal(LONG_MAX, '9223372036854775807');
});

t.test('BrokerConfig: known, unknown and invalid keys; typed getters; raw()', async t => {
  const c = new BrokerConfig({ 'num.partitions': '3', 'foo.bar': 'x', 'log.cleanup.policy': 'compact, delete', 'no.such': '' });
  t.same(c.unknown, ['foo.bar', 'no.such'], 'unknown keys reported, in order');
  t.equal(c.int('num.partitions'), 3);
  t.ok(c.isSet('num.partitions'));
  t.notOk(c.isSet('message.max.bytes'), 'a default is not "set"');
  t.notOk(c.isSet('foo.bar'));
  t.equal(c.int('message.max.bytes'), 1048588);
  t.equal(c.bool('auto.create.topics.enable'), true);
  t.equal(c.str('log.dirs'), null, 'no default');
  t.same(c.get('listeners'), ['PLAINTEXT://127.0.0.1:9092']);
  t.same(c.get('log.cleanup.policy'), ['compact', 'delete']);
  t.throws(() => c.get('foo.bar'), { message: 'unknown broker config foo.bar' });

  t.equal(c.raw('log.cleanup.policy'), 'compact,delete');
  t.equal(c.raw('num.partitions'), '3');
  t.equal(c.raw('auto.create.topics.enable'), 'true');
  t.equal(c.raw('log.cleaner.min.cleanable.ratio'), '0.5');
  t.equal(c.raw('log.flush.interval.ms'), LONG_MAX, 'Long.MAX_VALUE as Kafka writes it, not 9223372036854776000');
  t.equal(c.raw('log.dirs'), null);
  // a topic config without a broker config behind it in Kafka 4.1 (ServerTopicConfigSynonyms)
  t.throws(() => c.raw('follower.replication.throttled.replicas'), { message: 'unknown broker config follower.replication.throttled.replicas' });
  t.equal(topicConfigDef('follower.replication.throttled.replicas')?.brokerSynonym, undefined);
  t.equal(new BrokerConfig({ 'log.retention.bytes': LONG_MAX }).raw('log.retention.bytes'), LONG_MAX);

  t.throws(() => new BrokerConfig({ 'num.partitions': 'zero' }), { message: 'Invalid value zero for configuration num.partitions: Not a number of type INT' });
  t.throws(() => new BrokerConfig({ 'num.partitions': '0' }), { message: 'Invalid value 0 for configuration num.partitions: Value must be at least 1' });
  t.throws(() => new BrokerConfig({ 'compression.type': 'brotli' }), { message: /String must be one of/ });

  const fromMap = new BrokerConfig(new Map([['node.id', '7'], ['x.y', '1']]));
  t.equal(fromMap.int('node.id'), 7);
  t.same(fromMap.unknown, ['x.y']);
  t.same(new BrokerConfig().unknown, []);
});

t.test('parseProperties: server.properties as java.util.Properties reads it', async t => {
  const text = [
    '# a comment',
    '! another comment',
    '   # an indented comment',
    '',
    '   ',
    'a=1',
    'b:2',
    'c 3',
    'd = 4',
    'e    :   5',
    '\tf\t=\t6',
    'g=',
    'h',
    'i=x=y:z',
    'j = a value with spaces',
    'listeners=PLAINTEXT://:9092',
    'long=one,\\',
    '     two,\\',
    '\t three',
    '# a comment ending in a backslash does not continue \\',
    'k=after',
    'path=C:\\\\dir\\\\sub',
    'escaped=tab\\there\\u00e9',
    'two\\ words=key with an escaped space',
    'ends=in two backslashes\\\\',
    'l=not swallowed',
    'a=last wins',
  ].join('\n');
  const p = parseProperties(text);
  t.same(Object.fromEntries(p), {
    a: 'last wins',
    b: '2',
    c: '3',
    d: '4',
    e: '5',
    f: '6',
    g: '',
    h: '',
    i: 'x=y:z',
    j: 'a value with spaces',
    listeners: 'PLAINTEXT://:9092',
    long: 'one,two,three',
    k: 'after',
    path: 'C:\\dir\\sub',
    escaped: 'tab\there\u00e9',
    'two words': 'key with an escaped space',
    ends: 'in two backslashes\\',
    l: 'not swallowed',
  });
  t.same(Object.fromEntries(parseProperties('x=1\r\ny=2\r\n')), { x: '1', y: '2' }, 'CRLF line ends');
  t.same(Object.fromEntries(parseProperties('x=1\\')), { x: '1' }, 'a continuation at the end of the text');
  t.same(Object.fromEntries(parseProperties('x=a\\\n# not a comment\ny=2')), { x: 'a# not a comment', y: '2' }, 'a continued line is never a comment');
  t.same(parseProperties('').size, 0);
  t.same(parseProperties('# only\n\n! comments\n').size, 0);
});

t.test('topicNameProblem: Kafka\'s Topic.validate', async t => {
  t.equal(MAX_TOPIC_NAME_LENGTH, 249);
  t.equal(topicNameProblem('a'.repeat(249)), null, '249 characters');
  const long = 'a'.repeat(250);
  t.equal(topicNameProblem(long), `Topic name is illegal, it can't be longer than 249 characters, topic name: ${long}`);
  t.equal(topicNameProblem(''), 'Topic name is illegal, it can\'t be empty');
  t.equal(topicNameProblem('.'), 'Topic name cannot be "." or ".."');
  t.equal(topicNameProblem('..'), 'Topic name cannot be "." or ".."');
  for (const ok of ['...', '.a', 'A-z_0.9', '__consumer_offsets', '-']) t.equal(topicNameProblem(ok), null, `${ok} is legal`);
  for (const bad of ['a b', 'a/b', 'ä', 'a$', 'a\n', 'a:b', 'a,b', 'a*', '😀']) {
    t.equal(
      topicNameProblem(bad),
      `Topic name "${bad}" is illegal, it contains a character other than ASCII alphanumerics, '.', '_' and '-'`,
      `${JSON.stringify(bad)} is illegal`,
    );
  }
});

t.test('topicConfig: the topic\'s value, else the broker synonym, else the default', async t => {
  const cluster = new Cluster({
    clusterId: 'c',
    nodes: [plainNode(0)],
    config: new BrokerConfig({ 'log.retention.ms': '1000', 'message.max.bytes': '2000', 'log.message.timestamp.type': 'LogAppendTime', 'log.cleanup.policy': 'compact' }),
    logs: new MemoryLogFactory(systemClock),
    random: randomBytes,
  });
  const own = new Topic('own', 'id1', new Map([['retention.ms', '5'], ['cleanup.policy', 'delete,compact'], ['segment.ms', '77']]), false);
  const bare = new Topic('bare', 'id2', new Map(), false);
  t.equal(cluster.topicConfig(own, 'retention.ms'), 5, 'set on the topic');
  t.equal(cluster.topicConfig(bare, 'retention.ms'), 1000, 'the broker synonym log.retention.ms');
  t.equal(cluster.topicConfig(null, 'retention.ms'), 1000);
  t.same(cluster.topicConfig(own, 'cleanup.policy'), ['delete', 'compact']);
  t.same(cluster.topicConfig(bare, 'cleanup.policy'), ['compact']);
  t.equal(cluster.topicConfig(own, 'segment.ms'), 77);
  t.equal(cluster.topicConfig(bare, 'segment.ms'), 604800000, 'the broker does not set log.roll.ms: Kafka\'s default');
  t.equal(cluster.topicConfig(bare, 'flush.ms'), TWO_63, 'a Long.MAX_VALUE default');
  t.equal(cluster.topicConfig(bare, 'remote.storage.enable'), false, 'no broker synonym');
  t.equal(cluster.topicConfig(bare, 'max.message.bytes'), 2000, 'synonym under another name (message.max.bytes)');
  t.throws(() => cluster.topicConfig(bare, 'no.such.config'), { message: 'unknown topic config no.such.config' });

  // the resolved settings of a created topic
  const created = cluster.createTopic('made', [[0]], new Map([['max.message.bytes', '100']]));
  t.same(created.settings, {
    maxMessageBytes: 100,
    logAppendTime: true,
    timestampAfterMaxMs: 3600000,
    timestampBeforeMaxMs: Number.MAX_VALUE,
    minInsyncReplicas: 1,
    log: {
      segmentBytes: 1073741824,
      segmentMs: 604800000,
      segmentJitterMs: 0,
      indexIntervalBytes: 4096,
      segmentIndexBytes: 10485760,
      flushMessages: Number.MAX_VALUE,
      flushMs: Number.MAX_VALUE,
      retentionMs: 1000,
      retentionBytes: -1,
      deleteRetention: false, // log.cleanup.policy=compact
      compact: true,
      deleteRetentionMs: 86400000,
      minCleanableRatio: 0.5,
      minCompactionLagMs: 0,
      maxCompactionLagMs: Number.MAX_VALUE,
    },
  });
  // a compacted topic rolls by max.compaction.lag.ms too (Kafka's LogConfig.maxSegmentMs)
  const lagged = cluster.createTopic('lagged', [[0]], new Map([['max.compaction.lag.ms', '5000']]));
  t.equal(lagged.settings.log.segmentMs, 5000, 'segment.ms is capped by max.compaction.lag.ms on a compacted topic');
  const plain = cluster.createTopic('plain', [[0]], new Map([['max.compaction.lag.ms', '5000'], ['cleanup.policy', 'delete']]));
  t.equal(plain.settings.log.segmentMs, 604800000, 'but not on a topic that is not compacted');
  const sources = new Map(cluster.describeTopicConfigs(new Map([['retention.ms', '5']])).map(c => [c.name, [c.value, c.source]]));
  t.same(sources.get('retention.ms'), ['5', 'topic']);
  t.same(sources.get('max.message.bytes'), ['2000', 'broker']);
  t.same(sources.get('cleanup.policy'), ['compact', 'broker']);
  t.same(sources.get('segment.ms'), ['604800000', 'default']);
  t.same(sources.get('flush.ms'), [LONG_MAX, 'default']);
  t.equal(sources.size, TOPIC_CONFIGS.length);
});

t.test('canonicalText: values as Kafka writes them back once parsed', async t => {
  t.equal(canonicalText(broker('log.retention.bytes'), ' +0009007199254740993 '), '9007199254740993', 'longs exact, beyond 2^53');
  t.equal(canonicalText(topic('min.cleanable.dirty.ratio'), '1'), '1.0', 'doubles as Java prints them');
  t.equal(canonicalText(topic('min.cleanable.dirty.ratio'), '5e-1'), '0.5');
  t.equal(canonicalText(topic('preallocate'), 'TRUE'), 'true');
  t.equal(canonicalText(topic('cleanup.policy'), ' compact , delete '), 'compact,delete');
  t.equal(canonicalText(topic('cleanup.policy'), ''), '');
  t.equal(canonicalText(topic('compression.type'), ' zstd '), 'zstd');
  t.equal(canonicalText(broker('advertised.listeners'), null), null);
});

t.test('dynamicUpdateMode: Kafka 4.1\'s dynamic broker configs', async t => {
  for (const name of ['log.retention.ms', 'message.max.bytes', 'min.insync.replicas', 'compression.type', 'log.cleanup.policy', 'log.cleaner.threads', 'log.cleaner.backoff.ms', 'producer.id.expiration.ms', 'transaction.partition.verification.enable']) {
    t.equal(dynamicUpdateMode(name), 'cluster-wide', name);
  }
  t.equal(dynamicUpdateMode('listeners'), 'per-broker');
  for (const name of ['node.id', 'num.partitions', 'auto.create.topics.enable', 'log.retention.check.interval.ms', 'log.cleaner.enable', 'offsets.topic.num.partitions', 'group.consumer.session.timeout.ms', 'advertised.listeners', 'fetch.max.bytes']) {
    t.equal(dynamicUpdateMode(name), undefined, `${name} is read-only`);
  }
  for (const def of TOPIC_CONFIGS) if (def.brokerSynonym) t.equal(dynamicUpdateMode(def.brokerSynonym), 'cluster-wide', `${def.brokerSynonym}, synonym of ${def.name}`);
});

t.test('BrokerConfig with dynamic configs: the node\'s own, then the cluster-wide default, then the static value', async t => {
  const store = new DynamicConfigs();
  const node0 = new BrokerConfig({ 'log.retention.ms': '5000', 'my.plugin': 'p' });
  const node1 = new BrokerConfig({ 'node.id': '1' });
  store.attach(node0);
  store.attach(node1);
  t.same([node0.get('log.retention.ms'), node0.isSet('log.segment.bytes')], [5000, false], 'static');
  store.setBroker('', new Map([['log.retention.ms', '4000'], ['log.segment.bytes', '2097152']]));
  t.same([node0.get('log.retention.ms'), node1.get('log.retention.ms'), node1.isSet('log.segment.bytes')], [4000, 4000, true], 'the cluster-wide default, on every node');
  store.setBroker('1', new Map([['log.retention.ms', '3000']]));
  t.same([node0.get('log.retention.ms'), node1.get('log.retention.ms')], [4000, 3000], 'a node\'s own');
  t.same([node0.staticValue('log.retention.ms'), node0.staticText('log.retention.ms'), node0.staticText('my.plugin')], [5000, '5000', 'p'], 'the static values stay known');
  store.setBroker('1', new Map());
  t.equal(node1.get('log.retention.ms'), 4000, 'removed');
  // read-only configs and per-broker configs set cluster-wide are ignored (a file edited by hand)
  store.setBroker('', new Map([['num.partitions', '9'], ['listeners', 'PLAINTEXT://:1'], ['log.retention.ms', 'soon']]));
  t.same([node0.int('num.partitions'), node0.get('listeners'), node0.get('log.retention.ms')], [1, ['PLAINTEXT://127.0.0.1:9092'], 5000]);
});

t.test('DynamicConfigs: its own file, read back; a failed save changes nothing', async t => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'samsa-dyn-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const store = new DynamicConfigs();
  store.open(dir);
  const seen: string[] = [];
  store.onChange(c => seen.push(`${c.resourceType}:${c.resourceName}`));
  store.setBroker('', new Map([['log.retention.ms', '4000']]));
  store.setBroker('0', new Map([['message.max.bytes', '2000']]));
  store.setClientMetrics('subs', new Map([['interval.ms', '1000']]));
  t.same(seen, ['4:', '4:0', '16:subs']);
  const again = new DynamicConfigs();
  again.open(dir);
  t.same([Object.fromEntries(again.broker('')), Object.fromEntries(again.broker('0')), again.clientMetricsNames(), again.dynamicValue(0, 'message.max.bytes'), again.dynamicValue(7, 'log.retention.ms')], [
    { 'log.retention.ms': '4000' }, { 'message.max.bytes': '2000' }, ['subs'], 2000, 4000,
  ]);
  fs.rmSync(dir, { recursive: true, force: true });
  t.throws(() => store.setBroker('', new Map([['log.retention.ms', '1']])), 'the save fails: the directory is gone');
  t.same([Object.fromEntries(store.broker('')), store.dynamicValue(0, 'log.retention.ms')], [{ 'log.retention.ms': '4000' }, 4000], 'and the store is as it was');
});

t.test('applyOps: IncrementalAlterConfigs as Kafka\'s controller applies it', async t => {
  const notList = (op: string, name: string) => new KafkaError(40, `${op} ${name}`);
  const run = (current: Record<string, string>, ops: [string, number, string | null][]) => {
    const r = applyOps(new Map(Object.entries(current)), ops.map(([name, op, value]) => ({ name, op, value })), topicConfigDef, notList);
    return r instanceof KafkaError ? r.message : Object.fromEntries(r);
  };
  t.same(run({}, [['cleanup.policy', 2, 'compact']]), { 'cleanup.policy': 'delete,compact' }, 'APPEND starts from the default');
  t.same(run({ 'cleanup.policy': 'compact' }, [['cleanup.policy', 2, 'compact,delete']]), { 'cleanup.policy': 'compact,delete' }, 'items already there are not added');
  t.same(run({ 'cleanup.policy': 'compact,delete' }, [['cleanup.policy', 3, 'compact']]), { 'cleanup.policy': 'delete' }, 'SUBTRACT');
  t.same(run({}, [['cleanup.policy', 3, 'delete']]), { 'cleanup.policy': '' }, 'SUBTRACT to nothing leaves an empty list');
  t.same(run({}, [['follower.replication.throttled.replicas', 2, '0:1,']]), { 'follower.replication.throttled.replicas': '0:1' }, 'a trailing comma adds nothing (Java\'s split)');
  t.same(run({ 'retention.ms': '5' }, [['retention.ms', 1, null], ['segment.ms', 0, '9']]), { 'segment.ms': '9' }, 'DELETE and SET');
  t.equal(run({}, [['retention.ms', 2, '5']]), 'APPEND retention.ms', 'APPEND to a non-list');
  t.equal(run({}, [['retention.ms', 0, '5'], ['segment.ms', 9, '5']]), 'Unknown operations type 9', 'an unknown operation, before anything');
});

t.test('clientMetricsProblem: ClientMetricsConfigs.validate', async t => {
  const check = (name: string, configs: Record<string, string>) => {
    const e = clientMetricsProblem(name, new Map(Object.entries(configs)));
    return e === null ? null : [e.code, e.message];
  };
  t.equal(check('s', { metrics: 'a.,b.', 'interval.ms': '100', match: 'client_id=x.*,client_source_port=9\\d+' }), null);
  t.same(check('', {}), [42, 'Subscription name can\'t be empty']);
  t.same(check('s', { 'interval.ms': '3600001' }), [42, 'Invalid value 3600001 for interval.ms, interval must be between 100 and 3600000 (1 hour)']);
  t.same(check('s', { match: 'client_id' }), [40, 'Illegal client matching pattern: client_id']);
  t.same(check('s', { match: 'client_id=a=b' }), [40, 'Illegal client matching pattern: client_id=a=b']);
  t.same(check('s', { match: 'client_id=' }), [40, 'Illegal client matching pattern: client_id=']);
  t.same(check('s', { other: '1' }), [42, 'Unknown client metrics configuration: other']);
});
