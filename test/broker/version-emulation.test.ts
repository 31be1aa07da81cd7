// Version emulation (kafkaVersion / --kafka-version): ApiVersions advertises what both Samsa and the
// release's broker serve, requests beyond that are treated as unsupported versions, the feature
// levels are the release's, and kcat (librdkafka) and kafkajs adapt and work, never sending more
// than the emulated release advertised.
/* eslint-disable @typescript-eslint/no-explicit-any -- responses decoded from the specs at run time */
import t from 'tap';
import { Writable } from 'node:stream';
import pino from 'pino';
import { Kafka, Partitioners, logLevel } from 'kafkajs';
import { testBroker, testClient, waitFor } from '../helpers/broker.js';
import { TestClient, requestFrame } from '../helpers/client.js';
import { crossClientTest } from '../helpers/cross-client.js';
import { runProcess, unavailable } from '../helpers/processes.js';
import { SamsaProcess } from '../helpers/samsa-process.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import { API_SPECS } from '../../src/protocol/messages/index.js';
import { HANDLERS } from '../../src/broker/handlers/index.js';
import { KAFKA_VERSIONS, kafkaRelease } from '../../src/cluster/kafka-versions.js';
import { startBroker } from '../../src/index.js';

const apiVersions = (c: TestClient, v = 3) => c.call(18, v, { clientSoftwareName: 'samsa-test', clientSoftwareVersion: '1' });
const rangeOf = (res: any, key: number): [number, number] | undefined => {
  const k = res.apiKeys.find((x: any) => x.apiKey === key);
  return k === undefined ? undefined : [k.minVersion, k.maxVersion];
};

t.test('the release table: 2.0 to 4.1, the 4.1 column equal to Samsa’s own ranges, versions never going back', async t => {
  t.same(KAFKA_VERSIONS, ['2.0', '2.1', '2.2', '2.3', '2.4', '2.5', '2.6', '2.7', '2.8', '3.0', '3.1', '3.2', '3.3', '3.4', '3.5', '3.6', '3.7', '3.8', '3.9', '4.0', '4.1']);
  const latest = kafkaRelease('4.1');
  for (const spec of API_SPECS) {
    t.same(latest.answered.get(spec.key), [spec.minVersion, spec.maxVersion], `${spec.name}: Kafka 4.1 answers what Samsa's spec says`);
  }
  for (const key of new Set(KAFKA_VERSIONS.flatMap(v => [...kafkaRelease(v).answered.keys()]))) {
    let last = -1;
    for (const v of KAFKA_VERSIONS) {
      const range = kafkaRelease(v).answered.get(key);
      if (range === undefined) {
        t.equal(last, -1, `API ${key} is not dropped in ${v}`);
        continue;
      }
      t.ok(range[1] >= last, `API ${key}: ${v}'s highest version ${range[1]} is not below ${last}`);
      last = range[1];
    }
  }
  t.same(kafkaRelease('2.8.2').version, '2.8', 'a patch release is its minor release');
  t.throws(() => kafkaRelease('1.1'), { message: `unknown Kafka version "1.1": Samsa can emulate ${KAFKA_VERSIONS.join(', ')}` });
  t.throws(() => kafkaRelease('latest'), /unknown Kafka version "latest": Samsa can emulate 2\.0, 2\.1, .*, 4\.1$/);
  await t.rejects(startBroker({ port: 0, kafkaVersion: '5.0' }), { message: /^unknown Kafka version "5\.0": Samsa can emulate 2\.0/ });
});

t.test('2.8: the shared versions, no API the release lacked, ZooKeeper-mode features', async t => {
  const b = await testBroker(t, { kafkaVersion: '2.8' });
  const c = await testClient(t, b);
  const res = await apiVersions(c);
  t.equal(res.errorCode, 0);
  t.same(rangeOf(res, 0), [0, 9], 'Produce 0-9');
  t.same(rangeOf(res, 1), [4, 12], 'Fetch: Samsa from 4, 2.8 to 12');
  t.same(rangeOf(res, 3), [0, 11], 'Metadata 0-11');
  t.same(rangeOf(res, 18), [0, 3], 'ApiVersions 0-3');
  t.same(rangeOf(res, 19), [2, 7], 'CreateTopics 2-7');
  t.same(rangeOf(res, 61), [0, 0], 'DescribeProducers, new in 2.8');
  for (const key of [65, 66, 68, 69, 71, 72, 74, 75]) t.equal(rangeOf(res, key), undefined, `API ${key} is not in 2.8`);
  const built = [...HANDLERS.values()].filter(h => h.handle).map(h => h.apiKey);
  t.ok(res.apiKeys.every((k: any) => built.includes(k.apiKey)), 'only built APIs');
  t.same([res.supportedFeatures, res.finalizedFeatures, Number(res.finalizedFeaturesEpoch)], [[], [], 0], 'no features; the /feature znode at version 0');
});

