#!/usr/bin/python3
"""Clients under a client quota, for Samsa's client-quota cross-client tests.

Usage: quota_client.py <command> <bootstrap>, with the command's JSON on stdin; prints JSON on
stdout. Commands:
  confluent_produce  {"topic", "client_id", "count", "size"}
                     -> {"delivered", "throttles": [ms, ...]}  confluent-kafka-python: one message
                     per request (flushed each time); throttle_cb reports the broker's throttle time
  confluent_consume  {"topic", "client_id", "count"}
                     -> {"values": [...], "throttles": [ms, ...]}  reads partition 0 from the start
  kafka_python_produce {"topic", "client_id", "count", "size"}
                     -> {"delivered", "throttle_max"}  kafka-python: the produce-throttle-time-max
                     metric of its sender
Message values are "<i>:" followed by filler up to `size` bytes.
"""
import json
import sys
import time

TIMEOUT_S = 30


def value(i, size):
    head = '%d:' % i
    return (head + 'q' * max(0, size - len(head))).encode('ascii')


def confluent_produce(bootstrap, req):
    from confluent_kafka import Producer
    throttles = []
    p = Producer({
        'bootstrap.servers': bootstrap,
        'client.id': req['client_id'],
        'acks': 'all',
        'linger.ms': 0,
        'log_level': 3,
        'throttle_cb': lambda ev: throttles.append(round(ev.throttle_time * 1000)),
    })
    delivered = []

    def on_delivery(err, msg):
        if err is not None:
            raise SystemExit('delivery failed: %s' % err)
        delivered.append(msg.offset())

    for i in range(req['count']):
        p.produce(req['topic'], value(i, req['size']), partition=0, on_delivery=on_delivery)
        if p.flush(TIMEOUT_S):
            raise SystemExit('message %d not delivered' % i)
    p.poll(0)
    return {'delivered': len(delivered), 'throttles': throttles}


def confluent_consume(bootstrap, req):
    from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, TopicPartition
    throttles = []
    c = Consumer({
        'bootstrap.servers': bootstrap,
        'client.id': req['client_id'],
        'group.id': 'samsa-quota-unused',
        'enable.auto.commit': False,
        'enable.partition.eof': True,
        'auto.offset.reset': 'earliest',
        'log_level': 3,
        'throttle_cb': lambda ev: throttles.append(round(ev.throttle_time * 1000)),
    })
    c.assign([TopicPartition(req['topic'], 0, OFFSET_BEGINNING)])
    values = []
    deadline = time.time() + TIMEOUT_S
    while len(values) < req['count']:
        if time.time() > deadline:
            raise SystemExit('timed out after %d of %d records' % (len(values), req['count']))
        m = c.poll(0.2)
        if m is None:
            continue
        if m.error():
            if m.error().code() == KafkaError._PARTITION_EOF:
                continue
            raise SystemExit('consume error: %s' % m.error())
        values.append(m.value().decode('ascii').split(':')[0])
    c.close()
    return {'values': values, 'throttles': throttles}


def kafka_python_produce(bootstrap, req):
    from kafka import KafkaProducer
    p = KafkaProducer(bootstrap_servers=bootstrap, client_id=req['client_id'], acks='all', linger_ms=0)
    for i in range(req['count']):
        p.send(req['topic'], value(i, req['size']), partition=0).get(timeout=TIMEOUT_S)
    metrics = p.metrics()
    p.close(timeout=TIMEOUT_S)
    throttle_max = metrics.get('producer-metrics', {}).get('produce-throttle-time-max')
    return {'delivered': req['count'], 'throttle_max': throttle_max}


def main():
    command, bootstrap = sys.argv[1], sys.argv[2]
    req = json.load(sys.stdin)
    out = {
        'confluent_produce': confluent_produce,
        'confluent_consume': confluent_consume,
        'kafka_python_produce': kafka_python_produce,
    }[command](bootstrap, req)
    json.dump(out, sys.stdout)


if __name__ == '__main__':
    main()
