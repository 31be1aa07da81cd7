// DescribeClientQuotas (48) and AlterClientQuotas (49) over the wire, at v0 and v1: entities of
// user / client-id / ip and their defaults, the match types and `strict`, removal, validateOnly,
// and every kind of bad input answered with Kafka 4.1's code and message while nothing changes.
// Disk mode: the quotas survive a restart.
/* eslint-disable @typescript-eslint/no-explicit-any -- responses decoded from the specs at run time */
import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { testBroker, testClient } from '../helpers/broker.js';
import type { TestClient } from '../helpers/client.js';
import { ErrorCode, errorMessage } from '../../src/protocol/errors.js';
import { startBroker } from '../../src/index.js';
import { CLIENT_QUOTAS_FILE } from '../../src/cluster/client-quotas.js';

type Pair = [string, string | null];
interface Op {
  key: string;
  value?: number;
  remove?: boolean;
}

const entity = (...pairs: Pair[]) => pairs.map(([entityType, entityName]) => ({ entityType, entityName }));
const ops = (...list: Op[]) => list.map(o => ({ key: o.key, value: o.value ?? 0, remove: o.remove ?? false }));
const set = (key: string, value: number): Op => ({ key, value });
const remove = (key: string): Op => ({ key, remove: true });

async function alter(c: TestClient, entries: { entity: Pair[]; ops: Op[] }[], opts: { version?: number; validateOnly?: boolean } = {}): Promise<any[]> {
  const res = await c.call(49, opts.version ?? 1, {
    entries: entries.map(e => ({ entity: entity(...e.entity), ops: ops(...e.ops) })),
    validateOnly: opts.validateOnly ?? false,
  });
  return res.entries;
}

/** Answers of a one-entry alteration: [code, message]. */
async function alterOne(c: TestClient, e: Pair[], o: Op[], version = 1): Promise<[number, string | null]> {
  const [r] = await alter(c, [{ entity: e, ops: o }], { version });
  return [r.errorCode, r.errorMessage];
}

/** An entity as text: its entries in the order answered, `type=name` (name `<default>` when null). */
const show = (entries: { entityType: string; entityName: string | null }[]) => entries.map(e => `${e.entityType}=${e.entityName ?? '<default>'}`).join(',');

async function describe(c: TestClient, components: { entityType: string; matchType: number; match?: string | null }[], strict = false, version = 1): Promise<any> {
  return c.call(48, version, { components: components.map(x => ({ match: null, ...x })), strict });
}

/** The described entities with their values, sorted: `entity: key=value,…`. */
async function described(c: TestClient, components: Parameters<typeof describe>[1] = [], strict = false, version = 1): Promise<string[]> {
  const res = await describe(c, components, strict, version);
  if (res.errorCode !== 0) throw new Error(`describe failed: ${res.errorCode} ${res.errorMessage}`);
  return res.entries.map((e: any) => `${show(e.entity)}: ${e.values.map((v: any) => `${v.key}=${v.value}`).sort().join(',')}`).sort();
}

const EXACT = 0;
const DEFAULT = 1;
const ANY = 2;

