#!/usr/bin/python3
"""confluent-kafka-python (librdkafka) and kafka-python over SSL and SASL, for Samsa's security tests.

Usage: security_client.py <command>, with the command's JSON on stdin; prints JSON on stdout.
The request's "config" is the client's own configuration, passed through as it is: librdkafka's
property names for confluent-kafka-python (security.protocol, ssl.ca.location, sasl.mechanism,
sasl.username, ...), KafkaProducer/KafkaConsumer keyword arguments for kafka-python
(security_protocol, ssl_cafile, sasl_mechanism, sasl_plain_username, ...). Commands:
  confluent-produce  {"config", "topic", "values": [text]}
                     -> {"error": null | name, "text": null | text, "delivered": n}
  confluent-consume  {"config", "topic", "count"}  (partition 0, from the beginning)
                     -> {"error": null | name, "text", "values": [text]}
  kafka-python-produce, kafka-python-consume: the same with kafka-python.
"error" is the name of the first error that stopped the client: a delivery report's error, or
for librdkafka an error callback's authentication, SSL or all-brokers-down error (librdkafka keeps
retrying those, so the script gives up on the first), or for kafka-python the exception's class.
"""
import json
import sys
import time

TIMEOUT_S = 12


def confluent_fatal(err):
    from confluent_kafka import KafkaError
    return err.code() in (KafkaError._AUTHENTICATION, KafkaError._SSL, KafkaError._ALL_BROKERS_DOWN)


def confluent_produce(req):
    from confluent_kafka import Producer
    errors = []
    reports = []
    config = {'acks': 'all', 'linger.ms': 0, 'message.timeout.ms': TIMEOUT_S * 1000, 'log_level': 0,
              'error_cb': lambda err: errors.append(err), **req['config']}
    p = Producer(config)
    for v in req['values']:
        p.produce(req['topic'], value=v.encode('utf-8'), partition=0, on_delivery=lambda err, msg: reports.append(err))
    deadline = time.time() + TIMEOUT_S
    while len(reports) < len(req['values']) and time.time() < deadline:
        p.poll(0.05)
        if any(confluent_fatal(e) for e in errors):
            break
    failed = [e for e in reports if e is not None] + [e for e in errors if confluent_fatal(e)]
    delivered = sum(1 for e in reports if e is None)
    p.purge()
    p.flush(0)
    if failed:
        return {'error': failed[0].name(), 'text': failed[0].str(), 'delivered': delivered}
    if delivered < len(req['values']):
        return {'error': 'timed out', 'text': '%d of %d delivered' % (delivered, len(req['values'])), 'delivered': delivered}
    return {'error': None, 'text': None, 'delivered': delivered}


def confluent_consume(req):
    from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition
    errors = []
    config = {'group.id': 'samsa-security-unused', 'enable.auto.commit': False, 'auto.offset.reset': 'earliest',
              'log_level': 0, 'error_cb': lambda err: errors.append(err), **req['config']}
    c = Consumer(config)
    c.assign([TopicPartition(req['topic'], 0, OFFSET_BEGINNING)])
    values = []
    deadline = time.time() + TIMEOUT_S
    error = None
    while len(values) < req['count'] and time.time() < deadline:
        m = c.poll(0.1)
        fatal = [e for e in errors if confluent_fatal(e)]
        if fatal:
            error = fatal[0]
            break
        if m is None:
            continue
        if m.error():
            error = m.error()
            break
        values.append(m.value().decode('utf-8'))
    c.close()
    if error is not None:
        return {'error': error.name(), 'text': error.str(), 'values': values}
    return {'error': None if len(values) >= req['count'] else 'timed out', 'text': None, 'values': values}


def kafka_python_produce(req):
    from kafka import KafkaProducer
    try:
        p = KafkaProducer(acks='all', linger_ms=0, request_timeout_ms=TIMEOUT_S * 1000, **req['config'])
    except Exception as e:  # noqa: BLE001 -- the exception's class is the answer
        return {'error': type(e).__name__, 'text': str(e), 'delivered': 0}
    try:
        futures = [p.send(req['topic'], value=v.encode('utf-8'), partition=0) for v in req['values']]
        p.flush(TIMEOUT_S)
        for f in futures:
            f.get(timeout=TIMEOUT_S)
    except Exception as e:  # noqa: BLE001
        return {'error': type(e).__name__, 'text': str(e), 'delivered': sum(1 for f in futures if f.succeeded())}
    finally:
        p.close(1)
    return {'error': None, 'text': None, 'delivered': len(futures)}


def kafka_python_consume(req):
    from kafka import KafkaConsumer, TopicPartition
    try:
        c = KafkaConsumer(group_id=None, enable_auto_commit=False, auto_offset_reset='earliest',
                          request_timeout_ms=TIMEOUT_S * 1000 + 1000, **req['config'])
    except Exception as e:  # noqa: BLE001
        return {'error': type(e).__name__, 'text': str(e), 'values': []}
    tp = TopicPartition(req['topic'], 0)
    c.assign([tp])
    c.seek_to_beginning(tp)
    values = []
    deadline = time.time() + TIMEOUT_S
    try:
        while len(values) < req['count'] and time.time() < deadline:
            for batch in c.poll(timeout_ms=100).values():
                values.extend(m.value.decode('utf-8') for m in batch)
    except Exception as e:  # noqa: BLE001
        return {'error': type(e).__name__, 'text': str(e), 'values': values}
    finally:
        c.close()
    return {'error': None if len(values) >= req['count'] else 'timed out', 'text': None, 'values': values}


COMMANDS = {
    'confluent-produce': confluent_produce,
    'confluent-consume': confluent_consume,
    'kafka-python-produce': kafka_python_produce,
    'kafka-python-consume': kafka_python_consume,
}


def main():
    req = json.loads(sys.stdin.read() or '{}')
    json.dump(COMMANDS[sys.argv[1]](req), sys.stdout, default=str)


if __name__ == '__main__':
    main()
