#!/usr/bin/python3
"""librdkafka's own admin API (the C library under confluent-kafka-python's AdminClient), called
through ctypes, for Samsa's cross-client tests.

The system's confluent-kafka-python (1.7.0, on librdkafka 2.0.2) has no ElectLeaders,
IncrementalAlterConfigs or DescribeCluster; node-rdkafka builds a newer librdkafka (2.12.0) from
source, and this script loads that shared library directly. Standard library only.

Usage: librdkafka_admin.py <command> <bootstrap> [<path of librdkafka.so.1>], with the command's
JSON on stdin; prints one JSON result on stdout. Without a path the library is the one node-rdkafka
built: ../../../node_modules/node-rdkafka/build/deps/librdkafka.so.1 from this script.

Commands (an error is null or {"code", "name", "text"}; codes are Kafka's, or librdkafka's own
negative ones):
  version                    {}  -> {"version": librdkafka's version string}
  describe-cluster           {"include_authorized_operations"?}
                             -> {"error", "cluster_id", "controller": node|null, "nodes": [node],
                                 "authorized_operations": [int]|null}; node: {"id", "host", "port", "rack"}
  elect-leaders              {"type": "PREFERRED"|"UNCLEAN", "partitions": [[topic, partition]]|null}
                             -> {"error", "partitions": [{"topic", "partition", "error"}]}
  incremental-alter-configs  {"resources": [{"type": "topic"|"broker", "name",
                                 "ops": [[config, "SET"|"DELETE"|"APPEND"|"SUBTRACT", value|null]]}],
                              "validate_only"?}
                             -> {"error", "resources": [{"type", "name", "error"}]}
  describe-configs           {"resources": [{"type", "name", "names"?: [config]}]}
                             -> {"error", "resources": [{"type", "name", "error", "configs": {config:
                                 {"value", "source", "is_default", "read_only", "sensitive",
                                  "synonyms": [[name, value, source]]}}}]}

A failure of the library itself (it does not load, a call refuses its arguments, no result in
time) exits with 1 and says why on stderr.
"""
import ctypes
import json
import os
import sys
from ctypes import POINTER, Structure, c_char_p, c_int, c_int32, c_int64, c_size_t, c_uint16, c_void_p

POLL_TIMEOUT_MS = 20_000
REQUEST_TIMEOUT_MS = 15_000

# rdkafka.h
RD_KAFKA_PRODUCER = 0
RD_KAFKA_CONF_OK = 0
EVENT_DESCRIBECONFIGS_RESULT = 104
EVENT_INCREMENTALALTERCONFIGS_RESULT = 0x20000
EVENT_DESCRIBECLUSTER_RESULT = 0x200000
EVENT_ELECTLEADERS_RESULT = 0x800000
ADMIN_OP_DESCRIBECONFIGS = 5
ADMIN_OP_INCREMENTALALTERCONFIGS = 16
ADMIN_OP_DESCRIBECLUSTER = 20
ADMIN_OP_ELECTLEADERS = 22
RESOURCE_TYPES = {'topic': 2, 'group': 3, 'broker': 4}
RESOURCE_NAMES = {v: k for k, v in RESOURCE_TYPES.items()}
ALTER_OPS = {'SET': 0, 'DELETE': 1, 'APPEND': 2, 'SUBTRACT': 3}
ELECTION_TYPES = {'PREFERRED': 0, 'UNCLEAN': 1}


class TopicPartition(Structure):
    """rd_kafka_topic_partition_t: read only."""
    _fields_ = [
        ('topic', c_char_p),
        ('partition', c_int32),
        ('offset', c_int64),
        ('metadata', c_void_p),
        ('metadata_size', c_size_t),
        ('opaque', c_void_p),
        ('err', c_int),
        ('_private', c_void_p),
    ]


class Failure(Exception):
    """The library failed: exit non-zero."""


