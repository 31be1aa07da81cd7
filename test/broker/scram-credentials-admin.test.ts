// DescribeUserScramCredentials (50) and AlterUserScramCredentials (51) over the wire, answered as
// Kafka 4.1 answers them: credentials set and deleted, every kind of bad alteration refused with
// Kafka's code and message while the good ones in the same request are applied, the answers in
// the order of Kafka's HashMaps; the credentials set work for SCRAM authentication. Disk mode:
// they survive a restart.
/* eslint-disable @typescript-eslint/no-explicit-any -- responses decoded from the specs at run time */
import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createHash, createHmac, pbkdf2Sync } from 'node:crypto';
import { testBroker, testClient } from '../helpers/broker.js';
import type { TestClient } from '../helpers/client.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import { startBroker, type RunningBroker } from '../../src/index.js';
import { SCRAM_CREDENTIALS_FILE } from '../../src/security/scram-credentials.js';
import { createSaslServer } from '../../src/security/sasl/mechanism.js';
import { BrokerConfig } from '../../src/cluster/configs.js';

const SHA256 = 1;
const SHA512 = 2;

interface Upsert {
  name: string;
  mechanism: number;
  iterations?: number;
  password?: string;
  salt?: Buffer;
  saltedPassword?: Buffer;
}

/** An upsertion as Kafka's admin client makes it: the password salted and hashed on the client. */
function upsertion(u: Upsert) {
  const iterations = u.iterations ?? 4096;
  const salt = u.salt ?? Buffer.from(`salt-of-${u.name}`);
  const digest = u.mechanism === SHA512 ? 'sha512' : 'sha256';
  const saltedPassword = u.saltedPassword ?? pbkdf2Sync(u.password ?? 'secret', salt, Math.max(1, Math.min(iterations, 16384)), digest === 'sha512' ? 64 : 32, digest);
  return { name: u.name, mechanism: u.mechanism, iterations, salt, saltedPassword };
}

async function alter(c: TestClient, upsertions: Upsert[], deletions: { name: string; mechanism: number }[] = []): Promise<[string, number, string | null][]> {
  const res = await c.call(51, 0, { deletions, upsertions: upsertions.map(upsertion) });
  return res.results.map((r: any) => [r.user, r.errorCode, r.errorMessage]);
}

async function describe(c: TestClient, users: string[] | null): Promise<any> {
  return c.call(50, 0, { users: users === null ? null : users.map(name => ({ name })) });
}

/** The described users: `user: mechanism/iterations …` or `user: error message`. */
async function described(c: TestClient, users: string[] | null = null): Promise<string[]> {
  const res = await describe(c, users);
  if (res.errorCode !== 0) throw new Error(`describe failed: ${res.errorCode} ${res.errorMessage}`);
  return res.results.map((r: any) =>
    r.errorCode === 0 ? `${r.user}: ${r.credentialInfos.map((i: any) => `${i.mechanism}/${i.iterations}`).join(' ')}` : `${r.user}: ${r.errorCode} ${r.errorMessage}`,
  );
}

/** Authenticates `user` with SCRAM against the broker's credentials, as a client would; true when the server proves itself too. */
function scramLogin(b: RunningBroker, mechanism: 'SCRAM-SHA-256' | 'SCRAM-SHA-512', user: string, password: string): boolean {
  const digest = mechanism === 'SCRAM-SHA-256' ? 'sha256' : 'sha512';
  const server = createSaslServer(mechanism, { listenerName: 'SASL_PLAINTEXT', config: new BrokerConfig({}), scram: b.broker.cluster.scramCredentials, now: Date.now });
  const bare = `n=${user},r=clientnonce`;
  const serverFirst = server.evaluate(Buffer.from(`n,,${bare}`)).toString();
  const attrs = Object.fromEntries(serverFirst.split(',').map(kv => [kv[0], kv.slice(2)]));
  const salted = pbkdf2Sync(password, Buffer.from(attrs.s!, 'base64'), Number(attrs.i), digest === 'sha256' ? 32 : 64, digest);
  const withoutProof = `c=biws,r=${attrs.r}`;
  const authMessage = `${bare},${serverFirst},${withoutProof}`;
  const clientKey = createHmac(digest, salted).update('Client Key').digest();
  const signature = createHmac(digest, createHash(digest).update(clientKey).digest()).update(authMessage).digest();
  const proof = Buffer.from(clientKey.map((x, i) => x ^ signature[i]!)).toString('base64');
  const serverFinal = server.evaluate(Buffer.from(`${withoutProof},p=${proof}`)).toString();
  const serverSignature = createHmac(digest, createHmac(digest, salted).update('Server Key').digest()).update(authMessage).digest();
  return server.complete && serverFinal === `v=${serverSignature.toString('base64')}`;
}

