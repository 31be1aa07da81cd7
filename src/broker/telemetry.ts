// Client telemetry (KIP-714) as a Kafka 4.1 broker with no client-telemetry metrics reporter
// configured serves it: GetTelemetrySubscriptions (71) and PushTelemetry (72) are not advertised
// in ApiVersions (ApiVersionsResponse.filterApis leaves them out), so clients that follow
// ApiVersions never send them; a client that sends them anyway is answered by the broker's
// ClientMetricsManager, which runs whatever is configured:
//   - Client-metrics subscriptions (IncrementalAlterConfigs on CLIENT_METRICS resources: metrics,
//     interval.ms, match) are followed as they change. A client instance is matched, when it is
//     made, against every subscription's match patterns (regexes that must match a whole
//     attribute; no patterns: every client): it is asked for the union of the matched
//     subscriptions' metrics ("*" in any of them: just "*"), at the shortest of their intervals
//     (5 minutes when none matched). Its subscription id is the CRC32C of the metrics set's Java
//     toString and the interval (e.g. "[a, b]60000"), XORed with the instance id's hash; the set
//     is a java.util.HashSet, so its order is reproduced below. Every subscription change bumps a
//     version, and an instance made before it is made again, with the attributes it was first
//     seen with, on its next request: a new subscription id (a push with the old one is
//     UNKNOWN_SUBSCRIPTION_ID) and fresh timestamps.
//   - GetTelemetrySubscriptions gives a client sending the zero id a new random client instance
//     id, and answers with its subscription: the requested metrics, the push interval, Kafka's
//     accepted compression types (zstd, lz4, gzip, snappy), telemetry.max.bytes (1 MiB), delta
//     temporality, and the subscription id. A second request within the push interval is
//     THROTTLING_QUOTA_EXCEEDED, unless the last push failed for its subscription id or
//     compression type.
//   - PushTelemetry checks, in Kafka's order: the instance id (zero and Kafka's reserved id 1
//     are INVALID_REQUEST), a push after a terminating one (INVALID_REQUEST), the push interval
//     (THROTTLING_QUOTA_EXCEEDED, a terminating push excepted, and the first push after a
//     GetTelemetrySubscriptions always allowed), the subscription id (UNKNOWN_SUBSCRIPTION_ID),
//     the compression type (UNSUPPORTED_COMPRESSION_TYPE for anything but Kafka's five ids), the
//     size (TELEMETRY_TOO_LARGE). With no reporter the metrics go nowhere: Samsa counts the
//     accepted pushes and their bytes, and drops them.
// Kafka forgets an instance when its connection closes and after max(60 s, 3 push intervals)
// without a request; Samsa forgets it after that time only (the network layer does not tell
// handlers of closed connections), and keeps at most 16384 instances, as Kafka's cache does.
// Matched attributes: client_instance_id, client_id (the request header's, null read as ""),
// client_source_address (as Java's InetAddress.getHostAddress writes it) and client_source_port.
// client_software_name and client_software_version come from the connection's ApiVersions v3+
// request, as in Kafka; before one, a pattern on either matches no client.
import { randomBytes } from 'node:crypto';
import { crc32c } from '@node-rs/crc32';
import type { Broker } from './broker.js';
import type { ConnectionInfo } from './handler.js';
import { ErrorCode } from '../protocol/errors.js';
import { ZERO_UUID, randomUuid, uuidToBytes } from '../protocol/wire.js';
import { clientMetricsConfigDef, parseConfigValue } from '../cluster/configs.js';
import { ResourceType, clientMetricsProblem, type DynamicConfigChange } from '../cluster/dynamic-configs.js';

