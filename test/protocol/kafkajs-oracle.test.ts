// kafkajs as an independent oracle of the wire format. For every API and version kafkajs
// implements that is within Samsa's range:
//   request:  kafkajs builds the request → its framed bytes → Samsa parses the header as Kafka
//             does and decodes the body; the decoded fields must be what kafkajs was given, and
//             the body must be consumed exactly.
//   response: Samsa encodes a response (non-default values everywhere kafkajs reads) → framed as
//             a broker frames it → kafkajs decodes and parses it; kafkajs must see Samsa's values,
//             and error codes must make kafkajs's parse throw the right error.
// kafkajs versions outside Samsa's range are listed and checked, so the list cannot go stale.
import t, { type Test } from 'tap';
import { createRequire } from 'node:module';
import { readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { crc32c } from '@node-rs/crc32';
import * as M from '../../src/protocol/messages/index.js';
import { API_SPECS } from '../../src/protocol/messages/index.js';
import type { ApiSpec } from '../../src/protocol/api.js';
import { Reader, Writer, ZERO_UUID } from '../../src/protocol/wire.js';
import { ErrorCode } from '../../src/protocol/errors.js';

const require = createRequire(import.meta.url);
/* eslint-disable @typescript-eslint/no-explicit-any -- kafkajs internals are untyped CommonJS */
const kjs = (path: string): any => require(`kafkajs/src/protocol/${path}`);
const createRequest = kjs('request.js');
const Decoder = kjs('decoder.js');
const { RecordBatch } = kjs('recordBatch/v0/index.js');
const Record = kjs('recordBatch/record/v0/index.js');
const RecordBatchDecoder = kjs('recordBatch/v0/decoder.js');
const MessageSet = kjs('messageSet/index.js');
const PlainSaslRequest = kjs('sasl/plain/request.js');
const REQUESTS_DIR = join(dirname(require.resolve('kafkajs/src/protocol/request.js')), 'requests');

const SPECS = new Map<number, ApiSpec>(API_SPECS.map((s) => [s.key, s]));
const specOf = (key: number): ApiSpec => {
  const s = SPECS.get(key);
  if (!s) throw new Error(`no Samsa spec for key ${key}`);
  return s;
};
const inRange = (s: ApiSpec, v: number) => v >= s.minVersion && v <= s.maxVersion;
const kafkajsApi = (dir: string): { versions: string[]; protocol: (o: { version: number }) => (args: any) => any } =>
  kjs(`requests/${dir}/index.js`);

// Representative values: multi-byte names (lengths are byte lengths), int64s above 2^32, and
// every int field distinct so that a swapped or missing field shows.
const T1 = 'orders-ü';
const T2 = 'payments';
const G = 'group-α';
const MEMBER = 'member-1-8f3c';
const INSTANCE = 'instance-7';
const TXN = 'txn-ü-1';
const BIG = 2 ** 40;
const PID = BIG + 11;
const CORRELATION_ID = 0x5a5a;

/** A Samsa struct from its generated defaults with some fields set (typed: unknown fields fail to compile). */
const mk = <T>(d: () => T, o: Partial<T>): T => ({ ...d(), ...o });

/**
 * `actual` cut down to the keys `shape` names (recursively; arrays keep their actual length), so
 * that strictSame compares exactly the asserted fields and reports a readable diff.
 */
function project(actual: unknown, shape: unknown): unknown {
  if (Array.isArray(shape) && Array.isArray(actual)) {
    return actual.map((a, i) => (i < shape.length ? project(a, shape[i]) : a));
  }
  if (
    shape !== null && typeof shape === 'object' && !Array.isArray(shape) && !Buffer.isBuffer(shape) &&
    actual !== null && typeof actual === 'object' && !Array.isArray(actual) && !Buffer.isBuffer(actual)
  ) {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(shape)) out[k] = project((actual as Record<string, unknown>)[k], (shape as Record<string, unknown>)[k]);
    return out;
  }
  return actual;
}

/** kafkajs's request frame, with the header read the way a Kafka broker reads it. */
async function requestBody(t: Test, key: number, v: number, request: any): Promise<Reader> {
  const frame: Buffer = (await createRequest({ correlationId: CORRELATION_ID, clientId: 'oracle-ü', request })).buffer;
  const r = new Reader(frame);
  t.equal(r.int32(), frame.length - 4, 'frame size');
  t.equal(r.int16(), key, 'header api key');
  t.equal(r.int16(), v, 'header api version');
  t.equal(r.int32(), CORRELATION_ID, 'header correlation id');
  t.equal(r.nullableString(), 'oracle-ü', 'header client id');
  // Request header v2 (flexible versions) ends with tagged fields; kafkajs writes that byte as
  // the first byte of its request encoder.
  if (v >= specOf(key).flexibleMin) r.skipTaggedFields();
  return r;
}

/** What kafkajs's connection hands to response.decode: the frame after size and correlation id. */
function kafkajsResponsePayload(t: Test, key: number, v: number, m: unknown): Buffer {
  const s = specOf(key);
  const head = new Writer();
  head.int32(CORRELATION_ID);
  // Response header v1 (flexible versions, except ApiVersions) carries tagged fields.
  if (v >= s.flexibleMin && key !== 18) head.uvarint(0);
  const body = new Writer();
  s.encodeResponse(body, v, m);
  const size = Buffer.alloc(4);
  size.writeInt32BE(head.length + body.length);
  const frame = Buffer.concat([size, head.toBuffer(), body.toBuffer()]);
  // as kafkajs's Connection.processData does
  const d = new Decoder(frame);
  const response = new Decoder(d.readBytes(d.readInt32()));
  t.equal(response.readInt32(), CORRELATION_ID, 'response correlation id');
  return response.readAll();
}

interface RequestCase {
  label: string;
  /** Arguments to kafkajs's protocol({ version })(args), as kafkajs's Broker passes them. */
  args: unknown;
  /** Samsa's decoded request, projected onto these fields. */
  expect: unknown;
  check?: (t: Test, decoded: any) => void | Promise<void>;
}
interface ErrorCase {
  label: string;
  samsa: unknown;
  /** The error kafkajs throws, projected onto these fields. */
  error: unknown;
}
interface ApiCase {
  dir: string;
  key: number;
  /** Request cases; the first one's args also instantiate the response module. */
  requests: (v: number) => RequestCase[];
  response: (v: number) => { samsa: unknown; expect: unknown };
  errors?: (v: number) => ErrorCase[];
}

/** Versions kafkajs implements that Kafka 4.1 (and so Samsa) no longer accepts. */
const OUT_OF_RANGE: Record<string, number[]> = {
  fetch: [0, 1, 2, 3],
  listOffsets: [0],
  offsetCommit: [0, 1],
  createTopics: [0, 1],
  deleteTopics: [0],
  describeAcls: [0],
  createAcls: [0],
  deleteAcls: [0],
  describeConfigs: [0],
};

/** kafkajs reports throttle time as throttleTime up to the version where the broker throttles first, then as clientSideThrottleTime. */
const throttle = (v: number, from: number, ms: number) =>
  v >= from ? { throttleTime: 0, clientSideThrottleTime: ms } : { throttleTime: ms };
const protocolError = (code: number, type: string) => ({ name: 'KafkaJSProtocolError', type, code });

// ---------------------------------------------------------------------------------------------
// Record data
// ---------------------------------------------------------------------------------------------

interface Message {
  key: string | null;
  value: string | Buffer | null;
  timestamp: number;
  headers?: Record<string, string | string[]>;
}
const PRODUCE_MESSAGES: Message[] = [
  { key: 'key-1', value: 'value-1', timestamp: 1700000000000, headers: { trace: 'abc', multi: ['x', 'y'] } },
  { key: null, value: Buffer.from([0, 1, 2, 255]), timestamp: 1700000000250 },
  { key: 'key-3', value: null, timestamp: 1700000000100 },
];
const PRODUCE_MESSAGES_2: Message[] = [{ key: 'k', value: 'only', timestamp: 1700000009999 }];

/** The messages as kafkajs's record decoder returns them, from `firstOffset` on. */
function decodedMessages(msgs: Message[], firstOffset: number) {
  const buf = (x: string | Buffer | null) => (x === null ? null : Buffer.isBuffer(x) ? x : Buffer.from(x));
  return msgs.map((m, i) => ({
    offset: String(firstOffset + i),
    timestamp: String(m.timestamp),
    key: buf(m.key),
    value: buf(m.value),
    headers: Object.fromEntries(
      Object.entries(m.headers ?? {}).map(([k, h]) => [k, Array.isArray(h) ? h.map(buf) : buf(h)]),
    ),
  }));
}

/**
 * Checks a Produce v3+ partition's records: one magic-2 batch whose header Samsa's slice carries
 * intact (length, CRC-32C, attributes, producer fields, count), and whose records kafkajs decodes back.
 */
async function checkRecordBatch(
  t: Test, records: Buffer, msgs: Message[],
  o: { transactional: boolean; producerId: number; producerEpoch: number; firstSequence: number },
) {
  t.ok(Buffer.isBuffer(records), 'records decode to a Buffer');
  const r = new Reader(records);
  const ts = msgs.map((m) => m.timestamp);
  t.equal(r.int64(), 0, 'baseOffset');
  t.equal(r.int32(), records.length - 12, 'batchLength covers the rest of the records field');
  t.equal(r.int32(), 0, 'partitionLeaderEpoch');
  t.equal(r.int8(), 2, 'magic 2');
  t.equal(r.uint32(), crc32c(records.subarray(21)), 'CRC-32C over attributes..end');
  t.equal(r.int16(), o.transactional ? 0x10 : 0, 'attributes');
  t.equal(r.int32(), msgs.length - 1, 'lastOffsetDelta');
  t.equal(r.int64(), Math.min(...ts), 'baseTimestamp');
  t.equal(r.int64(), Math.max(...ts), 'maxTimestamp');
  t.equal(r.int64(), o.producerId, 'producerId');
  t.equal(r.int16(), o.producerEpoch, 'producerEpoch');
  t.equal(r.int32(), o.firstSequence, 'baseSequence');
  t.equal(r.int32(), msgs.length, 'record count');
  const batch = await RecordBatchDecoder(new Decoder(records));
  const want = decodedMessages(msgs, 0);
  t.strictSame(project(batch.records, want), want, 'kafkajs decodes the records from Samsa\'s slice');
}

