// Client quota enforcement (KIP-13, KIP-219): Kafka's rate windows and throttle time, its eight
// levels of precedence, throttled Produce and Fetch responses with the connection muted for the
// throttle time (time driven by a ManualClock), nothing lost, and nothing measured without quotas.
// Also: the order of Kafka's answers, which comes from Java's HashMap, against orders recorded
// from a JVM.
/* eslint-disable @typescript-eslint/no-explicit-any -- responses decoded from the specs at run time */
import t from 'tap';
import { testBroker, testClient } from '../helpers/broker.js';
import { TestClient, requestFrame } from '../helpers/client.js';
import { ZERO_UUID, batch, body, createTopic, latest, valuesOf } from '../helpers/kafka.js';
import { ManualClock } from '../../src/broker/clock.js';
import { ClientQuotaManager, Rate } from '../../src/broker/quota-manager.js';
import { ClientQuotaStore, entityHash, entityOf, entityToString, javaHash, javaHashMapOrder, type EntityData, type QuotaEntity } from '../../src/cluster/client-quotas.js';

type Pair = [string, string | null];
const entity = (...pairs: Pair[]): EntityData[] => pairs.map(([entityType, entityName]) => ({ entityType, entityName }));

/** Sets one quota through AlterClientQuotas v1; fails the test's promise on an error. */
async function setQuota(c: TestClient, pairs: Pair[], key: string, value: number): Promise<void> {
  const res = await c.call(49, 1, { entries: [{ entity: entity(...pairs), ops: [{ key, value, remove: false }] }], validateOnly: false });
  if (res.entries[0].errorCode !== 0) throw new Error(`AlterClientQuotas: ${res.entries[0].errorCode} ${res.entries[0].errorMessage}`);
}

/** Sets one quota in a store directly. */
function setIn(store: ClientQuotaStore, pairs: Pair[], key: string, value: number): void {
  const plan = store.plan([{ entity: entity(...pairs), ops: [{ key, value, remove: false }] }], () => true);
  if ('tooManyRecords' in plan || plan.results[0]!.errorCode !== 0) throw new Error('invalid quota');
  store.apply(plan.records);
}

const produceBody = (topic: string, records: Buffer, acks = -1) =>
  body(0, { acks, timeoutMs: 5000, topicData: [{ name: topic, topicId: ZERO_UUID, partitionData: [{ index: 0, records }] }] });

/** A request sent as `clientId`, and its decoded response. */
async function callAs(c: TestClient, clientId: string, key: number, version: number, req: unknown): Promise<any> {
  const id = c.send(key, version, req, clientId);
  const frame = await c.nextFrame();
  if (frame === null) throw new Error('connection closed');
  return TestClient.decode(frame, key, version, id);
}

/** The size Kafka counts for a produce request: the frame without its size prefix. */
const frameSize = (req: unknown, clientId = 'samsa-test') => requestFrame(0, 9, 1, req, clientId).length - 4;

/** 40 records of 500 bytes: a batch of about 20 KB. */
const bigBatch = (tag: string) => batch(Array.from({ length: 40 }, (_, i) => `${tag}-${String(i).padStart(2, '0')}-${'x'.repeat(490)}`));

function fetchBody(topic: string, fetchOffset: number) {
  return body(1, {
    maxWaitMs: 0,
    minBytes: 0,
    maxBytes: 0x7fffffff,
    isolationLevel: 0,
    topics: [{ topic, topicId: ZERO_UUID, partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset, lastFetchedEpoch: -1, logStartOffset: -1, partitionMaxBytes: 0x7fffffff, replicaDirectoryId: ZERO_UUID }] }],
  });
}

