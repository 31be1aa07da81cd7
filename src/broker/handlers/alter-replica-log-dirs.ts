// AlterReplicaLogDirs (34). Kafka answers every requested partition with the error: one result
// per topic entry of every requested directory, in request order (directories are not named in
// the response). Kafka requires ALTER on the cluster first (every partition
// CLUSTER_AUTHORIZATION_FAILED).
import path from 'node:path';
import { AclOperation } from '../../security/acls.js';
import { ErrorCode } from '../../protocol/errors.js';
import { logDirOf } from './describe-log-dirs.js';
import type { Handler } from '../handler.js';
import {
  defaultAlterReplicaLogDirsResponse,
  defaultAlterReplicaLogDirsResponseAlterReplicaLogDirPartitionResult,
  defaultAlterReplicaLogDirsResponseAlterReplicaLogDirTopicResult,
  type AlterReplicaLogDirsRequest,
  type AlterReplicaLogDirsResponse,
} from '../../protocol/messages/index.js';

export const handler: Handler<AlterReplicaLogDirsRequest, AlterReplicaLogDirsResponse> = {
  apiKey: 34,
  handle(ctx, req) {
    if (!ctx.broker.authorizer.allowsCluster(ctx.connection, AclOperation.ALTER)) return handler.errorResponse(req, ctx.apiVersion, ErrorCode.CLUSTER_AUTHORIZATION_FAILED);
    const { cluster, nodeId } = ctx.broker;
    const dir = logDirOf(ctx.broker);
    // Samsa has one log directory: a replica already in it stays (success); any other path is
    // not a log directory of this broker (LOG_DIR_NOT_FOUND), as Kafka answers for a path it lacks
    return {
      throttleTimeMs: 0,
      results: req.dirs.flatMap(d => {
        const known = d.path === dir || (ctx.broker.dataDir !== null && path.resolve(d.path) === dir);
        return d.topics.map(t => ({
          topicName: t.name,
          partitions: t.partitions.map(partitionIndex => {
            const p = cluster.topic(t.name)?.partitions[partitionIndex];
            let errorCode: number = ErrorCode.NONE;
            if (!known) errorCode = ErrorCode.LOG_DIR_NOT_FOUND;
            else if (p === undefined) errorCode = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
            // Kafka keeps REPLICA_NOT_AVAILABLE here for a partition this broker does not host
            else if (!p.replicas.includes(nodeId)) errorCode = ErrorCode.REPLICA_NOT_AVAILABLE;
            else if (p.log.offline !== undefined) errorCode = ErrorCode.KAFKA_STORAGE_ERROR;
            return { partitionIndex, errorCode };
          }),
        }));
      }),
    };
  },
  errorResponse(req, _version, code) {
    return {
      ...defaultAlterReplicaLogDirsResponse(),
      results: req.dirs.flatMap(dir =>
        dir.topics.map(topic => ({
          ...defaultAlterReplicaLogDirsResponseAlterReplicaLogDirTopicResult(),
          topicName: topic.name,
          partitions: topic.partitions.map(partitionIndex => ({
            ...defaultAlterReplicaLogDirsResponseAlterReplicaLogDirPartitionResult(),
            partitionIndex,
            errorCode: code,
          })),
        })),
      ),
    };
  },
};