/** ClientMetricsConfigs' default push interval. */
export const DEFAULT_PUSH_INTERVAL_MS = 5 * 60 * 1000;
/** telemetry.max.bytes' default. */
export const TELEMETRY_MAX_BYTES = 1024 * 1024;
/** ClientMetricsManager.SUPPORTED_COMPRESSION_TYPES, in its order: zstd, lz4, gzip, snappy. */
export const ACCEPTED_COMPRESSION_TYPES: readonly number[] = [4, 3, 1, 2];
/** Kafka's Uuid.ONE_UUID (also METADATA_TOPIC_ID), reserved with the zero id. */
const ONE_UUID = 'AAAAAAAAAAAAAAAAAAAAAQ';
const CACHE_MAX_SIZE = 16384;
const CACHE_EXPIRY_MS = 60 * 1000;
/** ClientMetricsConfigs.ALL_SUBSCRIBED_METRICS. */
const ALL_METRICS = '*';

// ---- Java's hash tables, for the order of the metrics set ------------------------------------

/** Java's String.hashCode (over UTF-16 code units, as JavaScript strings are). */
export function javaStringHash(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(31, h) + s.charCodeAt(i)) | 0;
  return h;
}

/**
 * The iteration order of a java.util.HashMap (a HashSet's) or ConcurrentHashMap with String
 * keys: buckets in index order (the hash spread as h ^ (h >>> 16), masked by the power-of-two
 * capacity), entries of a bucket in the order they came. HashMap doubles its table after an
 * insertion takes it past 0.75 of the capacity, and when a bucket would grow past 8 entries in a
 * table smaller than 64 (treeifyBin resizes instead); its split keeps each bucket's order.
 * ConcurrentHashMap doubles on reaching 0.75, and its transfer keeps the last run of entries
 * bound for the same new bucket in place and puts the ones before it ahead of it, reversed. Not
 * reproduced: the order of a tree bin (a HashMap bucket past 8 entries in a table of 64 or more)
 * and ConcurrentHashMap's presizing of a long bucket, which need nine colliding strings.
 */
export class JavaHashOrder {
  private buckets: string[][];
  private count = 0;

  constructor(
    private readonly concurrent = false,
    capacity = 16,
  ) {
    this.buckets = Array.from({ length: capacity }, () => []);
  }

  /** new HashSet<>(collection) since Java 19: HashMap.newHashMap(max(n, 12)), then each added. */
  static ofCollection(items: readonly string[]): JavaHashOrder {
    const wanted = Math.ceil(Math.max(items.length, 12) / 0.75);
    let capacity = 1;
    while (capacity < wanted) capacity *= 2;
    const set = new JavaHashOrder(false, capacity);
    for (const item of items) set.add(item);
    return set;
  }

  private static spread(key: string): number {
    const h = javaStringHash(key);
    return h ^ (h >>> 16);
  }

  add(key: string): boolean {
    const bucket = this.buckets[JavaHashOrder.spread(key) & (this.buckets.length - 1)]!;
    if (bucket.includes(key)) return false;
    bucket.push(key);
    this.count++;
    if (!this.concurrent && bucket.length > 8 && this.buckets.length < 64) this.resize();
    const threshold = this.buckets.length * 0.75;
    if (this.concurrent ? this.count >= threshold : this.count > threshold) this.resize();
    return true;
  }

  delete(key: string): boolean {
    const bucket = this.buckets[JavaHashOrder.spread(key) & (this.buckets.length - 1)]!;
    const at = bucket.indexOf(key);
    if (at < 0) return false;
    bucket.splice(at, 1);
    this.count--;
    return true;
  }

  keys(): string[] {
    return this.buckets.flat();
  }

