// TLS server options from Kafka's ssl.* configs (src/security/tls.ts): each key store type (PEM,
// PKCS12 as OpenSSL, OpenSSL -legacy and keytool write it, JKS), trust stores, listener-prefixed
// configs, the errors that fail startup, and ssl.client.auth through real handshakes on 127.0.0.1.
// Fixtures: test/fixtures/tls (README.md there says how they were made; test keys only).
import t, { type Test } from 'tap';
import crypto, { X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { fileURLToPath } from 'node:url';
import { BrokerConfig } from '../../src/cluster/configs.js';
import { ANONYMOUS, type KafkaPrincipal } from '../../src/security/principal.js';
import { generateDevCertificate } from '../../src/security/dev-cert.js';
import {
  openSslCipherName, readJks, readKeyStoreFile, readPkcs12, sslClientAuth, subjectName, tlsPeerPrincipal, tlsServerOptions,
} from '../../src/security/tls.js';

const FIX = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/tls');
const fixture = (name: string) => path.join(FIX, name);
const read = (name: string) => fs.readFileSync(fixture(name));
const STORE_PASS = 'test-store-pass';
const KEY_PASS = 'test-key-pass';
const SERVER_DN = 'CN=localhost,O=Samsa Test,C=SE';
const CA_DN = 'CN=Samsa Test CA,O=Samsa Test,C=SE';
const ALICE_DN = 'CN=alice,OU=eng,O=acme,L=Stockholm,ST=Unknown,C=SE';
const KAFKAJS_CERTS = '/work/kafkajs-checkout/testHelpers/certs';

const config = (raw: Record<string, string>) => new BrokerConfig(raw);

/** The subject of the server certificate in a set of options, and the key's type. */
function served(options: tls.TlsOptions): { subject: string; chain: string[]; keyType: string | undefined } {
  const certs = String(options.cert).match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g)!;
  const chain = certs.map(c => subjectName(new X509Certificate(c)));
  return { subject: chain[0]!, chain, keyType: crypto.createPrivateKey(String(options.key)).asymmetricKeyType };
}

interface Outcome {
  /** The server accepted the connection, with this principal (null: tlsPeerPrincipal refused it). */
  accepted: boolean;
  principal?: KafkaPrincipal | null;
  protocol?: string | null;
}

/**
 * One TLS connection to a server with `options`: the client trusts the test CA and presents
 * `client` when given. Accepted: the server saw the handshake complete and wrote "ok"; refused: the
 * client's connection ended without it.
 */
async function handshake(
  t: Test,
  options: tls.TlsOptions,
  client: { key?: string | Buffer; cert?: string | Buffer; maxVersion?: tls.SecureVersion; ca?: string | Buffer } = {},
  rules = 'DEFAULT',
): Promise<Outcome> {
  let principal: KafkaPrincipal | null | undefined;
  let protocol: string | null = null;
  const server = tls.createServer(options, socket => {
    principal = tlsPeerPrincipal(socket, rules);
    protocol = socket.getProtocol();
    if (principal === null) socket.destroy();
    else socket.end('ok');
  });
  server.on('tlsClientError', () => {});
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>(resolve => server.close(() => resolve())));
  const port = (server.address() as net.AddressInfo).port;
  return new Promise<Outcome>(resolve => {
    let data = '';
    const socket = tls.connect({ host: '127.0.0.1', port, servername: 'localhost', ca: client.ca ?? read('ca.crt'), key: client.key, cert: client.cert, maxVersion: client.maxVersion });
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => (data += d));
    socket.on('error', () => {});
    socket.on('close', () => resolve(data === 'ok' ? { accepted: true, principal, protocol } : { accepted: false, principal, protocol }));
    const timer = setTimeout(() => socket.destroy(), 5000);
    socket.on('close', () => clearTimeout(timer));
  });
}

// ---------------------------------------------------------------------------------------------