for (const version of [0, 1]) {
  t.test(`v${version}: quotas are set, described with every match type, changed and removed`, async t => {
    const b = await testBroker(t);
    const c = await testClient(t, b);
    const answers = await alter(
      c,
      [
        { entity: [['user', 'alice']], ops: [set('producer_byte_rate', 1024), set('consumer_byte_rate', 2048)] },
        { entity: [['user', null]], ops: [set('request_percentage', 50.5)] },
        { entity: [['client-id', 'app']], ops: [set('controller_mutation_rate', 2.5)] },
        { entity: [['user', 'alice'], ['client-id', 'app']], ops: [set('producer_byte_rate', 100)] },
        { entity: [['user', null], ['client-id', null]], ops: [set('consumer_byte_rate', 10)] },
        { entity: [['client-id', null]], ops: [set('producer_byte_rate', 5)] },
        { entity: [['ip', '10.1.2.3']], ops: [set('connection_creation_rate', 10)] },
        { entity: [['ip', null]], ops: [set('connection_creation_rate', 20)] },
      ],
      { version },
    );
    t.equal(answers.length, 8);
    t.same(answers.map(a => [a.errorCode, a.errorMessage]), Array(8).fill([0, null]), 'every entry succeeds');
    t.same(answers.map(a => show(a.entity)).sort(), ['client-id=<default>', 'client-id=app', 'client-id=app,user=alice', 'client-id=<default>,user=<default>', 'ip=10.1.2.3', 'ip=<default>', 'user=<default>', 'user=alice'].sort());

    const all = [
      'client-id=<default>,user=<default>: consumer_byte_rate=10',
      'client-id=<default>: producer_byte_rate=5',
      'client-id=app,user=alice: producer_byte_rate=100',
      'client-id=app: controller_mutation_rate=2.5',
      'ip=10.1.2.3: connection_creation_rate=10',
      'ip=<default>: connection_creation_rate=20',
      'user=<default>: request_percentage=50.5',
      'user=alice: consumer_byte_rate=2048,producer_byte_rate=1024',
    ].sort();
    t.same(await described(c, [], false, version), all, 'no components: every entity');
    t.same(await described(c, [], true, version), [], 'no components, strict: none');
    t.same(await described(c, [{ entityType: 'user', matchType: EXACT, match: 'alice' }], false, version), [all[2], all[7]], 'exact user: that user alone and with a client id');
    t.same(await described(c, [{ entityType: 'user', matchType: EXACT, match: 'alice' }], true, version), [all[7]], 'exact user, strict: that user alone');
    t.same(await described(c, [{ entityType: 'user', matchType: DEFAULT }], false, version), [all[0], all[6]], 'default user');
    t.same(await described(c, [{ entityType: 'user', matchType: DEFAULT }], true, version), [all[6]], 'default user, strict');
    t.same(await described(c, [{ entityType: 'user', matchType: ANY }], false, version), [all[0], all[2], all[6], all[7]], 'any user, the default one included');
    t.same(await described(c, [{ entityType: 'user', matchType: ANY }], true, version), [all[6], all[7]], 'any user, strict');
    t.same(
      await described(c, [{ entityType: 'user', matchType: ANY }, { entityType: 'client-id', matchType: ANY }], true, version),
      [all[0], all[2]],
      'any user with any client id, strict',
    );
    t.same(await described(c, [{ entityType: 'client-id', matchType: EXACT, match: 'app' }, { entityType: 'user', matchType: DEFAULT }], false, version), [], 'no default user has client id app');
    t.same(await described(c, [{ entityType: 'client-id', matchType: EXACT, match: 'nope' }], false, version), [], 'an unknown name matches nothing');
    t.same(await described(c, [{ entityType: 'ip', matchType: ANY }], false, version), [all[4], all[5]], 'any ip');
    t.same(await described(c, [{ entityType: 'ip', matchType: DEFAULT }], true, version), [all[5]], 'default ip');
    t.same(await described(c, [{ entityType: 'ip', matchType: EXACT, match: '10.1.2.3' }], true, version), [all[4]], 'exact ip');

    t.same(await alterOne(c, [['user', 'alice']], [set('producer_byte_rate', 4096), remove('consumer_byte_rate')], version), [0, null], 'one value changed, one removed');
    t.same(await described(c, [{ entityType: 'user', matchType: EXACT, match: 'alice' }], true, version), ['user=alice: producer_byte_rate=4096']);
    t.same(await alterOne(c, [['user', 'alice']], [remove('producer_byte_rate')], version), [0, null]);
    t.same(await described(c, [{ entityType: 'user', matchType: EXACT, match: 'alice' }], true, version), [], 'an entity without values is gone');
    t.same(await alterOne(c, [['user', 'alice']], [remove('producer_byte_rate'), remove('no_such_key')], version), [0, null], 'removing what is not there (any key) is no change');
    t.same(await described(c, [{ entityType: 'user', matchType: EXACT, match: 'alice' }], false, version), [all[2]]);
  });
}

t.test('the answers list entities as Kafka does: by its HashMap order, duplicates folded', async t => {
  const b = await testBroker(t);
  const c = await testClient(t, b);
  const [r] = await alter(c, [{ entity: [['user', 'u'], ['client-id', 'c']], ops: [set('producer_byte_rate', 10)] }]);
  t.equal(show(r.entity), 'client-id=c,user=u', 'Kafka iterates client-id before user');
  const res = await describe(c, [{ entityType: 'user', matchType: EXACT, match: 'u' }]);
  t.equal(show(res.entries[0].entity), 'client-id=c,user=u', 'DescribeClientQuotas too');
  // a type named twice in one entity: Kafka's map keeps the last name, and that is the entity
  const [twice] = await alter(c, [{ entity: [['user', 'first'], ['user', 'second']], ops: [set('consumer_byte_rate', 7)] }]);
  t.same([twice.errorCode, show(twice.entity)], [0, 'user=second']);
  t.same(await described(c, [{ entityType: 'user', matchType: EXACT, match: 'second' }], true), ['user=second: consumer_byte_rate=7']);
  t.same(await described(c, [{ entityType: 'user', matchType: EXACT, match: 'first' }]), []);
});

