// The authorizer's rules, as Kafka's StandardAuthorizer decides: the configuration, super users,
// DENY over ALLOW, literal/wildcard/prefixed patterns, wildcard principal and host, the operations
// an ALLOW implies (and a DENY does not), allow.everyone.if.no.acl.found, authorizeByResourceType
// and the authorized-operations bit fields.
import t from 'tap';
import pino from 'pino';
import { Writable } from 'node:stream';
import { ALICE_READS_ORDERS, STANDARD_AUTHORIZER as STANDARD, addAcls } from '../helpers/acls.js';
import { BrokerConfig } from '../../src/cluster/configs.js';
import { AclOperation as Op, AclPermissionType as Perm, AclStore, PatternType as Pat, ResourceType as Res, type AclBinding } from '../../src/security/acls.js';
import { Authorizer, checkAuthorizerConfig, clusterNotAuthorizedMessage, hostAddress, parseSuperUsers, supportedOperations } from '../../src/security/authorizer.js';
import { userPrincipal, type KafkaPrincipal } from '../../src/security/principal.js';

const alice = userPrincipal('alice');
const bob = userPrincipal('bob');
const HOST = '10.0.0.1';

/** An authorizer over these ACLs, each ALICE_READS_ORDERS but for the fields given. */
function authorizerWith(acls: Partial<AclBinding>[], config: Record<string, string> = {}, log: pino.Logger | null = null): Authorizer {
  const store = new AclStore();
  addAcls(store, acls.map(a => ({ ...ALICE_READS_ORDERS, ...a })));
  return new Authorizer(new BrokerConfig({ 'authorizer.class.name': STANDARD, ...config }), store, log);
}

const can = (a: Authorizer, p: KafkaPrincipal, op: number, name = 'orders', type: number = Res.TOPIC, host = HOST) => a.authorize(p, host, op, type, name);

t.test('configuration', async t => {
  t.equal(checkAuthorizerConfig(new BrokerConfig({})), false, 'empty: no authorizer');
  t.equal(checkAuthorizerConfig(new BrokerConfig({ 'authorizer.class.name': STANDARD })), true);
  t.equal(checkAuthorizerConfig(new BrokerConfig({ 'authorizer.class.name': 'kafka.security.authorizer.AclAuthorizer' })), true);
  t.equal(checkAuthorizerConfig(new BrokerConfig({ 'authorizer.class.name': 'kafka.security.auth.SimpleAclAuthorizer' })), true);
  t.throws(() => checkAuthorizerConfig(new BrokerConfig({ 'authorizer.class.name': 'com.example.MyAuthorizer' })), /com\.example\.MyAuthorizer is not an authorizer Samsa has/);
  t.throws(() => new Authorizer(new BrokerConfig({ 'authorizer.class.name': 'x.Y' }), new AclStore()), /authorizer\.class\.name/);

  t.same([...parseSuperUsers('User:a; User:b ;;User:c:d')], ['User:a', 'User:b', 'User:c:d']);
  t.same([...parseSuperUsers(null)], []);
  t.throws(() => parseSuperUsers('User:a;bob'), /super\.users: expected a string in format principalType:principalName but got bob/);

  const off = new Authorizer(new BrokerConfig({}), new AclStore());
  t.equal(off.enabled, false);
  t.ok(can(off, alice, Op.ALTER, 'anything'), 'without an authorizer everything is allowed');
  t.ok(off.authorizeByResourceType(alice, HOST, Op.WRITE, Res.TRANSACTIONAL_ID));
  t.equal(off.authorizedOperations(alice, HOST, Res.GROUP, 'g'), (1 << 3) | (1 << 8) | (1 << 6) | (1 << 10) | (1 << 11), 'all of the supported operations');
});

