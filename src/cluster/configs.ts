// Broker and topic configs under Kafka's names, types, defaults and ranges. Topic configs
// default to a broker config (their synonym), as in Kafka.
import { MIGRATION_POLICIES } from '../coordinator/group/consumer-group-classic.js';

export type ConfigType = 'boolean' | 'int' | 'short' | 'long' | 'double' | 'string' | 'list' | 'password';

export interface ConfigDef {
  name: string;
  type: ConfigType;
  /** Kafka's default as its string form; null for none. */
  default: string | null;
  doc: string;
  /** Checks a parsed value (for a list, each item); returns Kafka's complaint, or null when valid. */
  validate?: (value: ConfigValue) => string | null;
  /** For topic configs: the broker config whose value is the default. */
  brokerSynonym?: string;
}

export type ConfigValue = string | number | boolean | string[] | null;

export const LONG_MAX = '9223372036854775807';

// Kafka's ConfigDef.Range, ValidString and ValidList (which checks each item with ValidString and,
// in Kafka 4.1, accepts an empty list)
const atLeast = (min: number) => (v: ConfigValue) => (typeof v === 'number' && v < min ? `Value must be at least ${min}` : null);
const between = (min: number, max: number) => (v: ConfigValue) =>
  typeof v !== 'number' ? null : v < min ? `Value must be at least ${min}` : v > max ? `Value must be no more than ${max}` : null;
const oneOf = (...allowed: string[]) => (v: ConfigValue) => (allowed.includes(String(v)) ? null : `String must be one of: ${allowed.join(', ')}`);
/** CompressionType.GZIP.levelValidator(): 1 to 9, or -1 for the codec's default. */
const gzipLevel = (v: ConfigValue) =>
  typeof v === 'number' && (v > 9 || (v < 1 && v !== -1)) ? 'Value must be between 1 and 9 or equal to -1' : null;

const COMPRESSION_TYPES = ['uncompressed', 'zstd', 'lz4', 'snappy', 'gzip', 'producer'];