  private resize(): void {
    const n = this.buckets.length;
    const next: string[][] = new Array<string[]>(n * 2);
    for (let i = 0; i < n; i++) {
      const bucket = this.buckets[i]!;
      const high = (key: string) => (JavaHashOrder.spread(key) & n) !== 0;
      let lo: string[] = [];
      let hi: string[] = [];
      if (!this.concurrent) {
        for (const key of bucket) (high(key) ? hi : lo).push(key);
      } else if (bucket.length > 0) {
        // the last run: the longest tail whose entries all go to the same new bucket
        let lastRun = bucket.length - 1;
        while (lastRun > 0 && high(bucket[lastRun - 1]!) === high(bucket[lastRun]!)) lastRun--;
        const run = bucket.slice(lastRun);
        if (high(run[0]!)) hi = run;
        else lo = run;
        for (let j = 0; j < lastRun; j++) {
          const key = bucket[j]!;
          (high(key) ? hi : lo).unshift(key);
        }
      }
      next[i] = lo;
      next[i + n] = hi;
    }
    this.buckets = next;
  }
}

// ---- subscriptions ----------------------------------------------------------------------------

/** One client-metrics subscription as ClientMetricsManager.SubscriptionInfo holds it. */
interface Subscription {
  /** The configs it was made from, to tell a real change from a repeated one. */
  readonly configs: ReadonlyMap<string, string>;
  /** Its metrics as a HashSet made from the configured list iterates them. */
  readonly metrics: readonly string[];
  readonly intervalMs: number;
  /** Attribute name -> whole-value regex (later patterns on the same attribute win, as in Kafka's map). */
  readonly match: ReadonlyMap<string, RegExp>;
}

/** The source of the subscriptions: the cluster's dynamic configs. */
export interface SubscriptionSource {
  clientMetricsNames(): string[];
  clientMetrics(name: string): ReadonlyMap<string, string>;
  onChange(fn: (change: DynamicConfigChange) => void): () => void;
}

/** Who sent a telemetry request (a handler's RequestContext): what ClientMetricsInstanceMetadata reads. */
export interface TelemetryClient {
  readonly clientId: string | null;
  readonly connection: Pick<ConnectionInfo, 'remoteAddress' | 'remotePort' | 'clientSoftware'>;
}

function configList(name: string, configs: ReadonlyMap<string, string>): string[] {
  const text = configs.get(name);
  if (text === undefined) return [];
  const parsed = parseConfigValue(clientMetricsConfigDef(name)!, text);
  return 'value' in parsed && Array.isArray(parsed.value) ? parsed.value : [];
}

/** The subscription of valid `configs` (ClientMetricsManager.updateClientSubscription). */
function subscriptionOf(configs: ReadonlyMap<string, string>): Subscription {
  const interval = configs.get('interval.ms');
  const match = new Map<string, RegExp>();
  // ClientMetricsConfigs.parseMatchingPatterns: name=regex, split at '=' (validated already)
  for (const pattern of configList('match', configs)) {
    const parts = pattern.split('=');
    // Pattern.matcher(value).matches(): the regex must match the whole attribute
    match.set(parts[0]!.trim(), new RegExp(`^(?:${parts[1]!.trim()})$`));
  }
  return {
    configs: new Map(configs),
    metrics: JavaHashOrder.ofCollection(configList('metrics', configs)).keys(),
    intervalMs: interval === undefined ? DEFAULT_PUSH_INTERVAL_MS : Number(interval.trim()),
    match,
  };
}

/**
 * Java's InetAddress.getHostAddress: an IPv4-mapped address as IPv4, other IPv6 addresses as eight
 * hex groups without leading zeros, uncompressed.
 */
export function javaHostAddress(address: string): string {
  if (!address.includes(':')) return address;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped !== null) return mapped[1]!;
  const percent = address.indexOf('%');
  const scope = percent < 0 ? '' : address.slice(percent);
  let text = percent < 0 ? address : address.slice(0, percent);
  // an IPv4 tail ("64:ff9b::1.2.3.4") is two more groups
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (dotted !== null) {
    const [a, b, c, d] = dotted.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.split('::') as [string, string | undefined];
  const front = head === '' ? [] : head.split(':');
  const back = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups = tail === undefined ? front : [...front, ...new Array<string>(8 - front.length - back.length).fill('0'), ...back];
  return groups.map(g => parseInt(g, 16).toString(16)).join(':') + scope;
}