t.test('IP entities: address literals and resolvable host names', async t => {
  const b = await testBroker(t);
  const c = await testClient(t, b);
  for (const ip of ['192.168.0.1', '::1', 'fe80::1:2', '[::2]', 'localhost']) {
    t.same(await alterOne(c, [['ip', ip]], [set('connection_creation_rate', 3)]), [0, null], ip);
  }
  t.same(
    await alterOne(c, [['ip', 'no-such-host.invalid']], [set('connection_creation_rate', 3)]),
    [ErrorCode.INVALID_REQUEST, 'no-such-host.invalid is not a valid IP or resolvable host.'],
    'a name that does not resolve',
  );
  t.equal((await described(c, [{ entityType: 'ip', matchType: ANY }])).length, 5);
});

for (const version of [0, 1]) {
  t.test(`v${version}: bad alterations get Kafka's code and message, and change nothing`, async t => {
    const b = await testBroker(t);
    const c = await testClient(t, b);
    t.same(await alterOne(c, [['user', 'u']], [set('producer_byte_rate', 1000)], version), [0, null]);
    t.same(await alterOne(c, [['ip', '10.0.0.1']], [set('connection_creation_rate', 5)], version), [0, null]);
    const before = await described(c);
    const INVALID = ErrorCode.INVALID_REQUEST;
    const cases: [string, Pair[], Op[], string][] = [
      ['an empty entity', [], [set('producer_byte_rate', 5)], 'Invalid empty client quota entity'],
      ['an unknown entity type', [['group', 'g']], [set('producer_byte_rate', 5)], 'Unhandled client quota entity type: group'],
      ['an empty user name', [['user', '']], [set('producer_byte_rate', 5)], 'Empty user not supported'],
      ['an empty client id', [['client-id', '']], [set('producer_byte_rate', 5)], 'Empty client-id not supported'],
      ['an empty ip', [['ip', '']], [set('connection_creation_rate', 5)], 'Empty ip not supported'],
      ['ip with user', [['ip', '10.0.0.1'], ['user', 'u']], [set('connection_creation_rate', 5)], 'Invalid quota entity combination, IP entity shouldnot be combined with User or ClientId'],
      ['ip with client-id', [['client-id', 'c'], ['ip', null]], [set('connection_creation_rate', 5)], 'Invalid quota entity combination, IP entity shouldnot be combined with User or ClientId'],
      ['an invalid ip', [['ip', '300.1.2.3.invalid']], [set('connection_creation_rate', 5)], '300.1.2.3.invalid is not a valid IP or resolvable host.'],
      ['an unknown key', [['user', 'u']], [set('bytes_per_fortnight', 5)], 'Invalid configuration key bytes_per_fortnight'],
      ['an ip key for a user', [['user', 'u']], [set('connection_creation_rate', 5)], 'Invalid configuration key connection_creation_rate'],
      ['a user key for an ip', [['ip', '10.0.0.1']], [set('producer_byte_rate', 5)], 'Invalid configuration key producer_byte_rate'],
      ['zero', [['user', 'u']], [set('producer_byte_rate', 0)], 'Quota producer_byte_rate must be greater than 0'],
      ['a negative rate', [['client-id', 'c']], [set('request_percentage', -5)], 'Quota request_percentage must be greater than 0'],
      ['a negative connection rate', [['ip', null]], [set('connection_creation_rate', -1)], 'Quota connection_creation_rate must be greater than 0'],
      ['a fraction of a byte', [['user', 'u']], [set('consumer_byte_rate', 1.5)], 'consumer_byte_rate cannot be a fractional value.'],
      ['a fraction of a connection', [['ip', null]], [set('connection_creation_rate', 2.5)], 'connection_creation_rate cannot be a fractional value.'],
      ['more than a long', [['user', 'u']], [set('producer_byte_rate', 1e19)], 'Proposed value for producer_byte_rate is too large for a LONG.'],
      ['more than an int', [['ip', null]], [set('connection_creation_rate', 2 ** 31)], 'Proposed value for connection_creation_rate is too large for an INT.'],
      ['one bad value among good ones', [['user', 'u']], [set('producer_byte_rate', 7), set('request_percentage', 20), set('consumer_byte_rate', -1)], 'Quota consumer_byte_rate must be greater than 0'],
      // Kafka's "Duplicate quota key" message is overwritten by this one
      ['a key given twice', [['user', 'u']], [set('producer_byte_rate', 7), set('producer_byte_rate', 8)], 'Ignoring duplicate entity ClientQuotaEntity(entries={user=u})'],
      ['a key set and removed', [['client-id', 'c'], ['user', 'u']], [set('producer_byte_rate', 7), remove('producer_byte_rate')], 'Ignoring duplicate entity ClientQuotaEntity(entries={client-id=c, user=u})'],
    ];
    for (const [what, e, o, message] of cases) t.same(await alterOne(c, e, o, version), [INVALID, message], what);
    t.same(await described(c), before, 'nothing changed');
  });
}