/** Topic configs (Kafka 4.1's TopicConfig), each defaulting to its broker synonym. */
export const TOPIC_CONFIGS: readonly ConfigDef[] = [
  { name: 'cleanup.policy', type: 'list', default: 'delete', brokerSynonym: 'log.cleanup.policy', validate: oneOf('compact', 'delete'), doc: 'Retention policy of old segments: "delete" and/or "compact"; empty: neither.' },
  { name: 'compression.type', type: 'string', default: 'producer', brokerSynonym: 'compression.type', validate: oneOf(...COMPRESSION_TYPES), doc: 'Final compression of the topic\'s data; "producer" keeps what the producer sent.' },
  { name: 'compression.gzip.level', type: 'int', default: '-1', brokerSynonym: 'compression.gzip.level', validate: gzipLevel, doc: 'Compression level when compression.type is gzip.' },
  { name: 'compression.lz4.level', type: 'int', default: '9', brokerSynonym: 'compression.lz4.level', validate: between(1, 17), doc: 'Compression level when compression.type is lz4.' },
  { name: 'compression.zstd.level', type: 'int', default: '3', brokerSynonym: 'compression.zstd.level', validate: between(-131072, 22), doc: 'Compression level when compression.type is zstd.' },
  { name: 'delete.retention.ms', type: 'long', default: '86400000', brokerSynonym: 'log.cleaner.delete.retention.ms', validate: atLeast(0), doc: 'How long tombstones are kept in compacted topics.' },
  { name: 'file.delete.delay.ms', type: 'long', default: '60000', brokerSynonym: 'log.segment.delete.delay.ms', validate: atLeast(0), doc: 'Delay before a deleted segment file is removed.' },
  { name: 'flush.messages', type: 'long', default: LONG_MAX, brokerSynonym: 'log.flush.interval.messages', validate: atLeast(1), doc: 'Messages written before the log is fsynced.' },
  { name: 'flush.ms', type: 'long', default: LONG_MAX, brokerSynonym: 'log.flush.interval.ms', validate: atLeast(0), doc: 'Milliseconds between fsyncs of the log.' },
  { name: 'follower.replication.throttled.replicas', type: 'list', default: '', doc: 'Replicas whose replication is throttled on the follower side.' },
  { name: 'index.interval.bytes', type: 'int', default: '4096', brokerSynonym: 'log.index.interval.bytes', validate: atLeast(0), doc: 'Bytes of log between offset index entries.' },
  { name: 'leader.replication.throttled.replicas', type: 'list', default: '', doc: 'Replicas whose replication is throttled on the leader side.' },
  { name: 'local.retention.bytes', type: 'long', default: '-2', brokerSynonym: 'log.local.retention.bytes', validate: atLeast(-2), doc: 'Bytes kept locally when tiered storage is enabled (-2: retention.bytes).' },
  { name: 'local.retention.ms', type: 'long', default: '-2', brokerSynonym: 'log.local.retention.ms', validate: atLeast(-2), doc: 'Time kept locally when tiered storage is enabled (-2: retention.ms).' },
  { name: 'max.compaction.lag.ms', type: 'long', default: LONG_MAX, brokerSynonym: 'log.cleaner.max.compaction.lag.ms', validate: atLeast(1), doc: 'Longest a message stays uncompacted.' },
  { name: 'max.message.bytes', type: 'int', default: '1048588', brokerSynonym: 'message.max.bytes', validate: atLeast(0), doc: 'Largest record batch the topic accepts.' },
  { name: 'message.timestamp.after.max.ms', type: 'long', default: '3600000', brokerSynonym: 'log.message.timestamp.after.max.ms', validate: atLeast(0), doc: 'How far in the future a CreateTime timestamp may be.' },
  { name: 'message.timestamp.before.max.ms', type: 'long', default: LONG_MAX, brokerSynonym: 'log.message.timestamp.before.max.ms', validate: atLeast(0), doc: 'How far in the past a CreateTime timestamp may be.' },
  { name: 'message.timestamp.type', type: 'string', default: 'CreateTime', brokerSynonym: 'log.message.timestamp.type', validate: oneOf('CreateTime', 'LogAppendTime'), doc: 'Whether record timestamps are the producer\'s (CreateTime) or the broker\'s (LogAppendTime).' },
  { name: 'min.cleanable.dirty.ratio', type: 'double', default: '0.5', brokerSynonym: 'log.cleaner.min.cleanable.ratio', validate: between(0, 1), doc: 'Dirty share of the log that triggers compaction.' },
  { name: 'min.compaction.lag.ms', type: 'long', default: '0', brokerSynonym: 'log.cleaner.min.compaction.lag.ms', validate: atLeast(0), doc: 'Shortest a message stays uncompacted.' },
  { name: 'min.insync.replicas', type: 'int', default: '1', brokerSynonym: 'min.insync.replicas', validate: atLeast(1), doc: 'In-sync replicas an acks=all produce needs.' },
  { name: 'preallocate', type: 'boolean', default: 'false', brokerSynonym: 'log.preallocate', doc: 'Preallocate segment files.' },
  { name: 'remote.log.copy.disable', type: 'boolean', default: 'false', doc: 'Stop copying segments to tiered storage.' },
  { name: 'remote.log.delete.on.disable', type: 'boolean', default: 'false', doc: 'Delete tiered data when tiered storage is disabled.' },
  { name: 'remote.storage.enable', type: 'boolean', default: 'false', doc: 'Tiered storage for this topic.' },
  { name: 'retention.bytes', type: 'long', default: '-1', brokerSynonym: 'log.retention.bytes', doc: 'Largest size a partition may grow to before old segments are deleted (-1: no limit).' },
  { name: 'retention.ms', type: 'long', default: '604800000', brokerSynonym: 'log.retention.ms', validate: atLeast(-1), doc: 'How long data is kept before old segments are deleted (-1: no limit).' },
  { name: 'segment.bytes', type: 'int', default: '1073741824', brokerSynonym: 'log.segment.bytes', validate: atLeast(1048576), doc: 'Size at which a segment file is rolled.' },
  { name: 'segment.index.bytes', type: 'int', default: '10485760', brokerSynonym: 'log.index.size.max.bytes', validate: atLeast(4), doc: 'Size of the offset index of a segment.' },
  { name: 'segment.jitter.ms', type: 'long', default: '0', brokerSynonym: 'log.roll.jitter.ms', validate: atLeast(0), doc: 'Random jitter subtracted from segment.ms.' },
  { name: 'segment.ms', type: 'long', default: '604800000', brokerSynonym: 'log.roll.ms', validate: atLeast(1), doc: 'Time after which a segment is rolled.' },
  { name: 'unclean.leader.election.enable', type: 'boolean', default: 'false', brokerSynonym: 'unclean.leader.election.enable', doc: 'Allow out-of-sync replicas to become leader.' },
];

