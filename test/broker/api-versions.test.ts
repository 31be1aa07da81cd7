// ApiVersions: the advertised keys are exactly the built ones, a too-new version is answered at
// v0 with UNSUPPORTED_VERSION, and bad client software names are refused.
import t from 'tap';
import { testBroker, testClient } from '../helpers/broker.js';
import { TestClient, requestFrame } from '../helpers/client.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import { HANDLERS } from '../../src/broker/handlers/index.js';

t.test('lists the built APIs with Kafka 4.1 version ranges', async t => {
  const b = await testBroker(t);
  const c = await testClient(t, b);
  for (const v of [0, 1, 2, 3, 4]) {
    const res = await c.call(18, v, { clientSoftwareName: 'samsa-test', clientSoftwareVersion: '1.0' });
    t.equal(res.errorCode, 0, `v${v} error code`);
    const keys = res.apiKeys.map((k: { apiKey: number }) => k.apiKey).sort((a: number, b: number) => a - b);
    // less the telemetry APIs (71, 72), which Kafka 4.1 answers but, with no client-telemetry
    // reporter configured, does not advertise
    const built = [...HANDLERS.values()].filter(h => h.handle && h.apiKey !== 71 && h.apiKey !== 72).map(h => h.apiKey).sort((a, b) => a - b);
    t.same(keys, built, `v${v} advertises the built APIs`);
    const produce = res.apiKeys.find((k: { apiKey: number }) => k.apiKey === 0);
    t.same([produce.minVersion, produce.maxVersion], [0, 13], 'Produce advertised 0-13 as Kafka 4 does');
    const fetch = res.apiKeys.find((k: { apiKey: number }) => k.apiKey === 1);
    t.same([fetch.minVersion, fetch.maxVersion], [4, 18], 'Fetch 4-18');
  }
});

t.test('a version newer than known is answered at v0 with UNSUPPORTED_VERSION', async t => {
  const b = await testBroker(t);
  const c = await testClient(t, b);
  // a v5 request from a future client: flexible header, body the broker cannot know
  const frame = requestFrame(18, 4, 77, { clientSoftwareName: 'future', clientSoftwareVersion: '9' });
  frame.writeInt16BE(5, 6);
  c.write(frame);
  const res = TestClient.decode<any>((await c.nextFrame())!, 18, 0, 77);
  t.equal(res.errorCode, ErrorCode.UNSUPPORTED_VERSION);
  t.ok(res.apiKeys.some((k: { apiKey: number; maxVersion: number }) => k.apiKey === 18 && k.maxVersion === 4), 'lists ApiVersions 0-4');
  // the connection still works
  const ok = await c.call(18, 3, { clientSoftwareName: 'samsa-test', clientSoftwareVersion: '1' });
  t.equal(ok.errorCode, 0);
});

t.test('client software names Kafka refuses get INVALID_REQUEST', async t => {
  const b = await testBroker(t);
  const c = await testClient(t, b);
  const res = await c.call(18, 3, { clientSoftwareName: 'bad name!', clientSoftwareVersion: '1.0' });
  t.equal(res.errorCode, ErrorCode.INVALID_REQUEST);
});
