// Fault injection from the embedding API (RunningBroker.control), seen through raw requests:
// injected errors (whole requests and single partitions), delays, dropped connections, the
// validation of rules, and the info log line of every injected fault.
/* eslint-disable @typescript-eslint/no-explicit-any -- responses decoded from the specs at run time */
import t from 'tap';
import { Writable } from 'node:stream';
import pino from 'pino';
import { testBroker, testClient } from '../helpers/broker.js';
import { TestClient } from '../helpers/client.js';
import { batch, createTopic, fetchTopic, latest, produce, ZERO_UUID } from '../helpers/kafka.js';
import { ControlError } from '../../src/control/control.js';
import { FAULTS } from '../../src/control/faults.js';
import { ErrorCode } from '../../src/protocol/errors.js';

const NOT_LEADER = ErrorCode.NOT_LEADER_OR_FOLLOWER;

/** A produce naming several partitions; returns "topic-partition" → error code. */
async function produceMany(c: TestClient, parts: [string, number][], version = 9): Promise<Map<string, number>> {
  const byTopic = new Map<string, number[]>();
  for (const [topic, p] of parts) byTopic.set(topic, [...(byTopic.get(topic) ?? []), p]);
  const res = await c.call(0, version, {
    acks: -1,
    timeoutMs: 5000,
    topicData: [...byTopic].map(([name, ps]) => ({ name, topicId: ZERO_UUID, partitionData: ps.map(index => ({ index, records: batch([`${name}-${index}`]) })) })),
  });
  const out = new Map<string, number>();
  for (const tr of res.responses) for (const pr of tr.partitionResponses) out.set(`${tr.name}-${pr.index}`, pr.errorCode);
  return out;
}

/** A pino logger whose lines are kept as objects. */
function capturingLogger(): { logger: pino.Logger; lines: any[] } {
  const lines: any[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      for (const line of String(chunk).split('\n')) if (line !== '') lines.push(JSON.parse(line));
      done();
    },
  });
  return { logger: pino({ level: 'info' }, stream), lines };
}

t.test('an injected error is answered to the next N requests, which change nothing, and then no more', async t => {
  const b = await testBroker(t);
  const c = await testClient(t, b);
  await createTopic(c, 'orders');
  t.equal(FAULTS.armed, false, 'no rule: dispatch reads one flag');
  const rule = b.control.injectError({ apiKey: 'Produce', errorCode: 'NOT_LEADER_OR_FOLLOWER', count: 2 });
  t.match(rule, { type: 'error', apiKey: 0, api: 'Produce', errorCode: NOT_LEADER, error: 'NOT_LEADER_OR_FOLLOWER', remaining: 2 });
  t.equal(FAULTS.armed, true);
  t.equal((await produce(c, 'orders', 0, batch(['a']))).errorCode, NOT_LEADER, 'first');
  t.equal(b.control.faults()[0]!.remaining, 1);
  t.equal((await produce(c, 'orders', 0, batch(['a']))).errorCode, NOT_LEADER, 'second');
  t.same(b.control.faults(), [], 'the rule is used up');
  t.equal(FAULTS.armed, false, 'and dispatch is back to the flag alone');
  const third = await produce(c, 'orders', 0, batch(['a']));
  t.equal(third.errorCode, 0, 'the third is handled');
  t.equal(Number(third.baseOffset), 0, 'the failed ones appended nothing');
  t.equal(await latest(c, 'orders'), 1);
  // other APIs were never affected
  t.equal((await c.call(18, 3, { clientSoftwareName: 't', clientSoftwareVersion: '1' })).errorCode, 0);
});