/** Broker configs Samsa reads (Kafka's server.properties names). */
export const BROKER_CONFIGS: readonly ConfigDef[] = [
  { name: 'node.id', type: 'int', default: '0', validate: atLeast(0), doc: 'Id of this broker node.' },
  { name: 'listeners', type: 'list', default: 'PLAINTEXT://127.0.0.1:9092', doc: 'Listeners as NAME://host:port, each name mapped to a security protocol by listener.security.protocol.map.' },
  { name: 'advertised.listeners', type: 'list', default: null, doc: 'Addresses given to clients in Metadata; unset: the address each client connected to.' },
  { name: 'listener.security.protocol.map', type: 'list', default: 'PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL', doc: 'The security protocol of each listener name, as NAME:PROTOCOL.' },
  // security (src/security/): TLS, SASL, authorization; a listener's own value may be given as
  // listener.name.<listener lower-case>.<config> (and, for SASL, .<mechanism lower-case>.<config>)
  { name: 'ssl.keystore.type', type: 'string', default: 'JKS', validate: oneOf('JKS', 'PKCS12', 'PEM'), doc: 'Format of ssl.keystore.location: JKS, PKCS12 or PEM (key and certificate chain in one file).' },
  { name: 'ssl.keystore.location', type: 'string', default: null, doc: 'The key store file of SSL and SASL_SSL listeners.' },
  { name: 'ssl.keystore.password', type: 'password', default: null, doc: 'Password of the key store file (JKS, PKCS12).' },
  { name: 'ssl.key.password', type: 'password', default: null, doc: 'Password of the private key (in the key store, or an encrypted PEM key).' },
  { name: 'ssl.keystore.key', type: 'password', default: null, doc: 'The private key in PEM, given inline (ssl.keystore.type=PEM).' },
  { name: 'ssl.keystore.certificate.chain', type: 'password', default: null, doc: 'The certificate chain in PEM, given inline (ssl.keystore.type=PEM).' },
  { name: 'ssl.truststore.type', type: 'string', default: 'JKS', validate: oneOf('JKS', 'PKCS12', 'PEM'), doc: 'Format of ssl.truststore.location: JKS, PKCS12 or PEM.' },
  { name: 'ssl.truststore.location', type: 'string', default: null, doc: 'The trust store: certificates that client certificates are verified against.' },
  { name: 'ssl.truststore.password', type: 'password', default: null, doc: 'Password of the trust store file.' },
  { name: 'ssl.truststore.certificates', type: 'password', default: null, doc: 'Trusted certificates in PEM, given inline (ssl.truststore.type=PEM).' },
  { name: 'ssl.client.auth', type: 'string', default: 'none', validate: oneOf('required', 'requested', 'none'), doc: 'Client certificate authentication on SSL listeners: required, requested or none.' },
  { name: 'ssl.principal.mapping.rules', type: 'string', default: 'DEFAULT', doc: 'Rules mapping a client certificate\'s distinguished name to a principal name.' },
  { name: 'ssl.enabled.protocols', type: 'list', default: 'TLSv1.2,TLSv1.3', validate: oneOf('TLSv1.2', 'TLSv1.3'), doc: 'TLS versions the listeners accept.' },
  { name: 'ssl.cipher.suites', type: 'list', default: '', doc: 'Cipher suites allowed (OpenSSL or IANA names); empty: the TLS library\'s defaults.' },
  { name: 'sasl.enabled.mechanisms', type: 'list', default: 'GSSAPI', doc: 'SASL mechanisms of SASL listeners: PLAIN, SCRAM-SHA-256, SCRAM-SHA-512, OAUTHBEARER (GSSAPI, Kafka\'s default, is not built).' },
  { name: 'sasl.jaas.config', type: 'password', default: null, doc: 'JAAS login module of a SASL mechanism; give it per listener and mechanism as listener.name.<l>.<mechanism>.sasl.jaas.config (PlainLoginModule user_<name>="<password>" entries are the PLAIN users).' },
  { name: 'sasl.mechanism.inter.broker.protocol', type: 'string', default: 'GSSAPI', doc: 'Accepted for compatibility: Samsa\'s nodes share one process and do not talk to each other.' },
  { name: 'sasl.server.max.receive.size', type: 'int', default: '524288', validate: atLeast(1), doc: 'Largest frame accepted before a SASL client has authenticated.' },
  { name: 'connections.max.reauth.ms', type: 'long', default: '0', validate: atLeast(0), doc: 'Session lifetime of a SASL connection before it must re-authenticate (KIP-368); 0: no limit.' },
  { name: 'authorizer.class.name', type: 'string', default: '', doc: 'org.apache.kafka.metadata.authorizer.StandardAuthorizer turns ACL authorization on; empty: every request is allowed.' },
  { name: 'super.users', type: 'string', default: null, doc: 'Principals allowed everything, separated by ";" (User:admin;User:ops).' },
  { name: 'allow.everyone.if.no.acl.found', type: 'boolean', default: 'false', doc: 'Allow an operation on a resource that no ACL matches.' },
  { name: 'max.connections', type: 'int', default: '2147483647', validate: atLeast(0), doc: 'Connections a node accepts at once; more are closed as they arrive.' },
  { name: 'max.connections.per.ip', type: 'int', default: '2147483647', validate: atLeast(0), doc: 'Connections a node accepts at once from one IP address.' },
  { name: 'max.connections.per.ip.overrides', type: 'string', default: '', doc: 'Per-IP (or host) limits as host:count,host:count.' },
  { name: 'connections.max.idle.ms', type: 'long', default: '600000', doc: 'A connection idle this long is closed.' },
  { name: 'queued.max.request.bytes', type: 'long', default: '-1', doc: 'Bytes of requests read but not yet handled on a node; reading stops at this bound (-1: no bound).' },
  { name: 'broker.rack', type: 'string', default: null, doc: 'Rack of this node, reported in Metadata and DescribeCluster.' },
  { name: 'replica.fetch.wait.max.ms', type: 'int', default: '500', validate: atLeast(0), doc: 'Longest a follower fetch waits; Samsa\'s simulated followers catch up this long after a reassignment adds them.' },
  { name: 'log.dirs', type: 'string', default: null, doc: 'Data directory; unset: keep data in memory.' },
  { name: 'log.dir', type: 'string', default: null, doc: 'Data directory (log.dirs wins when both are set).' },
  { name: 'num.partitions', type: 'int', default: '1', validate: atLeast(1), doc: 'Partitions of a topic created without a count.' },
  { name: 'default.replication.factor', type: 'short', default: '1', validate: atLeast(1), doc: 'Replication factor of a topic created without one.' },
  { name: 'auto.create.topics.enable', type: 'boolean', default: 'true', doc: 'Create a topic when Metadata asks for one that does not exist.' },
  { name: 'delete.topic.enable', type: 'boolean', default: 'true', doc: 'Allow DeleteTopics.' },
  { name: 'message.max.bytes', type: 'int', default: '1048588', validate: atLeast(0), doc: 'Largest record batch the broker accepts.' },
  { name: 'socket.request.max.bytes', type: 'int', default: '104857600', validate: atLeast(1), doc: 'Largest request frame; a larger one closes the connection.' },
  { name: 'fetch.max.bytes', type: 'int', default: '57671680', validate: atLeast(1024), doc: 'Most bytes one Fetch response carries.' },
  { name: 'max.incremental.fetch.session.cache.slots', type: 'int', default: '1000', validate: atLeast(0), doc: 'Fetch sessions (KIP-227) the broker keeps.' },
  { name: 'min.insync.replicas', type: 'int', default: '1', validate: atLeast(1), doc: 'Default of the topic config min.insync.replicas.' },
  { name: 'compression.type', type: 'string', default: 'producer', validate: oneOf(...COMPRESSION_TYPES), doc: 'Default of the topic config compression.type.' },
  { name: 'log.message.timestamp.type', type: 'string', default: 'CreateTime', validate: oneOf('CreateTime', 'LogAppendTime'), doc: 'Default of the topic config message.timestamp.type.' },
  { name: 'log.message.timestamp.after.max.ms', type: 'long', default: '3600000', validate: atLeast(0), doc: 'Default of message.timestamp.after.max.ms.' },
  { name: 'log.message.timestamp.before.max.ms', type: 'long', default: LONG_MAX, validate: atLeast(0), doc: 'Default of message.timestamp.before.max.ms.' },
  { name: 'log.cleanup.policy', type: 'list', default: 'delete', validate: oneOf('compact', 'delete'), doc: 'Default of cleanup.policy.' },
  { name: 'log.retention.ms', type: 'long', default: '604800000', validate: atLeast(-1), doc: 'Default of retention.ms.' },
  { name: 'log.retention.bytes', type: 'long', default: '-1', doc: 'Default of retention.bytes.' },
  { name: 'log.segment.bytes', type: 'int', default: '1073741824', validate: atLeast(1048576), doc: 'Default of segment.bytes.' },
  { name: 'log.retention.check.interval.ms', type: 'long', default: '300000', validate: atLeast(1), doc: 'How often retention deletes old segments.' },
  { name: 'log.flush.offset.checkpoint.interval.ms', type: 'int', default: '60000', validate: atLeast(0), doc: 'How often the recovery points are checkpointed (disk mode).' },
  { name: 'log.roll.ms', type: 'long', default: '604800000', validate: atLeast(1), doc: 'Default of segment.ms.' },
  { name: 'log.roll.jitter.ms', type: 'long', default: '0', validate: atLeast(0), doc: 'Default of segment.jitter.ms.' },
  { name: 'log.index.interval.bytes', type: 'int', default: '4096', validate: atLeast(0), doc: 'Default of index.interval.bytes.' },
  { name: 'log.index.size.max.bytes', type: 'int', default: '10485760', validate: atLeast(4), doc: 'Default of segment.index.bytes.' },
  { name: 'log.flush.interval.messages', type: 'long', default: LONG_MAX, validate: atLeast(1), doc: 'Default of flush.messages.' },
  { name: 'log.flush.interval.ms', type: 'long', default: LONG_MAX, validate: atLeast(0), doc: 'Default of flush.ms.' },
  { name: 'log.cleaner.delete.retention.ms', type: 'long', default: '86400000', validate: atLeast(0), doc: 'Default of delete.retention.ms.' },
  { name: 'log.cleaner.min.cleanable.ratio', type: 'double', default: '0.5', validate: between(0, 1), doc: 'Default of min.cleanable.dirty.ratio.' },
  { name: 'log.cleaner.min.compaction.lag.ms', type: 'long', default: '0', validate: atLeast(0), doc: 'Default of min.compaction.lag.ms.' },
  { name: 'log.cleaner.max.compaction.lag.ms', type: 'long', default: LONG_MAX, validate: atLeast(1), doc: 'Default of max.compaction.lag.ms.' },
  { name: 'log.cleaner.enable', type: 'boolean', default: 'true', doc: 'Run the log cleaner, which compacts topics with cleanup.policy=compact.' },
  { name: 'log.cleaner.backoff.ms', type: 'long', default: '15000', validate: atLeast(0), doc: 'How long the log cleaner sleeps when no log needs cleaning.' },
  { name: 'log.cleaner.dedupe.buffer.size', type: 'long', default: '134217728', doc: 'Memory for the log cleaner\'s key-to-offset map, across all cleaner threads.' },
  { name: 'log.cleaner.io.buffer.size', type: 'int', default: '524288', validate: atLeast(0), doc: 'Memory for the log cleaner\'s read and write buffers, across all cleaner threads.' },
  { name: 'log.cleaner.threads', type: 'int', default: '1', validate: atLeast(0), doc: 'Background threads that clean logs.' },
  { name: 'log.segment.delete.delay.ms', type: 'long', default: '60000', validate: atLeast(0), doc: 'Default of file.delete.delay.ms.' },
  { name: 'log.preallocate', type: 'boolean', default: 'false', doc: 'Default of preallocate.' },
  { name: 'log.local.retention.ms', type: 'long', default: '-2', validate: atLeast(-2), doc: 'Default of local.retention.ms.' },
  { name: 'log.local.retention.bytes', type: 'long', default: '-2', validate: atLeast(-2), doc: 'Default of local.retention.bytes.' },
  { name: 'compression.gzip.level', type: 'int', default: '-1', doc: 'Default of compression.gzip.level.' },
  { name: 'compression.lz4.level', type: 'int', default: '9', validate: between(1, 17), doc: 'Default of compression.lz4.level.' },
  { name: 'compression.zstd.level', type: 'int', default: '3', validate: between(-131072, 22), doc: 'Default of compression.zstd.level.' },
  { name: 'unclean.leader.election.enable', type: 'boolean', default: 'false', doc: 'Default of unclean.leader.election.enable.' },
  // the group coordinator
  { name: 'offsets.topic.num.partitions', type: 'int', default: '50', validate: atLeast(1), doc: 'Partitions of __consumer_offsets (fixed once the topic exists).' },
  { name: 'offsets.topic.replication.factor', type: 'short', default: '3', validate: atLeast(1), doc: 'Replication factor of __consumer_offsets; Samsa caps it at the number of nodes where Kafka would refuse to create the topic.' },
  { name: 'offsets.topic.segment.bytes', type: 'int', default: '104857600', validate: atLeast(1048576), doc: 'segment.bytes of __consumer_offsets (at least 1 MiB, as every topic\'s).' },
  { name: 'offsets.retention.minutes', type: 'int', default: '10080', validate: atLeast(1), doc: 'How long the committed offsets of an empty group (or a group outside group management) are kept.' },
  { name: 'offsets.retention.check.interval.ms', type: 'long', default: '600000', validate: atLeast(1), doc: 'How often expired offsets are removed.' },
  { name: 'offset.metadata.max.bytes', type: 'int', default: '4096', doc: 'Longest metadata string an offset commit may carry.' },
  // the transaction coordinator
  { name: 'transaction.max.timeout.ms', type: 'int', default: '900000', validate: atLeast(1), doc: 'Longest transaction.timeout.ms a transactional producer may ask for (else INVALID_TRANSACTION_TIMEOUT).' },
  { name: 'transaction.state.log.num.partitions', type: 'int', default: '50', validate: atLeast(1), doc: 'Partitions of __transaction_state (fixed once the topic exists).' },
  { name: 'transaction.state.log.replication.factor', type: 'short', default: '3', validate: atLeast(1), doc: 'Replication factor of __transaction_state; Samsa caps it at the number of nodes where Kafka would refuse to create the topic.' },
  { name: 'transaction.state.log.min.isr', type: 'int', default: '2', validate: atLeast(1), doc: 'min.insync.replicas of __transaction_state (capped at its replication factor).' },
  { name: 'transaction.state.log.segment.bytes', type: 'int', default: '104857600', validate: atLeast(1048576), doc: 'segment.bytes of __transaction_state.' },
  { name: 'transaction.partition.verification.enable', type: 'boolean', default: 'true', doc: 'Whether a transactional batch is refused unless its partition was added to the transaction (KIP-890).' },
  { name: 'transaction.abort.timed.out.transaction.cleanup.interval.ms', type: 'int', default: '10000', validate: atLeast(1), doc: 'How often transactions open longer than their transaction.timeout.ms are aborted.' },
  { name: 'transactional.id.expiration.ms', type: 'int', default: '604800000', validate: atLeast(1), doc: 'How long a transactional id with no transaction open is kept after its last state change; then it is removed (and its next InitProducerId gets a new producer id).' },
  { name: 'transaction.remove.expired.transaction.cleanup.interval.ms', type: 'int', default: '3600000', validate: atLeast(1), doc: 'How often transactional ids past transactional.id.expiration.ms are removed.' },
  { name: 'producer.id.expiration.ms', type: 'int', default: '86400000', validate: atLeast(1), doc: 'How long an idempotent producer\'s sequence state is kept after its last write to a partition (by the batch timestamp).' },
  { name: 'producer.id.expiration.check.interval.ms', type: 'int', default: '600000', validate: atLeast(1), doc: 'How often expired producer state is removed.' },
  { name: 'group.min.session.timeout.ms', type: 'int', default: '6000', doc: 'Shortest session timeout a classic-group member may ask for.' },
  { name: 'group.max.session.timeout.ms', type: 'int', default: '1800000', doc: 'Longest session timeout a classic-group member may ask for.' },
  { name: 'group.initial.rebalance.delay.ms', type: 'int', default: '0', doc: 'How long the first rebalance of an empty classic group waits for more members (Kafka: 3000; Samsa: 0, so a test\'s consumer starts at once).' },
  { name: 'group.classic.max.size', type: 'int', default: '2147483647', validate: atLeast(1), doc: 'Most members a classic group may have.' },
  { name: 'group.consumer.session.timeout.ms', type: 'int', default: '45000', validate: atLeast(1), doc: 'Session timeout of consumer-group (KIP-848) members: a member not heartbeating for this long is fenced.' },
  { name: 'group.consumer.min.session.timeout.ms', type: 'int', default: '45000', validate: atLeast(1), doc: 'Lower bound of group.consumer.session.timeout.ms.' },
  { name: 'group.consumer.max.session.timeout.ms', type: 'int', default: '60000', validate: atLeast(1), doc: 'Upper bound of group.consumer.session.timeout.ms.' },
  { name: 'group.consumer.heartbeat.interval.ms', type: 'int', default: '5000', validate: atLeast(1), doc: 'Heartbeat interval the coordinator gives consumer-group (KIP-848) members.' },
  { name: 'group.consumer.min.heartbeat.interval.ms', type: 'int', default: '5000', validate: atLeast(1), doc: 'Lower bound of group.consumer.heartbeat.interval.ms.' },
  { name: 'group.consumer.max.heartbeat.interval.ms', type: 'int', default: '15000', validate: atLeast(1), doc: 'Upper bound of group.consumer.heartbeat.interval.ms.' },
  { name: 'group.consumer.max.size', type: 'int', default: '2147483647', validate: atLeast(1), doc: 'Most members a consumer group (KIP-848) may have.' },
  { name: 'group.consumer.migration.policy', type: 'string', default: 'bidirectional', validate: v => ((MIGRATION_POLICIES as readonly string[]).includes(String(v).toLowerCase()) ? null : `String must be one of (case insensitive): ${MIGRATION_POLICIES.join(', ')}`), doc: 'Online conversion of groups with members: upgrade (a classic group using the consumer protocol becomes a consumer group when a KIP-848 member joins), downgrade (a consumer group whose last KIP-848 member leaves becomes a classic group), bidirectional, or disabled. Empty groups are always converted.' },
  { name: 'group.consumer.assignors', type: 'list', default: 'uniform,range', validate: oneOf('uniform', 'range'), doc: 'Server-side assignors of consumer groups (KIP-848), by name; the first is the default.' },
  // client quotas
  { name: 'quota.window.num', type: 'int', default: '11', validate: atLeast(1), doc: 'The number of samples to retain in memory for client quotas.' },
  { name: 'quota.window.size.seconds', type: 'int', default: '1', validate: atLeast(1), doc: 'The time span of each sample for client quotas.' },
];