t.test('no ACL on the resource: allow.everyone.if.no.acl.found decides', async t => {
  const closed = authorizerWith([]);
  const open = authorizerWith([], { 'allow.everyone.if.no.acl.found': 'true' });
  t.notOk(can(closed, alice, Op.READ), 'default: denied');
  t.ok(can(open, alice, Op.READ));
  t.ok(can(open, alice, Op.ALTER, 'kafka-cluster', Res.CLUSTER));

  const withAcls = authorizerWith([{ principal: 'User:bob' }, { resourceName: 'other', principal: 'User:alice', operation: Op.WRITE }], { 'allow.everyone.if.no.acl.found': 'true' });
  t.notOk(can(withAcls, alice, Op.READ), 'an ACL on the resource for someone else: denied, not the default');
  t.notOk(can(withAcls, alice, Op.WRITE), 'nor for another operation');
  t.ok(can(withAcls, alice, Op.READ, 'unmentioned'), 'a resource no ACL mentions: allowed');
  t.ok(can(withAcls, alice, Op.READ, 'orders', Res.GROUP), 'ACLs are per resource type');

  const prefixOnly = authorizerWith([{ resourceName: 'ord', patternType: Pat.PREFIXED, principal: 'User:bob' }], { 'allow.everyone.if.no.acl.found': 'true' });
  t.notOk(can(prefixOnly, alice, Op.READ), 'a prefixed ACL counts as an ACL on the resource');
  t.ok(can(prefixOnly, alice, Op.READ, 'or'), 'but not on a shorter name');
  const wildcardOnly = authorizerWith([{ resourceName: '*', principal: 'User:bob' }], { 'allow.everyone.if.no.acl.found': 'true' });
  t.notOk(can(wildcardOnly, alice, Op.READ, 'anything'), 'so does a wildcard ACL');
});

t.test('super users are allowed everything, DENY ACLs notwithstanding', async t => {
  const a = authorizerWith([{ principal: 'User:admin', operation: Op.ALL, permissionType: Perm.DENY }, { resourceName: '*', principal: 'User:*', operation: Op.ALL, permissionType: Perm.DENY }], {
    'super.users': 'User:admin;User:ops',
  });
  t.ok(can(a, userPrincipal('admin'), Op.READ));
  t.ok(can(a, userPrincipal('ops'), Op.ALTER, 'kafka-cluster', Res.CLUSTER));
  t.notOk(can(a, alice, Op.READ));
  t.notOk(can(a, { type: 'Group', name: 'admin' }, Op.READ), 'the principal type counts');
  t.ok(a.authorizeByResourceType(userPrincipal('admin'), HOST, Op.WRITE, Res.TOPIC));
  t.equal(a.authorizedOperations(userPrincipal('ops'), HOST, Res.TOPIC, 'orders'), supportedOperations(Res.TOPIC).reduce((bits, op) => bits | (1 << op), 0));
});

t.test('DENY beats ALLOW wherever each comes from', async t => {
  const cases: [string, Partial<AclBinding>[]][] = [
    ['same literal', [{}, { permissionType: Perm.DENY }]],
    ['deny by wildcard name', [{}, { resourceName: '*', permissionType: Perm.DENY }]],
    ['deny by prefix', [{}, { resourceName: 'o', patternType: Pat.PREFIXED, permissionType: Perm.DENY }]],
    ['deny by the whole name as prefix', [{}, { patternType: Pat.PREFIXED, permissionType: Perm.DENY }]],
    ['deny to everyone', [{}, { principal: 'User:*', permissionType: Perm.DENY }]],
    ['deny from the host', [{}, { host: HOST, permissionType: Perm.DENY }]],
    ['deny ALL', [{}, { operation: Op.ALL, permissionType: Perm.DENY }]],
    ['allow ALL, deny READ', [{ operation: Op.ALL }, { permissionType: Perm.DENY }]],
    ['allow by wildcard, deny literal', [{ resourceName: '*' }, { permissionType: Perm.DENY }]],
  ];
  for (const [what, acls] of cases) {
    const a = authorizerWith(acls);
    t.notOk(can(a, alice, Op.READ), what);
    t.ok(can(authorizerWith(acls.slice(0, 1)), alice, Op.READ), `${what}: the ALLOW alone allows`);
  }
});

