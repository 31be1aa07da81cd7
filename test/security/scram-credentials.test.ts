// The SCRAM credential store (src/security/scram-credentials.ts): keys derived as Kafka's
// ScramFormatter derives them, never a password kept; changes applied together; its file in disk
// mode; kafka-storage's --add-scram syntax with Kafka's messages.
import t from 'tap';
import { createHash, createHmac, pbkdf2Sync } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  SCRAM_CREDENTIALS_FILE, SCRAM_SHA_256, SCRAM_SHA_512, ScramCredentialStore,
  parseAddScram, saltedPassword, secureRandomString, scramMechanism, scramMechanismOfType,
} from '../../src/security/scram-credentials.js';

const tmpDir = (t: { teardown(fn: () => unknown): void }): string => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'samsa-scram-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
};

t.test('mechanisms by name and by protocol type', async t => {
  t.equal(scramMechanism('SCRAM-SHA-256'), SCRAM_SHA_256);
  t.equal(scramMechanism('SCRAM-SHA-512'), SCRAM_SHA_512);
  t.equal(scramMechanism('scram-sha-256'), undefined, 'names are case-sensitive, as in Kafka');
  t.equal(scramMechanismOfType(1), SCRAM_SHA_256);
  t.equal(scramMechanismOfType(2), SCRAM_SHA_512);
  t.equal(scramMechanismOfType(0), undefined, 'type 0 is UNKNOWN');
  t.equal(scramMechanismOfType(3), undefined);
});

t.test('the keys are derived from the salted password as RFC 5802 says', async t => {
  const store = new ScramCredentialStore();
  const salt = Buffer.from('W22ZaJ0SNY7soEsUEjb6gQ==', 'base64');
  const salted = saltedPassword(SCRAM_SHA_256, 'pencil', salt, 4096);
  t.same(salted, pbkdf2Sync('pencil', salt, 4096, 32, 'sha256'), 'Hi() is PBKDF2');
  store.upsert('user', 'SCRAM-SHA-256', 4096, salt, salted);
  const c = store.get('user', 'SCRAM-SHA-256')!;
  const clientKey = createHmac('sha256', salted).update('Client Key').digest();
  t.same(c.storedKey, createHash('sha256').update(clientKey).digest());
  t.same(c.serverKey, createHmac('sha256', salted).update('Server Key').digest());
  t.same(c.salt, salt);
  t.equal(c.iterations, 4096);
  t.equal(store.get('user', 'SCRAM-SHA-512'), undefined, 'per mechanism');
  t.equal(store.get('other', 'SCRAM-SHA-256'), undefined);
  t.notOk(JSON.stringify(c).includes(salted.toString('base64')), 'the salted password is not kept');

  const salted512 = saltedPassword(SCRAM_SHA_512, 'pencil', salt, 8192);
  t.equal(salted512.length, 64);
  store.upsert('user', 'SCRAM-SHA-512', 8192, salt, salted512);
  t.same(store.get('user', 'SCRAM-SHA-512')!.storedKey, createHash('sha512').update(createHmac('sha512', salted512).update('Client Key').digest()).digest());
});

