// SASL/PLAIN (src/security/sasl/plain.ts) against the PlainLoginModule users of a listener's JAAS
// config, with Kafka's message for each failure; and the mechanism factory and the start-up check
// of a listener's mechanisms (src/security/sasl/mechanism.ts).
import t from 'tap';
import { BrokerConfig } from '../../src/cluster/configs.js';
import { ScramCredentialStore } from '../../src/security/scram-credentials.js';
import {
  SUPPORTED_MECHANISMS, SaslAuthenticationError, checkSaslConfig, createSaslServer, enabledMechanisms, type SaslServerContext,
} from '../../src/security/sasl/mechanism.js';
import { PLAIN_LOGIN_MODULE } from '../../src/security/sasl/jaas.js';

const USERS = `${PLAIN_LOGIN_MODULE} required username="admin" password="admin-secret" user_admin="admin-secret" user_alice="alice-secret" user_ünï="pässwörd";`;

const ctx = (config: Record<string, string> = { 'listener.name.sasl_plaintext.plain.sasl.jaas.config': USERS }): SaslServerContext => ({
  listenerName: 'SASL_PLAINTEXT',
  config: new BrokerConfig({ 'sasl.enabled.mechanisms': 'PLAIN', ...config }),
  scram: new ScramCredentialStore(),
  now: () => 0,
});

const plain = (authzid: string, user: string, password: string) => Buffer.from(`${authzid}\0${user}\0${password}`, 'utf8');

t.test('valid users authenticate in one message', async t => {
  for (const [authzid, user, password] of [['', 'alice', 'alice-secret'], ['admin', 'admin', 'admin-secret'], ['', 'ünï', 'pässwörd']] as const) {
    const server = createSaslServer('PLAIN', ctx());
    t.equal(server.mechanism, 'PLAIN');
    t.notOk(server.complete);
    t.same(server.evaluate(plain(authzid, user, password)), Buffer.alloc(0), 'an empty server token');
    t.ok(server.complete);
    t.equal(server.authorizationId(), user);
    t.equal(server.credentialExpiresAtMs(), null);
  }
});

t.test("failures, with Kafka's messages", async t => {
  const cases: [string, Buffer, string][] = [
    ['a wrong password', plain('', 'alice', 'wrong'), 'Authentication failed: Invalid username or password'],
    ['an unknown user', plain('', 'mallory', 'alice-secret'), 'Authentication failed: Invalid username or password'],
    ['a password that is a prefix', plain('', 'alice', 'alice-secre'), 'Authentication failed: Invalid username or password'],
    ['no user name', plain('', '', 'x'), 'Authentication failed: username not specified'],
    ['no password', plain('', 'alice', ''), 'Authentication failed: password not specified'],
    ['another authorization id', plain('admin', 'alice', 'alice-secret'), 'Authentication failed: Client requested an authorization id that is different from username'],
    ['two parts', Buffer.from('alice\0alice-secret'), 'Invalid SASL/PLAIN response: expected 3 tokens, got 2'],
    ['four parts', Buffer.from('\0alice\0alice-secret\0x'), 'Invalid SASL/PLAIN response: expected 3 tokens, got 4'],
    ['one part', Buffer.from('alice'), 'Invalid SASL/PLAIN response: expected 3 tokens, got 1'],
  ];
  for (const [what, token, message] of cases) {
    const server = createSaslServer('PLAIN', ctx());
    t.throws(() => server.evaluate(token), { name: 'SaslAuthenticationError', message }, what);
    t.notOk(server.complete);
  }
  const wrongAuthzid = createSaslServer('PLAIN', ctx());
  t.throws(() => wrongAuthzid.evaluate(plain('admin', 'alice', 'wrong')), { message: 'Authentication failed: Invalid username or password' }, 'the password is checked before the authorization id');
});

t.test('users from sasl.jaas.config when the listener has no config of its own', async t => {
  const server = createSaslServer('PLAIN', ctx({ 'sasl.jaas.config': USERS }));
  server.evaluate(plain('', 'alice', 'alice-secret'));
  t.ok(server.complete);
  const otherModule = createSaslServer('PLAIN', ctx({ 'sasl.jaas.config': 'some.OtherModule required user_alice="alice-secret";' }));
  t.throws(() => otherModule.evaluate(plain('', 'alice', 'alice-secret')), { message: 'Authentication failed: Invalid username or password' }, "only PlainLoginModule's options are users");
});

