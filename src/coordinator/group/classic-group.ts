// A classic-protocol group (JoinGroup/SyncGroup/Heartbeat/LeaveGroup): its members and state as
// data. The transitions between states, and the timers that drive them, live in the coordinator;
// this file only answers questions about the group and keeps its bookkeeping consistent.
import { ErrorCode } from '../../protocol/errors.js';
import type { Timer } from '../../broker/clock.js';

export type ClassicGroupState = 'Empty' | 'PreparingRebalance' | 'CompletingRebalance' | 'Stable' | 'Dead';

export interface JoinProtocol {
  name: string;
  metadata: Buffer;
}

export interface JoinResult {
  errorCode: number;
  generationId: number;
  protocolType: string | null;
  protocolName: string | null;
  leader: string;
  skipAssignment: boolean;
  memberId: string;
  members: { memberId: string; groupInstanceId: string | null; metadata: Buffer }[];
}

export interface SyncResult {
  errorCode: number;
  protocolType: string | null;
  protocolName: string | null;
  assignment: Buffer;
}

export const EMPTY_ASSIGNMENT = Buffer.alloc(0);

export class ClassicMember {
  /** Resolves the member's parked JoinGroup; null while none is parked. */
  awaitingJoin: ((r: JoinResult) => void) | null = null;
  /** Resolves the member's parked SyncGroup. */
  awaitingSync: ((r: SyncResult) => void) | null = null;
  assignment: Buffer = EMPTY_ASSIGNMENT;
  /** A member that has not yet completed a join: it may be expired even while its JoinGroup is parked. */
  isNew = false;
  heartbeat: Timer | null = null;

  constructor(
    public memberId: string,
    readonly groupInstanceId: string | null,
    public clientId: string,
    public clientHost: string,
    public rebalanceTimeoutMs: number,
    public sessionTimeoutMs: number,
    public protocolType: string,
    public protocols: JoinProtocol[],
  ) {}

  /** Kafka's hasSatisfiedHeartbeat: a member parked in a rebalance is alive unless it is new. */
  get satisfiesHeartbeat(): boolean {
    return !this.isNew && (this.awaitingJoin !== null || this.awaitingSync !== null);
  }

  matches(protocols: readonly JoinProtocol[]): boolean {
    if (protocols.length !== this.protocols.length) return false;
    return protocols.every((p, i) => p.name === this.protocols[i]!.name && p.metadata.equals(this.protocols[i]!.metadata));
  }

  metadataFor(protocol: string | null): Buffer {
    return this.protocols.find(p => p.name === protocol)?.metadata ?? EMPTY_ASSIGNMENT;
  }

  /** The first of the member's protocols (in its order of preference) among the candidates. */
  vote(candidates: ReadonlySet<string>): string {
    for (const p of this.protocols) if (candidates.has(p.name)) return p.name;
    throw new Error(`member ${this.memberId} supports none of the candidate protocols`);
  }
}

/** Which states may lead to each state (Kafka's ClassicGroupState.validPreviousStates). */
const VALID_PREVIOUS: Record<ClassicGroupState, readonly ClassicGroupState[]> = {
  Empty: ['PreparingRebalance'],
  PreparingRebalance: ['Stable', 'CompletingRebalance', 'Empty'],
  CompletingRebalance: ['PreparingRebalance'],
  Stable: ['CompletingRebalance'],
  Dead: ['Stable', 'PreparingRebalance', 'CompletingRebalance', 'Empty', 'Dead'],
};

export class ClassicGroup {
  readonly type = 'classic' as const;
  state: ClassicGroupState;
  previousState: ClassicGroupState | null = null;
  stateTimestamp: number;
  generationId: number;
  protocolType: string | null;
  protocolName: string | null;
  leaderId: string | null;
  readonly members = new Map<string, ClassicMember>();
  /** Member ids handed out by a MEMBER_ID_REQUIRED answer, waiting for the member's second JoinGroup. */
  readonly pendingJoinMembers = new Set<string>();
  /** Members of the new generation that have not yet sent SyncGroup. */
  readonly pendingSyncMembers = new Set<string>();
  /** group.instance.id -> member id. */
  readonly staticMembers = new Map<string, string>();
  /** How many members each protocol name is supported by. */
  private readonly supportedProtocols = new Map<string, number>();
  numAwaitingJoin = 0;
  /** A member joined during the initial delayed rebalance (the delay is extended). */
  newMemberAdded = false;
  /** Timer of the join phase (rebalance timeout or initial delay) and of the sync phase. */
  joinTimer: Timer | null = null;
  syncTimer: Timer | null = null;
  /** Topics of the members' subscriptions (protocol type "consumer"), null when unknown. */
  subscribedTopics: Set<string> | null = null;

