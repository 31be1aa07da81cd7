// SASL authentication on the wire, request by request, as Kafka's SaslServerAuthenticator does it:
// only ApiVersions and SaslHandshake before the handshake, the mechanism's tokens after it (in
// SaslAuthenticate requests after a v1 handshake, bare after a v0 one), failures answered and
// then closed, the pre-authentication frame limit, and re-authentication (KIP-368) with its
// session lifetime, same-principal and same-mechanism rules.
import t, { type Test } from 'tap';
import { ManualClock } from '../../src/broker/clock.js';
import type { RunningBroker } from '../../src/index.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import { testBroker } from '../helpers/broker.js';
import { TestClient } from '../helpers/client.js';

const SASL_HANDSHAKE = 17;
const API_VERSIONS = 18;
const SASL_AUTHENTICATE = 36;
const METADATA = 3;

const JAAS = 'org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" password="admin-secret" user_admin="admin-secret" user_alice="alice-secret";';

const saslConfig = (extra: Record<string, string | number> = {}) => ({
  listeners: 'PLAINTEXT://127.0.0.1:0,SASL_PLAINTEXT://127.0.0.1:0',
  'sasl.enabled.mechanisms': 'PLAIN,SCRAM-SHA-256',
  'listener.name.sasl_plaintext.plain.sasl.jaas.config': JAAS,
  ...extra,
});

const plainToken = (user: string, password: string) => Buffer.from(`\0${user}\0${password}`);

async function saslClient(t: Test, broker: RunningBroker): Promise<TestClient> {
  const client = await TestClient.connect(broker.bootstrapFor('SASL_PLAINTEXT'));
  t.teardown(() => client.close());
  return client;
}

/** Handshake v1 and one SaslAuthenticate (v2) with PLAIN; returns the SaslAuthenticate response. */
async function plainLogin(client: TestClient, user: string, password: string, authVersion = 2) {
  const hs = await client.call(SASL_HANDSHAKE, 1, { mechanism: 'PLAIN' });
  if (hs.errorCode !== 0) throw new Error(`handshake failed: ${hs.errorCode}`);
  return client.call(SASL_AUTHENTICATE, authVersion, { authBytes: plainToken(user, password) });
}

t.test('ApiVersions, then a v1 handshake and PLAIN in SaslAuthenticate; then requests are served', async t => {
  const broker = await testBroker(t, { config: saslConfig() });
  const client = await saslClient(t, broker);
  const versions = await client.call(API_VERSIONS, 3, { clientSoftwareName: 'test', clientSoftwareVersion: '1' });
  t.equal(versions.errorCode, 0);
  const keys = versions.apiKeys.map((k: { apiKey: number }) => k.apiKey);
  t.ok(keys.includes(SASL_HANDSHAKE) && keys.includes(SASL_AUTHENTICATE), 'ApiVersions lists SaslHandshake and SaslAuthenticate');
  const hs = await client.call(SASL_HANDSHAKE, 1, { mechanism: 'PLAIN' });
  t.same(hs, { errorCode: 0, mechanisms: ['PLAIN', 'SCRAM-SHA-256'] });
  const auth = await client.call(SASL_AUTHENTICATE, 2, { authBytes: plainToken('alice', 'alice-secret') });
  t.equal(auth.errorCode, 0);
  t.equal(auth.errorMessage, null);
  t.equal(auth.sessionLifetimeMs, 0, 'no session lifetime without connections.max.reauth.ms');
  const md = await client.call(METADATA, 12, { topics: null });
  t.equal(md.brokers.length, 1, 'Metadata answered once authenticated');
});

