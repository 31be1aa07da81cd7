// The self-signed development certificate (src/security/dev-cert.ts): what Node, OpenSSL and a real
// TLS handshake make of it, and the files writeDevCertificate leaves.
import t, { type Test } from 'tap';
import { spawnSync } from 'node:child_process';
import crypto, { X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { generateDevCertificate, writeDevCertificate } from '../../src/security/dev-cert.js';

function tmpDir(t: Test): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'samsa-dev-cert-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A TLS server with the certificate on 127.0.0.1, and a client that trusts only that certificate. */
async function connect(t: Test, keyPem: string, certPem: string, client: tls.ConnectionOptions): Promise<{ authorized: boolean; error?: string; reply?: string }> {
  const server = tls.createServer({ key: keyPem, cert: certPem }, socket => socket.end('hello'));
  server.on('tlsClientError', () => {});
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>(resolve => server.close(() => resolve())));
  const port = (server.address() as net.AddressInfo).port;
  return new Promise(resolve => {
    const socket = tls.connect({ host: '127.0.0.1', port, ca: certPem, ...client });
    let reply = '';
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => (reply += d));
    socket.on('error', err => resolve({ authorized: false, error: err.message }));
    socket.on('end', () => resolve({ authorized: socket.authorized, reply }));
  });
}

t.test('a self-signed X.509 v3 certificate: EC P-256, ecdsa-with-SHA256, its own CA, for localhost', async t => {
  const before = Date.now();
  const { keyPem, certPem } = generateDevCertificate({});
  const cert = new X509Certificate(certPem);
  const key = crypto.createPrivateKey(keyPem);
  t.equal(key.asymmetricKeyType, 'ec');
  t.equal(key.asymmetricKeyDetails?.namedCurve, 'prime256v1');
  t.ok(cert.checkPrivateKey(key), 'the key is the certificate\'s');
  t.ok(cert.verify(cert.publicKey), 'signed by its own key');
  t.ok(cert.checkIssued(cert), 'self-issued');
  t.equal(cert.subject, 'CN=localhost');
  t.equal(cert.issuer, 'CN=localhost');
  t.equal(cert.ca, true, 'basicConstraints CA:true');
  t.same(cert.keyUsage, ['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2'], 'extendedKeyUsage serverAuth, clientAuth');
  t.equal(cert.checkHost('localhost'), 'localhost');
  t.equal(cert.checkIP('127.0.0.1'), '127.0.0.1');
  t.equal(cert.checkIP('::1'), '::1');
  t.equal(cert.checkHost('example.com'), undefined, 'no other host');
  t.equal(cert.subjectAltName, 'DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1');
  const from = Date.parse(cert.validFrom);
  const to = Date.parse(cert.validTo);
  t.ok(from <= before - 3599_000 && from >= before - 3602_000, 'valid from an hour ago');
  t.ok(Math.abs(to - (before + 365 * 86400_000)) < 5000, 'for 365 days');
  t.ok(/^[0-7]/.test(cert.serialNumber) && cert.serialNumber.length === 32, 'a positive 16-byte serial');
  t.not(generateDevCertificate({}).certPem, certPem, 'a new key and serial each time');
});

t.test('common name, hosts and days as given', async t => {
  const { certPem } = generateDevCertificate({ commonName: 'broker.test', hosts: ['broker.test', '*.kafka.test', '10.1.2.3', 'fe80::1:2'], days: 2 });
  const cert = new X509Certificate(certPem);
  t.equal(cert.subject, 'CN=broker.test');
  t.equal(cert.checkHost('broker.test'), 'broker.test');
  t.equal(cert.checkHost('b1.kafka.test'), '*.kafka.test', 'a wildcard name');
  t.equal(cert.checkIP('10.1.2.3'), '10.1.2.3');
  t.equal(cert.checkIP('fe80::1:2'), 'fe80::1:2');
  t.equal(cert.checkHost('localhost'), undefined, 'the defaults are replaced');
  t.ok(Math.abs(Date.parse(cert.validTo) - (Date.now() + 2 * 86400_000)) < 5000);
  // past 2049 the validity is a GeneralizedTime
  const long = new X509Certificate(generateDevCertificate({ days: 365 * 40 }).certPem);
  t.ok(new Date(long.validTo).getUTCFullYear() >= 2050);
  t.throws(() => generateDevCertificate({ days: 0 }), /days must be a positive number/);
});

