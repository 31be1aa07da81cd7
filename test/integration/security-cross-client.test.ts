// SSL, SASL and ACLs from real clients: kafkajs 2.2.4, confluent-kafka-python and kcat (both
// librdkafka 2.0.2) and kafka-python 2.0.2. One broker with PLAINTEXT, SSL, SASL_PLAINTEXT and
// SASL_SSL listeners (a dev certificate; PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 and OAUTHBEARER with
// unsecured JWTs) carries each client's produce-then-consume round trip over SSL and over SASL_SSL
// with every mechanism the client has, and the refusal of wrong passwords with the client's own
// authentication error and nothing produced. A second broker with the StandardAuthorizer and a
// client-certificate SSL listener carries the ACL scenarios: topic WRITE without READ, a PREFIXED
// pattern, a DENY that beats an ALLOW on every topic, a refusal seen through librdkafka, and a
// client certificate's principal (User:CN=localhost) as what the ACLs see.
//
// A missing tool skips its tests with the reason, or fails them when SAMSA_REQUIRE_CROSS_CLIENT=1
// (apt-get install -y kcat python3-confluent-kafka python3-kafka); the Python scripts run with
// the system's /usr/bin/python3.
/* eslint-disable @typescript-eslint/no-explicit-any -- JSON from other processes, kafkajs errors */
import t, { type Test } from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type tls from 'node:tls';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel, type Admin, type SASLOptions } from 'kafkajs';
import type { RunningBroker } from '../../src/index.js';
import { writeDevCertificate } from '../../src/security/dev-cert.js';
import { AclOperation as Op, AclPermissionType as Perm, PatternType as Pat, ResourceType as Res } from '../../src/security/acls.js';
import { testBroker, waitFor } from '../helpers/broker.js';
import { crossClientTest } from '../helpers/cross-client.js';
import { PYTHON, pythonModuleMissing, runProcess, unavailable } from '../helpers/processes.js';

const SCRIPT = fileURLToPath(new URL('./python/security_client.py', import.meta.url));
const RUN_TIMEOUT_MS = 30_000;
const STANDARD = 'org.apache.kafka.metadata.authorizer.StandardAuthorizer';
const USERS = 'org.apache.kafka.common.security.plain.PlainLoginModule required user_alice="alice-secret" user_bob="bob-secret" user_admin="admin-secret";';
const SCRAM_MECHANISMS = ['SCRAM-SHA-256', 'SCRAM-SHA-512'] as const;
const SASL_MECHANISMS = ['PLAIN', ...SCRAM_MECHANISMS] as const;
type PasswordMechanism = (typeof SASL_MECHANISMS)[number];

// librdkafka 2.0.2 sends its own nonce in front of the combined one in its SCRAM client-final
// message ("r=<client><client><server>"); Kafka's ScramSaslServer accepts it (the nonce need only
// end with the server-first one), and so must Samsa: the SCRAM round trips below cover that.

const certDir = fs.mkdtempSync(path.join(os.tmpdir(), 'samsa-security-'));
t.teardown(() => fs.rmSync(certDir, { recursive: true, force: true }));
const cert = writeDevCertificate(certDir);
const CA = fs.readFileSync(cert.certFile, 'utf8');
const KEY = fs.readFileSync(cert.keyFile, 'utf8');
const PASSWORDS: Record<PasswordMechanism, [string, string]> = { PLAIN: ['alice', 'alice-secret'], 'SCRAM-SHA-256': ['bob', 'bob-secret'], 'SCRAM-SHA-512': ['carol', 'carol-secret'] };

const broker = await testBroker(t, {
  addScram: ['SCRAM-SHA-256=[name=bob,password=bob-secret]', 'SCRAM-SHA-512=[name=carol,password=carol-secret]'],
  config: {
    listeners: 'PLAINTEXT://127.0.0.1:0,SSL://127.0.0.1:0,SASL_PLAINTEXT://127.0.0.1:0,SASL_SSL://127.0.0.1:0',
    'ssl.keystore.type': 'PEM',
    'ssl.keystore.location': cert.pemFile,
    'sasl.enabled.mechanisms': 'PLAIN,SCRAM-SHA-256,SCRAM-SHA-512,OAUTHBEARER',
    'listener.name.sasl_ssl.plain.sasl.jaas.config': USERS,
    'listener.name.sasl_plaintext.plain.sasl.jaas.config': USERS,
    'auto.create.topics.enable': false,
    'group.initial.rebalance.delay.ms': 0,
  },
});

