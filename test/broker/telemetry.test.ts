// GetTelemetrySubscriptions (71) and PushTelemetry (72) as Kafka 4.1 serves them with no
// client-telemetry reporter configured: not advertised, answered by the client metrics manager
// (instance ids, the default subscription, throttling by the push interval, Kafka's push checks),
// accepted pushes counted and dropped; client-metrics subscriptions made with
// IncrementalAlterConfigs matched against client instances (ClientMetricsManager).
/* eslint-disable @typescript-eslint/no-explicit-any -- responses decoded from the specs at run time */
import t from 'tap';
import { testBroker, testClient } from '../helpers/broker.js';
import { TestClient } from '../helpers/client.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import { ManualClock } from '../../src/index.js';
import { ZERO_UUID } from '../../src/protocol/wire.js';
import { javaHostAddress, telemetryOf } from '../../src/broker/telemetry.js';
import { crc32c } from '@node-rs/crc32';

const get = (c: TestClient, clientInstanceId = ZERO_UUID) => c.call(71, 0, { clientInstanceId });
/** GetTelemetrySubscriptions with a client id of its own in the request header. */
async function getAs(c: TestClient, clientId: string, clientInstanceId = ZERO_UUID): Promise<any> {
  const correlationId = c.send(71, 0, { clientInstanceId }, clientId);
  return TestClient.decode((await c.nextFrame())!, 71, 0, correlationId);
}
const push = (c: TestClient, fields: { clientInstanceId: string; subscriptionId: number; terminating?: boolean; compressionType?: number; metrics?: Buffer }) =>
  c.call(72, 0, { terminating: false, compressionType: 0, metrics: Buffer.from('otlp'), ...fields });

async function setup(t: { teardown(fn: () => unknown): void }) {
  const clock = new ManualClock();
  const b = await testBroker(t, { clock });
  const c = await testClient(t, b);
  return { b, c, clock };
}

t.test('not advertised, as Kafka without a client-telemetry reporter; answered all the same', async t => {
  const { c } = await setup(t);
  const versions = await c.call(18, 4, { clientSoftwareName: 'samsa-test', clientSoftwareVersion: '1' });
  t.notOk(versions.apiKeys.some((k: any) => k.apiKey === 71 || k.apiKey === 72));
  const r = await get(c);
  t.equal(r.errorCode, 0);
});

t.test('GetTelemetrySubscriptions: a new instance id, the default subscription, Kafka’s subscription id', async t => {
  const { c } = await setup(t);
  const r = await get(c);
  t.equal(r.errorCode, 0);
  t.not(r.clientInstanceId, ZERO_UUID, 'a new client instance id');
  t.same(r.requestedMetrics, [], 'no subscriptions configured: no metrics requested');
  t.same(r.acceptedCompressionTypes, [4, 3, 1, 2], 'zstd, lz4, gzip, snappy');
  t.equal(r.pushIntervalMs, 300000);
  t.equal(r.telemetryMaxBytes, 1048576);
  t.equal(r.deltaTemporality, true);
  t.equal(r.throttleTimeMs, 0);
  // an id of the client's own: CRC32C("[]300000") = 0xd4c75bde, XORed with the id's Java hash
  // (for ...AAg, words 0, 0, 0, 2: hash 2), computed independently of Samsa's code
  const own = await get(c, 'AAAAAAAAAAAAAAAAAAAAAg');
  t.equal(own.clientInstanceId, 'AAAAAAAAAAAAAAAAAAAAAg', 'a client that has an id keeps it');
  t.equal(own.subscriptionId, -725132324);
  const other = await get(c, 'Zm9vYmFyYmF6cXV4MTIzNA');
  t.equal(other.subscriptionId, -1734799215);
});

t.test('GetTelemetrySubscriptions again within the push interval: THROTTLING_QUOTA_EXCEEDED', async t => {
  const { c, clock } = await setup(t);
  const first = await get(c);
  const id = first.clientInstanceId;
  const again = await get(c, id);
  t.equal(again.errorCode, ErrorCode.THROTTLING_QUOTA_EXCEEDED);
  t.same([again.clientInstanceId, again.subscriptionId], [ZERO_UUID, 0], 'an error answer carries nothing else');
  clock.advance(299_999);
  t.equal((await get(c, id)).errorCode, ErrorCode.THROTTLING_QUOTA_EXCEEDED);
  clock.advance(1);
  const later = await get(c, id);
  t.same([later.errorCode, later.subscriptionId], [0, first.subscriptionId], 'after the interval: the same subscription');
});