t.test('a TLS server with it accepts a client that trusts it as its CA', async t => {
  const { keyPem, certPem } = generateDevCertificate({});
  const byName = await connect(t, keyPem, certPem, { servername: 'localhost' });
  t.same(byName, { authorized: true, reply: 'hello' }, 'servername localhost');
  const byIp = await connect(t, keyPem, certPem, {});
  t.same(byIp, { authorized: true, reply: 'hello' }, 'by IP address 127.0.0.1');
  const wrongHost = await connect(t, keyPem, certPem, { servername: 'example.com' });
  t.match(wrongHost.error, /Hostname\/IP does not match/, 'another name is refused');
  const other = generateDevCertificate({});
  const untrusted = await connect(t, keyPem, certPem, { servername: 'localhost', ca: other.certPem });
  t.match(untrusted.error, /self[- ]signed|unable to verify/i, 'a client trusting another certificate refuses it');
});

const probe = spawnSync('openssl', ['version'], { encoding: 'utf8' });
const noOpenssl = probe.error !== undefined || probe.status !== 0;

t.test('openssl parses and verifies it', { skip: noOpenssl && 'openssl is not installed' }, async t => {
  const dir = tmpDir(t);
  const { certFile } = writeDevCertificate(dir, { hosts: ['localhost', '127.0.0.1'] });
  const text = spawnSync('openssl', ['x509', '-noout', '-text', '-in', certFile], { encoding: 'utf8' });
  t.equal(text.status, 0, text.stderr);
  t.match(text.stdout, /Version: 3 \(0x2\)/);
  t.match(text.stdout, /Signature Algorithm: ecdsa-with-SHA256/);
  t.match(text.stdout, /X509v3 Basic Constraints: critical\s+CA:TRUE/);
  t.match(text.stdout, /X509v3 Key Usage: critical\s+Digital Signature, Certificate Sign/);
  t.match(text.stdout, /TLS Web Server Authentication, TLS Web Client Authentication/);
  t.match(text.stdout, /DNS:localhost, IP Address:127\.0\.0\.1/);
  const verify = spawnSync('openssl', ['verify', '-CAfile', certFile, certFile], { encoding: 'utf8' });
  t.equal(verify.status, 0, verify.stderr);
  t.match(verify.stdout, /: OK/);
});

t.test('writeDevCertificate: samsa-dev.key (0600), samsa-dev.crt, samsa-dev.pem (key then certificate)', async t => {
  const dir = path.join(tmpDir(t), 'nested', 'certs');
  const files = writeDevCertificate(dir, { commonName: 'dev' });
  t.same(files, { keyFile: path.join(dir, 'samsa-dev.key'), certFile: path.join(dir, 'samsa-dev.crt'), pemFile: path.join(dir, 'samsa-dev.pem') }, 'absolute paths in a created directory');
  const key = fs.readFileSync(files.keyFile, 'utf8');
  const cert = fs.readFileSync(files.certFile, 'utf8');
  t.match(key, /^-----BEGIN PRIVATE KEY-----\n/);
  t.match(cert, /^-----BEGIN CERTIFICATE-----\n/);
  t.equal(fs.readFileSync(files.pemFile, 'utf8'), key + cert);
  t.equal(new X509Certificate(cert).subject, 'CN=dev');
  t.ok(new X509Certificate(cert).checkPrivateKey(crypto.createPrivateKey(key)));
  if (process.platform !== 'win32') {
    t.equal(fs.statSync(files.keyFile).mode & 0o777, 0o600, 'the key is its owner\'s only');
    t.equal(fs.statSync(files.pemFile).mode & 0o777, 0o600);
    // written again over a file that was readable by all
    fs.chmodSync(files.keyFile, 0o644);
    writeDevCertificate(dir);
    t.equal(fs.statSync(files.keyFile).mode & 0o777, 0o600, 'an existing file is made private again');
  }
});
