// Fetch (1): reads stored batches for consumers, sliced as they were written, with long polling
// (max wait / min bytes, woken by appends) and incremental fetch sessions (KIP-227). Kafka's
// error response sets the top-level error code and echoes the session id; below v13 it also
// answers every requested partition with the error, because older clients read only those.
//
// Authorization (KafkaApis.handleFetchRequest): a consumer needs READ on each topic, else its
// partitions are answered TOPIC_AUTHORIZATION_FAILED (before they are looked up; a topic id that
// names no topic is UNKNOWN_TOPIC_ID first); a follower (replica id >= 0) needs CLUSTER_ACTION on
// the cluster, else every partition is TOPIC_AUTHORIZATION_FAILED. The partitions of a fetch
// session are checked on every fetch and stay in the session, answered with the error each time.
import type { Handler, RequestContext } from '../handler.js';
import { AclOperation, ResourceType } from '../../security/acls.js';
import { nodeEndpoint } from '../topics.js';
import { FINAL_EPOCH, INITIAL_EPOCH, partitionKey, type FetchSession, type SessionPartition } from '../fetch-sessions.js';
import { IsolationLevel, type ReadOutcome, type ReadRequest } from '../replica-manager.js';
import type { Partition } from '../../cluster/cluster.js';
import { ErrorCode } from '../../protocol/errors.js';
import { EMPTY, Writer } from '../../protocol/wire.js';
import { fetchQuotaCap, throttleFetch } from '../quota-manager.js';
import {
  encodeFetchResponse,
  defaultFetchResponse,
  defaultFetchResponseEpochEndOffset,
  defaultFetchResponseFetchableTopicResponse,
  defaultFetchResponseLeaderIdAndEpoch,
  defaultFetchResponsePartitionData,
  defaultFetchResponseSnapshotId,
  type FetchRequest,
  type FetchResponse,
  type FetchResponseFetchableTopicResponse,
  type FetchResponsePartitionData,
} from '../../protocol/messages/index.js';

/** The first Fetch version that names topics by id (KIP-516). */
const TOPIC_ID_VERSION = 13;
/** The first Fetch version with sessions (KIP-227). */
const SESSION_VERSION = 7;

/** One partition to read: from the request (full fetch) or the session (incremental fetch). */
interface FetchTarget extends SessionPartition {
  /** The partition, or null and the error that stands in for it. */
  partition: Partition | null;
  error: number;
}

function sessionError(errorCode: number): FetchResponse {
  return { ...defaultFetchResponse(), errorCode, sessionId: 0 };
}

/**
 * Who may read, decided once per request when an authorizer is configured: a consumer (READ on
 * each topic), a follower allowed CLUSTER_ACTION (every topic), or a follower refused it.
 */
const ReaderKind = { CONSUMER: 0, FOLLOWER: 1, REFUSED_FOLLOWER: 2 } as const;
type ReaderKind = (typeof ReaderKind)[keyof typeof ReaderKind];

/** Is the topic's every partition TOPIC_AUTHORIZATION_FAILED for this reader? */
function readDenied(ctx: RequestContext, reader: ReaderKind, byId: boolean, topic: string, topicId: string): boolean {
  if (reader === ReaderKind.FOLLOWER) return false;
  if (reader === ReaderKind.REFUSED_FOLLOWER) return true;
  let name = topic;
  if (byId) {
    const t = ctx.broker.cluster.topicById(topicId);
    // an unknown id is answered UNKNOWN_TOPIC_ID before any check
    if (t === undefined) return false;
    name = t.name;
  }
  return !ctx.broker.authorizer.allows(ctx.connection, AclOperation.READ, ResourceType.TOPIC, name);
}

/**
 * Finds the partition a request or session names, by topic id from v13 and by name before;
 * `denied`: the reader may not read the topic (TOPIC_AUTHORIZATION_FAILED).
 */