const [kcatMissing, confluentMissing, kafkaPythonMissing] = await Promise.all([unavailable('kcat', ['-V']), pythonModuleMissing('confluent_kafka'), pythonModuleMissing('kafka')]);

// ---------------------------------------------------------------------------------------------
// helpers

const TLS: tls.ConnectionOptions = { ca: [CA], servername: 'localhost' };

const kafkaFor = (bootstrap: string, ssl: tls.ConnectionOptions | false, sasl?: SASLOptions): Kafka =>
  new Kafka({ clientId: 'samsa-security-test', brokers: [bootstrap], ssl, sasl, logLevel: logLevel.NOTHING, retry: { retries: 1, initialRetryTime: 50, maxRetryTime: 200 } });

const passwordSasl = (mechanism: PasswordMechanism, username: string, password: string): SASLOptions => {
  switch (mechanism) {
    case 'PLAIN':
      return { mechanism: 'plain', username, password };
    case 'SCRAM-SHA-256':
      return { mechanism: 'scram-sha-256', username, password };
    case 'SCRAM-SHA-512':
      return { mechanism: 'scram-sha-512', username, password };
  }
};

/** An unsecured JWT (alg none, no signature) as Kafka's OAuthBearerUnsecuredJws reads it. */
function unsecuredJwt(sub: string, lifetimeS = 3600): string {
  const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  return `${part({ alg: 'none' })}.${part({ sub, iat: now - 10, exp: now + lifetimeS })}.`;
}
const oauthSasl = (sub: string, lifetimeS?: number): SASLOptions => ({ mechanism: 'oauthbearer', oauthBearerProvider: async () => ({ value: unsecuredJwt(sub, lifetimeS) }) });

let plainAdmin: Admin | null = null;
/** Creates one-partition topics on the main broker through its PLAINTEXT listener. */
async function createTopics(...topics: string[]): Promise<void> {
  if (plainAdmin === null) {
    const admin = kafkaFor(broker.bootstrapFor('PLAINTEXT'), false).admin();
    await admin.connect();
    t.teardown(() => admin.disconnect());
    plainAdmin = admin;
  }
  await plainAdmin.createTopics({ topics: topics.map(topic => ({ topic, numPartitions: 1 })) });
}

/** The log end offset of partition 0 of a topic: what was produced, whoever produced it. */
const logEnd = (b: RunningBroker, topic: string): number | undefined => b.cluster.topic(topic)?.partitions[0]?.log.logEndOffset;

/** What a kafkajs call failed with: the Kafka error type, else the error's name and message; null when it did not fail. */
async function failure(p: Promise<unknown>): Promise<string | null> {
  try {
    await p;
    return null;
  } catch (err: any) {
    const type = err.type ?? err.cause?.type ?? err.originalError?.type;
    return type ?? `${err.name}: ${err.message}`;
  }
}

/** Sends `values` to partition 0 of `topic` with a fresh kafkajs producer; resolves when they are acknowledged. */
async function kafkajsProduce(kafka: Kafka, topic: string, values: string[]): Promise<void> {
  const producer = kafka.producer({ allowAutoTopicCreation: false, retry: { retries: 0 } });
  try {
    await producer.connect();
    await producer.send({ topic, acks: -1, messages: values.map(value => ({ value, partition: 0 })) });
  } finally {
    await producer.disconnect();
  }
}

/** Produces `values` with kafkajs, then reads the topic from the beginning in a consumer group: what the consumer got. */
async function kafkajsRoundTrip(kafka: Kafka, topic: string, values: string[]): Promise<string[]> {
  await kafkajsProduce(kafka, topic, values);
  const consumer = kafka.consumer({ groupId: `${topic}-readers`, maxWaitTimeInMs: 100, retry: { retries: 1 } });
  const got: string[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => void got.push(message.value?.toString() ?? '<null>') });
    await waitFor(() => got.length >= values.length, 15_000, `${values.length} messages from ${topic}`);
  } finally {
    await consumer.disconnect();
  }
  return got;
}