t.test('PushTelemetry: accepted once after a subscription fetch, then at the push interval; counted and dropped', async t => {
  const { b, c, clock } = await setup(t);
  const s = await get(c);
  const id = s.clientInstanceId;
  const telemetry = telemetryOf(b.broker);
  t.equal((await push(c, { clientInstanceId: id, subscriptionId: s.subscriptionId })).errorCode, 0, 'the push after GetTelemetrySubscriptions');
  t.same([telemetry.acceptedPushes, telemetry.acceptedBytes], [1, 4]);
  t.equal((await push(c, { clientInstanceId: id, subscriptionId: s.subscriptionId })).errorCode, ErrorCode.THROTTLING_QUOTA_EXCEEDED, 'too soon');
  clock.advance(300_000);
  t.equal((await push(c, { clientInstanceId: id, subscriptionId: s.subscriptionId, compressionType: 4 })).errorCode, 0, 'a push interval later');
  t.equal(telemetry.acceptedPushes, 2);
  // a terminating push is not throttled; after it the instance accepts nothing
  t.equal((await push(c, { clientInstanceId: id, subscriptionId: s.subscriptionId, terminating: true, metrics: Buffer.alloc(0) })).errorCode, 0, 'terminating');
  t.equal(telemetry.acceptedPushes, 2, 'an empty push is not exported');
  clock.advance(300_000);
  t.equal((await push(c, { clientInstanceId: id, subscriptionId: s.subscriptionId })).errorCode, ErrorCode.INVALID_REQUEST, 'nothing after a terminating push');
});

t.test("PushTelemetry's checks, in Kafka's order", async t => {
  const { b, c } = await setup(t);
  const telemetry = telemetryOf(b.broker);
  t.equal((await push(c, { clientInstanceId: ZERO_UUID, subscriptionId: 0 })).errorCode, ErrorCode.INVALID_REQUEST, 'the zero id');
  t.equal((await push(c, { clientInstanceId: 'AAAAAAAAAAAAAAAAAAAAAQ', subscriptionId: 0 })).errorCode, ErrorCode.INVALID_REQUEST, 'the reserved id 1');
  let s = await get(c);
  t.equal((await push(c, { clientInstanceId: s.clientInstanceId, subscriptionId: s.subscriptionId + 1 })).errorCode, ErrorCode.UNKNOWN_SUBSCRIPTION_ID);
  // after UNKNOWN_SUBSCRIPTION_ID the client may fetch its subscription again at once
  t.equal((await get(c, s.clientInstanceId)).errorCode, 0, 'not throttled after UNKNOWN_SUBSCRIPTION_ID');
  t.equal((await push(c, { clientInstanceId: s.clientInstanceId, subscriptionId: s.subscriptionId })).errorCode, ErrorCode.THROTTLING_QUOTA_EXCEEDED, 'but its next push waits for the interval');
  s = await get(c);
  t.equal((await push(c, { clientInstanceId: s.clientInstanceId, subscriptionId: s.subscriptionId, compressionType: 5 })).errorCode, ErrorCode.UNSUPPORTED_COMPRESSION_TYPE);
  t.equal((await get(c, s.clientInstanceId)).errorCode, 0, 'not throttled after UNSUPPORTED_COMPRESSION_TYPE');
  s = await get(c);
  t.equal(
    (await push(c, { clientInstanceId: s.clientInstanceId, subscriptionId: s.subscriptionId, metrics: Buffer.alloc(1024 * 1024 + 1) })).errorCode,
    ErrorCode.TELEMETRY_TOO_LARGE,
  );
  t.equal((await get(c, s.clientInstanceId)).errorCode, ErrorCode.THROTTLING_QUOTA_EXCEEDED, 'throttled after TELEMETRY_TOO_LARGE');
  // the interval is checked before the subscription: a too-early push with a wrong id is throttled
  s = await get(c);
  t.equal((await push(c, { clientInstanceId: s.clientInstanceId, subscriptionId: s.subscriptionId })).errorCode, 0);
  t.equal((await push(c, { clientInstanceId: s.clientInstanceId, subscriptionId: 12345 })).errorCode, ErrorCode.THROTTLING_QUOTA_EXCEEDED);
  t.equal(telemetry.acceptedPushes, 1, 'only the good push was accepted');
  // a client pushing without ever fetching its subscription: an instance is made, the push checked
  const direct = await push(c, { clientInstanceId: 'AAAAAAAAAAAAAAAAAAAAAg', subscriptionId: -725132324 });
  t.equal(direct.errorCode, 0);
});

