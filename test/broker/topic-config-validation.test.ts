// Topic configs the storage engine uses, on the wire: Kafka 4.1's types, ranges, defaults, broker
// synonyms and cross-config rules, refused with INVALID_CONFIG (40) and changing nothing. Through
// CreateTopics (19), whose v5+ answer lists the topic's effective configs with their sources; and
// through AlterConfigs (33) and IncrementalAlterConfigs (44), read back with DescribeConfigs (32),
// once those APIs are built (until then their tests are skipped).
/* eslint-disable @typescript-eslint/no-explicit-any -- responses decoded from the specs at run time */
import t from 'tap';
import { testBroker, testClient } from '../helpers/broker.js';
import type { TestClient } from '../helpers/client.js';
import { topicNames } from '../helpers/kafka.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import { HANDLERS } from '../../src/broker/handlers/index.js';
import { LONG_MAX } from '../../src/cluster/configs.js';

/** DescribeConfigs' ConfigSource codes. */
const DYNAMIC_TOPIC_CONFIG = 1;
const STATIC_BROKER_CONFIG = 4;
const DEFAULT_CONFIG = 5;

interface ConfigCase {
  name: string;
  /** Kafka's broker config that is the topic's default (ServerTopicConfigSynonyms). */
  synonym: string;
  /** Kafka 4.1's default (LogConfig), as DescribeConfigs writes it. */
  default: string;
  valid: string;
  /** Refused values: out of range, of the wrong type or not among the allowed, with Kafka's complaint. */
  bad: [value: string, complaint: string][];
}

const LONG = 'Not a number of type LONG';
const INT = 'Not a number of type INT';
const DOUBLE = 'Not a number of type DOUBLE';
const AT_LEAST = (n: number) => `Value must be at least ${n}`;

const CONFIGS: ConfigCase[] = [
  { name: 'cleanup.policy', synonym: 'log.cleanup.policy', default: 'delete', valid: 'compact,delete', bad: [['zip', 'String must be one of: compact, delete'], ['Compact', 'String must be one of: compact, delete']] },
  { name: 'delete.retention.ms', synonym: 'log.cleaner.delete.retention.ms', default: '86400000', valid: '3600000', bad: [['-1', AT_LEAST(0)], ['abc', LONG], ['1.5', LONG]] },
  { name: 'file.delete.delay.ms', synonym: 'log.segment.delete.delay.ms', default: '60000', valid: '0', bad: [['-1', AT_LEAST(0)], ['abc', LONG]] },
  { name: 'flush.messages', synonym: 'log.flush.interval.messages', default: LONG_MAX, valid: '1', bad: [['0', AT_LEAST(1)], ['abc', LONG], ['9223372036854775808', LONG]] },
  { name: 'flush.ms', synonym: 'log.flush.interval.ms', default: LONG_MAX, valid: '1000', bad: [['-1', AT_LEAST(0)], ['abc', LONG]] },
  { name: 'index.interval.bytes', synonym: 'log.index.interval.bytes', default: '4096', valid: '1024', bad: [['-1', AT_LEAST(0)], ['1.5', INT], ['2147483648', INT]] },
  { name: 'max.compaction.lag.ms', synonym: 'log.cleaner.max.compaction.lag.ms', default: LONG_MAX, valid: '86400000', bad: [['0', AT_LEAST(1)], ['abc', LONG]] },
  { name: 'min.compaction.lag.ms', synonym: 'log.cleaner.min.compaction.lag.ms', default: '0', valid: '1000', bad: [['-1', AT_LEAST(0)], ['abc', LONG]] },
  { name: 'min.cleanable.dirty.ratio', synonym: 'log.cleaner.min.cleanable.ratio', default: '0.5', valid: '0.25', bad: [['1.5', 'Value must be no more than 1'], ['-0.1', AT_LEAST(0)], ['abc', DOUBLE], ['0x1', DOUBLE]] },
  // no range in Kafka: any long, and nothing beyond one
  { name: 'retention.bytes', synonym: 'log.retention.bytes', default: '-1', valid: '1048576', bad: [['9223372036854775808', LONG], ['abc', LONG], ['1.5', LONG]] },
  { name: 'retention.ms', synonym: 'log.retention.ms', default: '604800000', valid: '-1', bad: [['-2', AT_LEAST(-1)], ['abc', LONG]] },
  { name: 'segment.bytes', synonym: 'log.segment.bytes', default: '1073741824', valid: '1048576', bad: [['1048575', AT_LEAST(1048576)], ['1.5', INT], ['2147483648', INT]] },
  { name: 'segment.index.bytes', synonym: 'log.index.size.max.bytes', default: '10485760', valid: '4096', bad: [['3', AT_LEAST(4)], ['1.5', INT]] },
  { name: 'segment.jitter.ms', synonym: 'log.roll.jitter.ms', default: '0', valid: '1000', bad: [['-1', AT_LEAST(0)], ['abc', LONG]] },
  { name: 'segment.ms', synonym: 'log.roll.ms', default: '604800000', valid: '3600000', bad: [['0', AT_LEAST(1)], ['abc', LONG]] },
  { name: 'preallocate', synonym: 'log.preallocate', default: 'false', valid: 'true', bad: [['maybe', 'Expected value to be either true or false'], ['1', 'Expected value to be either true or false']] },
  { name: 'max.message.bytes', synonym: 'message.max.bytes', default: '1048588', valid: '2097152', bad: [['-1', AT_LEAST(0)], ['1.5', INT]] },
  { name: 'message.timestamp.type', synonym: 'log.message.timestamp.type', default: 'CreateTime', valid: 'LogAppendTime', bad: [['WallClock', 'String must be one of: CreateTime, LogAppendTime'], ['createtime', 'String must be one of: CreateTime, LogAppendTime']] },
  { name: 'compression.type', synonym: 'compression.type', default: 'producer', valid: 'zstd', bad: [['zip', 'String must be one of: uncompressed, zstd, lz4, snappy, gzip, producer']] },
];