t.test('a rule for a topic or partition fails only those partitions of a request, as Kafka answers per partition', async t => {
  const b = await testBroker(t);
  const c = await testClient(t, b);
  await createTopic(c, 'p', 3);
  const qId = await createTopic(c, 'q', 1);
  b.control.injectError({ apiKey: 0, errorCode: NOT_LEADER, topic: 'p', partition: 1 });
  const first = await produceMany(c, [['p', 0], ['p', 1], ['p', 2], ['q', 0]]);
  t.same(Object.fromEntries(first), { 'p-0': 0, 'p-1': NOT_LEADER, 'p-2': 0, 'q-0': 0 });
  t.same([await latest(c, 'p', 0), await latest(c, 'p', 1), await latest(c, 'p', 2), await latest(c, 'q', 0)], [1, 0, 1, 1], 'p-1 was not appended, the others were');
  // a request without the partition does not use the rule up
  b.control.injectError({ apiKey: 0, errorCode: NOT_LEADER, topic: 'p', partition: 1 });
  t.same(Object.fromEntries(await produceMany(c, [['q', 0]])), { 'q-0': 0 });
  t.equal(b.control.faults().length, 1, 'still armed');
  t.same(Object.fromEntries(await produceMany(c, [['p', 1]])), { 'p-1': NOT_LEADER }, 'a request of only failed partitions');
  t.same(Object.fromEntries(await produceMany(c, [['p', 0], ['p', 1], ['p', 2], ['q', 0]])), { 'p-0': 0, 'p-1': 0, 'p-2': 0, 'q-0': 0 }, 'then all succeed');

  // a read: every partition of the topic fails, the other topic answers
  b.control.injectError({ apiKey: 'ListOffsets', errorCode: 'LEADER_NOT_AVAILABLE', topic: 'p' });
  const listed = await c.call(2, 7, {
    replicaId: -1,
    topics: ['p', 'q'].map(name => ({ name, partitions: [0, 1].filter(i => name === 'p' || i === 0).map(partitionIndex => ({ partitionIndex, currentLeaderEpoch: -1, timestamp: -1 })) })),
  });
  t.same(
    listed.topics.flatMap((tr: any) => tr.partitions.map((p: any) => [tr.name, p.partitionIndex, p.errorCode, Number(p.offset)])),
    [
      ['p', 0, ErrorCode.LEADER_NOT_AVAILABLE, -1],
      ['p', 1, ErrorCode.LEADER_NOT_AVAILABLE, -1],
      ['q', 0, 0, 3],
    ],
  );

  // Fetch v13 names topics by id; a long poll is answered at once when a partition fails
  const pId = b.cluster.topic('p')!.id;
  b.control.injectError({ apiKey: 'Fetch', errorCode: 'FENCED_LEADER_EPOCH', topic: 'p', partition: 2 });
  const fetched = await c.call(1, 13, {
    maxWaitMs: 60_000,
    minBytes: 1 << 20,
    maxBytes: 1 << 20,
    topics: [fetchTopic('', pId, [{ partition: 0, fetchOffset: 0 }, { partition: 2, fetchOffset: 0 }]), fetchTopic('', qId, [{ partition: 0, fetchOffset: 0 }])],
  });
  t.equal(fetched.errorCode, 0);
  const answers = fetched.responses.flatMap((tr: any) => tr.partitions.map((p: any) => [tr.topicId === pId ? 'p' : 'q', p.partitionIndex, p.errorCode, p.records?.length > 0]));
  t.same(answers, [
    ['p', 0, 0, true],
    ['p', 2, ErrorCode.FENCED_LEADER_EPOCH, false],
    ['q', 0, 0, true],
  ]);

  // Produce v13 names topics by id too
  b.control.injectError({ apiKey: 0, errorCode: NOT_LEADER, topic: 'q' });
  const byId = await c.call(0, 13, {
    acks: -1,
    timeoutMs: 5000,
    topicData: [
      { name: '', topicId: pId, partitionData: [{ index: 0, records: batch(['x']) }] },
      { name: '', topicId: qId, partitionData: [{ index: 0, records: batch(['x']) }] },
    ],
  });
  t.same(
    byId.responses.map((tr: any) => [tr.topicId === pId ? 'p' : 'q', tr.partitionResponses.map((p: any) => p.errorCode)]),
    [
      ['p', [0]],
      ['q', [NOT_LEADER]],
    ],
  );
});