// ---- client instances -------------------------------------------------------------------------

interface ClientInstance {
  /** The attributes subscriptions match on, taken when the instance was first made. */
  attributes: ReadonlyMap<string, string | null>;
  /** The subscription version it was evaluated at. */
  subscriptionVersion: number;
  metrics: readonly string[];
  subscriptionId: number;
  pushIntervalMs: number;
  lastGetMs: number;
  lastPushMs: number;
  terminating: boolean;
  lastKnownError: number;
  expiresAtMs: number;
}

/** Java's Uuid.hashCode: the XOR of the id's four 32-bit words. */
function uuidHash(id: string): number {
  const b = uuidToBytes(id);
  return (b.readInt32BE(0) ^ b.readInt32BE(4) ^ b.readInt32BE(8) ^ b.readInt32BE(12)) | 0;
}

export interface GetSubscriptionsAnswer {
  errorCode: number;
  clientInstanceId: string;
  subscriptionId: number;
  pushIntervalMs: number;
  requestedMetrics: readonly string[];
}

export class ClientTelemetry {
  private readonly instances = new Map<string, ClientInstance>();
  private readonly subscriptions = new Map<string, Subscription>();
  /** The order of Kafka's subscription map (a ConcurrentHashMap) over the subscription names. */
  private readonly subscriptionOrder = new JavaHashOrder(true);
  /** Kafka's subscriptionUpdateVersion: bumped by every change of a subscription. */
  private subscriptionVersion = 0;
  /** Pushes accepted, and the metric bytes they carried (dropped: no reporter is configured). */
  acceptedPushes = 0;
  acceptedBytes = 0;

  constructor(
    private readonly now: () => number,
    private readonly random: (n: number) => Buffer = randomBytes,
    source?: SubscriptionSource,
  ) {
    if (source === undefined) return;
    for (const name of source.clientMetricsNames()) this.updateSubscription(name, source.clientMetrics(name));
    // the store outlives a node; the listener lets go once this node's telemetry is collected
    const self = new WeakRef(this);
    const cancel = source.onChange(change => {
      const telemetry = self.deref();
      if (telemetry === undefined) cancel();
      else if (change.resourceType === ResourceType.CLIENT_METRICS) telemetry.updateSubscription(change.resourceName, change.configs);
    });
  }

  /**
   * ClientMetricsManager.updateSubscription: empty configs remove the subscription. Kafka's
   * controller writes no record for a value set to what it was, so a repeat changes nothing.
   */
  updateSubscription(name: string, configs: ReadonlyMap<string, string>): void {
    const current = this.subscriptions.get(name);
    if (configs.size === 0) {
      if (current === undefined) return;
      this.subscriptions.delete(name);
      this.subscriptionOrder.delete(name);
      this.subscriptionVersion++;
      return;
    }
    if (current !== undefined && current.configs.size === configs.size && [...configs].every(([k, v]) => current.configs.get(k) === v)) return;
    // the store checked them; a file edited by hand may not have been (Kafka's validate throws)
    if (clientMetricsProblem(name, configs) !== null) return;
    this.subscriptions.set(name, subscriptionOf(configs));
    this.subscriptionOrder.add(name);
    this.subscriptionVersion++;
  }

