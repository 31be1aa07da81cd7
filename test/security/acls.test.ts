// The ACL store: Kafka's filter matching (ANY, MATCH, null fields), creation checks with Kafka
// 4.1's codes and messages, duplicate creations, deletions reported per filter, the bounds of
// one request, the describe order, and durability in a data directory.
import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ALICE_READS_ORDERS } from '../helpers/acls.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import {
  ACLS_FILE,
  ANY_FILTER,
  AclOperation as Op,
  AclPermissionType as Perm,
  AclStore,
  MAX_RECORDS_PER_USER_OP,
  PatternType as Pat,
  ResourceType as Res,
  bindingConstructionProblem,
  filterMatches,
  filterOf,
  hasUnknownIds,
  normalizedBinding,
  type AclBinding,
  type AclBindingFilter,
} from '../../src/security/acls.js';

const acl = (over: Partial<AclBinding> = {}): AclBinding => ({ ...ALICE_READS_ORDERS, ...over });
const filter = (over: Partial<AclBindingFilter> = {}): AclBindingFilter => ({ ...ANY_FILTER, ...over });
const OK = { errorCode: 0, errorMessage: null };
const invalid = (errorMessage: string) => ({ errorCode: ErrorCode.INVALID_REQUEST, errorMessage });
const label = (b: AclBinding) => `${b.resourceType}:${b.patternType}:${b.resourceName}:${b.principal}:${b.host}:${b.operation}:${b.permissionType}`;

t.test('filters match as Kafka AclBindingFilter does', async t => {
  const literal = acl();
  const wildcard = acl({ resourceName: '*' });
  const prefixed = acl({ resourceName: 'ord', patternType: Pat.PREFIXED });
  const other = acl({ resourceName: 'payments' });
  const all = [literal, wildcard, prefixed, other];
  const matching = (f: AclBindingFilter) => all.filter(b => filterMatches(f, b)).map(b => b.resourceName);

  t.same(matching(ANY_FILTER), ['orders', '*', 'ord', 'payments'], 'ANY matches everything');
  t.same(matching(filter({ resourceName: 'orders' })), ['orders'], 'pattern ANY with a name: that exact name, of any pattern type');
  t.same(matching(filter({ resourceName: 'ord' })), ['ord']);
  t.same(matching(filter({ resourceName: 'orders', patternType: Pat.MATCH })), ['orders', '*', 'ord'], 'MATCH: the literal name, the wildcard and the prefixes that apply');
  t.same(matching(filter({ resourceName: 'ordinal', patternType: Pat.MATCH })), ['*', 'ord']);
  t.same(matching(filter({ resourceName: 'or', patternType: Pat.MATCH })), ['*'], 'a prefix longer than the name does not apply');
  t.same(matching(filter({ patternType: Pat.MATCH })), ['orders', '*', 'ord', 'payments'], 'MATCH without a name matches every pattern');
  t.same(matching(filter({ resourceName: 'orders', patternType: Pat.LITERAL })), ['orders']);
  t.same(matching(filter({ resourceName: 'ord', patternType: Pat.PREFIXED })), ['ord']);
  t.same(matching(filter({ patternType: Pat.PREFIXED })), ['ord']);
  t.same(matching(filter({ resourceName: '*', patternType: Pat.LITERAL })), ['*'], 'the wildcard is a literal name to an exact filter');
  t.same(matching(filter({ resourceType: Res.GROUP })), [], 'another resource type');
  t.same(matching(filter({ resourceType: Res.UNKNOWN })), [], 'UNKNOWN matches nothing');

  t.ok(filterMatches(filter({ principal: 'User:alice', host: '*', operation: Op.READ, permissionType: Perm.ALLOW }), literal));
  t.notOk(filterMatches(filter({ principal: 'User:*' }), literal), 'principal and host are compared as strings: User:* is not a wildcard to a filter');
  t.notOk(filterMatches(filter({ host: '10.0.0.1' }), literal), 'nor is a host');
  t.notOk(filterMatches(filter({ operation: Op.ALL }), literal), 'ALL is an operation of its own to a filter');
  t.notOk(filterMatches(filter({ operation: Op.DESCRIBE }), literal), 'no implied operations in filters');
  t.notOk(filterMatches(filter({ permissionType: Perm.DENY }), literal));
  t.ok(filterMatches(filterOf(literal), literal), 'a binding as a filter matches it');
  t.notOk(filterMatches(filterOf(literal), wildcard));
});

