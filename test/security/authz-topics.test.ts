// Authorization of the topic-facing APIs with the ACL authorizer, as Kafka 4.1's KafkaApis checks
// them: Produce (WRITE on the topic, WRITE on the transactional id), Fetch (READ; CLUSTER_ACTION for
// followers; fetch sessions), ListOffsets, OffsetForLeaderEpoch and DescribeTopicPartitions
// (DESCRIBE), Metadata (DESCRIBE, CREATE for auto-creation, authorized operations), DeleteRecords
// (DELETE); and kafkajs clients allowed one topic and refused another. The connections are
// PLAINTEXT, so the requester is User:ANONYMOUS.
/* eslint-disable @typescript-eslint/no-explicit-any -- responses decoded from the specs at run time */
import t, { type Test } from 'tap';
import { Kafka, logLevel } from 'kafkajs';
import { allow, createTopicDirectly as topic, onTopic, securedBroker } from '../helpers/acls.js';
import { testClient, waitFor } from '../helpers/broker.js';
import { adminFor, producerFor } from '../helpers/kafkajs-admin.js';
import { batch, body, fetchTopic, ZERO_UUID } from '../helpers/kafka.js';
import type { RunningBroker } from '../../src/index.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import { TRANSACTIONAL_BIT, decodeBatches } from '../../src/protocol/records.js';
import { AclOperation as Op, AclPermissionType as Perm, PatternType as Pat, ResourceType as Res } from '../../src/security/acls.js';

const NOT_REQUESTED = -2147483648;
const bits = (...ops: number[]) => ops.reduce((b, op) => b | (1 << op), 0);

/** A secured broker (test/helpers/acls.ts) making one partition per topic. */
const secured = (t: Test, config: Record<string, string | number | boolean> = {}) => securedBroker(t, { 'num.partitions': 1, ...config });

function produceRequest(acks: number, topics: [string, number, Buffer][], opts: { transactionalId?: string | null; topicIds?: Record<string, string> } = {}) {
  return body(0, {
    acks,
    timeoutMs: 5000,
    transactionalId: opts.transactionalId ?? null,
    topicData: topics.map(([name, index, records]) => ({ name, topicId: opts.topicIds?.[name] ?? ZERO_UUID, partitionData: [{ index, records }] })),
  });
}
const partitionCodes = (res: any) => res.responses.flatMap((x: any) => x.partitionResponses.map((p: any) => [x.name, p.index, p.errorCode, p.errorMessage]));
const logEnd = (b: RunningBroker, name: string) => b.cluster.topic(name)!.partitions[0]!.log.logEndOffset;

