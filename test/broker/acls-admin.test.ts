// CreateAcls (30), DescribeAcls (29) and DeleteAcls (31) over the wire at v1-v3: SECURITY_DISABLED
// without an authorizer, the cluster permissions the APIs themselves need, creation checks with
// Kafka 4.1's codes and messages, requests Kafka cannot parse (connection closed), describe
// grouped by resource pattern, deletions reported per filter; disk mode keeps the ACLs over a
// restart; and kafkajs's admin createAcls / describeAcls / deleteAcls end to end.
/* eslint-disable @typescript-eslint/no-explicit-any -- responses decoded from the specs at run time */
import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { testBroker, testClient } from '../helpers/broker.js';
import type { TestClient } from '../helpers/client.js';
import { adminFor } from '../helpers/kafkajs-admin.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import { startBroker } from '../../src/index.js';
import { ACLS_FILE, AclOperation as Op, AclPermissionType as Perm, PatternType as Pat, ResourceType as Res } from '../../src/security/acls.js';

// kafkajs's enums are not named exports under ESM; they hold Kafka's ids, which are ours
const AclResourceTypes = { ANY: Res.ANY, TOPIC: Res.TOPIC, GROUP: Res.GROUP } as const;
const ResourcePatternTypes = { ANY: Pat.ANY, MATCH: Pat.MATCH, LITERAL: Pat.LITERAL, PREFIXED: Pat.PREFIXED } as const;
const AclOperationTypes = { ANY: Op.ANY, READ: Op.READ } as const;
const AclPermissionTypes = { ANY: Perm.ANY, ALLOW: Perm.ALLOW } as const;

const STANDARD = 'org.apache.kafka.metadata.authorizer.StandardAuthorizer';
const ADMIN = { 'authorizer.class.name': STANDARD, 'super.users': 'User:ANONYMOUS' };
const CREATE = 30;
const DESCRIBE = 29;
const DELETE = 31;
const VERSIONS = [1, 2, 3];

interface Creation {
  resourceType: number;
  resourceName: string;
  resourcePatternType: number;
  principal: string;
  host: string;
  operation: number;
  permissionType: number;
}
const creation = (over: Partial<Creation> = {}): Creation => ({
  resourceType: Res.TOPIC,
  resourceName: 'orders',
  resourcePatternType: Pat.LITERAL,
  principal: 'User:alice',
  host: '*',
  operation: Op.READ,
  permissionType: Perm.ALLOW,
  ...over,
});

interface Filter {
  resourceTypeFilter: number;
  resourceNameFilter: string | null;
  patternTypeFilter: number;
  principalFilter: string | null;
  hostFilter: string | null;
  operation: number;
  permissionType: number;
}
const anyFilter = (over: Partial<Filter> = {}): Filter => ({
  resourceTypeFilter: Res.ANY,
  resourceNameFilter: null,
  patternTypeFilter: Pat.ANY,
  principalFilter: null,
  hostFilter: null,
  operation: Op.ANY,
  permissionType: Perm.ANY,
  ...over,
});

const create = async (c: TestClient, creations: Creation[], v = 3): Promise<[number, string | null][]> =>
  (await c.call(CREATE, v, { creations })).results.map((r: any) => [r.errorCode, r.errorMessage]);
const describe = (c: TestClient, f: Partial<Filter> = {}, v = 3): Promise<any> => c.call(DESCRIBE, v, { ...anyFilter(f) });
const del = async (c: TestClient, filters: Partial<Filter>[], v = 3): Promise<any[]> => (await c.call(DELETE, v, { filters: filters.map(anyFilter) })).filterResults;

/** Described ACLs, one string each: type:pattern:name principal host op perm. */
async function described(c: TestClient, f: Partial<Filter> = {}, v = 3): Promise<string[]> {
  const res = await describe(c, f, v);
  if (res.errorCode !== 0) throw new Error(`describe failed: ${res.errorCode} ${res.errorMessage}`);
  return res.resources.flatMap((r: any) => r.acls.map((a: any) => `${r.resourceType}:${r.patternType}:${r.resourceName} ${a.principal} ${a.host} ${a.operation} ${a.permissionType}`));
}