function resolve(ctx: RequestContext, byId: boolean, topic: string, topicId: string, index: number, denied: boolean): { partition: Partition | null; error: number; topic: string; topicId: string } {
  const cluster = ctx.broker.cluster;
  const t = byId ? cluster.topicById(topicId) : cluster.topic(topic);
  if (denied) return { partition: null, error: ErrorCode.TOPIC_AUTHORIZATION_FAILED, topic: t?.name ?? topic, topicId: t?.id ?? topicId };
  if (t === undefined) return { partition: null, error: byId ? ErrorCode.UNKNOWN_TOPIC_ID : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, topic, topicId };
  const partition = t.partitions[index];
  if (partition === undefined) return { partition: null, error: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, topic: t.name, topicId: t.id };
  return { partition, error: ErrorCode.NONE, topic: t.name, topicId: t.id };
}

/** Reads every target in order, sharing the response's byte budget as Kafka's readFromLog does. */
async function readAll(ctx: RequestContext, targets: FetchTarget[], maxBytes: number, isolationLevel: number): Promise<(ReadOutcome | null)[]> {
  const replicas = ctx.broker.replicas;
  let remaining = maxBytes;
  let minOneBatch = true;
  const out: (ReadOutcome | null)[] = [];
  for (const t of targets) {
    if (t.partition === null) {
      out.push(null);
      continue;
    }
    const read = await replicas.read(t.partition, t.fetchOffset, Math.min(t.maxBytes, remaining), minOneBatch, isolationLevel, t.currentLeaderEpoch);
    // the read buffers go back to their pool once the response is on the socket
    if (read.release !== undefined) (ctx.afterWrite ??= []).push(read.release);
    if (read.bytes > 0) {
      minOneBatch = false;
      remaining = Math.max(0, remaining - read.bytes);
    }
    out.push(read);
  }
  return out;
}

function partitionData(t: FetchTarget, read: ReadOutcome | null, isolationLevel: number): FetchResponsePartitionData {
  const base = {
    partitionIndex: t.partitionIndex,
    divergingEpoch: defaultFetchResponseEpochEndOffset(),
    currentLeader: defaultFetchResponseLeaderIdAndEpoch(),
    snapshotId: defaultFetchResponseSnapshotId(),
    preferredReadReplica: -1,
    // Kafka's read of a failed partition carries no aborted-transactions list (null on the wire)
    abortedTransactions:
      isolationLevel === IsolationLevel.READ_COMMITTED && read !== null && read.errorCode === ErrorCode.NONE
        ? (read.abortedTransactions ?? []).map(a => ({ producerId: a.producerId, firstOffset: a.firstOffset }))
        : null,
  };
  if (read === null) {
    return { ...base, errorCode: t.error, highWatermark: -1, lastStableOffset: -1, logStartOffset: -1, records: EMPTY };
  }
  return {
    ...base,
    errorCode: read.errorCode,
    highWatermark: read.highWatermark,
    lastStableOffset: read.lastStableOffset,
    logStartOffset: read.logStartOffset,
    records: read.records.length === 0 ? EMPTY : read.records,
  };
}

/**
 * From v16 Kafka tells a client fenced or sent to a non-leader who leads the partition now, and
 * where to reach it (KIP-951). Fills currentLeader in place; returns the node endpoints.
 */
function leaderHints(ctx: RequestContext, entries: { t: FetchTarget; data: FetchResponsePartitionData }[]): FetchResponse['nodeEndpoints'] {
  if (ctx.apiVersion < 16) return [];
  const nodes = new Map<number, FetchResponse['nodeEndpoints'][number]>();
  for (const { t, data } of entries) {
    if (t.partition === null || (data.errorCode !== ErrorCode.FENCED_LEADER_EPOCH && data.errorCode !== ErrorCode.NOT_LEADER_OR_FOLLOWER)) continue;
    data.currentLeader = { leaderId: t.partition.leader, leaderEpoch: t.partition.leaderEpoch };
    const node = ctx.broker.cluster.node(t.partition.leader);
    const endpoint = node?.alive ? nodeEndpoint(ctx.broker, node.nodeId, ctx.connection) : null;
    if (node && endpoint !== null && !nodes.has(node.nodeId)) nodes.set(node.nodeId, { nodeId: node.nodeId, host: endpoint.host, port: endpoint.port, rack: node.rack });
  }
  return [...nodes.values()];
}