t.test('entries are answered one by one; a repeated entity is refused, its first entry stands', async t => {
  const b = await testBroker(t);
  const c = await testClient(t, b);
  const answers = await alter(c, [
    { entity: [['user', 'a']], ops: [set('producer_byte_rate', 10)] },
    { entity: [['user', 'b']], ops: [set('producer_byte_rate', 0)] },
    { entity: [['user', 'c'], ['client-id', 'x']], ops: [set('consumer_byte_rate', 30)] },
    { entity: [['user', 'a']], ops: [set('producer_byte_rate', 20)] },
    { entity: [['client-id', 'x'], ['user', 'c']], ops: [set('consumer_byte_rate', 40)] },
    { entity: [['user', 'd']], ops: [set('request_percentage', 12.5)] },
  ]);
  // one answer per entity (Kafka keys them by entity), in the order of Kafka's HashMap of them
  t.same(
    answers.map(a => [show(a.entity), a.errorCode, a.errorMessage]),
    [
      ['client-id=x,user=c', ErrorCode.INVALID_REQUEST, 'Ignoring duplicate entity ClientQuotaEntity(entries={client-id=x, user=c})'],
      ['user=d', 0, null],
      ['user=b', ErrorCode.INVALID_REQUEST, 'Quota producer_byte_rate must be greater than 0'],
      ['user=a', ErrorCode.INVALID_REQUEST, 'Ignoring duplicate entity ClientQuotaEntity(entries={user=a})'],
    ],
  );
  t.same(await described(c), ['client-id=x,user=c: consumer_byte_rate=30', 'user=a: producer_byte_rate=10', 'user=d: request_percentage=12.5'], 'the first entries of a and c, and d');
});

t.test('validateOnly answers as a change would and changes nothing', async t => {
  const b = await testBroker(t);
  const c = await testClient(t, b);
  t.same(await alterOne(c, [['user', 'u']], [set('producer_byte_rate', 100)]), [0, null]);
  for (const version of [0, 1]) {
    const answers = await alter(
      c,
      [
        { entity: [['user', 'u']], ops: [set('producer_byte_rate', 200), set('consumer_byte_rate', 300)] },
        { entity: [['client-id', 'k']], ops: [set('producer_byte_rate', 1)] },
        { entity: [['user', 'v']], ops: [set('producer_byte_rate', 0.5)] },
        { entity: [['user', 'u'], ['client-id', 'k']], ops: [remove('producer_byte_rate')] },
      ],
      { version, validateOnly: true },
    );
    t.same(
      answers.map(a => [show(a.entity), a.errorCode, a.errorMessage]).sort(),
      [
        ['client-id=k', 0, null],
        ['client-id=k,user=u', 0, null],
        ['user=u', 0, null],
        ['user=v', ErrorCode.INVALID_REQUEST, 'producer_byte_rate cannot be a fractional value.'],
      ],
    );
    t.same(await described(c), ['user=u: producer_byte_rate=100'], `v${version}: nothing changed`);
  }
  t.equal(b.broker.quotas.fetch.enabled, false, 'a validated consumer_byte_rate enables nothing');
});