t.test('request-level checks: ids 0 refused while parsing, ANY/MATCH unbuildable bindings', async t => {
  t.ok(hasUnknownIds({ resourceType: 0, patternType: 3, operation: 3, permissionType: 3 }));
  t.ok(hasUnknownIds({ resourceType: 2, patternType: 3, operation: 3, permissionType: 0 }));
  t.notOk(hasUnknownIds({ resourceType: 99, patternType: 3, operation: 3, permissionType: 3 }), 'an id Kafka does not know parses, as UNKNOWN');
  t.equal(normalizedBinding(acl({ resourceType: 99, operation: -5 })).resourceType, Res.UNKNOWN);
  t.equal(normalizedBinding(acl({ resourceType: 99, operation: -5 })).operation, Op.UNKNOWN);
  t.equal(bindingConstructionProblem(acl({ resourceType: Res.ANY })), 'resourceType must not be ANY');
  t.equal(bindingConstructionProblem(acl({ patternType: Pat.MATCH })), 'patternType must not be MATCH');
  t.equal(bindingConstructionProblem(acl({ patternType: Pat.ANY })), 'patternType must not be ANY');
  t.equal(bindingConstructionProblem(acl({ operation: Op.ANY })), 'operation must not be ANY');
  t.equal(bindingConstructionProblem(acl({ permissionType: Perm.ANY })), 'permissionType must not be ANY');
  t.equal(bindingConstructionProblem(acl()), null);
  t.equal(bindingConstructionProblem(acl({ resourceType: Res.UNKNOWN })), null, 'UNKNOWN is left to the controller');
});

t.test('creations are checked as AclApis then AclControlManager.validateNewAcl', async t => {
  const store = new AclStore();
  const cases: [AclBinding, ReturnType<typeof invalid>][] = [
    [acl({ resourceType: Res.CLUSTER, resourceName: 'other' }), invalid('The only valid name for the CLUSTER resource is kafka-cluster')],
    [acl({ resourceType: Res.CLUSTER, resourceName: '' }), invalid('The only valid name for the CLUSTER resource is kafka-cluster')],
    [acl({ resourceName: '' }), invalid('Invalid empty resource name')],
    [acl({ resourceName: '', resourceType: Res.UNKNOWN }), invalid('Invalid empty resource name')],
    [acl({ resourceType: Res.UNKNOWN }), invalid('Invalid resourceType UNKNOWN')],
    [acl({ resourceType: Res.ANY }), invalid('Invalid resourceType ANY')],
    [acl({ patternType: Pat.UNKNOWN }), invalid('Invalid patternType UNKNOWN')],
    [acl({ patternType: Pat.MATCH }), invalid('Invalid patternType MATCH')],
    [acl({ operation: Op.UNKNOWN }), invalid('Invalid operation UNKNOWN')],
    [acl({ operation: Op.ANY }), invalid('Invalid operation ANY')],
    [acl({ permissionType: Perm.UNKNOWN }), invalid('Invalid permissionType UNKNOWN')],
    [acl({ permissionType: Perm.ANY }), invalid('Invalid permissionType ANY')],
    [acl({ resourceType: Res.UNKNOWN, operation: Op.UNKNOWN }), invalid('Invalid resourceType UNKNOWN')],
    [acl({ principal: 'alice' }), invalid('Could not parse principal from `alice` (no colon is present separating the principal type from the principal name)')],
    [acl({ principal: '' }), invalid('Could not parse principal from `` (no colon is present separating the principal type from the principal name)')],
  ];
  t.same(
    store.create(cases.map(c => c[0])),
    cases.map(c => c[1]),
  );
  t.equal(store.count, 0, 'nothing was created');

  const good = [
    acl(),
    acl({ resourceType: Res.CLUSTER, resourceName: 'kafka-cluster', operation: Op.ALTER }),
    acl({ resourceType: Res.CLUSTER, resourceName: 'kafka-cluster', patternType: Pat.PREFIXED, operation: Op.DESCRIBE }),
    acl({ resourceName: '*', patternType: Pat.PREFIXED }),
    acl({ principal: ':alice' }),
    acl({ principal: 'User:' }),
    acl({ principal: 'Group:ops:eu', host: '' }),
    acl({ resourceType: Res.USER, resourceName: 'bob', operation: Op.CREATE_TOKENS }),
    acl({ resourceType: Res.DELEGATION_TOKEN, resourceName: 'x', operation: Op.DESCRIBE, permissionType: Perm.DENY }),
  ];
  t.same(store.create(good), good.map(() => OK), 'cluster resources by name whatever the pattern, PREFIXED "*", principals with a colon anywhere, an empty host');
  t.equal(store.count, good.length);

  t.same(store.create([acl({ resourceName: '' }), acl({ resourceName: 'new' }), acl({ operation: Op.ANY })]), [invalid('Invalid empty resource name'), OK, invalid('Invalid operation ANY')], 'answers stay in request order');
  t.equal(store.count, good.length + 1);
});

