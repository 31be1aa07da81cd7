// The HTTP control endpoint: off unless controlPort is given; every route, through ControlClient
// and raw HTTP; a bad body or field answers 400 and changes nothing, an unknown node or topic
// 404, a leader move Kafka refuses 409; closed with the broker.
/* eslint-disable @typescript-eslint/no-explicit-any -- JSON answers */
import t from 'tap';
import net from 'node:net';
import { testBroker } from '../helpers/broker.js';
import { TestClient } from '../helpers/client.js';
import { batch, createTopic, produce } from '../helpers/kafka.js';
import { ControlClient, ControlRequestError } from '../../src/control/client.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import type { RunningBroker } from '../../src/index.js';

/** A raw HTTP request to the endpoint: status and parsed body. */
async function call(b: RunningBroker, method: string, path: string, body?: string): Promise<{ status: number; body: any; headers: Headers }> {
  const res = await fetch(`http://127.0.0.1:${b.controlPort}${path}`, { method, body });
  return { status: res.status, body: await res.json(), headers: res.headers };
}

/** Whether a TCP connection to the port is refused. */
function refused(port: number): Promise<boolean> {
  return new Promise(resolve => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(false);
    });
    s.once('error', () => resolve(true));
  });
}

async function rejection(p: Promise<unknown>): Promise<ControlRequestError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof ControlRequestError) return err;
    throw err;
  }
  throw new Error('the request succeeded');
}

t.test('the control endpoint is off unless controlPort is given', async t => {
  const b = await testBroker(t);
  t.equal(b.controlPort, null);
});

t.test('every route, through ControlClient', async t => {
  const b = await testBroker(t, { nodes: 3, controlPort: 0, config: { 'default.replication.factor': 3 } });
  t.type(b.controlPort, 'number');
  t.not(b.controlPort, 0, 'the bound port');
  const c = new ControlClient(`127.0.0.1:${b.controlPort}`);
  const raw = await TestClient.connect(b.bootstrap);
  t.teardown(() => raw.close());
  await createTopic(raw, 'http-topic', 3);

  const status = await c.status();
  t.equal(status.clusterId, b.clusterId);
  t.same(status.nodes.map(n => [n.nodeId, n.running, n.bootstrap]), b.nodes.map(n => [n.nodeId, true, n.bootstrap]));
  const topic = status.topics.find(x => x.name === 'http-topic')!;
  t.equal(topic.partitions.length, 3);
  t.same(status.faults, []);

  // stop: the node's listener refuses connections, its partitions move
  const led = b.cluster.topic('http-topic')!.partitions.filter(p => p.leader === 1).map(p => p.index);
  t.same(await c.stopNode(1), { nodeId: 1, running: false, bootstrap: b.nodes[1]!.bootstrap });
  t.equal(b.nodes[1]!.running, false);
  t.ok(await refused(b.nodes[1]!.port), 'node 1 refuses connections');
  for (const i of led) t.not(b.cluster.topic('http-topic')!.partitions[i]!.leader, 1, `partition ${i} moved away from node 1`);
  t.same((await c.status()).nodes.map(n => n.running), [true, false, true]);
  t.same(await c.startNode(1), { nodeId: 1, running: true, bootstrap: b.nodes[1]!.bootstrap });
  t.equal(b.nodes[1]!.running, true);
  t.notOk(await refused(b.nodes[1]!.port), 'node 1 accepts connections again');

  // move a leader to another replica
  const p0 = b.cluster.topic('http-topic')!.partitions[0]!;
  const target = p0.replicas.find(id => id !== p0.leader)!;
  const epoch = p0.leaderEpoch;
  t.same(await c.moveLeader('http-topic', 0, target), { partition: 0, leader: target, leaderEpoch: epoch + 1, replicas: p0.replicas, isr: p0.isr });
  t.equal(p0.leader, target);

  // faults
  const rule = await c.injectError({ apiKey: 'Produce', errorCode: 'NOT_LEADER_OR_FOLLOWER', topic: 'http-topic', partition: 0 });
  t.match(rule, { type: 'error', api: 'Produce', error: 'NOT_LEADER_OR_FOLLOWER', topic: 'http-topic', partition: 0, remaining: 1 });
  const leaderOf0 = await TestClient.connect(b.nodes.find(n => n.nodeId === p0.leader)!.bootstrap);
  t.teardown(() => leaderOf0.close());
  t.equal((await produce(leaderOf0, 'http-topic', 0, batch(['x']))).errorCode, ErrorCode.NOT_LEADER_OR_FOLLOWER, 'the injected error is answered');
  t.equal((await produce(leaderOf0, 'http-topic', 0, batch(['x']))).errorCode, 0, 'once');
  t.match(await c.delay({ delayMs: 50, apiKey: 'Fetch' }), { type: 'delay', delayMs: 50, remaining: null });
  t.match(await c.dropConnections({ apiKey: 'Metadata', count: 2, nodeId: 2 }), { type: 'drop', api: 'Metadata', nodeId: 2, remaining: 2 });
  t.same(
    (await c.faults()).faults.map(r => r.type),
    ['delay', 'drop'],
  );
  t.same((await c.status()).faults.map(r => r.type), ['delay', 'drop'], 'the status lists them too');
  t.same(await c.clearFaults(), { cleared: 2 });
  t.same((await c.faults()).faults, []);

  // reset
  t.same(await c.reset(), { topics: 1, groups: 0, transactions: 0 });
  t.same((await c.status()).topics, []);
});