t.test('requests beyond the emulated release are treated as unsupported versions', async t => {
  const b = await testBroker(t, { kafkaVersion: '2.8' });
  // Metadata v12 is Samsa's but not 2.8's: the connection closes, as for any unsupported version
  const c1 = await testClient(t, b);
  c1.write(requestFrame(3, 12, 7, { topics: null, allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false }));
  t.equal(await c1.nextFrame(), null, 'Metadata v12: closed');
  // an API 2.8 did not have: closed, as for an unknown key
  const c2 = await testClient(t, b);
  c2.write(requestFrame(65, 0, 8, { transactionalIds: ['x'] }));
  t.equal(await c2.nextFrame(), null, 'DescribeTransactions: closed');
  // ApiVersions newer than 2.8's: answered at v0 with UNSUPPORTED_VERSION and the capped list
  const c3 = await testClient(t, b);
  c3.write(requestFrame(18, 4, 9, { clientSoftwareName: 'x', clientSoftwareVersion: '1' }));
  const res = TestClient.decode<any>((await c3.nextFrame())!, 18, 0, 9);
  t.equal(res.errorCode, ErrorCode.UNSUPPORTED_VERSION);
  t.same(rangeOf(res, 18), [0, 3]);
  t.same(rangeOf(res, 3), [0, 11]);
  // the versions 2.8 had still work
  const ok = await c3.call(3, 11, { topics: null, allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false });
  t.equal(ok.errorCode ?? 0, 0);
});

t.test('2.4: ApiVersions v3 without feature fields; 2.0: ApiVersions up to v2', async t => {
  const b24 = await testBroker(t, { kafkaVersion: '2.4' });
  const c24 = await testClient(t, b24);
  const r24 = await apiVersions(c24);
  t.same([r24.supportedFeatures, r24.finalizedFeatures, Number(r24.finalizedFeaturesEpoch)], [[], [], -1], 'before 2.7: no /feature znode');
  t.same(rangeOf(r24, 44), [0, 1], 'IncrementalAlterConfigs 0-1');
  const b20 = await testBroker(t, { kafkaVersion: '2.0' });
  const c20 = await testClient(t, b20);
  const r20 = await apiVersions(c20, 2);
  t.same(rangeOf(r20, 0), [0, 6]);
  t.same(rangeOf(r20, 18), [0, 2]);
  t.same(rangeOf(r20, 23), undefined, 'OffsetForLeaderEpoch: 2.0 had up to v1, Samsa serves from v2');
});

t.test('4.0: KRaft, its features, and UpdateFeatures against its ranges', async t => {
  const b = await testBroker(t, { kafkaVersion: '4.0' });
  const c = await testClient(t, b);
  const res = await apiVersions(c, 4);
  t.same(rangeOf(res, 0), [0, 12], 'Produce 0-12');
  t.same(rangeOf(res, 11), [2, 9], 'JoinGroup from v2 (4.1 brought v0-1 back)');
  t.same(rangeOf(res, 66), [0, 1], 'ListTransactions 0-1');
  t.same(rangeOf(res, 71), undefined, 'telemetry: not advertised');
  const supported = Object.fromEntries(res.supportedFeatures.map((f: any) => [f.name, [f.minVersion, f.maxVersion]]));
  t.same(supported, {
    'eligible.leader.replicas.version': [0, 1],
    'group.version': [0, 1],
    'kraft.version': [0, 1],
    'metadata.version': [7, 25],
    'transaction.version': [0, 2],
  });
  const finalized = Object.fromEntries(res.finalizedFeatures.map((f: any) => [f.name, f.maxVersionLevel]));
  t.same(finalized, { 'group.version': 1, 'metadata.version': 25, 'transaction.version': 2 });
  const up = await c.call(57, 2, { timeoutMs: 1000, featureUpdates: [{ feature: 'metadata.version', maxVersionLevel: 27, upgradeType: 1 }], validateOnly: false });
  t.equal(up.errorCode, ErrorCode.INVALID_UPDATE_VERSION);
  t.match(up.errorMessage, /Invalid update version 27 for feature metadata\.version\. Local controller 0 only supports versions 7-25$/);
  const share = await c.call(57, 2, { timeoutMs: 1000, featureUpdates: [{ feature: 'share.version', maxVersionLevel: 1, upgradeType: 1 }], validateOnly: false });
  t.match(share.errorMessage, /Local controller 0 does not support this feature\.$/, 'share groups were early access in 4.0');
});

t.test('3.7: ConsumerGroupHeartbeat advertised but off (no group.version in ZooKeeper mode); no DescribeTopicPartitions', async t => {
  const b = await testBroker(t, { kafkaVersion: '3.7' });
  const c = await testClient(t, b);
  const res = await apiVersions(c);
  t.same(rangeOf(res, 68), [0, 0]);
  t.same(rangeOf(res, 75), undefined);
  const hb = await c.call(68, 0, {
    groupId: 'g',
    memberId: 'm',
    memberEpoch: 0,
    instanceId: null,
    rackId: null,
    rebalanceTimeoutMs: 30000,
    subscribedTopicNames: ['t'],
    serverAssignor: null,
    topicPartitions: [],
  });
  t.equal(hb.errorCode, ErrorCode.UNSUPPORTED_VERSION);
});

