#!/usr/bin/python3
"""confluent-kafka-python (librdkafka) idempotent producer for Samsa's fault injection tests.

Usage: idempotent_producer.py <bootstrap> <topic> <count>
  Produces values "0" ... "count-1" with enable.idempotence, one message at a time (each one's
  delivery is waited for, so every injected fault meets a request of its own), and prints one
  JSON line: {"delivered": n, "errors": [...]}.
"""
import json
import sys

from confluent_kafka import Producer


def main(bootstrap, topic, count):
    p = Producer({
        'bootstrap.servers': bootstrap,
        'enable.idempotence': True,
        'linger.ms': 0,
        'retry.backoff.ms': 20,
        'message.timeout.ms': 30000,
        'log_level': 3,
    })
    state = {'delivered': 0, 'errors': []}

    def done(err, _msg):
        if err is None:
            state['delivered'] += 1
        else:
            state['errors'].append(str(err))

    for i in range(count):
        p.produce(topic, value=str(i).encode(), on_delivery=done)
        if p.flush(30) > 0:
            state['errors'].append('message %d not delivered within 30 s' % i)
    print(json.dumps(state), flush=True)


if __name__ == '__main__':
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))
