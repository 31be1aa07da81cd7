#!/usr/bin/env node
// Rebalance benchmark with librdkafka (part of `npm run bench`): MEMBERS node-rdkafka consumers
// (librdkafka 2.12) on a topic of PARTITIONS partitions, with the KIP-848 consumer protocol
// (group.protocol=consumer, the broker's uniform assignor) and, for comparison, the classic
// protocol with cooperative-sticky. MEMBERS-1 members join and settle; then the last one joins,
// and we time from its start to the moment every member holds its final assignment (librdkafka
// fetches from a partition as soon as it is assigned). Members learn of a rebalance from their
// next heartbeat, so each protocol is measured with its default heartbeat interval (KIP-848: the
// broker's group.consumer.heartbeat.interval.ms, 5 s; classic: librdkafka's heartbeat.interval.ms,
// 3 s) and with 100 ms.
// Env: MEMBERS (10), PARTITIONS (100), RUNS (3).
import Kafka from 'node-rdkafka';
import { MEMBERS, PARTITIONS, RUNS, median, startBroker } from './group-bench-common.mjs';

const sleep = ms => new Promise(r => setTimeout(r, ms));

function connect(consumer) {
  return new Promise((resolve, reject) => consumer.connect({ timeout: 30_000 }, err => (err ? reject(err) : resolve())));
}

/** One measurement: ms from the last member's start to every member holding its final assignment. */
async function once(protocol, heartbeatMs, run) {
  const config =
    protocol === 'consumer'
      ? { 'group.consumer.heartbeat.interval.ms': heartbeatMs, 'group.consumer.min.heartbeat.interval.ms': Math.min(heartbeatMs, 5000) }
      : { 'group.min.session.timeout.ms': 6000 };
  const broker = await startBroker({ port: 0, logLevel: 'silent', config });
  const admin = Kafka.AdminClient.create({ 'bootstrap.servers': broker.bootstrap });
  const topic = `rebalance-${run}`;
  await new Promise((resolve, reject) => admin.createTopic({ topic, num_partitions: PARTITIONS, replication_factor: 1 }, err => (err ? reject(err) : resolve())));
  admin.disconnect();
  const groupId = `bench-${protocol}-${heartbeatMs}-${run}`;
  const consumers = [];
  const start = async i => {
    const conf = {
      'bootstrap.servers': broker.bootstrap,
      'group.id': groupId,
      'client.id': `member-${i}`,
      'group.protocol': protocol,
      rebalance_cb: true,
      'enable.auto.commit': true,
    };
    if (protocol === 'classic') Object.assign(conf, { 'partition.assignment.strategy': 'cooperative-sticky', 'heartbeat.interval.ms': heartbeatMs, 'session.timeout.ms': 30_000 });
    const c = new Kafka.KafkaConsumer(conf, { 'auto.offset.reset': 'earliest' });
    await connect(c);
    c.subscribe([topic]);
    c.consume();
    consumers.push(c);
  };
  // settled: the members together hold every partition, each within one of the others
  const settled = n => {
    if (consumers.length < n) return false;
    const sizes = consumers.slice(0, n).map(c => c.assignments().length);
    return sizes.reduce((a, b) => a + b, 0) === PARTITIONS && Math.max(...sizes) - Math.min(...sizes) <= 1;
  };
  const waitSettled = async n => {
    const deadline = Date.now() + 120_000;
    while (!settled(n)) {
      if (Date.now() > deadline) throw new Error(`the group of ${n} did not settle`);
      await sleep(5);
    }
  };
  for (let i = 0; i < MEMBERS - 1; i++) await start(i);
  await waitSettled(MEMBERS - 1);
  const t0 = performance.now();
  await start(MEMBERS - 1);
  await waitSettled(MEMBERS);
  const ms = performance.now() - t0;
  await Promise.all(consumers.map(c => new Promise(resolve => c.disconnect(() => resolve()))));
  await broker.close();
  return ms;
}

const out = { members: MEMBERS, partitions: PARTITIONS, librdkafka: Kafka.librdkafkaVersion };
for (const [protocol, heartbeats] of [
  ['consumer', [5000, 100]],
  ['classic', [3000, 100]],
]) {
  for (const hb of heartbeats) {
    const runs = [];
    for (let r = 0; r < RUNS; r++) runs.push(await once(protocol, hb, r));
    const m = median(runs);
    out[`${protocol}Heartbeat${hb}Ms`] = Math.round(m);
    console.log(`librdkafka ${protocol === 'consumer' ? 'KIP-848' : 'classic cooperative-sticky'} rebalance, ${MEMBERS} members × ${PARTITIONS} partitions, heartbeat ${hb} ms: ${m.toFixed(0)} ms (median of ${RUNS}: ${runs.map(x => x.toFixed(0)).join(', ')})`);
  }
}
console.log(JSON.stringify(out));
