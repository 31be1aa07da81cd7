// Wire ids of the config admin APIs (DescribeConfigs, AlterConfigs, IncrementalAlterConfigs,
// ListConfigResources), written out from Kafka's ConfigResource.Type and AlterConfigOp.OpType
// rather than taken from src/, so a test checks Samsa's ids against Kafka's.

/** ConfigResource.Type */
export const TOPIC = 2;
export const BROKER = 4;
export const BROKER_LOGGER = 8;
export const CLIENT_METRICS = 16;
export const GROUP = 32;

/** AlterConfigOp.OpType (IncrementalAlterConfigs) */
export const SET = 0;
export const DELETE = 1;
export const APPEND = 2;
export const SUBTRACT = 3;
