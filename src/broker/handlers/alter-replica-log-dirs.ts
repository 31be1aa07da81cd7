// AlterReplicaLogDirs (34). Kafka answers every requested partition with the error: one result
// per topic entry of every requested directory, in request order (directories are not named in
// the response).
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