t.test('without an authorizer the ACL APIs answer SECURITY_DISABLED', async t => {
  const b = await testBroker(t);
  const c = await testClient(t, b);
  for (const v of VERSIONS) {
    t.same(await create(c, [creation(), creation({ resourceName: 'x' })], v), [
      [ErrorCode.SECURITY_DISABLED, 'No Authorizer is configured.'],
      [ErrorCode.SECURITY_DISABLED, 'No Authorizer is configured.'],
    ], `CreateAcls v${v}`);
    const d = await describe(c, {}, v);
    t.same([d.errorCode, d.errorMessage, d.resources], [ErrorCode.SECURITY_DISABLED, 'No Authorizer is configured on the broker', []], `DescribeAcls v${v}`);
    const r = await del(c, [{}], v);
    t.same(r.map(x => [x.errorCode, x.errorMessage, x.matchingAcls]), [[ErrorCode.SECURITY_DISABLED, 'No Authorizer is configured.', []]], `DeleteAcls v${v}`);
  }
  t.equal(b.broker.cluster.acls.count, 0);
});

t.test('an unknown authorizer class is a startup error', async t => {
  await t.rejects(startBroker({ port: 0, host: '127.0.0.1', config: { 'authorizer.class.name': 'com.example.Nope' } }), /com\.example\.Nope is not an authorizer Samsa has/);
  await t.rejects(startBroker({ port: 0, host: '127.0.0.1', config: { 'authorizer.class.name': STANDARD, 'super.users': 'admin' } }), /super\.users: expected a string in format principalType:principalName but got admin/);
});

for (const v of VERSIONS) {
  t.test(`v${v}: ACLs are created, described and deleted`, async t => {
    const b = await testBroker(t, { config: ADMIN });
    const c = await testClient(t, b);
    const acls = [
      creation(),
      creation({ operation: Op.WRITE, principal: 'User:bob', host: '10.0.0.1' }),
      creation({ resourceName: 'ord', resourcePatternType: Pat.PREFIXED, permissionType: Perm.DENY }),
      creation({ resourceName: '*', operation: Op.DESCRIBE, principal: 'User:*' }),
      creation({ resourceType: Res.GROUP, resourceName: 'app', operation: Op.ALL }),
      creation({ resourceType: Res.CLUSTER, resourceName: 'kafka-cluster', operation: Op.IDEMPOTENT_WRITE }),
      creation({ resourceType: Res.TRANSACTIONAL_ID, resourceName: 'tx', operation: Op.WRITE }),
    ];
    t.same(await create(c, [...acls, acls[0]!], v), Array(acls.length + 1).fill([0, null]), 'every creation succeeds, a duplicate too');
    t.equal(b.broker.cluster.acls.count, acls.length);

    const all = await describe(c, {}, v);
    t.same([all.errorCode, all.errorMessage], [0, null]);
    t.same(
      all.resources.map((r: any) => `${r.resourceType}:${r.patternType}:${r.resourceName} ${r.acls.length}`),
      ['2:3:orders 2', '2:4:ord 1', '2:3:* 1', '3:3:app 1', '4:3:kafka-cluster 1', '5:3:tx 1'],
      'one resource per pattern, with its entries',
    );
    t.same(await described(c, { resourceTypeFilter: Res.TOPIC, resourceNameFilter: 'orders', patternTypeFilter: Pat.MATCH }, v), [
      '2:3:orders User:alice * 3 3',
      '2:3:orders User:bob 10.0.0.1 4 3',
      '2:4:ord User:alice * 3 2',
      '2:3:* User:* * 8 3',
    ], 'MATCH: everything that applies to topic orders');
    t.same(await described(c, { principalFilter: 'User:bob' }, v), ['2:3:orders User:bob 10.0.0.1 4 3']);
    t.same(await described(c, { resourceNameFilter: 'ord', patternTypeFilter: Pat.LITERAL }, v), [], 'a literal filter does not match the prefixed pattern');
    t.same(await described(c, { resourceTypeFilter: 99 }, v), [], 'an unknown resource type matches nothing');
    t.same(await described(c, { operation: Op.ALL }, v), ['3:3:app User:alice * 2 3']);

    const results = await del(c, [{ resourceTypeFilter: Res.TOPIC, resourceNameFilter: 'orders' }, { principalFilter: 'User:bob' }, { resourceNameFilter: 'none' }], v);
    t.same(
      results.map(r => [r.errorCode, r.errorMessage, r.matchingAcls.map((m: any) => `${m.errorCode}:${m.errorMessage}:${m.resourceType}:${m.patternType}:${m.resourceName}:${m.principal}:${m.host}:${m.operation}:${m.permissionType}`)]),
      [
        [0, null, ['0:null:2:3:orders:User:alice:*:3:3', '0:null:2:3:orders:User:bob:10.0.0.1:4:3']],
        [0, null, ['0:null:2:3:orders:User:bob:10.0.0.1:4:3']],
        [0, null, []],
      ],
      'each filter reports what it matched',
    );
    t.equal(b.broker.cluster.acls.count, acls.length - 2);
    t.same(await described(c, { resourceTypeFilter: Res.TOPIC, resourceNameFilter: 'orders', patternTypeFilter: Pat.MATCH }, v), ['2:4:ord User:alice * 3 2', '2:3:* User:* * 8 3']);
    t.same((await del(c, [{}], v))[0].matchingAcls.length, acls.length - 2, 'ANY deletes the rest');
    t.same(await described(c, {}, v), []);
  });
}

