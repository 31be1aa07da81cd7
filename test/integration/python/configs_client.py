#!/usr/bin/python3
"""confluent-kafka-python's AdminClient configs calls against a broker, for Samsa's cross-client tests.

Usage: configs_client.py <command> <bootstrap>, with the command's JSON on stdin; prints JSON on
stdout. Commands:
  describe     {"type": "topic"|"broker", "name"}
               -> {"error": null|text, "configs": {name: {"value", "source", "read_only", "sensitive",
                   "synonyms": [[name, value, source]]}}}
  alter        {"type", "name", "configs": {name: value}, "validate_only"?}
               -> {"error": null | {"code", "name", "text"}}   (AlterConfigs: replaces every config)
  incremental  {"type", "name", "ops": [[name, "SET"|"DELETE"|"APPEND"|"SUBTRACT", value]], "validate_only"?}
               -> the same (IncrementalAlterConfigs; confluent-kafka-python 2.2 and later)
  produce      {"topic", "size"}  -> {"error": null | name of the delivery error}
"""
import json
import sys

from confluent_kafka import KafkaException, Producer
from confluent_kafka.admin import AdminClient, ConfigEntry, ConfigResource

TIMEOUT_S = 15


def admin(bootstrap):
    return AdminClient({'bootstrap.servers': bootstrap, 'log_level': 3})


def error_of(future):
    try:
        future.result(timeout=TIMEOUT_S)
        return None
    except KafkaException as e:
        err = e.args[0]
        return {'code': err.code(), 'name': err.name(), 'text': err.str()}


def source_name(source):
    return getattr(source, 'name', str(source))


def describe(bootstrap, req):
    resource = ConfigResource(req['type'], req['name'])
    client = admin(bootstrap)  # kept: a collected client destroys its requests
    future = client.describe_configs([resource], request_timeout=TIMEOUT_S)[resource]
    try:
        entries = future.result(timeout=TIMEOUT_S)
    except KafkaException as e:
        return {'error': e.args[0].name(), 'configs': {}}
    configs = {}
    for name, entry in entries.items():
        configs[name] = {
            'value': entry.value,
            'source': source_name(entry.source),
            'read_only': entry.is_read_only,
            'sensitive': entry.is_sensitive,
            'synonyms': [[s.name, s.value, source_name(s.source)] for s in entry.synonyms.values()],
        }
    return {'error': None, 'configs': configs}


def alter(bootstrap, req):
    resource = ConfigResource(req['type'], req['name'], set_config=req['configs'])
    client = admin(bootstrap)
    futures = client.alter_configs([resource], validate_only=req.get('validate_only', False), request_timeout=TIMEOUT_S)
    return {'error': error_of(futures[resource])}


def incremental(bootstrap, req):
    from confluent_kafka.admin import AlterConfigOpType
    entries = [ConfigEntry(name, value, incremental_operation=getattr(AlterConfigOpType, op)) for name, op, value in req['ops']]
    resource = ConfigResource(req['type'], req['name'], incremental_configs=entries)
    client = admin(bootstrap)
    futures = client.incremental_alter_configs([resource], validate_only=req.get('validate_only', False), request_timeout=TIMEOUT_S)
    return {'error': error_of(futures[resource])}


def produce(bootstrap, req):
    p = Producer({'bootstrap.servers': bootstrap, 'acks': '-1', 'linger.ms': 0, 'message.timeout.ms': TIMEOUT_S * 1000, 'log_level': 3})
    errors = []
    p.produce(req['topic'], value=b'x' * req['size'], on_delivery=lambda err, msg: errors.append(err))
    p.flush(TIMEOUT_S)
    if not errors:
        return {'error': 'no delivery report'}
    return {'error': None if errors[0] is None else errors[0].name()}


def main():
    command, bootstrap = sys.argv[1], sys.argv[2]
    req = json.loads(sys.stdin.read() or '{}')
    out = {'describe': describe, 'alter': alter, 'incremental': incremental, 'produce': produce}[command](bootstrap, req)
    json.dump(out, sys.stdout, default=str)


if __name__ == '__main__':
    main()