t.test('a v0 handshake: the PLAIN token goes bare, and the answer comes back bare', async t => {
  const broker = await testBroker(t, { config: saslConfig() });
  const client = await saslClient(t, broker);
  const hs = await client.call(SASL_HANDSHAKE, 0, { mechanism: 'PLAIN' });
  t.equal(hs.errorCode, 0);
  const token = plainToken('admin', 'admin-secret');
  const frame = Buffer.alloc(4 + token.length);
  frame.writeInt32BE(token.length);
  token.copy(frame, 4);
  client.write(frame);
  const answer = await client.nextFrame();
  t.same(answer, Buffer.alloc(0), 'an empty token, size-prefixed');
  const md = await client.call(METADATA, 1, { topics: null });
  t.equal(md.brokers.length, 1);
});

t.test('requests other than ApiVersions and SaslHandshake before authentication close the connection', async t => {
  const broker = await testBroker(t, { config: saslConfig() });
  const client = await saslClient(t, broker);
  client.send(METADATA, 12, { topics: null, allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
  t.equal(await client.nextFrame(2000), null, 'closed without an answer');

  const second = await saslClient(t, broker);
  await second.call(API_VERSIONS, 3, { clientSoftwareName: 'test', clientSoftwareVersion: '1' });
  second.send(API_VERSIONS, 3, { clientSoftwareName: 'test', clientSoftwareVersion: '1' });
  t.equal(await second.nextFrame(2000), null, 'a second ApiVersions before the handshake closes it');

  const third = await saslClient(t, broker);
  await third.call(SASL_HANDSHAKE, 1, { mechanism: 'PLAIN' });
  const id = third.send(METADATA, 12, { topics: null, allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
  const frame = await third.nextFrame(2000);
  t.not(frame, null, 'a request other than SaslAuthenticate after the handshake is answered with an error…');
  const md = TestClient.decode<{ topics: unknown[]; brokers: unknown[] }>(frame!, METADATA, 12, id);
  t.same(md.brokers, [], '…Metadata\'s error response…');
  await third.waitClosed(2000);
  t.pass('…and the connection closes');
});

t.test('an unsupported mechanism is answered with the enabled ones, then the connection closes', async t => {
  const broker = await testBroker(t, { config: saslConfig() });
  const client = await saslClient(t, broker);
  const hs = await client.call(SASL_HANDSHAKE, 1, { mechanism: 'GSSAPI' });
  t.same(hs, { errorCode: ErrorCode.UNSUPPORTED_SASL_MECHANISM, mechanisms: ['PLAIN', 'SCRAM-SHA-256'] });
  await client.waitClosed(2000);
});

t.test('wrong credentials: SASL_AUTHENTICATION_FAILED with Kafka\'s message, then closed', async t => {
  const broker = await testBroker(t, { config: saslConfig() });
  const client = await saslClient(t, broker);
  const auth = await plainLogin(client, 'alice', 'nope');
  t.equal(auth.errorCode, ErrorCode.SASL_AUTHENTICATION_FAILED);
  t.equal(auth.errorMessage, 'Authentication failed: Invalid username or password');
  await client.waitClosed(2000);

  const scram = await saslClient(t, broker);
  const hs = await scram.call(SASL_HANDSHAKE, 1, { mechanism: 'SCRAM-SHA-256' });
  t.equal(hs.errorCode, 0);
  const first = await scram.call(SASL_AUTHENTICATE, 2, { authBytes: Buffer.from('n,,n=nobody,r=abcdefgh') });
  t.equal(first.errorCode, ErrorCode.SASL_AUTHENTICATION_FAILED);
  t.equal(first.errorMessage, 'Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-256');
  await scram.waitClosed(2000);
});

t.test('frames over sasl.server.max.receive.size before authentication close the connection', async t => {
  const broker = await testBroker(t, { config: saslConfig({ 'sasl.server.max.receive.size': 1024 }) });
  const client = await saslClient(t, broker);
  const big = Buffer.alloc(4 + 2048);
  big.writeInt32BE(2048);
  client.write(big);
  await client.waitClosed(2000);
  t.pass('closed');
  // after authentication the usual bound (socket.request.max.bytes) applies
  const other = await saslClient(t, broker);
  t.equal((await plainLogin(other, 'alice', 'alice-secret')).errorCode, 0);
  const md = await other.call(METADATA, 9, { topics: [{ name: 'x'.repeat(2000) }], allowAutoTopicCreation: false });
  t.equal(md.topics.length, 1, 'a 2 KiB request is served once authenticated');
});

t.test('SaslHandshake and SaslAuthenticate on a PLAINTEXT listener get ILLEGAL_SASL_STATE', async t => {
  const broker = await testBroker(t, { config: saslConfig() });
  const client = await TestClient.connect(broker.bootstrapFor('PLAINTEXT'));
  t.teardown(() => client.close());
  t.same(await client.call(SASL_HANDSHAKE, 1, { mechanism: 'PLAIN' }), { errorCode: ErrorCode.ILLEGAL_SASL_STATE, mechanisms: [] });
  const auth = await client.call(SASL_AUTHENTICATE, 2, { authBytes: plainToken('alice', 'alice-secret') });
  t.equal(auth.errorCode, ErrorCode.ILLEGAL_SASL_STATE);
  t.equal(auth.errorMessage, 'SaslAuthenticate request received after successful authentication');
  t.equal((await client.call(METADATA, 12, { topics: null })).brokers.length, 1, 'the connection stays open');
});

t.test('re-authentication (KIP-368): session lifetime, expiry, same principal and mechanism', async t => {
  const clock = new ManualClock();
  const broker = await testBroker(t, { clock, config: saslConfig({ 'connections.max.reauth.ms': 1000 }) });

  const client = await saslClient(t, broker);
  const auth = await plainLogin(client, 'alice', 'alice-secret', 1);
  t.equal(auth.errorCode, 0);
  t.equal(auth.sessionLifetimeMs, 1000, 'the session lifetime is connections.max.reauth.ms');
  clock.advance(900);
  const again = await plainLogin(client, 'alice', 'alice-secret', 1);
  t.equal(again.errorCode, 0, 're-authenticated on the same connection');
  t.equal(again.sessionLifetimeMs, 1000);
  clock.advance(900);
  t.equal((await client.call(METADATA, 12, { topics: null })).brokers.length, 1, 'the new session runs from the re-authentication');
  clock.advance(200);
  client.send(METADATA, 12, { topics: null, allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
  t.equal(await client.nextFrame(2000), null, 'an expired session closes the connection at its next request');

  const other = await saslClient(t, broker);
  t.equal((await plainLogin(other, 'alice', 'alice-secret', 2)).errorCode, 0);
  const changed = await plainLogin(other, 'admin', 'admin-secret', 2);
  t.equal(changed.errorCode, ErrorCode.SASL_AUTHENTICATION_FAILED);
  t.equal(changed.errorMessage, 'Cannot change principals during re-authentication from User.alice: User.admin');
  await other.waitClosed(2000);

  const third = await saslClient(t, broker);
  t.equal((await plainLogin(third, 'alice', 'alice-secret', 2)).errorCode, 0);
  const hs = await third.call(SASL_HANDSHAKE, 1, { mechanism: 'SCRAM-SHA-256' });
  t.equal(hs.errorCode, 0, 'the handshake of a re-authentication with another mechanism is answered…');
  third.send(SASL_AUTHENTICATE, 2, { authBytes: Buffer.from('n,,n=alice,r=abc') });
  t.equal(await third.nextFrame(2000), null, '…and its first token closes the connection');

  // a client that authenticated with SaslAuthenticate v0 cannot re-authenticate: its handshake is an ordinary request
  const old = await saslClient(t, broker);
  t.equal((await plainLogin(old, 'alice', 'alice-secret', 0)).errorCode, 0);
  t.same(await old.call(SASL_HANDSHAKE, 1, { mechanism: 'PLAIN' }), { errorCode: ErrorCode.ILLEGAL_SASL_STATE, mechanisms: [] });
});