async function python(command: string, req: unknown): Promise<any> {
  const r = await runProcess(PYTHON, [SCRIPT, command], { input: JSON.stringify(req), timeoutMs: RUN_TIMEOUT_MS });
  if (r.code !== 0) throw new Error(`security_client.py ${command} exited with ${r.code}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`);
  return JSON.parse(r.stdout);
}

const values = (label: string): string[] => [1, 2, 3].map(i => `${label} #${i}`);

// librdkafka's configs (confluent-kafka-python and kcat alike)
const rdSsl = (): Record<string, string> => ({ 'bootstrap.servers': broker.bootstrapFor('SSL'), 'security.protocol': 'SSL', 'ssl.ca.location': cert.certFile });
const rdSasl = (mechanism: string, extra: Record<string, string | boolean>): Record<string, string | boolean> => ({
  'bootstrap.servers': broker.bootstrapFor('SASL_SSL'),
  'security.protocol': 'SASL_SSL',
  'ssl.ca.location': cert.certFile,
  'sasl.mechanism': mechanism,
  ...extra,
});
const rdPassword = (mechanism: PasswordMechanism, username: string, password: string) => rdSasl(mechanism, { 'sasl.username': username, 'sasl.password': password });
const RD_OAUTHBEARER = rdSasl('OAUTHBEARER', { 'sasl.oauthbearer.config': 'principal=alice', 'enable.sasl.oauthbearer.unsecure.jwt': true });
const kcatArgs = (config: Record<string, string | boolean>): string[] => Object.entries(config).flatMap(([k, v]) => (k === 'bootstrap.servers' ? ['-b', String(v)] : ['-X', `${k}=${v}`]));

// ---------------------------------------------------------------------------------------------
// kafkajs

t.test('kafkajs 2.2.4: produce and consume over SSL, and over SASL_SSL and SASL_PLAINTEXT with each mechanism', async t => {
  const cases: [string, string, tls.ConnectionOptions | false, SASLOptions | undefined][] = [
    ['SSL', 'kjs-ssl', TLS, undefined],
    ...SASL_MECHANISMS.map(m => [`SASL_SSL ${m}`, `kjs-sasl-ssl-${m.toLowerCase()}`, TLS, passwordSasl(m, ...PASSWORDS[m])] as [string, string, tls.ConnectionOptions, SASLOptions]),
    ['SASL_SSL OAUTHBEARER', 'kjs-sasl-ssl-oauthbearer', TLS, oauthSasl('alice')],
    ['SASL_PLAINTEXT SCRAM-SHA-256', 'kjs-sasl-plaintext-scram', false, passwordSasl('SCRAM-SHA-256', ...PASSWORDS['SCRAM-SHA-256'])],
  ];
  await createTopics(...cases.map(c => c[1]));
  for (const [what, topic, ssl, sasl] of cases) {
    const listener = what.split(' ')[0]!;
    const sent = values(`kafkajs ${what}`);
    t.same(await kafkajsRoundTrip(kafkaFor(broker.bootstrapFor(listener), ssl, sasl), topic, sent), sent, `${what}: read back what was written`);
    t.equal(logEnd(broker, topic), sent.length, `${what}: ${sent.length} records in the log`);
  }
});