t.test('duplicate creations succeed and add one ACL', async t => {
  const store = new AclStore();
  t.same(store.create([acl(), acl()]), [OK, OK]);
  t.equal(store.count, 1);
  t.same(store.create([acl()]), [OK], 'an ACL already there');
  t.equal(store.count, 1);
  t.same(store.create([acl({ host: '10.0.0.1' }), acl({ permissionType: Perm.DENY })]), [OK, OK], 'differing in any field is another ACL');
  t.equal(store.count, 3);
});

t.test('deletions: each filter reports what it matched; bad filters answered alone', async t => {
  const store = new AclStore();
  const a = acl();
  const b = acl({ resourceName: 'payments', operation: Op.WRITE });
  const c = acl({ resourceType: Res.GROUP, resourceName: 'g', patternType: Pat.PREFIXED });
  store.create([a, b, c]);
  const results = store.delete([
    filter({ resourceType: Res.TOPIC }),
    filter({ operation: Op.WRITE }),
    filter({ resourceType: Res.UNKNOWN }),
    filter({ patternType: Pat.UNKNOWN }),
    filter({ operation: Op.UNKNOWN }),
    filter({ permissionType: Perm.UNKNOWN }),
    filter({ resourceName: 'nothing' }),
  ]);
  t.same(results[0], { errorCode: 0, errorMessage: null, deleted: [a, b] });
  t.same(results[1], { errorCode: 0, errorMessage: null, deleted: [b] }, 'an ACL two filters match is reported by both');
  t.same(results.slice(2, 6), [
    { ...invalid('Unknown patternFilter.'), deleted: [] },
    { ...invalid('Unknown patternFilter.'), deleted: [] },
    { ...invalid('Unknown entryFilter.'), deleted: [] },
    { ...invalid('Unknown entryFilter.'), deleted: [] },
  ]);
  t.same(results[6], { errorCode: 0, errorMessage: null, deleted: [] }, 'matching nothing is no error');
  t.same(store.all(), [c], 'the matched ACLs are gone, the others stay');
  t.same(store.delete([filter({ resourceType: Res.TOPIC })]), [{ errorCode: 0, errorMessage: null, deleted: [] }], 'deleting again finds nothing');
  t.same(store.delete([filterOf(c)])[0]!.deleted, [c]);
  t.equal(store.count, 0);
});

t.test('one request may add or remove at most MAX_RECORDS_PER_USER_OP ACLs', async t => {
  t.equal(MAX_RECORDS_PER_USER_OP, 10_000);
  const store = new AclStore();
  const many = (n: number, from = 0) => Array.from({ length: n }, (_, i) => acl({ resourceName: `t-${from + i}` }));
  const tooMany = [acl({ resourceName: '' }), ...many(MAX_RECORDS_PER_USER_OP + 1), acl({ principal: 'nocolon' })];
  const results = store.create(tooMany);
  t.same(results[0], invalid('Invalid empty resource name'), "AclApis' own refusals stand");
  const policy = { errorCode: ErrorCode.POLICY_VIOLATION, errorMessage: 'Unable to perform excessively large batch operation.' };
  t.same(results[1], policy, 'the controller fails the whole batch it was given');
  t.same(results[results.length - 1], policy);
  t.equal(store.count, 0, 'nothing was created');

  t.same(new Set(store.create([...many(MAX_RECORDS_PER_USER_OP), ...many(5)]).map(r => r.errorCode)), new Set([0]), 'duplicates do not count');
  t.equal(store.count, MAX_RECORDS_PER_USER_OP);
  t.same(new Set(store.create(many(MAX_RECORDS_PER_USER_OP + 2)).map(r => r.errorCode)), new Set([0]), 'ACLs already there do not count');
  t.equal(store.count, MAX_RECORDS_PER_USER_OP + 2);

  const refused = store.delete([filter({ resourceName: 't-0' }), ANY_FILTER]);
  const bound = { ...invalid('Cannot remove more than 10000 acls in a single delete operation.'), deleted: [] };
  t.same(refused, [bound, bound], 'every filter is refused');
  t.equal(store.count, MAX_RECORDS_PER_USER_OP + 2, 'nothing was deleted');
  t.same(store.delete([filter({ resourceName: 't-0' }), filter({ resourceName: 't-1' })]).map(r => r.deleted.length), [1, 1]);
  const all = store.delete([ANY_FILTER, ANY_FILTER]);
  t.same(all.map(r => r.deleted.length), [MAX_RECORDS_PER_USER_OP, MAX_RECORDS_PER_USER_OP], 'exactly the bound, reported by both filters');
  t.equal(store.count, 0);
});

