// UpdateFeatures (57): Kafka 4.1's controller rules, messages and answer shapes per version; bad
// input changes nothing (levels and epoch); transaction.version and group.version change what the
// broker does; in disk mode the levels survive a restart.
/* eslint-disable @typescript-eslint/no-explicit-any -- responses decoded from the specs at run time */
import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { testBroker, testClient, waitFor } from '../helpers/broker.js';
import type { TestClient } from '../helpers/client.js';
import { batchesOf, createTopic, fetchOne } from '../helpers/kafka.js';
import { producer, send } from '../helpers/transactions.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import { javaHashMapOrder } from '../../src/broker/handlers/update-features.js';
import { ManualClock, startBroker, type RunningBroker } from '../../src/index.js';

const UPGRADE = 1;
const SAFE_DOWNGRADE = 2;
const UNSAFE_DOWNGRADE = 3;
const FAILED = 'The update failed for all features since the following feature had an error: ';

interface Update {
  feature: string;
  level: number;
  type?: number;
}

async function update(c: TestClient, updates: Update[], opts: { version?: number; validateOnly?: boolean; allowDowngrade?: boolean } = {}): Promise<any> {
  return c.call(57, opts.version ?? 2, {
    timeoutMs: 60000,
    featureUpdates: updates.map(u => ({ feature: u.feature, maxVersionLevel: u.level, upgradeType: u.type ?? UPGRADE, allowDowngrade: opts.allowDowngrade ?? false })),
    validateOnly: opts.validateOnly ?? false,
  });
}

/** The finalized levels and their epoch, as ApiVersions v4 reports them. */
async function finalized(c: TestClient): Promise<{ levels: Record<string, number>; epoch: number }> {
  const r = await c.call(18, 4, { clientSoftwareName: 'samsa-test', clientSoftwareVersion: '1' });
  return { levels: Object.fromEntries(r.finalizedFeatures.map((f: any) => [f.name, f.maxVersionLevel])), epoch: Number(r.finalizedFeaturesEpoch) };
}

const DEFAULTS = { 'group.version': 1, 'metadata.version': 27, 'transaction.version': 2 };

async function setup(t: { teardown(fn: () => unknown): void }) {
  const b = await testBroker(t);
  const c = await testClient(t, b);
  return { b, c };
}

/** Asserts a refusal with Kafka's code and message, and that nothing changed. */
async function refused(t: any, c: TestClient, updates: Update[], message: string, opts: { version?: number; code?: number } = {}): Promise<void> {
  const before = await finalized(c);
  const r = await update(c, updates, { version: opts.version });
  t.equal(r.errorCode, opts.code ?? ErrorCode.INVALID_UPDATE_VERSION, `${message}: code`);
  t.equal(r.errorMessage, FAILED + message);
  t.same(r.results ?? [], [], 'no per-feature results');
  t.same(await finalized(c), before, 'levels and epoch unchanged');
}

t.test('a new cluster finalizes metadata.version 27, transaction.version 2 and group.version 1', async t => {
  const { c } = await setup(t);
  const f = await finalized(c);
  t.same(f.levels, DEFAULTS);
  t.equal(f.epoch, 1);
});

t.test('v2: downgrades, deletion at level 0 and upgrades change the levels and advance the epoch', async t => {
  const { c } = await setup(t);
  let r = await update(c, [{ feature: 'transaction.version', level: 1, type: SAFE_DOWNGRADE }]);
  t.same([r.errorCode, r.errorMessage, r.results], [0, null, []], 'v2: a single top-level answer');
  let f = await finalized(c);
  t.same([f.levels['transaction.version'], f.epoch], [1, 2]);
  r = await update(c, [{ feature: 'transaction.version', level: 0, type: UNSAFE_DOWNGRADE }]);
  t.equal(r.errorCode, 0, 'level 0 deletes the feature');
  f = await finalized(c);
  t.same(f.levels, { 'group.version': 1, 'metadata.version': 27 }, 'transaction.version is no longer finalized');
  t.equal(f.epoch, 3);
  r = await update(c, [
    { feature: 'transaction.version', level: 2 },
    { feature: 'metadata.version', level: 24, type: SAFE_DOWNGRADE },
  ]);
  t.equal(r.errorCode, 0, 'several features at once');
  f = await finalized(c);
  t.same(f.levels, { 'group.version': 1, 'metadata.version': 24, 'transaction.version': 2 });
  t.equal(f.epoch, 4, 'one epoch per request');
  // the same level again: Kafka's controller writes the record anyway, so the epoch moves
  r = await update(c, [{ feature: 'metadata.version', level: 24 }]);
  t.equal(r.errorCode, 0);
  t.equal((await finalized(c)).epoch, 5);
  // an empty request changes nothing
  r = await update(c, []);
  t.equal(r.errorCode, 0);
  t.equal((await finalized(c)).epoch, 5);
});

