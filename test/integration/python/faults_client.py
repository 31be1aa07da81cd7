#!/usr/bin/python3
"""confluent-kafka-python (librdkafka) producing and consuming through faults, for Samsa's
cluster tests.

Usage: faults_client.py produce <bootstrap> <topic> <count> <checkpoint-every>
  Produces values "0" … "count-1" (keys "k<i>") with enable.idempotence. After every
  <checkpoint-every> messages handed to the producer it prints "checkpoint <i>" and waits for a
  line on stdin before going on, so the test can stop, start or move things while those messages
  are in flight. At the end it flushes and prints one JSON line:
  {"delivered": n, "errors": [...]}.
Usage: faults_client.py consume <bootstrap> <topic> <group> <count>
  Consumes with a consumer group until <count> distinct values are seen (or 60 s pass); prints
  {"values": [...distinct values...], "records": total records received}.
"""
import json
import sys
import time

from confluent_kafka import Consumer, Producer


def produce(bootstrap, topic, count, every):
    p = Producer({
        'bootstrap.servers': bootstrap,
        'enable.idempotence': True,
        'linger.ms': 5,
        'message.timeout.ms': 60000,
        'retry.backoff.ms': 50,
        'topic.metadata.refresh.interval.ms': 1000,
        'log_level': 3,
    })
    state = {'delivered': 0, 'errors': []}

    def done(err, _msg):
        if err is None:
            state['delivered'] += 1
        else:
            state['errors'].append(str(err))

    for i in range(count):
        while True:
            try:
                p.produce(topic, key=('k%d' % i).encode(), value=str(i).encode(), on_delivery=done)
                break
            except BufferError:
                p.poll(0.05)
        p.poll(0)
        if (i + 1) % every == 0 and i + 1 < count:
            print('checkpoint %d' % (i + 1), flush=True)
            sys.stdin.readline()
    left = p.flush(60)
    if left:
        state['errors'].append('%d messages not delivered within 60 s' % left)
    print(json.dumps(state), flush=True)


def consume(bootstrap, topic, group, count):
    c = Consumer({
        'bootstrap.servers': bootstrap,
        'group.id': group,
        'auto.offset.reset': 'earliest',
        'topic.metadata.refresh.interval.ms': 1000,
        'log_level': 3,
    })
    c.subscribe([topic])
    seen = set()
    records = 0
    deadline = time.time() + 60
    while len(seen) < count and time.time() < deadline:
        m = c.poll(0.5)
        if m is None or m.error():
            continue
        records += 1
        seen.add(m.value().decode())
    c.close()
    print(json.dumps({'values': sorted(seen, key=int), 'records': records}), flush=True)


if __name__ == '__main__':
    cmd = sys.argv[1]
    if cmd == 'produce':
        produce(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]))
    elif cmd == 'consume':
        consume(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]))
    else:
        sys.exit('unknown command ' + cmd)