const OK = ErrorCode.NONE;

t.test('credentials are set, described, used, changed and deleted', async t => {
  const b = await testBroker(t);
  const c = await testClient(t, b);
  t.same(await described(c), [], 'none at first');

  t.same(await alter(c, [
    { name: 'alice', mechanism: SHA256, iterations: 8192, password: 'alice-secret' },
    { name: 'bob', mechanism: SHA512, password: 'bob-secret' },
  ]), [['bob', OK, null], ['alice', OK, null]], "answered in the order of Kafka's HashMap");
  t.same(await described(c), ['bob: 2/4096', 'alice: 1/8192']);
  t.ok(scramLogin(b, 'SCRAM-SHA-256', 'alice', 'alice-secret'), 'alice logs in with SCRAM-SHA-256');
  t.ok(scramLogin(b, 'SCRAM-SHA-512', 'bob', 'bob-secret'), 'bob with SCRAM-SHA-512');
  t.throws(() => scramLogin(b, 'SCRAM-SHA-256', 'alice', 'wrong'), { message: /invalid credentials/ }, 'not with a wrong password');
  t.throws(() => scramLogin(b, 'SCRAM-SHA-512', 'alice', 'alice-secret'), { message: /invalid credentials/ }, 'nor with a mechanism she has no credential for');

  t.same(await alter(c, [{ name: 'alice', mechanism: SHA512, iterations: 16384, password: 'other' }]), [['alice', OK, null]]);
  t.same(await described(c, ['alice']), ['alice: 1/8192 2/16384'], 'a second mechanism for alice');
  t.same(await alter(c, [{ name: 'alice', mechanism: SHA256, iterations: 4096, password: 'changed' }]), [['alice', OK, null]]);
  t.ok(scramLogin(b, 'SCRAM-SHA-256', 'alice', 'changed'), 'a changed password works');
  t.throws(() => scramLogin(b, 'SCRAM-SHA-256', 'alice', 'alice-secret'), { message: /invalid credentials/ }, 'the old one no longer');

  t.same(await alter(c, [], [{ name: 'alice', mechanism: SHA256 }]), [['alice', OK, null]]);
  t.same(await described(c, ['alice']), ['alice: 2/16384']);
  t.same(await alter(c, [], [{ name: 'alice', mechanism: SHA512 }, { name: 'bob', mechanism: SHA512 }]), [['bob', OK, null], ['alice', OK, null]]);
  t.same(await described(c), [], 'all gone');
  const stored = b.broker.cluster.scramCredentials;
  t.equal(stored.size, 0);
});

t.test('the stored keys are derived from the salted password sent', async t => {
  const b = await testBroker(t);
  const c = await testClient(t, b);
  const salt = Buffer.from('W22ZaJ0SNY7soEsUEjb6gQ==', 'base64');
  const salted = pbkdf2Sync('pencil', salt, 4096, 32, 'sha256');
  t.same(await alter(c, [{ name: 'user', mechanism: SHA256, salt, saltedPassword: salted }]), [['user', OK, null]]);
  const cred = b.broker.cluster.scramCredentials.get('user', 'SCRAM-SHA-256')!;
  t.same(cred.salt, salt);
  t.same(cred.storedKey, createHash('sha256').update(createHmac('sha256', salted).update('Client Key').digest()).digest());
  t.same(cred.serverKey, createHmac('sha256', salted).update('Server Key').digest());
  t.ok(scramLogin(b, 'SCRAM-SHA-256', 'user', 'pencil'));
  t.same(await alter(c, [{ name: 'nosalt', mechanism: SHA256, salt: Buffer.alloc(0) }]), [['nosalt', OK, null]], 'an empty salt is accepted, as in Kafka');
});

