// Log settings for tests that build logs directly: Kafka's topic config defaults, overridable.
import { systemClock, type Clock } from '../../src/broker/clock.js';
import type { LogSettings } from '../../src/storage/log.js';
import { MemoryLog } from '../../src/storage/memory-log.js';

export function logSettings(overrides: Partial<LogSettings> = {}): LogSettings {
  return {
    segmentBytes: 1073741824,
    segmentMs: 604800000,
    segmentJitterMs: 0,
    indexIntervalBytes: 4096,
    segmentIndexBytes: 10485760,
    flushMessages: Number.MAX_VALUE,
    flushMs: Number.MAX_VALUE,
    retentionMs: 604800000,
    retentionBytes: -1,
    deleteRetention: true,
    ...overrides,
  };
}

export function memoryLog(overrides: Partial<LogSettings> = {}, clock: Clock = systemClock): MemoryLog {
  const settings = logSettings(overrides);
  return new MemoryLog(() => settings, clock);
}