t.test('which ACLs apply: patterns, principals, hosts', async t => {
  const a = authorizerWith([
    { resourceName: 'orders' },
    { resourceName: 'pay', patternType: Pat.PREFIXED },
    { resourceName: '*', operation: Op.WRITE },
    { resourceType: Res.GROUP, resourceName: 'g', principal: 'User:*' },
    { resourceType: Res.GROUP, resourceName: 'h', host: '10.0.0.2' },
    { resourceType: Res.GROUP, resourceName: 'i', principal: 'Group:*' },
    { resourceType: Res.GROUP, resourceName: 'j', principal: 'User:ali' },
  ]);
  t.ok(can(a, alice, Op.READ, 'orders'), 'literal');
  t.notOk(can(a, alice, Op.READ, 'orders2'), 'a literal is not a prefix');
  t.notOk(can(a, alice, Op.READ, 'order'));
  t.ok(can(a, alice, Op.READ, 'payments'), 'prefixed');
  t.ok(can(a, alice, Op.READ, 'pay'), 'a prefix matches the name itself');
  t.notOk(can(a, alice, Op.READ, 'pa'));
  t.ok(can(a, alice, Op.WRITE, 'anything'), 'literal wildcard');
  t.notOk(can(a, bob, Op.READ, 'orders'), 'another principal');
  t.ok(can(a, bob, Op.READ, 'g', Res.GROUP), 'User:* matches every principal');
  t.ok(can(a, { type: 'Service', name: 'x' }, Op.READ, 'g', Res.GROUP), '…of any type');
  t.notOk(can(a, { type: 'Group', name: 'x' }, Op.READ, 'i', Res.GROUP), 'only User:* is a wildcard');
  t.ok(can(a, { type: 'Group', name: '*' }, Op.READ, 'i', Res.GROUP));
  t.notOk(can(a, alice, Op.READ, 'j', Res.GROUP), 'principal names are not prefixes');
  t.ok(can(a, alice, Op.READ, 'h', Res.GROUP, '10.0.0.2'), 'host exact');
  t.notOk(can(a, alice, Op.READ, 'h', Res.GROUP, '10.0.0.3'));
  t.notOk(can(a, { type: 'user', name: 'alice' }, Op.READ, 'orders'), 'principal types are case-sensitive');
});

t.test('implied operations: an ALLOW implies, a DENY does not', async t => {
  for (const op of [Op.READ, Op.WRITE, Op.DELETE, Op.ALTER, Op.DESCRIBE]) {
    t.ok(can(authorizerWith([{ operation: op }]), alice, Op.DESCRIBE), `ALLOW ${op} allows DESCRIBE`);
  }
  for (const op of [Op.CREATE, Op.ALTER_CONFIGS, Op.DESCRIBE_CONFIGS, Op.CLUSTER_ACTION, Op.IDEMPOTENT_WRITE]) {
    t.notOk(can(authorizerWith([{ operation: op }]), alice, Op.DESCRIBE), `ALLOW ${op} does not allow DESCRIBE`);
  }
  t.ok(can(authorizerWith([{ operation: Op.ALTER_CONFIGS }]), alice, Op.DESCRIBE_CONFIGS), 'ALTER_CONFIGS allows DESCRIBE_CONFIGS');
  t.notOk(can(authorizerWith([{ operation: Op.ALTER }]), alice, Op.DESCRIBE_CONFIGS), 'ALTER does not allow DESCRIBE_CONFIGS');
  t.notOk(can(authorizerWith([{ operation: Op.DESCRIBE }]), alice, Op.READ), 'DESCRIBE does not allow READ');
  t.notOk(can(authorizerWith([{ operation: Op.WRITE }]), alice, Op.READ), 'WRITE does not allow READ');
  for (const op of [Op.READ, Op.WRITE, Op.CREATE, Op.DELETE, Op.ALTER, Op.DESCRIBE, Op.DESCRIBE_CONFIGS, Op.ALTER_CONFIGS]) {
    t.ok(can(authorizerWith([{ operation: Op.ALL }]), alice, op), `ALLOW ALL allows ${op}`);
    t.notOk(can(authorizerWith([{ operation: Op.ALL }, { operation: Op.ALL, permissionType: Perm.DENY }]), alice, op), `DENY ALL denies ${op}`);
  }
  t.ok(can(authorizerWith([{ operation: Op.READ }, { operation: Op.DESCRIBE, permissionType: Perm.DENY }]), alice, Op.READ), 'DENY DESCRIBE does not deny READ');
  t.ok(can(authorizerWith([{ operation: Op.DESCRIBE }, { operation: Op.READ, permissionType: Perm.DENY }]), alice, Op.DESCRIBE), 'DENY READ does not deny DESCRIBE');
  t.ok(can(authorizerWith([{ operation: Op.READ }, { operation: Op.READ, permissionType: Perm.DENY }]), alice, Op.DESCRIBE), 'DENY READ leaves the DESCRIBE that ALLOW READ implies');
  t.notOk(can(authorizerWith([{ operation: Op.READ, permissionType: Perm.DENY }]), alice, Op.DESCRIBE), 'a DENY alone is still an ACL on the resource: denied');
  t.ok(
    can(authorizerWith([{ operation: Op.ALTER_CONFIGS }, { operation: Op.ALTER, permissionType: Perm.DENY }]), alice, Op.DESCRIBE_CONFIGS),
    'DENY ALTER does not deny DESCRIBE_CONFIGS',
  );
});

