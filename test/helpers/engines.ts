// Both log engines made alike, for tests that run the same scenario on each: a memory log, or a
// disk log in a temporary directory of its own (removed when the test ends).
import type { Test } from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { ManualClock } from '../../src/broker/clock.js';
import { DiskLog } from '../../src/storage/disk-log.js';
import { FileHandles } from '../../src/storage/file-handles.js';
import type { LogSettings, PartitionLog } from '../../src/storage/log.js';
import { MemoryLog } from '../../src/storage/memory-log.js';
import { logSettings } from './log-settings.js';

export const T0 = 1_700_000_000_000;

/** A fixed-seed LCG: "random" draws in [0, 1) that are the same on every run. */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

export type EngineName = 'memory' | 'disk';
export const ENGINES: EngineName[] = ['memory', 'disk'];

export interface Made<L extends PartitionLog = PartitionLog> {
  log: L;
  /** Read by the log on every use: scenarios change it. */
  settings: LogSettings;
  clock: ManualClock;
  /** The disk log's partition directory (null for the memory engine). */
  dir: string | null;
  /** Closes the disk log and opens its directory again (`clean`: after a clean shutdown, else as after a crash). */
  reopen(clean: boolean): Promise<L>;
}

export function make(t: Test, engine: EngineName, overrides: Partial<LogSettings> = {}): Made<MemoryLog | DiskLog> {
  const clock = new ManualClock(T0);
  const settings = logSettings(overrides);
  if (engine === 'memory') {
    const log = new MemoryLog(() => settings, clock);
    return { log, settings, clock, dir: null, reopen: async () => log };
  }
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'samsa-engine-'));
  const dir = path.join(root, 'topic-0');
  const handles = new FileHandles(32);
  const open = (clean: boolean, firstDirtyOffset: number) =>
    DiskLog.open(dir, 'topic-0', { handles, log: pino({ level: 'silent' }), clock, settings: () => settings }, { recoveryPoint: 0, logStartOffset: 0, clean, firstDirtyOffset });
  const made: Made<MemoryLog | DiskLog> = {
    log: open(true, 0),
    settings,
    clock,
    dir,
    async reopen(clean) {
      const old = made.log as DiskLog;
      if (clean) await old.close();
      else old.discard();
      made.log = open(clean, old.firstDirtyOffset);
      return made.log;
    },
  };
  t.teardown(async () => {
    await made.log.close();
    handles.closeAll();
    fs.rmSync(root, { recursive: true, force: true });
  });
  return made;
}
