// The offsets TxnOffsetCommit wrote inside transactions that are still open (Kafka's
// OffsetMetadataManager.pendingTransactionalOffsets and openTransactionsByGroup): by producer id,
// then group, topic and partition. A commit marker moves a producer's pending offsets into the
// committed ones, an abort marker drops them; a plain tombstone of a partition drops that
// partition's pending offsets of every open transaction of the group.

/** group -> topic -> partition -> value */
export type OffsetsByGroup<V> = Map<string, Map<string, Map<number, V>>>;

/** Sets a value in a group -> topic -> partition map. */
export function putNested<V>(map: OffsetsByGroup<V>, group: string, topic: string, partition: number, value: V): void {
  let byTopic = map.get(group);
  if (byTopic === undefined) map.set(group, (byTopic = new Map()));
  let byPartition = byTopic.get(topic);
  if (byPartition === undefined) byTopic.set(topic, (byPartition = new Map()));
  byPartition.set(partition, value);
}

/** Deletes a value of a group -> topic -> partition map, and the maps it leaves empty; whether it was there. */
export function deleteNested<V>(map: OffsetsByGroup<V>, group: string, topic: string, partition: number): boolean {
  const byTopic = map.get(group);
  const byPartition = byTopic?.get(topic);
  if (byPartition === undefined || !byPartition.delete(partition)) return false;
  if (byPartition.size === 0) byTopic!.delete(topic);
  if (byTopic!.size === 0) map.delete(group);
  return true;
}

export class PendingOffsets<V> {
  private readonly byProducer = new Map<number, OffsetsByGroup<V>>();
  /** group -> the producers with pending offsets for it */
  private readonly openByGroup = new Map<string, Set<number>>();

  put(producerId: number, group: string, topic: string, partition: number, value: V): void {
    let groups = this.byProducer.get(producerId);
    if (groups === undefined) this.byProducer.set(producerId, (groups = new Map()));
    putNested(groups, group, topic, partition, value);
    let producers = this.openByGroup.get(group);
    if (producers === undefined) this.openByGroup.set(group, (producers = new Set()));
    producers.add(producerId);
  }

  /**
   * Removes and returns the producer's pending offsets (its transaction ended), only those of
   * `groups` when given. A group whose pending offsets a tombstone emptied keeps the producer
   * open until the marker, as Kafka's openTransactionsByGroup does.
   */
  take(producerId: number, groups?: ReadonlySet<string>): OffsetsByGroup<V> {
    const all = this.byProducer.get(producerId);
    const out: OffsetsByGroup<V> = new Map();
    for (const group of groups ?? [...this.openByGroup.keys()]) {
      if (!this.openByGroup.get(group)?.has(producerId)) continue;
      const byTopic = all?.get(group);
      if (byTopic !== undefined) {
        out.set(group, byTopic);
        all!.delete(group);
      }
      this.closeFor(group, producerId);
    }
    if (all?.size === 0) this.byProducer.delete(producerId);
    return out;
  }

  /** A plain tombstone of the partition: no open transaction keeps an offset for it. */
  deletePartition(group: string, topic: string, partition: number): void {
    for (const producerId of this.openByGroup.get(group) ?? []) {
      const groups = this.byProducer.get(producerId);
      if (groups !== undefined) deleteNested(groups, group, topic, partition);
    }
  }

  /** Forgets the group's pending offsets (it is to be replayed, or was deleted). */
  forgetGroup(group: string): void {
    for (const producerId of this.openByGroup.get(group) ?? []) {
      const groups = this.byProducer.get(producerId);
      groups?.delete(group);
      if (groups?.size === 0) this.byProducer.delete(producerId);
    }
    this.openByGroup.delete(group);
  }

  /** Whether an open transaction has an offset for the partition (OffsetFetch's UNSTABLE_OFFSET_COMMIT). */
  has(group: string, topic: string, partition: number): boolean {
    for (const producerId of this.openByGroup.get(group) ?? []) {
      if (this.byProducer.get(producerId)?.get(group)?.get(topic)?.has(partition)) return true;
    }
    return false;
  }

  /** Whether a transaction with offsets of the group is open (an expiring group is kept then). */
  hasOpen(group: string): boolean {
    return this.openByGroup.has(group);
  }

  /** The partitions open transactions have offsets for in the group. */
  partitions(group: string): [string, number][] {
    const seen = new Set<string>();
    const out: [string, number][] = [];
    for (const producerId of this.openByGroup.get(group) ?? []) {
      for (const [topic, parts] of this.byProducer.get(producerId)?.get(group) ?? []) {
        for (const p of parts.keys()) {
          const k = `${topic}\u0000${p}`;
          if (!seen.has(k)) {
            seen.add(k);
            out.push([topic, p]);
          }
        }
      }
    }
    return out;
  }

  private closeFor(group: string, producerId: number): void {
    const producers = this.openByGroup.get(group);
    if (producers === undefined) return;
    producers.delete(producerId);
    if (producers.size === 0) this.openByGroup.delete(group);
  }
}