/** Groups partition answers into topics, starting a new topic entry whenever the topic changes (as Kafka does). */
function groupByTopic(entries: { t: FetchTarget; data: FetchResponsePartitionData }[]): FetchResponseFetchableTopicResponse[] {
  const out: FetchResponseFetchableTopicResponse[] = [];
  let current: FetchResponseFetchableTopicResponse | null = null;
  for (const { t, data } of entries) {
    if (current === null || current.topic !== t.topic || current.topicId !== t.topicId) {
      current = { topic: t.topic, topicId: t.topicId, partitions: [] };
      out.push(current);
    }
    current.partitions.push(data);
  }
  return out;
}

/**
 * The size Kafka counts against a consumer_byte_rate quota (FetchResponse.sizeOf): the response
 * as it would go out - for an incremental fetch only the partitions it would carry - plus 4.
 */
function responseSize(v: number, targets: FetchTarget[], reads: (ReadOutcome | null)[], isolationLevel: number, session: FetchSession | null): number {
  const entries: { t: FetchTarget; data: FetchResponsePartitionData }[] = [];
  targets.forEach((t, i) => {
    const data = partitionData(t, reads[i]!, isolationLevel);
    const cached = session === null ? undefined : session.partitions.get(session.key(t));
    const unchanged =
      cached !== undefined &&
      (reads[i]?.bytes ?? 0) === 0 &&
      data.errorCode === ErrorCode.NONE &&
      data.highWatermark === cached.highWatermark &&
      data.lastStableOffset === cached.lastStableOffset &&
      data.logStartOffset === cached.logStartOffset;
    if (!unchanged) entries.push({ t, data });
  });
  const w = new Writer(256);
  encodeFetchResponse(w, v, { ...defaultFetchResponse(), responses: groupByTopic(entries) });
  return 4 + w.length;
}