const TOPIC_DEFS = new Map(TOPIC_CONFIGS.map(d => [d.name, d]));
const BROKER_DEFS = new Map(BROKER_CONFIGS.map(d => [d.name, d]));

export function topicConfigDef(name: string): ConfigDef | undefined {
  return TOPIC_DEFS.get(name);
}

export function brokerConfigDef(name: string): ConfigDef | undefined {
  return BROKER_DEFS.get(name);
}

/** Java's Double.parseDouble grammar, decimal form (hexadecimal floats are not accepted here). */
const JAVA_DOUBLE = /^[+-]?(NaN|Infinity|(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?[fFdD]?)$/;

/** A double as Java's Double.toString writes it (Kafka names parsed values so in its complaints). */
export function javaDouble(n: number): string {
  if (!Number.isFinite(n)) return Number.isNaN(n) ? 'NaN' : n > 0 ? 'Infinity' : '-Infinity';
  if (n === 0) return Object.is(n, -0) ? '-0.0' : '0.0';
  const abs = Math.abs(n);
  if (abs >= 1e-3 && abs < 1e7) {
    const s = String(n);
    return s.includes('.') ? s : `${s}.0`;
  }
  const [mantissa, exponent] = n.toExponential().split('e') as [string, string];
  return `${mantissa.includes('.') ? mantissa : `${mantissa}.0`}E${exponent.replace('+', '')}`;
}

/** Parses a config's string form to its typed value, or returns Kafka's complaint. */
export function parseConfigValue(def: ConfigDef, raw: string | null): { value: ConfigValue } | { error: string } {
  if (raw === null) return { value: null };
  const text = raw.trim();
  // a parse failure names the value as given; a validator's complaint names the parsed value
  // (ConfigDef.parseType, then the validator's ConfigException)
  const bad = (shown: string, what: string) => ({ error: `Invalid value ${shown} for configuration ${def.name}: ${what}` });
  let value: ConfigValue;
  let shown = text;
  switch (def.type) {
    case 'boolean':
      if (!/^(true|false)$/i.test(text)) return bad(raw, 'Expected value to be either true or false');
      value = text.toLowerCase() === 'true';
      break;
    case 'int':
    case 'short':
    case 'long': {
      if (!/^[+-]?\d+$/.test(text)) return bad(raw, `Not a number of type ${def.type.toUpperCase()}`);
      // compared as BigInt: as doubles, 2^63 and a little more round to Long.MAX_VALUE
      const n = BigInt(text);
      const limit = def.type === 'short' ? 32767n : def.type === 'int' ? 2147483647n : 9223372036854775807n;
      if (n > limit || n < -limit - 1n) return bad(raw, `Not a number of type ${def.type.toUpperCase()}`);
      value = Number(n);
      shown = n.toString();
      break;
    }
    case 'double':
      // as Java parses it: NaN too, which passes Kafka's range checks (every comparison is false)
      if (!JAVA_DOUBLE.test(text)) return bad(raw, 'Not a number of type DOUBLE');
      value = Number(text.replace(/[fFdD]$/, ''));
      shown = javaDouble(value);
      break;
    case 'list':
      value = text === '' ? [] : text.split(',').map(s => s.trim());
      break;
    default:
      // Kafka trims STRING and PASSWORD values too
      value = text;
  }
  if (def.validate) {
    // a list's validator checks each item and names the one at fault (ConfigDef.ValidList)
    const checks: [ConfigValue, string][] = Array.isArray(value) ? value.map(item => [item, item]) : [[value, shown]];
    for (const [v, named] of checks) {
      const complaint = def.validate(v);
      if (complaint) return bad(named, complaint);
    }
  }
  return { value };
}

/**
 * Kafka's checks across a topic's configs (LogConfig.validate) that apply on a broker without
 * tiered storage. `effective` gives a config's value as text: set on the topic, else its broker
 * synonym, else the default, each already valid on its own. Returns Kafka's complaint, or null.
 */
export function topicConfigConflict(effective: (name: string) => string | null): string | null {
  const min = effective('min.compaction.lag.ms');
  const max = effective('max.compaction.lag.ms');
  // compared as BigInt: longs beyond 2^53 are not exact as doubles
  if (min !== null && max !== null && BigInt(min.trim()) > BigInt(max.trim())) {
    return `conflict topic config setting min.compaction.lag.ms (${BigInt(min.trim())}) > max.compaction.lag.ms (${BigInt(max.trim())})`;
  }
  // remote.log.storage.system.enable is false: Samsa has no tiered storage
  // (LogConfig.validateRemoteStorageOnlyIfSystemEnabled)
  if (effective('remote.storage.enable')?.trim().toLowerCase() === 'true') {
    return 'Tiered Storage functionality is disabled in the broker. Topic cannot be configured with remote log storage.';
  }
  return null;
}

/** Broker config as given by file and overrides: raw strings by Kafka name, read through typed getters. */
export class BrokerConfig {
  private readonly values = new Map<string, ConfigValue>();
  /** Every key as given, known or not (DescribeConfigs reports them as STATIC_BROKER_CONFIG). */
  private readonly texts = new Map<string, string>();
  /** Dynamic configs (AlterConfigs, IncrementalAlterConfigs), which win over the static ones. */
  private dynamic: DynamicBrokerValues | null = null;
  private dynamicNodeId = 0;

  /** Parses every known key; returns unknown keys for a warning, throws on invalid values. */
  constructor(raw: ReadonlyMap<string, string> | Record<string, string> = {}) {
    const entries = raw instanceof Map ? [...raw.entries()] : Object.entries(raw);
    this.unknown = [];
    for (const [name, text] of entries) {
      this.texts.set(name, text);
      const def = BROKER_DEFS.get(name);
      if (!def) {
        this.unknown.push(name);
        continue;
      }
      const parsed = parseConfigValue(def, text);
      if ('error' in parsed) throw new Error(parsed.error);
      this.values.set(name, parsed.value);
      this.explicit.add(name);
    }
  }

  readonly unknown: string[];
  private readonly explicit = new Set<string>();

  /**
   * Reads dynamic values from `source` from now on, for the node.id given at construction: the
   * node's own, else the cluster-wide default, else the static value (Kafka's order).
   */
  useDynamic(source: DynamicBrokerValues): void {
    this.dynamicNodeId = this.staticValue('node.id') as number;
    this.dynamic = source;
  }

  /** Set statically or dynamically (a default alone is not "set"). */
  isSet(name: string): boolean {
    return this.explicit.has(name) || this.dynamic?.dynamicValue(this.dynamicNodeId, name) !== undefined;
  }

  /** The value given at start (server.properties, --override, the embedding API), known config or not. */
  staticText(name: string): string | undefined {
    return this.texts.get(name);
  }

  /** Every key given at start with its text, in the order given. */
  staticEntries(): IterableIterator<[string, string]> {
    return this.texts.entries();
  }

  get(name: string): ConfigValue {
    if (this.dynamic !== null) {
      const v = this.dynamic.dynamicValue(this.dynamicNodeId, name);
      if (v !== undefined) return v;
    }
    return this.staticValue(name);
  }

  /** The value from the start-up configs or the default, whatever the dynamic configs say. */
  staticValue(name: string): ConfigValue {
    if (this.values.has(name)) return this.values.get(name)!;
    const def = BROKER_DEFS.get(name);
    if (!def) throw new Error(`unknown broker config ${name}`);
    const parsed = parseConfigValue(def, def.default);
    if ('error' in parsed) throw new Error(parsed.error);
    this.values.set(name, parsed.value);
    return parsed.value;
  }

  /** The string form of a config's value, as DescribeConfigs reports it. */
  raw(name: string): string | null {
    const v = this.get(name);
    if (v === null) return null;
    return Array.isArray(v) ? v.join(',') : String(v === Number(LONG_MAX) ? LONG_MAX : v);
  }

  int(name: string): number {
    return this.get(name) as number;
  }

  bool(name: string): boolean {
    return this.get(name) as boolean;
  }

  str(name: string): string | null {
    return this.get(name) as string | null;
  }
}

/**
 * Parses a server.properties text as java.util.Properties does: key=value, key:value or
 * key value; # and ! comment lines; a line ending in an odd number of backslashes continues on
 * the next (a comment line never does); backslash escapes (\t \n \r \f \uXXXX, and \x for x).
 */
export function parseProperties(text: string): Map<string, string> {
  const out = new Map<string, string>();
  const lines = text.split(/\r\n|\r|\n/);
  const leading = /^[ \t\f]+/;
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i]!.replace(leading, '');
    if (line === '' || line[0] === '#' || line[0] === '!') continue;
    while (endsInEscape(line)) {
      line = line.slice(0, -1);
      if (++i >= lines.length) break;
      line += lines[i]!.replace(leading, '');
    }
    // the key ends at the first unescaped '=', ':' or whitespace
    let k = 0;
    while (k < line.length && !/[=:\s]/.test(line[k]!)) k += line[k] === '\\' ? 2 : 1;
    let v = k;
    while (v < line.length && /[ \t\f]/.test(line[v]!)) v++;
    if (line[v] === '=' || line[v] === ':') v++;
    while (v < line.length && /[ \t\f]/.test(line[v]!)) v++;
    out.set(unescapeProperty(line.slice(0, Math.min(k, line.length))), unescapeProperty(line.slice(v)));
  }
  return out;
}