t.test('JKS: key entry with its chain, key under its own password, trusted-cert entries, the integrity digest', async t => {
  const ks = readJks(read('server.keystore.jks'), STORE_PASS);
  t.equal(ks.privateKeys.length, 1);
  t.equal(ks.privateKeys[0]!.alias, 'server');
  t.same(ks.privateKeys[0]!.chain.map(c => subjectName(c)), [SERVER_DN, CA_DN], 'leaf first, then the CA');
  const key = ks.privateKeys[0]!.privateKey(KEY_PASS);
  t.equal(key.asymmetricKeyType, 'rsa');
  t.ok(ks.privateKeys[0]!.chain[0]!.checkPrivateKey(key), 'the recovered key is the certificate\'s');
  t.same(key.export({ type: 'pkcs8', format: 'der' }), crypto.createPrivateKey(read('server.key')).export({ type: 'pkcs8', format: 'der' }), 'the same key as server.key');
  t.throws(() => ks.privateKeys[0]!.privateKey(STORE_PASS), /Cannot recover key/, 'the store password is not the key password here');
  t.throws(() => readJks(read('server.keystore.jks'), 'wrong'), /Keystore was tampered with, or password was incorrect/);

  const ts = readJks(read('truststore.jks'), STORE_PASS);
  t.same(ts.trustedCertificates.map(e => [e.alias, subjectName(e.certificate)]), [['samsa-test-ca', CA_DN]]);
  t.equal(ts.privateKeys.length, 0);
  t.same(readJks(read('truststore.jks'), null).trustedCertificates.length, 1, 'no password: read without the integrity check');

  const damaged = Buffer.from(read('truststore.jks'));
  damaged[damaged.length - 30] ^= 1;
  t.throws(() => readJks(damaged, STORE_PASS), /tampered/, 'a changed byte fails the digest');
  t.throws(() => readJks(read('truststore.jks').subarray(0, 100), null), /truncated/);
  t.throws(() => readJks(read('server.keystore.p12'), STORE_PASS), /not a JKS key store/);
});

t.test('JKS: the kafkajs test stores (when /work/kafkajs-checkout is present)', { skip: !fs.existsSync(KAFKAJS_CERTS) && 'no kafkajs checkout' }, async t => {
  const ks = readJks(fs.readFileSync(path.join(KAFKAJS_CERTS, 'kafka.server.keystore.jks')), 'testtest');
  t.same(ks.privateKeys.map(e => e.alias), ['localhost']);
  t.same(ks.privateKeys[0]!.chain.map(c => subjectName(c)), ['CN=kafkajs,OU=kafkajs,O=kafkajs,L=Stockholm,ST=Unknown,C=SE', 'O=KafkaJS,L=Stockholm,C=SE']);
  const key = ks.privateKeys[0]!.privateKey('testtest');
  t.ok(ks.privateKeys[0]!.chain[0]!.checkPrivateKey(key));
  t.same(ks.trustedCertificates.map(e => e.alias), ['caroot']);
  const ts = readJks(fs.readFileSync(path.join(KAFKAJS_CERTS, 'kafka.server.truststore.jks')), 'testtest');
  t.same(ts.trustedCertificates.map(e => subjectName(e.certificate)), ['O=KafkaJS,L=Stockholm,C=SE']);
  const options = tlsServerOptions(
    config({ 'ssl.keystore.location': path.join(KAFKAJS_CERTS, 'kafka.server.keystore.jks'), 'ssl.keystore.password': 'testtest', 'ssl.key.password': 'testtest' }),
    'SSL',
  );
  t.equal(served(options).subject, 'CN=kafkajs,OU=kafkajs,O=kafkajs,L=Stockholm,ST=Unknown,C=SE');
});

t.test('PKCS12 as OpenSSL 3, openssl -legacy (RC2-40, 3DES) and keytool write it', async t => {
  for (const file of ['server.keystore.p12', 'server.keystore.legacy.p12', 'server.keystore.keytool.p12']) {
    const ks = readPkcs12(read(file), STORE_PASS);
    t.equal(ks.privateKeys.length, 1, `${file}: one key`);
    t.equal(ks.privateKeys[0]!.alias, 'server', `${file}: its friendly name is the alias`);
    t.same(ks.privateKeys[0]!.chain.map(c => subjectName(c)), [SERVER_DN, CA_DN], `${file}: chain`);
    const key = ks.privateKeys[0]!.privateKey(STORE_PASS);
    t.ok(ks.privateKeys[0]!.chain[0]!.checkPrivateKey(key), `${file}: key`);
    t.throws(() => readPkcs12(read(file), 'wrong'), /password is wrong/, `${file}: wrong password`);
  }
  const ts = readPkcs12(read('truststore.p12'), STORE_PASS);
  t.same(ts.trustedCertificates.map(e => [e.alias, subjectName(e.certificate)]), [['samsa-test-ca', CA_DN]], 'keytool\'s trusted-certificate entry');
  t.throws(() => readPkcs12(read('truststore.p12'), null), /encrypted: its password is needed/);
});

