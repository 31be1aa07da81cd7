// The CLI as users run it: `node bin/samsa …` (which loads dist/cli.cjs; `npm test` builds dist
// first). Every spawned process is killed by its PID in teardown and every wait has a timeout.
/* eslint-disable @typescript-eslint/no-explicit-any -- responses decoded from the specs at run time */
import t from 'tap';
import fs from 'node:fs';
import { builtinModules } from 'node:module';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { TestClient } from './helpers/client.js';
import { SamsaProcess } from './helpers/samsa-process.js';
import { ZERO_UUID } from '../src/protocol/wire.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BUILTINS = new Set(builtinModules);
const VERSION = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version as string;

interface Teardown {
  teardown(fn: () => unknown): void;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

async function connect(t: Teardown, bootstrap: string): Promise<TestClient> {
  const c = await TestClient.connect(bootstrap);
  t.teardown(() => c.close());
  return c;
}

/** Partitions of a topic auto-created by Metadata v12. */
async function autoCreatedPartitions(c: TestClient, name: string): Promise<number> {
  const res = await c.call(3, 12, { topics: [{ name, topicId: ZERO_UUID }], allowAutoTopicCreation: true });
  if (res.topics[0].errorCode !== 0) throw new Error(`metadata for ${name}: error ${res.topics[0].errorCode}`);
  return res.topics[0].partitions.length;
}

function propertiesFile(t: Teardown, text: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'samsa-cli-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'server.properties');
  fs.writeFileSync(file, text);
  return file;
}

t.test('start on a given port: logs "broker started", answers ApiVersions, SIGTERM exits 0', async t => {
  const port = await freePort();
  const s = new SamsaProcess(['start', '--port', String(port), '--log-level', 'info'], t);
  const bootstrap = await s.started();
  t.equal(bootstrap, `127.0.0.1:${port}`);
  const started = s.logs.find(l => l.msg === 'broker started')!;
  t.equal(started.level, 30, 'at info');
  t.equal(started.nodeId, 0);
  t.type(started.clusterId, 'string');

  const c = await connect(t, bootstrap);
  const res = await c.call(18, 3, { clientSoftwareName: 'cli-test', clientSoftwareVersion: '1' });
  t.equal(res.errorCode, 0);
  t.ok(res.apiKeys.some((k: any) => k.apiKey === 18 && k.maxVersion >= 3), 'lists ApiVersions');
  t.ok(res.apiKeys.some((k: any) => k.apiKey === 0), 'lists Produce');

  process.kill(s.proc.pid!, 'SIGTERM');
  t.equal(await s.exit(), 0, 'exit code 0');
  t.ok(s.logs.some(l => l.msg === 'shutting down' && l.signal === 'SIGTERM'), 'logs the signal');
  t.ok(s.logs.some(l => l.msg === 'broker stopped'), 'logs "broker stopped"');
  t.equal(s.stderr, '');
  await c.waitClosed();
});

t.test('--nodes 3 (or samsa.nodes in the config file) starts three nodes, each listed by every other', async t => {
  for (const args of [
    ['start', '--nodes', '3', '--port', '0', '--log-level', 'info'],
    ['start', '--port', '0', '--log-level', 'info', '--config', propertiesFile(t, 'samsa.nodes=3\nsamsa.node.2.broker.rack=r2\n')],
  ]) {
    const s = new SamsaProcess(args, t);
    await s.started();
    const started = s.logs.find(l => l.msg === 'broker started')!;
    t.same(started.nodes, [0, 1, 2]);
    const servers = (started.bootstrapServers as string).split(',');
    t.equal(servers.length, 3);
    for (const server of servers) {
      const c = await connect(t, server);
      const md = await c.call(3, 12, { topics: null, allowAutoTopicCreation: false });
      t.same(md.brokers.map((b: any) => `${b.host}:${b.port}`), servers, `${server} lists every node`);
    }
    process.kill(s.proc.pid!, 'SIGTERM');
    t.equal(await s.exit(), 0);
  }
});

t.test('SIGINT also stops the broker cleanly', async t => {
  const s = new SamsaProcess(['start', '--port', '0'], t);
  const bootstrap = await s.started();
  t.match(bootstrap, /^127\.0\.0\.1:\d+$/);
  t.not(bootstrap, '127.0.0.1:0', 'port 0 picks a free port');
  process.kill(s.proc.pid!, 'SIGINT');
  t.equal(await s.exit(), 0);
  t.ok(s.logs.some(l => l.msg === 'shutting down' && l.signal === 'SIGINT'));
  t.ok(s.logs.some(l => l.msg === 'broker stopped'));
});

t.test('--config and --override take effect; --override wins', async t => {
  const file = propertiesFile(t, '# test broker\nnum.partitions = 5\nauto.create.topics.enable=true\n');
  const configOnly = new SamsaProcess(['start', '--port', '0', '--config', file], t);
  const both = new SamsaProcess(['start', '--port', '0', '--config', file, '--override', 'num.partitions=3'], t);
  const overrideOnly = new SamsaProcess(['start', '--port', '0', '--override', 'num.partitions=4', '--override', 'auto.create.topics.enable=false'], t);
  const [a, b, c] = await Promise.all([configOnly.started(), both.started(), overrideOnly.started()]);
  t.equal(await autoCreatedPartitions(await connect(t, a), 'from-config'), 5, '--config sets num.partitions');
  t.equal(await autoCreatedPartitions(await connect(t, b), 'from-override'), 3, '--override wins over --config');
  const cc = await connect(t, c);
  const res = await cc.call(3, 12, { topics: [{ name: 'not-created', topicId: ZERO_UUID }], allowAutoTopicCreation: true });
  t.equal(res.topics[0].errorCode, 3, 'a repeated --override applies each (auto-creation off: UNKNOWN_TOPIC_OR_PARTITION)');
  for (const s of [configOnly, both, overrideOnly]) process.kill(s.proc.pid!, 'SIGTERM');
  t.same(await Promise.all([configOnly.exit(), both.exit(), overrideOnly.exit()]), [0, 0, 0]);
});

t.test('--host chooses the interface', async t => {
  const s = new SamsaProcess(['start', '--port', '0', '--host', '127.0.0.2'], t);
  const bootstrap = await s.started();
  t.match(bootstrap, /^127\.0\.0\.2:\d+$/);
  const c = await connect(t, bootstrap);
  const res = await c.call(3, 12, { topics: null });
  t.same(res.brokers.map((b: any) => b.host), ['127.0.0.2'], 'advertised as the address the client used');
  const port = Number(bootstrap.split(':')[1]);
  await t.rejects(TestClient.connect(`127.0.0.1:${port}`), { code: 'ECONNREFUSED' }, 'not listening on 127.0.0.1');
  process.kill(s.proc.pid!, 'SIGTERM');
  t.equal(await s.exit(), 0);
});

t.test('an unknown config key is a warning; the broker starts', async t => {
  const s = new SamsaProcess(['start', '--port', '0', '--override', 'no.such.config=1'], t);
  await s.started();
  const warn = s.logs.find(l => l.config === 'no.such.config');
  t.ok(warn, 'a log line names the key');
  t.equal(warn?.level, 40, 'at warn');
  t.equal(warn?.msg, 'The configuration was supplied but isn\'t a known config.');
  process.kill(s.proc.pid!, 'SIGTERM');
  t.equal(await s.exit(), 0);
});

/** A directory with a partition directory in it but no Samsa metadata (a foreign or damaged data dir). */
function foreignDataDir(t: Teardown): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'samsa-cli-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  fs.mkdirSync(path.join(dir, 'orders-0'));
  return dir;
}

