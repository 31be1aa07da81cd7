// DeleteRecords (21): the log start offset moves forward (-1: to the high watermark), never back
// and never past the high watermark; fetches below it are out of range; earliest follows it;
// unknown partitions, internal topics and duplicates answered as Kafka does, at v0-2.
/* eslint-disable @typescript-eslint/no-explicit-any -- responses decoded from the specs at run time */
import t from 'tap';
import { testBroker, testClient } from '../helpers/broker.js';
import type { TestClient } from '../helpers/client.js';
import { batch, createTopic, fetchOne, listOffset, produce, valuesOf } from '../helpers/kafka.js';
import { ErrorCode } from '../../src/protocol/errors.js';

async function deleteRecords(c: TestClient, topics: { name: string; partitions: { partitionIndex: number; offset: number }[] }[], version = 2): Promise<any[]> {
  const res = await c.call(21, version, { topics, timeoutMs: 1000 });
  return res.topics.flatMap((t: any) => t.partitions.map((p: any) => [t.name, p.partitionIndex, p.errorCode, p.lowWatermark]));
}

t.test('moves the log start offset forward; fetch and ListOffsets follow it', async t => {
  const b = await testBroker(t);
  const c = await testClient(t, b);
  await createTopic(c, 'dr', 2);
  for (let i = 0; i < 5; i++) await produce(c, 'dr', 0, batch([`a${i}`, `b${i}`]));
  for (let v = 0; v <= 2; v++) {
    t.same(await deleteRecords(c, [{ name: 'dr', partitions: [{ partitionIndex: 0, offset: 3 + v }] }], v), [['dr', 0, 0, 3 + v]], `v${v}: the low watermark is the new start`);
  }
  t.equal((await listOffset(c, 'dr', 0, -2)).offset, 5, 'earliest is the new log start offset');
  t.equal((await fetchOne(c, 'dr', 0, 4)).errorCode, ErrorCode.OFFSET_OUT_OF_RANGE, 'a fetch below it is out of range');
  const from5 = await fetchOne(c, 'dr', 0, 5);
  t.equal(from5.errorCode, 0);
  t.equal(from5.logStartOffset, 5, 'fetch reports the log start offset');
  t.same(valuesOf(from5.records).slice(0, 2), ['a2', 'b2'], 'offset 5 is still readable (in its whole batch, which starts at 4)');
  t.same(await deleteRecords(c, [{ name: 'dr', partitions: [{ partitionIndex: 0, offset: 2 }] }]), [['dr', 0, 0, 5]], 'an earlier offset changes nothing');
  t.same(await deleteRecords(c, [{ name: 'dr', partitions: [{ partitionIndex: 0, offset: 11 }] }]), [['dr', 0, ErrorCode.OFFSET_OUT_OF_RANGE, -1]], 'past the high watermark: out of range');
  t.same(await deleteRecords(c, [{ name: 'dr', partitions: [{ partitionIndex: 0, offset: -7 }] }]), [['dr', 0, ErrorCode.OFFSET_OUT_OF_RANGE, -1]], 'a negative offset other than -1');
  t.same(await deleteRecords(c, [{ name: 'dr', partitions: [{ partitionIndex: 0, offset: -1 }] }]), [['dr', 0, 0, 10]], '-1: up to the high watermark');
  t.equal((await listOffset(c, 'dr', 0, -2)).offset, 10);
  t.equal((await listOffset(c, 'dr', 0, -1)).offset, 10, 'latest unchanged');
  const p = await produce(c, 'dr', 0, batch(['after']));
  t.same([p.errorCode, p.baseOffset, p.logStartOffset], [0, 10, 10], 'appends continue at the end offset');
  t.same(valuesOf((await fetchOne(c, 'dr', 0, 10)).records), ['after']);
  t.same(await deleteRecords(c, [{ name: 'dr', partitions: [{ partitionIndex: 1, offset: 0 }] }]), [['dr', 1, 0, 0]], 'an empty partition at offset 0');
});

t.test('unknown partitions, internal topics and duplicates', async t => {
  const b = await testBroker(t);
  const c = await testClient(t, b);
  await createTopic(c, 'dd', 1);
  for (let i = 0; i < 3; i++) await produce(c, 'dd', 0, batch([`v${i}`]));
  t.same(
    await deleteRecords(c, [
      { name: 'dd', partitions: [{ partitionIndex: 0, offset: 1 }, { partitionIndex: 5, offset: 0 }] },
      { name: 'nope', partitions: [{ partitionIndex: 0, offset: 0 }] },
      { name: 'dd', partitions: [{ partitionIndex: 0, offset: 2 }] },
    ]),
    [
      ['dd', 0, 0, 2],
      ['dd', 5, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, -1],
      ['nope', 0, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, -1],
    ],
    'a partition named twice is answered once, with the last offset asked',
  );
});