t.test('hosts are compared in Java form', async t => {
  t.equal(hostAddress('10.1.2.3'), '10.1.2.3');
  t.equal(hostAddress('::ffff:10.1.2.3'), '10.1.2.3');
  t.equal(hostAddress('::1'), '0:0:0:0:0:0:0:1');
  t.equal(hostAddress('2001:DB8::0:1'), '2001:db8:0:0:0:0:0:1');
  t.equal(hostAddress('fe80::1%lo0'), 'fe80:0:0:0:0:0:0:1%lo0');
  t.equal(hostAddress('::'), '0:0:0:0:0:0:0:0');
  t.equal(hostAddress('1::'), '1:0:0:0:0:0:0:0');
  t.equal(hostAddress('64:ff9b::192.0.2.33'), '64:ff9b:0:0:0:0:c000:221');
  t.equal(hostAddress('localhost'), 'localhost');
  const a = authorizerWith([{ host: '0:0:0:0:0:0:0:1' }, { resourceName: 'x', host: '::1' }]);
  t.ok(can(a, alice, Op.READ, 'orders', Res.TOPIC, '::1'), 'an ACL host in Java form matches');
  t.notOk(can(a, alice, Op.READ, 'x', Res.TOPIC, '::1'), 'one in compressed form does not (as in Kafka)');
});

t.test('authorizeByResourceType', async t => {
  const any = (a: Authorizer, op: number = Op.WRITE, p: KafkaPrincipal = alice, type: number = Res.TOPIC) => a.authorizeByResourceType(p, HOST, op, type);
  t.notOk(any(authorizerWith([])), 'no ACLs, default deny');
  t.ok(any(authorizerWith([], { 'allow.everyone.if.no.acl.found': 'true' })), 'no ACLs, default allow');
  t.ok(any(authorizerWith([{ operation: Op.WRITE }])), 'one literal ALLOW');
  t.ok(any(authorizerWith([{ operation: Op.ALL }])), 'ALL counts');
  t.notOk(any(authorizerWith([{ operation: Op.READ }])), 'another operation');
  t.notOk(any(authorizerWith([{ operation: Op.WRITE }]), Op.DESCRIBE), 'no implied operations here');
  t.notOk(any(authorizerWith([{ operation: Op.WRITE, principal: 'User:bob' }])), 'another principal');
  t.ok(any(authorizerWith([{ operation: Op.WRITE, principal: 'User:*' }])), 'wildcard principal');
  t.notOk(any(authorizerWith([{ operation: Op.WRITE, host: '10.9.9.9' }])), 'another host');
  t.notOk(any(authorizerWith([{ operation: Op.WRITE }]), Op.WRITE, alice, Res.GROUP), 'another resource type');
  t.notOk(any(authorizerWith([{ operation: Op.WRITE }, { operation: Op.WRITE, permissionType: Perm.DENY }])), 'the literal is denied');
  t.ok(any(authorizerWith([{ operation: Op.WRITE }, { resourceName: 'other', operation: Op.WRITE, permissionType: Perm.DENY }])), 'a deny elsewhere');
  t.notOk(any(authorizerWith([{ operation: Op.WRITE }, { resourceName: 'or', patternType: Pat.PREFIXED, operation: Op.WRITE, permissionType: Perm.DENY }])), 'a prefix deny dominates the literal');
  t.notOk(any(authorizerWith([{ resourceName: 'ord', patternType: Pat.PREFIXED, operation: Op.WRITE }, { resourceName: 'or', patternType: Pat.PREFIXED, operation: Op.WRITE, permissionType: Perm.DENY }])), 'and a longer prefix');
  t.ok(any(authorizerWith([{ resourceName: 'or', patternType: Pat.PREFIXED, operation: Op.WRITE }, { resourceName: 'ord', patternType: Pat.PREFIXED, operation: Op.WRITE, permissionType: Perm.DENY }])), 'a longer prefix deny leaves the shorter allow');
  t.ok(any(authorizerWith([{ resourceName: 'ord', patternType: Pat.PREFIXED, operation: Op.WRITE }, { resourceName: 'ord', operation: Op.WRITE, permissionType: Perm.DENY }])), 'a literal deny does not dominate a prefix allow');
  t.notOk(any(authorizerWith([{ resourceName: '*', operation: Op.WRITE }, { resourceName: '*', operation: Op.WRITE, permissionType: Perm.DENY }])), 'a wildcard deny denies everything');
  t.notOk(any(authorizerWith([{ resourceName: '*', operation: Op.WRITE, principal: 'User:*' }, { resourceName: '*', operation: Op.ALL, permissionType: Perm.DENY }])), 'whatever the order ACLs are met in');
  t.ok(
    any(authorizerWith([{ resourceName: '*', operation: Op.WRITE }, { resourceName: 'h', patternType: Pat.PREFIXED, operation: Op.WRITE, permissionType: Perm.DENY }])),
    'a wildcard allow is enough when no wildcard deny',
  );
  t.ok(any(authorizerWith([{ operation: Op.WRITE, resourceName: 'x', permissionType: Perm.DENY }], { 'super.users': 'User:alice' })), 'super user');
  t.throws(() => any(authorizerWith([]), Op.ANY), /non-filter operation/);
  t.throws(() => any(authorizerWith([]), Op.WRITE, alice, Res.ANY), /non-filter resource type/);
});