t.test('a key store file is read by its content, as Java does: type JKS with a PKCS12 file and the other way round', async t => {
  const p12 = readKeyStoreFile(fixture('server.keystore.p12'), 'JKS', STORE_PASS, 'ssl.keystore.location', 'ssl.keystore.password');
  t.equal(p12.privateKeys[0]!.alias, 'server');
  const jks = readKeyStoreFile(fixture('server.keystore.jks'), 'PKCS12', STORE_PASS, 'ssl.keystore.location', 'ssl.keystore.password');
  t.equal(jks.privateKeys[0]!.alias, 'server');
  t.throws(() => readKeyStoreFile(fixture('server.crt'), 'JKS', STORE_PASS, 'ssl.keystore.location', 'ssl.keystore.password'), /not a JKS key store/);
});

t.test('tlsServerOptions: the key and certificate chain of each key store type', async t => {
  const cases: [string, Record<string, string>][] = [
    ['JKS (Kafka\'s default type), its own key password', { 'ssl.keystore.location': fixture('server.keystore.jks'), 'ssl.keystore.password': STORE_PASS, 'ssl.key.password': KEY_PASS }],
    ['PKCS12', { 'ssl.keystore.type': 'PKCS12', 'ssl.keystore.location': fixture('server.keystore.p12'), 'ssl.keystore.password': STORE_PASS }],
    ['PKCS12 -legacy', { 'ssl.keystore.type': 'PKCS12', 'ssl.keystore.location': fixture('server.keystore.legacy.p12'), 'ssl.keystore.password': STORE_PASS }],
    ['PKCS12 by keytool, ssl.key.password given', { 'ssl.keystore.type': 'PKCS12', 'ssl.keystore.location': fixture('server.keystore.keytool.p12'), 'ssl.keystore.password': STORE_PASS, 'ssl.key.password': STORE_PASS }],
    ['PEM file', { 'ssl.keystore.type': 'PEM', 'ssl.keystore.location': fixture('server.pem') }],
    ['PEM file, encrypted key', { 'ssl.keystore.type': 'PEM', 'ssl.keystore.location': fixture('server-encrypted.pem'), 'ssl.key.password': KEY_PASS }],
    ['PEM inline', { 'ssl.keystore.type': 'PEM', 'ssl.keystore.key': read('server.key').toString(), 'ssl.keystore.certificate.chain': `${read('server.crt')}${read('ca.crt')}` }],
  ];
  for (const [what, raw] of cases) {
    const options = tlsServerOptions(config(raw), 'SSL');
    const s = served(options);
    t.same(s.chain, [SERVER_DN, CA_DN], `${what}: chain`);
    t.equal(s.keyType, 'rsa', `${what}: key`);
    t.match(String(options.key), /^-----BEGIN PRIVATE KEY-----/, `${what}: the key is given decrypted`);
    t.equal(options.passphrase, undefined);
    t.equal(options.ca, undefined, `${what}: no trust store: Node's root certificates`);
    t.equal(options.requestCert, false);
  }
  // a handshake with the JKS one: the client verifies the chain against the test CA
  const jks = tlsServerOptions(config(cases[0]![1]), 'SSL');
  const outcome = await handshake(t, jks);
  t.ok(outcome.accepted, 'a client trusting the CA connects to localhost');
  t.same(outcome.principal, ANONYMOUS, 'no client certificate: ANONYMOUS');
});

t.test('tlsServerOptions: trust stores give `ca`', async t => {
  const key = { 'ssl.keystore.type': 'PEM', 'ssl.keystore.location': fixture('server.pem') };
  const cases: [string, Record<string, string>][] = [
    ['JKS', { 'ssl.truststore.location': fixture('truststore.jks'), 'ssl.truststore.password': STORE_PASS }],
    ['JKS without a password (not checked)', { 'ssl.truststore.location': fixture('truststore.jks') }],
    ['PKCS12', { 'ssl.truststore.type': 'PKCS12', 'ssl.truststore.location': fixture('truststore.p12'), 'ssl.truststore.password': STORE_PASS }],
    ['PEM file', { 'ssl.truststore.type': 'PEM', 'ssl.truststore.location': fixture('ca.crt') }],
    ['PEM inline', { 'ssl.truststore.type': 'PEM', 'ssl.truststore.certificates': read('ca.crt').toString() }],
  ];
  for (const [what, raw] of cases) {
    const options = tlsServerOptions(config({ ...key, ...raw }), 'SSL');
    const ca = options.ca as string[];
    t.equal(ca.length, 1, what);
    t.equal(subjectName(new X509Certificate(ca[0]!)), CA_DN, what);
  }
  // Java's trust managers also trust the first certificate of a key entry
  const fromKeyStore = tlsServerOptions(config({ ...key, 'ssl.truststore.location': fixture('server.keystore.jks'), 'ssl.truststore.password': STORE_PASS }), 'SSL');
  t.same((fromKeyStore.ca as string[]).map(c => subjectName(new X509Certificate(c))), [SERVER_DN]);
});