t.test('a rule without a topic fails every partition of the answer, also those a fetch session holds', async t => {
  const b = await testBroker(t);
  const c = await testClient(t, b);
  await createTopic(c, 's', 2);
  await produce(c, 's', 0, batch(['a']));
  const fetch = (fields: Record<string, unknown>) => c.call(1, 12, { maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, ...fields });
  // a full fetch that opens a session, its partition 0 failing
  b.control.injectError({ apiKey: 'Fetch', errorCode: NOT_LEADER, topic: 's', partition: 0 });
  const opened = await fetch({ sessionId: 0, sessionEpoch: 0, topics: [fetchTopic('s', ZERO_UUID, [{ partition: 0, fetchOffset: 0 }, { partition: 1, fetchOffset: 0 }])] });
  t.not(opened.sessionId, 0, 'a session is open');
  t.same(opened.responses[0].partitions.map((p: any) => p.errorCode), [NOT_LEADER, 0]);
  // the session holds both partitions: the next incremental fetch answers partition 0 again
  const next = await fetch({ sessionId: opened.sessionId, sessionEpoch: 1, topics: [] });
  t.same(
    next.responses.flatMap((tr: any) => tr.partitions.map((p: any) => [p.partitionIndex, p.errorCode, p.records.length > 0])),
    [[0, 0, true]],
    'the failed partition is sent again with its data once the error is gone',
  );
  await produce(c, 's', 0, batch(['b']));
  await produce(c, 's', 1, batch(['b']));
  // an incremental fetch naming no partition: a rule without a topic fails what the session answers
  b.control.injectError({ apiKey: 'Fetch', errorCode: 'REPLICA_NOT_AVAILABLE' });
  const failed = await fetch({ sessionId: opened.sessionId, sessionEpoch: 2, topics: [] });
  t.equal(failed.errorCode, 0);
  t.same(failed.responses.flatMap((tr: any) => tr.partitions.map((p: any) => [p.partitionIndex, p.errorCode])).sort(), [
    [0, ErrorCode.REPLICA_NOT_AVAILABLE],
    [1, ErrorCode.REPLICA_NOT_AVAILABLE],
  ]);
});

t.test('APIs without per-partition errors fail as a whole; a rule for one node leaves the others alone', async t => {
  const b = await testBroker(t, { nodes: 3 });
  const clients = await Promise.all(b.nodes.map(n => TestClient.connect(n.bootstrap)));
  t.teardown(() => clients.forEach(c => c.close()));
  const findCoordinator = (c: TestClient) => c.call(10, 4, { key: '', keyType: 0, coordinatorKeys: ['g1', 'g2'] });
  b.control.injectError({ apiKey: 'FindCoordinator', errorCode: 'COORDINATOR_NOT_AVAILABLE', nodeId: 1, count: 2 });
  const codes = async (c: TestClient) => (await findCoordinator(c)).coordinators.map((x: any) => x.errorCode);
  t.same(await codes(clients[0]!), [0, 0], 'node 0 answers');
  t.same(await codes(clients[2]!), [0, 0], 'node 2 answers');
  t.same(await codes(clients[1]!), [ErrorCode.COORDINATOR_NOT_AVAILABLE, ErrorCode.COORDINATOR_NOT_AVAILABLE], 'node 1 fails the whole request');
  t.same(await codes(clients[1]!), [ErrorCode.COORDINATOR_NOT_AVAILABLE, ErrorCode.COORDINATOR_NOT_AVAILABLE]);
  t.same(await codes(clients[1]!), [0, 0], 'used up');
  // ApiVersions fails with its top-level code
  b.control.injectError({ apiKey: 18, errorCode: ErrorCode.UNKNOWN_SERVER_ERROR });
  t.equal((await clients[0]!.call(18, 3, { clientSoftwareName: 't', clientSoftwareVersion: '1' })).errorCode, ErrorCode.UNKNOWN_SERVER_ERROR);
  t.equal((await clients[0]!.call(18, 3, { clientSoftwareName: 't', clientSoftwareVersion: '1' })).errorCode, 0);
});

