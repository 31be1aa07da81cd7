// Client quota enforcement on one broker (KIP-13, KIP-219), as Kafka's ClientQuotaManager: the
// bytes a (user, client-id) produces and fetches are measured over quota.window.num windows of
// quota.window.size.seconds; past the quota the most specific matching entity sets, the response
// carries the time the client must wait, and its connection is not read for that long. The quotas
// themselves are the cluster's (src/cluster/client-quotas.ts); the rates are this broker's.
import type { BrokerConfig } from '../cluster/configs.js';
import {
  ABSENT,
  CLIENT_ID_LEVEL,
  CONSUMER_BYTE_RATE,
  DEFAULT,
  PRODUCER_BYTE_RATE,
  USER_CLIENT_ID_LEVEL,
  USER_LEVEL,
  type ClientQuotaStore,
  type UserClientQuotaKey,
} from '../cluster/client-quotas.js';
import type { ConnectionInfo, RequestContext } from './handler.js';

/** Without authentication every client is Kafka's anonymous principal, User:ANONYMOUS. */
export const ANONYMOUS_USER = 'ANONYMOUS';
/** Kafka forgets the rate of a client idle this long (ClientQuotaManager.InactiveSensorExpirationTimeSeconds). */
const INACTIVE_EXPIRATION_MS = 3600_000;
/** How often idle rates are looked for (Kafka's metrics expiration task runs every 30 s). */
const EXPIRATION_CHECK_MS = 30_000;

interface Sample {
  value: number;
  startMs: number;
  lastEventMs: number;
}

/**
 * Kafka's Rate over a WindowedSum: a sum kept in `samples` windows of `windowMs` (and one more
 * that may overlap the oldest), divided by the time they span - at least samples-1 whole windows,
 * so a new client's first burst is not measured over a few milliseconds.
 */
export class Rate {
  private readonly samples: Sample[] = [];
  private current = 0;
  lastRecordMs = 0;

  constructor(
    private readonly numSamples: number,
    private readonly windowMs: number,
  ) {}

  record(value: number, nowMs: number): void {
    let sample = this.currentSample(nowMs);
    if (nowMs - sample.startMs >= this.windowMs) sample = this.advance(nowMs);
    sample.value += value;
    sample.lastEventMs = nowMs;
    this.lastRecordMs = nowMs;
  }

  /** Per second. */
  measure(nowMs: number): number {
    this.purge(nowMs);
    let total = 0;
    for (const s of this.samples) total += s.value;
    return total / (this.windowSize(nowMs) / 1000);
  }

  /** The time, in ms, the rate is measured over. */
  windowSize(nowMs: number): number {
    this.purge(nowMs);
    let elapsed = nowMs - this.oldest(nowMs).startMs;
    const fullWindows = Math.trunc(elapsed / this.windowMs);
    const minFullWindows = this.numSamples - 1;
    if (fullWindows < minFullWindows) elapsed += (minFullWindows - fullWindows) * this.windowMs;
    return Math.max(elapsed, 1);
  }

  private currentSample(nowMs: number): Sample {
    if (this.samples.length === 0) this.samples.push({ value: 0, startMs: nowMs, lastEventMs: nowMs });
    return this.samples[this.current]!;
  }

  private advance(nowMs: number): Sample {
    this.current = (this.current + 1) % (this.numSamples + 1);
    if (this.current >= this.samples.length) {
      const s = { value: 0, startMs: nowMs, lastEventMs: nowMs };
      this.samples.push(s);
      return s;
    }
    const s = this.samples[this.current]!;
    reset(s, nowMs);
    return s;
  }

  private oldest(nowMs: number): Sample {
    if (this.samples.length === 0) this.samples.push({ value: 0, startMs: nowMs, lastEventMs: nowMs });
    let oldest = this.samples[0]!;
    for (const s of this.samples) if (s.startMs < oldest.startMs) oldest = s;
    return oldest;
  }

  /** Samples with no event within the whole monitored span are emptied. */
  private purge(nowMs: number): void {
    const expireAge = this.numSamples * this.windowMs;
    for (const s of this.samples) if (nowMs - s.lastEventMs >= expireAge) reset(s, nowMs);
  }
}

function reset(s: Sample, nowMs: number): void {
  s.value = 0;
  s.startMs = nowMs;
  s.lastEventMs = nowMs;
}