t.test('validateOnly checks without changing anything', async t => {
  const { c } = await setup(t);
  const r = await update(c, [{ feature: 'transaction.version', level: 0, type: SAFE_DOWNGRADE }], { version: 1, validateOnly: true });
  t.same([r.errorCode, r.errorMessage], [0, null]);
  t.same(r.results, [{ feature: 'transaction.version', errorCode: 0, errorMessage: 'NONE' }]);
  t.same(await finalized(c), { levels: DEFAULTS, epoch: 1 });
  const bad = await update(c, [{ feature: 'transaction.version', level: 5 }], { version: 1, validateOnly: true });
  t.equal(bad.errorCode, ErrorCode.INVALID_UPDATE_VERSION, 'validateOnly still refuses what would be refused');
});

t.test("a downgrade needs a downgrade type (Kafka's message); nothing changes", async t => {
  const { c } = await setup(t);
  await refused(
    t,
    c,
    [{ feature: 'transaction.version', level: 1 }],
    "Invalid update version 1 for feature transaction.version. Can't downgrade the version of this feature without setting the upgrade type to either safe or unsafe downgrade.",
  );
});

t.test('upgrade types, ranges and unknown features', async t => {
  const { c } = await setup(t);
  await refused(t, c, [{ feature: 'transaction.version', level: 1, type: 7 }], 'Invalid update version 1 for feature transaction.version. The controller does not support the given upgrade type.');
  await refused(t, c, [{ feature: 'transaction.version', level: 1, type: 0 }], 'Invalid update version 1 for feature transaction.version. The controller does not support the given upgrade type.');
  await refused(t, c, [{ feature: 'transaction.version', level: -1, type: SAFE_DOWNGRADE }], 'Invalid update version -1 for feature transaction.version. A feature version cannot be less than 0.');
  await refused(t, c, [{ feature: 'transaction.version', level: 3 }], 'Invalid update version 3 for feature transaction.version. Local controller 0 only supports versions 0-2');
  await refused(t, c, [{ feature: 'metadata.version', level: 28 }], 'Invalid update version 28 for feature metadata.version. Local controller 0 only supports versions 7-27');
  await refused(t, c, [{ feature: 'metadata.version', level: 6, type: SAFE_DOWNGRADE }], 'Invalid update version 6 for feature metadata.version. Local controller 0 only supports versions 7-27');
  await refused(t, c, [{ feature: 'metadata.version', level: 0, type: SAFE_DOWNGRADE }], 'Invalid update version 0 for feature metadata.version. Local controller 0 only supports versions 7-27');
  await refused(t, c, [{ feature: 'no.such.feature', level: 1 }], 'Invalid update version 1 for feature no.such.feature. Local controller 0 does not support this feature.');
  await refused(t, c, [{ feature: 'no.such.feature', level: 0 }], 'Invalid update version 0 for feature no.such.feature. Feature no.such.feature not found.');
  await refused(t, c, [{ feature: 'streams.version', level: 1 }], 'Invalid update version 1 for feature streams.version. Local controller 0 does not support this feature.');
  await refused(t, c, [{ feature: 'metadata.version', level: 28, type: SAFE_DOWNGRADE }], 'Invalid update version 28 for feature metadata.version. Local controller 0 only supports versions 7-27');
  await refused(t, c, [{ feature: 'group.version', level: 2 }], 'Invalid update version 2 for feature group.version. Local controller 0 only supports versions 0-1');
  // an upgrade marked as a downgrade
  const r = await update(c, [{ feature: 'transaction.version', level: 1, type: SAFE_DOWNGRADE }]);
  t.equal(r.errorCode, 0);
  await refused(t, c, [{ feature: 'transaction.version', level: 2, type: SAFE_DOWNGRADE }], "Invalid update version 2 for feature transaction.version. Can't downgrade to a newer version.");
  // deleting a feature that is not finalized, at level 0, is no change and allowed
  t.equal((await update(c, [{ feature: 'streams.version', level: 0 }])).errorCode, 0);
});

