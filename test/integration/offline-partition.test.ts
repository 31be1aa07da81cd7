// A partition whose files cannot be opened goes offline: it answers KAFKA_STORAGE_ERROR to
// produce, fetch and ListOffsets, an error line names it, and the broker serves the rest.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import t from 'tap';
import { startBroker } from '../../src/index.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import { TestClient } from '../helpers/client.js';
import { batch, createTopic, fetchOne, listOffset, produce, valuesOf } from '../helpers/kafka.js';

t.test('a partition with unreadable files is offline; the others serve', async t => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'samsa-offline-'));
  t.teardown(() => fs.rmSync(dataDir, { recursive: true, force: true }));
  let broker = await startBroker({ port: 0, dataDir });
  let c = await TestClient.connect(broker.bootstrap);
  await createTopic(c, 'split', 2);
  for (const p of [0, 1]) t.equal((await produce(c, 'split', p, batch([`p${p}-a`, `p${p}-b`]))).errorCode, 0);
  c.close();
  await broker.close();

  // a second segment whose offsets overlap the first: the log cannot be put together
  const dir = path.join(dataDir, 'split-0');
  fs.copyFileSync(path.join(dir, '00000000000000000000.log'), path.join(dir, '00000000000000000001.log'));

  const lines: { level: number; msg: string; partition?: string }[] = [];
  const logger = pino({ level: 'info' }, new Writable({ write: (chunk, _enc, done) => (lines.push(JSON.parse(String(chunk))), done()) }));
  broker = await startBroker({ port: 0, dataDir, logger });
  t.teardown(() => broker.close());
  c = await TestClient.connect(broker.bootstrap);
  t.teardown(() => c.close());
  t.ok(lines.some(l => l.level === 50 && l.partition === 'split-0' && /offline/.test(l.msg)), 'an error line names the offline partition');
  t.equal((await produce(c, 'split', 0, batch(['x']))).errorCode, ErrorCode.KAFKA_STORAGE_ERROR, 'produce to it: KAFKA_STORAGE_ERROR');
  t.equal((await fetchOne(c, 'split', 0, 0)).errorCode, ErrorCode.KAFKA_STORAGE_ERROR, 'fetch from it: KAFKA_STORAGE_ERROR');
  t.equal((await listOffset(c, 'split', 0, 0)).errorCode, ErrorCode.KAFKA_STORAGE_ERROR, 'offsets by time: KAFKA_STORAGE_ERROR');
  const other = await produce(c, 'split', 1, batch(['p1-c']));
  t.same([other.errorCode, other.baseOffset], [0, 2], 'the other partition takes produce');
  t.same(valuesOf((await fetchOne(c, 'split', 1, 0)).records), ['p1-a', 'p1-b', 'p1-c'], 'and serves its data');
});