t.test('kafkajs 2.2.4: wrong credentials are refused with KafkaJSSASLAuthenticationError, nothing produced', async t => {
  await createTopics('kjs-refused');
  for (const m of SASL_MECHANISMS) {
    const [user] = PASSWORDS[m];
    const err = await failure(kafkajsProduce(kafkaFor(broker.bootstrapFor('SASL_SSL'), TLS, passwordSasl(m, user, 'not-the-password')), 'kjs-refused', ['x']));
    const expected = m === 'PLAIN' ? 'Authentication failed: Invalid username or password' : `Authentication failed during authentication due to invalid credentials with SASL mechanism ${m}`;
    t.match(err, new RegExp(`^KafkaJSSASLAuthenticationError: SASL .* authentication failed: ${expected}$`), `${m}: ${err}`);
  }
  // kafkajs takes any answer to its OAUTHBEARER token for success and sends its next request,
  // which Kafka, still waiting for the client to acknowledge the error, answers with
  // ILLEGAL_SASL_STATE before it closes the connection
  const err = await failure(kafkajsProduce(kafkaFor(broker.bootstrapFor('SASL_SSL'), TLS, oauthSasl('alice', -60)), 'kjs-refused', ['x']));
  t.equal(err, 'ILLEGAL_SASL_STATE', 'an expired OAUTHBEARER token');
  const unknown = await failure(kafkajsProduce(kafkaFor(broker.bootstrapFor('SASL_SSL'), TLS, passwordSasl('SCRAM-SHA-256', 'mallory', 'bob-secret')), 'kjs-refused', ['x']));
  t.match(unknown, /^KafkaJSSASLAuthenticationError: .*invalid credentials with SASL mechanism SCRAM-SHA-256$/, 'an unknown SCRAM user gets the same answer');
  t.equal(logEnd(broker, 'kjs-refused'), 0, 'nothing was produced');
});

// ---------------------------------------------------------------------------------------------
// confluent-kafka-python

crossClientTest(t, 'confluent-kafka-python: produce and consume over SSL and SASL_SSL PLAIN and OAUTHBEARER', 'confluent-kafka-python', confluentMissing, async t => {
  const cases: [string, string, Record<string, string | boolean>][] = [
    ['SSL', 'py-ssl', rdSsl()],
    ['SASL_SSL PLAIN', 'py-sasl-ssl-plain', rdPassword('PLAIN', ...PASSWORDS.PLAIN)],
    ['SASL_SSL OAUTHBEARER', 'py-sasl-ssl-oauthbearer', RD_OAUTHBEARER],
  ];
  await createTopics(...cases.map(c => c[1]));
  for (const [what, topic, config] of cases) {
    const sent = values(`confluent ${what}`);
    t.same(await python('confluent-produce', { config, topic, values: sent }), { error: null, text: null, delivered: sent.length }, `${what}: produced`);
    t.same(await python('confluent-consume', { config, topic, count: sent.length }), { error: null, text: null, values: sent }, `${what}: read back`);
    t.equal(logEnd(broker, topic), sent.length, `${what}: ${sent.length} records in the log`);
  }
});

crossClientTest(t, 'confluent-kafka-python: produce and consume over SASL_SSL SCRAM-SHA-256 and SCRAM-SHA-512', 'confluent-kafka-python', confluentMissing, async t => {
  for (const m of SCRAM_MECHANISMS) {
    const topic = `py-sasl-ssl-${m.toLowerCase()}`;
    await createTopics(topic);
    const config = rdPassword(m, ...PASSWORDS[m]);
    const sent = values(`confluent ${m}`);
    t.same(await python('confluent-produce', { config, topic, values: sent }), { error: null, text: null, delivered: sent.length }, `${m}: produced`);
    t.same(await python('confluent-consume', { config, topic, count: sent.length }), { error: null, text: null, values: sent }, `${m}: read back`);
    t.equal(logEnd(broker, topic), sent.length, `${m}: ${sent.length} records in the log`);
  }
});

crossClientTest(t, 'confluent-kafka-python: wrong passwords are refused with _AUTHENTICATION, nothing produced', 'confluent-kafka-python', confluentMissing, async t => {
  await createTopics('py-refused');
  for (const m of SASL_MECHANISMS) {
    const res = await python('confluent-produce', { config: rdPassword(m, PASSWORDS[m][0], 'not-the-password'), topic: 'py-refused', values: ['x'] });
    const expected = m === 'PLAIN' ? 'Authentication failed: Invalid username or password' : `Authentication failed during authentication due to invalid credentials with SASL mechanism ${m}`;
    t.same([res.error, res.delivered], ['_AUTHENTICATION', 0], `${m}: refused`);
    t.match(res.text, `SASL authentication error: ${expected}`, `${m}: the broker's message`);
  }
  t.equal(logEnd(broker, 'py-refused'), 0, 'nothing was produced');
});

// ---------------------------------------------------------------------------------------------
// kcat