// ---- client-metrics subscriptions ---------------------------------------------------------------

const CLIENT_METRICS = 16;
const SET = 0;
const DELETE = 1;

/** A client-metrics subscription made (or changed) with IncrementalAlterConfigs v1. */
async function subscribe(c: TestClient, name: string, configs: Record<string, string | null>): Promise<void> {
  const res = await c.call(44, 1, {
    resources: [
      {
        resourceType: CLIENT_METRICS,
        resourceName: name,
        configs: Object.entries(configs).map(([key, value]) => ({ name: key, configOperation: value === null ? DELETE : SET, value })),
      },
    ],
    validateOnly: false,
  });
  if (res.responses[0].errorCode !== 0) throw new Error(`subscription ${name}: error ${res.responses[0].errorCode} ${res.responses[0].errorMessage}`);
}

// Java's String.hashCode of the metric names used below, its HashMap spread (h ^ h >>> 16) and
// the bucket that gives in a table of 16 (spread & 15), computed with a JVM, not with Samsa:
//   "org.apache.kafka.producer." hash 0xd7ee87be, spread 0xd7ee5050, bucket 0
//   "org.apache.kafka.consumer." hash 0xfd885fda, spread 0xfd88a252, bucket 2
//   "org.apache.kafka.client."   hash 0xdf23bb25, spread 0xdf236406, bucket 6
//   "*"                          hash 0x0000002a, spread 0x0000002a, bucket 10
// A HashSet of up to 12 names iterates its 16 buckets in order, so its toString puts producer.
// before consumer. and client., whatever order the subscription listed them in.
const PRODUCER = 'org.apache.kafka.producer.';
const CONSUMER = 'org.apache.kafka.consumer.';
const CLIENT = 'org.apache.kafka.client.';
/** Kafka's subscription id from the set's toString written out by hand; `idHash` is the instance id's Uuid.hashCode. */
const subscriptionId = (setToString: string, intervalMs: number, idHash: number) => (crc32c(Buffer.from(`${setToString}${intervalMs}`)) ^ idHash) | 0;
// instance ids of the client's own, with Uuid.hashCode (the XOR of the four int words) 2 and 3
const ID2 = 'AAAAAAAAAAAAAAAAAAAAAg';
const ID3 = 'AAAAAAAAAAAAAAAAAAAAAw';

t.test('a subscription with no match patterns applies to every client: its metrics and interval, Kafka’s subscription id', async t => {
  const { c } = await setup(t);
  await subscribe(c, 'producers', { metrics: PRODUCER, 'interval.ms': '60000' });
  const r = await get(c, ID2);
  t.equal(r.errorCode, 0);
  t.same(r.requestedMetrics, [PRODUCER]);
  t.equal(r.pushIntervalMs, 60000);
  t.same([r.acceptedCompressionTypes, r.telemetryMaxBytes, r.deltaTemporality], [[4, 3, 1, 2], 1048576, true], 'the rest as without subscriptions');
  // one element: "[org.apache.kafka.producer.]60000"; a JVM gives CRC32C -1007962656, XOR 2
  t.equal(r.subscriptionId, subscriptionId('[org.apache.kafka.producer.]', 60000, 2));
  t.equal(r.subscriptionId, -1007962654, 'the value a JVM computes');
  const other = await getAs(c, 'another-app');
  t.same([other.requestedMetrics, other.pushIntervalMs], [[PRODUCER], 60000], 'any client id');
  // a subscription with only an interval asks for no metrics, but still sets the interval
  await subscribe(c, 'slow', { 'interval.ms': '120000' });
  const fresh = await get(c, ID3);
  t.same([fresh.requestedMetrics, fresh.pushIntervalMs, fresh.subscriptionId], [[PRODUCER], 60000, subscriptionId('[org.apache.kafka.producer.]', 60000, 3)]);
});

