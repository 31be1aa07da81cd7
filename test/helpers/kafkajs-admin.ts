// kafkajs clients for the integration tests: connected admin and producer clients, disconnected
// when the test ends, and offsets as the admin client reads them.
import { Partitioners, type Admin, type Kafka, type Producer } from 'kafkajs';

interface Teardown {
  teardown(fn: () => unknown): void;
}

/** A connected admin client, disconnected when the test ends. */
export async function adminFor(t: Teardown, kafka: Kafka): Promise<Admin> {
  const admin = kafka.admin();
  await admin.connect();
  t.teardown(() => admin.disconnect());
  return admin;
}

/** A connected producer with kafkajs's default partitioner (Java's), not creating topics, disconnected when the test ends. */
export async function producerFor(t: Teardown, kafka: Kafka): Promise<Producer> {
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: false });
  await producer.connect();
  t.teardown(() => producer.disconnect());
  return producer;
}

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
