// Every API key's handler module, by key: the one table dispatch looks handlers up in.
import type { Handler } from '../handler.js';
import * as produce from './produce.js';
import * as fetch from './fetch.js';
import * as listOffsets from './list-offsets.js';
import * as metadata from './metadata.js';
import * as offsetCommit from './offset-commit.js';
import * as offsetFetch from './offset-fetch.js';
import * as findCoordinator from './find-coordinator.js';
import * as joinGroup from './join-group.js';
import * as heartbeat from './heartbeat.js';
import * as leaveGroup from './leave-group.js';
import * as syncGroup from './sync-group.js';
import * as describeGroups from './describe-groups.js';
import * as listGroups from './list-groups.js';
import * as saslHandshake from './sasl-handshake.js';
import * as apiVersions from './api-versions.js';
import * as createTopics from './create-topics.js';
import * as deleteTopics from './delete-topics.js';
import * as deleteRecords from './delete-records.js';
import * as initProducerId from './init-producer-id.js';
import * as offsetForLeaderEpoch from './offset-for-leader-epoch.js';
import * as addPartitionsToTxn from './add-partitions-to-txn.js';
import * as addOffsetsToTxn from './add-offsets-to-txn.js';
import * as endTxn from './end-txn.js';
import * as writeTxnMarkers from './write-txn-markers.js';
import * as txnOffsetCommit from './txn-offset-commit.js';
import * as describeAcls from './describe-acls.js';
import * as createAcls from './create-acls.js';
import * as deleteAcls from './delete-acls.js';
import * as describeConfigs from './describe-configs.js';
import * as alterConfigs from './alter-configs.js';
import * as alterReplicaLogDirs from './alter-replica-log-dirs.js';
import * as describeLogDirs from './describe-log-dirs.js';
import * as saslAuthenticate from './sasl-authenticate.js';
import * as createPartitions from './create-partitions.js';
import * as deleteGroups from './delete-groups.js';
import * as electLeaders from './elect-leaders.js';
import * as incrementalAlterConfigs from './incremental-alter-configs.js';
import * as alterPartitionReassignments from './alter-partition-reassignments.js';
import * as listPartitionReassignments from './list-partition-reassignments.js';
import * as offsetDelete from './offset-delete.js';
import * as describeClientQuotas from './describe-client-quotas.js';
import * as alterClientQuotas from './alter-client-quotas.js';
import * as describeUserScramCredentials from './describe-user-scram-credentials.js';
import * as alterUserScramCredentials from './alter-user-scram-credentials.js';
import * as updateFeatures from './update-features.js';
import * as describeCluster from './describe-cluster.js';
import * as describeProducers from './describe-producers.js';
import * as describeTransactions from './describe-transactions.js';
import * as listTransactions from './list-transactions.js';
import * as consumerGroupHeartbeat from './consumer-group-heartbeat.js';
import * as consumerGroupDescribe from './consumer-group-describe.js';
import * as getTelemetrySubscriptions from './get-telemetry-subscriptions.js';
import * as pushTelemetry from './push-telemetry.js';
import * as listConfigResources from './list-config-resources.js';
import * as describeTopicPartitions from './describe-topic-partitions.js';

const ALL: readonly Handler[] = [
  produce.handler,
  fetch.handler,
  listOffsets.handler,
  metadata.handler,
  offsetCommit.handler,
  offsetFetch.handler,
  findCoordinator.handler,
  joinGroup.handler,
  heartbeat.handler,
  leaveGroup.handler,
  syncGroup.handler,
  describeGroups.handler,
  listGroups.handler,
  saslHandshake.handler,
  apiVersions.handler,
  createTopics.handler,
  deleteTopics.handler,
  deleteRecords.handler,
  initProducerId.handler,
  offsetForLeaderEpoch.handler,
  addPartitionsToTxn.handler,
  addOffsetsToTxn.handler,
  endTxn.handler,
  writeTxnMarkers.handler,
  txnOffsetCommit.handler,
  describeAcls.handler,
  createAcls.handler,
  deleteAcls.handler,
  describeConfigs.handler,
  alterConfigs.handler,
  alterReplicaLogDirs.handler,
  describeLogDirs.handler,
  saslAuthenticate.handler,
  createPartitions.handler,
  deleteGroups.handler,
  electLeaders.handler,
  incrementalAlterConfigs.handler,
  alterPartitionReassignments.handler,
  listPartitionReassignments.handler,
  offsetDelete.handler,
  describeClientQuotas.handler,
  alterClientQuotas.handler,
  describeUserScramCredentials.handler,
  alterUserScramCredentials.handler,
  updateFeatures.handler,
  describeCluster.handler,
  describeProducers.handler,
  describeTransactions.handler,
  listTransactions.handler,
  consumerGroupHeartbeat.handler,
  consumerGroupDescribe.handler,
  getTelemetrySubscriptions.handler,
  pushTelemetry.handler,
  listConfigResources.handler,
  describeTopicPartitions.handler,
];

export const HANDLERS: ReadonlyMap<number, Handler> = new Map(ALL.map(handler => [handler.apiKey, handler]));
