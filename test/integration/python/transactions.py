#!/usr/bin/python3
"""confluent-kafka-python (librdkafka) transactions against a broker, for Samsa's cross-client tests.

Usage: transactions.py <command> <bootstrap>, with the command's JSON on the first line of stdin;
prints JSON lines on stdout, the last one the command's result. Commands:
  transact  {"topic", "transactional_id", "transactions": [{"messages": [{"key", "value", "partition"}],
             "end": "commit" | "abort"}]}
            -> {"transactions": [{"reports": [{"partition", "offset"} | {"error"}], "end": "commit" | "abort"}]}
  consume   {"topic", "partitions", "isolation": "read_committed" | "read_uncommitted"}
            -> {"records": [...], "watermarks": [[low, high] per partition], "positions": [...]}
            every record from the beginning to the end, and the watermarks this consumer queries
            (librdkafka's ListOffsets carries the consumer's isolation level)
  zombie    {"topic", "transactional_id", "a": [messages], "b": [messages]}
            -> producer A inits, begins and produces (delivered); producer B with the same
               transactional id inits (fencing A), begins, produces and commits; then A tries to
               commit: {"a_reports", "b_reports", "b_init_ms", "a_commit": {"error"} | "ok",
               "a_abort": ..., "a_fatal": error | null}
  timeout   {"topic", "transactional_id", "transaction_timeout_ms", "messages": [...]}
            -> inits, begins, produces (delivered), prints {"event": "produced", "reports"}, then
               waits for a line on stdin before it tries to commit (then to abort):
               {"event": "result", "commit": ..., "abort": ..., "fatal": ...}
  eos       {"topic" (the output), "input_topic", "group", "transactional_id"}
            -> consume-transform-produce: a Consumer of the group (subscribed to input_topic,
               enable.auto.commit false, isolation.level read_committed) and a transactional
               Producer. Prints {"event": "assigned", "assignment"} once the group assigned it its
               partitions, then runs one round per further line on stdin, {"end": "commit" | "abort",
               "input_ends": [offset per partition], "hold": bool, "rewind": bool}, until a blank
               line or the end of stdin. A round consumes the input up to input_ends, begins a
               transaction, produces each record transformed ("eos(" + value + ")", same key and
               partition) to the output, sends the consumer's positions with
               send_offsets_to_transaction(position(assignment), consumer_group_metadata()), and, with
               "hold", prints {"event": "offsets_sent", "round", "positions"} and waits for a line on
               stdin; then it commits or aborts and prints {"event": "round", "round", "end",
               "consumed": [records], "reports", "positions", "committed": [offset | {"error"}]}
               (committed() of a read_committed consumer: OffsetFetch with require_stable). With
               "rewind", an aborted round then seeks the consumer back to the committed offsets, as
               an application does to process the records again. The result: {"rounds": n}
  committed {"topic", "partitions", "group", "isolation", "timeout_s"}
            -> {"committed": [offset | {"error"}] | {"error"}}: what a new consumer of the group
               (not joining it) reads with committed()
Errors are {"code", "name", "str", "fatal", "retriable", "txn_requires_abort"} (KafkaError).
Records are {"partition", "offset", "key", "value"}. With "debug" in the request (or
SAMSA_RDKAFKA_DEBUG in the environment) librdkafka logs those contexts to stderr.
"""
import json
import os
import sys
import time

from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, KafkaException, Producer, TopicPartition

TIMEOUT_S = 15


def enc(s):
    return None if s is None else s.encode('utf-8')


def dec(b):
    return None if b is None else b.decode('utf-8')


def out(obj):
    sys.stdout.write(json.dumps(obj) + '\n')
    sys.stdout.flush()


def error(err):
    if isinstance(err, KafkaException):
        err = err.args[0]
    if not isinstance(err, KafkaError):
        return {'code': None, 'name': type(err).__name__, 'str': str(err), 'fatal': None, 'retriable': None, 'txn_requires_abort': None}
    return {
        'code': err.code(),
        'name': err.name(),
        'str': err.str(),
        'fatal': err.fatal(),
        'retriable': err.retriable(),
        'txn_requires_abort': err.txn_requires_abort(),
    }


def attempt(fn):
    """'ok', or the error fn raised."""
    try:
        fn()
        return 'ok'
    except KafkaException as e:
        return {'error': error(e)}


def debug_conf(req):
    d = req.get('debug') or os.environ.get('SAMSA_RDKAFKA_DEBUG')
    return {'debug': d, 'log_level': 7} if d else {'log_level': 3}