function endsInEscape(line: string): boolean {
  let n = 0;
  for (let i = line.length - 1; i >= 0 && line[i] === '\\'; i--) n++;
  return n % 2 === 1;
}

const ESCAPES: Record<string, string> = { t: '\t', n: '\n', r: '\r', f: '\f' };

function unescapeProperty(s: string): string {
  if (!s.includes('\\')) return s;
  return s.replace(/\\(u[0-9a-fA-F]{4}|.)/g, (_, c: string) =>
    c.length === 5 ? String.fromCharCode(parseInt(c.slice(1), 16)) : (ESCAPES[c] ?? c),
  );
}

// ---- dynamic configs ---------------------------------------------------------------------------

/** Where a BrokerConfig finds dynamic values (the cluster's DynamicConfigs). */
export interface DynamicBrokerValues {
  /** The parsed dynamic value of a broker config for `nodeId`: the node's own, else the cluster-wide default. */
  dynamicValue(nodeId: number, name: string): ConfigValue | undefined;
}

/**
 * The broker configs Samsa defines that Kafka 4.1 lets AlterConfigs change at run time
 * (DynamicBrokerConfig.ALL_DYNAMIC_CONFIGS), with how: for every broker and as the cluster-wide
 * default, or per broker only. Every other broker config is read-only.
 */