  constructor(
    readonly groupId: string,
    now: number,
    init: { state?: ClassicGroupState; generationId?: number; protocolType?: string | null; protocolName?: string | null; leaderId?: string | null } = {},
  ) {
    this.state = init.state ?? 'Empty';
    this.stateTimestamp = now;
    this.generationId = init.generationId ?? 0;
    this.protocolType = init.protocolType ?? null;
    this.protocolName = init.protocolName ?? null;
    this.leaderId = init.leaderId ?? null;
  }

  is(state: ClassicGroupState): boolean {
    return this.state === state;
  }

  transitionTo(state: ClassicGroupState, now: number): void {
    if (!VALID_PREVIOUS[state].includes(this.state)) throw new Error(`group ${this.groupId}: no transition from ${this.state} to ${state}`);
    this.previousState = this.state;
    this.state = state;
    this.stateTimestamp = now;
  }

  get canRebalance(): boolean {
    return VALID_PREVIOUS.PreparingRebalance.includes(this.state);
  }

  isLeader(memberId: string): boolean {
    return this.leaderId === memberId;
  }

  add(member: ClassicMember, awaitingJoin: ((r: JoinResult) => void) | null): void {
    if (member.groupInstanceId !== null) this.staticMembers.set(member.groupInstanceId, member.memberId);
    if (this.members.size === 0) this.protocolType = member.protocolType;
    if (this.leaderId === null) this.leaderId = member.memberId;
    this.members.set(member.memberId, member);
    this.countProtocols(member, 1);
    member.awaitingJoin = awaitingJoin;
    if (awaitingJoin !== null) this.numAwaitingJoin++;
    this.pendingJoinMembers.delete(member.memberId);
  }

  remove(memberId: string): void {
    const member = this.members.get(memberId);
    if (member !== undefined) {
      this.members.delete(memberId);
      this.countProtocols(member, -1);
      if (member.awaitingJoin !== null) this.numAwaitingJoin--;
      if (member.groupInstanceId !== null) this.staticMembers.delete(member.groupInstanceId);
      member.heartbeat?.cancel();
      member.heartbeat = null;
    }
    if (this.leaderId === memberId) this.leaderId = this.members.keys().next().value ?? null;
    this.pendingJoinMembers.delete(memberId);
    this.pendingSyncMembers.delete(memberId);
  }

  private countProtocols(member: ClassicMember, delta: number): void {
    for (const p of member.protocols) this.supportedProtocols.set(p.name, (this.supportedProtocols.get(p.name) ?? 0) + delta);
  }

  /** Changes a member's protocols and timeouts, and parks (or unparks) its JoinGroup. */
  updateMember(member: ClassicMember, protocols: JoinProtocol[], rebalanceTimeoutMs: number, sessionTimeoutMs: number, awaitingJoin: ((r: JoinResult) => void) | null): void {
    this.countProtocols(member, -1);
    member.protocols = protocols;
    this.countProtocols(member, 1);
    member.rebalanceTimeoutMs = rebalanceTimeoutMs;
    member.sessionTimeoutMs = sessionTimeoutMs;
    if (awaitingJoin !== null && member.awaitingJoin === null) this.numAwaitingJoin++;
    else if (awaitingJoin === null && member.awaitingJoin !== null) this.numAwaitingJoin--;
    member.awaitingJoin = awaitingJoin;
  }

  completeJoin(member: ClassicMember, result: JoinResult): boolean {
    const resolve = member.awaitingJoin;
    if (resolve === null) return false;
    member.awaitingJoin = null;
    this.numAwaitingJoin--;
    resolve(result);
    return true;
  }

  completeSync(member: ClassicMember, result: SyncResult): boolean {
    const resolve = member.awaitingSync;
    if (resolve === null) return false;
    member.awaitingSync = null;
    resolve(result);
    return true;
  }

