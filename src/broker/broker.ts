// One broker node: the single dispatch point every request goes through. Frames in, encoded
// responses out; versions, unknown keys, decode failures and handler bugs are all decided here.
import { ProducerIdManager } from './producer-ids.js';
import type { Logger } from 'pino';
import type { Cluster } from '../cluster/cluster.js';
import type { BrokerConfig } from '../cluster/configs.js';
import type { ApiSpec } from '../protocol/api.js';
import { ErrorCode } from '../protocol/errors.js';
import { API_SPECS } from '../protocol/messages/index.js';
import { ProtocolError, Reader, Writer } from '../protocol/wire.js';
import type { Clock, Timer } from './clock.js';
import { FetchSessionCache } from './fetch-sessions.js';
import { ReplicaManager } from './replica-manager.js';
import { NO_RESPONSE, type ConnectionInfo, type Handler, type HandlerResult, type RequestContext } from './handler.js';
import { HANDLERS } from './handlers/index.js';
import { LogCleaner } from '../storage/cleaner.js';
import { GroupCoordinator } from '../coordinator/group/group-coordinator.js';
import { TransactionCoordinator } from '../coordinator/transaction/transaction-coordinator.js';
import { randomBytes } from 'node:crypto';

const API_VERSIONS_KEY = 18;

const SPECS: (ApiSpec | undefined)[] = [];
for (const spec of API_SPECS) SPECS[spec.key] = spec;

/** What dispatch decided for one frame. */
export type Outcome =
  | { kind: 'respond'; chunks: Buffer[] }
  | { kind: 'none' }
  | { kind: 'close'; reason: string };

const NONE: Outcome = { kind: 'none' };

export interface BrokerDeps {
  nodeId: number;
  config: BrokerConfig;
  cluster: Cluster;
  log: Logger;
  clock: Clock;
  /** The data directory (--data-dir mode): producer id blocks are recorded there. */
  dataDir?: string | null;
}

export class Broker {
  readonly nodeId: number;
  readonly config: BrokerConfig;
  readonly cluster: Cluster;
  readonly log: Logger;
  readonly clock: Clock;
  readonly fetchSessions: FetchSessionCache;
  readonly replicas: ReplicaManager;
  readonly groups: GroupCoordinator;
  readonly transactions: TransactionCoordinator;
  /** InitProducerId's ids. */
  readonly producerIds: ProducerIdManager;
  /** Debug logging costs the hot path nothing when it is off. */
  private readonly debug: boolean;

  constructor(deps: BrokerDeps) {
    this.nodeId = deps.nodeId;
    this.config = deps.config;
    this.cluster = deps.cluster;
    this.log = deps.log;
    this.clock = deps.clock;
    this.fetchSessions = new FetchSessionCache(deps.config.int('max.incremental.fetch.session.cache.slots'), deps.clock);
    this.replicas = new ReplicaManager(deps.nodeId, deps.clock, () => ({
      expirationMs: deps.config.int('producer.id.expiration.ms'),
      checkIntervalMs: deps.config.int('producer.id.expiration.check.interval.ms'),
    }));
    this.producerIds = new ProducerIdManager(deps.dataDir ?? null);
    this.groups = new GroupCoordinator({
      nodeId: deps.nodeId,
      cluster: deps.cluster,
      replicas: this.replicas,
      config: deps.config,
      clock: deps.clock,
      log: deps.log.child({ component: 'group-coordinator' }),
      random: randomBytes,
    });
    this.transactions = new TransactionCoordinator({
      nodeId: deps.nodeId,
      cluster: deps.cluster,
      replicas: this.replicas,
      config: deps.config,
      clock: deps.clock,
      log: deps.log.child({ component: 'transaction-coordinator' }),
      producerIds: this.producerIds,
    });
    // KIP-890: transaction.partition.verification.enable turns off the verification of older
    // requests; the requests of transaction version 2 add their partitions whatever it says (a
    // producer that sends no AddPartitionsToTxn has no other way to get them into its transaction)
    const verifyOnly = deps.config.bool('transaction.partition.verification.enable');
    this.replicas.txnVerifier = (transactionalId, producerId, producerEpoch, p, version) =>
      this.transactions.verifyProduce(transactionalId, producerId, producerEpoch, { topic: p.topic.name, partition: p.index }, version, verifyOnly);
    this.groups.txnVerifier = (transactionalId, producerId, producerEpoch, p, version) =>
      this.transactions.verifyTxnOffsetCommit(transactionalId, producerId, producerEpoch, { topic: p.topic.name, partition: p.index }, version, verifyOnly);
    this.debug = deps.log.isLevelEnabled('debug');
  }