const DYNAMIC_UPDATE_MODES = new Map<string, 'cluster-wide' | 'per-broker'>();
for (const name of [
  // the broker synonyms of topic configs (DynamicLogConfig)
  ...TOPIC_CONFIGS.flatMap(d => (d.brokerSynonym ? [d.brokerSynonym] : [])),
  // the log cleaner (LogCleaner.ReconfigurableConfigs)
  'log.cleaner.threads', 'log.cleaner.dedupe.buffer.size', 'log.cleaner.io.buffer.size', 'log.cleaner.backoff.ms',
  // producer state (DynamicProducerStateManagerConfig)
  'producer.id.expiration.ms', 'transaction.partition.verification.enable',
]) DYNAMIC_UPDATE_MODES.set(name, 'cluster-wide');
// listeners (DynamicListenerConfig): per broker only
DYNAMIC_UPDATE_MODES.set('listeners', 'per-broker');
DYNAMIC_UPDATE_MODES.set('listener.security.protocol.map', 'per-broker');

/** How Kafka lets a broker config be changed at run time; undefined: read-only. */
export function dynamicUpdateMode(name: string): 'cluster-wide' | 'per-broker' | undefined {
  return DYNAMIC_UPDATE_MODES.get(name);
}

/** Client-metrics subscription configs (KIP-714, Kafka's ClientMetricsConfigs). */
export const CLIENT_METRICS_CONFIGS: readonly ConfigDef[] = [
  { name: 'metrics', type: 'list', default: '', doc: 'Prefixes of the metric names matching clients push; empty: none, "*": all.' },
  { name: 'interval.ms', type: 'int', default: '300000', doc: 'How often matching clients push their metrics, in milliseconds (100 to 3600000).' },
  { name: 'match', type: 'list', default: '', doc: 'Patterns name=regex a client must match, over client_instance_id, client_id, client_software_name, client_software_version, client_source_address and client_source_port; empty: every client.' },
];