t.test('listener-prefixed configs win over the broker-wide ones, each on its own', async t => {
  const raw = {
    'ssl.keystore.type': 'PEM',
    'ssl.keystore.location': fixture('no-such-file.pem'),
    'listener.name.secure.ssl.keystore.location': fixture('server.pem'),
    'ssl.client.auth': 'requested',
    'listener.name.secure.ssl.client.auth': 'required',
    'ssl.enabled.protocols': 'TLSv1.2,TLSv1.3',
    'listener.name.secure.ssl.enabled.protocols': 'TLSv1.3',
  };
  const options = tlsServerOptions(config(raw), 'SECURE');
  t.equal(served(options).subject, SERVER_DN, 'the listener\'s key store (the broker-wide one does not exist)');
  t.equal(options.rejectUnauthorized, true, 'the listener\'s ssl.client.auth');
  t.equal(options.minVersion, 'TLSv1.3');
  t.equal(options.maxVersion, 'TLSv1.3');
  t.throws(() => tlsServerOptions(config(raw), 'OTHER'), /listener OTHER: ssl\.keystore\.location .*no-such-file\.pem: no such file/, 'another listener gets the broker-wide value');
  t.throws(
    () => tlsServerOptions(config({ ...raw, 'listener.name.secure.ssl.enabled.protocols': 'TLSv1.1' }), 'SECURE'),
    /Invalid value TLSv1\.1 for configuration listener\.name\.secure\.ssl\.enabled\.protocols/,
    'a prefixed value is validated as the config is',
  );
});