t.test('refusals exit 1 with a clear message on stderr', async t => {
  const cases: [string, string[], string | RegExp][] = [
    ['a --data-dir that is a file', ['start', '--port', '0', '--data-dir', propertiesFile(t, 'not a directory\n')], /^samsa: .*(EEXIST|ENOTDIR)/],
    ['--override without =', ['start', '--port', '0', '--override', 'badformat'], 'samsa: --override badformat: expected key=value\n'],
    ['--override with an empty key', ['start', '--port', '0', '--override', '=3'], 'samsa: --override =3: expected key=value\n'],
    ['an invalid config value', ['start', '--port', '0', '--override', 'num.partitions=zero'], 'samsa: Invalid value zero for configuration num.partitions: Not a number of type INT\n'],
    ['a config value out of range', ['start', '--port', '0', '--override', 'num.partitions=0'], 'samsa: Invalid value 0 for configuration num.partitions: Value must be at least 1\n'],
    ['log.dirs holding partitions but no meta.properties', ['start', '--port', '0', '--config', propertiesFile(t, `log.dirs=${foreignDataDir(t)}\n`)], /holds partition directories but no meta\.properties/],
    ['a missing --config file', ['start', '--port', '0', '--config', '/nonexistent/samsa.properties'], /ENOENT.*\/nonexistent\/samsa\.properties/],
    ['a bad --port', ['start', '--port', 'abc'], /--port NaN: not a port number/],
    ['a port out of range', ['start', '--port', '70000'], /--port 70000: not a port number/],
    ['--nodes 0', ['start', '--port', '0', '--nodes', '0'], /--nodes 0: not a number of nodes/],
    ['--ports with a bad port', ['start', '--ports', '0,x'], /--ports 0,NaN: not a list of port numbers/],
    ['fewer --ports than --nodes', ['start', '--nodes', '3', '--ports', '0,0'], /ports: 2 ports given for 3 nodes/],
  ];
  const runs = cases.map(([what, args, message]) => ({ what, message, s: new SamsaProcess(args, t) }));
  for (const { what, message, s } of runs) {
    t.equal(await s.exit(), 1, `${what}: exit code 1`);
    if (typeof message === 'string') t.equal(s.stderr, message, `${what}: stderr`);
    else t.match(s.stderr, message, `${what}: stderr`);
    t.notOk(s.logs.some(l => l.msg === 'broker started'), `${what}: no broker started`);
  }
});

