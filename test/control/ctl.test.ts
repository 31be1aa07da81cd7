// `samsa ctl` against `samsa start --nodes 3 --control-port 0`, both run as users run them
// (bin/samsa, which loads dist/cli.cjs; `npm test` builds dist first). Every process is killed by
// its PID in teardown if it still runs.
/* eslint-disable @typescript-eslint/no-explicit-any -- JSON from other processes */
import t, { type Test } from 'tap';
import net from 'node:net';
import { SamsaProcess } from '../helpers/samsa-process.js';
import { TestClient } from '../helpers/client.js';
import { batch, createTopic, produce } from '../helpers/kafka.js';

/** Runs `samsa ctl --control <control> …args`; resolves with its exit code and output. */
async function ctl(t: Test, control: string, ...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const p = new SamsaProcess(['ctl', '--control', control, ...args], t);
  const code = await p.exit();
  return { code, stdout: p.stdout.trim(), stderr: p.stderr.trim() };
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

t.test('samsa ctl against a three-node samsa start', async t => {
  const broker = new SamsaProcess(['start', '--nodes', '3', '--port', '0', '--control-port', '0', '--override', 'default.replication.factor=3'], t);
  const started = await broker.log('broker started');
  const control = `127.0.0.1:${started.controlPort as number}`;
  t.type(started.controlPort, 'number', '"broker started" reports the control port');
  t.ok(broker.logs.some(l => l.msg === 'control endpoint listening' && l.host === '127.0.0.1'), 'on 127.0.0.1');
  const bootstraps = (started.bootstrapServers as string).split(',');
  t.equal(bootstraps.length, 3);

  const status = await ctl(t, control, 'status');
  t.equal(status.code, 0);
  t.match(status.stdout, /^cluster \S+, controller 0$/m);
  t.match(status.stdout, `node 0  running  ${bootstraps[0]}`);
  t.match(status.stdout, `node 2  running  ${bootstraps[2]}`);
  t.match(status.stdout, 'no topics');
  t.match(status.stdout, 'no fault rules');

  // stop-node: the node's port refuses connections; status says so
  const stop = await ctl(t, control, 'stop-node', '1');
  t.same([stop.code, stop.stdout], [0, 'node 1 stopped']);
  await t.rejects(TestClient.connect(bootstraps[1]!), /ECONNREFUSED/, 'node 1 refuses connections');
  t.match((await ctl(t, control, 'status')).stdout, `node 1  stopped  ${bootstraps[1]}`);
  t.same((await ctl(t, control, 'start-node', '1')).stdout, `node 1 running at ${bootstraps[1]}`);

  // fail: the next two produces of the topic are answered NOT_LEADER_OR_FOLLOWER
  const c = await TestClient.connect(bootstraps[0]!);
  t.teardown(() => c.close());
  await createTopic(c, 'ctl-topic', 1);
  const fail = await ctl(t, control, 'fail', 'Produce', '--error', 'NOT_LEADER_OR_FOLLOWER', '--count', '2', '--topic', 'ctl-topic', '--node', '0');
  t.equal(fail.code, 0, fail.stderr);
  t.equal(fail.stdout, 'rule 1: fail the next 2 Produce requests for ctl-topic on node 0 with NOT_LEADER_OR_FOLLOWER (6)');
  t.match((await ctl(t, control, 'status')).stdout, 'rule 1: fail the next 2 Produce requests');
  // the rule is for node 0: its leader moves there first (every node is a replica)
  t.match((await ctl(t, control, 'move-leader', 'ctl-topic', '0', '0')).stdout, /^ctl-topic-0: leader 0 \(leader epoch \d+\)$/);
  t.equal(JSON.parse((await ctl(t, control, '--json', 'status')).stdout).topics[0].partitions[0].leader, 0);
  t.equal((await produce(c, 'ctl-topic', 0, batch(['a']))).errorCode, 6);
  t.equal((await produce(c, 'ctl-topic', 0, batch(['a']))).errorCode, 6);
  t.equal((await produce(c, 'ctl-topic', 0, batch(['a']))).errorCode, 0, 'the third produce is appended');
  await broker.until(() => broker.logs.filter(l => l.msg === 'injected fault: error').length === 2, 'two "injected fault" lines');
  t.ok(broker.logs.filter(l => l.msg === 'injected fault: error').every(l => l.level === 30 && l.api === 'Produce' && l.node === 0), 'logged at info');

  // move-leader to another replica, and back
  const moved = await ctl(t, control, 'move-leader', 'ctl-topic', '0', '2');
  t.match(moved.stdout, /^ctl-topic-0: leader 2 \(leader epoch \d+\)$/);

  t.match((await ctl(t, control, 'delay', '100', '--api', 'Fetch', '--count', '3')).stdout, 'rule 2: delay the responses of the next 3 Fetch requests by 100 ms');
  t.match((await ctl(t, control, 'drop', '--api', '3')).stdout, 'rule 3: drop the connection of the next Metadata request instead of answering');
  t.equal((await ctl(t, control, 'clear-faults')).stdout, 'cleared 2 fault rules');

  // reset
  const reset = await ctl(t, control, 'reset');
  t.same([reset.code, reset.stdout], [0, 'deleted 1 topic, 0 groups, 0 transactions']);
  t.match((await ctl(t, control, 'status')).stdout, 'no topics');

  // errors: exit 1 with the endpoint's message
  const unknownNode = await ctl(t, control, 'stop-node', '9');
  t.equal(unknownNode.code, 1);
  t.equal(unknownNode.stderr, 'samsa: there is no node 9 (nodes 0, 1, 2)');
  t.equal(unknownNode.stdout, '');
  const badCode = await ctl(t, control, 'fail', 'Produce', '--error', 'BOGUS');
  t.equal(badCode.code, 1);
  t.match(badCode.stderr, /^samsa: errorCode: "BOGUS" is not a Kafka error code/);
  const badCount = await ctl(t, control, 'fail', 'Produce', '--error', '6', '--count', '-1');
  t.equal(badCount.code, 1);
  t.match(badCount.stderr, /^samsa: count: -1 is not a number of requests/);
  const badApi = await ctl(t, control, 'delay', '10', '--api', 'Nope');
  t.equal(badApi.code, 1);
  t.match(badApi.stderr, /apiKey: "Nope" is not a Kafka API key/);
  t.equal((await ctl(t, control, 'move-leader', 'nope', '0', '1')).code, 1);
  t.equal((await ctl(t, control, 'status')).stdout.includes('no fault rules'), true, 'the refused rules were not added');

  process.kill(broker.proc.pid!, 'SIGTERM');
  t.equal(await broker.exit(), 0);
});

t.test('samsa ctl without a reachable control endpoint exits 1', async t => {
  const port = await freePort();
  const res = await ctl(t, `127.0.0.1:${port}`, 'status');
  t.equal(res.code, 1);
  t.equal(res.stderr, `samsa: cannot reach the control endpoint at 127.0.0.1:${port}: ECONNREFUSED`);
  const bad = await ctl(t, 'no-port', 'status');
  t.equal(bad.code, 1);
  t.equal(bad.stderr, 'samsa: --control no-port: expected host:port');
});

t.test('samsa start refuses a bad --control-port', async t => {
  const s = new SamsaProcess(['start', '--port', '0', '--control-port', '70000'], t);
  t.equal(await s.exit(), 1);
  t.match(s.stderr, '--control-port 70000: not a port number');
});
