#!/usr/bin/env node
// A KIP-848 group member in its own process, for tests that kill it: node-rdkafka with
// group.protocol=consumer. Prints one JSON line per change: {"assigned":[...]} after each
// rebalance and {"consumed":n} as messages arrive.
// Usage: kip848-member.mjs <bootstrap> <group> <client id> <topic>
import Kafka from 'node-rdkafka';

const [bootstrap, group, clientId, topic] = process.argv.slice(2);
const consumer = new Kafka.KafkaConsumer(
  {
    'bootstrap.servers': bootstrap,
    'group.id': group,
    'group.protocol': 'consumer',
    'client.id': clientId,
    'enable.auto.commit': true,
    'auto.commit.interval.ms': 100,
    rebalance_cb: true,
  },
  { 'auto.offset.reset': 'earliest' },
);
const say = o => process.stdout.write(`${JSON.stringify(o)}\n`);
let consumed = 0;
consumer.on('rebalance', () => setImmediate(() => say({ assigned: consumer.assignments().map(a => `${a.topic}/${a.partition}`).sort() })));
consumer.on('data', () => say({ consumed: ++consumed }));
consumer.connect({ timeout: 30_000 }, err => {
  if (err) {
    process.stderr.write(`${err.message}\n`);
    process.exit(1);
  }
  consumer.subscribe([topic]);
  consumer.consume();
});