  private retentionTimer: Timer | null = null;
  private cleaner: LogCleaner | null = null;

  /** Starts the periodic retention check (log.retention.check.interval.ms) and the log cleaner. */
  startBackgroundTasks(): void {
    if (this.config.bool('log.cleaner.enable')) {
      this.cleaner = new LogCleaner({
        backoffMs: Math.min(this.config.int('log.cleaner.backoff.ms'), 2 ** 31 - 1),
        // Kafka's offset map holds 24-byte entries at a load factor of 0.9
        maxKeys: Math.max(1, Math.floor((this.config.int('log.cleaner.dedupe.buffer.size') / 24) * 0.9)),
        clock: this.clock,
        log: this.log,
        logs: () => this.cluster.compactedLogs(),
      });
      this.cleaner.start();
    }
    const interval = this.config.int('log.retention.check.interval.ms');
    if (interval >= 2 ** 31) return;
    const tick = () => {
      this.cluster
        .applyRetention(this.clock.now())
        .catch(err => this.log.error({ err }, 'retention check failed'))
        .finally(() => {
          if (this.retentionTimer !== null) this.retentionTimer = this.clock.setTimeout(tick, interval);
        });
    };
    this.retentionTimer = this.clock.setTimeout(tick, interval);
  }

  /** Releases the logs; the listener is closed first by whoever started the broker. */
  async close(): Promise<void> {
    this.retentionTimer?.cancel();
    this.retentionTimer = null;
    await this.cleaner?.stop();
    this.groups.close();
    this.transactions.close();
    this.replicas.close();
    await this.cluster.close();
  }

  /** The APIs this broker answers, with the versions it advertises in ApiVersions. */
  supportedApis(): { apiKey: number; minVersion: number; maxVersion: number }[] {
    const out: { apiKey: number; minVersion: number; maxVersion: number }[] = [];
    for (const spec of API_SPECS) {
      if (HANDLERS.get(spec.key)?.handle) out.push({ apiKey: spec.key, minVersion: spec.minVersion, maxVersion: spec.maxVersion });
    }
    return out;
  }