const complaint = (name: string, value: string, what: string) => `Invalid value ${value} for configuration ${name}: ${what}`;

/** CreateTopics v7 of one topic with one partition; returns its result. */
async function create(c: TestClient, name: string, configs: Record<string, string>, validateOnly = false): Promise<any> {
  const res = await c.call(19, 7, {
    topics: [{ name, numPartitions: 1, replicationFactor: -1, assignments: [], configs: Object.entries(configs).map(([k, v]) => ({ name: k, value: v })) }],
    validateOnly,
    timeoutMs: 5000,
  });
  return res.topics[0];
}

/** A CreateTopics result's configs, by name: [value, configSource]. */
const configsOf = (r: any): Map<string, [string | null, number]> => new Map(r.configs.map((x: any) => [x.name, [x.value, x.configSource]]));

// validateOnly first: the real request then creates the same topic
const modes = [true, false];
const mode = (validateOnly: boolean) => (validateOnly ? ' (validateOnly)' : '');

t.test('CreateTopics: every config takes a valid value, reported as the topic\'s own', async t => {
  const b = await testBroker(t);
  const c = await testClient(t, b);
  for (const [i, x] of CONFIGS.entries()) {
    for (const validateOnly of modes) {
      const r = await create(c, `ok${i}`, { [x.name]: x.valid }, validateOnly);
      t.same([r.errorCode, r.errorMessage], [ErrorCode.NONE, null], `${x.name}=${x.valid}${mode(validateOnly)}: accepted`);
      t.same(configsOf(r).get(x.name), [x.valid, DYNAMIC_TOPIC_CONFIG], `${x.name}${mode(validateOnly)}: reported as DYNAMIC_TOPIC_CONFIG`);
      t.equal(b.broker.cluster.topic(`ok${i}`)?.configs.get(x.name), validateOnly ? undefined : x.valid, `${x.name}${mode(validateOnly)}: ${validateOnly ? 'nothing created' : 'kept on the topic'}`);
    }
  }
  t.same(await topicNames(c), CONFIGS.map((_, i) => `ok${i}`).sort());
});

t.test('CreateTopics: values out of range, of the wrong type or not allowed are refused with INVALID_CONFIG', async t => {
  const b = await testBroker(t);
  const c = await testClient(t, b);
  for (const x of CONFIGS) {
    for (const [value, what] of x.bad) {
      for (const validateOnly of modes) {
        // beside a valid config, so the bad one alone is the reason
        const other = x.name === 'retention.ms' ? 'segment.ms' : 'retention.ms';
        const r = await create(c, 'refused', { [other]: '3600000', [x.name]: value }, validateOnly);
        t.same([r.errorCode, r.errorMessage], [ErrorCode.INVALID_CONFIG, complaint(x.name, value, what)], `${x.name}=${JSON.stringify(value)}${mode(validateOnly)}`);
        t.same([r.numPartitions, r.replicationFactor, r.configs], [-1, -1, null], 'no result fields');
      }
    }
  }
  // the item at fault in a list is named
  const r = await create(c, 'refused', { 'cleanup.policy': 'compact,zip' });
  t.same([r.errorCode, r.errorMessage], [ErrorCode.INVALID_CONFIG, complaint('cleanup.policy', 'zip', 'String must be one of: compact, delete')]);
  t.same(await topicNames(c), [], 'nothing created');
});