  /** ClientMetricsManager.processGetTelemetrySubscriptionRequest. */
  getSubscriptions(requestedId: string, client: TelemetryClient): GetSubscriptionsAnswer {
    const now = this.now();
    const id = requestedId === ZERO_UUID ? this.newInstanceId() : requestedId;
    const instance = this.instance(id, client, now);
    const intervalPassed = now - Math.max(instance.lastGetMs, instance.lastPushMs) >= instance.pushIntervalMs;
    if (intervalPassed) instance.lastGetMs = now;
    else if (instance.lastKnownError !== ErrorCode.UNKNOWN_SUBSCRIPTION_ID && instance.lastKnownError !== ErrorCode.UNSUPPORTED_COMPRESSION_TYPE) {
      return { errorCode: ErrorCode.THROTTLING_QUOTA_EXCEEDED, clientInstanceId: ZERO_UUID, subscriptionId: 0, pushIntervalMs: 0, requestedMetrics: [] };
    }
    instance.lastKnownError = ErrorCode.NONE;
    return {
      errorCode: ErrorCode.NONE,
      clientInstanceId: id,
      subscriptionId: instance.subscriptionId,
      pushIntervalMs: instance.pushIntervalMs,
      requestedMetrics: instance.metrics,
    };
  }

  /** ClientMetricsManager.processPushTelemetryRequest; `message` is Kafka's, for the log. */
  push(
    req: { clientInstanceId: string; subscriptionId: number; terminating: boolean; compressionType: number; metrics: Buffer },
    client: TelemetryClient,
  ): { errorCode: number; message?: string } {
    const id = req.clientInstanceId;
    if (id === ZERO_UUID || id === ONE_UUID) {
      return { errorCode: ErrorCode.INVALID_REQUEST, message: `Invalid request from the client [${id}], invalid client instance id` };
    }
    const now = this.now();
    const instance = this.instance(id, client, now);
    const error = this.validatePush(req, instance, now);
    // Kafka records the terminating flag whatever the outcome
    instance.terminating = req.terminating;
    if (error !== null) {
      instance.lastKnownError = error.errorCode;
      return error;
    }
    if (req.metrics.length > 0) {
      this.acceptedPushes++;
      this.acceptedBytes += req.metrics.length;
    }
    instance.lastKnownError = ErrorCode.NONE;
    return { errorCode: ErrorCode.NONE };
  }

  private validatePush(
    req: { clientInstanceId: string; subscriptionId: number; terminating: boolean; compressionType: number; metrics: Buffer },
    instance: ClientInstance,
    now: number,
  ): { errorCode: number; message: string } | null {
    const id = req.clientInstanceId;
    if (instance.terminating) {
      // (Kafka's message lacks the space between "accept" and "any")
      return { errorCode: ErrorCode.INVALID_REQUEST, message: `Client [${id}] sent the previous request with state terminating to TRUE, can not acceptany requests after that` };
    }
    // the first push after a GetTelemetrySubscriptions may come early: clients add jitter
    let accept = instance.lastGetMs > instance.lastPushMs;
    if (!accept) accept = now - instance.lastPushMs >= instance.pushIntervalMs;
    if (accept) instance.lastPushMs = now;
    else if (!req.terminating) {
      return { errorCode: ErrorCode.THROTTLING_QUOTA_EXCEEDED, message: `Request from the client [${id}] arrived before the next push interval time` };
    }
    if (req.subscriptionId !== instance.subscriptionId) {
      return { errorCode: ErrorCode.UNKNOWN_SUBSCRIPTION_ID, message: `Unknown client subscription id for the client [${id}]` };
    }
    // CompressionType.forId: none, gzip, snappy, lz4, zstd
    if (!(req.compressionType >= 0 && req.compressionType <= 4)) {
      return {
        errorCode: ErrorCode.UNSUPPORTED_COMPRESSION_TYPE,
        message: `Unknown compression type [${req.compressionType}] is received in telemetry request from [${id}]`,
      };
    }
    if (req.metrics.length > TELEMETRY_MAX_BYTES) {
      return { errorCode: ErrorCode.TELEMETRY_TOO_LARGE, message: `Telemetry request from [${id}] is larger than the maximum allowed size [${TELEMETRY_MAX_BYTES}]` };
    }
    return null;
  }