t.test('--version prints package.json\'s version; start --help lists the options', async t => {
  const v = new SamsaProcess(['--version'], t);
  t.equal(await v.exit(), 0);
  t.equal(v.stdout, `${VERSION}\n`);

  const h = new SamsaProcess(['start', '--help'], t);
  t.equal(await h.exit(), 0);
  for (const opt of ['--port <port>', '--host <host>', '--nodes <n>', '--ports <list>', '--memory', '--data-dir <dir>', '--config <file>', '--override <key=value>', '--log-level <level>', '--help']) {
    t.ok(h.stdout.includes(opt), `lists ${opt}`);
  }
  t.match(h.stdout, /^Usage: samsa start \[options\]/);

  const unknown = new SamsaProcess(['start', '--no-such-flag'], t);
  t.equal(await unknown.exit(), 1, 'an unknown option exits 1');
  t.match(unknown.stderr, /unknown option '--no-such-flag'/);
});

t.test('the bundles are Latin-1 text: V8 keeps a script one byte per character only then (half the memory)', async t => {
  // a comment esbuild keeps with an arrow or a dash beyond Latin-1 doubles the source's memory
  for (const file of ['dist/cli.cjs', 'dist/index.js']) {
    const text = fs.readFileSync(path.join(ROOT, file), 'utf8');
    const wide = [...text.matchAll(/[^\u0000-\u00ff]/gu)].slice(0, 3).map(m => text.slice(Math.max(0, m.index! - 40), m.index! + 10));
    t.same(wide, [], `${file} has characters beyond Latin-1`);
  }
});

t.test('the CLI bundle loads no package but the native CRC32C one (every require resolution costs start time and memory)', async t => {
  const text = fs.readFileSync(path.join(ROOT, 'dist/cli.cjs'), 'utf8');
  const required = new Set([...text.matchAll(/\brequire\("([^"]+)"\)/g)].map(m => m[1]!).filter(m => !m.startsWith('node:') && !BUILTINS.has(m)));
  t.same([...required], ['@node-rs/crc32']);
});