async function kcat(config: Record<string, string | boolean>, args: string[], input?: string) {
  return runProcess('kcat', [...kcatArgs(config), ...args], { input: input ?? '', timeoutMs: RUN_TIMEOUT_MS });
}

/** `kcat -L -J`: the brokers' addresses and the topic names, or throws with kcat's output. */
async function kcatMetadata(config: Record<string, string | boolean>): Promise<{ brokers: string[]; topics: string[] }> {
  const r = await kcat(config, ['-L', '-J', '-m', '5']);
  if (r.code !== 0) throw new Error(`kcat -L exited with ${r.code}: ${r.stderr.trim()}`);
  const md = JSON.parse(r.stdout);
  return { brokers: md.brokers.map((b: any) => b.name), topics: md.topics.map((x: any) => x.topic).sort() };
}

crossClientTest(t, 'kcat: metadata over SSL and SASL_SSL PLAIN, produce and consume over SASL_SSL PLAIN, a wrong password refused', 'kcat', kcatMissing, async t => {
  await createTopics('kcat-sasl-ssl', 'kcat-refused');
  const ssl = await kcatMetadata(rdSsl());
  t.same(ssl.brokers, [broker.bootstrapFor('SSL')], 'SSL: the broker at its SSL address');
  t.ok(ssl.topics.includes('kcat-sasl-ssl'), 'SSL: the topics');
  const plain = rdPassword('PLAIN', ...PASSWORDS.PLAIN);
  const md = await kcatMetadata(plain);
  t.same(md.brokers, [broker.bootstrapFor('SASL_SSL')], 'SASL_SSL PLAIN: the broker at its SASL_SSL address');
  t.ok(md.topics.includes('kcat-sasl-ssl'), 'SASL_SSL PLAIN: the topics');

  const sent = values('kcat SASL_SSL PLAIN');
  const produced = await kcat(plain, ['-P', '-t', 'kcat-sasl-ssl', '-p', '0'], sent.join('\n') + '\n');
  t.equal(produced.code, 0, `kcat -P: ${produced.stderr.trim()}`);
  t.equal(logEnd(broker, 'kcat-sasl-ssl'), sent.length, 'in the log');
  const consumed = await kcat(plain, ['-C', '-t', 'kcat-sasl-ssl', '-p', '0', '-o', 'beginning', '-e', '-q', '-f', '%s\n']);
  t.same([consumed.code, consumed.stdout.split('\n').filter(l => l !== '')], [0, sent], 'kcat -C reads them back');

  for (const m of SASL_MECHANISMS) {
    const refused = await kcat(rdPassword(m, PASSWORDS[m][0], 'not-the-password'), ['-P', '-t', 'kcat-refused', '-p', '0', '-m', '3'], 'x\n');
    t.not(refused.code, 0, `${m}: kcat -P fails`);
    t.match(refused.stderr, 'SASL authentication error: Authentication failed', `${m}: with the authentication error`);
  }
  t.equal(logEnd(broker, 'kcat-refused'), 0, 'nothing was produced');
});

crossClientTest(t, 'kcat: metadata over SASL_SSL SCRAM-SHA-256 and SCRAM-SHA-512', 'kcat', kcatMissing, async t => {
  for (const m of SCRAM_MECHANISMS) {
    const r = await kcat(rdPassword(m, ...PASSWORDS[m]), ['-L', '-J', '-m', '2']);
    const brokers = r.code === 0 ? JSON.parse(r.stdout).brokers.map((b: any) => b.name) : r.stderr.trim().split('\n');
    t.same(brokers, [broker.bootstrapFor('SASL_SSL')], `${m}: the broker at its SASL_SSL address`);
  }
});

// ---------------------------------------------------------------------------------------------
// kafka-python

const kpConfig = (mechanism: PasswordMechanism, username: string, password: string) => ({
  bootstrap_servers: broker.bootstrapFor('SASL_SSL'),
  security_protocol: 'SASL_SSL',
  ssl_cafile: cert.certFile,
  sasl_mechanism: mechanism,
  sasl_plain_username: username,
  sasl_plain_password: password,
});