t.test('a request of more than 10,000 changes is refused whole (POLICY_VIOLATION)', async t => {
  const b = await testBroker(t);
  const c = await testClient(t, b);
  const keys = ['producer_byte_rate', 'consumer_byte_rate', 'request_percentage', 'controller_mutation_rate'];
  const entries = (n: number) => Array.from({ length: n }, (_, i) => ({ entity: [['client-id', `c${i}`]] as Pair[], ops: keys.map(k => set(k, 1000)) }));
  for (const validateOnly of [true, false]) {
    const answers = await alter(c, entries(2501), { validateOnly });
    t.equal(answers.length, 2501);
    t.ok(
      answers.every(a => a.errorCode === ErrorCode.POLICY_VIOLATION && a.errorMessage === errorMessage(ErrorCode.POLICY_VIOLATION)),
      `10,004 changes${validateOnly ? ', even validateOnly' : ''}: every entry POLICY_VIOLATION`,
    );
  }
  t.same(await described(c), [], 'nothing set');
  const ok = await alter(c, entries(2500));
  t.ok(ok.every(a => a.errorCode === 0), 'exactly 10,000 changes are taken');
  t.equal((await described(c)).length, 2500);
});

for (const version of [0, 1]) {
  t.test(`v${version}: bad filters get Kafka's code and message and no entries`, async t => {
    const b = await testBroker(t);
    const c = await testClient(t, b);
    t.same(await alterOne(c, [['user', 'u']], [set('producer_byte_rate', 1000)]), [0, null]);
    const INVALID = ErrorCode.INVALID_REQUEST;
    const cases: [string, Parameters<typeof describe>[1], number, string][] = [
      ['an empty entity type', [{ entityType: '', matchType: EXACT, match: 'x' }], INVALID, 'Invalid empty entity type.'],
      ['a type twice', [{ entityType: 'user', matchType: EXACT, match: 'u' }, { entityType: 'user', matchType: ANY }], INVALID, 'Entity type user cannot appear more than once in the filter.'],
      ['an unknown type', [{ entityType: 'group', matchType: ANY }], ErrorCode.UNSUPPORTED_VERSION, 'Unsupported entity type group'],
      ['exact without a name', [{ entityType: 'user', matchType: EXACT, match: null }], INVALID, 'Request specified MATCH_TYPE_EXACT, but set match string to null.'],
      ['default with a name', [{ entityType: 'client-id', matchType: DEFAULT, match: 'x' }], INVALID, 'Request specified MATCH_TYPE_DEFAULT, but also specified a match string.'],
      ['any with a name', [{ entityType: 'ip', matchType: ANY, match: 'x' }], INVALID, 'Request specified MATCH_TYPE_SPECIFIED, but also specified a match string.'],
      ['an unknown match type', [{ entityType: 'user', matchType: 3 }], INVALID, 'Unknown match type 3'],
      [
        'ip with user',
        [{ entityType: 'ip', matchType: ANY }, { entityType: 'user', matchType: DEFAULT }],
        INVALID,
        'Invalid entity filter component combination. IP filter component should not be used with user or clientId filter component.',
      ],
    ];
    for (const [what, components, code, message] of cases) {
      const res = await describe(c, components, false, version);
      t.same([res.errorCode, res.errorMessage, res.entries], [code, message, null], what);
    }
  });
}

t.test('disk mode: the quotas survive a restart, in a file of their own', async t => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'samsa-quotas-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const first = await testBroker(t, { dataDir: dir });
  const c1 = await testClient(t, first);
  await alter(c1, [
    { entity: [['user', null]], ops: [set('producer_byte_rate', 1 << 20)] },
    { entity: [['client-id', 'app'], ['user', 'ANONYMOUS']], ops: [set('consumer_byte_rate', 4096), set('request_percentage', 12.5)] },
    { entity: [['ip', '10.0.0.9']], ops: [set('connection_creation_rate', 3)] },
  ]);
  await alter(c1, [{ entity: [['ip', '10.0.0.9']], ops: [remove('connection_creation_rate')] }]);
  const before = await described(c1);
  t.equal(before.length, 2);
  t.ok(fs.existsSync(path.join(dir, CLIENT_QUOTAS_FILE)), `${CLIENT_QUOTAS_FILE} is written`);
  t.notOk(fs.readFileSync(path.join(dir, 'samsa-metadata.json'), 'utf8').includes('byte_rate'), 'the topic metadata file is left alone');
  c1.close();
  await first.close();

  const second = await startBroker({ port: 0, host: '127.0.0.1', dataDir: dir });
  t.teardown(() => second.close());
  const c2 = await testClient(t, second);
  t.same(await described(c2), before, 'the same quotas after the restart');
  t.equal(second.broker.quotas.fetch.enabled, true, 'and they are enforced again');
  t.equal(second.broker.quotas.produce.quotaFor('ANONYMOUS', 'any'), 1 << 20);
});
