// GetTelemetrySubscriptions (71) and PushTelemetry (72) as Kafka 4.1 serves them with no
// client-telemetry reporter configured: not advertised, answered by the client metrics manager
// (instance ids, the default subscription, throttling by the push interval, Kafka's push checks),
// accepted pushes counted and dropped.
/* eslint-disable @typescript-eslint/no-explicit-any -- responses decoded from the specs at run time */
import t from 'tap';
import { testBroker, testClient } from '../helpers/broker.js';
import type { TestClient } from '../helpers/client.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import { ManualClock } from '../../src/index.js';
import { ZERO_UUID } from '../../src/protocol/wire.js';
import { telemetryOf } from '../../src/broker/telemetry.js';

const get = (c: TestClient, clientInstanceId = ZERO_UUID) => c.call(71, 0, { clientInstanceId });
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
