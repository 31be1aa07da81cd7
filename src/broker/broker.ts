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
import type { Clock } from './clock.js';
import { FetchSessionCache } from './fetch-sessions.js';
import { QuotaManagers } from './quota-manager.js';
import { Authorizer } from '../security/authorizer.js';
import { ReplicaManager } from './replica-manager.js';
import { NO_RESPONSE, type ConnectionInfo, type Handler, type HandlerResult, type RequestContext } from './handler.js';
import { HANDLERS } from './handlers/index.js';
import { FAULTS, withFaults } from '../control/faults.js';
import { GroupCoordinator } from '../coordinator/group/group-coordinator.js';
import { TransactionCoordinator } from '../coordinator/transaction/transaction-coordinator.js';
import { randomBytes } from 'node:crypto';
import { advertisedRange, answeredRange } from '../cluster/kafka-versions.js';
import type { OAuthBearerValidator } from '../security/sasl/mechanism.js';

const API_VERSIONS_KEY = 18;

const SPECS: (ApiSpec | undefined)[] = [];
for (const spec of API_SPECS) SPECS[spec.key] = spec;

/** What dispatch decided for one frame. */
export type Outcome =
  | { kind: 'respond'; chunks: Buffer[]; /** Close the connection once these are written, for this reason. */ thenClose?: string; /** Run once these are written. */ afterWrite?: (() => void)[] }
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
  /** InitProducerId's ids, shared by every node of the cluster (Kafka's controller hands out their blocks); default: this node's own. */
  producerIds?: ProducerIdManager;
  /** Every node of the cluster by id, this one included (default: this one alone). */
  peers?: Map<number, Broker>;
  /** Hooks of the embedding API for authentication. */
  security?: BrokerSecurity;
}

export interface BrokerSecurity {
  /** Validates OAUTHBEARER tokens instead of the unsecured-JWT checks (for development) Kafka does by default. */
  oauthBearerValidator?: OAuthBearerValidator;
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
  /** This node's client quota rates, against the cluster's quotas. */
  readonly quotas: QuotaManagers;
  /** ACL authorization (authorizer.class.name), over the cluster's ACLs. */
  readonly authorizer: Authorizer;
  /** Every node of the cluster by id, this one included. */
  readonly peers: Map<number, Broker>;
  /** The data directory (Kafka's log dir); null when the data is kept in memory. */
  readonly dataDir: string | null;
  readonly security: BrokerSecurity;
  /** Debug logging costs the hot path nothing when it is off. */
  private readonly debug: boolean;
  private readonly stopListening: () => void;