t.test("creations refused with Kafka's codes and messages", async t => {
  const b = await testBroker(t, { config: ADMIN });
  const c = await testClient(t, b);
  const cases: [Creation, [number, string | null]][] = [
    [creation({ resourceType: Res.CLUSTER, resourceName: 'my-cluster' }), [ErrorCode.INVALID_REQUEST, 'The only valid name for the CLUSTER resource is kafka-cluster']],
    [creation({ resourceName: '' }), [ErrorCode.INVALID_REQUEST, 'Invalid empty resource name']],
    [creation({ resourceType: 42 }), [ErrorCode.INVALID_REQUEST, 'Invalid resourceType UNKNOWN']],
    [creation({ resourcePatternType: 9 }), [ErrorCode.INVALID_REQUEST, 'Invalid patternType UNKNOWN']],
    [creation({ operation: 15 }), [ErrorCode.INVALID_REQUEST, 'Invalid operation UNKNOWN']],
    [creation({ permissionType: -1 }), [ErrorCode.INVALID_REQUEST, 'Invalid permissionType UNKNOWN']],
    [creation({ principal: 'alice' }), [ErrorCode.INVALID_REQUEST, 'Could not parse principal from `alice` (no colon is present separating the principal type from the principal name)']],
    [creation(), [0, null]],
  ];
  t.same(await create(c, cases.map(x => x[0])), cases.map(x => x[1]), 'each creation answered on its own');
  t.same(await described(c), ['2:3:orders User:alice * 3 3'], 'only the valid one was created');

  for (const [field, value] of [
    ['resourceType', Res.ANY],
    ['resourcePatternType', Pat.MATCH],
    ['resourcePatternType', Pat.ANY],
    ['operation', Op.ANY],
    ['permissionType', Perm.ANY],
  ] as const) {
    t.same(await create(c, [creation({ resourceName: 'other' }), creation({ [field]: value })]), [
      [ErrorCode.UNKNOWN_SERVER_ERROR, null],
      [ErrorCode.UNKNOWN_SERVER_ERROR, null],
    ], `${field} ${value}: Kafka cannot build the binding, the whole request fails`);
  }
  t.equal(b.broker.cluster.acls.count, 1);

  const bad = await del(c, [{ resourceTypeFilter: 42 }, { patternTypeFilter: 9 }, { operation: 99 }, { permissionType: 7 }, { resourceNameFilter: 'orders' }]);
  t.same(
    bad.map(r => [r.errorCode, r.errorMessage, r.matchingAcls.length]),
    [
      [ErrorCode.INVALID_REQUEST, 'Unknown patternFilter.', 0],
      [ErrorCode.INVALID_REQUEST, 'Unknown patternFilter.', 0],
      [ErrorCode.INVALID_REQUEST, 'Unknown entryFilter.', 0],
      [ErrorCode.INVALID_REQUEST, 'Unknown entryFilter.', 0],
      [0, null, 1],
    ],
    'filters with ids Kafka does not know are refused one by one',
  );
});

