// `samsa dev-cert` as users run it (node bin/samsa, which loads dist/cli.cjs: `npm test` builds it).
import t, { type Test } from 'tap';
import { X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SamsaProcess } from '../helpers/samsa-process.js';

function tmpDir(t: Test): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'samsa-dev-cert-cli-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

t.test('samsa dev-cert --dir <dir>: writes the key, certificate and PEM key store, prints the configs', async t => {
  const dir = path.join(tmpDir(t), 'certs');
  const s = new SamsaProcess(['dev-cert', '--dir', dir], t);
  t.equal(await s.exit(), 0, s.stderr);
  t.equal(s.stderr, '');
  const key = path.join(dir, 'samsa-dev.key');
  const crt = path.join(dir, 'samsa-dev.crt');
  const pem = path.join(dir, 'samsa-dev.pem');
  for (const f of [key, crt, pem]) t.ok(fs.existsSync(f), `${path.basename(f)} written`);
  t.equal(fs.statSync(key).mode & 0o777, 0o600, 'the key is private');
  const cert = new X509Certificate(fs.readFileSync(crt));
  t.equal(cert.subject, 'CN=localhost');
  t.equal(cert.subjectAltName, 'DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1', 'the default hosts');
  t.ok(Math.abs(Date.parse(cert.validTo) - Date.now() - 365 * 86400_000) < 60_000, '365 days by default');
  t.match(s.stdout, `wrote ${key}`);
  t.match(s.stdout, `wrote ${crt}`);
  t.match(s.stdout, `wrote ${pem}`);
  t.match(s.stdout, 'ssl.keystore.type=PEM');
  t.match(s.stdout, `ssl.keystore.location=${pem}`);
  t.match(s.stdout, `ssl.truststore.location=${crt}`);
  t.match(s.stdout, `ssl.ca.location=${crt}`);
});

t.test('samsa dev-cert --cn --host (repeated) --days', async t => {
  const dir = tmpDir(t);
  const s = new SamsaProcess(['dev-cert', '--dir', dir, '--cn', 'kafka.test', '--host', 'kafka.test', '--host', '192.168.7.7', '::1', '--days', '10'], t);
  t.equal(await s.exit(), 0, s.stderr);
  const cert = new X509Certificate(fs.readFileSync(path.join(dir, 'samsa-dev.crt')));
  t.equal(cert.subject, 'CN=kafka.test');
  t.equal(cert.subjectAltName, 'DNS:kafka.test, IP Address:192.168.7.7, IP Address:0:0:0:0:0:0:0:1');
  t.ok(Math.abs(Date.parse(cert.validTo) - Date.now() - 10 * 86400_000) < 60_000, '10 days');
});

t.test('samsa dev-cert --days 0 fails with a message', async t => {
  const dir = tmpDir(t);
  const s = new SamsaProcess(['dev-cert', '--dir', dir, '--days', '0'], t);
  t.equal(await s.exit(), 1);
  t.match(s.stderr, /--days 0: not a whole number of days/);
  t.notOk(fs.existsSync(path.join(dir, 'samsa-dev.key')), 'nothing written');
});