crossClientTest(t, 'kafka-python 2.0.2: produce and consume over SASL_SSL PLAIN, SCRAM-SHA-256 and SCRAM-SHA-512; wrong passwords refused', 'kafka-python', kafkaPythonMissing, async t => {
  await createTopics('kp-refused', ...SASL_MECHANISMS.map(m => `kp-sasl-ssl-${m.toLowerCase()}`));
  for (const m of SASL_MECHANISMS) {
    const topic = `kp-sasl-ssl-${m.toLowerCase()}`;
    const config = kpConfig(m, ...PASSWORDS[m]);
    const sent = values(`kafka-python ${m}`);
    t.same(await python('kafka-python-produce', { config, topic, values: sent }), { error: null, text: null, delivered: sent.length }, `${m}: produced`);
    t.same(await python('kafka-python-consume', { config, topic, count: sent.length }), { error: null, text: null, values: sent }, `${m}: read back`);
    t.equal(logEnd(broker, topic), sent.length, `${m}: ${sent.length} records in the log`);
  }
  // kafka-python 2.0.2 authenticates with SaslHandshake v0 and raw tokens, after which Kafka
  // answers a failure by closing the connection: the client finds no broker it can use
  for (const m of SASL_MECHANISMS) {
    const res = await python('kafka-python-produce', { config: kpConfig(m, PASSWORDS[m][0], 'not-the-password'), topic: 'kp-refused', values: ['x'] });
    t.same([res.error, res.delivered], ['NoBrokersAvailable', 0], `${m}: refused`);
  }
  t.equal(logEnd(broker, 'kp-refused'), 0, 'nothing was produced');
});

// ---------------------------------------------------------------------------------------------
// ACLs and client certificates: a broker with the StandardAuthorizer, admin its super user