t.test('metadata.version downgrades: only across levels that did not change the metadata', async t => {
  const { c } = await setup(t);
  // 4.0-IV1 (23) changed the metadata: from 27, 23 is the lowest level reachable
  await refused(
    t,
    c,
    [{ feature: 'metadata.version', level: 22, type: SAFE_DOWNGRADE }],
    'Invalid metadata.version 22. Refusing to perform the requested downgrade because it might delete metadata information.',
  );
  await refused(
    t,
    c,
    [{ feature: 'metadata.version', level: 22, type: UNSAFE_DOWNGRADE }],
    'Invalid metadata.version 22. Unsafe metadata downgrade is not supported in this version.',
  );
  t.equal((await update(c, [{ feature: 'metadata.version', level: 23, type: SAFE_DOWNGRADE }])).errorCode, 0, '27 to 23 is safe');
  t.equal((await finalized(c)).levels['metadata.version'], 23);
  t.equal((await update(c, [{ feature: 'metadata.version', level: 27 }])).errorCode, 0, 'and back up');
});

t.test('dependencies are checked against the levels the request proposes; one failure fails all', async t => {
  const { c } = await setup(t);
  // share.version 1 needs metadata.version 27; the request itself lowers it to 26
  await refused(
    t,
    c,
    [
      { feature: 'metadata.version', level: 26, type: SAFE_DOWNGRADE },
      { feature: 'share.version', level: 1 },
    ],
    'Invalid update version 1 for feature share.version. share.version could not be set to 1 because it depends on metadata.version level 27',
  );
  t.equal((await finalized(c)).levels['metadata.version'], 27, 'metadata.version was not lowered either');
});

t.test('levels Samsa does not implement are refused after Kafka has checked them', async t => {
  const { c } = await setup(t);
  await refused(
    t,
    c,
    [{ feature: 'eligible.leader.replicas.version', level: 1 }],
    'Invalid update version 1 for feature eligible.leader.replicas.version. Samsa does not implement level 1 of eligible.leader.replicas.version.',
  );
  await refused(t, c, [{ feature: 'share.version', level: 1 }], 'Invalid update version 1 for feature share.version. Samsa does not implement level 1 of share.version.');
  await refused(t, c, [{ feature: 'kraft.version', level: 1 }], 'Invalid update version 1 for feature kraft.version. Samsa has no KRaft controller quorum whose kraft.version could change.');
  // kraft.version at its level: no change, allowed
  t.equal((await update(c, [{ feature: 'kraft.version', level: 0, type: SAFE_DOWNGRADE }])).errorCode, 0);
});

t.test("the failure reported is the first in the order of Kafka's HashMap, not the request's", async t => {
  const { c } = await setup(t);
  // group.version hashes to bucket 0, transaction.version to bucket 10 (Java String.hashCode)
  t.same(javaHashMapOrder(['transaction.version', 'group.version']), ['group.version', 'transaction.version']);
  t.same(javaHashMapOrder(['share.version', 'metadata.version']), ['share.version', 'metadata.version'], 'same bucket: insertion order');
  await refused(
    t,
    c,
    [
      { feature: 'transaction.version', level: 9 },
      { feature: 'group.version', level: 9 },
    ],
    'Invalid update version 9 for feature group.version. Local controller 0 only supports versions 0-1',
  );
  // a feature named twice: the last level and type given win
  const r = await update(c, [
    { feature: 'transaction.version', level: 9 },
    { feature: 'transaction.version', level: 1, type: SAFE_DOWNGRADE },
  ]);
  t.equal(r.errorCode, 0);
  t.equal((await finalized(c)).levels['transaction.version'], 1);
});