// Fetch response data: two batches built by kafkajs's own RecordBatch encoder.
const FETCH_FIRST_OFFSET = BIG + 3;
const FETCH_BATCHES: Buffer[] = [
  (await RecordBatch({
    firstOffset: String(FETCH_FIRST_OFFSET),
    firstTimestamp: 1700000001000,
    maxTimestamp: 1700000001250,
    lastOffsetDelta: 1,
    records: [
      Record({ offsetDelta: 0, timestampDelta: 0, key: 'key-a', value: 'value-a', headers: { trace: 'abc' } }),
      Record({ offsetDelta: 1, timestampDelta: 250, key: null, value: 'value-b' }),
    ],
  })).buffer,
  (await RecordBatch({
    firstOffset: String(FETCH_FIRST_OFFSET + 2),
    firstTimestamp: 1700000002000,
    maxTimestamp: 1700000002000,
    producerId: PID,
    producerEpoch: 5,
    records: [Record({ key: 'key-c', value: Buffer.from([7, 7]) })],
  })).buffer,
];
const FETCH_MESSAGES = [
  { offset: String(FETCH_FIRST_OFFSET), timestamp: '1700000001000', key: Buffer.from('key-a'), value: Buffer.from('value-a'), headers: { trace: Buffer.from('abc') }, magicByte: 2 },
  { offset: String(FETCH_FIRST_OFFSET + 1), timestamp: '1700000001250', key: null, value: Buffer.from('value-b'), headers: {}, magicByte: 2 },
  { offset: String(FETCH_FIRST_OFFSET + 2), timestamp: '1700000002000', key: Buffer.from('key-c'), value: Buffer.from([7, 7]), headers: {}, magicByte: 2 },
];

// SASL/PLAIN bytes as kafkajs's PLAIN mechanism produces them: an int32-prefixed payload, which
// kafkajs's SaslAuthenticate request writes as the (already length-prefixed) authBytes field.
const PLAIN_AUTH: Buffer = await PlainSaslRequest({ username: 'alice', password: 'sëcret' }).encode();

// ---------------------------------------------------------------------------------------------
// The table
// ---------------------------------------------------------------------------------------------