def producer(bootstrap, req, transactional_id, **extra):
    conf = {
        'bootstrap.servers': bootstrap,
        'transactional.id': transactional_id,
        'linger.ms': 5,
        **debug_conf(req),
        **extra,
    }
    p = Producer(conf)
    # Learn the topic's partitions now: librdkafka otherwise asks on its 1 s metadata timer after
    # the first produce, which can outlast a message.timeout.ms bound to a short
    # transaction.timeout.ms (and the messages would time out in the client).
    p.list_topics(req['topic'], timeout=TIMEOUT_S)
    return p


def send(p, topic, messages):
    """Produces messages, waits for every delivery report; returns the reports in order."""
    reports = [None] * len(messages)

    def on_delivery(i):
        def cb(err, msg):
            reports[i] = {'error': error(err)} if err is not None else {'partition': msg.partition(), 'offset': msg.offset()}
        return cb

    for i, m in enumerate(messages):
        p.produce(topic, value=enc(m.get('value')), key=enc(m.get('key')), partition=m['partition'], on_delivery=on_delivery(i))
        p.poll(0)
    left = p.flush(TIMEOUT_S)
    if left:
        raise SystemExit('%d messages not delivered' % left)
    return reports


def transact(bootstrap, req):
    p = producer(bootstrap, req, req['transactional_id'])
    p.init_transactions(TIMEOUT_S)
    result = []
    for txn in req['transactions']:
        p.begin_transaction()
        reports = send(p, req['topic'], txn['messages'])
        if txn['end'] == 'commit':
            p.commit_transaction(TIMEOUT_S)
        else:
            p.abort_transaction(TIMEOUT_S)
        result.append({'reports': reports, 'end': txn['end']})
    p.flush(TIMEOUT_S)
    return {'transactions': result}


def consume(bootstrap, req):
    c = Consumer({
        'bootstrap.servers': bootstrap,
        'group.id': 'samsa-transactions-unused',
        'enable.auto.commit': False,
        'enable.partition.eof': True,
        'auto.offset.reset': 'earliest',
        'isolation.level': req['isolation'],
        'fetch.wait.max.ms': 50,  # librdkafka queues ListOffsets behind a long-polling Fetch
        **debug_conf(req),
    })
    topic = req['topic']
    tps = [TopicPartition(topic, p, OFFSET_BEGINNING) for p in range(req['partitions'])]
    c.assign(tps)
    pending = set(range(req['partitions']))
    records = []
    deadline = time.time() + TIMEOUT_S
    while pending:
        if time.time() > deadline:
            raise SystemExit('timed out; partitions not at their end: %r' % sorted(pending))
        m = c.poll(0.2)
        if m is None:
            continue
        if m.error():
            if m.error().code() == KafkaError._PARTITION_EOF:
                pending.discard(m.partition())
                continue
            raise SystemExit('consume error: %s' % m.error())
        records.append({'partition': m.partition(), 'offset': m.offset(), 'key': dec(m.key()), 'value': dec(m.value())})
    watermarks = [list(c.get_watermark_offsets(TopicPartition(topic, p), timeout=TIMEOUT_S, cached=False)) for p in range(req['partitions'])]
    positions = [tp.offset for tp in c.position([TopicPartition(topic, p) for p in range(req['partitions'])])]
    c.close()
    return {'records': records, 'watermarks': watermarks, 'positions': positions}


def fatal_of(p):
    """The producer's fatal error, if it has one (librdkafka raises it from the next transactional call)."""
    try:
        p.begin_transaction()
    except KafkaException as e:
        err = e.args[0]
        return error(err) if err.fatal() else {'begin_error': error(err)}
    return None


def zombie(bootstrap, req):
    tid, topic = req['transactional_id'], req['topic']
    a = producer(bootstrap, req, tid)
    a.init_transactions(TIMEOUT_S)
    a.begin_transaction()
    a_reports = send(a, topic, req['a'])
    b = producer(bootstrap, req, tid)
    started = time.time()
    b.init_transactions(TIMEOUT_S)
    b_init_ms = round((time.time() - started) * 1000)
    b.begin_transaction()
    b_reports = send(b, topic, req['b'])
    b.commit_transaction(TIMEOUT_S)
    a_commit = attempt(lambda: a.commit_transaction(TIMEOUT_S))
    a_abort = attempt(lambda: a.abort_transaction(TIMEOUT_S))
    a_fatal = fatal_of(a)
    return {'a_reports': a_reports, 'b_reports': b_reports, 'b_init_ms': b_init_ms, 'a_commit': a_commit, 'a_abort': a_abort, 'a_fatal': a_fatal}