  /**
   * Handles one request frame (without its size prefix). Returns synchronously when the handler
   * does, so the common produce path costs no promise. `framePieces`: for a frame the network
   * joined from several reads, those reads' pieces (size prefix included), see arrivedAs().
   */
  dispatch(conn: ConnectionInfo, frame: Buffer, framePieces: readonly Buffer[] | null = null): Outcome | Promise<Outcome> {
    const r = new Reader(frame);
    let apiKey: number;
    let version: number;
    let correlationId: number;
    try {
      apiKey = r.int16();
      version = r.int16();
      correlationId = r.int32();
    } catch {
      return { kind: 'close', reason: `request header truncated (${frame.length} bytes)` };
    }
    const spec = apiKey >= 0 ? SPECS[apiKey] : undefined;
    if (spec === undefined) return { kind: 'close', reason: `unknown API key ${apiKey}` };
    if (version < spec.minVersion || version > spec.maxVersion) {
      if (apiKey === API_VERSIONS_KEY && version > spec.maxVersion) return this.apiVersionsTooNew(correlationId);
      return { kind: 'close', reason: `unsupported version ${version} of API ${spec.name} (${apiKey}); supported ${spec.minVersion}-${spec.maxVersion}` };
    }
    let clientId: string | null;
    let request: unknown;
    try {
      clientId = r.nullableString();
      if (version >= spec.flexibleMin) r.skipTaggedFields();
      request = spec.decodeRequest(r, version);
    } catch (err) {
      if (err instanceof ProtocolError) {
        return { kind: 'close', reason: `cannot decode ${spec.name} v${version} request: ${err.message}` };
      }
      throw err;
    }
    if (this.debug) this.log.debug({ api: spec.name, version, correlationId, clientId, conn: conn.id }, 'request');
    const handler = HANDLERS.get(apiKey)!;
    const ctx: RequestContext = { broker: this, log: this.log, connection: conn, apiKey, apiVersion: version, correlationId, clientId, frame, framePieces };
    if (!handler.handle) {
      this.log.debug({ api: spec.name, version, correlationId }, 'API not built yet: answered UNSUPPORTED_VERSION');
      return this.respond(ctx, spec, handler, request, handler.errorResponse(request, version, ErrorCode.UNSUPPORTED_VERSION));
    }
    let result: HandlerResult<unknown> | Promise<HandlerResult<unknown>>;
    try {
      result = handler.handle(ctx, request);
    } catch (err) {
      return this.failed(ctx, spec, handler, request, err);
    }
    if (result instanceof Promise) {
      return result.then(
        res => this.respond(ctx, spec, handler, request, res),
        err => this.failed(ctx, spec, handler, request, err),
      );
    }
    return this.respond(ctx, spec, handler, request, result);
  }

  /** A handler threw: that is our bug. Log it and answer UNKNOWN_SERVER_ERROR as Kafka does. */
  private failed(ctx: RequestContext, spec: ApiSpec, handler: Handler, request: unknown, err: unknown): Outcome {
    this.log.error({ err, api: spec.name, version: ctx.apiVersion, correlationId: ctx.correlationId }, 'request handler failed');
    return this.respond(ctx, spec, handler, request, handler.errorResponse(request, ctx.apiVersion, ErrorCode.UNKNOWN_SERVER_ERROR));
  }

  private respond(ctx: RequestContext, spec: ApiSpec, handler: Handler, request: unknown, response: unknown): Outcome {
    if (response === NO_RESPONSE) return NONE;
    try {
      return { kind: 'respond', chunks: encodeResponse(spec, ctx.apiVersion, ctx.correlationId, response) };
    } catch (err) {
      this.log.error({ err, api: spec.name, version: ctx.apiVersion, correlationId: ctx.correlationId }, 'response could not be encoded');
      try {
        const fallback = handler.errorResponse(request, ctx.apiVersion, ErrorCode.UNKNOWN_SERVER_ERROR);
        return { kind: 'respond', chunks: encodeResponse(spec, ctx.apiVersion, ctx.correlationId, fallback) };
      } catch {
        return { kind: 'close', reason: `no response could be encoded for ${spec.name} v${ctx.apiVersion}` };
      }
    }
  }

  /** Kafka answers an ApiVersions request newer than it knows at v0, with error 35 and its API list. */
  private apiVersionsTooNew(correlationId: number): Outcome {
    const spec = SPECS[API_VERSIONS_KEY]!;
    const body = spec.defaultResponse();
    body.errorCode = ErrorCode.UNSUPPORTED_VERSION;
    body.apiKeys = this.supportedApis();
    return { kind: 'respond', chunks: encodeResponse(spec, 0, correlationId, body) };
  }
}

/** Frames a response: size, header (v1 for flexible versions, except ApiVersions: always v0), body. */
export function encodeResponse(spec: ApiSpec, version: number, correlationId: number, body: unknown): Buffer[] {
  const w = new Writer(256);
  w.int32(0);
  w.int32(correlationId);
  if (version >= spec.flexibleMin && spec.key !== API_VERSIONS_KEY) w.uvarint(0);
  spec.encodeResponse(w, version, body);
  w.patchInt32(0, w.length - 4);
  return w.toChunks();
}