  /** A static member rejoining with a new member id takes over the old id's place; the old one is fenced. */
  replaceStaticMember(groupInstanceId: string, oldMemberId: string, newMemberId: string): ClassicMember {
    const old = this.members.get(oldMemberId);
    if (old === undefined) throw new Error(`cannot replace unknown member ${oldMemberId}`);
    this.members.delete(oldMemberId);
    old.heartbeat?.cancel();
    old.heartbeat = null;
    if (old.awaitingJoin !== null) {
      this.completeJoin(old, { ...joinError(ErrorCode.FENCED_INSTANCE_ID, oldMemberId), leader: '' });
    }
    this.completeSync(old, { errorCode: ErrorCode.FENCED_INSTANCE_ID, protocolType: null, protocolName: null, assignment: EMPTY_ASSIGNMENT });
    const replaced = new ClassicMember(newMemberId, old.groupInstanceId, old.clientId, old.clientHost, old.rebalanceTimeoutMs, old.sessionTimeoutMs, old.protocolType, old.protocols);
    replaced.assignment = old.assignment;
    this.members.set(newMemberId, replaced);
    if (this.leaderId === oldMemberId) this.leaderId = newMemberId;
    this.staticMembers.set(groupInstanceId, newMemberId);
    if (this.pendingSyncMembers.delete(oldMemberId)) this.pendingSyncMembers.add(newMemberId);
    return replaced;
  }

  /** Kafka's validateMember: UNKNOWN_MEMBER_ID, FENCED_INSTANCE_ID, or NONE. */
  validateMember(memberId: string, groupInstanceId: string | null): number {
    if (groupInstanceId !== null) {
      const existing = this.staticMembers.get(groupInstanceId);
      if (existing === undefined) return ErrorCode.UNKNOWN_MEMBER_ID;
      if (existing !== memberId) return ErrorCode.FENCED_INSTANCE_ID;
    }
    return this.members.has(memberId) ? ErrorCode.NONE : ErrorCode.UNKNOWN_MEMBER_ID;
  }

  /** Whether a member with this protocol type and these protocols can join. */
  supportsProtocols(protocolType: string, protocols: readonly JoinProtocol[]): boolean {
    if (this.is('Empty')) return protocolType !== '' && protocols.length > 0;
    return this.protocolType === protocolType && protocols.some(p => (this.supportedProtocols.get(p.name) ?? 0) === this.members.size);
  }

  /** The protocol every member supports that most members prefer (ties: the first voted for). */
  selectProtocol(): string {
    const candidates = new Set<string>();
    for (const [name, count] of this.supportedProtocols) if (count === this.members.size) candidates.add(name);
    const votes = new Map<string, number>();
    for (const m of this.members.values()) {
      const choice = m.vote(candidates);
      votes.set(choice, (votes.get(choice) ?? 0) + 1);
    }
    let best: string | null = null;
    let most = -1;
    for (const [name, n] of votes) if (n > most) [best, most] = [name, n];
    if (best === null) throw new Error(`no protocol for group ${this.groupId}`);
    return best;
  }

  get hasAllMembersJoined(): boolean {
    return this.members.size === this.numAwaitingJoin && this.pendingJoinMembers.size === 0;
  }

  /** The largest rebalance timeout of the members: how long a rebalance waits for them. */
  get rebalanceTimeoutMs(): number {
    let max = 0;
    for (const m of this.members.values()) max = Math.max(max, m.rebalanceTimeoutMs);
    return max;
  }

  /** When the leader has not rejoined, another member that has becomes leader; false when none has. */
  maybeElectNewJoinedLeader(): boolean {
    if (this.leaderId === null) return false;
    const leader = this.members.get(this.leaderId);
    if (leader !== undefined && leader.awaitingJoin !== null) return true;
    for (const m of this.members.values()) {
      if (m.awaitingJoin !== null) {
        this.leaderId = m.memberId;
        return true;
      }
    }
    return false;
  }

  /** The members as the leader's JoinGroup response lists them, with their metadata for the chosen protocol. */
  currentMembers(): JoinResult['members'] {
    return [...this.members.values()].map(m => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, metadata: m.metadataFor(this.protocolName) }));
  }

  /** A group used only for offset storage (commits from outside group management). */
  get isSimple(): boolean {
    return this.protocolType === null || this.protocolType === '';
  }

  usesConsumerProtocol(): boolean {
    return this.protocolType === 'consumer';
  }

  /** Kafka's isSubscribedToTopic: unknown subscriptions count as subscribed for consumer groups. */
  isSubscribedToTopic(topic: string): boolean {
    return this.subscribedTopics === null ? this.usesConsumerProtocol() : this.subscribedTopics.has(topic);
  }
}

export function joinError(errorCode: number, memberId: string): JoinResult {
  return { errorCode, generationId: -1, protocolType: null, protocolName: null, leader: '', skipAssignment: false, memberId, members: [] };
}
