// Starts a broker for one test on a free port and stops it when the test ends.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startBroker, type BrokerOptions, type RunningBroker } from '../../src/index.js';
import { TestClient } from './client.js';

interface Teardown {
  teardown(fn: () => unknown): void;
}

/**
 * A broker on a free port, closed when the test ends. With SAMSA_TEST_STORAGE=disk (see
 * test/broker/on-disk.test.ts) it keeps its data in a temporary directory, removed afterwards.
 */
export async function testBroker(t: Teardown, opts: BrokerOptions = {}): Promise<RunningBroker> {
  let dataDir = opts.dataDir;
  if (dataDir === undefined && process.env.SAMSA_TEST_STORAGE === 'disk') {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'samsa-test-'));
    const dir = dataDir;
    t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  }
  const broker = await startBroker({ port: 0, host: '127.0.0.1', logLevel: process.env.SAMSA_TEST_LOG ?? 'silent', ...opts, dataDir });
  t.teardown(() => broker.close());
  return broker;
}

export async function testClient(t: Teardown, broker: RunningBroker): Promise<TestClient> {
  const client = await TestClient.connect(broker.bootstrap);
  t.teardown(() => client.close());
  return client;
}

/** Polls `check` until it returns a truthy value (no fixed sleeps); rejects after timeoutMs. */
export async function waitFor<T>(check: () => T | Promise<T>, timeoutMs = 10000, what = 'condition'): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise(r => setTimeout(r, 20));
  }
}