t.test('v0 and v1: per-feature results on success, none on failure; v0 cannot downgrade', async t => {
  const { c } = await setup(t);
  let r = await update(c, [{ feature: 'metadata.version', level: 26, type: SAFE_DOWNGRADE }, { feature: 'group.version', level: 1 }], { version: 1 });
  t.same([r.errorCode, r.errorMessage], [0, null]);
  t.same(r.results, [
    { feature: 'metadata.version', errorCode: 0, errorMessage: 'NONE' },
    { feature: 'group.version', errorCode: 0, errorMessage: 'NONE' },
  ]);
  r = await update(c, [{ feature: 'metadata.version', level: 27 }], { version: 0 });
  t.same([r.errorCode, r.results.length], [0, 1], 'a v0 upgrade');
  // the controller reads the upgrade type, which v0 does not carry (default UPGRADE): allowDowngrade does not help
  const v0 = await c.call(57, 0, { timeoutMs: 60000, featureUpdates: [{ feature: 'transaction.version', maxVersionLevel: 1, allowDowngrade: true }] });
  t.equal(v0.errorCode, ErrorCode.INVALID_UPDATE_VERSION);
  t.equal(v0.errorMessage, `${FAILED}Invalid update version 1 for feature transaction.version. Can't downgrade the version of this feature without setting the upgrade type to either safe or unsafe downgrade.`);
  t.same(v0.results, []);
  await refused(t, c, [{ feature: 'transaction.version', level: 7 }], 'Invalid update version 7 for feature transaction.version. Local controller 0 only supports versions 0-2', { version: 1 });
});

/** The value versions of the records in the transactional id's partition of __transaction_state. */
async function txnValueVersions(b: RunningBroker, c: TestClient): Promise<number[]> {
  const topic = b.broker.cluster.topic('__transaction_state')!;
  const out: number[] = [];
  for (const p of topic.partitions) {
    if (p.log.logEndOffset === 0) continue;
    const r = await fetchOne(c, '__transaction_state', p.index, 0);
    for (const batch of batchesOf(r.records)) for (const rec of batch.records) if (rec.value) out.push(rec.value.readInt16BE(0));
  }
  return out;
}

t.test('transaction.version decides the version of the transaction state the coordinator writes', async t => {
  const { b, c } = await setup(t);
  await producer(c, 'tv2');
  t.same(await txnValueVersions(b, c), [1], 'level 2: flexible values (v1)');
  t.equal((await update(c, [{ feature: 'transaction.version', level: 0, type: SAFE_DOWNGRADE }])).errorCode, 0);
  await producer(c, 'tv2');
  t.same(await txnValueVersions(b, c), [1, 0], 'level 0: v0 values');
  t.equal((await update(c, [{ feature: 'transaction.version', level: 1 }])).errorCode, 0);
  await producer(c, 'tv2');
  t.same(await txnValueVersions(b, c), [1, 0, 1], 'level 1: v1 again');
});

t.test('a transaction-version-2 transaction open when the level drops to 0 still completes', async t => {
  const { b, c } = await setup(t);
  await createTopic(c, 'out', 1);
  const p = await producer(c, 'open-tv2');
  t.equal((await send(c, p, 'out', 0, ['x'], 12)).errorCode, 0, 'Produce v12 adds the partition itself (client transaction version 2)');
  t.equal((await update(c, [{ feature: 'transaction.version', level: 0, type: SAFE_DOWNGRADE }])).errorCode, 0);
  const end = await c.call(26, 5, { transactionalId: p.transactionalId, producerId: p.producerId, producerEpoch: p.producerEpoch, committed: true });
  t.equal(end.errorCode, 0, 'EndTxn v5 commits');
  await waitFor(async () => (await c.call(65, 0, { transactionalIds: ['open-tv2'] })).transactionStates[0].transactionState === 'CompleteCommit', 10_000, 'the commit');
  const versions = await txnValueVersions(b, c);
  t.same(versions.slice(1), versions.slice(1).map(() => 1), 'its states stay at v1, the only version that carries a client transaction version');
  // a new transaction of version 1 is written at v0
  const q = await producer(c, 'tv1-after');
  t.ok(q.producerId >= 0);
  t.ok((await txnValueVersions(b, c)).includes(0), 'level 0: v0 for the next one');
});