t.test('a produce with acks=0 that an injected error fails closes the connection, as Kafka does', async t => {
  const b = await testBroker(t);
  const c = await testClient(t, b);
  await createTopic(c, 'z');
  b.control.injectError({ apiKey: 'Produce', errorCode: NOT_LEADER });
  c.send(0, 9, { acks: 0, timeoutMs: 5000, transactionalId: null, topicData: [{ name: 'z', topicId: ZERO_UUID, partitionData: [{ index: 0, records: batch(['a']) }] }] });
  await c.waitClosed();
  const c2 = await testClient(t, b);
  t.equal(await latest(c2, 'z'), 0, 'nothing appended');
});

t.test('a delay holds the response back at least delayMs, for `count` requests or until cleared', async t => {
  const b = await testBroker(t);
  const c = await testClient(t, b);
  const apiVersions = () => c.call(18, 3, { clientSoftwareName: 't', clientSoftwareVersion: '1' });
  const rule = b.control.delay({ delayMs: 300, apiKey: 'ApiVersions', count: 1 });
  t.match(rule, { type: 'delay', delayMs: 300, remaining: 1 });
  let started = Date.now();
  t.equal((await apiVersions()).errorCode, 0, 'answered normally');
  t.ok(Date.now() - started >= 300, `after ${Date.now() - started} ms`);
  t.same(b.control.faults(), [], 'used up');
  // without a count it stays, for every API when none is named
  const always = b.control.delay({ delayMs: 200 });
  t.equal(always.remaining, null);
  for (let i = 0; i < 2; i++) {
    started = Date.now();
    await apiVersions();
    t.ok(Date.now() - started >= 200, `delayed again (${Date.now() - started} ms)`);
  }
  t.equal(b.control.faults().length, 1, 'still there');
  t.equal(b.control.clearFaults(), 1);
  t.same(b.control.faults(), []);
  t.equal(FAULTS.armed, false);
});

t.test('a dropped connection: the request is handled (a produce is appended) and the connection closes unanswered', async t => {
  const b = await testBroker(t);
  const c = await testClient(t, b);
  await createTopic(c, 'd');
  t.match(b.control.dropConnections({ apiKey: 'Produce' }), { type: 'drop', remaining: 1 });
  // an earlier request on the connection is still answered
  const before = c.send(18, 3, { clientSoftwareName: 't', clientSoftwareVersion: '1' });
  c.send(0, 9, { acks: -1, timeoutMs: 5000, transactionalId: null, topicData: [{ name: 'd', topicId: ZERO_UUID, partitionData: [{ index: 0, records: batch(['lost-answer']) }] }] });
  const first = await c.nextFrame();
  t.ok(first !== null && first.readInt32BE(0) === before, 'the request before it was answered');
  t.equal(await c.nextFrame(), null, 'no answer: the connection closed');
  const c2 = await testClient(t, b);
  t.equal(await latest(c2, 'd'), 1, 'the produce was appended before the connection closed');
  t.equal((await produce(c2, 'd', 0, batch(['next']))).errorCode, 0, 'the next produce is answered');
  // a drop rule without an API takes the next request of any kind
  b.control.dropConnections({ count: 1 });
  c2.send(18, 3, { clientSoftwareName: 't', clientSoftwareVersion: '1' });
  await c2.waitClosed();
});