t.test("bad alterations, with Kafka's codes and messages; the good ones still apply", async t => {
  const b = await testBroker(t);
  const c = await testClient(t, b);
  await alter(c, [{ name: 'exists', mechanism: SHA256 }, { name: 'd1', mechanism: SHA256 }, { name: 'd2', mechanism: SHA256 }]);
  await alter(c, [{ name: 'd2', mechanism: SHA512 }]);
  const answers = await alter(
    c,
    [
      { name: '', mechanism: SHA256 },
      { name: 'u1', mechanism: 0 },
      { name: 'u2', mechanism: 3 },
      { name: 'u3', mechanism: SHA256, iterations: 4095 },
      { name: 'u4', mechanism: SHA512, iterations: 16385 },
      { name: 'u5', mechanism: SHA256 },
      { name: 'u5', mechanism: SHA512 },
      { name: 'u6', mechanism: SHA256 },
      { name: 'u7', mechanism: SHA256, saltedPassword: Buffer.alloc(0) },
      { name: 'good', mechanism: SHA512 },
      { name: 'd1', mechanism: SHA256 },
      { name: 'd4', mechanism: SHA256 },
    ],
    [
      { name: '', mechanism: SHA256 },
      { name: 'd1', mechanism: SHA256 },
      { name: 'd2', mechanism: SHA256 },
      { name: 'd2', mechanism: SHA512 },
      { name: 'd3', mechanism: 9 },
      { name: 'exists', mechanism: SHA256 },
      { name: 'd4', mechanism: SHA512 },
      { name: 'u6', mechanism: 5 },
    ],
  );
  const byUser = Object.fromEntries(answers.map(([user, code, message]) => [user, [code, message]]));
  const unacceptable = ErrorCode.UNACCEPTABLE_CREDENTIAL;
  const duplicate = [ErrorCode.DUPLICATE_RESOURCE, 'A user credential cannot be altered twice in the same request'];
  t.same(byUser, {
    '': [unacceptable, 'Username must not be empty'],
    u1: [ErrorCode.UNSUPPORTED_SASL_MECHANISM, 'Unknown SCRAM mechanism'],
    u2: [ErrorCode.UNSUPPORTED_SASL_MECHANISM, 'Unknown SCRAM mechanism'],
    u3: [unacceptable, 'Too few iterations'],
    u4: [unacceptable, 'Too many iterations'],
    u5: duplicate,
    u6: [ErrorCode.UNSUPPORTED_SASL_MECHANISM, 'Unknown SCRAM mechanism'],
    u7: [ErrorCode.UNKNOWN_SERVER_ERROR, null],
    good: [OK, null],
    d1: duplicate,
    d2: duplicate,
    d3: [ErrorCode.UNSUPPORTED_SASL_MECHANISM, 'Unknown SCRAM mechanism'],
    exists: [OK, null],
    d4: [ErrorCode.RESOURCE_NOT_FOUND, 'Attempt to delete a user credential that does not exist'],
  });
  t.equal(answers.length, 14, 'one answer per user');
  t.same(answers.slice(0, 2).map(a => a[0]), ['exists', 'good'], 'deletions first, then upsertions, then failures');
  t.same((await described(c)).sort(), ['d1: 1/4096', 'd2: 1/4096 2/4096', 'good: 2/4096'], 'the good upsertion and deletion were applied, nothing else');
});

t.test('answers come in the order of Java HashMaps', async t => {
  const b = await testBroker(t);
  const c = await testClient(t, b);
  // buckets of a 16-slot table: "aa" 0, "a" 1, "b" 2, "c" 3; "q" is 113 (bucket 1, after "a")
  t.same((await alter(c, [{ name: 'c', mechanism: SHA256 }, { name: 'q', mechanism: SHA256 }, { name: 'b', mechanism: SHA256 }, { name: 'aa', mechanism: SHA256 }, { name: 'a', mechanism: SHA256 }])).map(a => a[0]), ['aa', 'q', 'a', 'b', 'c']);
  t.same((await described(c, ['b', 'a', 'q', 'aa', 'c'])).map(s => s.split(':')[0]), ['aa', 'a', 'q', 'b', 'c'], 'same bucket: in the order requested');
  // 13 users make the table grow to 32 slots: "q" (113) moves from bucket 1 to 17, after "a" … "p"
  const many = 'abcdefghijklmnop'.split('');
  t.same((await alter(c, ['q', ...many].map(name => ({ name, mechanism: SHA512 })))).map(a => a[0]), [...many, 'q']);
  t.same((await alter(c, ['q', 'b', 'a'].map(name => ({ name, mechanism: SHA512 })))).map(a => a[0]), ['q', 'a', 'b'], 'while with few users "q" comes first in bucket 1');
});

