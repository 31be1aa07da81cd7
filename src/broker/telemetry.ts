// Client telemetry (KIP-714) as a Kafka 4.1 broker with no client-telemetry metrics reporter
// configured serves it: GetTelemetrySubscriptions (71) and PushTelemetry (72) are not advertised
// in ApiVersions (ApiVersionsResponse.filterApis leaves them out), so clients that follow
// ApiVersions never send them; a client that sends them anyway is answered by the broker's
// ClientMetricsManager, which runs whatever is configured:
//   - GetTelemetrySubscriptions gives a client sending the zero id a new random client instance
//     id, and answers with its subscription: no client-metrics subscriptions are configured, so
//     no requested metrics, the default push interval (5 minutes), Kafka's accepted compression
//     types (zstd, lz4, gzip, snappy), telemetry.max.bytes (1 MiB), delta temporality, and a
//     subscription id that is the CRC32C of "[]300000" (the metrics set's Java toString and the
//     interval) XORed with the instance id's hash. A second request within the push interval is
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
import { randomBytes } from 'node:crypto';
import { crc32c } from '@node-rs/crc32';
import type { Broker } from './broker.js';
import { ErrorCode } from '../protocol/errors.js';
import { ZERO_UUID, randomUuid, uuidToBytes } from '../protocol/wire.js';

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

interface ClientInstance {
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

export interface TelemetryAnswer {
  errorCode: number;
}

export class ClientTelemetry {
  private readonly instances = new Map<string, ClientInstance>();
  /** Pushes accepted, and the metric bytes they carried (dropped: no reporter is configured). */
  acceptedPushes = 0;
  acceptedBytes = 0;

  constructor(
    private readonly now: () => number,
    private readonly random: (n: number) => Buffer = randomBytes,
  ) {}

  /** ClientMetricsManager.processGetTelemetrySubscriptionRequest. */
  getSubscriptions(requestedId: string): { errorCode: number; clientInstanceId: string; subscriptionId: number; pushIntervalMs: number } {
    const now = this.now();
    const id = requestedId === ZERO_UUID ? this.newInstanceId() : requestedId;
    const instance = this.instance(id, now);
    const intervalPassed = now - Math.max(instance.lastGetMs, instance.lastPushMs) >= instance.pushIntervalMs;
    if (intervalPassed) instance.lastGetMs = now;
    else if (instance.lastKnownError !== ErrorCode.UNKNOWN_SUBSCRIPTION_ID && instance.lastKnownError !== ErrorCode.UNSUPPORTED_COMPRESSION_TYPE) {
      return { errorCode: ErrorCode.THROTTLING_QUOTA_EXCEEDED, clientInstanceId: ZERO_UUID, subscriptionId: 0, pushIntervalMs: 0 };
    }
    instance.lastKnownError = ErrorCode.NONE;
    return { errorCode: ErrorCode.NONE, clientInstanceId: id, subscriptionId: instance.subscriptionId, pushIntervalMs: instance.pushIntervalMs };
  }

  /** ClientMetricsManager.processPushTelemetryRequest; `message` is Kafka's, for the log. */
  push(req: { clientInstanceId: string; subscriptionId: number; terminating: boolean; compressionType: number; metrics: Buffer }): { errorCode: number; message?: string } {
    const id = req.clientInstanceId;
    if (id === ZERO_UUID || id === ONE_UUID) {
      return { errorCode: ErrorCode.INVALID_REQUEST, message: `Invalid request from the client [${id}], invalid client instance id` };
    }
    const now = this.now();
    const instance = this.instance(id, now);
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

  /** The instance of `id`, made when unknown or expired; its expiry is pushed back, as Kafka's timer is. */
  private instance(id: string, now: number): ClientInstance {
    let instance = this.instances.get(id);
    if (instance !== undefined) this.instances.delete(id);
    if (instance === undefined || instance.expiresAtMs <= now) {
      const pushIntervalMs = DEFAULT_PUSH_INTERVAL_MS;
      // ClientMetricsManager.computeSubscriptionId: CRC32C of the subscribed metrics' Java
      // toString ("[]": none) and the push interval, XORed with the instance id's hash
      const subscriptionId = (crc32c(Buffer.from(`[]${pushIntervalMs}`)) ^ uuidHash(id)) | 0;
      instance = {
        subscriptionId,
        pushIntervalMs,
        lastGetMs: -Infinity,
        lastPushMs: -Infinity,
        terminating: false,
        lastKnownError: ErrorCode.NONE,
        expiresAtMs: 0,
      };
      if (this.instances.size >= CACHE_MAX_SIZE) this.instances.delete(this.instances.keys().next().value!);
    }
    instance.expiresAtMs = now + Math.max(CACHE_EXPIRY_MS, instance.pushIntervalMs * 3);
    this.instances.set(id, instance);
    return instance;
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
    t = new ClientTelemetry(() => broker.clock.now());
    PER_BROKER.set(broker, t);
  }
  return t;
}
