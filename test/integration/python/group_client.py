#!/usr/bin/python3
"""A consumer-group member (subscribe, not assign) for Samsa's cross-client group tests.

Usage: group_client.py <confluent|kafka-python> <bootstrap>, with one JSON line on stdin:
  {"group", "topics": [...], "client_id", "strategy": "range" | "roundrobin" | "cooperative-sticky" | ...,
   "session_timeout_ms"?, "heartbeat_interval_ms"?, "process_ms"?, "librdkafka"?: {more properties}}
then the member runs until stdin says "stop" (or closes): it commits what it consumed, closes
(leaving the group, unless it is a static member) and exits. Offsets are committed by the member itself, synchronously, when
partitions are revoked and before it closes (auto-commit is off), so a rebalance never hands a
partition over with consumed records uncommitted. process_ms is time spent on each record (a
sleep), so a member is still busy with a backlog when the group rebalances.

Prints JSON lines on stdout as things happen:
  {"event": "assignment", "partitions": [[topic, partition], ...]}   whenever the assignment changes
  {"event": "record", "topic", "partition", "offset", "key", "value"}
  {"event": "revoked", "partitions": [...]}                            after committing them
  {"event": "commit_failed", "error"}                                  a commit the broker refused
  {"event": "error", "error"}                                          any other client error
  {"event": "committed", "offsets": [[topic, partition, offset], ...]} the final commit, as read back
  {"event": "closed"}

Or group_client.py <confluent-admin|kafka-python-admin> <bootstrap> with {"group"} on stdin: prints
the client's admin view as one JSON object, {"listed": [group ids], "groups": [{"group", "error",
"state", "protocol_type", "protocol", "members": [{"client_id", "assignment": [[topic, partition]]}]}]}
and, from kafka-python, "offsets": [[topic, partition, committed offset]].
"""
import json
import sys
import threading
import time

POLL_S = 0.05


def out(obj):
    sys.stdout.write(json.dumps(obj) + '\n')
    sys.stdout.flush()


def dec(b):
    return None if b is None else b.decode('utf-8')


def process(cfg):
    if cfg.get('process_ms'):
        time.sleep(cfg['process_ms'] / 1000)


def watch_stdin(stop):
    for line in sys.stdin:
        if line.strip() == 'stop':
            break
    stop.set()


def tp_list(tps):
    return sorted([tp.topic, tp.partition] for tp in tps)


def run_confluent(bootstrap, cfg, stop):
    from confluent_kafka import Consumer, KafkaError, KafkaException

    c = Consumer({
        'bootstrap.servers': bootstrap,
        'group.id': cfg['group'],
        'client.id': cfg['client_id'],
        'partition.assignment.strategy': cfg.get('strategy', 'range'),
        'session.timeout.ms': cfg.get('session_timeout_ms', 3000),
        'heartbeat.interval.ms': cfg.get('heartbeat_interval_ms', 100),
        'enable.auto.commit': False,
        'auto.offset.reset': 'earliest',
        'fetch.wait.max.ms': 50,
        'log_level': 3,
        # more librdkafka properties, e.g. {"debug": "cgrp"} when investigating
        **cfg.get('librdkafka', {}),
    })

    def commit():
        try:
            c.commit(asynchronous=False)
        except KafkaException as e:
            # nothing consumed since the last commit is not a failure
            if e.args[0].code() != KafkaError._NO_OFFSET:
                out({'event': 'commit_failed', 'error': str(e)})

    def on_revoke(consumer, partitions):
        commit()
        out({'event': 'revoked', 'partitions': tp_list(partitions)})

    c.subscribe(cfg['topics'], on_revoke=on_revoke)
    last = None
    while not stop.is_set():
        m = c.poll(POLL_S)
        now = tp_list(c.assignment())
        if now != last:
            out({'event': 'assignment', 'partitions': now})
            last = now
        if m is None:
            continue
        if m.error():
            out({'event': 'error', 'error': str(m.error())})
            continue
        out({'event': 'record', 'topic': m.topic(), 'partition': m.partition(), 'offset': m.offset(), 'key': dec(m.key()), 'value': dec(m.value())})
        process(cfg)
    commit()
    assigned = c.assignment()
    offsets = [[tp.topic, tp.partition, tp.offset] for tp in c.committed(assigned, timeout=10)] if assigned else []
    out({'event': 'committed', 'offsets': sorted(offsets)})
    c.close()