t.test('CreateTopics: a topic without configs reports Kafka 4.1\'s defaults (DEFAULT_CONFIG)', async t => {
  const b = await testBroker(t);
  const c = await testClient(t, b);
  for (const validateOnly of modes) {
    const got = configsOf(await create(c, 'fresh', {}, validateOnly));
    for (const x of CONFIGS) t.same(got.get(x.name), [x.default, DEFAULT_CONFIG], `${x.name} default ${x.default}${mode(validateOnly)}`);
  }
});

t.test('CreateTopics: a broker synonym is the default of a topic that does not set the config (STATIC_BROKER_CONFIG)', async t => {
  const b = await testBroker(t, { config: Object.fromEntries(CONFIGS.map(x => [x.synonym, x.valid])) });
  const c = await testClient(t, b);
  const got = configsOf(await create(c, 'inherits', {}));
  for (const x of CONFIGS) t.same(got.get(x.name), [x.valid, STATIC_BROKER_CONFIG], `${x.name} from ${x.synonym}`);
  const own = configsOf(await create(c, 'overrides', Object.fromEntries(CONFIGS.map(x => [x.name, x.default]))));
  for (const x of CONFIGS) t.same(own.get(x.name), [x.default, DYNAMIC_TOPIC_CONFIG], `${x.name}: the topic's own value wins`);
});

t.test('CreateTopics: unknown config names are refused with INVALID_CONFIG', async t => {
  const b = await testBroker(t);
  const c = await testClient(t, b);
  const unknown = [
    'no.such.config',
    'log.retention.ms', // a broker config, not a topic config
    'message.timestamp.difference.max.ms', // removed in Kafka 4.0
    'message.format.version', // removed in Kafka 4.0
    'Retention.ms', // names are case-sensitive
  ];
  for (const name of unknown) {
    for (const validateOnly of modes) {
      const r = await create(c, 'unknown', { 'retention.ms': '1000', [name]: '1' }, validateOnly);
      t.same([r.errorCode, r.errorMessage], [ErrorCode.INVALID_CONFIG, `Unknown topic config name: ${name}`], `${name}${mode(validateOnly)}`);
    }
  }
  t.same(await topicNames(c), [], 'nothing created');
});

t.test('CreateTopics: cleanup.policy may be empty (Kafka 4.1) or name both policies', async t => {
  const b = await testBroker(t);
  const c = await testClient(t, b);
  for (const [i, value] of ['', 'delete,compact', 'compact'].entries()) {
    const r = await create(c, `policy${i}`, { 'cleanup.policy': value });
    t.equal(r.errorCode, ErrorCode.NONE, `cleanup.policy=${JSON.stringify(value)} accepted`);
    t.same(configsOf(r).get('cleanup.policy'), [value, DYNAMIC_TOPIC_CONFIG]);
  }
});

t.test('CreateTopics: Kafka\'s parsing of numbers (ConfigDef.parseType) and the value its complaints name', async t => {
  const b = await testBroker(t);
  const c = await testClient(t, b);
  const cases: [name: string, value: string, refusal: string | null][] = [
    ['min.cleanable.dirty.ratio', '1d', null], // Java's double syntax
    ['min.cleanable.dirty.ratio', '.5', null],
    ['min.cleanable.dirty.ratio', '5e-1', null],
    ['min.cleanable.dirty.ratio', ' 0.75 ', null], // trimmed
    ['min.cleanable.dirty.ratio', '0b1', complaint('min.cleanable.dirty.ratio', '0b1', DOUBLE)],
    ['min.cleanable.dirty.ratio', 'NaN', null], // Java parses it, and it passes Kafka's range check
    ['min.cleanable.dirty.ratio', '2', complaint('min.cleanable.dirty.ratio', '2.0', 'Value must be no more than 1')], // the parsed double
    ['min.cleanable.dirty.ratio', 'Infinity', complaint('min.cleanable.dirty.ratio', 'Infinity', 'Value must be no more than 1')],
    ['segment.ms', '+3600000', null],
    ['flush.messages', ' +0 ', complaint('flush.messages', '0', AT_LEAST(1))], // the parsed long
    ['segment.bytes', '0001048575', complaint('segment.bytes', '1048575', AT_LEAST(1048576))],
    ['preallocate', 'TRUE', null],
    ['compression.type', ' lz4 ', null],
    ['retention.ms', ' ', complaint('retention.ms', ' ', LONG)], // a parse failure names the value as given
  ];
  for (const [i, [name, value, refusal]] of cases.entries()) {
    const r = await create(c, `parse${i}`, { [name]: value }, true);
    t.same([r.errorCode, r.errorMessage], refusal === null ? [ErrorCode.NONE, null] : [ErrorCode.INVALID_CONFIG, refusal], `${name}=${JSON.stringify(value)}`);
  }
});