t.test('a bad body or field answers 400 and changes nothing', async t => {
  const b = await testBroker(t, { nodes: 3, controlPort: 0, config: { 'default.replication.factor': 3 } });
  const raw = await TestClient.connect(b.bootstrap);
  t.teardown(() => raw.close());
  await createTopic(raw, 'keep', 3);
  const p0 = b.cluster.topic('keep')!.partitions[0]!;
  const leader = p0.leader;
  const other = p0.replicas.find(id => id !== leader)!;
  const cases: [string, string, string][] = [
    ['POST', '/faults/errors', '{"apiKey": 0, "errorCode": 6,'],
    ['POST', '/faults/errors', '[{"apiKey": 0, "errorCode": 6}]'],
    ['POST', '/faults/errors', '{"apiKey": 0, "errorCode": "BOGUS"}'],
    ['POST', '/faults/errors', '{"apiKey": 0, "errorCode": 6, "count": -1}'],
    ['POST', '/faults/errors', '{"apiKey": 0, "errorCode": 6, "topc": "keep"}'],
    ['POST', '/faults/delays', '{"delayMs": "soon"}'],
    ['POST', '/faults/drops', '{"apiKey": 12345}'],
    ['POST', '/partitions/move-leader', `{"topic": "keep", "partition": 0, "nodeId": ${other}`],
    ['POST', '/partitions/move-leader', `{"topic": "keep", "partition": "0", "nodeId": ${other}}`],
    ['POST', '/partitions/move-leader', `{"topic": "keep", "partition": 0, "node": ${other}}`],
    ['POST', '/nodes/1/stop', 'stop!'],
    ['POST', '/nodes/one/stop', ''],
    ['POST', '/reset', '{"really": '],
    ['DELETE', '/faults', 'null'],
  ];
  b.control.delay({ delayMs: 1, apiKey: 'Heartbeat' });
  const rules = b.control.faults();
  for (const [method, path, body] of cases) {
    const res = await call(b, method, path, body);
    t.equal(res.status, 400, `${method} ${path} ${body}: 400`);
    t.type(res.body.error, 'string', `with a message: ${res.body.error}`);
  }
  t.same(b.control.faults(), rules, 'no rule added or removed');
  t.equal(p0.leader, leader, 'no leader moved');
  t.same(b.nodes.map(n => n.running), [true, true, true], 'no node stopped');
  t.ok(b.cluster.topic('keep'), 'nothing reset');
});