t.test('startup fails with a clear error: missing, wrong or contradictory configs', async t => {
  const jks = { 'ssl.keystore.location': fixture('server.keystore.jks'), 'ssl.keystore.password': STORE_PASS };
  const cases: [string, Record<string, string>, RegExp][] = [
    ['no key store', {}, /listener SSL: an SSL listener needs a private key and certificate: set ssl\.keystore\.location/],
    ['missing file', { 'ssl.keystore.location': fixture('nope.jks'), 'ssl.keystore.password': 'x' }, /ssl\.keystore\.location .*nope\.jks: no such file/],
    ['wrong store password', { ...jks, 'ssl.keystore.password': 'wrong' }, /Keystore was tampered with, or password was incorrect \(ssl\.keystore\.password\)/],
    ['wrong key password', { ...jks, 'ssl.key.password': 'wrong' }, /cannot recover the private key "server": .*\(ssl\.key\.password\)/],
    ['key password not given, and not the store password', jks, /cannot recover the private key "server".*ssl\.keystore\.password, as ssl\.key\.password is not set/],
    ['no store password', { 'ssl.keystore.location': fixture('server.keystore.jks') }, /ssl\.keystore\.location is given without ssl\.keystore\.password/],
    ['PKCS12 wrong password', { 'ssl.keystore.type': 'PKCS12', 'ssl.keystore.location': fixture('server.keystore.p12'), 'ssl.keystore.password': 'wrong' }, /password is wrong.*\(ssl\.keystore\.password\)/],
    ['PEM with a store password', { 'ssl.keystore.type': 'PEM', 'ssl.keystore.location': fixture('server.pem'), 'ssl.keystore.password': 'x' }, /ssl\.keystore\.password cannot be given with ssl\.keystore\.type=PEM/],
    ['encrypted PEM without ssl.key.password', { 'ssl.keystore.type': 'PEM', 'ssl.keystore.location': fixture('server-encrypted.pem') }, /the private key is encrypted: give its password in ssl\.key\.password/],
    ['encrypted PEM, wrong ssl.key.password', { 'ssl.keystore.type': 'PEM', 'ssl.keystore.location': fixture('server-encrypted.pem'), 'ssl.key.password': 'wrong' }, /ssl\.key\.password does not decrypt the private key/],
    ['PEM without a key', { 'ssl.keystore.type': 'PEM', 'ssl.keystore.location': fixture('server.crt') }, /no private key/],
    ['PEM without a certificate', { 'ssl.keystore.type': 'PEM', 'ssl.keystore.location': fixture('server.key') }, /no certificate/],
    ['inline key without chain', { 'ssl.keystore.type': 'PEM', 'ssl.keystore.key': read('server.key').toString() }, /ssl\.keystore\.key is given without ssl\.keystore\.certificate\.chain/],
    ['inline key with type JKS', { 'ssl.keystore.key': read('server.key').toString(), 'ssl.keystore.certificate.chain': read('server.crt').toString() }, /ssl\.keystore\.key can be given only with ssl\.keystore\.type=PEM, not JKS/],
    ['key of another certificate', { 'ssl.keystore.type': 'PEM', 'ssl.keystore.key': read('client.key').toString(), 'ssl.keystore.certificate.chain': read('server.crt').toString() }, /the private key does not belong to the certificate/],
    ['trust store password without a trust store', { ...jks, 'ssl.key.password': KEY_PASS, 'ssl.truststore.password': 'x' }, /ssl\.truststore\.password is given without ssl\.truststore\.location/],
    ['trust store wrong password', { ...jks, 'ssl.key.password': KEY_PASS, 'ssl.truststore.location': fixture('truststore.jks'), 'ssl.truststore.password': 'wrong' }, /ssl\.truststore\.location .*truststore\.jks: Keystore was tampered with, or password was incorrect \(ssl\.truststore\.password\)/],
    ['PEM trust store with a password', { ...jks, 'ssl.key.password': KEY_PASS, 'ssl.truststore.type': 'PEM', 'ssl.truststore.location': fixture('ca.crt'), 'ssl.truststore.password': 'x' }, /ssl\.truststore\.password cannot be given with ssl\.truststore\.type=PEM/],
    ['unknown cipher suite', { ...jks, 'ssl.key.password': KEY_PASS, 'ssl.cipher.suites': 'TLS_NO_SUCH_SUITE' }, /ssl\.cipher\.suites: TLS_NO_SUCH_SUITE is not a cipher suite/],
    ['invalid mapping rule', { ...jks, 'ssl.key.password': KEY_PASS, 'ssl.principal.mapping.rules': 'RULE:^CN=(.*?)$/$1/X' }, /Invalid rule/],
  ];
  for (const [what, raw, message] of cases) t.throws(() => tlsServerOptions(config(raw), 'SSL'), message, what);
});

t.test('ssl.enabled.protocols and ssl.cipher.suites (Java/IANA names become OpenSSL\'s)', async t => {
  const key = { 'ssl.keystore.type': 'PEM', 'ssl.keystore.location': fixture('server.pem') };
  const both = tlsServerOptions(config(key), 'SSL');
  t.equal(both.minVersion, 'TLSv1.2', 'default TLSv1.2,TLSv1.3');
  t.equal(both.maxVersion, 'TLSv1.3');
  t.equal(both.ciphers, undefined, 'default: the library\'s suites');

  t.equal(openSslCipherName('TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256'), 'ECDHE-RSA-AES128-GCM-SHA256');
  t.equal(openSslCipherName('TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384'), 'ECDHE-ECDSA-AES256-GCM-SHA384');
  t.equal(openSslCipherName('TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256'), 'ECDHE-RSA-CHACHA20-POLY1305');
  t.equal(openSslCipherName('TLS_RSA_WITH_AES_128_CBC_SHA'), 'AES128-SHA');
  t.equal(openSslCipherName('TLS_DHE_RSA_WITH_AES_256_CBC_SHA256'), 'DHE-RSA-AES256-SHA256');
  t.equal(openSslCipherName('TLS_AES_256_GCM_SHA384'), 'TLS_AES_256_GCM_SHA384', 'TLS 1.3 names are the same');
  t.equal(openSslCipherName('ECDHE-RSA-AES256-GCM-SHA384'), 'ECDHE-RSA-AES256-GCM-SHA384', 'an OpenSSL name as it is');

  const tls12 = tlsServerOptions(config({ ...key, 'ssl.enabled.protocols': 'TLSv1.2', 'ssl.cipher.suites': 'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384' }), 'SSL');
  t.equal(tls12.minVersion, 'TLSv1.2');
  t.equal(tls12.maxVersion, 'TLSv1.2');
  t.equal(tls12.ciphers, 'ECDHE-RSA-AES256-GCM-SHA384');
  const o12 = await handshake(t, tls12);
  t.ok(o12.accepted);
  t.equal(o12.protocol, 'TLSv1.2');

  const tls13 = tlsServerOptions(config({ ...key, 'ssl.enabled.protocols': 'TLSv1.3' }), 'SSL');
  t.equal((await handshake(t, tls13)).protocol, 'TLSv1.3');
  t.notOk((await handshake(t, tls13, { maxVersion: 'TLSv1.2' })).accepted, 'a TLS 1.2 client is refused');
});