t.test('the mechanisms of a listener', async t => {
  t.same([...SUPPORTED_MECHANISMS], ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512', 'OAUTHBEARER']);
  t.same(enabledMechanisms(new BrokerConfig({}), 'SASL_PLAINTEXT'), ['GSSAPI'], "Kafka's default");
  t.same(enabledMechanisms(new BrokerConfig({ 'sasl.enabled.mechanisms': 'PLAIN, SCRAM-SHA-256' }), 'SASL_PLAINTEXT'), ['PLAIN', 'SCRAM-SHA-256']);
  const config = new BrokerConfig({ 'sasl.enabled.mechanisms': 'PLAIN', 'listener.name.sasl_ssl.sasl.enabled.mechanisms': ' SCRAM-SHA-512 ,OAUTHBEARER' });
  t.same(enabledMechanisms(config, 'SASL_SSL'), ['SCRAM-SHA-512', 'OAUTHBEARER'], "the listener's own list");
  t.same(enabledMechanisms(config, 'SASL_PLAINTEXT'), ['PLAIN']);
  t.throws(() => createSaslServer('GSSAPI', ctx()), /not supported/);
  for (const m of SUPPORTED_MECHANISMS) t.equal(createSaslServer(m, ctx()).mechanism, m);
});

t.test('checkSaslConfig refuses what cannot work, clearly', async t => {
  const check = (config: Record<string, string>, listener = 'SASL_PLAINTEXT') => () => checkSaslConfig(new BrokerConfig(config), listener);
  t.throws(check({}), /GSSAPI.*not supported.*sasl\.enabled\.mechanisms/, "GSSAPI, Kafka's default");
  t.throws(check({ 'sasl.enabled.mechanisms': 'PLAIN,DIGEST-MD5' }), /unknown SASL mechanism 'DIGEST-MD5'/);
  t.throws(check({ 'sasl.enabled.mechanisms': '' }), /no SASL mechanism is enabled/);
  t.throws(check({ 'sasl.enabled.mechanisms': 'PLAIN' }), /PLAIN has no users.*listener\.name\.sasl_plaintext\.plain\.sasl\.jaas\.config/);
  t.throws(check({ 'sasl.enabled.mechanisms': 'PLAIN', 'listener.name.sasl_plaintext.plain.sasl.jaas.config': `${PLAIN_LOGIN_MODULE} required username="a" password="b";` }), /PLAIN has no users/, 'a JAAS config without users');
  t.throws(check({ 'sasl.enabled.mechanisms': 'PLAIN', 'listener.name.sasl_plaintext.plain.sasl.jaas.config': `${PLAIN_LOGIN_MODULE} required user_a="b"` }), /JAAS config entry not terminated by semi-colon/);
  t.doesNotThrow(check({ 'sasl.enabled.mechanisms': 'PLAIN', 'listener.name.sasl_plaintext.plain.sasl.jaas.config': USERS }));
  t.doesNotThrow(check({ 'sasl.enabled.mechanisms': 'PLAIN', 'sasl.jaas.config': USERS }));
  t.doesNotThrow(check({ 'sasl.enabled.mechanisms': 'SCRAM-SHA-256,SCRAM-SHA-512,OAUTHBEARER' }), 'SCRAM and OAUTHBEARER need no JAAS config');
  t.doesNotThrow(check({ 'listener.name.sasl_ssl.sasl.enabled.mechanisms': 'SCRAM-SHA-256' }, 'SASL_SSL'), "the listener's own list wins over the default");
  t.throws(check({ 'sasl.enabled.mechanisms': 'OAUTHBEARER', 'listener.name.sasl_plaintext.oauthbearer.sasl.jaas.config': 'm required unsecuredValidatorAllowableClockSkewMs="-5";' }), /Allowable clock skew millis must not be negative: -5/);
  t.throws(check({ 'sasl.enabled.mechanisms': 'OAUTHBEARER', 'listener.name.sasl_plaintext.oauthbearer.sasl.jaas.config': 'm required unsecuredValidatorRequiredScope="a \\"b";' }), /Invalid scope value: "b/);
  const err = new SaslAuthenticationError('shown', 'hidden');
  t.equal(err.message, 'shown');
  t.equal(err.detail, 'hidden');
  t.ok(err instanceof Error);
});