t.test('authorizedOperations bit fields', async t => {
  const a = authorizerWith([
    { operation: Op.READ },
    { operation: Op.ALTER_CONFIGS },
    { operation: Op.DELETE, permissionType: Perm.DENY },
    { resourceType: Res.CLUSTER, resourceName: 'kafka-cluster', operation: Op.IDEMPOTENT_WRITE },
  ]);
  const bits = (...ops: number[]) => ops.reduce((b, op) => b | (1 << op), 0);
  t.equal(a.authorizedOperations(alice, HOST, Res.TOPIC, 'orders'), bits(Op.READ, Op.DESCRIBE, Op.ALTER_CONFIGS, Op.DESCRIBE_CONFIGS));
  t.equal(a.authorizedOperations(alice, HOST, Res.TOPIC, 'orders', [Op.READ, Op.WRITE]), bits(Op.READ), 'of the candidates given');
  t.equal(a.authorizedOperations(bob, HOST, Res.TOPIC, 'orders'), 0);
  t.equal(a.authorizedOperations(alice, HOST, Res.CLUSTER, 'kafka-cluster'), bits(Op.IDEMPOTENT_WRITE));
  t.same(supportedOperations(Res.CLUSTER), [Op.CREATE, Op.CLUSTER_ACTION, Op.DESCRIBE_CONFIGS, Op.ALTER_CONFIGS, Op.IDEMPOTENT_WRITE, Op.ALTER, Op.DESCRIBE]);
  t.same(supportedOperations(Res.USER), [Op.CREATE_TOKENS, Op.DESCRIBE_TOKENS]);
  t.throws(() => supportedOperations(Res.ANY));
});

t.test('denials are logged at debug; authorizedOperations does not log', async t => {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      lines.push(String(chunk));
      done();
    },
  });
  const log = pino({ level: 'debug' }, sink);
  const a = authorizerWith([{ operation: Op.READ, permissionType: Perm.DENY }], {}, log);
  a.authorize(alice, HOST, Op.READ, Res.TOPIC, 'orders');
  a.authorize(alice, HOST, Op.WRITE, Res.TOPIC, 'orders');
  a.authorizedOperations(alice, HOST, Res.TOPIC, 'orders');
  t.equal(lines.length, 2);
  t.match(JSON.parse(lines[0]!).msg, /^Principal = User:alice is Denied operation = READ from host = 10\.0\.0\.1 on resource = Topic:LITERAL:orders based on rule MatchingAcl\(acl=StandardAcl\(resourceType=TOPIC, resourceName=orders/);
  t.match(JSON.parse(lines[1]!).msg, /based on rule DefaultDeny$/);
});

t.test('the ClusterAuthorizationException message', async t => {
  const msg = clusterNotAuthorizedMessage({
    id: 7,
    localAddress: '127.0.0.1',
    localPort: 9092,
    remoteAddress: '127.0.0.1',
    remotePort: 50000,
    listenerName: 'PLAINTEXT',
    securityProtocol: 'PLAINTEXT',
    principal: alice,
  });
  t.equal(
    msg,
    'Request Request(processor=0, connectionId=127.0.0.1:9092-127.0.0.1:50000-0-7, session=Session(User:alice,/127.0.0.1), listenerName=ListenerName(PLAINTEXT), securityProtocol=PLAINTEXT, buffer=null, envelope=None) is not authorized.',
  );
});