t.test('ssl.client.auth through real handshakes', async t => {
  const base = {
    'ssl.keystore.location': fixture('server.keystore.jks'),
    'ssl.keystore.password': STORE_PASS,
    'ssl.key.password': KEY_PASS,
    'ssl.truststore.location': fixture('truststore.jks'),
    'ssl.truststore.password': STORE_PASS,
  };
  const alice = { key: read('client.key'), cert: read('client.crt') };
  // a certificate the trust store does not know
  const stranger = generateDevCertificate({ commonName: 'mallory' });
  const unknown = { key: stranger.keyPem, cert: stranger.certPem };

  const none = tlsServerOptions(config(base), 'SSL');
  t.equal(none.requestCert, false, 'none (the default): no certificate asked for');
  t.equal(none.rejectUnauthorized, false);
  t.same((await handshake(t, none, alice)).principal, ANONYMOUS, 'none: ANONYMOUS even when the client has a certificate');

  const requested = tlsServerOptions(config({ ...base, 'ssl.client.auth': 'requested' }), 'SSL');
  t.equal(requested.requestCert, true);
  t.equal(requested.rejectUnauthorized, false);
  t.same(await handshake(t, requested), { accepted: true, principal: ANONYMOUS, protocol: 'TLSv1.3' }, 'requested, no certificate: ANONYMOUS');
  t.same((await handshake(t, requested, alice)).principal, { type: 'User', name: ALICE_DN }, 'requested, a trusted certificate: its distinguished name');
  const refused = await handshake(t, requested, unknown);
  t.equal(refused.principal, null, 'requested, an untrusted certificate: no principal');
  t.notOk(refused.accepted, 'and the connection is closed');

  const required = tlsServerOptions(config({ ...base, 'ssl.client.auth': 'required' }), 'SSL');
  t.equal(required.requestCert, true);
  t.equal(required.rejectUnauthorized, true);
  t.notOk((await handshake(t, required)).accepted, 'required, no certificate: refused');
  t.notOk((await handshake(t, required, unknown)).accepted, 'required, an untrusted certificate: refused');
  const ok = await handshake(t, required, alice, 'RULE:^CN=(.*?),OU=.*$/$1/L');
  t.ok(ok.accepted);
  t.same(ok.principal, { type: 'User', name: 'alice' }, 'required, a trusted certificate, mapped by ssl.principal.mapping.rules');
});

t.test('SASL_SSL listeners take only a listener-prefixed ssl.client.auth (KIP-684)', async t => {
  const raw = {
    'listener.security.protocol.map': 'SSL:SSL,SASL_SSL:SASL_SSL,MTLS:SASL_SSL',
    'ssl.keystore.type': 'PEM',
    'ssl.keystore.location': fixture('server.pem'),
    'ssl.client.auth': 'required',
    'listener.name.mtls.ssl.client.auth': 'requested',
  };
  t.equal(sslClientAuth(config(raw), 'SSL'), 'required');
  t.equal(sslClientAuth(config(raw), 'SASL_SSL'), 'none', 'the broker-wide value does not apply');
  t.equal(sslClientAuth(config(raw), 'MTLS'), 'requested', 'the prefixed one does');
  t.equal(tlsServerOptions(config(raw), 'SASL_SSL').requestCert, false);
  t.equal(tlsServerOptions(config(raw), 'MTLS').requestCert, true);
});

t.test('a dev certificate written to disk serves as a PEM key store', async t => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'samsa-tls-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const { keyPem, certPem } = generateDevCertificate({});
  fs.writeFileSync(path.join(dir, 'dev.pem'), keyPem + certPem);
  const options = tlsServerOptions(config({ 'ssl.keystore.type': 'PEM', 'ssl.keystore.location': path.join(dir, 'dev.pem') }), 'SSL');
  t.equal(served(options).subject, 'CN=localhost');
  t.ok((await handshake(t, options, { ca: certPem })).accepted);
});
