#!/usr/bin/python3
"""confluent-kafka-python (librdkafka) against a broker, for Samsa's cross-client tests.

Usage: confluent_client.py <command> <bootstrap>, with the command's JSON on stdin; prints JSON on
stdout. Commands:
  produce            {"topic", "messages": [{"key", "value", "partition"?, "timestamp"?, "headers"?}],
                      "acks"?, "compression"?}  -> [{"partition", "offset", "timestamp"} | {"error"}]
  consume            {"topics": {"name": partitions}}  -> every record from the beginning to the end
  offsets_for_times  {"topic", "queries": [{"partition", "timestamp"}]}
                      -> [{"partition", "timestamp", "offset", "error"}] in the order asked
Records are {"topic", "partition", "offset", "timestamp", "key", "value", "headers": [[k, v]]}
with keys, values and header values as UTF-8 text (or null).
"""
import json
import sys
import time

from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, Producer, TopicPartition

TIMEOUT_S = 15


def enc(s):
    return None if s is None else s.encode('utf-8')


def dec(b):
    return None if b is None else b.decode('utf-8')


def record(m):
    return {
        'topic': m.topic(),
        'partition': m.partition(),
        'offset': m.offset(),
        'timestamp': m.timestamp()[1],
        'key': dec(m.key()),
        'value': dec(m.value()),
        'headers': [[k, dec(v)] for k, v in (m.headers() or [])],
    }


def consumer(bootstrap):
    # librdkafka's consumer wants a group id even for assign(); nothing here joins or commits.
    return Consumer({
        'bootstrap.servers': bootstrap,
        'group.id': 'samsa-cross-client-unused',
        'enable.auto.commit': False,
        'enable.partition.eof': True,
        'auto.offset.reset': 'earliest',
        'log_level': 3,
    })


def produce(bootstrap, req):
    p = Producer({
        'bootstrap.servers': bootstrap,
        'acks': str(req.get('acks', -1)),
        'compression.type': req.get('compression', 'none'),
        'linger.ms': req.get('linger_ms', 5),
        'enable.idempotence': req.get('idempotent', False),
        'log_level': 3,
    })
    reports = [None] * len(req['messages'])

    def on_delivery(i):
        def cb(err, msg):
            if err is not None:
                reports[i] = {'error': str(err)}
            else:
                reports[i] = {'partition': msg.partition(), 'offset': msg.offset(), 'timestamp': msg.timestamp()[1]}
        return cb

    for i, m in enumerate(req['messages']):
        kwargs = {'value': enc(m.get('value')), 'key': enc(m.get('key')), 'on_delivery': on_delivery(i)}
        if m.get('partition') is not None:
            kwargs['partition'] = m['partition']
        if m.get('timestamp') is not None:
            kwargs['timestamp'] = m['timestamp']
        if m.get('headers'):
            kwargs['headers'] = [(k, enc(v)) for k, v in m['headers']]
        p.produce(req['topic'], **kwargs)
        p.poll(0)
    left = p.flush(TIMEOUT_S)
    if left:
        raise SystemExit('%d messages not delivered' % left)
    return reports


def consume(bootstrap, req):
    c = consumer(bootstrap)
    tps = [TopicPartition(t, p, OFFSET_BEGINNING) for t, n in req['topics'].items() for p in range(n)]
    c.assign(tps)
    pending = {(tp.topic, tp.partition) for tp in tps}
    out = []
    deadline = time.time() + TIMEOUT_S
    while pending:
        if time.time() > deadline:
            raise SystemExit('timed out; partitions not at their end: %r' % sorted(pending))
        m = c.poll(0.2)
        if m is None:
            continue
        if m.error():
            if m.error().code() == KafkaError._PARTITION_EOF:
                pending.discard((m.topic(), m.partition()))
                continue
            raise SystemExit('consume error: %s' % m.error())
        out.append(record(m))
    c.close()
    return out


def rounds(queries):
    """The queries split into rounds that name each partition at most once (one lookup per partition per call)."""
    pending = list(enumerate(queries))
    while pending:
        seen, now, later = set(), [], []
        for i, q in pending:
            (later if q['partition'] in seen else now).append((i, q))
            seen.add(q['partition'])
        yield now
        pending = later


def offsets_for_times(bootstrap, req):
    c = consumer(bootstrap)
    out = [None] * len(req['queries'])
    for batch in rounds(req['queries']):
        tps = [TopicPartition(req['topic'], q['partition'], q['timestamp']) for _, q in batch]
        found = c.offsets_for_times(tps, timeout=TIMEOUT_S)
        by_partition = {tp.partition: tp for tp in found}
        for i, q in batch:
            tp = by_partition[q['partition']]
            out[i] = {'partition': q['partition'], 'timestamp': q['timestamp'], 'offset': tp.offset, 'error': str(tp.error) if tp.error else None}
    c.close()
    return out


def main():
    command, bootstrap = sys.argv[1], sys.argv[2]
    req = json.load(sys.stdin)
    result = {'produce': produce, 'consume': consume, 'offsets_for_times': offsets_for_times}[command](bootstrap, req)
    json.dump(result, sys.stdout)


if __name__ == '__main__':
    main()