t.test('an id 0 (UNKNOWN) fails parsing: the connection is closed without an answer', async t => {
  const b = await testBroker(t, { config: ADMIN });
  const requests: [number, Record<string, unknown>][] = [
    [CREATE, { creations: [creation(), creation({ resourceType: 0 })] }],
    [CREATE, { creations: [creation({ resourcePatternType: 0 })] }],
    [CREATE, { creations: [creation({ operation: 0 })] }],
    [CREATE, { creations: [creation({ permissionType: 0 })] }],
    [DESCRIBE, { ...anyFilter({ resourceTypeFilter: 0 }) }],
    [DESCRIBE, { ...anyFilter({ patternTypeFilter: 0 }) }],
    [DESCRIBE, { ...anyFilter({ operation: 0 }) }],
    [DESCRIBE, { ...anyFilter({ permissionType: 0 }) }],
    [DELETE, { filters: [anyFilter(), anyFilter({ resourceTypeFilter: 0 })] }],
    [DELETE, { filters: [anyFilter({ permissionType: 0 })] }],
  ];
  for (const [key, body] of requests) {
    const c = await testClient(t, b);
    c.send(key, 3, body);
    t.equal(await c.nextFrame(), null, `API ${key} ${JSON.stringify(body).slice(0, 60)}…: closed`);
  }
  t.equal(b.broker.cluster.acls.count, 0, 'nothing was created');
});