  /**
   * The instance of `id` (ClientMetricsManager.clientInstance): made when unknown or expired,
   * made again (same attributes, fresh state) when the subscriptions changed since it was; its
   * expiry is pushed back, as Kafka's timer is.
   */
  private instance(id: string, client: TelemetryClient, now: number): ClientInstance {
    let instance = this.instances.get(id);
    if (instance !== undefined) this.instances.delete(id);
    if (instance === undefined || instance.expiresAtMs <= now) {
      instance = this.evaluate(id, ClientTelemetry.attributes(id, client));
      if (this.instances.size >= CACHE_MAX_SIZE) this.instances.delete(this.instances.keys().next().value!);
    } else if (instance.subscriptionVersion < this.subscriptionVersion) {
      instance = this.evaluate(id, instance.attributes);
    }
    instance.expiresAtMs = now + Math.max(CACHE_EXPIRY_MS, instance.pushIntervalMs * 3);
    this.instances.set(id, instance);
    return instance;
  }

  /** ClientMetricsInstanceMetadata's attributes. */
  private static attributes(id: string, client: TelemetryClient): ReadonlyMap<string, string | null> {
    return new Map([
      ['client_instance_id', id],
      ['client_id', client.clientId ?? ''],
      ['client_software_name', client.connection.clientSoftware?.name ?? null],
      ['client_software_version', client.connection.clientSoftware?.version ?? null],
      ['client_source_address', javaHostAddress(client.connection.remoteAddress)],
      ['client_source_port', String(client.connection.remotePort)],
    ]);
  }

  /** ClientMetricsManager.createClientInstance: the instance's subscription, from the subscriptions it matches. */
  private evaluate(id: string, attributes: ReadonlyMap<string, string | null>): ClientInstance {
    let pushIntervalMs = DEFAULT_PUSH_INTERVAL_MS;
    // a HashSet filled from each matched subscription's set, in the subscription map's order
    const union = new JavaHashOrder();
    let all = false;
    for (const name of this.subscriptionOrder.keys()) {
      const subscription = this.subscriptions.get(name)!;
      if (!ClientTelemetry.matches(subscription.match, attributes)) continue;
      if (subscription.metrics.includes(ALL_METRICS)) all = true;
      for (const metric of subscription.metrics) union.add(metric);
      pushIntervalMs = Math.min(pushIntervalMs, subscription.intervalMs);
    }
    const metrics = all ? [ALL_METRICS] : union.keys();
    // computeSubscriptionId: CRC32C of the set's Java toString and the interval, XOR the id's hash
    const subscriptionId = (crc32c(Buffer.from(`[${metrics.join(', ')}]${pushIntervalMs}`, 'utf8')) ^ uuidHash(id)) | 0;
    return {
      attributes,
      subscriptionVersion: this.subscriptionVersion,
      metrics,
      subscriptionId,
      pushIntervalMs,
      lastGetMs: -Infinity,
      lastPushMs: -Infinity,
      terminating: false,
      lastKnownError: ErrorCode.NONE,
      expiresAtMs: 0,
    };
  }

  /** ClientMetricsInstanceMetadata.isMatch: every pattern matches its whole attribute; none: a match. */
  private static matches(patterns: ReadonlyMap<string, RegExp>, attributes: ReadonlyMap<string, string | null>): boolean {
    for (const [name, regex] of patterns) {
      const value = attributes.get(name);
      if (value === null || value === undefined || !regex.test(value)) return false;
    }
    return true;
  }

  private newInstanceId(): string {
    for (;;) {
      const id = randomUuid(this.random);
      if (!this.instances.has(id)) return id;
    }
  }
}

const PER_BROKER = new WeakMap<Broker, ClientTelemetry>();

/** The client telemetry state of a broker node (each Kafka broker keeps its own). */
export function telemetryOf(broker: Broker): ClientTelemetry {
  let t = PER_BROKER.get(broker);
  if (t === undefined) {
    t = new ClientTelemetry(() => broker.clock.now(), randomBytes, broker.cluster.dynamicConfigs);
    PER_BROKER.set(broker, t);
  }
  return t;
}