  constructor(deps: BrokerDeps) {
    this.nodeId = deps.nodeId;
    this.config = deps.config;
    this.cluster = deps.cluster;
    this.log = deps.log;
    this.clock = deps.clock;
    // the dynamic configs (AlterConfigs) win over this node's static ones, from the start
    deps.cluster.dynamicConfigs.attach(deps.config);
    this.fetchSessions = new FetchSessionCache(deps.config.int('max.incremental.fetch.session.cache.slots'), deps.clock);
    this.replicas = new ReplicaManager(deps.nodeId, deps.clock, () => ({
      expirationMs: deps.config.int('producer.id.expiration.ms'),
      checkIntervalMs: deps.config.int('producer.id.expiration.check.interval.ms'),
    }));
    this.producerIds = deps.producerIds ?? new ProducerIdManager(deps.dataDir ?? null);
    this.quotas = new QuotaManagers(deps.cluster.clientQuotas, deps.config);
    this.authorizer = new Authorizer(deps.config, deps.cluster.acls, deps.log.child({ component: 'authorizer' }));
    this.peers = deps.peers ?? new Map();
    this.dataDir = deps.dataDir ?? null;
    this.security = deps.security ?? {};
    this.peers.set(deps.nodeId, this);
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
      // a marker is written by the partition's leader (Kafka's WriteTxnMarkers goes to it)
      replicasOf: nodeId => this.peers.get(nodeId)?.replicas,
    });
    // KIP-890: transaction.partition.verification.enable turns off the verification of older
    // requests; the requests of transaction version 2 add their partitions whatever it says (a
    // producer that sends no AddPartitionsToTxn has no other way to get them into its transaction)
    const verifyOnly = deps.config.bool('transaction.partition.verification.enable');
    // the transactional id's coordinator verifies, wherever it runs (Kafka's
    // AddPartitionsToTxnManager sends the partition leader's request to it)
    this.replicas.txnVerifier = (transactionalId, producerId, producerEpoch, p, version) =>
      this.transactionCoordinatorOf(transactionalId).verifyProduce(transactionalId, producerId, producerEpoch, { topic: p.topic.name, partition: p.index }, version, verifyOnly);
    this.groups.txnVerifier = (transactionalId, producerId, producerEpoch, p, version) =>
      this.transactionCoordinatorOf(transactionalId).verifyTxnOffsetCommit(transactionalId, producerId, producerEpoch, { topic: p.topic.name, partition: p.index }, version, verifyOnly);
    // the coordinators follow the leadership of their internal topics' partitions
    this.stopListening = deps.cluster.onLeaderChange((p, previous) => {
      if (previous === this.nodeId && p.leader !== this.nodeId) {
        this.groups.resign(p);
        this.transactions.resign(p);
      } else if (p.leader === this.nodeId && previous !== this.nodeId) {
        void this.groups.elect(p);
        void this.transactions.elect(p);
      }
    });
    this.debug = deps.log.isLevelEnabled('debug');
  }

  /**
   * The transaction coordinator of the node coordinating `transactionalId`; this node's own
   * when no live node does (it then answers NOT_COORDINATOR, as a stale route would be answered).
   */
  private transactionCoordinatorOf(transactionalId: string | null): TransactionCoordinator {
    if (transactionalId === null) return this.transactions;
    const leader = this.transactions.coordinatorNode(transactionalId);
    const peer = leader === this.nodeId ? undefined : this.peers.get(leader);
    return peer !== undefined && this.cluster.isAlive(leader) ? peer.transactions : this.transactions;
  }

  /**
   * Stops this node's work: coordinators, waiting fetches. The listener is
   * closed first by whoever started the node; the cluster (and its logs) by whoever made it.
   */
  async close(): Promise<void> {
    this.stopListening();
    this.groups.close();
    this.transactions.close();
    this.replicas.close();
  }

  /** The APIs this broker answers, with the versions it advertises in ApiVersions (capped to an emulated Kafka release's). */
  supportedApis(): { apiKey: number; minVersion: number; maxVersion: number }[] {
    const out: { apiKey: number; minVersion: number; maxVersion: number }[] = [];
    const release = this.cluster.features.release;
    for (const spec of API_SPECS) {
      if (!HANDLERS.get(spec.key)?.handle) continue;
      const range = advertisedRange(release, spec.key, spec.minVersion, spec.maxVersion);
      if (range !== null) out.push({ apiKey: spec.key, minVersion: range[0], maxVersion: range[1] });
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
    let minVersion = spec.minVersion;
    let maxVersion = spec.maxVersion;
    const release = this.cluster.features.release;
    if (release !== null) {
      // an emulated Kafka release answers only the versions it knew, and not an API it did not know
      const range = answeredRange(release, apiKey, minVersion, maxVersion);
      if (range === null) return { kind: 'close', reason: `unknown API key ${apiKey} (${spec.name}) for Kafka ${release.version}` };
      [minVersion, maxVersion] = range;
    }
    if (version < minVersion || version > maxVersion) {
      if (apiKey === API_VERSIONS_KEY && version > maxVersion) return this.apiVersionsTooNew(correlationId);
      return { kind: 'close', reason: `unsupported version ${version} of API ${spec.name} (${apiKey}); supported ${minVersion}-${maxVersion}` };
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
    // injected faults (src/control/faults.ts): one flag read while no rule exists in the process
    const handler = FAULTS.armed ? withFaults(this, HANDLERS.get(apiKey)!) : HANDLERS.get(apiKey)!;
    const ctx: RequestContext = { broker: this, log: this.log, connection: conn, apiKey, apiVersion: version, correlationId, clientId, frame, framePieces };
    if (!handler.handle || this.cluster.features.disables(apiKey)) {
      this.log.debug({ api: spec.name, version, correlationId }, 'API not built yet, or switched off by a feature level: answered UNSUPPORTED_VERSION');
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
      return { kind: 'respond', chunks: encodeResponse(spec, ctx.apiVersion, ctx.correlationId, response), afterWrite: ctx.afterWrite };
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

/** A request frame decoded outside dispatch (SASL authentication): its API, version and body, or why it cannot be. */
export function decodeRequestFrame(frame: Buffer): { spec: ApiSpec; version: number; correlationId: number; clientId: string | null; request: unknown } | string {
  try {
    const r = new Reader(frame);
    const apiKey = r.int16();
    const version = r.int16();
    const correlationId = r.int32();
    const spec = apiKey >= 0 ? SPECS[apiKey] : undefined;
    if (spec === undefined) return `unknown API key ${apiKey}`;
    if (version < spec.minVersion || version > spec.maxVersion) return `unsupported version ${version} of API ${spec.name} (${apiKey})`;
    const clientId = r.nullableString();
    if (version >= spec.flexibleMin) r.skipTaggedFields();
    return { spec, version, correlationId, clientId, request: spec.decodeRequest(r, version) };
  } catch (err) {
    if (err instanceof ProtocolError) return `cannot decode request: ${err.message}`;
    throw err;
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