t.test('match patterns: client_id regexes must match the whole id; source address and port; instance id', async t => {
  const { c } = await setup(t);
  await subscribe(c, 'test-clients', { metrics: PRODUCER, 'interval.ms': '60000', match: 'client_id=samsa-.*' });
  // a regex that finds "samsa" in "samsa-test" but does not match all of it
  await subscribe(c, 'prefix-only', { metrics: CONSUMER, 'interval.ms': '1000', match: 'client_id=samsa' });
  const mine = await getAs(c, 'samsa-test');
  t.same([mine.requestedMetrics, mine.pushIntervalMs], [[PRODUCER], 60000], 'client_id=samsa-.* matches samsa-test; client_id=samsa does not');
  const other = await getAs(c, 'other-app');
  t.same([other.requestedMetrics, other.pushIntervalMs], [[], 300000], 'other-app matches neither: the defaults');
  t.equal(other.subscriptionId, subscriptionId('[]', 300000, uuidHashOf(other.clientInstanceId)));
  // every pattern of a subscription must match
  await subscribe(c, 'local', { metrics: CLIENT, match: 'client_source_address=127\\.0\\.0\\.1,client_source_port=[0-9]+' });
  await subscribe(c, 'local-other-app', { metrics: CONSUMER, match: 'client_source_address=127\\.0\\.0\\.1,client_id=nobody' });
  t.same((await getAs(c, 'other-app')).requestedMetrics, [CLIENT], 'from 127.0.0.1, on some port');
  await subscribe(c, 'one-instance', { metrics: '*', match: `client_instance_id=${ID3}` });
  t.same((await getAs(c, 'other-app', ID3)).requestedMetrics, ['*'], 'the instance named');
  t.same((await getAs(c, 'other-app', ID2)).requestedMetrics, [CLIENT], 'not another');
});

/** Uuid.hashCode of an id in Kafka's base64 form, written out: the XOR of its four big-endian ints. */
function uuidHashOf(id: string): number {
  const b = Buffer.from(id, 'base64url');
  return b.readInt32BE(0) ^ b.readInt32BE(4) ^ b.readInt32BE(8) ^ b.readInt32BE(12);
}

t.test('several subscriptions: the union of their metrics in HashSet order, the shortest interval; "*" stands for all', async t => {
  const { c } = await setup(t);
  // listed consumer first; the set iterates producer. (bucket 0) before consumer. (bucket 2)
  await subscribe(c, 'a', { metrics: `${CONSUMER},${PRODUCER}`, 'interval.ms': '120000' });
  await subscribe(c, 'b', { metrics: `${PRODUCER},${CLIENT}`, 'interval.ms': '60000' });
  await subscribe(c, 'c', { 'interval.ms': '1000', match: 'client_id=nobody' });
  const r = await get(c, ID2);
  // union: producer. (bucket 0), consumer. (bucket 2), client. (bucket 6); producer. once
  t.same(r.requestedMetrics, [PRODUCER, CONSUMER, CLIENT]);
  t.equal(r.pushIntervalMs, 60000, 'the shortest interval of the subscriptions matched (c is not)');
  t.equal(r.subscriptionId, subscriptionId('[org.apache.kafka.producer., org.apache.kafka.consumer., org.apache.kafka.client.]', 60000, 2));

  // two elements, one subscription: "[org.apache.kafka.producer., org.apache.kafka.consumer.]"
  await subscribe(c, 'b', { metrics: null, 'interval.ms': null });
  const two = await get(c, ID3);
  t.same([two.requestedMetrics, two.pushIntervalMs], [[PRODUCER, CONSUMER], 120000]);
  t.equal(two.subscriptionId, subscriptionId('[org.apache.kafka.producer., org.apache.kafka.consumer.]', 120000, 3));
  t.equal(two.subscriptionId, -1392581788, 'the value a JVM computes (CRC32C -1392581785, XOR 3)');

  // "*" in any matched subscription: the metrics are just "*"
  await subscribe(c, 'everything', { metrics: `${CLIENT},*`, 'interval.ms': '300000' });
  const all = await getAs(c, 'x', ZERO_UUID);
  t.same([all.requestedMetrics, all.pushIntervalMs], [['*'], 120000]);
  t.equal(all.subscriptionId, subscriptionId('[*]', 120000, uuidHashOf(all.clientInstanceId)));
});