t.test('add from a password, delete, describe', async t => {
  let calls = 0;
  const store = new ScramCredentialStore({ random: n => Buffer.alloc(n, ++calls) });
  store.addFromPassword('alice', 'SCRAM-SHA-256', 'alice-secret');
  store.addFromPassword('bob', 'SCRAM-SHA-512', 'bob-secret', 8192);
  store.addFromPassword('alice', 'SCRAM-SHA-512', 'alice-secret', 5000);
  const alice = store.get('alice', 'SCRAM-SHA-256')!;
  t.equal(alice.iterations, 4096, 'iterations default to 4096');
  t.same(alice.salt, Buffer.from(secureRandomString(n => Buffer.alloc(n, 1)), 'utf8'), "the salt is Kafka's: a random base-36 string");
  t.match(alice.salt.toString('utf8'), /^[0-9a-z]+$/);
  t.notSame(store.get('alice', 'SCRAM-SHA-512')!.salt, alice.salt, 'each credential has its own salt');
  t.same(alice.storedKey, createHash('sha256').update(createHmac('sha256', saltedPassword(SCRAM_SHA_256, 'alice-secret', alice.salt, 4096)).update('Client Key').digest()).digest());

  t.same(store.userNames(), ['alice', 'bob']);
  const show = (users: string[] | null) => store.describe(users).map(d => `${d.user}: ${d.credentials.map(c => `${c.mechanism.name}/${c.iterations}`).join(' ')}`);
  t.same(show(null), ['alice: SCRAM-SHA-256/4096 SCRAM-SHA-512/5000', 'bob: SCRAM-SHA-512/8192']);
  t.same(show(['bob', 'nobody', 'bob']), ['bob: SCRAM-SHA-512/8192'], 'only users with credentials, each once');

  t.equal(store.delete('alice', 'SCRAM-SHA-256'), true);
  t.equal(store.delete('alice', 'SCRAM-SHA-256'), false, 'nothing to delete');
  t.same(show(['alice']), ['alice: SCRAM-SHA-512/5000']);
  store.delete('alice', 'SCRAM-SHA-512');
  t.same(store.userNames(), ['bob'], 'a user without credentials is gone');
  t.throws(() => store.upsert('x', 'SCRAM-SHA-1', 4096, Buffer.from('s'), Buffer.from('p')), /unknown SCRAM mechanism SCRAM-SHA-1/);
});

t.test('apply: several changes at once', async t => {
  const store = new ScramCredentialStore();
  store.addFromPassword('a', 'SCRAM-SHA-256', 'x');
  store.apply([
    { op: 'delete', user: 'a', mechanism: SCRAM_SHA_256 },
    { op: 'upsert', user: 'b', mechanism: SCRAM_SHA_512, iterations: 4096, salt: Buffer.from('salt'), saltedPassword: Buffer.alloc(64, 7) },
  ]);
  t.same(store.userNames(), ['b']);
});

t.test('memory mode keeps nothing on disk; disk mode survives a reopen', async t => {
  const memory = new ScramCredentialStore();
  memory.openIn(null);
  memory.addFromPassword('m', 'SCRAM-SHA-256', 'x');
  t.equal(memory.size, 1);

  const dir = tmpDir(t);
  const first = new ScramCredentialStore();
  first.openIn(dir);
  t.notOk(fs.existsSync(path.join(dir, SCRAM_CREDENTIALS_FILE)), 'no file until a change');
  first.addFromPassword('alice', 'SCRAM-SHA-256', 'alice-secret', 8192);
  first.addFromPassword('alice', 'SCRAM-SHA-512', 'alice-secret');
  first.addFromPassword('bob', 'SCRAM-SHA-256', 'bob-secret');
  first.delete('bob', 'SCRAM-SHA-256');
  const text = fs.readFileSync(path.join(dir, SCRAM_CREDENTIALS_FILE), 'utf8');
  t.notOk(text.includes('alice-secret'), 'no password in the file');
  // the users named in the file (its text is mostly random base64, which may spell "bob")
  const users = (JSON.parse(text) as { credentials: { user: string }[] }).credentials.map(c => c.user);
  t.notOk(users.includes('bob'), 'a deleted credential is gone from the file');

  const second = new ScramCredentialStore();
  second.openIn(dir);
  t.same(second.userNames(), ['alice']);
  for (const m of ['SCRAM-SHA-256', 'SCRAM-SHA-512']) t.same(second.get('alice', m), first.get('alice', m), `${m} as it was`);

  fs.writeFileSync(path.join(dir, SCRAM_CREDENTIALS_FILE), '{"version":7,"credentials":[]}');
  t.throws(() => new ScramCredentialStore().openIn(dir), /unknown version 7/);
  fs.writeFileSync(path.join(dir, SCRAM_CREDENTIALS_FILE), 'not json');
  t.throws(() => new ScramCredentialStore().openIn(dir));
});

