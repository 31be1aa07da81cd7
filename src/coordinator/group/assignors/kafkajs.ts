// Kafka's assignors for kafkajs consumers, which ship only their own round-robin (under the name
// "RoundRobinAssigner", which no Java or librdkafka member votes for). These use Kafka's protocol
// names, so a kafkajs member can share a group with Java and librdkafka members, and encode their
// metadata with consumer-protocol.ts (byte-compatible with kafkajs's AssignerProtocol); kafkajs
// itself is not imported.
//
// Limits, all from kafkajs's assigner contract:
// - protocol() is not told what the member owns, so a kafkajs member's metadata declares no owned
//   partitions (true of kafkajs, which gives up all partitions before it rejoins). For stickiness
//   the assigner remembers the last assignment it computed as leader and uses it as what a member
//   owns when the member declares nothing itself; a member's own declaration (Java's
//   ownedPartitions, or StickyAssignorUserData for `sticky`) always comes first. A new leader
//   starts without that memory.
// - assign() is given only the leader's subscribed topics; partition counts of topics only other
//   members subscribe to are fetched by adding them to the leader's metadata targets, as Java's
//   leader does. A topic without metadata is left unassigned, as in Kafka.
// - The cooperative step of `cooperative-sticky` (holding back partitions that change owner until
//   the old owner has revoked them) is applied only to ownership a member declared itself, since
//   only such a member (a cooperative Java or librdkafka consumer) revokes and rejoins.
// - No rack awareness: kafkajs's cluster does not expose broker racks to assigners.
import {
  decodeCooperativeStickyUserData,
  decodeStickyUserData,
  decodeSubscription,
  encodeAssignment,
  encodeSubscription,
  CONSUMER_PROTOCOL_VERSION,
  type ConsumerSubscription,
  type TopicPartitions,
} from '../consumer-protocol.js';
import { compareStrings } from './common.js';
import { range } from './range.js';
import { roundRobin } from './round-robin.js';
import { cooperativeSticky, sticky, withholdTransferringPartitions } from './sticky.js';
import type { Assignment, MemberSpec, PartitionAssignor, TopicSpec } from './types.js';

/** The part of kafkajs's Cluster an assigner uses. */
export interface KafkajsCluster {
  findTopicPartitionMetadata(topic: string): ReadonlyArray<{ partitionId: number }>;
  addMultipleTargetTopics?(topics: string[]): Promise<void>;
}

export interface KafkajsLogger {
  debug(message: string, extra?: object): void;
  warn(message: string, extra?: object): void;
}

export interface KafkajsGroupMember {
  memberId: string;
  memberMetadata: Buffer;
  groupInstanceId?: string | null;
}

export interface KafkajsAssigner {
  name: string;
  version: number;
  assign(group: { members: KafkajsGroupMember[]; topics: string[] }): Promise<{ memberId: string; memberAssignment: Buffer }[]>;
  protocol(subscription: { topics: string[] }): { name: string; metadata: Buffer };
}

/** kafkajs's PartitionAssigner: `new Kafka(...).consumer({ groupId, partitionAssigners: [kafkajsAssigners.cooperativeSticky] })`. */
export type KafkajsPartitionAssigner = (config: { cluster: KafkajsCluster; groupId: string; logger: KafkajsLogger }) => KafkajsAssigner;

type Ownership = 'none' | 'sticky' | 'cooperative';

function toMap(list: readonly TopicPartitions[]): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const { topic, partitions } of list) {
    const prev = out.get(topic);
    if (prev === undefined) out.set(topic, partitions.slice());
    else prev.push(...partitions);
  }
  return out;
}

function hasPartitions(m: ReadonlyMap<string, readonly number[]>): boolean {
  for (const list of m.values()) if (list.length > 0) return true;
  return false;
}

/** What a member declares it owns, and its generation, read as Kafka's assignor of that name reads it. */
function declared(sub: ConsumerSubscription, ownership: Ownership): { owned: Map<string, number[]>; generation: number } | null {
  if (ownership === 'sticky') {
    // StickyAssignor (eager) reads only its user data.
    if (sub.userData === null || sub.userData.length === 0) return null;
    try {
      const d = decodeStickyUserData(sub.userData);
      return { owned: toMap(d.previousAssignment), generation: d.generation ?? -1 };
    } catch {
      return null;
    }
  }
  if (ownership === 'cooperative') {
    let generation = sub.generationId;
    if (generation < 0 && sub.userData !== null && sub.userData.length >= 4) {
      try {
        generation = decodeCooperativeStickyUserData(sub.userData);
      } catch {
        generation = -1;
      }
    }
    return { owned: toMap(sub.ownedPartitions), generation };
  }
  return null;
}