const APIS: ApiCase[] = [
  {
    dir: 'produce',
    key: 0,
    requests: (v) => {
      const args = (transactionalId: string | undefined) => ({
        acks: -1,
        timeout: 30123,
        transactionalId,
        producerId: PID,
        producerEpoch: 5,
        topicData: [
          { topic: T1, partitions: [{ partition: 3, firstSequence: 41, messages: PRODUCE_MESSAGES }] },
          { topic: T2, partitions: [{ partition: 0, messages: PRODUCE_MESSAGES_2 }] },
        ],
      });
      const expect = (transactionalId: string | null) => ({
        transactionalId: v >= 3 ? transactionalId : null,
        acks: -1,
        timeoutMs: 30123,
        topicData: [
          { name: T1, partitionData: [{ index: 3 }] },
          { name: T2, partitionData: [{ index: 0 }] },
        ],
      });
      const check = (transactional: boolean) => async (t: Test, d: any) => {
        const [r1, r2] = [d.topicData[0].partitionData[0].records, d.topicData[1].partitionData[0].records];
        if (v < 3) {
          // Produce v0-2 carry a legacy message set: magic 0 (v0-1) or 1 (v2), at byte 16 of each entry.
          // (kafkajs's v0-1 pass no compression, so its message set numbers the offsets 0, 1, 2 as for
          // a compressed wrapper; v2 passes None and writes -1.)
          const messageVersion = v === 2 ? 1 : 0;
          const compression = v === 2 ? 0 : undefined;
          t.strictSame(r1, MessageSet({ messageVersion, compression, entries: PRODUCE_MESSAGES }).buffer, 'records: kafkajs\'s message set, byte for byte');
          t.strictSame(r2, MessageSet({ messageVersion, compression, entries: PRODUCE_MESSAGES_2 }).buffer, 'records (2nd partition)');
          t.equal(r1.readInt8(16), messageVersion, 'message magic');
          return;
        }
        const producer = { transactional, producerId: PID, producerEpoch: 5 };
        await checkRecordBatch(t, r1, PRODUCE_MESSAGES, { ...producer, firstSequence: 41 });
        await checkRecordBatch(t, r2, PRODUCE_MESSAGES_2, { ...producer, firstSequence: 0 });
      };
      return [
        { label: 'transactional', args: args(TXN), expect: expect(TXN), check: check(true) },
        { label: 'idempotent', args: args(undefined), expect: expect(null), check: check(false) },
      ];
    },
    response: (v) => {
      const samsa = mk(M.defaultProduceResponse, {
        throttleTimeMs: 250,
        responses: [
          mk(M.defaultProduceResponseTopicProduceResponse, {
            name: T1,
            partitionResponses: [
              mk(M.defaultProduceResponsePartitionProduceResponse, {
                index: 3, errorCode: 0, baseOffset: BIG + 5, logAppendTimeMs: 1700000000123, logStartOffset: 77,
              }),
            ],
          }),
        ],
      });
      const partition =
        v < 2 ? { partition: 3, errorCode: 0, offset: String(BIG + 5) }
        : v < 3 ? { partition: 3, errorCode: 0, offset: String(BIG + 5), timestamp: '1700000000123' }
        : v < 5 ? { partition: 3, errorCode: 0, baseOffset: String(BIG + 5), logAppendTime: '1700000000123' }
        : { partition: 3, errorCode: 0, baseOffset: String(BIG + 5), logAppendTime: '1700000000123', logStartOffset: '77' };
      return {
        samsa,
        expect: { topics: [{ topicName: T1, partitions: [partition] }], ...(v >= 1 ? throttle(v, 6, 250) : {}) },
      };
    },
    errors: () => {
      const samsa = M.defaultProduceResponse();
      samsa.responses = [mk(M.defaultProduceResponseTopicProduceResponse, {
        name: T1,
        partitionResponses: [mk(M.defaultProduceResponsePartitionProduceResponse, { index: 3, errorCode: ErrorCode.NOT_ENOUGH_REPLICAS })],
      })];
      return [{ label: 'partition error', samsa, error: protocolError(19, 'NOT_ENOUGH_REPLICAS') }];
    },
  },

  {
    dir: 'fetch',
    key: 1,
    requests: (v) => [{
      label: 'fetch',
      args: {
        maxWaitTime: 4321,
        minBytes: 17,
        maxBytes: 10485760,
        sessionId: 99,
        sessionEpoch: 3,
        forgottenTopics: [{ topic: T2, partitions: [5, 6] }],
        rackId: 'rack-b',
        topics: [{
          topic: T1,
          partitions: [
            { partition: 2, currentLeaderEpoch: 9, fetchOffset: BIG + 1, logStartOffset: 12, maxBytes: 1048577 },
            { partition: 8, fetchOffset: 0, maxBytes: 65536 },
          ],
        }],
      },
      expect: {
        replicaId: -1,
        maxWaitMs: 4321,
        minBytes: 17,
        maxBytes: 10485760,
        isolationLevel: 1, // kafkajs defaults to READ_COMMITTED
        sessionId: v >= 7 ? 99 : 0,
        sessionEpoch: v >= 7 ? 3 : -1,
        topics: [{
          topic: T1,
          partitions: [
            { partition: 2, currentLeaderEpoch: v >= 9 ? 9 : -1, fetchOffset: BIG + 1, logStartOffset: v >= 5 ? 12 : -1, partitionMaxBytes: 1048577 },
            { partition: 8, currentLeaderEpoch: -1, fetchOffset: 0, logStartOffset: -1, partitionMaxBytes: 65536 },
          ],
        }],
        forgottenTopicsData: v >= 7 ? [{ topic: T2, partitions: [5, 6] }] : [],
        rackId: v >= 11 ? 'rack-b' : '',
      },
    }],
    response: (v) => {
      const samsa = mk(M.defaultFetchResponse, {
        throttleTimeMs: 120,
        errorCode: 0,
        sessionId: 99,
        responses: [mk(M.defaultFetchResponseFetchableTopicResponse, {
          topic: T1,
          partitions: [mk(M.defaultFetchResponsePartitionData, {
            partitionIndex: 2,
            errorCode: 0,
            highWatermark: BIG + 10,
            lastStableOffset: BIG + 8,
            logStartOffset: 5,
            abortedTransactions: [mk(M.defaultFetchResponseAbortedTransaction, { producerId: 321, firstOffset: BIG + 2 })],
            preferredReadReplica: 4,
            records: FETCH_BATCHES,
          })],
        })],
      });
      const partition: Record<string, unknown> = {
        partition: 2,
        errorCode: 0,
        highWatermark: String(BIG + 10),
        lastStableOffset: String(BIG + 8),
        ...(v >= 5 ? { lastStartOffset: '5' } : {}),
        abortedTransactions: [{ producerId: '321', firstOffset: String(BIG + 2) }],
        ...(v >= 11 ? { preferredReadReplica: 4 } : {}),
        messages: FETCH_MESSAGES,
      };
      return {
        samsa,
        expect: {
          ...throttle(v, 8, 120),
          ...(v >= 7 ? { errorCode: 0, sessionId: 99 } : {}),
          responses: [{ topicName: T1, partitions: [partition] }],
        },
      };
    },
    errors: () => {
      const samsa = M.defaultFetchResponse();
      samsa.responses = [mk(M.defaultFetchResponseFetchableTopicResponse, {
        topic: T1,
        partitions: [mk(M.defaultFetchResponsePartitionData, { partitionIndex: 2, errorCode: ErrorCode.OFFSET_OUT_OF_RANGE })],
      })];
      return [{
        label: 'offset out of range',
        samsa,
        error: { name: 'KafkaJSOffsetOutOfRange', type: 'OFFSET_OUT_OF_RANGE', topic: T1, partition: 2 },
      }];
    },
  },

  {
    dir: 'listOffsets',
    key: 2,
    requests: (v) => [{
      label: 'list offsets',
      args: { topics: [{ topic: T1, partitions: [{ partition: 4, timestamp: -2 }, { partition: 5, timestamp: 1700000000000 }] }] },
      expect: {
        replicaId: -1,
        isolationLevel: v >= 2 ? 1 : 0,
        topics: [{
          name: T1,
          partitions: [
            { partitionIndex: 4, currentLeaderEpoch: -1, timestamp: -2 },
            { partitionIndex: 5, currentLeaderEpoch: -1, timestamp: 1700000000000 },
          ],
        }],
      },
    }],
    response: (v) => ({
      samsa: mk(M.defaultListOffsetsResponse, {
        throttleTimeMs: 33,
        topics: [mk(M.defaultListOffsetsResponseListOffsetsTopicResponse, {
          name: T1,
          partitions: [mk(M.defaultListOffsetsResponseListOffsetsPartitionResponse, {
            partitionIndex: 4, errorCode: 0, timestamp: 1700000000001, offset: BIG + 9, leaderEpoch: 3,
          })],
        })],
      }),
      expect: {
        ...(v >= 2 ? throttle(v, 3, 33) : {}),
        responses: [{ topic: T1, partitions: [{ partition: 4, errorCode: 0, timestamp: '1700000000001', offset: String(BIG + 9) }] }],
      },
    }),
    errors: () => {
      const samsa = M.defaultListOffsetsResponse();
      samsa.topics = [mk(M.defaultListOffsetsResponseListOffsetsTopicResponse, {
        name: T1,
        partitions: [mk(M.defaultListOffsetsResponseListOffsetsPartitionResponse, { partitionIndex: 4, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION })],
      })];
      return [{ label: 'partition error', samsa, error: protocolError(3, 'UNKNOWN_TOPIC_OR_PARTITION') }];
    },
  },

  {
    dir: 'metadata',
    key: 3,
    requests: (v) => [
      {
        label: 'two topics',
        args: { topics: [T1, T2], allowAutoTopicCreation: false },
        expect: { topics: [{ name: T1, topicId: ZERO_UUID }, { name: T2, topicId: ZERO_UUID }], allowAutoTopicCreation: v >= 4 ? false : true },
      },
      {
        // kafkajs sends an empty list as null from v1 on, Kafka's "all topics"; in v0 the empty list means that.
        label: 'all topics',
        args: { topics: [] },
        expect: { topics: v >= 1 ? null : [], allowAutoTopicCreation: true },
      },
    ],
    response: (v) => {
      const samsa = mk(M.defaultMetadataResponse, {
        throttleTimeMs: 15,
        brokers: [
          mk(M.defaultMetadataResponseMetadataResponseBroker, { nodeId: 1, host: 'broker-a.local', port: 19092, rack: 'rack-a' }),
          mk(M.defaultMetadataResponseMetadataResponseBroker, { nodeId: 2, host: 'broker-b.local', port: 29092, rack: null }),
        ],
        clusterId: 'cluster-xyz',
        controllerId: 2,
        topics: [mk(M.defaultMetadataResponseMetadataResponseTopic, {
          errorCode: 0,
          name: T1,
          isInternal: true,
          partitions: [mk(M.defaultMetadataResponseMetadataResponsePartition, {
            errorCode: 0, partitionIndex: 7, leaderId: 2, leaderEpoch: 5, replicaNodes: [2, 1, 3], isrNodes: [2, 3], offlineReplicas: [1],
          })],
        })],
      });
      return {
        samsa,
        expect: {
          ...(v >= 3 ? throttle(v, 6, 15) : {}),
          brokers: [
            { nodeId: 1, host: 'broker-a.local', port: 19092, ...(v >= 1 ? { rack: 'rack-a' } : {}) },
            { nodeId: 2, host: 'broker-b.local', port: 29092, ...(v >= 1 ? { rack: null } : {}) },
          ],
          ...(v >= 2 ? { clusterId: 'cluster-xyz' } : {}),
          ...(v >= 1 ? { controllerId: 2 } : {}),
          topicMetadata: [{
            topicErrorCode: 0,
            topic: T1,
            ...(v >= 1 ? { isInternal: true } : {}),
            partitionMetadata: [{
              partitionErrorCode: 0, partitionId: 7, leader: 2, replicas: [2, 1, 3], isr: [2, 3],
              ...(v >= 5 ? { offlineReplicas: [1] } : {}),
            }],
          }],
        },
      };
    },
    errors: () => {
      const samsa = M.defaultMetadataResponse();
      samsa.topics = [mk(M.defaultMetadataResponseMetadataResponseTopic, { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, name: T1 })];
      const partitionError = M.defaultMetadataResponse();
      partitionError.topics = [mk(M.defaultMetadataResponseMetadataResponseTopic, {
        name: T1,
        partitions: [mk(M.defaultMetadataResponseMetadataResponsePartition, { errorCode: ErrorCode.LEADER_NOT_AVAILABLE })],
      })];
      return [
        { label: 'topic error', samsa, error: protocolError(3, 'UNKNOWN_TOPIC_OR_PARTITION') },
        { label: 'partition error', samsa: partitionError, error: protocolError(5, 'LEADER_NOT_AVAILABLE') },
      ];
    },
  },

  {
    dir: 'offsetCommit',
    key: 8,
    requests: (v) => [{
      label: 'commit',
      args: {
        groupId: G,
        groupGenerationId: 17,
        memberId: MEMBER,
        retentionTime: 86400000,
        topics: [{ topic: T1, partitions: [{ partition: 1, offset: BIG + 4, metadata: 'meta-1' }, { partition: 2, offset: '0' }] }],
      },
      expect: {
        groupId: G,
        generationIdOrMemberEpoch: 17,
        memberId: MEMBER,
        groupInstanceId: null,
        retentionTimeMs: v <= 4 ? 86400000 : -1, // kafkajs v5 drops it, as Kafka did
        topics: [{
          name: T1,
          partitions: [
            { partitionIndex: 1, committedOffset: BIG + 4, committedLeaderEpoch: -1, committedMetadata: 'meta-1' },
            { partitionIndex: 2, committedOffset: 0, committedLeaderEpoch: -1, committedMetadata: null },
          ],
        }],
      },
    }],
    response: (v) => ({
      samsa: mk(M.defaultOffsetCommitResponse, {
        throttleTimeMs: 44,
        topics: [mk(M.defaultOffsetCommitResponseOffsetCommitResponseTopic, {
          name: T1,
          partitions: [
            mk(M.defaultOffsetCommitResponseOffsetCommitResponsePartition, { partitionIndex: 1, errorCode: 0 }),
            mk(M.defaultOffsetCommitResponseOffsetCommitResponsePartition, { partitionIndex: 2, errorCode: 0 }),
          ],
        })],
      }),
      expect: {
        ...(v >= 3 ? throttle(v, 4, 44) : {}),
        responses: [{ topic: T1, partitions: [{ partition: 1, errorCode: 0 }, { partition: 2, errorCode: 0 }] }],
      },
    }),
    errors: () => {
      const samsa = M.defaultOffsetCommitResponse();
      samsa.topics = [mk(M.defaultOffsetCommitResponseOffsetCommitResponseTopic, {
        name: T1,
        partitions: [
          mk(M.defaultOffsetCommitResponseOffsetCommitResponsePartition, { partitionIndex: 1 }),
          mk(M.defaultOffsetCommitResponseOffsetCommitResponsePartition, { partitionIndex: 2, errorCode: ErrorCode.ILLEGAL_GENERATION }),
        ],
      })];
      return [{ label: 'partition error', samsa, error: protocolError(22, 'ILLEGAL_GENERATION') }];
    },
  },

  {
    dir: 'offsetFetch',
    key: 9,
    requests: (v) => [
      {
        label: 'two partitions',
        args: { groupId: G, topics: [{ topic: T1, partitions: [{ partition: 0 }, { partition: 7 }] }] },
        expect: { groupId: G, topics: [{ name: T1, partitionIndexes: [0, 7] }], groups: [], requireStable: false },
      },
      {
        // From v3 kafkajs sends an empty list as null: Kafka's "all committed offsets of the group".
        label: 'all topics',
        args: { groupId: G, topics: [] },
        expect: { groupId: G, topics: v >= 3 ? null : [] },
      },
    ],
    response: (v) => ({
      samsa: mk(M.defaultOffsetFetchResponse, {
        throttleTimeMs: 12,
        topics: [mk(M.defaultOffsetFetchResponseOffsetFetchResponseTopic, {
          name: T1,
          partitions: [
            mk(M.defaultOffsetFetchResponseOffsetFetchResponsePartition, { partitionIndex: 0, committedOffset: BIG + 6, metadata: 'meta-x' }),
            mk(M.defaultOffsetFetchResponseOffsetFetchResponsePartition, { partitionIndex: 7, committedOffset: -1, metadata: null }),
          ],
        })],
        errorCode: 0,
      }),
      expect: {
        ...(v >= 3 ? throttle(v, 4, 12) : {}),
        responses: [{
          topic: T1,
          partitions: [
            { partition: 0, offset: String(BIG + 6), metadata: 'meta-x', errorCode: 0 },
            { partition: 7, offset: '-1', metadata: null, errorCode: 0 },
          ],
        }],
        ...(v >= 2 ? { errorCode: 0 } : {}),
      },
    }),
    errors: (v) => {
      const partitionError = M.defaultOffsetFetchResponse();
      partitionError.topics = [mk(M.defaultOffsetFetchResponseOffsetFetchResponseTopic, {
        name: T1,
        partitions: [mk(M.defaultOffsetFetchResponseOffsetFetchResponsePartition, { partitionIndex: 0, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION })],
      })];
      const cases = [{ label: 'partition error', samsa: partitionError, error: protocolError(3, 'UNKNOWN_TOPIC_OR_PARTITION') }];
      if (v >= 2) {
        cases.push({ label: 'group error', samsa: mk(M.defaultOffsetFetchResponse, { errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED }), error: protocolError(30, 'GROUP_AUTHORIZATION_FAILED') });
      }
      return cases;
    },
  },

  {
    dir: 'findCoordinator',
    key: 10,
    requests: (v) => [{
      label: 'transaction coordinator',
      args: { groupId: TXN, coordinatorType: 1 },
      expect: { key: TXN, keyType: v >= 1 ? 1 : 0 },
    }],
    response: (v) => ({
      samsa: mk(M.defaultFindCoordinatorResponse, {
        throttleTimeMs: 7, errorCode: 0, errorMessage: 'coordinator-ok', nodeId: 3, host: 'coord.local', port: 39092,
      }),
      expect: {
        ...(v >= 1 ? { ...throttle(v, 2, 7), errorMessage: 'coordinator-ok' } : {}),
        errorCode: 0,
        coordinator: { nodeId: 3, host: 'coord.local', port: 39092 },
      },
    }),
    errors: () => [{
      label: 'coordinator not available',
      samsa: mk(M.defaultFindCoordinatorResponse, { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE }),
      error: protocolError(15, 'GROUP_COORDINATOR_NOT_AVAILABLE'),
    }],
  },

  {
    dir: 'joinGroup',
    key: 11,
    requests: (v) => [{
      label: 'join',
      args: {
        groupId: G,
        sessionTimeout: 30001,
        rebalanceTimeout: 60002,
        memberId: MEMBER,
        groupInstanceId: INSTANCE,
        protocolType: 'consumer',
        groupProtocols: [
          { name: 'RoundRobinAssigner', metadata: Buffer.from([0, 1, 2, 3]) },
          { name: 'range', metadata: Buffer.from('xyz') },
        ],
      },
      expect: {
        groupId: G,
        sessionTimeoutMs: 30001,
        rebalanceTimeoutMs: v >= 1 ? 60002 : -1,
        memberId: MEMBER,
        groupInstanceId: v >= 5 ? INSTANCE : null,
        protocolType: 'consumer',
        protocols: [
          { name: 'RoundRobinAssigner', metadata: Buffer.from([0, 1, 2, 3]) },
          { name: 'range', metadata: Buffer.from('xyz') },
        ],
        reason: null,
      },
    }],
    response: (v) => ({
      samsa: mk(M.defaultJoinGroupResponse, {
        throttleTimeMs: 21,
        errorCode: 0,
        generationId: 42,
        protocolType: 'consumer',
        protocolName: 'RoundRobinAssigner',
        leader: 'leader-m',
        memberId: MEMBER,
        members: [
          mk(M.defaultJoinGroupResponseJoinGroupResponseMember, { memberId: 'leader-m', groupInstanceId: INSTANCE, metadata: Buffer.from([9, 8, 7]) }),
          mk(M.defaultJoinGroupResponseJoinGroupResponseMember, { memberId: MEMBER, groupInstanceId: null, metadata: Buffer.alloc(0) }),
        ],
      }),
      expect: {
        ...(v >= 2 ? throttle(v, 3, 21) : {}),
        errorCode: 0,
        generationId: 42,
        groupProtocol: 'RoundRobinAssigner',
        leaderId: 'leader-m',
        memberId: MEMBER,
        members: [
          { memberId: 'leader-m', ...(v >= 5 ? { groupInstanceId: INSTANCE } : {}), memberMetadata: Buffer.from([9, 8, 7]) },
          { memberId: MEMBER, ...(v >= 5 ? { groupInstanceId: null } : {}), memberMetadata: Buffer.alloc(0) },
        ],
      },
    }),
    errors: (v) => [
      {
        label: 'unknown member',
        samsa: mk(M.defaultJoinGroupResponse, { errorCode: ErrorCode.UNKNOWN_MEMBER_ID, protocolName: '' }),
        error: protocolError(25, 'UNKNOWN_MEMBER_ID'),
      },
      {
        label: 'member id required',
        samsa: mk(M.defaultJoinGroupResponse, { errorCode: ErrorCode.MEMBER_ID_REQUIRED, protocolName: '', memberId: MEMBER }),
        // from v4 kafkajs takes the member id the broker assigned from the error response
        error: v >= 4
          ? { name: 'KafkaJSMemberIdRequired', type: 'MEMBER_ID_REQUIRED', memberId: MEMBER }
          : protocolError(79, 'MEMBER_ID_REQUIRED'),
      },
    ],
  },

  {
    dir: 'heartbeat',
    key: 12,
    requests: (v) => [{
      label: 'heartbeat',
      args: { groupId: G, groupGenerationId: 42, memberId: MEMBER, groupInstanceId: INSTANCE },
      expect: { groupId: G, generationId: 42, memberId: MEMBER, groupInstanceId: v >= 3 ? INSTANCE : null },
    }],
    response: (v) => ({
      samsa: mk(M.defaultHeartbeatResponse, { throttleTimeMs: 9, errorCode: 0 }),
      expect: { ...(v >= 1 ? throttle(v, 2, 9) : {}), errorCode: 0 },
    }),
    errors: () => [{
      label: 'rebalance',
      samsa: mk(M.defaultHeartbeatResponse, { errorCode: ErrorCode.REBALANCE_IN_PROGRESS }),
      error: protocolError(27, 'REBALANCE_IN_PROGRESS'),
    }],
  },

  {
    dir: 'leaveGroup',
    key: 13,
    requests: (v) => [{
      label: 'leave',
      args: { groupId: G, memberId: MEMBER, groupInstanceId: INSTANCE },
      expect: v >= 3
        ? { groupId: G, memberId: '', members: [{ memberId: MEMBER, groupInstanceId: INSTANCE, reason: null }] }
        : { groupId: G, memberId: MEMBER, members: [] },
    }],
    response: (v) => ({
      samsa: mk(M.defaultLeaveGroupResponse, {
        throttleTimeMs: 8,
        errorCode: 0,
        members: [mk(M.defaultLeaveGroupResponseMemberResponse, { memberId: MEMBER, groupInstanceId: INSTANCE, errorCode: 0 })],
      }),
      expect: {
        ...(v >= 1 ? throttle(v, 2, 8) : {}),
        errorCode: 0,
        ...(v >= 3 ? { members: [{ memberId: MEMBER, groupInstanceId: INSTANCE, errorCode: 0 }] } : {}),
      },
    }),
    errors: (v) => {
      const cases: ErrorCase[] = [{
        label: 'group error',
        samsa: mk(M.defaultLeaveGroupResponse, { errorCode: ErrorCode.UNKNOWN_MEMBER_ID }),
        error: protocolError(25, 'UNKNOWN_MEMBER_ID'),
      }];
      if (v >= 3) {
        cases.push({
          label: 'member error',
          samsa: mk(M.defaultLeaveGroupResponse, {
            members: [mk(M.defaultLeaveGroupResponseMemberResponse, { memberId: MEMBER, errorCode: ErrorCode.FENCED_INSTANCE_ID })],
          }),
          error: protocolError(82, 'FENCED_INSTANCE_ID'),
        });
      }
      return cases;
    },
  },

  {
    dir: 'syncGroup',
    key: 14,
    requests: (v) => [{
      label: 'sync',
      args: {
        groupId: G,
        generationId: 42,
        memberId: MEMBER,
        groupInstanceId: INSTANCE,
        groupAssignment: [
          { memberId: MEMBER, memberAssignment: Buffer.from([1, 2, 3]) },
          { memberId: 'other-member', memberAssignment: Buffer.alloc(0) },
        ],
      },
      expect: {
        groupId: G,
        generationId: 42,
        memberId: MEMBER,
        groupInstanceId: v >= 3 ? INSTANCE : null,
        protocolType: null,
        protocolName: null,
        assignments: [
          { memberId: MEMBER, assignment: Buffer.from([1, 2, 3]) },
          { memberId: 'other-member', assignment: Buffer.alloc(0) },
        ],
      },
    }],
    response: (v) => ({
      samsa: mk(M.defaultSyncGroupResponse, { throttleTimeMs: 6, errorCode: 0, assignment: Buffer.from([0, 1, 0, 0, 0, 1]) }),
      expect: { ...(v >= 1 ? throttle(v, 2, 6) : {}), errorCode: 0, memberAssignment: Buffer.from([0, 1, 0, 0, 0, 1]) },
    }),
    errors: () => [{
      label: 'illegal generation',
      samsa: mk(M.defaultSyncGroupResponse, { errorCode: ErrorCode.ILLEGAL_GENERATION }),
      error: protocolError(22, 'ILLEGAL_GENERATION'),
    }],
  },

  {
    dir: 'describeGroups',
    key: 15,
    requests: () => [{
      label: 'two groups',
      args: { groupIds: [G, 'group-2'] },
      expect: { groups: [G, 'group-2'], includeAuthorizedOperations: false },
    }],
    response: (v) => ({
      samsa: mk(M.defaultDescribeGroupsResponse, {
        throttleTimeMs: 5,
        groups: [mk(M.defaultDescribeGroupsResponseDescribedGroup, {
          errorCode: 0,
          groupId: G,
          groupState: 'Stable',
          protocolType: 'consumer',
          protocolData: 'RoundRobinAssigner',
          members: [mk(M.defaultDescribeGroupsResponseDescribedGroupMember, {
            memberId: MEMBER,
            clientId: 'client-1',
            clientHost: '/10.0.0.1',
            memberMetadata: Buffer.from([1, 1]),
            memberAssignment: Buffer.from([2, 2, 2]),
          })],
        })],
      }),
      expect: {
        ...(v >= 1 ? throttle(v, 2, 5) : {}),
        groups: [{
          errorCode: 0,
          groupId: G,
          state: 'Stable',
          protocolType: 'consumer',
          protocol: 'RoundRobinAssigner',
          members: [{
            memberId: MEMBER,
            clientId: 'client-1',
            clientHost: '/10.0.0.1',
            memberMetadata: Buffer.from([1, 1]),
            memberAssignment: Buffer.from([2, 2, 2]),
          }],
        }],
      },
    }),
    errors: () => [{
      label: 'group error',
      samsa: mk(M.defaultDescribeGroupsResponse, {
        groups: [mk(M.defaultDescribeGroupsResponseDescribedGroup, { groupId: G, errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED })],
      }),
      error: protocolError(30, 'GROUP_AUTHORIZATION_FAILED'),
    }],
  },

  {
    dir: 'listGroups',
    key: 16,
    requests: () => [{ label: 'empty body', args: undefined, expect: { statesFilter: [], typesFilter: [] } }],
    response: (v) => ({
      samsa: mk(M.defaultListGroupsResponse, {
        throttleTimeMs: 4,
        errorCode: 0,
        groups: [
          mk(M.defaultListGroupsResponseListedGroup, { groupId: G, protocolType: 'consumer', groupState: 'Stable', groupType: 'classic' }),
          mk(M.defaultListGroupsResponseListedGroup, { groupId: 'connect-x', protocolType: 'connect' }),
        ],
      }),
      expect: {
        ...(v >= 1 ? throttle(v, 2, 4) : {}),
        errorCode: 0,
        groups: [{ groupId: G, protocolType: 'consumer' }, { groupId: 'connect-x', protocolType: 'connect' }],
      },
    }),
    errors: () => [{
      label: 'loading',
      samsa: mk(M.defaultListGroupsResponse, { errorCode: ErrorCode.COORDINATOR_LOAD_IN_PROGRESS }),
      error: protocolError(14, 'GROUP_LOAD_IN_PROGRESS'),
    }],
  },

  {
    dir: 'saslHandshake',
    key: 17,
    requests: () => [{ label: 'handshake', args: { mechanism: 'SCRAM-SHA-512' }, expect: { mechanism: 'SCRAM-SHA-512' } }],
    response: () => ({
      samsa: mk(M.defaultSaslHandshakeResponse, { errorCode: 0, mechanisms: ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'] }),
      expect: { errorCode: 0, enabledMechanisms: ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'] },
    }),
    errors: () => [{
      label: 'unsupported mechanism',
      samsa: mk(M.defaultSaslHandshakeResponse, { errorCode: ErrorCode.UNSUPPORTED_SASL_MECHANISM, mechanisms: ['PLAIN'] }),
      error: protocolError(33, 'UNSUPPORTED_SASL_MECHANISM'),
    }],
  },

  {
    dir: 'apiVersions',
    key: 18,
    requests: () => [{ label: 'empty body', args: undefined, expect: { clientSoftwareName: '', clientSoftwareVersion: '' } }],
    response: (v) => ({
      samsa: mk(M.defaultApiVersionsResponse, {
        errorCode: 0,
        apiKeys: [
          mk(M.defaultApiVersionsResponseApiVersion, { apiKey: 0, minVersion: 3, maxVersion: 13 }),
          mk(M.defaultApiVersionsResponseApiVersion, { apiKey: 18, minVersion: 0, maxVersion: 4 }),
        ],
        throttleTimeMs: 3,
      }),
      expect: {
        errorCode: 0,
        apiVersions: [{ apiKey: 0, minVersion: 3, maxVersion: 13 }, { apiKey: 18, minVersion: 0, maxVersion: 4 }],
        ...(v >= 1 ? throttle(v, 2, 3) : {}),
      },
    }),
    errors: () => [{
      // kafkajs throws for UNSUPPORTED_VERSION already in decode, to fall back to a lower version
      label: 'unsupported version',
      samsa: mk(M.defaultApiVersionsResponse, {
        errorCode: ErrorCode.UNSUPPORTED_VERSION,
        apiKeys: [mk(M.defaultApiVersionsResponseApiVersion, { apiKey: 18, minVersion: 0, maxVersion: 4 })],
      }),
      error: protocolError(35, 'UNSUPPORTED_VERSION'),
    }],
  },

  {
    dir: 'createTopics',
    key: 19,
    requests: () => [{
      label: 'two topics',
      args: {
        topics: [
          {
            topic: T1,
            numPartitions: 6,
            replicationFactor: 3,
            configEntries: [{ name: 'cleanup.policy', value: 'compact' }, { name: 'retention.ms', value: null }],
          },
          {
            topic: T2,
            replicaAssignment: [{ partition: 0, replicas: [1, 2] }, { partition: 1, replicas: [2, 3] }],
          },
        ],
        validateOnly: true,
        timeout: 12345,
      },
      expect: {
        topics: [
          {
            name: T1, numPartitions: 6, replicationFactor: 3, assignments: [],
            configs: [{ name: 'cleanup.policy', value: 'compact' }, { name: 'retention.ms', value: null }],
          },
          {
            name: T2, numPartitions: -1, replicationFactor: -1,
            assignments: [{ partitionIndex: 0, brokerIds: [1, 2] }, { partitionIndex: 1, brokerIds: [2, 3] }],
            configs: [],
          },
        ],
        timeoutMs: 12345,
        validateOnly: true,
      },
    }],
    response: (v) => ({
      samsa: mk(M.defaultCreateTopicsResponse, {
        throttleTimeMs: 2,
        topics: [
          mk(M.defaultCreateTopicsResponseCreatableTopicResult, { name: T2, errorCode: 0, errorMessage: 'created' }),
          mk(M.defaultCreateTopicsResponseCreatableTopicResult, { name: T1, errorCode: 0, errorMessage: null }),
        ],
      }),
      expect: {
        ...throttle(v, 3, 2),
        // kafkajs sorts the results by topic name
        topicErrors: [{ topic: T1, errorCode: 0, errorMessage: null }, { topic: T2, errorCode: 0, errorMessage: 'created' }],
      },
    }),
    errors: () => [{
      label: 'topic exists',
      samsa: mk(M.defaultCreateTopicsResponse, {
        topics: [mk(M.defaultCreateTopicsResponseCreatableTopicResult, { name: T1, errorCode: ErrorCode.TOPIC_ALREADY_EXISTS, errorMessage: 'exists' })],
      }),
      error: { name: 'KafkaJSAggregateError', errors: [{ name: 'KafkaJSCreateTopicError', type: 'TOPIC_ALREADY_EXISTS', topic: T1 }] },
    }],
  },

  {
    dir: 'deleteTopics',
    key: 20,
    requests: () => [{
      label: 'two topics',
      args: { topics: [T1, T2], timeout: 23456 },
      expect: { topicNames: [T1, T2], topics: [], timeoutMs: 23456 },
    }],
    response: (v) => ({
      samsa: mk(M.defaultDeleteTopicsResponse, {
        throttleTimeMs: 1,
        responses: [
          mk(M.defaultDeleteTopicsResponseDeletableTopicResult, { name: T2, errorCode: 0 }),
          mk(M.defaultDeleteTopicsResponseDeletableTopicResult, { name: T1, errorCode: 0 }),
        ],
      }),
      expect: { ...throttle(v, 1, 1), topicErrors: [{ topic: T1, errorCode: 0 }, { topic: T2, errorCode: 0 }] },
    }),
    errors: () => [{
      label: 'unknown topic',
      samsa: mk(M.defaultDeleteTopicsResponse, {
        responses: [mk(M.defaultDeleteTopicsResponseDeletableTopicResult, { name: T1, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION })],
      }),
      error: protocolError(3, 'UNKNOWN_TOPIC_OR_PARTITION'),
    }],
  },

  {
    dir: 'deleteRecords',
    key: 21,
    requests: () => [{
      label: 'two partitions',
      args: { topics: [{ topic: T1, partitions: [{ partition: 0, offset: BIG + 7 }, { partition: 1, offset: '-1' }] }], timeout: 34567 },
      expect: {
        topics: [{ name: T1, partitions: [{ partitionIndex: 0, offset: BIG + 7 }, { partitionIndex: 1, offset: -1 }] }],
        timeoutMs: 34567,
      },
    }],
    response: (v) => ({
      samsa: mk(M.defaultDeleteRecordsResponse, {
        throttleTimeMs: 11,
        topics: [mk(M.defaultDeleteRecordsResponseDeleteRecordsTopicResult, {
          name: T1,
          partitions: [
            mk(M.defaultDeleteRecordsResponseDeleteRecordsPartitionResult, { partitionIndex: 0, lowWatermark: BIG + 7, errorCode: 0 }),
            mk(M.defaultDeleteRecordsResponseDeleteRecordsPartitionResult, { partitionIndex: 1, lowWatermark: 100, errorCode: 0 }),
          ],
        })],
      }),
      expect: {
        ...throttle(v, 1, 11),
        // kafkajs leaves lowWatermark a BigInt here
        topics: [{ topic: T1, partitions: [{ partition: 0, lowWatermark: BigInt(BIG + 7), errorCode: 0 }, { partition: 1, lowWatermark: 100n, errorCode: 0 }] }],
      },
    }),
    errors: () => [{
      label: 'partition error',
      samsa: mk(M.defaultDeleteRecordsResponse, {
        topics: [mk(M.defaultDeleteRecordsResponseDeleteRecordsTopicResult, {
          name: T1,
          partitions: [
            mk(M.defaultDeleteRecordsResponseDeleteRecordsPartitionResult, { partitionIndex: 0 }),
            mk(M.defaultDeleteRecordsResponseDeleteRecordsPartitionResult, { partitionIndex: 1, errorCode: ErrorCode.OFFSET_OUT_OF_RANGE }),
          ],
        })],
      }),
      // kafkajs joins the failed partition with the offset it asked for (and drops the topic name)
      error: {
        name: 'KafkaJSDeleteTopicRecordsError',
        partitions: [{ partition: 1, offset: '-1', error: { type: 'OFFSET_OUT_OF_RANGE' } }],
      },
    }],
  },

  {
    dir: 'initProducerId',
    key: 22,
    requests: () => [
      {
        label: 'transactional',
        args: { transactionalId: TXN, transactionTimeout: 45678 },
        expect: { transactionalId: TXN, transactionTimeoutMs: 45678, producerId: -1, producerEpoch: -1 },
      },
      {
        label: 'idempotent',
        args: { transactionalId: undefined, transactionTimeout: 45679 },
        expect: { transactionalId: null, transactionTimeoutMs: 45679 },
      },
    ],
    response: (v) => ({
      samsa: mk(M.defaultInitProducerIdResponse, { throttleTimeMs: 13, errorCode: 0, producerId: PID, producerEpoch: 5 }),
      expect: { ...throttle(v, 1, 13), errorCode: 0, producerId: String(PID), producerEpoch: 5 },
    }),
    errors: () => [{
      label: 'concurrent transactions',
      samsa: mk(M.defaultInitProducerIdResponse, { errorCode: ErrorCode.CONCURRENT_TRANSACTIONS }),
      error: protocolError(51, 'CONCURRENT_TRANSACTIONS'),
    }],
  },

  {
    dir: 'addPartitionsToTxn',
    key: 24,
    requests: () => [{
      label: 'two topics',
      args: { transactionalId: TXN, producerId: PID, producerEpoch: 5, topics: [{ topic: T1, partitions: [0, 3] }, { topic: T2, partitions: [1] }] },
      expect: {
        transactions: [],
        v3AndBelowTransactionalId: TXN,
        v3AndBelowProducerId: PID,
        v3AndBelowProducerEpoch: 5,
        v3AndBelowTopics: [{ name: T1, partitions: [0, 3] }, { name: T2, partitions: [1] }],
      },
    }],
    response: (v) => ({
      samsa: mk(M.defaultAddPartitionsToTxnResponse, {
        throttleTimeMs: 14,
        resultsByTopicV3AndBelow: [mk(M.defaultAddPartitionsToTxnResponseAddPartitionsToTxnTopicResult, {
          name: T1,
          resultsByPartition: [
            mk(M.defaultAddPartitionsToTxnResponseAddPartitionsToTxnPartitionResult, { partitionIndex: 0, partitionErrorCode: 0 }),
            mk(M.defaultAddPartitionsToTxnResponseAddPartitionsToTxnPartitionResult, { partitionIndex: 3, partitionErrorCode: 0 }),
          ],
        })],
      }),
      expect: {
        ...throttle(v, 1, 14),
        errors: [{ topic: T1, partitionErrors: [{ partition: 0, errorCode: 0 }, { partition: 3, errorCode: 0 }] }],
      },
    }),
    errors: () => [{
      label: 'partition error',
      samsa: mk(M.defaultAddPartitionsToTxnResponse, {
        resultsByTopicV3AndBelow: [mk(M.defaultAddPartitionsToTxnResponseAddPartitionsToTxnTopicResult, {
          name: T1,
          resultsByPartition: [mk(M.defaultAddPartitionsToTxnResponseAddPartitionsToTxnPartitionResult, { partitionIndex: 3, partitionErrorCode: ErrorCode.INVALID_TXN_STATE })],
        })],
      }),
      error: protocolError(48, 'INVALID_TXN_STATE'),
    }],
  },

  {
    dir: 'addOffsetsToTxn',
    key: 25,
    requests: () => [{
      label: 'add offsets',
      args: { transactionalId: TXN, producerId: PID, producerEpoch: 5, groupId: G },
      expect: { transactionalId: TXN, producerId: PID, producerEpoch: 5, groupId: G },
    }],
    response: (v) => ({
      samsa: mk(M.defaultAddOffsetsToTxnResponse, { throttleTimeMs: 16, errorCode: 0 }),
      expect: { ...throttle(v, 1, 16), errorCode: 0 },
    }),
    errors: () => [{
      label: 'fenced epoch',
      samsa: mk(M.defaultAddOffsetsToTxnResponse, { errorCode: ErrorCode.INVALID_PRODUCER_EPOCH }),
      error: protocolError(47, 'INVALID_PRODUCER_EPOCH'),
    }],
  },

  {
    dir: 'endTxn',
    key: 26,
    requests: () => [
      {
        label: 'commit',
        args: { transactionalId: TXN, producerId: PID, producerEpoch: 5, transactionResult: true },
        expect: { transactionalId: TXN, producerId: PID, producerEpoch: 5, committed: true },
      },
      {
        label: 'abort',
        args: { transactionalId: TXN, producerId: PID, producerEpoch: 6, transactionResult: false },
        expect: { transactionalId: TXN, producerId: PID, producerEpoch: 6, committed: false },
      },
    ],
    response: (v) => ({
      samsa: mk(M.defaultEndTxnResponse, { throttleTimeMs: 17, errorCode: 0 }),
      expect: { ...throttle(v, 1, 17), errorCode: 0 },
    }),
    errors: () => [{
      label: 'invalid state',
      samsa: mk(M.defaultEndTxnResponse, { errorCode: ErrorCode.INVALID_TXN_STATE }),
      error: protocolError(48, 'INVALID_TXN_STATE'),
    }],
  },

  {
    dir: 'txnOffsetCommit',
    key: 28,
    requests: () => [{
      label: 'commit',
      args: {
        transactionalId: TXN,
        groupId: G,
        producerId: PID,
        producerEpoch: 5,
        topics: [{ topic: T1, partitions: [{ partition: 2, offset: BIG + 12, metadata: 'm' }, { partition: 3, offset: 0, metadata: null }] }],
      },
      expect: {
        transactionalId: TXN,
        groupId: G,
        producerId: PID,
        producerEpoch: 5,
        generationId: -1,
        memberId: '',
        groupInstanceId: null,
        topics: [{
          name: T1,
          partitions: [
            { partitionIndex: 2, committedOffset: BIG + 12, committedLeaderEpoch: -1, committedMetadata: 'm' },
            { partitionIndex: 3, committedOffset: 0, committedLeaderEpoch: -1, committedMetadata: null },
          ],
        }],
      },
    }],
    response: (v) => ({
      samsa: mk(M.defaultTxnOffsetCommitResponse, {
        throttleTimeMs: 18,
        topics: [mk(M.defaultTxnOffsetCommitResponseTxnOffsetCommitResponseTopic, {
          name: T1,
          partitions: [
            mk(M.defaultTxnOffsetCommitResponseTxnOffsetCommitResponsePartition, { partitionIndex: 2, errorCode: 0 }),
            mk(M.defaultTxnOffsetCommitResponseTxnOffsetCommitResponsePartition, { partitionIndex: 3, errorCode: 0 }),
          ],
        })],
      }),
      expect: { ...throttle(v, 1, 18), topics: [{ topic: T1, partitions: [{ partition: 2, errorCode: 0 }, { partition: 3, errorCode: 0 }] }] },
    }),
    errors: () => [{
      label: 'partition error',
      samsa: mk(M.defaultTxnOffsetCommitResponse, {
        topics: [mk(M.defaultTxnOffsetCommitResponseTxnOffsetCommitResponseTopic, {
          name: T1,
          partitions: [mk(M.defaultTxnOffsetCommitResponseTxnOffsetCommitResponsePartition, { partitionIndex: 2, errorCode: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED })],
        })],
      }),
      error: protocolError(53, 'TRANSACTIONAL_ID_AUTHORIZATION_FAILED'),
    }],
  },

  {
    dir: 'describeAcls',
    key: 29,
    requests: () => [
      {
        label: 'prefixed topic filter',
        args: { resourceType: 2, resourceName: T1, resourcePatternType: 4, principal: 'User:alice', host: '*', operation: 4, permissionType: 3 },
        expect: {
          resourceTypeFilter: 2, resourceNameFilter: T1, patternTypeFilter: 4, principalFilter: 'User:alice', hostFilter: '*', operation: 4, permissionType: 3,
        },
      },
      {
        label: 'null filters',
        args: { resourceType: 1, resourceName: null, resourcePatternType: 1, principal: null, host: null, operation: 1, permissionType: 1 },
        expect: {
          resourceTypeFilter: 1, resourceNameFilter: null, patternTypeFilter: 1, principalFilter: null, hostFilter: null, operation: 1, permissionType: 1,
        },
      },
    ],
    response: () => ({
      samsa: mk(M.defaultDescribeAclsResponse, {
        throttleTimeMs: 19,
        errorCode: 0,
        errorMessage: null,
        resources: [mk(M.defaultDescribeAclsResponseDescribeAclsResource, {
          resourceType: 2,
          resourceName: T1,
          patternType: 4,
          acls: [
            mk(M.defaultDescribeAclsResponseAclDescription, { principal: 'User:alice', host: '*', operation: 4, permissionType: 3 }),
            mk(M.defaultDescribeAclsResponseAclDescription, { principal: 'User:bob', host: '10.0.0.2', operation: 2, permissionType: 2 }),
          ],
        })],
      }),
      expect: {
        throttleTime: 0,
        clientSideThrottleTime: 19,
        errorCode: 0,
        errorMessage: null,
        resources: [{
          resourceType: 2,
          resourceName: T1,
          resourcePatternType: 4,
          acls: [
            { principal: 'User:alice', host: '*', operation: 4, permissionType: 3 },
            { principal: 'User:bob', host: '10.0.0.2', operation: 2, permissionType: 2 },
          ],
        }],
      },
    }),
    errors: () => [{
      label: 'security disabled',
      samsa: mk(M.defaultDescribeAclsResponse, { errorCode: ErrorCode.SECURITY_DISABLED, errorMessage: 'no authorizer' }),
      error: protocolError(54, 'SECURITY_DISABLED'),
    }],
  },

  {
    dir: 'createAcls',
    key: 30,
    requests: () => [{
      label: 'two creations',
      args: {
        creations: [
          { resourceType: 2, resourceName: T1, resourcePatternType: 4, principal: 'User:alice', host: '*', operation: 4, permissionType: 3 },
          { resourceType: 3, resourceName: G, resourcePatternType: 3, principal: 'User:bob', host: '10.0.0.2', operation: 3, permissionType: 2 },
        ],
      },
      expect: {
        creations: [
          { resourceType: 2, resourceName: T1, resourcePatternType: 4, principal: 'User:alice', host: '*', operation: 4, permissionType: 3 },
          { resourceType: 3, resourceName: G, resourcePatternType: 3, principal: 'User:bob', host: '10.0.0.2', operation: 3, permissionType: 2 },
        ],
      },
    }],
    response: () => ({
      samsa: mk(M.defaultCreateAclsResponse, {
        throttleTimeMs: 20,
        results: [
          mk(M.defaultCreateAclsResponseAclCreationResult, { errorCode: 0, errorMessage: null }),
          mk(M.defaultCreateAclsResponseAclCreationResult, { errorCode: 0, errorMessage: 'created' }),
        ],
      }),
      expect: {
        throttleTime: 0,
        clientSideThrottleTime: 20,
        creationResponses: [{ errorCode: 0, errorMessage: null }, { errorCode: 0, errorMessage: 'created' }],
      },
    }),
    errors: () => [{
      label: 'not authorized',
      samsa: mk(M.defaultCreateAclsResponse, {
        results: [mk(M.defaultCreateAclsResponseAclCreationResult, { errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED })],
      }),
      error: protocolError(31, 'CLUSTER_AUTHORIZATION_FAILED'),
    }],
  },

  {
    dir: 'deleteAcls',
    key: 31,
    requests: () => [{
      label: 'two filters',
      args: {
        filters: [
          { resourceType: 2, resourceName: T1, resourcePatternType: 4, principal: 'User:alice', host: '*', operation: 4, permissionType: 3 },
          { resourceType: 1, resourceName: null, resourcePatternType: 1, principal: null, host: null, operation: 1, permissionType: 1 },
        ],
      },
      expect: {
        filters: [
          { resourceTypeFilter: 2, resourceNameFilter: T1, patternTypeFilter: 4, principalFilter: 'User:alice', hostFilter: '*', operation: 4, permissionType: 3 },
          { resourceTypeFilter: 1, resourceNameFilter: null, patternTypeFilter: 1, principalFilter: null, hostFilter: null, operation: 1, permissionType: 1 },
        ],
      },
    }],
    response: () => ({
      samsa: mk(M.defaultDeleteAclsResponse, {
        throttleTimeMs: 22,
        filterResults: [mk(M.defaultDeleteAclsResponseDeleteAclsFilterResult, {
          errorCode: 0,
          errorMessage: null,
          matchingAcls: [mk(M.defaultDeleteAclsResponseDeleteAclsMatchingAcl, {
            errorCode: 0, errorMessage: null, resourceType: 2, resourceName: T1, patternType: 4,
            principal: 'User:alice', host: '*', operation: 4, permissionType: 3,
          })],
        })],
      }),
      expect: {
        throttleTime: 0,
        clientSideThrottleTime: 22,
        filterResponses: [{
          errorCode: 0,
          errorMessage: null,
          matchingAcls: [{
            errorCode: 0, errorMessage: null, resourceType: 2, resourceName: T1, resourcePatternType: 4,
            principal: 'User:alice', host: '*', operation: 4, permissionType: 3,
          }],
        }],
      },
    }),
    errors: () => [
      {
        label: 'filter error',
        samsa: mk(M.defaultDeleteAclsResponse, {
          filterResults: [mk(M.defaultDeleteAclsResponseDeleteAclsFilterResult, { errorCode: ErrorCode.SECURITY_DISABLED })],
        }),
        error: protocolError(54, 'SECURITY_DISABLED'),
      },
      {
        label: 'matching acl error',
        samsa: mk(M.defaultDeleteAclsResponse, {
          filterResults: [mk(M.defaultDeleteAclsResponseDeleteAclsFilterResult, {
            matchingAcls: [mk(M.defaultDeleteAclsResponseDeleteAclsMatchingAcl, { errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED })],
          })],
        }),
        error: protocolError(31, 'CLUSTER_AUTHORIZATION_FAILED'),
      },
    ],
  },

  {
    dir: 'describeConfigs',
    key: 32,
    requests: () => [{
      label: 'topic and broker',
      args: {
        resources: [
          { type: 2, name: T1, configNames: ['cleanup.policy', 'retention.ms'] },
          // an empty list is sent as null: all configs
          { type: 4, name: '1', configNames: [] },
        ],
        includeSynonyms: true,
      },
      expect: {
        resources: [
          { resourceType: 2, resourceName: T1, configurationKeys: ['cleanup.policy', 'retention.ms'] },
          { resourceType: 4, resourceName: '1', configurationKeys: null },
        ],
        includeSynonyms: true,
        includeDocumentation: false,
      },
    }],
    response: (v) => ({
      samsa: mk(M.defaultDescribeConfigsResponse, {
        throttleTimeMs: 23,
        results: [mk(M.defaultDescribeConfigsResponseDescribeConfigsResult, {
          errorCode: 0,
          errorMessage: null,
          resourceType: 2,
          resourceName: T1,
          configs: [
            mk(M.defaultDescribeConfigsResponseDescribeConfigsResourceResult, {
              name: 'cleanup.policy', value: 'compact', readOnly: false, configSource: 1, isSensitive: false,
              synonyms: [
                mk(M.defaultDescribeConfigsResponseDescribeConfigsSynonym, { name: 'cleanup.policy', value: 'compact', source: 1 }),
                mk(M.defaultDescribeConfigsResponseDescribeConfigsSynonym, { name: 'log.cleanup.policy', value: 'delete', source: 5 }),
              ],
            }),
            mk(M.defaultDescribeConfigsResponseDescribeConfigsResourceResult, {
              name: 'sasl.jaas.config', value: null, readOnly: true, configSource: 5, isSensitive: true,
            }),
          ],
        })],
      }),
      expect: {
        ...throttle(v, 2, 23),
        resources: [{
          errorCode: 0,
          errorMessage: null,
          resourceType: 2,
          resourceName: T1,
          configEntries: [
            {
              configName: 'cleanup.policy', configValue: 'compact', readOnly: false, isDefault: false, configSource: 1, isSensitive: false,
              configSynonyms: [
                { configName: 'cleanup.policy', configValue: 'compact', configSource: 1 },
                { configName: 'log.cleanup.policy', configValue: 'delete', configSource: 5 },
              ],
            },
            {
              configName: 'sasl.jaas.config', configValue: null, readOnly: true, isDefault: true, configSource: 5, isSensitive: true,
              configSynonyms: [],
            },
          ],
        }],
      },
    }),
    errors: () => [{
      label: 'resource error',
      samsa: mk(M.defaultDescribeConfigsResponse, {
        results: [mk(M.defaultDescribeConfigsResponseDescribeConfigsResult, { resourceType: 2, resourceName: T1, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION })],
      }),
      error: protocolError(3, 'UNKNOWN_TOPIC_OR_PARTITION'),
    }],
  },

  {
    dir: 'alterConfigs',
    key: 33,
    requests: () => [{
      label: 'alter',
      args: {
        resources: [{ type: 2, name: T1, configEntries: [{ name: 'retention.ms', value: '3600000' }, { name: 'cleanup.policy', value: null }] }],
        validateOnly: true,
      },
      expect: {
        resources: [{
          resourceType: 2,
          resourceName: T1,
          configs: [{ name: 'retention.ms', value: '3600000' }, { name: 'cleanup.policy', value: null }],
        }],
        validateOnly: true,
      },
    }],
    response: (v) => ({
      samsa: mk(M.defaultAlterConfigsResponse, {
        throttleTimeMs: 24,
        responses: [
          mk(M.defaultAlterConfigsResponseAlterConfigsResourceResponse, { errorCode: 0, errorMessage: null, resourceType: 2, resourceName: T1 }),
          mk(M.defaultAlterConfigsResponseAlterConfigsResourceResponse, { errorCode: 0, errorMessage: 'ok', resourceType: 4, resourceName: '1' }),
        ],
      }),
      expect: {
        ...throttle(v, 1, 24),
        resources: [
          { errorCode: 0, errorMessage: null, resourceType: 2, resourceName: T1 },
          { errorCode: 0, errorMessage: 'ok', resourceType: 4, resourceName: '1' },
        ],
      },
    }),
    errors: () => [{
      label: 'invalid config',
      samsa: mk(M.defaultAlterConfigsResponse, {
        responses: [mk(M.defaultAlterConfigsResponseAlterConfigsResourceResponse, { errorCode: ErrorCode.INVALID_CONFIG, resourceType: 2, resourceName: T1 })],
      }),
      error: protocolError(40, 'INVALID_CONFIG'),
    }],
  },

  {
    dir: 'saslAuthenticate',
    key: 36,
    requests: () => [{
      label: 'PLAIN',
      args: { authBytes: PLAIN_AUTH },
      expect: { authBytes: Buffer.from('\u0000alice\u0000sëcret') },
    }],
    response: (v) => ({
      samsa: mk(M.defaultSaslAuthenticateResponse, {
        errorCode: 0, errorMessage: null, authBytes: Buffer.from('server-final-ü'), sessionLifetimeMs: 3600000,
      }),
      expect: {
        errorCode: 0,
        errorMessage: null,
        // kafkajs hands the mechanism the bytes with their int32 length in front
        authBytes: Buffer.concat([Buffer.from([0, 0, 0, 15]), Buffer.from('server-final-ü')]),
        ...(v >= 1 ? { sessionLifetimeMs: '3600000' } : {}),
      },
    }),
    errors: () => [{
      label: 'authentication failed',
      samsa: mk(M.defaultSaslAuthenticateResponse, { errorCode: ErrorCode.SASL_AUTHENTICATION_FAILED, errorMessage: 'bad credentials for alice' }),
      // kafkajs reports the broker's message
      error: { ...protocolError(58, 'SASL_AUTHENTICATION_FAILED'), message: 'bad credentials for alice' },
    }],
  },

  {
    dir: 'createPartitions',
    key: 37,
    requests: () => [{
      label: 'two topics',
      args: {
        topicPartitions: [{ topic: T1, count: 12, assignments: [[1, 2], [2, 3]] }, { topic: T2, count: 4 }],
        timeout: 5678,
        validateOnly: true,
      },
      expect: {
        topics: [
          { name: T1, count: 12, assignments: [{ brokerIds: [1, 2] }, { brokerIds: [2, 3] }] },
          // no assignments: sent as null
          { name: T2, count: 4, assignments: null },
        ],
        timeoutMs: 5678,
        validateOnly: true,
      },
    }],
    response: (v) => ({
      samsa: mk(M.defaultCreatePartitionsResponse, {
        throttleTimeMs: 25,
        results: [
          mk(M.defaultCreatePartitionsResponseCreatePartitionsTopicResult, { name: T2, errorCode: 0, errorMessage: null }),
          mk(M.defaultCreatePartitionsResponseCreatePartitionsTopicResult, { name: T1, errorCode: 0, errorMessage: 'ok' }),
        ],
      }),
      expect: {
        ...throttle(v, 1, 25),
        topicErrors: [{ topic: T1, errorCode: 0, errorMessage: 'ok' }, { topic: T2, errorCode: 0, errorMessage: null }],
      },
    }),
    errors: () => [{
      label: 'invalid partitions',
      samsa: mk(M.defaultCreatePartitionsResponse, {
        results: [mk(M.defaultCreatePartitionsResponseCreatePartitionsTopicResult, { name: T1, errorCode: ErrorCode.INVALID_PARTITIONS })],
      }),
      error: protocolError(37, 'INVALID_PARTITIONS'),
    }],
  },

  {
    dir: 'deleteGroups',
    key: 42,
    requests: () => [{ label: 'two groups', args: [G, 'group-2'], expect: { groupsNames: [G, 'group-2'] } }],
    response: (v) => ({
      // kafkajs's parse never throws here: per-group errors are attached to the results
      samsa: mk(M.defaultDeleteGroupsResponse, {
        throttleTimeMs: 26,
        results: [
          mk(M.defaultDeleteGroupsResponseDeletableGroupResult, { groupId: G, errorCode: 0 }),
          mk(M.defaultDeleteGroupsResponseDeletableGroupResult, { groupId: 'group-2', errorCode: ErrorCode.GROUP_ID_NOT_FOUND }),
        ],
      }),
      expect: {
        throttleTimeMs: 26,
        // kafkajs quirk: v1 moves `throttleTime` (undefined: v0 names it throttleTimeMs) to clientSideThrottleTime
        ...(v >= 1 ? { throttleTime: 0, clientSideThrottleTime: undefined } : {}),
        results: [
          { groupId: G, errorCode: 0, error: undefined },
          { groupId: 'group-2', errorCode: 69, error: { name: 'KafkaJSProtocolError', type: 'GROUP_ID_NOT_FOUND' } },
        ],
      },
    }),
  },

  {
    dir: 'alterPartitionReassignments',
    key: 45,
    requests: () => [{
      label: 'reassign',
      args: { topics: [{ topic: T1, partitionAssignment: [{ partition: 0, replicas: [3, 1, 2] }, { partition: 1, replicas: [2, 3] }] }], timeout: 6789 },
      expect: {
        timeoutMs: 6789,
        allowReplicationFactorChange: true,
        topics: [{ name: T1, partitions: [{ partitionIndex: 0, replicas: [3, 1, 2] }, { partitionIndex: 1, replicas: [2, 3] }] }],
      },
    }],
    response: () => ({
      samsa: mk(M.defaultAlterPartitionReassignmentsResponse, {
        throttleTimeMs: 27,
        errorCode: 0,
        errorMessage: 'all good',
        responses: [mk(M.defaultAlterPartitionReassignmentsResponseReassignableTopicResponse, {
          name: T1,
          partitions: [
            mk(M.defaultAlterPartitionReassignmentsResponseReassignablePartitionResponse, { partitionIndex: 0, errorCode: 0, errorMessage: null }),
            mk(M.defaultAlterPartitionReassignmentsResponseReassignablePartitionResponse, { partitionIndex: 1, errorCode: 0, errorMessage: 'queued' }),
          ],
        })],
      }),
      expect: {
        throttleTime: 27,
        errorCode: 0,
        responses: [{ topic: T1, partitions: [{ partition: 0, errorCode: 0 }, { partition: 1, errorCode: 0 }] }],
      },
    }),
    errors: () => [
      {
        label: 'request error',
        samsa: mk(M.defaultAlterPartitionReassignmentsResponse, { errorCode: ErrorCode.NOT_CONTROLLER, errorMessage: 'not controller' }),
        error: { name: 'KafkaJSAlterPartitionReassignmentsError', type: 'NOT_CONTROLLER' },
      },
      {
        label: 'partition error',
        samsa: mk(M.defaultAlterPartitionReassignmentsResponse, {
          responses: [mk(M.defaultAlterPartitionReassignmentsResponseReassignableTopicResponse, {
            name: T1,
            partitions: [
              mk(M.defaultAlterPartitionReassignmentsResponseReassignablePartitionResponse, { partitionIndex: 0 }),
              mk(M.defaultAlterPartitionReassignmentsResponseReassignablePartitionResponse, { partitionIndex: 1, errorCode: ErrorCode.INVALID_REPLICA_ASSIGNMENT, errorMessage: 'bad' }),
            ],
          })],
        }),
        error: {
          name: 'KafkaJSAggregateError',
          errors: [{ name: 'KafkaJSAlterPartitionReassignmentsError', type: 'INVALID_REPLICA_ASSIGNMENT', topic: T1, partition: 1 }],
        },
      },
    ],
  },

  {
    dir: 'listPartitionReassignments',
    key: 46,
    requests: () => [
      {
        label: 'one topic',
        args: { topics: [{ topic: T1, partitions: [0, 1, 5] }], timeout: 7890 },
        expect: { timeoutMs: 7890, topics: [{ name: T1, partitionIndexes: [0, 1, 5] }] },
      },
      {
        label: 'all topics',
        args: { timeout: 7891 },
        expect: { timeoutMs: 7891, topics: null },
      },
    ],
    response: () => ({
      samsa: mk(M.defaultListPartitionReassignmentsResponse, {
        throttleTimeMs: 28,
        errorCode: 0,
        errorMessage: 'listed',
        topics: [mk(M.defaultListPartitionReassignmentsResponseOngoingTopicReassignment, {
          name: T1,
          partitions: [
            mk(M.defaultListPartitionReassignmentsResponseOngoingPartitionReassignment, { partitionIndex: 0, replicas: [1, 2, 3], addingReplicas: [3], removingReplicas: [4] }),
            mk(M.defaultListPartitionReassignmentsResponseOngoingPartitionReassignment, { partitionIndex: 5, replicas: [2], addingReplicas: [], removingReplicas: [] }),
          ],
        })],
      }),
      expect: {
        throttleTime: 28,
        errorCode: 0,
        topics: [{
          name: T1,
          partitions: [
            { partition: 0, replicas: [1, 2, 3], addingReplicas: [3], removingReplicas: [4] },
            { partition: 5, replicas: [2], addingReplicas: [], removingReplicas: [] },
          ],
        }],
      },
    }),
    errors: () => [{
      label: 'not authorized',
      samsa: mk(M.defaultListPartitionReassignmentsResponse, { errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED }),
      error: protocolError(31, 'CLUSTER_AUTHORIZATION_FAILED'),
    }],
  },
];

// ---------------------------------------------------------------------------------------------
// The runs
// ---------------------------------------------------------------------------------------------

t.test('every kafkajs API is in the table; versions outside Samsa\'s range are exactly the listed ones', async (t) => {
  const dirs = readdirSync(REQUESTS_DIR).filter((d) => statSync(join(REQUESTS_DIR, d)).isDirectory()).sort();
  t.strictSame(APIS.map((a) => a.dir).sort(), dirs, 'table covers every kafkajs request module');
  for (const api of APIS) {
    const s = specOf(api.key);
    const versions = kafkajsApi(api.dir).versions.map(Number);
    const outside = versions.filter((v) => !inRange(s, v)).sort((a, b) => a - b);
    t.strictSame(outside, OUT_OF_RANGE[api.dir] ?? [], `${api.dir}: kafkajs v${versions.join(',')} vs Samsa ${s.minVersion}-${s.maxVersion}`);
  }
});

for (const api of APIS) {
  const s = specOf(api.key);
  const kafkajs = kafkajsApi(api.dir);
  for (const v of kafkajs.versions.map(Number).sort((a, b) => a - b)) {
    if (!inRange(s, v)) continue;

    t.test(`${api.dir} v${v} request`, async (t) => {
      for (const c of api.requests(v)) {
        await t.test(c.label, async (t) => {
          const { request } = kafkajs.protocol({ version: v })(c.args);
          const body = await requestBody(t, api.key, v, request);
          const decoded = s.decodeRequest(body, v);
          t.equal(body.remaining, 0, 'Samsa consumed the body exactly');
          t.strictSame(project(decoded, c.expect), c.expect, 'Samsa decodes what kafkajs was given');
          if (c.check) await c.check(t, decoded);
        });
      }
    });

    t.test(`${api.dir} v${v} response`, async (t) => {
      const { response } = kafkajs.protocol({ version: v })(api.requests(v)[0]!.args);
      const { samsa, expect } = api.response(v);
      const decoded = await response.decode(kafkajsResponsePayload(t, api.key, v, samsa));
      t.strictSame(project(decoded, expect), expect, 'kafkajs decodes what Samsa encoded');
      const parsed = await response.parse(decoded);
      t.strictSame(project(parsed, expect), expect, 'kafkajs parse accepts it');
      for (const e of api.errors?.(v) ?? []) {
        const payload = kafkajsResponsePayload(t, api.key, v, e.samsa);
        let error: unknown;
        try {
          await response.parse(await response.decode(payload));
        } catch (err) {
          error = err;
        }
        t.ok(error, `${e.label}: kafkajs throws`);
        t.strictSame(project(error, e.error), e.error, `${e.label}: the right error`);
      }
    });
  }
}