/** A Java double-to-int conversion (saturating, NaN to 0), as Kafka's `.toInt` of a Double. */
function toJavaInt(d: number): number {
  if (Number.isNaN(d)) return 0;
  return Math.trunc(Math.max(-(2 ** 31), Math.min(2 ** 31 - 1, d)));
}

/** One kind of byte-rate quota (producer_byte_rate or consumer_byte_rate) on one broker. */
export class ClientQuotaManager {
  /** Rates by the user tag, then the client-id tag, of Kafka's quota metric. */
  private readonly rates = new Map<string, Map<string, Rate>>();
  private lastExpirationMs = 0;

  constructor(
    private readonly store: ClientQuotaStore,
    readonly key: UserClientQuotaKey,
    private readonly numSamples: number,
    private readonly windowMs: number,
  ) {}

  /**
   * Whether a quota of this kind was ever set (Kafka's quotasEnabled). Until one is, nothing is
   * measured: this is the one check the produce and fetch paths pay.
   */
  get enabled(): boolean {
    return this.store.enabledLevels[this.key] !== 0;
  }

  /**
   * Records `value` for the client and returns how long it must now wait, in ms (0 within its
   * quota): the time that brings its rate back to the quota if it sends nothing more.
   */
  record(user: string, clientId: string, value: number, nowMs: number): number {
    const [userTag, clientTag] = this.metricTags(user, clientId);
    const rate = this.rate(userTag, clientTag, nowMs);
    rate.record(value, nowMs);
    const bound = this.quotaLimit(userTag, clientTag);
    if (bound === undefined) return 0;
    const observed = rate.measure(nowMs);
    if (observed <= bound) return 0;
    const throttleMs = Math.round(((observed - bound) / bound) * rate.windowSize(nowMs));
    // a NaN quota (Kafka accepts one) throttles by Math.round(NaN), which is 0 in Java
    return Number.isNaN(throttleMs) ? 0 : Math.min(throttleMs, 2 ** 31 - 1);
  }

  /** Takes back a recorded value: a throttled fetch is answered empty, so its bytes do not count. */
  unrecord(user: string, clientId: string, value: number, nowMs: number): void {
    const [userTag, clientTag] = this.metricTags(user, clientId);
    this.rate(userTag, clientTag, nowMs).record(-value, nowMs);
  }

  /** The most the client can take in one go without being throttled for certain (getMaxValueInQuotaWindow), as an int. */
  maxValueInQuotaWindow(user: string, clientId: string): number {
    const [userTag, clientTag] = this.metricTags(user, clientId);
    const bound = this.quotaLimit(userTag, clientTag);
    if (bound === undefined) return 2 ** 31 - 1;
    return toJavaInt(bound * (this.numSamples - 1) * (this.windowMs / 1000));
  }

  /** The quota of a client: the most specific entity with a value of this key, or undefined (no quota). */
  quotaFor(user: string, clientId: string): number | undefined {
    const [userTag, clientTag] = this.metricTags(user, clientId);
    return this.quotaLimit(userTag, clientTag);
  }

  /**
   * Which rate a client's bytes count against, as Kafka's quota metric tags: with quotas of one
   * level only, every client of a user (or client id, or both) shares one; with several levels, the
   * level of the entity that applies decides. Default entities apply to each client apart.
   */
  private metricTags(user: string, clientId: string): [string, string] {
    switch (this.store.enabledLevels[this.key]) {
      case 0:
      case CLIENT_ID_LEVEL:
        return ['', clientId];
      case USER_LEVEL:
        return [user, ''];
      case USER_CLIENT_ID_LEVEL:
        return [user, clientId];
    }
    const has = (u: string | typeof DEFAULT, c: string | typeof DEFAULT | typeof ABSENT) => this.store.quota(this.key, u, c) !== undefined;
    // Kafka's precedence: <user, client-id>, <user, default client-id>, <user>,
    // <default user, client-id>, <default user, default client-id>, <default user>,
    // <client-id>, <default client-id>
    if (has(user, clientId) || has(user, DEFAULT)) return [user, clientId];
    if (has(user, ABSENT)) return [user, ''];
    if (has(DEFAULT, clientId) || has(DEFAULT, DEFAULT)) return [user, clientId];
    if (has(DEFAULT, ABSENT)) return [user, ''];
    return ['', clientId];
  }

