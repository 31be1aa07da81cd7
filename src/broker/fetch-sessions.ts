// Incremental fetch sessions (KIP-227): the broker remembers a consumer's partitions and fetch
// positions so that later requests and responses carry only what changed.
import type { Clock } from './clock.js';

/** Epoch of a full fetch request that opens a session; FINAL_EPOCH closes one / asks for none. */
export const INITIAL_EPOCH = 0;
export const FINAL_EPOCH = -1;
/** Sessions idle this long may be evicted when the cache is full (Kafka's min.incremental.fetch.session.eviction.ms). */
export const EVICTION_MS = 120_000;

export interface SessionPartition {
  topic: string;
  topicId: string;
  partitionIndex: number;
  fetchOffset: number;
  maxBytes: number;
  currentLeaderEpoch: number;
  /** What the last response told the client, to decide what the next one must include. */
  highWatermark: number;
  lastStableOffset: number;
  logStartOffset: number;
}

export const partitionKey = (topicOrId: string, partition: number): string => `${topicOrId}\u0000${partition}`;

export class FetchSession {
  /** Next epoch the client must send. */
  epoch = 1;
  lastUsed: number;
  /** Insertion-ordered: partitions that return data move to the back, so all get their turn. */
  readonly partitions = new Map<string, SessionPartition>();

  constructor(
    readonly id: number,
    /** Sessions opened at Fetch v13+ name topics by id, older ones by name; the two never mix. */
    readonly usesTopicIds: boolean,
    now: number,
  ) {
    this.lastUsed = now;
  }

  key(p: { topic: string; topicId: string; partitionIndex: number }): string {
    return partitionKey(this.usesTopicIds ? p.topicId : p.topic, p.partitionIndex);
  }

  /** Moves a partition to the back of the rotation. */
  rotate(key: string): void {
    const p = this.partitions.get(key);
    if (p === undefined) return;
    this.partitions.delete(key);
    this.partitions.set(key, p);
  }

  advanceEpoch(): void {
    this.epoch = this.epoch === 0x7fffffff ? 1 : this.epoch + 1;
  }
}

export class FetchSessionCache {
  private readonly sessions = new Map<number, FetchSession>();

  constructor(
    private readonly slots: number,
    private readonly clock: Clock,
  ) {}

  get size(): number {
    return this.sessions.size;
  }

  get(id: number): FetchSession | undefined {
    return this.sessions.get(id);
  }

  remove(id: number): boolean {
    return this.sessions.delete(id);
  }

  /** Forgets every session (the control endpoint's reset): their clients are answered FETCH_SESSION_ID_NOT_FOUND and open new ones. */
  clear(): void {
    this.sessions.clear();
  }

  touch(session: FetchSession): void {
    session.lastUsed = this.clock.now();
    // Map order is least recently used first
    this.sessions.delete(session.id);
    this.sessions.set(session.id, session);
  }

  /** Opens a session, evicting one idle past EVICTION_MS if the cache is full; null when there is no room. */
  create(usesTopicIds: boolean): FetchSession | null {
    if (this.slots <= 0) return null;
    const now = this.clock.now();
    if (this.sessions.size >= this.slots) {
      const oldest = this.sessions.values().next().value as FetchSession | undefined;
      if (oldest === undefined || now - oldest.lastUsed < EVICTION_MS) return null;
      this.sessions.delete(oldest.id);
    }
    let id: number;
    do id = 1 + Math.floor(Math.random() * 0x7ffffffe);
    while (this.sessions.has(id));
    const session = new FetchSession(id, usesTopicIds, now);
    this.sessions.set(id, session);
    return session;
  }
}
