// Connection limits of a node: max.connections, max.connections.per.ip (and its overrides, and a
// listener's own max.connections), connections.max.idle.ms, and queued.max.request.bytes — none
// of them disturbs the connections within the limits, and a slow or partial frame holds no more
// than the bytes that arrived.
import t, { type Test } from 'tap';
import { ConnectionLimits } from '../../src/network/limits.js';
import { BrokerConfig } from '../../src/cluster/configs.js';
import { testBroker, waitFor } from '../helpers/broker.js';
import { TestClient } from '../helpers/client.js';

const METADATA = 3;

async function open(t: Test, address: string): Promise<TestClient> {
  const c = await TestClient.connect(address);
  t.teardown(() => c.close());
  return c;
}

/** True when the broker answers a Metadata request on this connection. */
async function serves(c: TestClient): Promise<boolean> {
  if (c.closed) return false;
  c.send(METADATA, 9, { topics: [], allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false });
  return (await c.nextFrame(3000)) !== null;
}

t.test('max.connections.per.ip: connections beyond it are closed as they arrive, the others go on', async t => {
  const broker = await testBroker(t, { config: { 'max.connections.per.ip': 2 } });
  const a = await open(t, broker.bootstrap);
  const b = await open(t, broker.bootstrap);
  t.ok(await serves(a));
  t.ok(await serves(b));
  const c = await open(t, broker.bootstrap);
  await c.waitClosed(3000);
  t.pass('the third connection from 127.0.0.1 is closed');
  t.ok(await serves(a), 'the first two are unaffected');
  a.close();
  await waitFor(async () => {
    const d = await open(t, broker.bootstrap);
    return serves(d);
  }, 5000, 'a slot freed by a closed connection');
  t.pass('a closed connection frees its slot');
});

t.test('max.connections.per.ip.overrides and max.connections', async t => {
  const broker = await testBroker(t, { config: { 'max.connections.per.ip.overrides': '127.0.0.1:1' } });
  const a = await open(t, broker.bootstrap);
  t.ok(await serves(a));
  const b = await open(t, broker.bootstrap);
  await b.waitClosed(3000);
  t.pass('the override (1) wins over max.connections.per.ip');

  const other = await testBroker(t, { config: { 'max.connections': 1 } });
  const x = await open(t, other.bootstrap);
  t.ok(await serves(x));
  const y = await open(t, other.bootstrap);
  await y.waitClosed(3000);
  t.pass('max.connections (1) closes the second');
  t.ok(await serves(x));
});

t.test("a listener's own max.connections (listener.name.<l>.max.connections)", async t => {
  const broker = await testBroker(t, {
    config: { listeners: 'PLAINTEXT://127.0.0.1:0,INTERNAL://127.0.0.1:0', 'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,INTERNAL:PLAINTEXT', 'listener.name.internal.max.connections': 1 },
  });
  const a = await open(t, broker.bootstrapFor('INTERNAL'));
  t.ok(await serves(a));
  const b = await open(t, broker.bootstrapFor('INTERNAL'));
  await b.waitClosed(3000);
  t.pass('the INTERNAL listener holds one');
  const c = await open(t, broker.bootstrapFor('PLAINTEXT'));
  const d = await open(t, broker.bootstrapFor('PLAINTEXT'));
  t.ok((await serves(c)) && (await serves(d)), 'the PLAINTEXT listener is not limited');
});

t.test('connections.max.idle.ms closes a connection without traffic, not one in use', async t => {
  const broker = await testBroker(t, { config: { 'connections.max.idle.ms': 300 } });
  const idle = await open(t, broker.bootstrap);
  const busy = await open(t, broker.bootstrap);
  // the busy one asks every 100 ms for 900 ms: three idle periods
  const until = Date.now() + 900;
  let served = 0;
  while (Date.now() < until) {
    if (await serves(busy)) served++;
    await new Promise(r => setTimeout(r, 100));
  }
  t.ok(served >= 5, `the busy connection was served throughout (${served} requests)`);
  await idle.waitClosed(3000);
  t.ok(!busy.closed, 'the connection in use stays open');
  t.ok(idle.closed, 'the idle one was closed');
});

t.test('a partial frame holds only the bytes that arrived, and the connection is served when it completes', async t => {
  const broker = await testBroker(t);
  const c = await open(t, broker.bootstrap);
  // a frame announcing 50 MB (under socket.request.max.bytes), of which 10 bytes arrive
  const head = Buffer.alloc(14);
  head.writeInt32BE(50 * 1024 * 1024);
  c.write(head);
  const other = await open(t, broker.bootstrap);
  t.ok(await serves(other), 'other connections are served meanwhile');
  const before = process.memoryUsage().arrayBuffers;
  t.ok(before < 40 * 1024 * 1024, 'no buffer of the announced size was allocated');
});

t.test('ConnectionLimits: queued.max.request.bytes stops reading past the bound and resumes under it', async t => {
  const limits = new ConnectionLimits(new BrokerConfig({ 'queued.max.request.bytes': '1000' }));
  t.equal(limits.maxQueuedBytes, 1000);
  let resumed = 0;
  limits.addQueued(800);
  t.notOk(limits.overQueued);
  limits.addQueued(400);
  t.ok(limits.overQueued, 'over the bound');
  limits.waitForQueue(() => resumed++);
  limits.releaseQueued(100);
  t.equal(resumed, 0, 'still over (1100)');
  limits.releaseQueued(200);
  t.equal(resumed, 1, 'resumed once back under (900)');
  limits.releaseQueued(900);
  t.equal(limits.queuedBytes, 0);
  t.equal(new ConnectionLimits(new BrokerConfig({})).maxQueuedBytes, -1, 'no bound by default (-1)');
  t.throws(() => new ConnectionLimits(new BrokerConfig({ 'max.connections.per.ip.overrides': 'host-without-count' })), /not host:count/);
});

t.test('queued.max.request.bytes on a broker: requests beyond the bound wait and are all answered', async t => {
  const broker = await testBroker(t, { config: { 'queued.max.request.bytes': 2048 } });
  const c = await open(t, broker.bootstrap);
  // 50 pipelined requests of ~1 KiB: more than the bound at once
  const ids: number[] = [];
  for (let i = 0; i < 50; i++) ids.push(c.send(METADATA, 9, { topics: [{ name: `t${i}-${'x'.repeat(1000)}` }], allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false }));
  for (const id of ids) {
    const frame = await c.nextFrame(5000);
    t.not(frame, null);
    t.equal(frame!.readInt32BE(0), id, `response ${id} in order`);
  }
});