t.test('group.version 0 switches the consumer group protocol off: ConsumerGroupHeartbeat is UNSUPPORTED_VERSION', async t => {
  const { c } = await setup(t);
  const heartbeat = () =>
    c.call(68, 0, {
      groupId: 'g',
      memberId: 'm1xxxxxxxxxxxxxxxxxxxx',
      memberEpoch: 0,
      instanceId: null,
      rackId: null,
      rebalanceTimeoutMs: 30000,
      subscribedTopicNames: ['t'],
      serverAssignor: null,
      topicPartitions: [],
    });
  t.not((await heartbeat()).errorCode, ErrorCode.UNSUPPORTED_VERSION, 'on at level 1');
  t.equal((await update(c, [{ feature: 'group.version', level: 0, type: SAFE_DOWNGRADE }])).errorCode, 0);
  t.equal((await heartbeat()).errorCode, ErrorCode.UNSUPPORTED_VERSION, 'off at level 0');
  const describe = await c.call(69, 0, { groupIds: ['g'], includeAuthorizedOperations: false });
  t.equal(describe.groups[0].errorCode, ErrorCode.UNSUPPORTED_VERSION, 'ConsumerGroupDescribe too');
  t.equal((await update(c, [{ feature: 'group.version', level: 1 }])).errorCode, 0);
  t.not((await heartbeat()).errorCode, ErrorCode.UNSUPPORTED_VERSION, 'on again');
});

t.test('disk mode: the levels and their epoch survive a restart, in a file of their own', async t => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'samsa-features-'));
  t.teardown(() => fs.rmSync(dataDir, { recursive: true, force: true }));
  const b1 = await startBroker({ port: 0, host: '127.0.0.1', dataDir });
  let closed = false;
  t.teardown(() => (closed ? undefined : b1.close()));
  t.ok(fs.existsSync(path.join(dataDir, 'samsa-features.json')), 'written at the first start');
  const c1 = await testClient(t, b1);
  t.equal((await update(c1, [{ feature: 'transaction.version', level: 1, type: SAFE_DOWNGRADE }, { feature: 'metadata.version', level: 25, type: SAFE_DOWNGRADE }])).errorCode, 0);
  const before = await finalized(c1);
  t.same(before, { levels: { 'group.version': 1, 'metadata.version': 25, 'transaction.version': 1 }, epoch: 2 });
  c1.close();
  await b1.close();
  closed = true;
  const metadata = JSON.parse(fs.readFileSync(path.join(dataDir, 'samsa-metadata.json'), 'utf8'));
  t.same(Object.keys(metadata).sort(), ['topics', 'version'], 'samsa-metadata.json keeps its format');

  const b2 = await testBroker(t, { dataDir });
  const c2 = await testClient(t, b2);
  t.same(await finalized(c2), before, 'the same levels and epoch after the restart');
  t.equal((await update(c2, [{ feature: 'transaction.version', level: 2 }])).errorCode, 0);
  t.equal((await finalized(c2)).epoch, 3, 'the epoch goes on from there');
});

t.test('disk mode: a features file Samsa cannot serve stops the start with its name', async t => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'samsa-features-'));
  t.teardown(() => fs.rmSync(dataDir, { recursive: true, force: true }));
  const b = await startBroker({ port: 0, host: '127.0.0.1', dataDir });
  await b.close();
  const file = path.join(dataDir, 'samsa-features.json');
  // a manual clock: the refused starts leave no timer behind
  const clock = new ManualClock();
  fs.writeFileSync(file, JSON.stringify({ version: 1, epoch: 4, finalized: { 'metadata.version': 27, 'kraft.version': 1 } }));
  await t.rejects(startBroker({ port: 0, host: '127.0.0.1', dataDir, clock }), { message: `${file}: Samsa cannot serve kraft.version at level 1` });
  fs.writeFileSync(file, '{');
  const err = await startBroker({ port: 0, host: '127.0.0.1', dataDir, clock }).catch((e: Error) => e);
  t.match(String((err as Error).message), `${file}: not readable`);
});