def load(path):
    lib = ctypes.CDLL(path)
    P = c_void_p
    errbuf = [c_char_p, c_size_t]
    signatures = {
        'rd_kafka_version_str': ([], c_char_p),
        'rd_kafka_err2str': ([c_int], c_char_p),
        'rd_kafka_err2name': ([c_int], c_char_p),
        'rd_kafka_conf_new': ([], P),
        'rd_kafka_conf_destroy': ([P], None),
        'rd_kafka_conf_set': ([P, c_char_p, c_char_p] + errbuf, c_int),
        'rd_kafka_new': ([c_int, P] + errbuf, P),
        'rd_kafka_destroy': ([P], None),
        'rd_kafka_queue_new': ([P], P),
        'rd_kafka_queue_destroy': ([P], None),
        'rd_kafka_queue_poll': ([P, c_int], P),
        'rd_kafka_event_type': ([P], c_int),
        'rd_kafka_event_error': ([P], c_int),
        'rd_kafka_event_error_string': ([P], c_char_p),
        'rd_kafka_event_destroy': ([P], None),
        'rd_kafka_error_code': ([P], c_int),
        'rd_kafka_error_string': ([P], c_char_p),
        'rd_kafka_error_destroy': ([P], None),
        'rd_kafka_AdminOptions_new': ([P, c_int], P),
        'rd_kafka_AdminOptions_destroy': ([P], None),
        'rd_kafka_AdminOptions_set_request_timeout': ([P, c_int] + errbuf, c_int),
        'rd_kafka_AdminOptions_set_validate_only': ([P, c_int] + errbuf, c_int),
        'rd_kafka_AdminOptions_set_include_authorized_operations': ([P, c_int], P),
        'rd_kafka_Node_id': ([P], c_int),
        'rd_kafka_Node_host': ([P], c_char_p),
        'rd_kafka_Node_port': ([P], c_uint16),
        'rd_kafka_Node_rack': ([P], c_char_p),
        'rd_kafka_DescribeCluster': ([P, P, P], None),
        'rd_kafka_event_DescribeCluster_result': ([P], P),
        'rd_kafka_DescribeCluster_result_nodes': ([P, POINTER(c_size_t)], POINTER(P)),
        'rd_kafka_DescribeCluster_result_controller': ([P], P),
        'rd_kafka_DescribeCluster_result_cluster_id': ([P], c_char_p),
        'rd_kafka_DescribeCluster_result_authorized_operations': ([P, POINTER(c_size_t)], POINTER(c_int)),
        'rd_kafka_topic_partition_list_new': ([c_int], P),
        'rd_kafka_topic_partition_list_add': ([P, c_char_p, c_int32], P),
        'rd_kafka_topic_partition_list_destroy': ([P], None),
        'rd_kafka_ElectLeaders_new': ([c_int, P], P),
        'rd_kafka_ElectLeaders_destroy': ([P], None),
        'rd_kafka_ElectLeaders': ([P, P, P, P], None),
        'rd_kafka_event_ElectLeaders_result': ([P], P),
        'rd_kafka_ElectLeaders_result_partitions': ([P, POINTER(c_size_t)], POINTER(P)),
        'rd_kafka_topic_partition_result_partition': ([P], POINTER(TopicPartition)),
        'rd_kafka_topic_partition_result_error': ([P], P),
        'rd_kafka_ConfigResource_new': ([c_int, c_char_p], P),
        'rd_kafka_ConfigResource_destroy': ([P], None),
        'rd_kafka_ConfigResource_set_config': ([P, c_char_p, c_char_p], c_int),
        'rd_kafka_ConfigResource_add_incremental_config': ([P, c_char_p, c_int, c_char_p], P),
        'rd_kafka_ConfigResource_configs': ([P, POINTER(c_size_t)], POINTER(P)),
        'rd_kafka_ConfigResource_type': ([P], c_int),
        'rd_kafka_ConfigResource_name': ([P], c_char_p),
        'rd_kafka_ConfigResource_error': ([P], c_int),
        'rd_kafka_ConfigResource_error_string': ([P], c_char_p),
        'rd_kafka_IncrementalAlterConfigs': ([P, POINTER(P), c_size_t, P, P], None),
        'rd_kafka_event_IncrementalAlterConfigs_result': ([P], P),
        'rd_kafka_IncrementalAlterConfigs_result_resources': ([P, POINTER(c_size_t)], POINTER(P)),
        'rd_kafka_DescribeConfigs': ([P, POINTER(P), c_size_t, P, P], None),
        'rd_kafka_event_DescribeConfigs_result': ([P], P),
        'rd_kafka_DescribeConfigs_result_resources': ([P, POINTER(c_size_t)], POINTER(P)),
        'rd_kafka_ConfigEntry_name': ([P], c_char_p),
        'rd_kafka_ConfigEntry_value': ([P], c_char_p),
        'rd_kafka_ConfigEntry_source': ([P], c_int),
        'rd_kafka_ConfigEntry_is_default': ([P], c_int),
        'rd_kafka_ConfigEntry_is_read_only': ([P], c_int),
        'rd_kafka_ConfigEntry_is_sensitive': ([P], c_int),
        'rd_kafka_ConfigEntry_synonyms': ([P, POINTER(c_size_t)], POINTER(P)),
        'rd_kafka_ConfigSource_name': ([c_int], c_char_p),
    }
    for name, (argtypes, restype) in signatures.items():
        fn = getattr(lib, name)
        fn.argtypes = argtypes
        fn.restype = restype
    return lib