t.test('describe: all users, duplicates and unknown users', async t => {
  const b = await testBroker(t);
  const c = await testClient(t, b);
  await alter(c, [{ name: 'alice', mechanism: SHA256 }, { name: 'bob', mechanism: SHA256, iterations: 5000 }]);
  await alter(c, [{ name: 'bob', mechanism: SHA512, iterations: 6000 }]);
  const all = await describe(c, null);
  t.same([all.errorCode, all.errorMessage], [0, null]);
  t.same(await described(c, null), ['bob: 1/5000 2/6000', 'alice: 1/4096'], 'null: every user with a credential');
  t.same(await described(c, []), ['bob: 1/5000 2/6000', 'alice: 1/4096'], 'an empty list too');
  const some = await describe(c, ['alice', 'nobody', 'bob', 'alice', 'alice']);
  t.same([some.errorCode, some.errorMessage], [0, null], 'the top level stays NONE');
  t.same(await described(c, ['alice', 'nobody', 'bob', 'alice', 'alice']), [
    `bob: 1/5000 2/6000`,
    `alice: ${ErrorCode.DUPLICATE_RESOURCE} Cannot describe SCRAM credentials for the same user twice in a single request: alice`,
    `nobody: ${ErrorCode.RESOURCE_NOT_FOUND} Attempt to describe a user credential that does not exist: nobody`,
  ], 'each user once, in the order of their buckets (bob 4, alice 9, nobody 12)');
  t.same(some.results.find((r: any) => r.user === 'nobody').credentialInfos, []);
});

t.test('disk mode: the credentials survive a restart, in a file of their own', async t => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'samsa-scram-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const first = await testBroker(t, { dataDir: dir });
  const c1 = await testClient(t, first);
  await alter(c1, [{ name: 'alice', mechanism: SHA256, iterations: 8192, password: 'alice-secret' }, { name: 'bob', mechanism: SHA512, password: 'bob-secret' }]);
  await alter(c1, [], [{ name: 'bob', mechanism: SHA512 }]);
  const before = await described(c1);
  t.same(before, ['alice: 1/8192']);
  const file = path.join(dir, SCRAM_CREDENTIALS_FILE);
  t.ok(fs.existsSync(file), `${SCRAM_CREDENTIALS_FILE} is written`);
  t.notOk(fs.readFileSync(file, 'utf8').includes('alice-secret'), 'no password in it');
  c1.close();
  await first.close();

  const second = await startBroker({ port: 0, host: '127.0.0.1', dataDir: dir, logLevel: 'silent' });
  t.teardown(() => second.close());
  const c2 = await testClient(t, second);
  t.same(await described(c2), before, 'the same credentials after the restart');
  t.ok(scramLogin(second, 'SCRAM-SHA-256', 'alice', 'alice-secret'), 'and they still authenticate');
});

t.test('with an authorizer: DESCRIBE and ALTER on the cluster', async t => {
  const b = await testBroker(t, { config: { 'authorizer.class.name': 'org.apache.kafka.metadata.authorizer.StandardAuthorizer' } });
  const c = await testClient(t, b);
  const described = await c.call(50, 0, { users: [{ name: 'alice' }] });
  t.equal(described.errorCode, ErrorCode.CLUSTER_AUTHORIZATION_FAILED, 'User:ANONYMOUS may not describe credentials');
  t.equal(described.errorMessage, null, 'the default message is left off, as Kafka does');
  const altered = await c.call(51, 0, { deletions: [], upsertions: [{ name: 'alice', mechanism: SHA256, iterations: 4096, salt: Buffer.from('salt'), saltedPassword: Buffer.alloc(32, 1) }] });
  t.same(altered.results.map((r: any) => r.errorCode), [ErrorCode.CLUSTER_AUTHORIZATION_FAILED]);
  t.match(altered.results[0].errorMessage, /^Request .* is not authorized\.$/);
  t.equal(b.cluster.scramCredentials.size, 0, 'nothing was stored');
  b.cluster.acls.create([
    { resourceType: 4, resourceName: 'kafka-cluster', patternType: 3, principal: 'User:ANONYMOUS', host: '*', operation: 7, permissionType: 3 },
  ]);
  const allowed = await c.call(51, 0, { deletions: [], upsertions: [{ name: 'alice', mechanism: SHA256, iterations: 4096, salt: Buffer.from('salt'), saltedPassword: Buffer.alloc(32, 1) }] });
  t.same(allowed.results.map((r: any) => r.errorCode), [0], 'ALTER on the cluster allows it');
  t.equal((await c.call(50, 0, { users: [{ name: 'alice' }] })).errorCode, 0, 'and ALTER implies DESCRIBE');
});
