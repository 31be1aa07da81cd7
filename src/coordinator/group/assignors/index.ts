// The partition assignors, as pure functions, by the protocol names Kafka's clients and
// group.consumer.assignors use; and adapters that give them to kafkajs consumers.
import { range, serverRange } from './range.js';
import { roundRobin } from './round-robin.js';
import { cooperativeSticky, sticky } from './sticky.js';
import type { PartitionAssignor } from './types.js';
import { uniform } from './uniform.js';

export type { Assignment, MemberSpec, PartitionAssignor, TopicSpec } from './types.js';
export { range, serverRange } from './range.js';
export { roundRobin } from './round-robin.js';
export { cooperativeSticky, sticky, withholdTransferringPartitions } from './sticky.js';
export { uniform } from './uniform.js';
export {
  kafkajsAssigners,
  kafkajsCooperativeSticky,
  kafkajsRange,
  kafkajsRoundRobin,
  kafkajsSticky,
  type KafkajsAssigner,
  type KafkajsCluster,
  type KafkajsGroupMember,
  type KafkajsLogger,
  type KafkajsPartitionAssigner,
} from './kafkajs.js';

/** Every assignor by protocol name: 'range', 'roundrobin', 'sticky', 'cooperative-sticky', 'uniform'. */
export const ASSIGNORS: ReadonlyMap<string, PartitionAssignor> = new Map(
  [range, roundRobin, sticky, cooperativeSticky, uniform].map(a => [a.name, a]),
);

/** The server-side (KIP-848) assignors, in Kafka's default group.consumer.assignors order: the first is the default. */
export const SERVER_ASSIGNORS: ReadonlyMap<string, PartitionAssignor> = new Map([uniform, serverRange].map(a => [a.name, a]));