t.test('ACLs and client certificates', async t => {
  const secured = await testBroker(t, {
    addScram: ['SCRAM-SHA-512=[name=alice,password=alice-scram-secret]'],
    config: {
      listeners: 'SSL://127.0.0.1:0,SASL_SSL://127.0.0.1:0',
      'ssl.keystore.type': 'PEM',
      'ssl.keystore.location': cert.pemFile,
      'ssl.truststore.type': 'PEM',
      'ssl.truststore.location': cert.certFile,
      'listener.name.ssl.ssl.client.auth': 'required',
      'sasl.enabled.mechanisms': 'PLAIN,SCRAM-SHA-512,OAUTHBEARER',
      'listener.name.sasl_ssl.plain.sasl.jaas.config': USERS,
      'authorizer.class.name': STANDARD,
      'super.users': 'User:admin',
      'auto.create.topics.enable': false,
      'group.initial.rebalance.delay.ms': 0,
    },
  });
  const saslSsl = secured.bootstrapFor('SASL_SSL');
  const as = (user: 'alice' | 'bob' | 'admin') => kafkaFor(saslSsl, TLS, passwordSasl('PLAIN', user, `${user}-secret`));
  const admin = as('admin').admin();
  await admin.connect();
  t.teardown(() => admin.disconnect());
  const topics = ['orders', 'logs-a', 'logs-b', 'metrics', 'secret', 'public', 'cert-a', 'cert-b', 'logs-py'];
  await admin.createTopics({ topics: topics.map(topic => ({ topic, numPartitions: 1 })) });
  const allow = async (principal: string, resourceType: number, resourceName: string, operation: number, opts: { pattern?: number; permission?: number } = {}) => {
    await admin.createAcls({
      acl: [{ resourceType, resourceName, resourcePatternType: opts.pattern ?? Pat.LITERAL, principal, host: '*', operation, permissionType: opts.permission ?? Perm.ALLOW }] as any,
    });
  };
  const ends = () => Object.fromEntries(topics.map(x => [x, logEnd(secured, x)]));

  await t.test('alice may produce to orders but not read it', async t => {
    t.equal(await failure(kafkajsProduce(as('alice'), 'orders', ['before'])), 'TOPIC_AUTHORIZATION_FAILED', 'no ACL yet: refused (allow.everyone.if.no.acl.found is false)');
    await allow('User:alice', Res.TOPIC, 'orders', Op.WRITE);
    await allow('User:alice', Res.GROUP, 'orders-readers', Op.READ);
    t.equal(await failure(kafkajsProduce(as('alice'), 'orders', ['order 1'])), null, 'WRITE: produced');
    // the same principal, User:alice, however alice authenticates
    t.equal(await failure(kafkajsProduce(kafkaFor(saslSsl, TLS, passwordSasl('SCRAM-SHA-512', 'alice', 'alice-scram-secret')), 'orders', ['order 2'])), null, 'as alice through SCRAM-SHA-512');
    t.equal(await failure(kafkajsProduce(kafkaFor(saslSsl, TLS, oauthSasl('alice')), 'orders', ['order 3'])), null, 'as alice through OAUTHBEARER (sub: alice)');
    t.equal(await failure(kafkajsProduce(kafkaFor(saslSsl, TLS, oauthSasl('mallory')), 'orders', ['order 4'])), 'TOPIC_AUTHORIZATION_FAILED', 'a token for mallory is not alice');
    t.equal(logEnd(secured, 'orders'), 3, 'three records in orders');

    // kafkajs's debug log: how the brokers answered FindCoordinator, which kafkajs itself reports
    // only as KafkaJSGroupCoordinatorNotFound
    const coordinatorErrors: string[] = [];
    const logCreator = () => ({ log }: { log: any }) => {
      if (log.message === 'Tried to find group coordinator') coordinatorErrors.push(log.error?.type ?? String(log.error));
    };
    const consume = async (groupId: string): Promise<{ error: string; got: number }> => {
      const kafka = new Kafka({ clientId: 'samsa-security-test', brokers: [saslSsl], ssl: TLS, sasl: passwordSasl('PLAIN', 'alice', 'alice-secret'), logLevel: logLevel.DEBUG, logCreator });
      const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 100, retry: { retries: 0 } });
      let got = 0;
      const crashed = new Promise<any>(resolve => consumer.on(consumer.events.CRASH, e => resolve(e.payload.error)));
      await consumer.connect();
      try {
        await consumer.subscribe({ topics: ['orders'], fromBeginning: true });
        await consumer.run({ eachMessage: async () => void got++ });
        const timeout = new Promise<Error>(resolve => setTimeout(() => resolve(new Error('no crash within 15 s')), 15_000).unref());
        const err = await Promise.race([crashed, timeout]);
        return { error: err.type ?? err.cause?.type ?? `${err.name}: ${err.message}`, got };
      } finally {
        await consumer.disconnect();
      }
    };
    t.same(await consume('orders-readers'), { error: 'TOPIC_AUTHORIZATION_FAILED', got: 0 }, 'group READ granted, topic READ not: the fetch is refused');
    t.same(coordinatorErrors, [], 'the group was found');
    t.same(await consume('other-readers'), { error: 'KafkaJSGroupCoordinatorNotFound: Failed to find group coordinator', got: 0 }, 'a group alice may not use');
    t.same(coordinatorErrors, ['GROUP_AUTHORIZATION_FAILED'], 'FindCoordinator answered GROUP_AUTHORIZATION_FAILED');
    await allow('User:alice', Res.TOPIC, 'orders', Op.READ);
    t.same(await kafkajsRoundTrip(as('alice'), 'orders', ['order 5']), ['order 1', 'order 2', 'order 3', 'order 5'], 'once READ is granted the same consumer reads them');
  });

  await t.test('a PREFIXED ACL: bob may write to logs-a and logs-b, not to metrics', async t => {
    await allow('User:bob', Res.TOPIC, 'logs-', Op.WRITE, { pattern: Pat.PREFIXED });
    t.equal(await failure(kafkajsProduce(as('bob'), 'logs-a', ['a'])), null, 'logs-a');
    t.equal(await failure(kafkajsProduce(as('bob'), 'logs-b', ['b'])), null, 'logs-b');
    t.equal(await failure(kafkajsProduce(as('bob'), 'metrics', ['m'])), 'TOPIC_AUTHORIZATION_FAILED', 'metrics');
    t.equal(await failure(kafkajsProduce(as('alice'), 'logs-a', ['a'])), 'TOPIC_AUTHORIZATION_FAILED', 'the ACL is bob\'s, not alice\'s');
    t.same([logEnd(secured, 'logs-a'), logEnd(secured, 'logs-b'), logEnd(secured, 'metrics')], [1, 1, 0], 'the log end offsets: one record in each of logs-a and logs-b, none in metrics');
  });

  await t.test("a DENY on secret overrides alice's ALLOW on every topic", async t => {
    await allow('User:alice', Res.TOPIC, '*', Op.WRITE);
    t.equal(await failure(kafkajsProduce(as('alice'), 'secret', ['allowed'])), null, "ALLOW '*': secret too");
    await allow('User:alice', Res.TOPIC, 'secret', Op.WRITE, { permission: Perm.DENY });
    t.equal(await failure(kafkajsProduce(as('alice'), 'secret', ['denied'])), 'TOPIC_AUTHORIZATION_FAILED', 'DENY on secret');
    t.equal(await failure(kafkajsProduce(as('alice'), 'public', ['p'])), null, "ALLOW '*' still holds elsewhere");
    t.same([logEnd(secured, 'secret'), logEnd(secured, 'public')], [1, 1], 'the log end offsets: only the allowed record in secret');
  });

  crossClientTest(t, 'confluent-kafka-python: a produce the ACLs refuse fails with TOPIC_AUTHORIZATION_FAILED', 'confluent-kafka-python', confluentMissing, async t => {
    const config = { 'bootstrap.servers': saslSsl, 'security.protocol': 'SASL_SSL', 'ssl.ca.location': cert.certFile, 'sasl.mechanism': 'PLAIN', 'sasl.username': 'bob', 'sasl.password': 'bob-secret' };
    const before = ends();
    const refused = await python('confluent-produce', { config, topic: 'metrics', values: ['m'] });
    t.same([refused.error, refused.delivered], ['TOPIC_AUTHORIZATION_FAILED', 0], `refused: ${refused.text}`);
    t.same(await python('confluent-produce', { config, topic: 'logs-py', values: ['l1', 'l2'] }), { error: null, text: null, delivered: 2 }, 'the PREFIXED ACL lets bob write logs-py');
    t.same(ends(), { ...before, 'logs-py': 2 }, 'only logs-py changed');
  });

  await t.test('client certificates: required on the SSL listener, and User:CN=localhost is what the ACLs see', async t => {
    const ssl = secured.bootstrapFor('SSL');
    const withCert = kafkaFor(ssl, { ...TLS, key: KEY, cert: CA });
    const withoutCert = kafkaFor(ssl, TLS);
    const before = ends();
    const refused = await failure(kafkajsProduce(withoutCert, 'cert-a', ['no cert']));
    t.match(refused, /Connection error: .*(certificate required|handshake failure)/, `without a certificate the handshake is refused (${refused})`);
    t.equal(await failure(kafkajsProduce(withCert, 'cert-a', ['x'])), 'TOPIC_AUTHORIZATION_FAILED', 'with the certificate but no ACL: an authorization failure, so the handshake passed');
    await allow('User:CN=localhost', Res.TOPIC, 'cert-a', Op.WRITE);
    t.equal(await failure(kafkajsProduce(withCert, 'cert-a', ['c1', 'c2'])), null, 'WRITE on cert-a for User:CN=localhost');
    t.equal(await failure(kafkajsProduce(withCert, 'cert-b', ['c3'])), 'TOPIC_AUTHORIZATION_FAILED', 'not cert-b');
    t.same(ends(), { ...before, 'cert-a': 2 }, 'only cert-a changed');
  });

  crossClientTest(t, 'kcat: no certificate, no connection; with it, the metadata its principal may see', 'kcat', kcatMissing, async t => {
    const rd = { 'bootstrap.servers': secured.bootstrapFor('SSL'), 'security.protocol': 'SSL', 'ssl.ca.location': cert.certFile };
    const noCert = await kcat(rd, ['-L', '-m', '3']);
    t.not(noCert.code, 0, 'kcat without a certificate: refused');
    const md = await kcatMetadata({ ...rd, 'ssl.certificate.location': cert.certFile, 'ssl.key.location': cert.keyFile });
    t.same(md.topics, ['cert-a'], 'kcat with the certificate: connected, and sees only the topic User:CN=localhost may use');
  });
});
