#!/usr/bin/env node
// Rebalance benchmark (part of `npm run bench`): a group of MEMBERS kafkajs consumers (classic
// protocol) on a topic of PARTITIONS partitions. MEMBERS-1 members join and settle; then the last
// one joins, and we time from its join to the moment every member consumes again (has received
// its final assignment and started fetching it). kafkajs learns of a rebalance from its next
// heartbeat, so the figure is measured twice: with kafkajs's default heartbeat interval (3 s, what
// a user gets) and with 100 ms (closer to the broker's own cost).
// Env: MEMBERS (10), PARTITIONS (100), RUNS (3).
import { Kafka, logLevel } from 'kafkajs';
import { MEMBERS, PARTITIONS, RUNS, median, startBroker } from './group-bench-common.mjs';

/** One measurement: ms from the last member's join to every member fetching its final assignment. */
async function once(heartbeatInterval, run) {
  const broker = await startBroker({ port: 0, logLevel: 'silent' });
  const kafka = new Kafka({ brokers: [broker.bootstrap], clientId: 'bench', logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  const topic = `rebalance-${run}`;
  await admin.createTopics({ topics: [{ topic, numPartitions: PARTITIONS }] });
  const groupId = `bench-${heartbeatInterval}-${run}`;
  const consumers = [];
  // per member: when it last joined, its assignment size, and when it first fetched since
  const state = [];
  const start = async i => {
    const c = kafka.consumer({ groupId, heartbeatInterval, sessionTimeout: 30_000, maxWaitTimeInMs: 100 });
    const s = { joinedAt: -1, partitions: 0, fetchedAt: null };
    state[i] = s;
    c.on(c.events.GROUP_JOIN, e => {
      s.joinedAt = performance.now();
      s.partitions = Object.values(e.payload.memberAssignment).reduce((n, ps) => n + ps.length, 0);
      s.fetchedAt = null;
    });
    c.on(c.events.FETCH_START, () => {
      if (s.fetchedAt === null) s.fetchedAt = performance.now();
    });
    await c.connect();
    await c.subscribe({ topic, fromBeginning: true });
    await c.run({ eachMessage: async () => {} });
    consumers.push(c);
  };
  // settled: every member joined after `since` and fetched since, and together they own every partition
  const settled = (n, since) => {
    const live = state.slice(0, n);
    if (live.some(s => s === undefined || s.fetchedAt === null || s.joinedAt < since)) return false;
    return live.reduce((a, s) => a + s.partitions, 0) === PARTITIONS;
  };
  const waitSettled = async (n, since) => {
    const deadline = Date.now() + 120_000;
    while (!settled(n, since)) {
      if (Date.now() > deadline) throw new Error(`the group of ${n} did not settle`);
      await new Promise(r => setTimeout(r, 5));
    }
  };
  for (let i = 0; i < MEMBERS - 1; i++) await start(i);
  await waitSettled(MEMBERS - 1, 0);
  for (;;) {
    const { groups } = await admin.describeGroups([groupId]);
    if (groups[0].state === 'Stable' && groups[0].members.length === MEMBERS - 1) break;
    await new Promise(r => setTimeout(r, 20));
  }
  const t0 = performance.now();
  await start(MEMBERS - 1);
  await waitSettled(MEMBERS, t0);
  const ms = Math.max(...state.map(s => s.fetchedAt)) - t0;
  await Promise.all(consumers.map(c => c.disconnect()));
  await admin.disconnect();
  await broker.close();
  return ms;
}

const results = {};
for (const hb of [3000, 100]) {
  const runs = [];
  for (let r = 0; r < RUNS; r++) runs.push(await once(hb, r));
  results[hb] = median(runs);
  console.log(`classic rebalance, ${MEMBERS} members × ${PARTITIONS} partitions, heartbeat ${hb} ms: ${results[hb].toFixed(0)} ms (median of ${RUNS}: ${runs.map(x => x.toFixed(0)).join(', ')})`);
}
console.log(JSON.stringify({ classicRebalanceMs: Math.round(results[3000]), classicRebalanceFastHeartbeatMs: Math.round(results[100]), members: MEMBERS, partitions: PARTITIONS }));