t.test('the ACL APIs need ALTER (create, delete) or DESCRIBE (describe) on the cluster', async t => {
  const notAuthorized = /^Request Request\(processor=0, connectionId=127\.0\.0\.1:\d+-127\.0\.0\.1:\d+-0-\d+, session=Session\(User:ANONYMOUS,\/127\.0\.0\.1\), listenerName=ListenerName\(PLAINTEXT\), securityProtocol=PLAINTEXT, buffer=null, envelope=None\) is not authorized\.$/;
  const b = await testBroker(t, { config: { 'authorizer.class.name': STANDARD } });
  const c = await testClient(t, b);
  const refusedAll = async (what: string) => {
    const [[code, message], second] = await create(c, [creation(), creation({ resourceName: 'x' })]);
    t.equal(code, ErrorCode.CLUSTER_AUTHORIZATION_FAILED, `${what}: create`);
    t.match(message, notAuthorized);
    t.equal(second![0], ErrorCode.CLUSTER_AUTHORIZATION_FAILED, 'every creation');
    const d = await describe(c);
    t.equal(d.errorCode, ErrorCode.CLUSTER_AUTHORIZATION_FAILED, `${what}: describe`);
    t.match(d.errorMessage, notAuthorized);
    const [r] = await del(c, [{}]);
    t.equal(r.errorCode, ErrorCode.CLUSTER_AUTHORIZATION_FAILED, `${what}: delete`);
    t.match(r.errorMessage, notAuthorized);
  };
  await refusedAll('no ACLs, no super user, allow.everyone.if.no.acl.found false');

  const store = b.broker.cluster.acls;
  const cluster = { resourceType: Res.CLUSTER, resourceName: 'kafka-cluster', patternType: Pat.LITERAL, principal: 'User:ANONYMOUS', host: '*', permissionType: Perm.ALLOW };
  store.create([{ ...cluster, operation: Op.DESCRIBE }]);
  t.same(await described(c), ['4:3:kafka-cluster User:ANONYMOUS * 8 3'], 'DESCRIBE on the cluster: describe is allowed');
  t.equal((await create(c, [creation()]))[0]![0], ErrorCode.CLUSTER_AUTHORIZATION_FAILED, 'but not create');
  t.equal((await del(c, [{}]))[0].errorCode, ErrorCode.CLUSTER_AUTHORIZATION_FAILED, 'nor delete');

  store.delete([{ resourceType: Res.ANY, resourceName: null, patternType: Pat.ANY, principal: null, host: null, operation: Op.ANY, permissionType: Perm.ANY }]);
  store.create([{ ...cluster, operation: Op.ALTER }]);
  t.same(await create(c, [creation()]), [[0, null]], 'ALTER on the cluster: create is allowed');
  t.equal((await describe(c)).errorCode, 0, 'and describe, which ALTER implies');
  t.equal((await del(c, [{ resourceTypeFilter: Res.TOPIC }]))[0].matchingAcls.length, 1, 'and delete');

  store.create([{ ...cluster, host: '10.9.9.9', operation: Op.ALL, permissionType: Perm.DENY }]);
  t.equal((await describe(c)).errorCode, 0, 'a DENY from another host does not apply');
  store.create([{ ...cluster, operation: Op.ALTER, permissionType: Perm.DENY }]);
  t.equal((await create(c, [creation()]))[0]![0], ErrorCode.CLUSTER_AUTHORIZATION_FAILED, 'DENY ALTER wins over ALLOW ALTER');
  t.equal((await describe(c)).errorCode, 0, 'a DENY of ALTER does not deny DESCRIBE');
});

t.test('allow.everyone.if.no.acl.found: the ACL APIs are open until an ACL names the cluster', async t => {
  const b = await testBroker(t, { config: { 'authorizer.class.name': STANDARD, 'allow.everyone.if.no.acl.found': 'true' } });
  const c = await testClient(t, b);
  t.same(await create(c, [creation()]), [[0, null]], 'no ACL on the cluster: allowed');
  t.same(await create(c, [creation({ resourceType: Res.CLUSTER, resourceName: 'kafka-cluster', principal: 'User:someone-else', operation: Op.CREATE })]), [[0, null]]);
  t.equal((await create(c, [creation()]))[0]![0], ErrorCode.CLUSTER_AUTHORIZATION_FAILED, 'an ACL on the cluster for someone else: denied from now on');
  t.equal((await describe(c)).errorCode, ErrorCode.CLUSTER_AUTHORIZATION_FAILED);
});

t.test('disk mode: the ACLs survive a restart, in a file of their own', async t => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'samsa-acls-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const first = await testBroker(t, { dataDir: dir, config: ADMIN });
  const c1 = await testClient(t, first);
  await create(c1, [creation(), creation({ resourceName: 'pay', resourcePatternType: Pat.PREFIXED, operation: Op.ALL, permissionType: Perm.DENY }), creation({ resourceName: 'gone' })]);
  await del(c1, [{ resourceNameFilter: 'gone' }]);
  const before = await described(c1);
  t.equal(before.length, 2);
  t.ok(fs.existsSync(path.join(dir, ACLS_FILE)), `${ACLS_FILE} is written`);
  c1.close();
  await first.close();

  const second = await startBroker({ port: 0, host: '127.0.0.1', dataDir: dir, config: ADMIN });
  t.teardown(() => second.close());
  const c2 = await testClient(t, second);
  t.same(await described(c2), before, 'the same ACLs after the restart');
  t.notOk(second.broker.authorizer.authorize({ type: 'User', name: 'alice' }, '10.0.0.1', Op.READ, Res.TOPIC, 'payments'), 'and they are enforced again');
  t.ok(second.broker.authorizer.authorize({ type: 'User', name: 'alice' }, '10.0.0.1', Op.READ, Res.TOPIC, 'orders'));
});

