// DescribeLogDirs (35). Top-level error code and no results. Below v3 the response has no
// top-level error code, so Kafka's error response there is just an empty result list. A
// requester without DESCRIBE on the cluster gets that answer with CLUSTER_AUTHORIZATION_FAILED.
import fs from 'node:fs';
import { AclOperation } from '../../security/acls.js';
import path from 'node:path';
import { ErrorCode } from '../../protocol/errors.js';
import type { Broker } from '../broker.js';
import type { Handler } from '../handler.js';
import { defaultDescribeLogDirsResponse, type DescribeLogDirsRequest, type DescribeLogDirsResponse } from '../../protocol/messages/index.js';

/** The name memory mode reports for its one log directory: it has none on disk. */
export const MEMORY_LOG_DIR = 'memory';

/** The broker's one log directory: the absolute data directory, or MEMORY_LOG_DIR. */
export function logDirOf(broker: Broker): string {
  return broker.dataDir === null ? MEMORY_LOG_DIR : path.resolve(broker.dataDir);
}

/** Size and free space of the data directory's file system (v4+); -1 (unknown) in memory mode. */
function diskSpace(dataDir: string | null): { total: number; usable: number } {
  if (dataDir === null) return { total: -1, usable: -1 };
  try {
    const s = fs.statfsSync(dataDir);
    return { total: s.blocks * s.bsize, usable: s.bavail * s.bsize };
  } catch {
    return { total: -1, usable: -1 };
  }
}

export const handler: Handler<DescribeLogDirsRequest, DescribeLogDirsResponse> = {
  apiKey: 35,
  handle(ctx, req) {
    if (!ctx.broker.authorizer.allowsCluster(ctx.connection, AclOperation.DESCRIBE)) return handler.errorResponse(req, ctx.apiVersion, ErrorCode.CLUSTER_AUTHORIZATION_FAILED);
    const { cluster, nodeId } = ctx.broker;
    const dir = logDirOf(ctx.broker);
    // the partitions of this node (it is one of their replicas), in the one log directory
    const wanted = req.topics === null ? null : new Map(req.topics.map(t => [t.topic, new Set(t.partitions)]));
    const topics: DescribeLogDirsResponse['results'][number]['topics'] = [];
    for (const topic of cluster.topics()) {
      const only = wanted?.get(topic.name);
      if (wanted !== null && only === undefined) continue;
      const partitions = topic.partitions
        .filter(p => p.replicas.includes(nodeId) && (only === undefined || only.has(p.index)) && p.log.offline === undefined)
        .map(p => ({ partitionIndex: p.index, partitionSize: p.log.sizeInBytes, offsetLag: 0, isFutureKey: false }));
      if (partitions.length > 0) topics.push({ name: topic.name, partitions });
    }
    const space = diskSpace(ctx.broker.dataDir);
    return {
      throttleTimeMs: 0,
      errorCode: ErrorCode.NONE,
      results: [{ errorCode: ErrorCode.NONE, logDir: dir, topics, totalBytes: space.total, usableBytes: space.usable }],
    };
  },
  errorResponse(_req, _version, code) {
    return { ...defaultDescribeLogDirsResponse(), errorCode: code, results: [] };
  },
};
