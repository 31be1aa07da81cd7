// cleanup.policy=compact over the wire: a compacted topic refuses records without a key
// (INVALID_RECORD, as Kafka's LogValidator), and the background cleaner (log.cleaner.backoff.ms)
// compacts it while clients fetch, keeping offsets, the log start offset and the log end offset.
/* eslint-disable @typescript-eslint/no-explicit-any -- responses decoded from the specs at run time */
import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ErrorCode } from '../../src/protocol/errors.js';
import { testBroker, testClient, waitFor } from '../helpers/broker.js';
import type { TestClient } from '../helpers/client.js';
import { batch, batchesOf, createTopic, fetchOne, listOffset, produce } from '../helpers/kafka.js';

/** Every record from `from` to the high watermark as [offset, key, value]. */
async function readAll(c: TestClient, topic: string, from = 0): Promise<[number, string | null, string | null][]> {
  const out: [number, string | null, string | null][] = [];
  for (let offset = from; ; ) {
    const p = await fetchOne(c, topic, 0, offset);
    if (p.errorCode !== 0) throw new Error(`fetch ${topic} at ${offset}: error ${p.errorCode}`);
    let next = offset;
    for (const b of batchesOf(p.records)) {
      for (const r of b.records) if (r.offset >= offset) out.push([r.offset, r.key?.toString() ?? null, r.value?.toString() ?? null]);
      next = b.baseOffset + b.lastOffsetDelta + 1;
    }
    if (next >= p.highWatermark || next === offset) return out;
    offset = next;
  }
}

t.test('a compacted topic refuses records without a key; other topics take them', async t => {
  const b = await testBroker(t);
  const c = await testClient(t, b);
  for (const policy of ['compact', 'compact,delete']) {
    const topic = `keys-${policy.replace(',', '-')}`;
    await createTopic(c, topic, 1, { 'cleanup.policy': policy });
    const p = await produce(c, topic, 0, batch([{ key: 'a', value: '1' }, { key: null, value: '2' }, { key: 'b', value: null }, { key: null, value: null }]));
    t.equal(p.errorCode, ErrorCode.INVALID_RECORD, `${policy}: INVALID_RECORD`);
    t.same(
      p.recordErrors.map((e: any) => [e.batchIndex, e.batchIndexErrorMessage]),
      [1, 3].map(i => [i, `Compacted topic cannot accept message without key in topic partition ${topic}-0.`]),
      `${policy}: one record error per keyless record, as Kafka words it`,
    );
    t.match(p.errorMessage, /^One or more records have been rejected due to 2 record errors in total/, `${policy}: Kafka's summary message`);
    t.equal(p.baseOffset, -1, `${policy}: nothing appended`);
    t.equal((await listOffset(c, topic, 0, -1)).offset, 0, `${policy}: the log is still empty`);
    const ok = await produce(c, topic, 0, batch([{ key: 'a', value: '1' }, { key: 'b', value: null }]));
    t.same([ok.errorCode, ok.baseOffset], [0, 0], `${policy}: keyed records and tombstones are taken`);
  }
  await createTopic(c, 'plain', 1);
  t.equal((await produce(c, 'plain', 0, batch(['no key']))).errorCode, 0, 'a delete-policy topic takes records without a key');
});

t.test('the cleaner compacts a topic in the background; fetches see the latest value per key at the original offsets', async t => {
  // on disk (test/broker/on-disk.test.ts), a directory of this test's own, checkpointed often
  const dataDir = process.env.SAMSA_TEST_STORAGE === 'disk' ? fs.mkdtempSync(path.join(os.tmpdir(), 'samsa-compaction-')) : undefined;
  if (dataDir !== undefined) t.teardown(() => fs.rmSync(dataDir, { recursive: true, force: true }));
  const b = await testBroker(t, { dataDir, config: { 'log.cleaner.backoff.ms': 10, 'log.flush.offset.checkpoint.interval.ms': 20 } });
  const c = await testClient(t, b);
  // segment.ms 1000 on timestamps 2 s apart: every batch starts a segment
  await createTopic(c, 'cc', 1, { 'cleanup.policy': 'compact', 'segment.ms': '1000', 'min.cleanable.dirty.ratio': '0.01' });
  const T = Date.now() - 60_000;
  for (let round = 0; round < 6; round++) {
    const records = ['a', 'b', 'c', 'd'].map((key, i) => ({ key, value: `${key}${round}`, timestamp: T + round * 2000 + i }));
    // round 4 deletes c; round 5 (the active segment) writes only a
    if (round === 4) records[2]!.value = null as unknown as string;
    const p = await produce(c, 'cc', 0, batch(round === 5 ? records.slice(0, 1) : records));
    t.equal(p.errorCode, 0);
  }
  // rounds 0-3 are superseded by round 4, which stays whole (the active segment, round 5, is
  // neither cleaned nor mapped), tombstone included
  const want = [
    [16, 'a', 'a4'],
    [17, 'b', 'b4'],
    [18, 'c', null],
    [19, 'd', 'd4'],
    [20, 'a', 'a5'],
  ];
  const got = await waitFor(async () => {
    const all = await readAll(c, 'cc');
    return all.length === want.length ? all : null;
  }, 10_000, 'the cleaner');
  t.same(got, want, 'a fetch from offset 0 skips the gap and reads the compacted log');
  t.same(await readAll(c, 'cc', 7), want, 'so does a fetch from an offset inside the gap');
  t.equal((await listOffset(c, 'cc', 0, -2)).offset, 0, 'the log start offset stays 0');
  t.equal((await listOffset(c, 'cc', 0, -1)).offset, 21, 'the log end offset stays 21');
  const p = await produce(c, 'cc', 0, batch([{ key: 'b', value: 'b6' }]));
  t.equal(p.baseOffset, 21, 'appends go on at the log end');
  const gap = await fetchOne(c, 'cc', 0, 3);
  t.equal(gap.errorCode, 0, 'an offset the cleaner removed is not out of range: the fetch answers from the next record');
  if (dataDir !== undefined) {
    const file = path.join(dataDir, 'cleaner-offset-checkpoint');
    // written every 20 ms: an earlier write may still show an earlier cleaning (up to 12 or 16),
    // so the wait is for the one after the cleaning above (20), or after the produce of b6 rolled
    // the segment and it was cleaned again (21)
    const checkpoint = await waitFor(() => {
      const text = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
      return /\ncc 0 (20|21)\n/.test(text) && text;
    }, 5000, 'the cleaner checkpoint to reach the cleaning above');
    t.match(checkpoint, /^0\n1\ncc 0 (20|21)\n$/, 'the disk engine checkpoints where the dirty part begins (Kafka\'s cleaner-offset-checkpoint)');
  }
});
