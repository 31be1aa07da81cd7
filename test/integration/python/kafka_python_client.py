#!/usr/bin/python3
"""kafka-python (pure Python) against a broker, for Samsa's cross-client tests.

Usage: kafka_python_client.py <command> <bootstrap>, with the command's JSON on stdin; prints JSON
on stdout. Commands and records as in confluent_client.py:
  produce            {"topic", "messages": [...], "acks"?, "compression"?}  -> [{"partition", "offset", "timestamp"}]
  consume            {"topics": {"name": partitions}}  -> every record from the beginning to the end
  offsets_for_times  {"topic", "queries": [{"partition", "timestamp"}]}
                      -> [{"partition", "timestamp", "offset", "found_timestamp"}] in the order asked
                      (offset and found_timestamp null where no record is at or after the time)
The consumer has no group (group_id=None): it assigns partitions and seeks to the beginning.
"""
import json
import sys
import time

from kafka import KafkaConsumer, KafkaProducer, TopicPartition

TIMEOUT_S = 15


def enc(s):
    return None if s is None else s.encode('utf-8')


def dec(b):
    return None if b is None else b.decode('utf-8')


def record(m):
    return {
        'topic': m.topic,
        'partition': m.partition,
        'offset': m.offset,
        'timestamp': m.timestamp,
        'key': dec(m.key),
        'value': dec(m.value),
        'headers': [[k, dec(v)] for k, v in (m.headers or [])],
    }


def consumer(bootstrap):
    return KafkaConsumer(
        bootstrap_servers=bootstrap,
        group_id=None,
        enable_auto_commit=False,
        auto_offset_reset='earliest',
        request_timeout_ms=TIMEOUT_S * 1000 + 1000,
    )


def produce(bootstrap, req):
    acks = req.get('acks', -1)
    p = KafkaProducer(
        bootstrap_servers=bootstrap,
        acks='all' if acks == -1 else acks,
        compression_type=req.get('compression'),
        linger_ms=req.get('linger_ms', 5),
    )
    futures = []
    for m in req['messages']:
        futures.append(p.send(
            req['topic'],
            value=enc(m.get('value')),
            key=enc(m.get('key')),
            headers=[(k, enc(v)) for k, v in m.get('headers') or []],
            partition=m.get('partition'),
            timestamp_ms=m.get('timestamp'),
        ))
    p.flush(TIMEOUT_S)
    out = []
    for f in futures:
        md = f.get(timeout=TIMEOUT_S)
        out.append({'partition': md.partition, 'offset': md.offset, 'timestamp': md.timestamp})
    p.close(TIMEOUT_S)
    return out


def consume(bootstrap, req):
    c = consumer(bootstrap)
    tps = [TopicPartition(t, p) for t, n in req['topics'].items() for p in range(n)]
    c.assign(tps)
    c.seek_to_beginning(*tps)
    end = c.end_offsets(tps)
    out = []
    deadline = time.time() + TIMEOUT_S
    while any(c.position(tp) < end[tp] for tp in tps):
        if time.time() > deadline:
            raise SystemExit('timed out; positions %r, ends %r' % ({str(tp): c.position(tp) for tp in tps}, {str(tp): e for tp, e in end.items()}))
        for batch in c.poll(timeout_ms=200).values():
            out.extend(record(m) for m in batch)
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
        found = c.offsets_for_times({TopicPartition(req['topic'], q['partition']): q['timestamp'] for _, q in batch})
        for i, q in batch:
            ot = found[TopicPartition(req['topic'], q['partition'])]
            out[i] = {
                'partition': q['partition'],
                'timestamp': q['timestamp'],
                'offset': ot.offset if ot else None,
                'found_timestamp': ot.timestamp if ot else None,
            }
    c.close()
    return out


def main():
    command, bootstrap = sys.argv[1], sys.argv[2]
    req = json.load(sys.stdin)
    result = {'produce': produce, 'consume': consume, 'offsets_for_times': offsets_for_times}[command](bootstrap, req)
    json.dump(result, sys.stdout)


if __name__ == '__main__':
    main()