def timeout(bootstrap, req):
    p = producer(bootstrap, req, req['transactional_id'], **{'transaction.timeout.ms': req['transaction_timeout_ms']})
    p.init_transactions(TIMEOUT_S)
    p.begin_transaction()
    reports = send(p, req['topic'], req['messages'])
    out({'event': 'produced', 'reports': reports})
    sys.stdin.readline()
    commit = attempt(lambda: p.commit_transaction(TIMEOUT_S))
    abort = attempt(lambda: p.abort_transaction(TIMEOUT_S))
    return {'event': 'result', 'commit': commit, 'abort': abort, 'fatal': fatal_of(p)}


def offsets_of(tps):
    return [tp.offset if tp.error is None else {'error': error(tp.error)} for tp in sorted(tps, key=lambda tp: tp.partition)]


def eos(bootstrap, req):
    input_topic, output_topic = req['input_topic'], req['topic']
    p = producer(bootstrap, req, req['transactional_id'])
    p.init_transactions(TIMEOUT_S)
    assignment = []
    c = Consumer({
        'bootstrap.servers': bootstrap,
        'group.id': req['group'],
        'enable.auto.commit': False,
        'auto.offset.reset': 'earliest',
        'isolation.level': 'read_committed',
        'fetch.wait.max.ms': 50,
        **debug_conf(req),
    })
    c.subscribe([input_topic], on_assign=lambda _c, tps: assignment.extend(tps))
    deadline = time.time() + TIMEOUT_S
    held = []  # records polled while waiting for the assignment
    while not assignment:
        if time.time() > deadline:
            raise SystemExit('timed out waiting for the group to assign partitions')
        m = c.poll(0.2)
        if m is not None:
            held.append(m)
    assignment.sort(key=lambda tp: tp.partition)
    out({'event': 'assigned', 'assignment': [[tp.topic, tp.partition] for tp in assignment]})
    rounds = 0
    nxt = {tp.partition: -1 for tp in assignment}  # the next offset to consume of each partition (-1: not known yet)
    while True:
        line = sys.stdin.readline()
        if not line.strip():
            break
        rnd = json.loads(line)
        rounds += 1
        ends = rnd['input_ends']
        consumed = []
        deadline = time.time() + TIMEOUT_S
        while any(nxt[tp.partition] < ends[tp.partition] for tp in assignment):
            if time.time() > deadline:
                raise SystemExit('round %d: timed out consuming to %r; at %r' % (rounds, ends, nxt))
            m = held.pop(0) if held else c.poll(0.2)
            if m is None:
                continue
            if m.error():
                raise SystemExit('consume error: %s' % m.error())
            consumed.append({'partition': m.partition(), 'offset': m.offset(), 'key': dec(m.key()), 'value': dec(m.value())})
            nxt[m.partition()] = m.offset() + 1
        p.begin_transaction()
        reports = send(p, output_topic, [{'key': r['key'], 'value': 'eos(%s)' % r['value'], 'partition': r['partition']} for r in consumed])
        positions = c.position(assignment)
        p.send_offsets_to_transaction(positions, c.consumer_group_metadata(), TIMEOUT_S)
        if rnd.get('hold'):
            out({'event': 'offsets_sent', 'round': rounds, 'positions': offsets_of(positions)})
            sys.stdin.readline()
        if rnd['end'] == 'commit':
            p.commit_transaction(TIMEOUT_S)
        else:
            p.abort_transaction(TIMEOUT_S)
        now_committed = c.committed(assignment, timeout=TIMEOUT_S)
        if rnd['end'] == 'abort' and rnd.get('rewind'):
            for tp in now_committed:
                c.seek(TopicPartition(tp.topic, tp.partition, tp.offset if tp.offset >= 0 else OFFSET_BEGINNING))
                nxt[tp.partition] = max(tp.offset, 0)
        out({'event': 'round', 'round': rounds, 'end': rnd['end'], 'consumed': consumed, 'reports': reports, 'positions': offsets_of(positions), 'committed': offsets_of(now_committed)})
    c.close()
    p.flush(TIMEOUT_S)
    return {'rounds': rounds}


def committed(bootstrap, req):
    c = Consumer({
        'bootstrap.servers': bootstrap,
        'group.id': req['group'],
        'enable.auto.commit': False,
        'isolation.level': req['isolation'],
        **debug_conf(req),
    })
    try:
        return {'committed': offsets_of(c.committed([TopicPartition(req['topic'], p) for p in range(req['partitions'])], timeout=req.get('timeout_s', TIMEOUT_S)))}
    except KafkaException as e:
        return {'committed': {'error': error(e)}}
    finally:
        c.close()


def main():
    command, bootstrap = sys.argv[1], sys.argv[2]
    req = json.loads(sys.stdin.readline())
    out({'transact': transact, 'consume': consume, 'zombie': zombie, 'timeout': timeout, 'eos': eos, 'committed': committed}[command](bootstrap, req))


if __name__ == '__main__':
    main()