t.test("Kafka's answers list entities in Java's HashMap order (orders recorded from OpenJDK 17)", async t => {
  const e = (...kv: (string | null)[]) => {
    const pairs: Pair[] = [];
    for (let i = 0; i < kv.length; i += 2) pairs.push([kv[i]!, kv[i + 1]!]);
    return entityOf(entity(...pairs), pairs.length);
  };
  const show = (xs: QuotaEntity[]) => xs.map(x => entityToString(x).replace(/^ClientQuotaEntity\(entries=(.*)\)$/, '$1')).join(' ');
  // 30 entities: the table grows from 16 to 64 buckets on the way
  const many: QuotaEntity[] = [];
  for (let i = 0; i < 30; i++) many.push(i % 3 === 0 ? e('client-id', `c${i}`, 'user', i % 2 === 0 ? null : `u${i}`) : e('client-id', `c${i}`));
  t.equal(
    show(javaHashMapOrder(many, entityHash)),
    '{client-id=c9, user=u9} {client-id=c8} {client-id=c7} {client-id=c4} {client-id=c5} {client-id=c2} {client-id=c1} {client-id=c28} ' +
      '{client-id=c24, user=null} {client-id=c29} {client-id=c23} {client-id=c3, user=u3} {client-id=c26} {client-id=c25} {client-id=c20} ' +
      '{client-id=c22} {client-id=c6, user=null} {client-id=c0, user=null} {client-id=c21, user=u21} {client-id=c27, user=u27} {client-id=c17} ' +
      '{client-id=c12, user=null} {client-id=c16} {client-id=c19} {client-id=c18, user=null} {client-id=c13} {client-id=c14} ' +
      '{client-id=c15, user=u15} {client-id=c11} {client-id=c10}',
  );
  const eight = [['user', 'alice'], ['user', null], ['client-id', 'app'], ['user', 'alice', 'client-id', 'app'], ['user', null, 'client-id', null], ['client-id', null], ['ip', '10.1.2.3'], ['ip', null]];
  t.equal(
    show(javaHashMapOrder(eight.map(kv => e(...kv)), entityHash)),
    '{ip=10.1.2.3} {user=alice} {ip=null} {client-id=app, user=alice} {client-id=app} {user=null} {client-id=null} {client-id=null, user=null}',
  );
  // the quota keys of one entry, in new HashMap<>(number of ops)
  t.same(javaHashMapOrder(['producer_byte_rate', 'consumer_byte_rate', 'request_percentage', 'controller_mutation_rate'], javaHash, 4), [
    'producer_byte_rate',
    'consumer_byte_rate',
    'controller_mutation_rate',
    'request_percentage',
  ]);
  t.same(javaHashMapOrder(['producer_byte_rate', 'request_percentage', 'consumer_byte_rate'], javaHash, 3), ['consumer_byte_rate', 'producer_byte_rate', 'request_percentage']);
});

t.test("Rate: Kafka's sampled windows", async t => {
  const rate = new Rate(11, 1000);
  const t0 = 1_000_000;
  rate.record(5000, t0);
  t.equal(rate.windowSize(t0), 10_000, 'a new rate is measured over at least samples-1 windows');
  t.equal(rate.measure(t0), 500);
  rate.record(5000, t0 + 5000);
  t.equal(rate.measure(t0 + 5000), 1000, '10000 bytes over 10 s');
  t.equal(rate.windowSize(t0 + 10_999), 10_999, 'ten whole windows and more: the real span');
  t.equal(rate.measure(t0 + 10_999), 10_000 / 10.999);
  t.equal(rate.windowSize(t0 + 15_500), 10_500, 'a sample without an event for 11 windows is dropped: measured from the next');
  t.equal(rate.measure(t0 + 15_500), 5000 / 10.5);
  t.equal(rate.measure(t0 + 16_000), 0, 'all expired');
});

t.test("the most specific of Kafka's eight levels applies, and the throttle time is Kafka's", async t => {
  const store = new ClientQuotaStore();
  const quotas = new ClientQuotaManager(store, 'producer_byte_rate', 11, 1000);
  t.equal(quotas.enabled, false);
  t.equal(quotas.record('U', 'app', 1e9, 0), 0, 'no quota: never throttled');
  const levels: [Pair[], number][] = [
    [[['client-id', null]], 8],
    [[['client-id', 'app']], 7],
    [[['user', null]], 6],
    [[['user', null], ['client-id', null]], 5],
    [[['user', null], ['client-id', 'app']], 4],
    [[['user', 'U']], 3],
    [[['user', 'U'], ['client-id', null]], 2],
    [[['user', 'U'], ['client-id', 'app']], 1],
  ];
  for (const [pairs, level] of levels) {
    setIn(store, pairs, 'producer_byte_rate', level * 100);
    t.equal(quotas.quotaFor('U', 'app'), level * 100, `level ${level} (${JSON.stringify(pairs)}) wins over the ones set before`);
  }
  t.equal(quotas.enabled, true);
  t.equal(quotas.quotaFor('V', 'app'), 400, 'another user: <default user, client-id>');
  t.equal(quotas.quotaFor('V', 'other'), 500, 'another user and client id: <default user, default client-id>');
  t.equal(quotas.quotaFor('U', 'other'), 200, 'another client id of the user: <user, default client-id>');
  setIn(store, [['user', 'W']], 'consumer_byte_rate', 1);
  t.equal(quotas.quotaFor('W', 'app'), 400, 'a quota of another kind does not count');

  // 5000 bytes at once against 100 B/s: 500 B/s over the 10 s minimum window, 4 times the quota
  const only = new ClientQuotaStore();
  const one = new ClientQuotaManager(only, 'producer_byte_rate', 11, 1000);
  setIn(only, [['client-id', 'app']], 'producer_byte_rate', 100);
  t.equal(one.record('U', 'app', 5000, 0), 40_000, '(500 - 100) / 100 × 10 s');
  t.equal(one.record('U', 'other', 900, 0), 0, 'another client id has no quota');
  t.equal(one.maxValueInQuotaWindow('U', 'app'), 100 * 10, 'the most one response may take: quota × (samples - 1) windows');
});