t.test('a subscription change re-evaluates an instance: the old subscription id is UNKNOWN_SUBSCRIPTION_ID', async t => {
  const { b, c, clock } = await setup(t);
  const telemetry = telemetryOf(b.broker);
  await subscribe(c, 'producers', { metrics: PRODUCER, 'interval.ms': '60000' });
  const before = await get(c, ID2);
  t.equal((await push(c, { clientInstanceId: ID2, subscriptionId: before.subscriptionId })).errorCode, 0, 'pushed with its subscription');
  // setting a value to what it is writes no config record in Kafka: the instance is kept, and a
  // second push within the interval is throttled
  await subscribe(c, 'producers', { metrics: PRODUCER });
  t.equal((await push(c, { clientInstanceId: ID2, subscriptionId: before.subscriptionId })).errorCode, ErrorCode.THROTTLING_QUOTA_EXCEEDED, 'a repeated value is no change');

  await subscribe(c, 'producers', { metrics: `${PRODUCER},${CONSUMER}` });
  // the instance is made again on its next request: fresh timestamps, so the push (still within
  // the interval) is not throttled, but its subscription id is no longer the instance's
  t.equal((await push(c, { clientInstanceId: ID2, subscriptionId: before.subscriptionId })).errorCode, ErrorCode.UNKNOWN_SUBSCRIPTION_ID);
  const after = await get(c, ID2);
  t.equal(after.errorCode, 0, 'not throttled after UNKNOWN_SUBSCRIPTION_ID');
  t.same([after.requestedMetrics, after.pushIntervalMs], [[PRODUCER, CONSUMER], 60000]);
  t.equal(after.subscriptionId, subscriptionId('[org.apache.kafka.producer., org.apache.kafka.consumer.]', 60000, 2));
  // the refused push counted as one for the interval (Kafka's order of checks)
  t.equal((await push(c, { clientInstanceId: ID2, subscriptionId: after.subscriptionId })).errorCode, ErrorCode.THROTTLING_QUOTA_EXCEEDED, 'the next push waits for the interval');
  clock.advance(60_000);
  t.equal((await push(c, { clientInstanceId: ID2, subscriptionId: after.subscriptionId })).errorCode, 0, 'then the new id is accepted');
  const accepted = telemetry.acceptedPushes;

  // removing the subscription (all its configs deleted) is a change too
  await subscribe(c, 'producers', { metrics: null, 'interval.ms': null });
  t.equal((await push(c, { clientInstanceId: ID2, subscriptionId: after.subscriptionId, terminating: true })).errorCode, ErrorCode.UNKNOWN_SUBSCRIPTION_ID);
  const none = await get(c, ID2);
  t.same([none.errorCode, none.requestedMetrics, none.pushIntervalMs, none.subscriptionId], [0, [], 300000, -725132324], 'the defaults again');
  t.equal(telemetry.acceptedPushes, accepted, 'nothing taken with an unknown id');
});

t.test('client_source_address is matched as Java writes the address (InetAddress.getHostAddress)', async t => {
  // the right-hand sides are what a JVM prints for the addresses on the left
  const java: [string, string][] = [
    ['127.0.0.1', '127.0.0.1'],
    ['::1', '0:0:0:0:0:0:0:1'],
    ['::', '0:0:0:0:0:0:0:0'],
    ['2001:db8::ff00:42:8329', '2001:db8:0:0:0:ff00:42:8329'],
    ['2001:0db8:0000:0000:0000:0000:0000:0001', '2001:db8:0:0:0:0:0:1'],
    ['64:ff9b::192.0.2.33', '64:ff9b:0:0:0:0:c000:221'],
    ['::ffff:10.1.2.3', '10.1.2.3'],
  ];
  t.same(
    java.map(([address]) => [address, javaHostAddress(address)]),
    java,
  );
});

t.test('client_software_name and client_software_version: those of the connection’s ApiVersions v3+', async t => {
  const { b, c } = await setup(t);
  await subscribe(c, 'by-software', { metrics: PRODUCER, match: 'client_software_name=samsa-.*,client_software_version=1\\..*' });
  t.same((await get(c)).requestedMetrics, [], 'no ApiVersions v3 on this connection yet: no software to match');
  const named = await testClient(t, b);
  await named.call(18, 3, { clientSoftwareName: 'samsa-tests', clientSoftwareVersion: '1.2.3' });
  t.same((await get(named)).requestedMetrics, [PRODUCER], 'matched after ApiVersions v3 named the software');
  const other = await testClient(t, b);
  await other.call(18, 3, { clientSoftwareName: 'samsa-tests', clientSoftwareVersion: '2.0.0' });
  t.same((await get(other)).requestedMetrics, [], 'another version does not match');
});
