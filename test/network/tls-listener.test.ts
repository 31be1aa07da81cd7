// An SSL listener's client-certificate principal: a certificate no ssl.principal.mapping.rules
// rule maps fails that connection (as Kafka's principal builder does) without disturbing the
// broker; a client without a certificate on a "requested" listener is User:ANONYMOUS.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import t from 'tap';
import { writeDevCertificate } from '../../src/security/dev-cert.js';
import { testBroker } from '../helpers/broker.js';
import { requestFrame } from '../helpers/client.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'samsa-tls-'));
t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
const cert = writeDevCertificate(dir);
const CA = fs.readFileSync(cert.certFile, 'utf8');

/** Connects over TLS and asks ApiVersions; resolves with whether an answer came before the connection closed. */
function answers(address: string, withCert: boolean): Promise<boolean> {
  const [host, port] = [address.slice(0, address.lastIndexOf(':')), Number(address.slice(address.lastIndexOf(':') + 1))];
  return new Promise(resolve => {
    const s = tls.connect({ host, port, servername: 'localhost', ca: CA, ...(withCert ? { cert: CA, key: fs.readFileSync(cert.keyFile) } : {}) }, () => {
      s.write(requestFrame(18, 3, 1, { clientSoftwareName: 'test', clientSoftwareVersion: '1' }));
    });
    s.once('data', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
    s.once('close', () => resolve(false));
  });
}

t.test('a certificate no mapping rule applies to fails its connection; the broker serves on', async t => {
  const broker = await testBroker(t, {
    config: {
      listeners: 'PLAINTEXT://127.0.0.1:0,SSL://127.0.0.1:0',
      'ssl.keystore.type': 'PEM',
      'ssl.keystore.location': cert.pemFile,
      'ssl.truststore.type': 'PEM',
      'ssl.truststore.location': cert.certFile,
      'ssl.client.auth': 'requested',
      // no DEFAULT: a name that matches no rule cannot be mapped
      'ssl.principal.mapping.rules': 'RULE:^CN=(.*),OU=.*$/$1/',
    },
  });
  const ssl = broker.bootstrapFor('SSL');
  t.notOk(await answers(ssl, true), 'CN=localhost matches no rule: the connection fails');
  t.ok(await answers(ssl, false), 'a client without a certificate is served (User:ANONYMOUS)');
  t.ok(await answers(ssl, false), 'and again: the broker is unharmed');
});