  /** The quota for these metric tags (DefaultQuotaCallback.quotaLimit). */
  private quotaLimit(userTag: string, clientTag: string): number | undefined {
    const q = (u: string | typeof DEFAULT | typeof ABSENT, c: string | typeof DEFAULT | typeof ABSENT) => this.store.quota(this.key, u, c);
    if (userTag !== '' && clientTag !== '') return q(userTag, clientTag) ?? q(userTag, DEFAULT) ?? q(DEFAULT, clientTag) ?? q(DEFAULT, DEFAULT);
    if (userTag !== '') return q(userTag, ABSENT) ?? q(DEFAULT, ABSENT);
    if (clientTag !== '') return q(ABSENT, clientTag) ?? q(ABSENT, DEFAULT);
    return undefined;
  }

  private rate(userTag: string, clientTag: string, nowMs: number): Rate {
    if (nowMs - this.lastExpirationMs >= EXPIRATION_CHECK_MS) this.expire(nowMs);
    let byClient = this.rates.get(userTag);
    if (byClient === undefined) this.rates.set(userTag, (byClient = new Map()));
    let rate = byClient.get(clientTag);
    if (rate === undefined) byClient.set(clientTag, (rate = new Rate(this.numSamples, this.windowMs)));
    return rate;
  }

  private expire(nowMs: number): void {
    this.lastExpirationMs = nowMs;
    for (const [userTag, byClient] of this.rates) {
      for (const [clientTag, rate] of byClient) if (nowMs - rate.lastRecordMs >= INACTIVE_EXPIRATION_MS) byClient.delete(clientTag);
      if (byClient.size === 0) this.rates.delete(userTag);
    }
  }
}

/** A broker's quota managers. request_percentage and controller_mutation_rate are stored but not enforced. */
export class QuotaManagers {
  readonly produce: ClientQuotaManager;
  readonly fetch: ClientQuotaManager;

  constructor(store: ClientQuotaStore, config: BrokerConfig) {
    const samples = config.int('quota.window.num');
    const windowMs = config.int('quota.window.size.seconds') * 1000;
    this.produce = new ClientQuotaManager(store, PRODUCER_BYTE_RATE, samples, windowMs);
    this.fetch = new ClientQuotaManager(store, CONSUMER_BYTE_RATE, samples, windowMs);
  }
}

/**
 * KIP-219: the response goes out at once, and the connection is not read until the throttle time
 * has passed. Connections that cannot be muted (a handler's test double) are left as they are.
 */
function mute(conn: ConnectionInfo, throttleMs: number): void {
  (conn as ConnectionInfo & { throttle?: (ms: number) => void }).throttle?.(throttleMs);
}

/**
 * Produce: counts the request's size against the client's producer_byte_rate; when over it,
 * mutes the connection and returns the throttle time for the response (also for acks=0, which
 * has none). Call only when `ctx.broker.quotas.produce.enabled`.
 */
export function throttleProduce(ctx: RequestContext): number {
  const throttleMs = ctx.broker.quotas.produce.record(ANONYMOUS_USER, ctx.clientId ?? '', ctx.frame.length, ctx.broker.clock.now());
  if (throttleMs > 0) mute(ctx.connection, throttleMs);
  return throttleMs;
}

/** Fetch: the most bytes one response may carry under the client's consumer_byte_rate. */
export function fetchQuotaCap(ctx: RequestContext): number {
  return ctx.broker.quotas.fetch.maxValueInQuotaWindow(ANONYMOUS_USER, ctx.clientId ?? '');
}

/**
 * Fetch: counts the response's size against the client's consumer_byte_rate. When over it, the
 * bytes are taken back (the response will be empty), the connection is muted, and the throttle
 * time is returned. Call only when `ctx.broker.quotas.fetch.enabled`.
 */
export function throttleFetch(ctx: RequestContext, responseBytes: number): number {
  const quota = ctx.broker.quotas.fetch;
  const user = ANONYMOUS_USER;
  const clientId = ctx.clientId ?? '';
  const now = ctx.broker.clock.now();
  const throttleMs = quota.record(user, clientId, responseBytes, now);
  if (throttleMs > 0) {
    quota.unrecord(user, clientId, responseBytes, now);
    mute(ctx.connection, throttleMs);
  }
  return throttleMs;
}