def lookup(table, key, what):
    if key not in table:
        raise Failure(f'unknown {what} {key!r}: one of {", ".join(map(str, table))}')
    return table[key]


def text(b):
    return None if b is None else b.decode('utf-8', 'replace')


def enc(s):
    return None if s is None else s.encode('utf-8')


class Admin:
    """A producer-type handle (admin calls need no other) and the queue its results arrive on."""

    def __init__(self, lib, bootstrap):
        self.lib = lib
        self.errstr = ctypes.create_string_buffer(512)
        conf = lib.rd_kafka_conf_new()
        for k, v in (('bootstrap.servers', bootstrap), ('log_level', '3'), ('socket.timeout.ms', str(REQUEST_TIMEOUT_MS))):
            if lib.rd_kafka_conf_set(conf, enc(k), enc(v), self.errstr, len(self.errstr)) != RD_KAFKA_CONF_OK:
                lib.rd_kafka_conf_destroy(conf)
                raise Failure(f'rd_kafka_conf_set {k}: {text(self.errstr.value)}')
        self.rk = lib.rd_kafka_new(RD_KAFKA_PRODUCER, conf, self.errstr, len(self.errstr))
        if not self.rk:
            lib.rd_kafka_conf_destroy(conf)  # not taken over when rd_kafka_new fails
            raise Failure(f'rd_kafka_new: {text(self.errstr.value)}')
        self.queue = lib.rd_kafka_queue_new(self.rk)

    def close(self):
        self.lib.rd_kafka_queue_destroy(self.queue)
        self.lib.rd_kafka_destroy(self.rk)

    def options(self, op, validate_only=False):
        lib = self.lib
        opts = lib.rd_kafka_AdminOptions_new(self.rk, op)
        if not opts:
            raise Failure(f'rd_kafka_AdminOptions_new({op}) returned NULL')
        if lib.rd_kafka_AdminOptions_set_request_timeout(opts, REQUEST_TIMEOUT_MS, self.errstr, len(self.errstr)) != 0:
            lib.rd_kafka_AdminOptions_destroy(opts)
            raise Failure(f'set_request_timeout: {text(self.errstr.value)}')
        if validate_only and lib.rd_kafka_AdminOptions_set_validate_only(opts, 1, self.errstr, len(self.errstr)) != 0:
            lib.rd_kafka_AdminOptions_destroy(opts)
            raise Failure(f'set_validate_only: {text(self.errstr.value)}')
        return opts

    def result(self, expected_type):
        """The next event on the queue, which must be of `expected_type`; the caller destroys it."""
        ev = self.lib.rd_kafka_queue_poll(self.queue, POLL_TIMEOUT_MS)
        if not ev:
            raise Failure(f'no result within {POLL_TIMEOUT_MS} ms')
        kind = self.lib.rd_kafka_event_type(ev)
        if kind != expected_type:
            self.lib.rd_kafka_event_destroy(ev)
            raise Failure(f'an event of type {kind}, not the expected {expected_type}')
        return ev

    def event_error(self, ev):
        code = self.lib.rd_kafka_event_error(ev)
        if code == 0:
            return None
        return {'code': code, 'name': text(self.lib.rd_kafka_err2name(code)), 'text': text(self.lib.rd_kafka_event_error_string(ev))}

    def error_object(self, err):
        """An rd_kafka_error_t (not destroyed: the result owns it)."""
        if not err:
            return None
        code = self.lib.rd_kafka_error_code(err)
        if code == 0:
            return None
        return {'code': code, 'name': text(self.lib.rd_kafka_err2name(code)), 'text': text(self.lib.rd_kafka_error_string(err))}

    def node(self, n):
        if not n:
            return None
        lib = self.lib
        return {'id': lib.rd_kafka_Node_id(n), 'host': text(lib.rd_kafka_Node_host(n)), 'port': lib.rd_kafka_Node_port(n), 'rack': text(lib.rd_kafka_Node_rack(n))}

    # ---- commands ------------------------------------------------------------------------------

    def describe_cluster(self, req):
        lib = self.lib
        opts = self.options(ADMIN_OP_DESCRIBECLUSTER)
        try:
            if req.get('include_authorized_operations'):
                err = lib.rd_kafka_AdminOptions_set_include_authorized_operations(opts, 1)
                if err:
                    msg = text(lib.rd_kafka_error_string(err))
                    lib.rd_kafka_error_destroy(err)
                    raise Failure(f'set_include_authorized_operations: {msg}')
            lib.rd_kafka_DescribeCluster(self.rk, opts, self.queue)
        finally:
            lib.rd_kafka_AdminOptions_destroy(opts)
        ev = self.result(EVENT_DESCRIBECLUSTER_RESULT)
        try:
            out = {'error': self.event_error(ev), 'cluster_id': None, 'controller': None, 'nodes': [], 'authorized_operations': None}
            if out['error'] is not None:
                return out
            res = lib.rd_kafka_event_DescribeCluster_result(ev)
            cnt = c_size_t(0)
            nodes = lib.rd_kafka_DescribeCluster_result_nodes(res, ctypes.byref(cnt))
            out['nodes'] = [self.node(nodes[i]) for i in range(cnt.value)]
            out['controller'] = self.node(lib.rd_kafka_DescribeCluster_result_controller(res))
            out['cluster_id'] = text(lib.rd_kafka_DescribeCluster_result_cluster_id(res))
            ops_cnt = c_size_t(0)
            ops = lib.rd_kafka_DescribeCluster_result_authorized_operations(res, ctypes.byref(ops_cnt))
            if ops:
                out['authorized_operations'] = sorted(ops[i] for i in range(ops_cnt.value))
            return out
        finally:
            lib.rd_kafka_event_destroy(ev)

    def elect_leaders(self, req):
        lib = self.lib
        election = lookup(ELECTION_TYPES, req.get('type'), 'election type')
        parts = None
        if req.get('partitions') is not None:
            parts = lib.rd_kafka_topic_partition_list_new(len(req['partitions']))
            for topic, partition in req['partitions']:
                lib.rd_kafka_topic_partition_list_add(parts, enc(topic), partition)
        elect = lib.rd_kafka_ElectLeaders_new(election, parts)  # copies the list
        if parts is not None:
            lib.rd_kafka_topic_partition_list_destroy(parts)
        if not elect:
            raise Failure(f'rd_kafka_ElectLeaders_new refused election type {election}')
        try:
            opts = self.options(ADMIN_OP_ELECTLEADERS)
            try:
                lib.rd_kafka_ElectLeaders(self.rk, elect, opts, self.queue)
            finally:
                lib.rd_kafka_AdminOptions_destroy(opts)
        finally:
            lib.rd_kafka_ElectLeaders_destroy(elect)
        ev = self.result(EVENT_ELECTLEADERS_RESULT)
        try:
            out = {'error': self.event_error(ev), 'partitions': []}
            if out['error'] is not None:
                return out
            res = lib.rd_kafka_event_ElectLeaders_result(ev)
            cnt = c_size_t(0)
            results = lib.rd_kafka_ElectLeaders_result_partitions(res, ctypes.byref(cnt))
            for i in range(cnt.value):
                tp = lib.rd_kafka_topic_partition_result_partition(results[i]).contents
                err = self.error_object(lib.rd_kafka_topic_partition_result_error(results[i]))
                out['partitions'].append({'topic': text(tp.topic), 'partition': tp.partition, 'error': err})
            return out
        finally:
            lib.rd_kafka_event_destroy(ev)

    def resources(self, specs, incremental):
        """ConfigResource objects for `specs`; the caller destroys them."""
        lib = self.lib
        made = []
        try:
            for spec in specs:
                r = lib.rd_kafka_ConfigResource_new(lookup(RESOURCE_TYPES, spec['type'], 'resource type'), enc(spec['name']))
                if not r:
                    raise Failure(f'rd_kafka_ConfigResource_new refused {spec["type"]} {spec["name"]!r}')
                made.append(r)
                if incremental:
                    for name, op, value in spec['ops']:
                        err = lib.rd_kafka_ConfigResource_add_incremental_config(r, enc(name), lookup(ALTER_OPS, op, 'operation'), enc(value))
                        if err:
                            msg = text(lib.rd_kafka_error_string(err))
                            lib.rd_kafka_error_destroy(err)
                            raise Failure(f'add_incremental_config {name} {op} {value!r}: {msg}')
                else:
                    # only the names go on the wire; librdkafka wants a value all the same
                    for name in spec.get('names') or []:
                        if lib.rd_kafka_ConfigResource_set_config(r, enc(name), b'') != 0:
                            raise Failure(f'rd_kafka_ConfigResource_set_config {name}')
            return made
        except BaseException:
            for r in made:
                lib.rd_kafka_ConfigResource_destroy(r)
            raise

    def resource_head(self, r):
        lib = self.lib
        code = lib.rd_kafka_ConfigResource_error(r)
        err = None
        if code != 0:
            err = {'code': code, 'name': text(lib.rd_kafka_err2name(code)), 'text': text(lib.rd_kafka_ConfigResource_error_string(r))}
        kind = lib.rd_kafka_ConfigResource_type(r)
        return {'type': RESOURCE_NAMES.get(kind, kind), 'name': text(lib.rd_kafka_ConfigResource_name(r)), 'error': err}

    def configs_call(self, req, incremental):
        lib = self.lib
        made = self.resources(req['resources'], incremental)
        array = (c_void_p * len(made))(*made)
        try:
            if incremental:
                opts = self.options(ADMIN_OP_INCREMENTALALTERCONFIGS, bool(req.get('validate_only')))
                try:
                    lib.rd_kafka_IncrementalAlterConfigs(self.rk, array, len(made), opts, self.queue)
                finally:
                    lib.rd_kafka_AdminOptions_destroy(opts)
            else:
                opts = self.options(ADMIN_OP_DESCRIBECONFIGS)
                try:
                    lib.rd_kafka_DescribeConfigs(self.rk, array, len(made), opts, self.queue)
                finally:
                    lib.rd_kafka_AdminOptions_destroy(opts)
        finally:
            for r in made:  # the calls copy them
                lib.rd_kafka_ConfigResource_destroy(r)
        ev = self.result(EVENT_INCREMENTALALTERCONFIGS_RESULT if incremental else EVENT_DESCRIBECONFIGS_RESULT)
        try:
            out = {'error': self.event_error(ev), 'resources': []}
            if out['error'] is not None:
                return out
            cnt = c_size_t(0)
            if incremental:
                res = lib.rd_kafka_event_IncrementalAlterConfigs_result(ev)
                rs = lib.rd_kafka_IncrementalAlterConfigs_result_resources(res, ctypes.byref(cnt))
            else:
                res = lib.rd_kafka_event_DescribeConfigs_result(ev)
                rs = lib.rd_kafka_DescribeConfigs_result_resources(res, ctypes.byref(cnt))
            for i in range(cnt.value):
                head = self.resource_head(rs[i])
                if not incremental:
                    head['configs'] = self.entries(rs[i])
                out['resources'].append(head)
            return out
        finally:
            lib.rd_kafka_event_destroy(ev)

    def entries(self, r):
        lib = self.lib
        cnt = c_size_t(0)
        es = lib.rd_kafka_ConfigResource_configs(r, ctypes.byref(cnt))
        configs = {}
        for i in range(cnt.value):
            e = es[i]
            syn_cnt = c_size_t(0)
            syns = lib.rd_kafka_ConfigEntry_synonyms(e, ctypes.byref(syn_cnt))
            synonyms = []
            for j in range(syn_cnt.value if syns else 0):
                s = syns[j]
                synonyms.append([text(lib.rd_kafka_ConfigEntry_name(s)), text(lib.rd_kafka_ConfigEntry_value(s)), self.source(lib.rd_kafka_ConfigEntry_source(s))])
            configs[text(lib.rd_kafka_ConfigEntry_name(e))] = {
                'value': text(lib.rd_kafka_ConfigEntry_value(e)),
                'source': self.source(lib.rd_kafka_ConfigEntry_source(e)),
                'is_default': bool(lib.rd_kafka_ConfigEntry_is_default(e)),
                'read_only': bool(lib.rd_kafka_ConfigEntry_is_read_only(e)),
                'sensitive': bool(lib.rd_kafka_ConfigEntry_is_sensitive(e)),
                'synonyms': synonyms,
            }
        return configs

    def source(self, code):
        return text(self.lib.rd_kafka_ConfigSource_name(code))


