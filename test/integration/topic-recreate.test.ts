// Deleting a topic on disk while a topic of the same name is created again: the new topic's
// files are never touched by the old one's removal, and nothing acknowledged is lost.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { startBroker } from '../../src/index.js';
import { TestClient } from '../helpers/client.js';
import { ZERO_UUID, batch, createTopic, latest, produce } from '../helpers/kafka.js';

t.test('a topic re-created during its deletion keeps what it was sent', async t => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'samsa-recreate-'));
  t.teardown(() => fs.rmSync(dataDir, { recursive: true, force: true }));
  let broker = await startBroker({ port: 0, dataDir });
  const a = await TestClient.connect(broker.bootstrap);
  const c = await TestClient.connect(broker.bootstrap);
  await createTopic(a, 'x', 20);
  for (let p = 0; p < 20; p++) await produce(a, 'x', p, batch(['old', 'old']));
  const deleting = a.call(20, 6, { topics: [{ name: 'x', topicId: ZERO_UUID }], timeoutMs: 5000 });
  let created;
  do {
    created = await c.call(19, 7, { topics: [{ name: 'x', numPartitions: 20, replicationFactor: -1, assignments: [], configs: [] }], validateOnly: false, timeoutMs: 5000 });
  } while (created.topics[0].errorCode !== 0);
  for (let p = 0; p < 20; p++) t.equal((await produce(c, 'x', p, batch(['new']))).errorCode, 0, `partition ${p} takes a record`);
  t.equal((await deleting).responses[0].errorCode, 0, 'the deletion succeeded');
  a.close();
  c.close();
  await broker.close();
  t.ok(fs.existsSync(path.join(dataDir, '.kafka_cleanshutdown')), 'the shutdown was clean');
  broker = await startBroker({ port: 0, dataDir });
  t.teardown(() => broker.close());
  const r = await TestClient.connect(broker.bootstrap);
  t.teardown(() => r.close());
  const ends = [];
  for (let p = 0; p < 20; p++) ends.push(await latest(r, 'x', p));
  t.same(ends, Array(20).fill(1), 'every partition of the new topic holds its one record after a restart');
  t.same(fs.readdirSync(dataDir).filter(d => d.endsWith('-delete')), [], 'the old directories are gone');
});