t.test('Produce: WRITE on the topic, checked before the topic is looked up; acks=0 refused closes', async t => {
  const b = await secured(t);
  const c = await testClient(t, b);
  const ids = { open: topic(b, 'open'), shut: topic(b, 'shut') };
  allow(b, onTopic('open', Op.WRITE), onTopic('ghost-allowed', Op.WRITE));
  const res = await c.request(0, 9, produceRequest(-1, [['open', 0, batch(['a'])], ['shut', 0, batch(['b'])], ['ghost', 0, batch(['c'])], ['ghost-allowed', 0, batch(['d'])], ['open', 7, batch(['e'])]]));
  t.same(partitionCodes(res), [
    ['open', 0, ErrorCode.NONE, null],
    ['shut', 0, ErrorCode.TOPIC_AUTHORIZATION_FAILED, null],
    ['ghost', 0, ErrorCode.TOPIC_AUTHORIZATION_FAILED, null],
    ['ghost-allowed', 0, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, null],
    ['open', 7, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, null],
  ], 'refused topics (existing or not) are TOPIC_AUTHORIZATION_FAILED; an allowed missing one is unknown');
  const refused = res.responses[1].partitionResponses[0];
  t.same([refused.baseOffset, refused.logAppendTimeMs, refused.logStartOffset], [-1, -1, -1], 'no offsets for a refused partition');
  t.equal(logEnd(b, 'open'), 1, 'the allowed partition was appended');
  t.equal(logEnd(b, 'shut'), 0, 'the refused one was not');

  // v13 names topics by id: an id naming no topic is UNKNOWN_TOPIC_ID before any check
  const v13 = await c.request(0, 13, produceRequest(1, [['', 0, batch(['f'])]], { topicIds: { '': ids.shut } }));
  t.equal(v13.responses[0].partitionResponses[0].errorCode, ErrorCode.TOPIC_AUTHORIZATION_FAILED, 'v13: a refused topic by id');
  const v13open = await c.request(0, 13, produceRequest(1, [['', 0, batch(['g'])]], { topicIds: { '': ids.open } }));
  t.equal(v13open.responses[0].partitionResponses[0].errorCode, ErrorCode.NONE, 'v13: an allowed topic by id');
  const v13ghost = await c.request(0, 13, produceRequest(1, [['', 0, batch(['h'])]], { topicIds: { '': 'AAAAAAAAAAAAAAAAAAAAAQ' } }));
  t.equal(v13ghost.responses[0].partitionResponses[0].errorCode, ErrorCode.UNKNOWN_TOPIC_ID, 'v13: an unknown id');

  // acks=0: no response to carry the refusal, so the connection is closed (Kafka's errorInResponse)
  const quiet = await testClient(t, b);
  quiet.send(0, 9, produceRequest(0, [['shut', 0, batch(['x'])]]));
  await quiet.waitClosed();
  t.equal(logEnd(b, 'shut'), 0, 'acks=0: nothing appended');
  const fine = await testClient(t, b);
  fine.send(0, 9, produceRequest(0, [['open', 0, batch(['y'])]]));
  await waitFor(() => logEnd(b, 'open') === 3, 5000, 'the acks=0 append');
  t.notOk(fine.closed, 'an allowed acks=0 produce keeps the connection');
});

t.test('Produce: transactional batches need WRITE on the transactional id, for every partition', async t => {
  const b = await secured(t);
  const c = await testClient(t, b);
  topic(b, 'orders');
  allow(b, onTopic('orders', Op.WRITE));
  const txnBatch = () => batch(['t'], { attributes: TRANSACTIONAL_BIT, producerId: 1000, producerEpoch: 0, baseSequence: 0 });

  for (const transactionalId of ['tx', null]) {
    const res = await c.request(0, 9, produceRequest(-1, [['orders', 0, txnBatch()], ['elsewhere', 0, batch(['plain'])]], { transactionalId }));
    t.same(
      partitionCodes(res),
      [
        ['orders', 0, ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, null],
        ['elsewhere', 0, ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, null],
      ],
      `transactional id ${transactionalId}: every partition refused, no message (the code's default text is left out)`,
    );
  }
  t.equal(logEnd(b, 'orders'), 0, 'nothing appended');

  // a request with no transactional batch is not asked about its transactional id
  const plain = await c.request(0, 9, produceRequest(-1, [['orders', 0, batch(['p'])]], { transactionalId: 'tx' }));
  t.equal(plain.responses[0].partitionResponses[0].errorCode, ErrorCode.NONE, 'non-transactional batches with a transactional id');

  allow(b, { resourceType: Res.TRANSACTIONAL_ID, resourceName: 'tx', operation: Op.WRITE });
  const allowed = await c.request(0, 9, produceRequest(-1, [['orders', 0, txnBatch()]], { transactionalId: 'tx' }));
  t.not(allowed.responses[0].partitionResponses[0].errorCode, ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, 'WRITE on the transactional id passes the check (the transaction itself is another matter)');

  const quiet = await testClient(t, b);
  quiet.send(0, 9, produceRequest(0, [['orders', 0, txnBatch()]], { transactionalId: 'other' }));
  await quiet.waitClosed();
  t.pass('acks=0: the refused transactional produce closes the connection');
});

