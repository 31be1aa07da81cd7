// Offsets as a kafkajs admin client reads them, for the integration tests.
import type { Admin } from 'kafkajs';

/** The group's committed offsets of `topic` by partition, as kafkajs's admin fetches them (-1: none). */
export async function committed(admin: Admin, groupId: string, topic: string): Promise<number[]> {
  const res = await admin.fetchOffsets({ groupId, topics: [topic] });
  const parts = res.find(r => r.topic === topic)?.partitions ?? [];
  return [...parts].sort((a, b) => a.partition - b.partition).map(p => Number(p.offset));
}

/** High watermarks of `topic` by partition. */
export async function logEnds(admin: Admin, topic: string): Promise<number[]> {
  const offsets = await admin.fetchTopicOffsets(topic);
  return [...offsets].sort((a, b) => a.partition - b.partition).map(o => Number(o.high));
}