t.test('CreateTopics: Kafka\'s rules across configs (LogConfig.validate, without tiered storage)', async t => {
  const conflict = (min: string, max: string) => `conflict topic config setting min.compaction.lag.ms (${min}) > max.compaction.lag.ms (${max})`;
  const cases: [what: string, broker: Record<string, string>, topic: Record<string, string>, refusal: string | null][] = [
    ['min above max', {}, { 'min.compaction.lag.ms': '5000', 'max.compaction.lag.ms': '1000' }, conflict('5000', '1000')],
    ['min equal to max', {}, { 'min.compaction.lag.ms': '1000', 'max.compaction.lag.ms': '1000' }, null],
    ['min below max', {}, { 'min.compaction.lag.ms': '0', 'max.compaction.lag.ms': '1' }, null],
    ['min above the broker\'s max', { 'log.cleaner.max.compaction.lag.ms': '1000' }, { 'min.compaction.lag.ms': '5000' }, conflict('5000', '1000')],
    ['max below the broker\'s min', { 'log.cleaner.min.compaction.lag.ms': '5000' }, { 'max.compaction.lag.ms': '1000' }, conflict('5000', '1000')],
    ['the topic\'s own max over the broker\'s', { 'log.cleaner.max.compaction.lag.ms': '1000' }, { 'min.compaction.lag.ms': '5000', 'max.compaction.lag.ms': '10000' }, null],
    ['min above max beyond 2^53', {}, { 'min.compaction.lag.ms': '9007199254740993', 'max.compaction.lag.ms': '9007199254740992' }, conflict('9007199254740993', '9007199254740992')],
    ['min at Long.MAX_VALUE with the default max', {}, { 'min.compaction.lag.ms': LONG_MAX }, null],
    ['remote storage without tiered storage', {}, { 'remote.storage.enable': 'true' }, 'Tiered Storage functionality is disabled in the broker. Topic cannot be configured with remote log storage.'],
    ['remote storage off', {}, { 'remote.storage.enable': 'false' }, null],
  ];
  for (const [what, broker, topic, refusal] of cases) {
    const b = await testBroker(t, { config: broker });
    const c = await testClient(t, b);
    for (const validateOnly of modes) {
      const r = await create(c, 'combined', topic, validateOnly);
      t.same([r.errorCode, r.errorMessage], refusal === null ? [ErrorCode.NONE, null] : [ErrorCode.INVALID_CONFIG, refusal], `${what}${mode(validateOnly)}`);
    }
    t.same(await topicNames(c), refusal === null ? ['combined'] : [], `${what}: ${refusal === null ? 'created' : 'nothing created'}`);
  }
});

// AlterConfigs (33), IncrementalAlterConfigs (44) and DescribeConfigs (32)

const TOPIC = 2; // ConfigResource.Type.TOPIC
const SET = 0; // IncrementalAlterConfigs' OpType
const built = (key: number) => HANDLERS.get(key)?.handle !== undefined;

/** A topic's configs by DescribeConfigs v4: [value, configSource] by name. */
async function describe(c: TestClient, topic: string): Promise<Map<string, [string | null, number]>> {
  const res = await c.call(32, 4, { resources: [{ resourceType: TOPIC, resourceName: topic, configurationKeys: null }], includeSynonyms: false, includeDocumentation: false });
  const r = res.results[0];
  if (r.errorCode !== ErrorCode.NONE) throw new Error(`DescribeConfigs ${topic}: error ${r.errorCode} ${r.errorMessage}`);
  return new Map(r.configs.map((x: any) => [x.name, [x.value, x.configSource]]));
}