const CLIENT_METRICS_DEFS = new Map(CLIENT_METRICS_CONFIGS.map(d => [d.name, d]));

export function clientMetricsConfigDef(name: string): ConfigDef | undefined {
  return CLIENT_METRICS_DEFS.get(name);
}

/** Kafka's DescribeConfigsResponse.ConfigType ids. */
export const CONFIG_TYPE_IDS: Readonly<Record<ConfigType, number>> = { boolean: 1, string: 2, int: 3, short: 4, long: 5, double: 6, list: 7, password: 9 };

/**
 * A valid config value as Kafka writes it back once parsed (ConfigDef.convertToString): trimmed,
 * numbers in their canonical form (longs exact, doubles as Java prints them), list items trimmed
 * and joined with ','.
 */
export function canonicalText(def: ConfigDef, raw: string | null): string | null {
  if (raw === null) return null;
  const text = raw.trim();
  switch (def.type) {
    case 'boolean':
      return text.toLowerCase();
    case 'int':
    case 'short':
    case 'long':
      return /^[+-]?\d+$/.test(text) ? BigInt(text).toString() : text;
    case 'double':
      return JAVA_DOUBLE.test(text) ? javaDouble(Number(text.replace(/[fFdD]$/, ''))) : text;
    case 'list':
      return text === '' ? '' : text.split(',').map(s => s.trim()).join(',');
    default:
      return text;
  }
}