export const handler: Handler<FetchRequest, FetchResponse> = {
  apiKey: 1,
  async handle(ctx, req) {
    const v = ctx.apiVersion;
    const broker = ctx.broker;
    const byId = v >= TOPIC_ID_VERSION;
    const sessions = broker.fetchSessions;
    // a consumer_byte_rate quota also caps a response at what its window allows, as in Kafka
    const maxBytes = Math.min(req.maxBytes, broker.config.int('fetch.max.bytes'), broker.quotas.fetch.enabled ? fetchQuotaCap(ctx) : Infinity);
    const minBytes = Math.min(req.minBytes, maxBytes);
    const full = v < SESSION_VERSION || req.sessionEpoch === INITIAL_EPOCH || req.sessionEpoch === FINAL_EPOCH;
    // authorization: decided once per request, then once per topic; nothing to do without an authorizer
    const secure = broker.authorizer.enabled;
    let reader: ReaderKind = ReaderKind.CONSUMER;
    if (secure && (v >= 15 ? req.replicaState.replicaId : req.replicaId) >= 0) {
      reader = broker.authorizer.allowsCluster(ctx.connection, AclOperation.CLUSTER_ACTION) ? ReaderKind.FOLLOWER : ReaderKind.REFUSED_FOLLOWER;
    }

    // The partitions to read: the request's (full fetch) or the session's (incremental fetch).
    let session: FetchSession | null = null;
    const targets: FetchTarget[] = [];
    if (full) {
      // any session named by a full fetch is closed
      if (v >= SESSION_VERSION && req.sessionId !== 0) sessions.remove(req.sessionId);
      for (const topic of req.topics) {
        const denied = secure && readDenied(ctx, reader, byId, topic.topic, topic.topicId);
        for (const p of topic.partitions) {
          const r = resolve(ctx, byId, topic.topic, topic.topicId, p.partition, denied);
          targets.push({
            topic: topic.topic,
            topicId: topic.topicId,
            partitionIndex: p.partition,
            partition: r.partition,
            error: r.error,
            fetchOffset: p.fetchOffset,
            maxBytes: p.partitionMaxBytes,
            currentLeaderEpoch: p.currentLeaderEpoch,
            highWatermark: -1,
            lastStableOffset: -1,
            logStartOffset: -1,
          });
        }
      }
    } else {
      session = sessions.get(req.sessionId) ?? null;
      if (session === null) return sessionError(ErrorCode.FETCH_SESSION_ID_NOT_FOUND);
      if (session.epoch !== req.sessionEpoch) return sessionError(ErrorCode.INVALID_FETCH_SESSION_EPOCH);
      if (session.usesTopicIds !== byId) return sessionError(ErrorCode.FETCH_SESSION_TOPIC_ID_ERROR);
      for (const topic of req.topics) {
        for (const p of topic.partitions) {
          const key = partitionKey(byId ? topic.topicId : topic.topic, p.partition);
          const cached = session.partitions.get(key);
          const next: SessionPartition = {
            topic: topic.topic,
            topicId: topic.topicId,
            partitionIndex: p.partition,
            fetchOffset: p.fetchOffset,
            maxBytes: p.partitionMaxBytes,
            currentLeaderEpoch: p.currentLeaderEpoch,
            highWatermark: cached?.highWatermark ?? -1,
            lastStableOffset: cached?.lastStableOffset ?? -1,
            logStartOffset: cached?.logStartOffset ?? -1,
          };
          if (cached) Object.assign(cached, next);
          else session.partitions.set(key, next);
        }
      }
      for (const topic of req.forgottenTopicsData) {
        for (const index of topic.partitions) session.partitions.delete(partitionKey(byId ? topic.topicId : topic.topic, index));
      }
      if (session.partitions.size === 0) {
        sessions.remove(session.id);
        return { ...defaultFetchResponse(), sessionId: 0 };
      }
      sessions.touch(session);
      session.advanceEpoch();
      // the session's partitions are not grouped by topic: each topic's decision is kept for the request
      const decided = secure ? new Map<string, boolean>() : null;
      for (const sp of session.partitions.values()) {
        let denied = false;
        if (decided !== null) {
          const key = byId ? sp.topicId : sp.topic;
          const known = decided.get(key);
          if (known === undefined) decided.set(key, (denied = readDenied(ctx, reader, byId, sp.topic, sp.topicId)));
          else denied = known;
        }
        const r = resolve(ctx, byId, sp.topic, sp.topicId, sp.partitionIndex, denied);
        if (!byId) sp.topicId = r.topicId;
        targets.push({ ...sp, partition: r.partition, error: r.error });
      }
    }

    // Read, and wait for more data when there is less than min bytes (Kafka's DelayedFetch).
    // Unknown topics and partitions are left out of the read, as in Kafka's handleFetchRequest: they
    // neither end the wait (only a failed read does) nor are waited on.
    let reads = await readAll(ctx, targets, maxBytes, req.isolationLevel);
    const failed = reads.some(r => r !== null && r.errorCode !== ErrorCode.NONE);
    const bytes = reads.reduce((n, r) => n + (r?.bytes ?? 0), 0);
    const waitOn: ReadRequest[] = [];
    for (const t of targets) if (t.partition) waitOn.push({ partition: t.partition, fetchOffset: t.fetchOffset, isolationLevel: req.isolationLevel });
    if (req.maxWaitMs > 0 && waitOn.length > 0 && bytes < minBytes && !failed) {
      await broker.replicas.waitForData(waitOn, minBytes, req.maxWaitMs);
      reads = await readAll(ctx, targets, maxBytes, req.isolationLevel);
    }

    // Client quotas: the response's size counts against consumer_byte_rate; over it the answer is
    // empty, at once, creates no session and updates no session partition (Kafka's getThrottledResponse).
    if (broker.quotas.fetch.enabled) {
      const throttleTimeMs = throttleFetch(ctx, responseSize(v, targets, reads, req.isolationLevel, session));
      if (throttleTimeMs > 0) return { ...defaultFetchResponse(), throttleTimeMs, sessionId: session?.id ?? 0 };
    }

    const entries: { t: FetchTarget; data: FetchResponsePartitionData }[] = [];
    if (session === null) {
      targets.forEach((t, i) => entries.push({ t, data: partitionData(t, reads[i]!, req.isolationLevel) }));
      let sessionId = 0;
      if (v >= SESSION_VERSION && req.sessionEpoch === INITIAL_EPOCH) {
        const created = sessions.create(byId);
        if (created !== null) {
          sessionId = created.id;
          for (const { t, data } of entries) {
            created.partitions.set(created.key(t), {
              topic: t.topic,
              topicId: t.topicId,
              partitionIndex: t.partitionIndex,
              fetchOffset: t.fetchOffset,
              maxBytes: t.maxBytes,
              currentLeaderEpoch: t.currentLeaderEpoch,
              highWatermark: data.errorCode === ErrorCode.NONE ? data.highWatermark : -1,
              lastStableOffset: data.lastStableOffset,
              logStartOffset: data.logStartOffset,
            });
          }
        }
      }
      return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, sessionId, responses: groupByTopic(entries), nodeEndpoints: leaderHints(ctx, entries) };
    }

    // Incremental: answer only partitions with data, a changed high watermark, last stable offset
    // or log start offset, or an error; those that returned data go to the back of the session's rotation.
    const rotate: string[] = [];
    targets.forEach((t, i) => {
      const data = partitionData(t, reads[i]!, req.isolationLevel);
      const key = session!.key(t);
      const cached = session!.partitions.get(key)!;
      const hasRecords = (reads[i]?.bytes ?? 0) > 0;
      let mustRespond = hasRecords;
      if (data.highWatermark !== cached.highWatermark) {
        mustRespond = true;
        cached.highWatermark = data.highWatermark;
      }
      if (data.lastStableOffset !== cached.lastStableOffset) {
        mustRespond = true;
        cached.lastStableOffset = data.lastStableOffset;
      }
      if (data.logStartOffset !== cached.logStartOffset) {
        mustRespond = true;
        cached.logStartOffset = data.logStartOffset;
      }
      if (data.errorCode !== ErrorCode.NONE) {
        // forget the high watermark so the partition is sent again once the error clears
        cached.highWatermark = -1;
        mustRespond = true;
      }
      if (mustRespond) entries.push({ t, data });
      if (hasRecords) rotate.push(key);
    });
    for (const key of rotate) session.rotate(key);
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, sessionId: session.id, responses: groupByTopic(entries), nodeEndpoints: leaderHints(ctx, entries) };
  },
  errorResponse(req, version, code) {
    return {
      ...defaultFetchResponse(),
      errorCode: code,
      sessionId: req.sessionId,
      responses:
        version >= 13
          ? []
          : req.topics.map(topic => ({
              ...defaultFetchResponseFetchableTopicResponse(),
              topic: topic.topic,
              topicId: topic.topicId,
              partitions: topic.partitions.map(partition => ({
                ...defaultFetchResponsePartitionData(),
                partitionIndex: partition.partition,
                errorCode: code,
                highWatermark: -1,
                // Kafka's generated default for this list is empty, not null.
                abortedTransactions: [],
              })),
            })),
    };
  },
};