t.test('Fetch: READ per topic, before the lookup; sessions keep refused partitions; followers need CLUSTER_ACTION', async t => {
  const b = await secured(t);
  const c = await testClient(t, b);
  const ids = { readable: topic(b, 'readable'), secret: topic(b, 'secret') };
  allow(b, onTopic('readable', Op.WRITE), onTopic('secret', Op.WRITE), onTopic('readable', Op.READ), onTopic('ghost-allowed', Op.READ));
  for (const name of ['readable', 'secret']) await c.request(0, 9, produceRequest(-1, [[name, 0, batch([`${name}-1`])]]));

  const fetch = (version: number, topics: any[], extra: Record<string, unknown> = {}) => c.call(1, version, { maxWaitMs: 0, minBytes: 0, topics, ...extra });
  const res = await fetch(12, [fetchTopic('readable', ZERO_UUID, [{ partition: 0, fetchOffset: 0 }]), fetchTopic('secret', ZERO_UUID, [{ partition: 0, fetchOffset: 0 }]), fetchTopic('ghost', ZERO_UUID, [{ partition: 0, fetchOffset: 0 }]), fetchTopic('ghost-allowed', ZERO_UUID, [{ partition: 0, fetchOffset: 0 }])]);
  const codes = res.responses.map((r: any) => [r.topic, r.partitions[0].errorCode]);
  t.same(codes, [
    ['readable', ErrorCode.NONE],
    ['secret', ErrorCode.TOPIC_AUTHORIZATION_FAILED],
    ['ghost', ErrorCode.TOPIC_AUTHORIZATION_FAILED],
    ['ghost-allowed', ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
  ]);
  t.equal(decodeBatches(res.responses[0].partitions[0].records).length, 1, 'the readable topic is read');
  const refused = res.responses[1].partitions[0];
  t.same([refused.highWatermark, refused.lastStableOffset, refused.logStartOffset, refused.records?.length ?? 0], [-1, -1, -1, 0], 'a refused partition: no offsets, no records');

  const byId = await fetch(13, [fetchTopic('', ids.secret, [{ partition: 0, fetchOffset: 0 }]), fetchTopic('', 'AAAAAAAAAAAAAAAAAAAAAQ', [{ partition: 0, fetchOffset: 0 }]), fetchTopic('', ids.readable, [{ partition: 0, fetchOffset: 0 }])]);
  t.same(
    byId.responses.map((r: any) => r.partitions[0].errorCode),
    [ErrorCode.TOPIC_AUTHORIZATION_FAILED, ErrorCode.UNKNOWN_TOPIC_ID, ErrorCode.NONE],
    'v13: a refused topic id, an unknown one (not checked), an allowed one',
  );

  // a session created with a refused partition keeps it, answered with the error on every fetch
  const first = await fetch(12, [fetchTopic('readable', ZERO_UUID, [{ partition: 0, fetchOffset: 1 }]), fetchTopic('secret', ZERO_UUID, [{ partition: 0, fetchOffset: 0 }])], { sessionId: 0, sessionEpoch: 0 });
  t.ok(first.sessionId > 0, 'a session was created');
  const next = await fetch(12, [], { sessionId: first.sessionId, sessionEpoch: 1 });
  t.same(next.responses.map((r: any) => [r.topic, r.partitions[0].errorCode]), [['secret', ErrorCode.TOPIC_AUTHORIZATION_FAILED]], 'incremental: only the refused partition, again refused');
  allow(b, onTopic('secret', Op.READ));
  const granted = await fetch(12, [], { sessionId: first.sessionId, sessionEpoch: 2 });
  const secret = granted.responses.find((r: any) => r.topic === 'secret')?.partitions[0];
  t.equal(secret?.errorCode, ErrorCode.NONE, 'once READ is granted the session reads it');
  t.equal(decodeBatches(secret?.records).length, 1, 'with its records');

  // a follower (replica id >= 0) is allowed by CLUSTER_ACTION, without which every partition is refused
  b.cluster.acls.delete([{ resourceType: Res.TOPIC, resourceName: 'secret', patternType: Pat.LITERAL, principal: null, host: null, operation: Op.READ, permissionType: Perm.ANY }]);
  const followerTopics = [fetchTopic('readable', ZERO_UUID, [{ partition: 0, fetchOffset: 0 }]), fetchTopic('secret', ZERO_UUID, [{ partition: 0, fetchOffset: 0 }])];
  const refusedFollower = await fetch(12, followerTopics, { replicaId: 1 });
  t.same(refusedFollower.responses.map((r: any) => r.partitions[0].errorCode), [ErrorCode.TOPIC_AUTHORIZATION_FAILED, ErrorCode.TOPIC_AUTHORIZATION_FAILED], 'a follower without CLUSTER_ACTION: every partition, even a readable topic');
  const v15 = await fetch(15, [fetchTopic('', ids.readable, [{ partition: 0, fetchOffset: 0 }])], { replicaState: { replicaId: 1, replicaEpoch: -1 } });
  t.equal(v15.responses[0].partitions[0].errorCode, ErrorCode.TOPIC_AUTHORIZATION_FAILED, 'v15: the replica id is in the replica state');
  allow(b, { resourceType: Res.CLUSTER, operation: Op.CLUSTER_ACTION });
  const follower = await fetch(12, followerTopics, { replicaId: 1 });
  t.same(follower.responses.map((r: any) => r.partitions[0].errorCode), [ErrorCode.NONE, ErrorCode.NONE], 'with CLUSTER_ACTION: every topic, READ or not');
});

t.test('ListOffsets and OffsetForLeaderEpoch: DESCRIBE per topic, refused topics answered last', async t => {
  const b = await secured(t);
  const c = await testClient(t, b);
  topic(b, 'seen');
  topic(b, 'hidden');
  // READ implies DESCRIBE
  allow(b, onTopic('seen', Op.READ));

  const lo = await c.call(2, 7, {
    replicaId: -1,
    topics: ['hidden', 'seen'].map(name => ({ name, partitions: [0, 1].map(partitionIndex => ({ partitionIndex, currentLeaderEpoch: -1, timestamp: -1 })) })),
  });
  t.same(
    lo.topics.map((x: any) => [x.name, x.partitions.map((p: any) => [p.partitionIndex, p.errorCode, p.offset, p.timestamp])]),
    [
      ['seen', [[0, ErrorCode.NONE, 0, -1], [1, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, -1, -1]]],
      ['hidden', [[0, ErrorCode.TOPIC_AUTHORIZATION_FAILED, -1, -1], [1, ErrorCode.TOPIC_AUTHORIZATION_FAILED, -1, -1]]],
    ],
    'ListOffsets',
  );

  const ofle = (version: number) =>
    c.call(23, version, { replicaId: -1, topics: ['hidden', 'seen'].map(topic => ({ topic, partitions: [{ partition: 0, currentLeaderEpoch: -1, leaderEpoch: 0 }] })) });
  const before = await ofle(4);
  t.same(
    before.topics.map((x: any) => [x.topic, x.partitions[0].errorCode, x.partitions[0].leaderEpoch, x.partitions[0].endOffset]),
    [
      ['seen', ErrorCode.NONE, 0, 0],
      ['hidden', ErrorCode.TOPIC_AUTHORIZATION_FAILED, -1, -1],
    ],
    'OffsetForLeaderEpoch: DESCRIBE per topic',
  );
  allow(b, { resourceType: Res.CLUSTER, operation: Op.CLUSTER_ACTION });
  const after = await ofle(4);
  t.same(after.topics.map((x: any) => [x.topic, x.partitions[0].errorCode]), [['hidden', ErrorCode.NONE], ['seen', ErrorCode.NONE]], 'CLUSTER_ACTION allows every topic (a replica asking)');
});

t.test('Metadata: hidden topics, refusals after the answers, auto-creation needs CREATE, authorized operations', async t => {
  const b = await secured(t, { 'auto.create.topics.enable': true });
  const c = await testClient(t, b);
  const ids = { a: topic(b, 'a', 2), secret: topic(b, 'secret') };
  allow(b, onTopic('a', Op.READ), onTopic('missing', Op.DESCRIBE), onTopic('made-by-topic-acl', Op.CREATE), onTopic('made-by-topic-acl', Op.DESCRIBE));

  const all = await c.call(3, 12, { topics: null, allowAutoTopicCreation: false });
  t.same(all.topics.map((x: any) => x.name), ['a'], 'all topics: only those the requester may describe');

  const named = (names: string[], version = 12, extra: Record<string, unknown> = {}) => c.call(3, version, { topics: names.map(name => ({ name, topicId: ZERO_UUID })), allowAutoTopicCreation: true, ...extra });
  const res = await named(['secret', 'a', 'unheard-of', 'missing', 'made-by-topic-acl'], 12, { includeTopicAuthorizedOperations: true });
  const rows = res.topics.map((x: any) => [x.name, x.errorCode, x.topicId, x.isInternal, x.partitions.length, x.topicAuthorizedOperations]);
  t.same(rows, [
    ['a', ErrorCode.NONE, ids.a, false, 2, bits(Op.READ, Op.DESCRIBE)],
    ['made-by-topic-acl', ErrorCode.NONE, b.cluster.topic('made-by-topic-acl')?.id, false, 1, bits(Op.CREATE, Op.DESCRIBE)],
    ['missing', ErrorCode.TOPIC_AUTHORIZATION_FAILED, ZERO_UUID, false, 0, NOT_REQUESTED],
    ['secret', ErrorCode.TOPIC_AUTHORIZATION_FAILED, ZERO_UUID, false, 0, NOT_REQUESTED],
    ['unheard-of', ErrorCode.TOPIC_AUTHORIZATION_FAILED, ZERO_UUID, false, 0, NOT_REQUESTED],
  ], 'answers, then those it may not create, then those it may not describe (existing or not: no topic id)');
  t.ok(b.cluster.topic('made-by-topic-acl'), 'CREATE on the topic auto-creates it');
  t.notOk(b.cluster.topic('missing'), 'DESCRIBE alone does not');
  t.notOk(b.cluster.topic('unheard-of'), 'nor does a name it may not describe');

  allow(b, { resourceType: Res.CLUSTER, operation: Op.CREATE }, { resourceType: Res.TOPIC, resourceName: 'made-', patternType: Pat.PREFIXED, operation: Op.DESCRIBE });
  const byCluster = await named(['made-by-cluster-acl']);
  t.same([byCluster.topics[0].errorCode, !!b.cluster.topic('made-by-cluster-acl')], [ErrorCode.NONE, true], 'CREATE on the cluster auto-creates any topic it may describe');
  const noAuto = await named(['missing'], 12, { allowAutoTopicCreation: false });
  t.equal(noAuto.topics[0].errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'without auto-creation an allowed missing topic is unknown');

  // by topic id (v12): a refused one keeps its id but not its name
  const byId = await c.call(3, 12, { topics: [{ name: null, topicId: ids.secret }, { name: null, topicId: ids.a }, { name: null, topicId: 'AAAAAAAAAAAAAAAAAAAAAQ' }], allowAutoTopicCreation: false });
  const rowsById = byId.topics.map((x: any) => [x.name, x.topicId, x.errorCode]);
  t.same(rowsById.at(-1), [null, ids.secret, ErrorCode.TOPIC_AUTHORIZATION_FAILED], 'by id: refused last, with its id and no name');
  t.same(
    new Set(rowsById.slice(0, -1).map((r: unknown[]) => JSON.stringify(r))),
    new Set([JSON.stringify(['a', ids.a, ErrorCode.NONE]), JSON.stringify([null, 'AAAAAAAAAAAAAAAAAAAAAQ', ErrorCode.UNKNOWN_TOPIC_ID])]),
    'the allowed id answered, the unknown id UNKNOWN_TOPIC_ID (not checked)',
  );

  // cluster authorized operations (v8-10 only): 0 without DESCRIBE on the cluster
  const v10 = await c.call(3, 10, { topics: [], includeClusterAuthorizedOperations: true, allowAutoTopicCreation: false });
  t.equal(v10.clusterAuthorizedOperations, 0, 'no DESCRIBE on the cluster: 0');
  allow(b, { resourceType: Res.CLUSTER, operation: Op.ALTER });
  const v10b = await c.call(3, 10, { topics: [], includeClusterAuthorizedOperations: true, allowAutoTopicCreation: false });
  t.equal(v10b.clusterAuthorizedOperations, bits(Op.CREATE, Op.ALTER, Op.DESCRIBE), 'ALTER implies DESCRIBE: the cluster operations allowed');
  const v10c = await c.call(3, 10, { topics: [], includeClusterAuthorizedOperations: false, allowAutoTopicCreation: false });
  t.equal(v10c.clusterAuthorizedOperations, NOT_REQUESTED, 'not asked');
  const v0 = await c.call(3, 0, { topics: [] });
  t.same(v0.topics.map((x: any) => x.name).sort(), ['a', 'made-by-cluster-acl', 'made-by-topic-acl'], 'v0 empty list: all topics, the hidden left out');
});

t.test('DescribeTopicPartitions: DESCRIBE, refused topics last, checked only as far as the page goes', async t => {
  const b = await secured(t);
  const c = await testClient(t, b);
  topic(b, 'a');
  topic(b, 'aa-secret');
  topic(b, 'b');
  topic(b, 'c-secret');
  allow(b, onTopic('a', Op.DESCRIBE), onTopic('b', Op.DESCRIBE));
  const dtp = (names: string[], limit = 2000, cursor: unknown = null) => c.call(75, 0, { topics: names.map(name => ({ name })), responsePartitionLimit: limit, cursor });

  const res = await dtp(['c-secret', 'b', 'a', 'nope']);
  t.same(
    res.topics.map((x: any) => [x.name, x.errorCode, x.topicId === ZERO_UUID, x.isInternal, x.topicAuthorizedOperations]),
    [
      ['a', ErrorCode.NONE, false, false, bits(Op.DESCRIBE)],
      ['b', ErrorCode.NONE, false, false, bits(Op.DESCRIBE)],
      ['c-secret', ErrorCode.TOPIC_AUTHORIZATION_FAILED, true, false, NOT_REQUESTED],
      ['nope', ErrorCode.TOPIC_AUTHORIZATION_FAILED, true, false, NOT_REQUESTED],
    ],
  );
  const all = await dtp([]);
  t.same(all.topics.map((x: any) => x.name), ['a', 'b'], 'all topics: the refused left out');

  // one partition a page: the page ends after "a"; "aa-secret" is reached (and refused) while
  // looking for the next topic, "b" becomes the cursor, "c-secret" is never looked at
  const paged = await dtp(['a', 'aa-secret', 'b', 'c-secret'], 1);
  t.same(paged.topics.map((x: any) => [x.name, x.errorCode]), [['a', ErrorCode.NONE], ['aa-secret', ErrorCode.TOPIC_AUTHORIZATION_FAILED]]);
  t.same(paged.nextCursor, { topicName: 'b', partitionIndex: 0 });
});

t.test('DeleteRecords: DELETE per topic, before the lookup', async t => {
  const b = await secured(t);
  const c = await testClient(t, b);
  topic(b, 'trim');
  topic(b, 'keep');
  allow(b, onTopic('trim', Op.WRITE), onTopic('keep', Op.WRITE), onTopic('trim', Op.DELETE));
  for (const name of ['trim', 'keep']) await c.request(0, 9, produceRequest(-1, [[name, 0, batch(['1', '2', '3'])]]));
  const res = await c.call(21, 2, { topics: ['trim', 'keep', 'ghost'].map(name => ({ name, partitions: [{ partitionIndex: 0, offset: 2 }] })), timeoutMs: 5000 });
  t.same(res.topics.map((x: any) => [x.name, x.partitions[0].errorCode, x.partitions[0].lowWatermark]), [
    ['trim', ErrorCode.NONE, 2],
    ['keep', ErrorCode.TOPIC_AUTHORIZATION_FAILED, -1],
    ['ghost', ErrorCode.TOPIC_AUTHORIZATION_FAILED, -1],
  ]);
  t.equal(b.cluster.topic('keep')!.partitions[0]!.log.logStartOffset, 0, 'the refused topic kept its records');
});

t.test('super.users and allow.everyone.if.no.acl.found', async t => {
  const su = await secured(t, { 'super.users': 'User:ANONYMOUS' });
  const c = await testClient(t, su);
  topic(su, 'any');
  const p = await c.request(0, 9, produceRequest(-1, [['any', 0, batch(['x'])]]));
  t.equal(p.responses[0].partitionResponses[0].errorCode, ErrorCode.NONE, 'a super user needs no ACL');

  const open = await secured(t, { 'allow.everyone.if.no.acl.found': true });
  const c2 = await testClient(t, open);
  topic(open, 'free');
  topic(open, 'guarded');
  open.cluster.acls.create([{ resourceType: Res.TOPIC, resourceName: 'guarded', patternType: Pat.LITERAL, principal: 'User:someone-else', host: '*', operation: Op.WRITE, permissionType: Perm.ALLOW }]);
  const res = await c2.request(0, 9, produceRequest(-1, [['free', 0, batch(['x'])], ['guarded', 0, batch(['y'])]]));
  t.same(partitionCodes(res).map((r: any[]) => r[2]), [ErrorCode.NONE, ErrorCode.TOPIC_AUTHORIZATION_FAILED], 'no ACL: allowed; an ACL for someone else: refused');
});

t.test('kafkajs: a producer allowed one topic and refused another; a consumer reads what it may', async t => {
  const b = await secured(t);
  topic(b, 'allowed-topic');
  topic(b, 'forbidden-topic');
  allow(
    b,
    onTopic('allowed-topic', Op.WRITE),
    onTopic('allowed-topic', Op.READ),
    { resourceType: Res.GROUP, resourceName: 'authz-group', operation: Op.ALL },
  );
  const kafka = new Kafka({ clientId: 'authz', brokers: [b.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 2, initialRetryTime: 50, maxRetryTime: 200 } });
  const producer = await producerFor(t, kafka);
  await producer.send({ topic: 'allowed-topic', messages: [{ value: 'one' }, { value: 'two' }] });
  const err: any = await producer.send({ topic: 'forbidden-topic', messages: [{ value: 'nope' }] }).then(
    () => null,
    (e: unknown) => e,
  );
  // kafkajs's producer wraps the protocol error as the cause of a non-retriable one
  t.equal(err?.type ?? err?.cause?.type, 'TOPIC_AUTHORIZATION_FAILED', `the forbidden topic is refused (${err?.message})`);
  t.equal(b.cluster.topic('forbidden-topic')!.partitions[0]!.log.logEndOffset, 0, 'nothing reached it');

  const admin = await adminFor(t, kafka);
  t.same((await admin.listTopics()).sort(), ['allowed-topic'], 'the admin lists only the describable topic');
  const createErr: any = await admin.createTopics({ topics: [{ topic: 'brand-new' }] }).then(
    () => null,
    (e: unknown) => e,
  );
  t.ok(createErr !== null, 'creating a topic without CREATE fails');
  t.notOk(b.cluster.topic('brand-new'), 'and creates nothing');

  const consumer = kafka.consumer({ groupId: 'authz-group', retry: { retries: 2 } });
  await consumer.connect();
  t.teardown(() => consumer.disconnect());
  await consumer.subscribe({ topic: 'allowed-topic', fromBeginning: true });
  const seen: string[] = [];
  await consumer.run({ eachMessage: async ({ message }) => void seen.push(message.value?.toString() ?? '') });
  await waitFor(() => seen.length >= 2, 20000, 'the consumer to read the allowed topic');
  t.same(seen, ['one', 'two']);
});