// ---------------------------------------------------------------------------------------------
// Real clients: they adapt to what is advertised, and never send more.

/** A broker emulating `version` whose debug log records every request's API and version. */
async function recordingBroker(t: any, version: string) {
  const requests: { api: string; version: number }[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      for (const line of String(chunk).split('\n')) {
        if (!line) continue;
        const entry = JSON.parse(line);
        if (entry.msg === 'request') requests.push({ api: entry.api, version: entry.version });
      }
      done();
    },
  });
  const b = await testBroker(t, { kafkaVersion: version, logger: pino({ level: 'debug' }, sink) });
  const caps = new Map(kafkaRelease(version).answered);
  const beyond = () =>
    requests.filter(r => {
      const key = API_SPECS.find(s => s.name === r.api)!.key;
      const cap = caps.get(key);
      return cap === undefined || r.version > cap[1] || r.version < cap[0];
    });
  return { b, requests, beyond };
}

const kcat = (args: string[], input = '') => runProcess('kcat', args, { input, timeoutMs: 30_000 });
const kcatMissing = await unavailable('kcat', ['-V']);

for (const version of ['2.0', '2.8', '3.0']) {
  crossClientTest(t, `kcat (librdkafka) against Kafka ${version}: metadata, produce, consume`, 'kcat', kcatMissing, async t => {
    const { b, requests, beyond } = await recordingBroker(t, version);
    const list = await kcat(['-b', b.bootstrap, '-L']);
    t.equal(list.code, 0, list.stderr);
    t.match(list.stdout, /1 brokers:/);
    const produced = await kcat(['-b', b.bootstrap, '-P', '-t', 'emulated'], 'one\ntwo\nthree\n');
    t.equal(produced.code, 0, produced.stderr);
    const consumed = await kcat(['-b', b.bootstrap, '-C', '-t', 'emulated', '-o', 'beginning', '-e', '-q']);
    t.equal(consumed.code, 0, consumed.stderr);
    t.same(consumed.stdout.trim().split('\n'), ['one', 'two', 'three']);
    t.ok(requests.some(r => r.api === 'Produce') && requests.some(r => r.api === 'Fetch'), 'it produced and fetched');
    t.same(beyond().filter(r => r.api !== 'ApiVersions'), [], `no request beyond Kafka ${version}'s versions`);
  });
}

for (const version of ['2.8', '3.0']) {
  t.test(`kafkajs against Kafka ${version}: admin, produce, consume`, async t => {
    const { b, requests, beyond } = await recordingBroker(t, version);
    const kafka = new Kafka({ clientId: 'emulation', brokers: [b.bootstrap], logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    t.teardown(() => admin.disconnect());
    await admin.createTopics({ topics: [{ topic: 'kjs', numPartitions: 2 }] });
    t.same((await admin.listTopics()).includes('kjs'), true);
    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    t.teardown(() => producer.disconnect());
    await producer.send({ topic: 'kjs', messages: [{ key: 'a', value: '1' }, { key: 'b', value: '2' }, { key: 'c', value: '3' }] });
    const consumer = kafka.consumer({ groupId: `g-${version}` });
    await consumer.connect();
    t.teardown(() => consumer.disconnect());
    await consumer.subscribe({ topic: 'kjs', fromBeginning: true });
    const seen: string[] = [];
    await consumer.run({
      eachMessage: async ({ message }) => {
        seen.push(message.value!.toString());
      },
    });
    await waitFor(() => seen.length >= 3, 20_000, 'kafkajs consuming');
    t.same(seen.sort(), ['1', '2', '3']);
    t.same(beyond(), [], `no request beyond Kafka ${version}'s versions`);
    t.ok(requests.length > 0);
  });
}

t.test('samsa start --kafka-version: capped ApiVersions; an unknown version stops the start with the known ones', async t => {
  const s = new SamsaProcess(['start', '--port', '0', '--kafka-version', '3.0'], t);
  const bootstrap = await s.started();
  const c = await TestClient.connect(bootstrap);
  t.teardown(() => c.close());
  const res = await apiVersions(c);
  t.same(rangeOf(res, 0), [0, 9]);
  t.same(rangeOf(res, 3), [0, 11], 'Metadata 0-11 in 3.0');
  s.kill();
  const bad = new SamsaProcess(['start', '--port', '0', '--kafka-version', '9.9'], t);
  t.equal(await bad.exit(), 1);
  t.match(bad.stderr, /samsa: unknown Kafka version "9\.9": Samsa can emulate 2\.0, 2\.1, .*, 4\.0, 4\.1/);
});