t.test("describe answers in Kafka's StandardAcl order", async t => {
  const store = new AclStore();
  const list = [
    acl({ resourceType: Res.GROUP, resourceName: 'g' }),
    acl({ resourceName: 'a' }),
    acl({ resourceName: 'b', operation: Op.WRITE }),
    acl({ resourceName: 'b', operation: Op.READ, principal: 'User:zed' }),
    acl({ resourceName: 'b', operation: Op.READ, principal: 'User:amy' }),
    acl({ resourceName: 'b', patternType: Pat.PREFIXED }),
    acl({ resourceName: 'b', operation: Op.READ, principal: 'User:amy', permissionType: Perm.DENY }),
  ];
  store.create(list);
  t.same(store.describe(ANY_FILTER).map(label), [
    '2:3:b:User:amy:*:3:2',
    '2:3:b:User:amy:*:3:3',
    '2:3:b:User:zed:*:3:3',
    '2:3:b:User:alice:*:4:3',
    '2:4:b:User:alice:*:3:3',
    '2:3:a:User:alice:*:3:3',
    '3:3:g:User:alice:*:3:3',
  ]);
  t.same(store.describe(filter({ resourceName: 'bz', patternType: Pat.MATCH })).map(label), ['2:4:b:User:alice:*:3:3']);
  t.same(store.all().map(label), list.map(label), 'all(): in the order created');
  const topic = store.ofType(Res.TOPIC);
  t.same([...topic.literal.keys()].sort(), ['a', 'b']);
  t.same([...topic.prefixed.keys()], ['b']);
  t.equal(store.ofType(Res.CLUSTER).literal.size, 0);
});

t.test('disk mode: ACLs survive reopening; a failed load is an error', async t => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'samsa-acls-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const first = new AclStore();
  first.openIn(dir);
  t.notOk(fs.existsSync(path.join(dir, ACLS_FILE)), 'no file until there are ACLs');
  const kept = [acl(), acl({ resourceName: 'p-', patternType: Pat.PREFIXED, principal: 'User:*', host: '10.1.1.1', operation: Op.ALL, permissionType: Perm.DENY })];
  first.create([...kept, acl({ resourceName: 'gone' })]);
  first.delete([filter({ resourceName: 'gone' })]);
  const text = fs.readFileSync(path.join(dir, ACLS_FILE), 'utf8');
  t.match(text, /"operation": "ALL"/, 'names, not ids, in the file');
  t.notOk(fs.existsSync(path.join(dir, `${ACLS_FILE}.tmp`)), 'written atomically');

  const second = new AclStore();
  second.openIn(dir);
  t.same(second.all(), kept);
  t.same(second.describe(filter({ resourceName: 'p-x', patternType: Pat.MATCH }))[0]!.principal, 'User:*', 'the index is rebuilt');
  second.delete([ANY_FILTER]);
  const third = new AclStore();
  third.openIn(dir);
  t.equal(third.count, 0, 'deletions are kept too');

  const memory = new AclStore();
  memory.openIn(null);
  memory.create([acl()]);
  t.equal(memory.count, 1, 'memory mode');

  fs.writeFileSync(path.join(dir, ACLS_FILE), '{"version":7,"acls":[]}');
  t.throws(() => new AclStore().openIn(dir), /unknown version 7/);
  fs.writeFileSync(path.join(dir, ACLS_FILE), JSON.stringify({ version: 1, acls: [{ ...kept[0], resourceType: 'TOPIC', patternType: 'LITERAL', operation: 'FLY', permissionType: 'ALLOW' }] }));
  t.throws(() => new AclStore().openIn(dir), /unknown operation FLY/);
  fs.writeFileSync(path.join(dir, ACLS_FILE), '{not json');
  t.throws(() => new AclStore().openIn(dir));
});