t.test('a failed save changes nothing', async t => {
  const dir = tmpDir(t);
  const store = new ScramCredentialStore();
  store.openIn(dir);
  store.addFromPassword('a', 'SCRAM-SHA-256', 'x');
  fs.rmSync(dir, { recursive: true, force: true });
  t.throws(() => store.addFromPassword('b', 'SCRAM-SHA-256', 'y'));
  t.same(store.userNames(), ['a']);
});

t.test('--add-scram arguments as kafka-storage reads them', async t => {
  const alice = parseAddScram('SCRAM-SHA-256=[name=alice,iterations=8192,password=alice-secret]');
  t.equal(alice.mechanism, SCRAM_SHA_256);
  t.same({ name: alice.name, iterations: alice.iterations, password: alice.password, salt: alice.salt, saltedPassword: alice.saltedPassword }, {
    name: 'alice', iterations: 8192, password: 'alice-secret', salt: null, saltedPassword: null,
  });
  t.equal(parseAddScram('  SCRAM-SHA-512=[name=bob,password=a=b=c]  ').password, 'a=b=c', "a password may hold '='");
  t.equal(parseAddScram('SCRAM-SHA-512=[name="quoted name",password="p"]').name, 'quoted name', 'quotes are dropped');
  t.equal(parseAddScram('SCRAM-SHA-512=[name=bob,password=p]').iterations, 4096, 'iterations default to 4096');
  const salted = parseAddScram('SCRAM-SHA-256=[name=u,salt=c2FsdA==,saltedpassword=AAEC,iterations=4096]');
  t.same(salted.salt, Buffer.from('salt'));
  t.same(salted.saltedPassword, Buffer.from([0, 1, 2]));
  t.equal(salted.password, null);

  const refused: [string, string][] = [
    ['SCRAM-SHA-512', "Failed to find equals sign in SCRAM argument 'SCRAM-SHA-512'"],
    ['SCRAM-SHA-UNSUPPORTED=[name=a,password=b]', 'The add-scram mechanism SCRAM-SHA-UNSUPPORTED is not supported.'],
    ['SCRAM-SHA-256=name=a,password=b', 'Expected configuration string to start with ['],
    ['SCRAM-SHA-256=[name=a,password=b', 'Expected configuration string to end with ]'],
    ['SCRAM-SHA-256=[password=b]', "You must supply 'name' to add-scram"],
    ['SCRAM-SHA-256=[name=a]', "You must supply one of 'password' or 'saltedpassword' to add-scram"],
    ['SCRAM-SHA-256=[name=a,saltedpassword=AAEC]', "You must supply 'salt' with 'saltedpassword' to add-scram"],
    ['SCRAM-SHA-256=[name=a,salt=!!,saltedpassword=AAEC]', 'Failed to decode given salt: !!'],
    ['SCRAM-SHA-256=[name=a,salt=c2FsdA==,saltedpassword=A]', 'Failed to decode given saltedPassword: A'],
    ['SCRAM-SHA-256=[name=a,password=b,iterations=many]', 'Failed to parse iterations count: many'],
    ['SCRAM-SHA-256=[name=a,password=b,unknown=x,another=y]', 'Unknown SCRAM configurations: another, unknown'],
    ['SCRAM-SHA-256=[name=a,password]', 'No equals sign found in SCRAM component: password'],
    ['SCRAM-SHA-256=[name=a,password=b,iterations=4095]', "The 'iterations' value must be >= 4096 for add-scram using SCRAM_SHA_256"],
    ['SCRAM-SHA-512=[name=a,password=b,iterations=16385]', "The 'iterations' value must be <= 16384 for add-scram using SCRAM_SHA_512"],
  ];
  for (const [spec, message] of refused) t.throws(() => parseAddScram(spec), { message }, spec);

  const store = new ScramCredentialStore();
  store.add(parseAddScram('SCRAM-SHA-256=[name=alice,password=alice-secret]'));
  store.add(salted);
  t.equal(store.get('alice', 'SCRAM-SHA-256')!.iterations, 4096);
  t.same(store.get('u', 'SCRAM-SHA-256')!.salt, Buffer.from('salt'));
  t.same(store.get('u', 'SCRAM-SHA-256')!.serverKey, createHmac('sha256', Buffer.from([0, 1, 2])).update('Server Key').digest());
});
