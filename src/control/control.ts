// The control operations of a running cluster, the same from the embedding API
// (RunningBroker.control), the HTTP control endpoint and `samsa ctl`: stop and start nodes, move
// a partition's leader, inject faults, and reset the cluster to empty between tests.
import type { Logger } from 'pino';
import type { BrokerNode } from '../broker/node.js';
import type { Cluster } from '../cluster/cluster.js';
import { ControlError, type DelayRuleSpec, type DropRuleSpec, type ErrorRuleSpec, type FaultInjector, type FaultRule } from './faults.js';

export { ControlError } from './faults.js';
export type { DelayRuleSpec, DropRuleSpec, ErrorRuleSpec, FaultRule } from './faults.js';

export interface NodeStatus {
  nodeId: number;
  running: boolean;
  /** host:port of its first listener. */
  bootstrap: string;
}

export interface PartitionStatus {
  partition: number;
  /** -1: none (every replica in its ISR is stopped). */
  leader: number;
  leaderEpoch: number;
  replicas: number[];
  isr: number[];
}

export interface ClusterStatus {
  clusterId: string;
  /** The lowest running node id, -1 when none runs. */
  controllerId: number;
  nodes: NodeStatus[];
  topics: { name: string; internal: boolean; partitions: PartitionStatus[] }[];
  faults: FaultRule[];
}

/** What a reset deleted. */
export interface ResetResult {
  topics: number;
  groups: number;
  transactions: number;
}

export interface ClusterControlDeps {
  cluster: Cluster;
  nodes: readonly BrokerNode[];
  /** host:port of a node's first listener. */
  address: (node: BrokerNode) => string;
  faults: FaultInjector;
  log: Logger;
}

export class ClusterControl {
  private readonly cluster: Cluster;
  private readonly nodes: readonly BrokerNode[];
  private readonly address: (node: BrokerNode) => string;
  private readonly injector: FaultInjector;
  private readonly log: Logger;

  constructor(deps: ClusterControlDeps) {
    this.cluster = deps.cluster;
    this.nodes = deps.nodes;
    this.address = deps.address;
    this.injector = deps.faults;
    this.log = deps.log;
  }

  private node(nodeId: number): BrokerNode {
    const node = Number.isSafeInteger(nodeId) ? this.nodes.find(n => n.nodeId === nodeId) : undefined;
    if (node === undefined) throw new ControlError(404, `there is no node ${String(nodeId)} (nodes ${this.nodes.map(n => n.nodeId).join(', ')})`);
    return node;
  }

  /** Stops a node: its listeners refuse connections, leadership moves to the surviving replicas. Stopping a stopped node does nothing. */
  async stopNode(nodeId: number): Promise<NodeStatus> {
    const node = this.node(nodeId);
    await node.stop();
    return this.nodeStatus(node);
  }

  /** Starts a stopped node again on the same ports. Starting a running node does nothing. */
  async startNode(nodeId: number): Promise<NodeStatus> {
    const node = this.node(nodeId);
    await node.start();
    return this.nodeStatus(node);
  }

  /**
   * Moves a partition's leadership to `nodeId`. An unknown topic, partition or node throws
   * ControlError (404); a node that is not a live in-sync replica, KafkaError (with Kafka's code).
   */
  moveLeader(topic: string, partition: number, nodeId: number): PartitionStatus {
    const t = typeof topic === 'string' ? this.cluster.topic(topic) : undefined;
    if (t === undefined) throw new ControlError(404, `there is no topic ${JSON.stringify(topic)}`);
    const p = Number.isSafeInteger(partition) ? t.partitions[partition] : undefined;
    if (p === undefined) throw new ControlError(404, `there is no partition ${String(partition)} of ${topic} (it has ${t.partitions.length})`);
    this.node(nodeId);
    this.cluster.moveLeader(p, nodeId);
    this.log.info({ topic, partition, leader: nodeId, leaderEpoch: p.leaderEpoch }, 'moved the leader');
    return partitionStatus(p);
  }

  /** Fails the next requests of an API (see ErrorRuleSpec); throws ControlError for a bad rule. */
  injectError(rule: ErrorRuleSpec): FaultRule {
    return this.injector.injectError(rule);
  }

  /** Delays the responses of the next requests (see DelayRuleSpec). */
  delay(rule: DelayRuleSpec): FaultRule {
    return this.injector.delay(rule);
  }

  /** Closes the connections of the next requests once handled, without answering (see DropRuleSpec). */
  dropConnections(rule: DropRuleSpec = {}): FaultRule {
    return this.injector.dropConnections(rule);
  }

  /** The fault rules still active. */
  faults(): FaultRule[] {
    return this.injector.rules();
  }

  /** Removes every fault rule; returns how many there were. */
  clearFaults(): number {
    return this.injector.clear();
  }

  /**
   * Deletes every topic (the internal ones too), every group and every transaction, and forgets
   * every fetch session: an empty cluster for the next test. Nodes, configs, client quotas and
   * fault rules stay; producer ids keep counting (none is handed out twice).
   */
  async reset(): Promise<ResetResult> {
    const started = Date.now();
    const topics = [...this.cluster.topics()];
    // every topic leaves the cluster before anything waits (deleteTopic's first step), and the
    // coordinators forget in the same turn: no request sees a group without its topic, or the reverse
    const removals = topics.map(t => this.cluster.deleteTopic(t));
    let groups = 0;
    let transactions = 0;
    for (const node of this.nodes) {
      const broker = node.broker;
      if (broker === null) continue;
      groups += broker.groups.reset();
      transactions += broker.transactions.reset();
      broker.fetchSessions.clear();
    }
    await Promise.all(removals);
    const result = { topics: topics.length, groups, transactions };
    this.log.info({ ...result, ms: Date.now() - started }, 'reset: deleted every topic, group and transaction');
    return result;
  }

  /** Nodes, topics with their leaders, and the active fault rules. */
  status(): ClusterStatus {
    return {
      clusterId: this.cluster.clusterId,
      controllerId: this.cluster.controllerId,
      nodes: this.nodes.map(n => this.nodeStatus(n)),
      topics: [...this.cluster.topics()]
        .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
        .map(t => ({ name: t.name, internal: t.internal, partitions: t.partitions.map(partitionStatus) })),
      faults: this.injector.rules(),
    };
  }

  private nodeStatus(node: BrokerNode): NodeStatus {
    return { nodeId: node.nodeId, running: node.running, bootstrap: this.address(node) };
  }
}

function partitionStatus(p: { index: number; leader: number; leaderEpoch: number; replicas: number[]; isr: number[] }): PartitionStatus {
  return { partition: p.index, leader: p.leader, leaderEpoch: p.leaderEpoch, replicas: p.replicas.slice(), isr: p.isr.slice() };
}