t.test('without quotas nothing is measured and throttle_time_ms is 0', async t => {
  const b = await testBroker(t);
  const c = await testClient(t, b);
  await createTopic(c, 'free', 1);
  for (let i = 0; i < 3; i++) {
    const p = await c.request(0, 9, produceBody('free', bigBatch(`f${i}`)));
    t.same([p.throttleTimeMs, p.responses[0].partitionResponses[0].errorCode], [0, 0]);
  }
  const f = await c.request(1, 12, fetchBody('free', 0));
  t.equal(f.throttleTimeMs, 0);
  t.equal(valuesOf(f.responses[0].partitions[0].records).length, 120);
  t.equal(b.broker.quotas.produce.enabled, false, 'produce measures nothing');
  await setQuota(c, [['client-id', 'someone-else']], 'consumer_byte_rate', 1);
  t.equal(b.broker.quotas.produce.enabled, false, 'a consumer quota does not make produce measure');
  t.equal(b.broker.quotas.fetch.enabled, true);
});

t.test('producer_byte_rate of User:ANONYMOUS: throttled, muted for the throttle time, nothing lost', async t => {
  const clock = new ManualClock(Date.now());
  const b = await testBroker(t, { clock });
  const c = await testClient(t, b);
  await createTopic(c, 'slow', 1);
  // without authentication every client is User:ANONYMOUS
  await setQuota(c, [['user', 'ANONYMOUS']], 'producer_byte_rate', 1000);
  const first = produceBody('slow', bigBatch('p0'));
  const size = frameSize(first);
  t.ok(size > 20_000, `a ${size}-byte request`);
  const p = await c.request(0, 9, first);
  t.equal(p.responses[0].partitionResponses[0].errorCode, 0, 'the batch is taken');
  // Kafka: rate = size over the 10 s minimum window; throttle = (rate - quota) / quota × window
  t.equal(p.throttleTimeMs, Math.round(((size / 10 - 1000) / 1000) * 10_000), 'throttle_time_ms as Kafka computes it');

  // the connection is muted: a request sent now waits until the throttle time has passed
  const waiting = c.send(18, 0, body(18));
  const other = await testClient(t, b);
  t.equal((await other.call(18, 0)).errorCode, 0, 'another connection is answered');
  t.equal(c.buffered, 0, 'the throttled connection is not');
  clock.advance(p.throttleTimeMs - 1);
  t.equal((await other.call(18, 0)).errorCode, 0);
  t.equal(c.buffered, 0, 'not a millisecond early');
  clock.advance(1);
  const frame = await c.nextFrame();
  t.equal(TestClient.decode<any>(frame!, 18, 0, waiting).errorCode, 0, 'answered once the throttle time has passed');

  let throttled = 1;
  for (let i = 1; i < 6; i++) {
    const r = await c.request(0, 9, produceBody('slow', bigBatch(`p${i}`)));
    t.equal(r.responses[0].partitionResponses[0].errorCode, 0, `batch ${i} is taken`);
    if (r.throttleTimeMs > 0) {
      throttled++;
      clock.advance(r.throttleTimeMs);
    }
  }
  t.ok(throttled > 1, `${throttled} of 6 produce requests throttled`);
  t.equal(await latest(c, 'slow'), 240, 'every record was appended');
  const f = await c.request(1, 12, fetchBody('slow', 0));
  const values = valuesOf(f.responses[0].partitions[0].records);
  t.equal(values.length, 240);
  t.same(values.filter((_, i) => i % 40 === 0).map(v => v.slice(0, 5)), ['p0-00', 'p1-00', 'p2-00', 'p3-00', 'p4-00', 'p5-00'], 'in order');
});