function adapter(assignor: PartitionAssignor, ownership: Ownership): KafkajsPartitionAssigner {
  return ({ cluster, groupId, logger }) => {
    /** The last assignment this instance computed as leader, after any cooperative hold-back. */
    let remembered: Assignment = new Map();

    function partitionCount(topic: string): number {
      try {
        return cluster.findTopicPartitionMetadata(topic).length;
      } catch {
        return 0; // kafkajs throws when no metadata is loaded at all
      }
    }

    return {
      name: assignor.name,
      version: CONSUMER_PROTOCOL_VERSION,

      async assign({ members, topics }) {
        const subscriptions = members.map(m => {
          try {
            return decodeSubscription(m.memberMetadata);
          } catch (err) {
            logger?.warn('cannot decode member metadata; the member gets no partitions', { groupId, memberId: m.memberId, error: (err as Error).message });
            return null;
          }
        });

        const wanted = new Set<string>(topics);
        for (const s of subscriptions) if (s !== null) for (const t of s.topics) wanted.add(t);
        const unknown = [...wanted].filter(t => partitionCount(t) === 0);
        if (unknown.length > 0 && typeof cluster.addMultipleTargetTopics === 'function') {
          try {
            await cluster.addMultipleTargetTopics(unknown);
          } catch (err) {
            logger?.warn('cannot load metadata of topics other members subscribe to', { groupId, topics: unknown, error: (err as Error).message });
          }
        }
        const topicSpecs: TopicSpec[] = [...wanted].sort(compareStrings).map(name => ({ name, partitions: partitionCount(name) }));

        const specs: MemberSpec[] = [];
        const declarations: MemberSpec[] = [];
        members.forEach((m, i) => {
          const s = subscriptions[i];
          const spec: MemberSpec = {
            memberId: m.memberId,
            topics: s?.topics ?? [],
            rack: s?.rackId ?? null,
            groupInstanceId: m.groupInstanceId ?? null,
          };
          if (ownership !== 'none' && s != null) {
            const d = declared(s, ownership);
            if (d !== null && hasPartitions(d.owned)) {
              spec.owned = d.owned;
              spec.generation = d.generation;
              declarations.push({ memberId: m.memberId, topics: spec.topics, owned: d.owned });
            } else {
              const last = remembered.get(m.memberId);
              if (last !== undefined) {
                spec.owned = last;
                spec.generation = -1;
              }
            }
          }
          specs.push(spec);
        });

        let result = assignor.assign(specs, topicSpecs);
        if (ownership === 'cooperative' && declarations.length > 0) result = withholdTransferringPartitions(result, declarations);
        remembered = result;
        logger?.debug('group assignment', { groupId, protocol: assignor.name, members: members.length, topics: topicSpecs.length });

        return members.map(m => {
          const perTopic = result.get(m.memberId) ?? new Map<string, number[]>();
          const assignedPartitions = [...perTopic].map(([topic, partitions]) => ({ topic, partitions }));
          return { memberId: m.memberId, memberAssignment: encodeAssignment({ version: CONSUMER_PROTOCOL_VERSION, assignedPartitions, userData: null }) };
        });
      },

      protocol({ topics }) {
        return {
          name: assignor.name,
          metadata: encodeSubscription({
            version: CONSUMER_PROTOCOL_VERSION,
            topics: [...topics].sort(compareStrings),
            userData: null,
            ownedPartitions: [],
            generationId: -1,
            rackId: null,
          }),
        };
      },
    };
  };
}

export const kafkajsRange: KafkajsPartitionAssigner = adapter(range, 'none');
export const kafkajsRoundRobin: KafkajsPartitionAssigner = adapter(roundRobin, 'none');
export const kafkajsSticky: KafkajsPartitionAssigner = adapter(sticky, 'sticky');
export const kafkajsCooperativeSticky: KafkajsPartitionAssigner = adapter(cooperativeSticky, 'cooperative');

/** kafkajs PartitionAssigners with Kafka's protocol names ('range', 'roundrobin', 'sticky', 'cooperative-sticky'). */
export const kafkajsAssigners = {
  range: kafkajsRange,
  roundRobin: kafkajsRoundRobin,
  sticky: kafkajsSticky,
  cooperativeSticky: kafkajsCooperativeSticky,
} as const;