t.test('rules are validated, and a refused rule changes nothing', async t => {
  const b = await testBroker(t, { nodes: 2 });
  const kept = b.control.injectError({ apiKey: 'Produce', errorCode: 6 });
  const refused = (what: string, fn: () => unknown, status: number, message: RegExp) => {
    try {
      fn();
      t.fail(`${what}: accepted`);
    } catch (err) {
      t.ok(err instanceof ControlError, `${what}: ControlError`);
      t.equal((err as ControlError).status, status, `${what}: status ${status}`);
      t.match((err as Error).message, message, what);
    }
  };
  const c = b.control;
  refused('unknown API key', () => c.injectError({ apiKey: 999, errorCode: 6 }), 400, /apiKey: 999 is not a Kafka API key/);
  refused('unknown API name', () => c.injectError({ apiKey: 'Produs', errorCode: 6 }), 400, /apiKey: "Produs"/);
  refused('missing API', () => c.injectError({ errorCode: 6 } as never), 400, /apiKey: required/);
  refused('unknown error code', () => c.injectError({ apiKey: 0, errorCode: 9999 }), 400, /errorCode: 9999 is not a Kafka error code/);
  refused('unknown error name', () => c.injectError({ apiKey: 0, errorCode: 'NOT_A_LEADER' }), 400, /errorCode: "NOT_A_LEADER"/);
  refused('no error', () => c.injectError({ apiKey: 0, errorCode: 0 }), 400, /NONE\) is not an error/);
  refused('negative count', () => c.injectError({ apiKey: 0, errorCode: 6, count: -1 }), 400, /count: -1 is not a number of requests/);
  refused('zero count', () => c.injectError({ apiKey: 0, errorCode: 6, count: 0 }), 400, /count: 0/);
  refused('fractional count', () => c.injectError({ apiKey: 0, errorCode: 6, count: 1.5 }), 400, /count: 1.5/);
  refused('a topic for an API answered as a whole', () => c.injectError({ apiKey: 'Metadata', errorCode: 6, topic: 'x' }), 400, /Metadata requests fail as a whole/);
  refused('a partition without its topic', () => c.injectError({ apiKey: 0, errorCode: 6, partition: 0 }), 400, /needs its topic/);
  refused('negative partition', () => c.injectError({ apiKey: 0, errorCode: 6, topic: 'x', partition: -1 }), 400, /partition: -1/);
  refused('unknown node', () => c.injectError({ apiKey: 0, errorCode: 6, nodeId: 7 }), 404, /there is no node 7/);
  refused('unknown field', () => c.injectError({ apiKey: 0, errorCode: 6, cuont: 2 } as never), 400, /unknown field cuont/);
  refused('negative delay', () => c.delay({ delayMs: -5 }), 400, /delayMs: -5/);
  refused('delay count', () => c.delay({ delayMs: 5, count: -2 }), 400, /count: -2/);
  refused('drop API', () => c.dropConnections({ apiKey: 'Nope' }), 400, /apiKey: "Nope"/);
  refused('drop count', () => c.dropConnections({ count: -1 }), 400, /count: -1/);
  t.same(b.control.faults(), [kept], 'only the rule added before');
});

t.test('every injected fault is logged at info with the API, version, correlation id, node and rule', async t => {
  const { logger, lines } = capturingLogger();
  const b = await testBroker(t, { logger });
  const c = await testClient(t, b);
  await createTopic(c, 'logged', 2);
  b.control.injectError({ apiKey: 'Produce', errorCode: NOT_LEADER, topic: 'logged', partition: 1 });
  b.control.delay({ delayMs: 1, apiKey: 'ApiVersions', count: 1 });
  await produceMany(c, [['logged', 0], ['logged', 1]]);
  await c.call(18, 3, { clientSoftwareName: 't', clientSoftwareVersion: '1' });
  b.control.dropConnections({ apiKey: 'Metadata' });
  const dropped = c.send(3, 12, { topics: null, allowAutoTopicCreation: false });
  await c.waitClosed();
  const faults = lines.filter(l => typeof l.msg === 'string' && l.msg.startsWith('injected fault'));
  t.equal(faults.length, 3, 'one line per injected fault');
  t.ok(faults.every(l => l.level === 30), 'at info');
  t.match(faults[0], { api: 'Produce', version: 9, correlationId: Number, node: 0, partitions: ['logged-1'], rule: { type: 'error', error: 'NOT_LEADER_OR_FOLLOWER', topic: 'logged', partition: 1 } });
  t.match(faults[1], { api: 'ApiVersions', version: 3, node: 0, rule: { type: 'delay', delayMs: 1 } });
  t.match(faults[2], { api: 'Metadata', version: 12, correlationId: dropped, node: 0, rule: { type: 'drop' } });
  t.ok(lines.some(l => l.msg === 'added a fault rule (error)' && l.level === 30), 'adding a rule is logged too');
});