t.test('unknown nodes and topics answer 404, refused leader moves 409, unknown routes 404 and wrong methods 405', async t => {
  const b = await testBroker(t, { nodes: 3, controlPort: 0 });
  const raw = await TestClient.connect(b.bootstrap);
  t.teardown(() => raw.close());
  await createTopic(raw, 'one-replica', 1, {});
  const c = new ControlClient(`127.0.0.1:${b.controlPort}`);
  for (const [what, p] of [
    // one request at a time: a rejection that arrives before its turn would be unhandled meanwhile
    ['stop', () => c.stopNode(9)],
    ['start', () => c.startNode(9)],
    ['move to an unknown node', () => c.moveLeader('one-replica', 0, 9)],
    ['unknown topic', () => c.moveLeader('nope', 0, 1)],
    ['unknown partition', () => c.moveLeader('one-replica', 5, 1)],
    ['rule for an unknown node', () => c.injectError({ apiKey: 0, errorCode: 6, nodeId: 9 })],
  ] as const) {
    const err = await rejection(p());
    t.equal(err.status, 404, `${what}: 404 (${err.message})`);
  }
  const p0 = b.cluster.topic('one-replica')!.partitions[0]!;
  const notReplica = [0, 1, 2].find(id => !p0.replicas.includes(id))!;
  const res = await call(b, 'POST', '/partitions/move-leader', JSON.stringify({ topic: 'one-replica', partition: 0, nodeId: notReplica }));
  t.equal(res.status, 409);
  t.equal(res.body.code, 'INVALID_REPLICA_ASSIGNMENT');
  t.match(res.body.error, `Node ${notReplica} is not a replica of one-replica-0`);
  t.equal(p0.leader, p0.replicas[0], 'the leader stays');
  // a stopped replica cannot lead
  const b2 = await testBroker(t, { nodes: 2, controlPort: 0, config: { 'default.replication.factor': 2 } });
  const raw2 = await TestClient.connect(b2.bootstrap);
  t.teardown(() => raw2.close());
  await createTopic(raw2, 'two', 1);
  const q = b2.cluster.topic('two')!.partitions[0]!;
  const follower = q.replicas.find(id => id !== q.leader)!;
  await b2.control.stopNode(follower);
  const stopped = await call(b2, 'POST', '/partitions/move-leader', JSON.stringify({ topic: 'two', partition: 0, nodeId: follower }));
  t.equal(stopped.status, 409);
  t.equal(stopped.body.code, 'BROKER_NOT_AVAILABLE');

  const unknown = await call(b, 'GET', '/nodes');
  t.equal(unknown.status, 404);
  t.match(unknown.body.error, 'no such control route');
  const wrong = await call(b, 'GET', '/reset');
  t.equal(wrong.status, 405);
  t.equal(wrong.headers.get('allow'), 'POST');
});

t.test('the endpoint listens on 127.0.0.1 and closes with the broker', async t => {
  const b = await testBroker(t, { controlPort: 0 });
  const port = b.controlPort!;
  t.equal((await call(b, 'GET', '/cluster')).status, 200);
  const other = await new Promise<boolean>(resolve => {
    // a non-loopback address of this machine, when it has one, is not served
    const s = net.connect(port, '::1');
    s.once('connect', () => {
      s.destroy();
      resolve(false);
    });
    s.once('error', () => resolve(true));
  });
  t.ok(other, 'not reachable on ::1 (bound to 127.0.0.1 only)');
  await b.close();
  t.ok(await refused(port), 'closed with the broker');
});

t.test('a control port in use stops the start, and the broker started so far is released', async t => {
  const a = await testBroker(t, { controlPort: 0 });
  const port = await new Promise<number>((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const p = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(p));
    });
  });
  await t.rejects(testBroker(t, { port, controlPort: a.controlPort! }), { code: 'EADDRINUSE' });
  t.ok(await refused(port), "the second broker's Kafka listener was closed again");
});