def run_kafka_python(bootstrap, cfg, stop):
    from kafka import KafkaConsumer, ConsumerRebalanceListener
    from kafka.coordinator.assignors.range import RangePartitionAssignor
    from kafka.coordinator.assignors.roundrobin import RoundRobinPartitionAssignor
    from kafka.coordinator.assignors.sticky.sticky_assignor import StickyPartitionAssignor

    assignors = {a.name: a for a in (RangePartitionAssignor, RoundRobinPartitionAssignor, StickyPartitionAssignor)}
    c = KafkaConsumer(
        bootstrap_servers=bootstrap,
        group_id=cfg['group'],
        client_id=cfg['client_id'],
        partition_assignment_strategy=[assignors[cfg.get('strategy', 'range')]],
        session_timeout_ms=cfg.get('session_timeout_ms', 3000),
        heartbeat_interval_ms=cfg.get('heartbeat_interval_ms', 100),
        enable_auto_commit=False,
        auto_offset_reset='earliest',
        fetch_max_wait_ms=50,
        # a few records per poll, so a rebalance is noticed between records as librdkafka does
        max_poll_records=10,
    )

    def commit():
        try:
            c.commit()
        except Exception as e:  # kafka-python raises CommitFailedError and Kafka errors alike
            out({'event': 'commit_failed', 'error': repr(e)})

    class Listener(ConsumerRebalanceListener):
        def on_partitions_revoked(self, revoked):
            commit()
            out({'event': 'revoked', 'partitions': tp_list(revoked)})

        def on_partitions_assigned(self, assigned):
            pass

    c.subscribe(cfg['topics'], listener=Listener())
    last = None
    while not stop.is_set():
        batches = c.poll(timeout_ms=int(POLL_S * 1000))
        now = tp_list(c.assignment())
        if now != last:
            out({'event': 'assignment', 'partitions': now})
            last = now
        for records in batches.values():
            for m in records:
                out({'event': 'record', 'topic': m.topic, 'partition': m.partition, 'offset': m.offset, 'key': dec(m.key), 'value': dec(m.value)})
                process(cfg)
    commit()
    offsets = [[tp.topic, tp.partition, c.committed(tp)] for tp in c.assignment()]
    out({'event': 'committed', 'offsets': sorted(offsets)})
    c.close()


def decode_assignment(b):
    """ConsumerProtocolAssignment (any version): int16 version, [topic string, [int32 partition]], user data."""
    import struct
    pos = 2
    out = []
    (n,) = struct.unpack_from('>i', b, pos)
    pos += 4
    for _ in range(max(n, 0)):
        (ln,) = struct.unpack_from('>h', b, pos)
        topic = b[pos + 2:pos + 2 + ln].decode('utf-8')
        pos += 2 + ln
        (k,) = struct.unpack_from('>i', b, pos)
        pos += 4
        for _ in range(max(k, 0)):
            (p,) = struct.unpack_from('>i', b, pos)
            pos += 4
            out.append([topic, p])
    return sorted(out)


def admin_confluent(bootstrap, cfg):
    """librdkafka's list_groups (ListGroups, then DescribeGroups) for one group."""
    from confluent_kafka.admin import AdminClient

    a = AdminClient({'bootstrap.servers': bootstrap, 'log_level': 3})
    out = []
    for g in a.list_groups(group=cfg['group'], timeout=10):
        out.append({
            'group': g.id,
            'error': str(g.error) if g.error else None,
            'state': g.state,
            'protocol_type': g.protocol_type,
            'protocol': g.protocol,
            'members': sorted(({'client_id': m.client_id, 'assignment': decode_assignment(m.assignment) if m.assignment else []} for m in g.members), key=lambda m: m['client_id']),
        })
    return {'groups': out, 'listed': sorted(g.id for g in a.list_groups(timeout=10))}


def admin_kafka_python(bootstrap, cfg):
    """kafka-python's KafkaAdminClient: list, describe, and the group's committed offsets."""
    from kafka.admin import KafkaAdminClient

    a = KafkaAdminClient(bootstrap_servers=bootstrap)
    d = a.describe_consumer_groups([cfg['group']])[0]
    offsets = a.list_consumer_group_offsets(cfg['group'])
    result = {
        'listed': sorted(g for g, _ in a.list_consumer_groups()),
        'groups': [{
            'group': d.group,
            'error': d.error_code or None,
            'state': d.state,
            'protocol_type': d.protocol_type,
            'protocol': d.protocol,
            'members': sorted(({
                'client_id': m.client_id,
                'assignment': sorted([t, p] for t, ps in m.member_assignment.assignment for p in ps) if m.member_assignment else [],
            } for m in d.members), key=lambda m: m['client_id']),
        }],
        'offsets': sorted([tp.topic, tp.partition, o.offset] for tp, o in offsets.items()),
    }
    a.close()
    return result


def main():
    client, bootstrap = sys.argv[1], sys.argv[2]
    cfg = json.loads(sys.stdin.readline())
    admin = {'confluent-admin': admin_confluent, 'kafka-python-admin': admin_kafka_python}.get(client)
    if admin is not None:
        out(admin(bootstrap, cfg))
        return
    stop = threading.Event()
    threading.Thread(target=watch_stdin, args=(stop,), daemon=True).start()
    {'confluent': run_confluent, 'kafka-python': run_kafka_python}[client](bootstrap, cfg, stop)
    out({'event': 'closed'})


if __name__ == '__main__':
    main()