const ALTERS = [
  // AlterConfigs replaces every config the topic sets; IncrementalAlterConfigs sets the ones named
  { api: 'AlterConfigs', key: 33, version: 2, entry: (name: string, value: string) => ({ name, value }) },
  { api: 'IncrementalAlterConfigs', key: 44, version: 1, entry: (name: string, value: string) => ({ name, configOperation: SET, value }) },
];

for (const { api, key, version, entry } of ALTERS) {
  const alter = async (c: TestClient, topic: string, configs: Record<string, string>, validateOnly = false): Promise<any> => {
    const res = await c.call(key, version, {
      resources: [{ resourceType: TOPIC, resourceName: topic, configs: Object.entries(configs).map(([k, v]) => entry(k, v)) }],
      validateOnly,
    });
    return res.responses[0];
  };
  const skip = built(key) && built(32) ? false : `${api} (${key}) or DescribeConfigs (32) is not built yet`;

  t.test(`${api}: valid values apply; bad values, unknown names and validateOnly change nothing`, { skip }, async t => {
    const b = await testBroker(t);
    const c = await testClient(t, b);
    await create(c, 'altered', {});
    for (const x of CONFIGS) {
      const ok = await alter(c, 'altered', { [x.name]: x.valid });
      t.same([ok.errorCode, ok.resourceName], [ErrorCode.NONE, 'altered'], `${x.name}=${x.valid} accepted`);
      t.same((await describe(c, 'altered')).get(x.name), [x.valid, DYNAMIC_TOPIC_CONFIG], `${x.name}: described as set`);
      for (const [value] of x.bad) {
        for (const validateOnly of modes) {
          const r = await alter(c, 'altered', { [x.name]: value }, validateOnly);
          t.equal(r.errorCode, ErrorCode.INVALID_CONFIG, `${x.name}=${JSON.stringify(value)}${mode(validateOnly)}: INVALID_CONFIG`);
          t.same((await describe(c, 'altered')).get(x.name), [x.valid, DYNAMIC_TOPIC_CONFIG], `${x.name}: the previous value stands`);
        }
      }
      const dry = await alter(c, 'altered', { [x.name]: x.default }, true);
      t.equal(dry.errorCode, ErrorCode.NONE, `${x.name}=${x.default} (validateOnly): valid`);
      t.same((await describe(c, 'altered')).get(x.name), [x.valid, DYNAMIC_TOPIC_CONFIG], `${x.name} (validateOnly): not applied`);
    }
    const before = await describe(c, 'altered');
    for (const validateOnly of modes) {
      const r = await alter(c, 'altered', { 'no.such.config': '1' }, validateOnly);
      t.equal(r.errorCode, ErrorCode.INVALID_CONFIG, `an unknown name${mode(validateOnly)}: INVALID_CONFIG`);
      t.match(r.errorMessage, /Unknown topic config name: no\.such\.config/);
    }
    t.same(await describe(c, 'altered'), before, 'nothing changed');
  });

  t.test(`${api}: min.compaction.lag.ms above max.compaction.lag.ms is refused`, { skip }, async t => {
    const b = await testBroker(t);
    const c = await testClient(t, b);
    await create(c, 'lagged', {});
    const both = await alter(c, 'lagged', { 'min.compaction.lag.ms': '5000', 'max.compaction.lag.ms': '1000' });
    t.equal(both.errorCode, ErrorCode.INVALID_CONFIG, 'both in one request');
    t.same((await describe(c, 'lagged')).get('min.compaction.lag.ms'), ['0', DEFAULT_CONFIG], 'nothing changed');
    if (key === 44) {
      t.equal((await alter(c, 'lagged', { 'max.compaction.lag.ms': '1000' })).errorCode, ErrorCode.NONE);
      t.equal((await alter(c, 'lagged', { 'min.compaction.lag.ms': '5000' })).errorCode, ErrorCode.INVALID_CONFIG, 'against the max set before');
      t.same((await describe(c, 'lagged')).get('min.compaction.lag.ms'), ['0', DEFAULT_CONFIG], 'nothing changed');
    }
  });
}

t.test('DescribeConfigs: a fresh topic reports Kafka 4.1\'s defaults', { skip: built(32) ? false : 'DescribeConfigs (32) is not built yet' }, async t => {
  const b = await testBroker(t);
  const c = await testClient(t, b);
  await create(c, 'fresh', {});
  const got = await describe(c, 'fresh');
  for (const x of CONFIGS) t.same(got.get(x.name), [x.default, DEFAULT_CONFIG], `${x.name} default ${x.default}`);
});
