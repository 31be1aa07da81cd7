// A data directory written by an earlier version (test/fixtures/datadir-<commit>.tar.gz, made
// by test/fixtures/make-datadir.ts in that checkout) opens with this one: every topic, config and
// record is there as that version read it back, nothing is truncated or rebuilt, and the log
// takes appends and restarts on. One fixture is added at every change of the on-disk format.
import t from 'tap';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { startBroker } from '../../src/index.js';
import { decodeBatches } from '../../src/protocol/records.js';
import { TestClient } from '../helpers/client.js';
import { batch, listOffset, produce } from '../helpers/kafka.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/', import.meta.url));

interface Logged {
  logStartOffset: number;
  logEndOffset: number;
  records: [number, number, string | null, string | null][];
}

/** Every record from the log start offset, shown as make-datadir.ts shows them. */
async function readPartition(c: TestClient, topic: string, partition: number): Promise<Logged> {
  const logStartOffset = (await listOffset(c, topic, partition, -2)).offset;
  const logEndOffset = (await listOffset(c, topic, partition, -1)).offset;
  const records: Logged['records'] = [];
  for (let offset = logStartOffset; offset < logEndOffset; ) {
    const res = await c.call(1, 12, {
      maxWaitMs: 0,
      minBytes: 0,
      maxBytes: 1 << 24,
      isolationLevel: 0,
      sessionEpoch: -1,
      topics: [{ topic, partitions: [{ partition, fetchOffset: offset, partitionMaxBytes: 1 << 24, currentLeaderEpoch: -1, lastFetchedEpoch: -1, logStartOffset: -1 }] }],
    });
    const p = res.responses[0].partitions[0];
    if (p.errorCode !== 0) throw new Error(`fetch ${topic}-${partition} at ${offset}: error ${p.errorCode}`);
    for (const b of decodeBatches(p.records)) {
      for (const r of b.records) {
        if (r.offset < offset) continue;
        const value = r.value === null ? null : r.value.length > 100 ? `${r.value.length} bytes: ${r.value.subarray(0, 8).toString()}` : r.value.toString();
        records.push([r.offset, r.timestamp, r.key?.toString() ?? null, value]);
      }
      offset = b.baseOffset + b.lastOffsetDelta + 1;
    }
  }
  return { logStartOffset, logEndOffset, records };
}

for (const fixture of fs.readdirSync(FIXTURES).filter(f => /^datadir-.*\.tar\.gz$/.test(f))) {
  t.test(`a data directory written by ${fixture.slice(8, -7)} opens with every record as it was`, async t => {
    const work = fs.mkdtempSync(path.join(os.tmpdir(), 'samsa-old-datadir-'));
    t.teardown(() => fs.rmSync(work, { recursive: true, force: true }));
    execFileSync('tar', ['-xzf', path.join(FIXTURES, fixture), '-C', work]);
    const manifest: Record<string, Logged> = JSON.parse(fs.readFileSync(path.join(work, 'manifest.json'), 'utf8'));
    const dataDir = path.join(work, 'data');
    const logs: { level: number; msg: string }[] = [];
    const open = async () => {
      const logger = pino({ level: 'info' }, { write: (line: string) => void logs.push(JSON.parse(line)) });
      const broker = await startBroker({ port: 0, host: '127.0.0.1', dataDir, logger });
      const c = await TestClient.connect(broker.bootstrap);
      return { broker, c };
    };
    let { broker, c } = await open();
    for (const [name, want] of Object.entries(manifest)) {
      const dash = name.lastIndexOf('-');
      t.same(await readPartition(c, name.slice(0, dash), Number(name.slice(dash + 1))), want, `${name}: the same log start, log end and records`);
    }
    t.same(
      logs.filter(l => l.level >= 40).map(l => l.msg),
      [],
      'nothing was truncated, rebuilt or refused (no warning)',
    );
    // the old logs take appends, and keep them across a restart
    const ends = new Map<string, number>();
    for (const name of Object.keys(manifest)) {
      const dash = name.lastIndexOf('-');
      const p = await produce(c, name.slice(0, dash), Number(name.slice(dash + 1)), batch([{ key: 'new', value: `after ${name}` }]));
      t.same([p.errorCode, p.baseOffset], [0, manifest[name]!.logEndOffset], `${name}: appends go on at the old log end`);
      ends.set(name, p.baseOffset + 1);
    }
    c.close();
    await broker.close();
    ({ broker, c } = await open());
    for (const name of Object.keys(manifest)) {
      const dash = name.lastIndexOf('-');
      const got = await readPartition(c, name.slice(0, dash), Number(name.slice(dash + 1)));
      t.same(got.records.slice(0, -1), manifest[name]!.records, `${name}: after a restart the old records are still there`);
      t.same(got.records.at(-1)?.slice(2), ['new', `after ${name}`], `${name}: and the new one after them`);
    }
    c.close();
    await broker.close();
  });
}