t.test('kafkajs admin: createAcls, describeAcls, deleteAcls', async t => {
  const b = await testBroker(t, { config: ADMIN });
  const kafka = new Kafka({ brokers: [b.bootstrap], clientId: 'acls-admin', logLevel: logLevel.NOTHING, retry: { retries: 0 } });
  const admin = await adminFor(t, kafka);
  const acl = [
    {
      resourceType: AclResourceTypes.TOPIC,
      resourceName: 'orders',
      resourcePatternType: ResourcePatternTypes.LITERAL,
      principal: 'User:alice',
      host: '*',
      operation: AclOperationTypes.READ,
      permissionType: AclPermissionTypes.ALLOW,
    },
    {
      resourceType: AclResourceTypes.GROUP,
      resourceName: 'app-',
      resourcePatternType: ResourcePatternTypes.PREFIXED,
      principal: 'User:alice',
      host: '*',
      operation: AclOperationTypes.READ,
      permissionType: AclPermissionTypes.ALLOW,
    },
  ];
  t.equal(await admin.createAcls({ acl }), true);
  const filterAll = {
    resourceType: AclResourceTypes.ANY,
    resourcePatternType: ResourcePatternTypes.ANY,
    operation: AclOperationTypes.ANY,
    permissionType: AclPermissionTypes.ANY,
  };
  const all = await admin.describeAcls(filterAll);
  t.same(
    all.resources.map(r => [r.resourceType, r.resourceName, r.resourcePatternType, r.acls.map(a => [a.principal, a.host, a.operation, a.permissionType])]),
    [
      [AclResourceTypes.TOPIC, 'orders', ResourcePatternTypes.LITERAL, [['User:alice', '*', AclOperationTypes.READ, AclPermissionTypes.ALLOW]]],
      [AclResourceTypes.GROUP, 'app-', ResourcePatternTypes.PREFIXED, [['User:alice', '*', AclOperationTypes.READ, AclPermissionTypes.ALLOW]]],
    ],
  );
  const matching = await admin.describeAcls({ ...filterAll, resourceType: AclResourceTypes.GROUP, resourceName: 'app-one', resourcePatternType: ResourcePatternTypes.MATCH });
  t.same(matching.resources.map(r => r.resourceName), ['app-']);

  // kafkajs reports the code of the first failed creation, not its message
  await t.rejects(admin.createAcls({ acl: [{ ...acl[0]!, principal: 'alice' }] }), { type: 'INVALID_REQUEST' } as unknown as Error, 'a refused creation fails the call');

  const deleted = await admin.deleteAcls({ filters: [{ ...filterAll, resourceType: AclResourceTypes.TOPIC }] });
  t.same(
    deleted.filterResponses.map(f => [f.errorCode, f.matchingAcls.map(m => [m.resourceType, m.resourceName, m.principal, m.operation])]),
    [[0, [[AclResourceTypes.TOPIC, 'orders', 'User:alice', AclOperationTypes.READ]]]],
  );
  t.same((await admin.describeAcls(filterAll)).resources.map(r => r.resourceName), ['app-']);
});

t.test('kafkajs admin without an authorizer: SECURITY_DISABLED', async t => {
  const b = await testBroker(t);
  const kafka = new Kafka({ brokers: [b.bootstrap], clientId: 'acls-admin', logLevel: logLevel.NOTHING, retry: { retries: 0 } });
  const admin = await adminFor(t, kafka);
  await t.rejects(
    admin.describeAcls({ resourceType: AclResourceTypes.ANY, resourcePatternType: ResourcePatternTypes.ANY, operation: AclOperationTypes.ANY, permissionType: AclPermissionTypes.ANY }),
    { type: 'SECURITY_DISABLED' } as unknown as Error,
  );
});