t.test('acks=0 over the quota: no response, and the connection is muted all the same', async t => {
  const clock = new ManualClock(Date.now());
  const b = await testBroker(t, { clock });
  const c = await testClient(t, b);
  await createTopic(c, 'fire', 1);
  await setQuota(c, [['client-id', 'samsa-test']], 'producer_byte_rate', 100);
  const req = produceBody('fire', bigBatch('a0'), 0);
  const expected = Math.round(((frameSize(req) / 10 - 100) / 100) * 10_000);
  c.send(0, 9, req);
  const waiting = c.send(18, 0, body(18));
  const other = await testClient(t, b);
  t.equal(await latest(other, 'fire'), 40, 'the batch is appended');
  t.equal(c.buffered, 0, 'no answer to the produce, and the next request waits');
  clock.advance(expected - 1);
  t.equal(await latest(other, 'fire'), 40);
  t.equal(c.buffered, 0);
  clock.advance(1);
  const frame = await c.nextFrame();
  t.equal(TestClient.decode<any>(frame!, 18, 0, waiting).errorCode, 0, 'answered after the throttle time');
});

t.test('consumer_byte_rate: a throttled fetch is answered empty at once; every record is read in the end', async t => {
  const clock = new ManualClock(Date.now());
  const b = await testBroker(t, { clock });
  const c = await testClient(t, b);
  await createTopic(c, 'feed', 1);
  for (let i = 0; i < 10; i++) {
    const values = Array.from({ length: 10 }, (_, j) => `r${i * 10 + j}-${'y'.repeat(480)}`);
    await c.request(0, 9, produceBody('feed', batch(values)));
  }
  await setQuota(c, [['client-id', 'samsa-test']], 'consumer_byte_rate', 2000);
  const read: string[] = [];
  let throttled = 0;
  let largest = 0;
  for (let i = 0; i < 200 && read.length < 100; i++) {
    const f = await c.request(1, 12, fetchBody('feed', read.length));
    t.equal(f.errorCode, 0);
    if (f.throttleTimeMs > 0) {
      throttled++;
      if (f.responses.length !== 0) t.fail('a throttled fetch carries no data');
      clock.advance(f.throttleTimeMs);
      continue;
    }
    const records = f.responses[0].partitions[0].records as Buffer;
    largest = Math.max(largest, records.length);
    read.push(...valuesOf(records).map(v => v.split('-')[0]!));
  }
  t.ok(throttled > 0, `${throttled} fetches throttled`);
  t.same(read, Array.from({ length: 100 }, (_, i) => `r${i}`), 'every record, once, in order');
  t.ok(largest <= 2000 * 10, `no response above the quota's window (largest ${largest} bytes)`);
});

t.test('over the wire the most specific quota applies; the window configs are read', async t => {
  const clock = new ManualClock(Date.now());
  const b = await testBroker(t, { clock, config: { 'quota.window.num': 3, 'quota.window.size.seconds': 2 } });
  const c = await testClient(t, b);
  await createTopic(c, 'mix', 1);
  await setQuota(c, [['user', 'ANONYMOUS'], ['client-id', 'slow']], 'producer_byte_rate', 100);
  await setQuota(c, [['user', null]], 'producer_byte_rate', 1e9);
  await setQuota(c, [['client-id', null]], 'producer_byte_rate', 50);
  const req = produceBody('mix', bigBatch('m'));
  const slow = await callAs(c, 'slow', 0, 9, req);
  // two 2 s windows at least: the rate is the size over 4 s
  t.equal(slow.throttleTimeMs, Math.round(((frameSize(req, 'slow') / 4 - 100) / 100) * 4000), '<ANONYMOUS, slow> at 100 B/s');
  clock.advance(slow.throttleTimeMs);
  const fast = await callAs(c, 'fast', 0, 9, req);
  t.equal(fast.throttleTimeMs, 0, 'another client id: the default user quota (1e9), not the default client-id one (50)');
  t.equal(b.broker.quotas.produce.quotaFor('ANONYMOUS', 'fast'), 1e9);
});