def main(argv):
    if len(argv) < 3:
        raise Failure('usage: librdkafka_admin.py <command> <bootstrap> [<librdkafka.so.1>]')
    command, bootstrap = argv[1], argv[2]
    here = os.path.dirname(os.path.abspath(__file__))
    path = argv[3] if len(argv) > 3 else os.path.join(here, '..', '..', '..', 'node_modules', 'node-rdkafka', 'build', 'deps', 'librdkafka.so.1')
    try:
        lib = load(path)
    except (OSError, AttributeError) as e:
        raise Failure(f'cannot use {path}: {e}')
    if command == 'version':
        return {'version': text(lib.rd_kafka_version_str())}
    req = json.loads(sys.stdin.read() or '{}')
    admin = Admin(lib, bootstrap)
    try:
        if command == 'describe-cluster':
            return admin.describe_cluster(req)
        if command == 'elect-leaders':
            return admin.elect_leaders(req)
        if command == 'incremental-alter-configs':
            return admin.configs_call(req, incremental=True)
        if command == 'describe-configs':
            return admin.configs_call(req, incremental=False)
        raise Failure(f'unknown command {command}')
    finally:
        admin.close()


if __name__ == '__main__':
    try:
        print(json.dumps(main(sys.argv)))
    except Failure as e:
        print(f'librdkafka_admin.py: {e}', file=sys.stderr)
        sys.exit(1)
