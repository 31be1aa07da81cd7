#!/usr/bin/env node
// Runs kafkajs's own integration specs (jest, from a checkout of github.com/tulios/kafkajs)
// against Samsa, and records per-test results.
//
//   node compat/run-kafkajs.mjs --kafkajs /path/to/kafkajs [--specs all|broker|apiVersions,metadata,...]
//                               [--out compat/results/kafkajs-<name>.json]
//
// What it does, in order: installs the checkout's devDependencies when missing; builds Samsa
// when dist/ is older than src/; starts Samsa where the suite expects its three brokers
// (PLAINTEXT localhost:9092/9095/9098, SSL 9093/9096/9099, SASL_SSL 9094/9097/9100) with the broker
// configs of the suite's docker-compose files, its certificates, its JAAS users and its SCRAM user;
// runs jest on the chosen spec files with the suite's environment (once more with
// OAUTHBEARER_ENABLED=1 for the "oauthbearer:" specs, as the suite's test:group:oauthbearer does);
// stops the Samsa process it started (by its PID, nothing else); writes a JSON results file and a
// markdown summary beside it. Tests listed in compat/EXCLUDED.md still run; their outcome is
// recorded as "excluded" with the reason given there.
// Only Node built-ins are used, so this runs before `npm install` of anything but the checkout.
import { spawn, spawnSync } from 'node:child_process';
import dns from 'node:dns/promises';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const SAMSA_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const EXCLUDED_MD = path.join(SAMSA_ROOT, 'compat', 'EXCLUDED.md');

// The spec sets this runner knows by name. A name not listed here is looked up as
// src/**/__tests__/<name>.spec.js in the checkout; a value with a '/' is a path in the checkout.
const SPECS = {
  apiVersions: 'src/broker/__tests__/apiVersions.spec.js',
  metadata: 'src/broker/__tests__/metadata.spec.js',
  produce: 'src/broker/__tests__/produce.spec.js',
  fetch: 'src/broker/__tests__/fetch.spec.js',
  listOffsets: 'src/broker/__tests__/listOffsets.spec.js',
  createTopics: 'src/broker/__tests__/createTopics.spec.js',
  deleteTopics: 'src/broker/__tests__/deleteTopics.spec.js',
  findGroupCoordinator: 'src/broker/__tests__/findGroupCoordinator.spec.js',
  joinGroup: 'src/broker/__tests__/joinGroup.spec.js',
  syncGroup: 'src/broker/__tests__/syncGroup.spec.js',
  heartbeat: 'src/broker/__tests__/heartbeat.spec.js',
  leaveGroup: 'src/broker/__tests__/leaveGroup.spec.js',
  offsetCommit: 'src/broker/__tests__/offsetCommit.spec.js',
  offsetFetch: 'src/broker/__tests__/offsetFetch.spec.js',
  describeGroups: 'src/broker/__tests__/describeGroups.spec.js',
  'admin/describeGroups': 'src/admin/__tests__/describeGroups.spec.js',
  'admin/listGroups': 'src/admin/__tests__/listGroups.spec.js',
  'admin/deleteGroups': 'src/admin/__tests__/deleteGroups.spec.js',
  'admin/fetchOffsets': 'src/admin/__tests__/fetchOffsets.spec.js',
  'admin/resetOffsets': 'src/admin/__tests__/resetOffsets.spec.js',
  'admin/setOffsets': 'src/admin/__tests__/setOffsets.spec.js',
  initProducerId: 'src/broker/__tests__/initProducerId.spec.js',
  addPartitionsToTxn: 'src/broker/__tests__/addPartitionsToTxn.spec.js',
  addOffsetsToTxn: 'src/broker/__tests__/addOffsetsToTxn.spec.js',
  endTxn: 'src/broker/__tests__/endTxn.spec.js',
  txnOffsetCommit: 'src/broker/__tests__/txnOffsetCommit.spec.js',
  'producer/idempotentProduceMessages': 'src/producer/__tests__/idempotentProduceMessages.spec.js',
  'producer/concurrentTransaction': 'src/producer/__tests__/concurrentTransaction.spec.js',
  // A consumer spec that talks to a broker but needs transactions, so it is in the "transactions" set only.
  'consumer/controlBatches': 'src/consumer/__tests__/controlBatches.spec.js',
};
// kafkajs's consumer specs that talk to a broker (but controlBatches, which is above with the transactions
// specs). consumerGroup only uses mocks, but stays in the set it has always been in.
const CONSUMER_SPECS = [
  'assignerProtocolIntegration', 'assignmentForUnsubscribedTopic', 'commitOffsets', 'connection', 'consumeMessages', 'consumerGroup',
  'describeGroup', 'emptyAssignment', 'errorRecovery', 'handlerErrorRecovery', 'index', 'instrumentationEvents', 'logger',
  'misconfiguration', 'pause', 'rebalanceOnPartitionChange', 'seek', 'subscribe',
];
for (const n of CONSUMER_SPECS) SPECS[`consumer/${n}`] = `src/consumer/__tests__/${n}.spec.js`;
// kafkajs's admin specs but the ACL ones ("acl" set) and those in the "groups" set.
const ADMIN_SPECS = [
  'alterConfigs', 'alterPartitionReassignments', 'connection', 'createPartitions', 'createTopics', 'deleteTopicRecords',
  'deleteTopics', 'describeCluster', 'describeConfigs', 'fetchTopicMetadata', 'fetchTopicOffsets',
  'fetchTopicOffsetsByTimestamp', 'listPartitionReassignments', 'listTopics',
];
for (const n of ADMIN_SPECS) SPECS[`admin/${n}`] = `src/admin/__tests__/${n}.spec.js`;
SPECS['admin/index'] = 'src/admin/index.spec.js';
// kafkajs's cluster specs (metadata, leaders, coordinators and offsets across the suite's brokers).
const CLUSTER_SPECS = [
  'addMultipleTargetTopics', 'addTargetTopic', 'brokerPool', 'committedOffsets', 'connectionPoolBuilder', 'fetchTopicsOffset',
  'findBroker', 'findControllerBroker', 'findGroupCoordinator', 'findLeaderForPartitions', 'findTopicPartitionMetadata', 'metadata',
];
for (const n of CLUSTER_SPECS) SPECS[`cluster/${n}`] = `src/cluster/__tests__/${n}.spec.js`;
// broker specs of the admin APIs, of connecting (PLAINTEXT, SSL and SASL_SSL), of re-authentication and of ACLs
for (const n of [
  'alterConfigs', 'describeConfigs', 'alterPartitionReassignments', 'listPartitionReassignments', 'deleteRecords', 'connect', 'disconnect',
  'fetchPartitionAllocation', 'reauthenticate', 'createAcls', 'describeAcls', 'deleteAcls',
]) {
  SPECS[n] = `src/broker/__tests__/${n}.spec.js`;
}
for (const n of ['createAcls', 'describeAcls', 'deleteAcls']) SPECS[`admin/${n}`] = `src/admin/__tests__/${n}.spec.js`;
// the producer specs that talk to a broker (the others in src/producer are unit tests)
for (const n of ['index', 'compression']) SPECS[`producer/${n}`] = `src/producer/${n}.spec.js`;
SPECS['producer/producingToInvalidTopic'] = 'src/producer/__tests__/producingToInvalidTopic.spec.js';
// the connection specs of src/network that talk to a broker (PLAINTEXT and SSL)
for (const n of ['connection', 'connectionPool']) SPECS[`network/${n}`] = `src/network/${n}.spec.js`;

// The specs of the suite's SASL tests, as its package.json's "test:group:oauthbearer" script lists them
// (read from the checkout; this list is used where that script is missing). Their tests iterate
// testHelpers' saslEntries: PLAIN, SCRAM-SHA-256 and SCRAM-SHA-512, or, with OAUTHBEARER_ENABLED=1,
// OAUTHBEARER alone. The "sasl" set runs them without it, the "oauthbearer" set with it.
const SASL_SPECS = ['producer/index', 'connect', 'consumer/connection', 'disconnect', 'admin/connection', 'reauthenticate'];
// A spec name with this prefix runs in a second jest run with OAUTHBEARER_ENABLED=1.
const OAUTHBEARER_PREFIX = 'oauthbearer:';
const OAUTHBEARER_ENV = { OAUTHBEARER_ENABLED: '1' };

const SETS = {
  broker: ['apiVersions', 'metadata', 'produce', 'fetch', 'listOffsets', 'createTopics', 'deleteTopics'],
  groups: [
    'findGroupCoordinator', 'joinGroup', 'syncGroup', 'heartbeat', 'leaveGroup', 'offsetCommit', 'offsetFetch', 'describeGroups',
    'admin/describeGroups', 'admin/listGroups', 'admin/deleteGroups', 'admin/fetchOffsets', 'admin/resetOffsets', 'admin/setOffsets',
  ],
  consumer: CONSUMER_SPECS.map(n => `consumer/${n}`),
  admin: [
    ...ADMIN_SPECS.map(n => `admin/${n}`), 'admin/index',
    'alterConfigs', 'describeConfigs', 'alterPartitionReassignments', 'listPartitionReassignments', 'deleteRecords', 'connect', 'disconnect', 'fetchPartitionAllocation',
  ],
  cluster: CLUSTER_SPECS.map(n => `cluster/${n}`),
  // Transactions and idempotence: the transactional broker APIs, the idempotent and transactional
  // producer, and the consumer specs that read transactional data (control batches, read_committed).
  transactions: [
    'initProducerId', 'addPartitionsToTxn', 'addOffsetsToTxn', 'endTxn', 'txnOffsetCommit',
    'producer/idempotentProduceMessages', 'producer/concurrentTransaction',
    'consumer/controlBatches', 'consumer/consumeMessages',
  ],
  producer: ['producer/index', 'producer/compression', 'producer/producingToInvalidTopic', 'producer/idempotentProduceMessages', 'producer/concurrentTransaction'],
  // CreateAcls, DescribeAcls, DeleteAcls, and clients of the users the ACLs name (SASL PLAIN over SASL_SSL)
  acl: ['createAcls', 'describeAcls', 'deleteAcls', 'admin/createAcls', 'admin/describeAcls', 'admin/deleteAcls'],
  network: ['network/connection', 'network/connectionPool'],
  sasl: SASL_SPECS,
  oauthbearer: SASL_SPECS.map(n => `${OAUTHBEARER_PREFIX}${n}`),
};
// Sets computed from the checkout (see checkoutSets): "unit", every spec file jest finds there that no
// set above names (they do not talk to a broker); "all", every spec file jest finds there (the whole
// suite, as its CI's broker, admin, producer, consumer and others groups run it) and the
// "oauthbearer" set.
const CHECKOUT_SETS = ['unit', 'all'];

// The suite's cluster (kafkajs testHelpers/index.js and docker-compose.2_4.yml): brokers 0, 1, 2
// with PLAINTEXT on 9092/9095/9098, SSL on 9093/9096/9099 and SASL_SSL on 9094/9097/9100, all
// advertised as "localhost" (the compose file's *_HOST listeners). Samsa runs the three nodes in
// one process (--nodes 3), each with its own three listeners.
const NODES = [
  { nodeId: 0, plaintextPort: 9092, sslPort: 9093, saslSslPort: 9094 },
  { nodeId: 1, plaintextPort: 9095, sslPort: 9096, saslSslPort: 9097 },
  { nodeId: 2, plaintextPort: 9098, sslPort: 9099, saslSslPort: 9100 },
];
const nodeListeners = (n, host) => `PLAINTEXT://${host}:${n.plaintextPort},SSL://${host}:${n.sslPort},SASL_SSL://${host}:${n.saslSslPort}`;
const nodePorts = n => [n.plaintextPort, n.sslPort, n.saslSslPort];

/**
 * The login module entries of one section of a JAAS file (`Section { module flag k="v" …; … };`),
 * each as { loginModule, text }, text being the entry on one line as Kafka's sasl.jaas.config
 * takes it.
 */
function jaasSection(file, section) {
  const source = fs.readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\/|\/\/[^\n]*/g, ' ');
  const tokens = source.match(/"(?:[^"\\]|\\.)*"|[{};=]|[^\s{};="]+/g) ?? [];
  for (let i = 0; i < tokens.length; i++) {
    if (tokens[i] !== section || tokens[i + 1] !== '{') continue;
    const entries = [];
    let j = i + 2;
    while (j < tokens.length && tokens[j] !== '}') {
      const words = [];
      while (j < tokens.length && tokens[j] !== ';') words.push(tokens[j++]);
      j++;
      const [loginModule, flag, ...options] = words;
      const pairs = [];
      for (let k = 0; k < options.length; k += 3) {
        if (options[k + 1] !== '=' || options[k + 2] === undefined) throw new Error(`${file}: cannot read the options of ${loginModule} in ${section}`);
        pairs.push(`${options[k]}=${options[k + 2]}`);
      }
      entries.push({ loginModule, text: `${[loginModule, flag, ...pairs].join(' ')};` });
    }
    return entries;
  }
  throw new Error(`${file}: no ${section} section`);
}

function jaasEntry(file, section, loginModuleSuffix) {
  const entry = jaasSection(file, section).find(e => e.loginModule.endsWith(loginModuleSuffix));
  if (!entry) throw new Error(`${file}: no ${loginModuleSuffix} in its ${section} section`);
  return entry.text;
}

/**
 * The SCRAM credentials the suite's scripts/createScramCredentials.sh creates when run without
 * options (as scripts/testWithKafka.sh runs it), as --add-scram values: its DEFAULT_* user and
 * passwords put into its `kafka-configs --add-config '…'` argument.
 */
function suiteScramCredentials(checkout) {
  const file = path.join(checkout, 'scripts', 'createScramCredentials.sh');
  const text = fs.readFileSync(file, 'utf8');
  const defaults = Object.fromEntries([...text.matchAll(/^(DEFAULT_[A-Z0-9_]+)='([^']*)'/gm)].map(m => [m[1], m[2]]));
  const user = defaults.DEFAULT_KAFKA_USERNAME;
  const addConfig = /--add-config '([^']+)'/.exec(text)?.[1];
  if (!user || !addConfig) throw new Error(`${file}: cannot find the default SCRAM user or the --add-config argument`);
  const value = addConfig.replace(/\$\{password_(\w+)\}/g, (m, which) => {
    const v = defaults[`DEFAULT_PASSWORD_${which}`];
    if (v === undefined) throw new Error(`${file}: no DEFAULT_PASSWORD_${which} for ${m}`);
    return v;
  });
  const mechanisms = value.match(/[A-Z0-9-]+=\[[^\]]*\]/g) ?? [];
  if (mechanisms.length === 0) throw new Error(`${file}: no SCRAM mechanism in --add-config '${addConfig}'`);
  return mechanisms.map(m => m.replace('=[', `=[name=${user},`));
}

/** A file of testHelpers/certs, and the password one of its *_creds files holds. */
const certsFile = (checkout, name) => path.join(checkout, 'testHelpers', 'certs', name);
const readCreds = (checkout, name) => fs.readFileSync(certsFile(checkout, name), 'utf8').trim();

/**
 * The broker configs of the suite's cluster, from docker-compose.2_4.yml (KAFKA_* settings) and
 * the files it mounts: testHelpers/certs (key and trust stores, their *_creds passwords) and
 * testHelpers/kafka/server-jaas.conf (the KafkaServer section's PLAIN users). OAUTHBEARER, which
 * the suite runs with docker-compose.2_4_oauthbearer.yml, is enabled beside the other mechanisms,
 * with that file's session lifetime (KAFKA_CONNECTIONS_MAX_REAUTH_MS) for OAUTHBEARER sessions only,
 * so that PLAIN and SCRAM sessions keep the main file's unlimited one.
 */
function suiteBrokerConfigs(checkout) {
  const jaas = path.join(checkout, 'testHelpers', 'kafka', 'server-jaas.conf');
  const oauthJaas = path.join(checkout, 'testHelpers', 'kafka', 'server-jaas_oauth.conf');
  return {
    'node.id': '0',
    'auto.create.topics.enable': 'true',
    'num.partitions': '2',
    'default.replication.factor': '2',
    'delete.topic.enable': 'true',
    'group.initial.rebalance.delay.ms': '0',
    'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_SSL:SASL_SSL',
    ...Object.fromEntries(NODES.flatMap(n => [
      [`samsa.node.${n.nodeId}.listeners`, nodeListeners(n, '127.0.0.1')],
      [`samsa.node.${n.nodeId}.advertised.listeners`, nodeListeners(n, 'localhost')],
    ])),
    // KAFKA_SSL_KEYSTORE_FILENAME, _CREDENTIALS, KAFKA_SSL_KEY_CREDENTIALS, KAFKA_SSL_TRUSTSTORE_*
    'ssl.keystore.type': 'JKS',
    'ssl.keystore.location': certsFile(checkout, 'kafka.server.keystore.jks'),
    'ssl.keystore.password': readCreds(checkout, 'keystore_creds'),
    'ssl.key.password': readCreds(checkout, 'sslkey_creds'),
    'ssl.truststore.type': 'JKS',
    'ssl.truststore.location': certsFile(checkout, 'kafka.server.truststore.jks'),
    'ssl.truststore.password': readCreds(checkout, 'truststore_creds'),
    // KAFKA_SASL_ENABLED_MECHANISMS of both compose files
    'sasl.enabled.mechanisms': 'PLAIN,SCRAM-SHA-256,SCRAM-SHA-512,OAUTHBEARER',
    'listener.name.sasl_ssl.plain.sasl.jaas.config': jaasEntry(jaas, 'KafkaServer', '.PlainLoginModule'),
    'listener.name.sasl_ssl.oauthbearer.sasl.jaas.config': jaasEntry(oauthJaas, 'KafkaServer', '.OAuthBearerLoginModule'),
    'listener.name.sasl_ssl.oauthbearer.connections.max.reauth.ms': '15000',
    // KAFKA_AUTHORIZER_CLASS_NAME (Samsa takes the ZooKeeper-era name as StandardAuthorizer), KAFKA_ALLOW_EVERYONE_IF_NO_ACL_FOUND
    'authorizer.class.name': 'kafka.security.auth.SimpleAclAuthorizer',
    'allow.everyone.if.no.acl.found': 'true',
  };
}
// The suite's CI pins KAFKA_VERSION=2.4 (azure-pipelines.yml), the newest docker-compose file it
// has; testHelpers only uses it to skip tests written for Kafka <= 0.10.
const KAFKA_VERSION = '2.4';

function usage(msg) {
  if (msg) process.stderr.write(`run-kafkajs: ${msg}\n\n`);
  process.stderr.write(
    `usage: node compat/run-kafkajs.mjs --kafkajs <checkout> [options]
  --kafkajs <dir>      a checkout of https://github.com/tulios/kafkajs (git clone it; the npm package has no specs)
  --specs <list>       comma-separated spec names or paths (default: the "broker" set: ${SETS.broker.join(',')})
                       known names: ${Object.keys(SPECS).join(', ')}; a name prefixed "${OAUTHBEARER_PREFIX}" runs
                       in a second jest run with OAUTHBEARER_ENABLED=1; sets: ${[...Object.keys(SETS), ...CHECKOUT_SETS].join(', ')}
                       ("all": every spec file of the suite, and the oauthbearer set)
  --name <name>        results name (default: the set name, or the spec names joined by '-')
  --out <file>         results JSON (default: compat/results/kafkajs-<name>.json; the .md summary goes beside it)
  --workers <n>        jest workers (default 1: --runInBand, a stable order)
  --timeout <seconds>  give up on a jest run after this long (default 1800)
  --external           do not build or start Samsa: use whatever already serves the suite's ports
  --log-level <level>  Samsa's log level (default info; the log goes to a temp file named at the end)
`,
  );
  process.exit(2);
}

function parseArgs(argv) {
  const opts = { specs: null, workers: 1, timeout: 1800, external: false, logLevel: 'info' };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) usage(`${a} needs a value`);
      return v;
    };
    if (a === '--kafkajs') opts.kafkajs = path.resolve(value());
    else if (a === '--specs') opts.specs = value().split(',').map(s => s.trim()).filter(Boolean);
    else if (a === '--name') opts.name = value();
    else if (a === '--out') opts.out = path.resolve(value());
    else if (a === '--workers') opts.workers = Number(value());
    else if (a === '--timeout') opts.timeout = Number(value());
    else if (a === '--external') opts.external = true;
    else if (a === '--log-level') opts.logLevel = value();
    else if (a === '-h' || a === '--help') usage();
    else usage(`unknown argument ${a}`);
  }
  if (!opts.kafkajs) usage('--kafkajs is required');
  if (!Number.isInteger(opts.workers) || opts.workers < 1) usage('--workers must be a positive integer');
  if (!(opts.timeout > 0)) usage('--timeout must be positive');
  return opts;
}

const log = msg => process.stdout.write(`[run-kafkajs] ${msg}\n`);

function git(cwd, ...args) {
  const r = spawnSync('git', ['-C', cwd, ...args], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
}

function walk(dir, out = []) {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) {
      if (e.name !== 'node_modules' && !e.name.startsWith('.')) walk(p, out);
    } else out.push(p);
  }
  return out;
}

// jest.config.js's testRegex, as the suite's own CI finds its spec files
const JEST_TEST_REGEX = /(\/__tests__\/.*\.spec\.js|(\.|\/)spec)\.jsx?$/;

const toPosix = p => p.split(path.sep).join('/');

/** A spec file's name: its name in SPECS, else its path less src/, __tests__/ and .spec.js. */
function specName(rel) {
  const known = Object.keys(SPECS).find(k => SPECS[k] === rel);
  return known ?? rel.replace(/^src\//, '').replace(/__tests__\//, '').replace(/\.spec\.js$/, '');
}

/** The sets that depend on the checkout: sasl and oauthbearer from its package.json, unit and all from its files. */
function checkoutSets(checkout) {
  const files = walk(path.join(checkout, 'src'))
    .map(p => toPosix(path.relative(checkout, p)))
    .filter(p => JEST_TEST_REGEX.test(`/${p}`))
    .sort();
  const pkg = JSON.parse(fs.readFileSync(path.join(checkout, 'package.json'), 'utf8'));
  const script = pkg.scripts?.['test:group:oauthbearer'] ?? '';
  const listed = script.match(/\S+\.spec\.js/g);
  const sasl = listed ? listed.map(specName) : SASL_SPECS;
  const named = new Set(Object.entries(SETS).flatMap(([k, v]) => (k === 'sasl' || k === 'oauthbearer' ? sasl : v)).map(n => SPECS[n] ?? n));
  const oauthbearer = sasl.map(n => `${OAUTHBEARER_PREFIX}${n}`);
  return {
    ...SETS,
    sasl,
    oauthbearer,
    unit: files.filter(f => !named.has(f)).map(specName),
    all: [...files.map(specName), ...oauthbearer],
  };
}

function resolveSpecs(checkout, names) {
  const sets = checkoutSets(checkout);
  const expanded = names.flatMap(n => sets[n] ?? [n]);
  const seen = new Set();
  return expanded.flatMap(given => {
    const oauthbearer = given.startsWith(OAUTHBEARER_PREFIX);
    const n = oauthbearer ? given.slice(OAUTHBEARER_PREFIX.length) : given;
    let rel = SPECS[n];
    if (!rel && (n.includes('/') || n.endsWith('.js'))) rel = n;
    if (rel && !fs.existsSync(path.join(checkout, rel))) {
      // a name like consumer/offsetManager/seek, as specName gives it
      const m = /^(.*)\/([^/]+)$/.exec(n);
      const alternatives = m ? [`src/${m[1]}/__tests__/${m[2]}.spec.js`, `src/${n}.spec.js`] : [];
      rel = alternatives.find(a => fs.existsSync(path.join(checkout, a))) ?? rel;
    }
    if (!rel) {
      const hits = walk(path.join(checkout, 'src'))
        .map(p => toPosix(path.relative(checkout, p)))
        .filter(p => p.endsWith(`/__tests__/${n}.spec.js`));
      if (hits.length !== 1) {
        throw new Error(`spec "${n}": ${hits.length === 0 ? 'no' : 'more than one'} src/**/__tests__/${n}.spec.js${hits.length ? ` (${hits.join(', ')})` : ''}`);
      }
      rel = hits[0];
    }
    if (!fs.existsSync(path.join(checkout, rel))) throw new Error(`spec "${n}": ${rel} is not in ${checkout}`);
    // A spec given by path is named by its path (src/admin/__tests__/x.spec.js: admin/x), so it
    // cannot be mistaken for the broker spec of the same base name.
    const name = (oauthbearer ? OAUTHBEARER_PREFIX : '') + (SPECS[n] || !n.includes('/') ? n : specName(rel));
    if (seen.has(name)) return [];
    seen.add(name);
    return [{ name, file: rel, env: oauthbearer ? OAUTHBEARER_ENV : {} }];
  });
}

// ---- the checkout's dependencies ------------------------------------------------------------

function ensureDependencies(checkout) {
  const pkg = JSON.parse(fs.readFileSync(path.join(checkout, 'package.json'), 'utf8'));
  const wanted = Object.keys(pkg.devDependencies ?? {});
  const missing = wanted.filter(d => !fs.existsSync(path.join(checkout, 'node_modules', d, 'package.json')));
  if (missing.length === 0) return;
  log(`installing the checkout's devDependencies (missing: ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ', …' : ''})`);
  // npm rewrites yarn.lock when it finds one; put it back so the checkout stays as cloned.
  const lockPath = path.join(checkout, 'yarn.lock');
  const yarnLock = fs.existsSync(lockPath) ? fs.readFileSync(lockPath) : null;
  const hadPackageLock = fs.existsSync(path.join(checkout, 'package-lock.json'));
  // --ignore-scripts: the checkout's install hooks (husky) only set up git hooks for its authors.
  const r = spawnSync('npm', ['install', '--no-audit', '--no-fund', '--legacy-peer-deps', '--ignore-scripts'], {
    cwd: checkout,
    stdio: 'inherit',
  });
  if (yarnLock) fs.writeFileSync(lockPath, yarnLock);
  if (!hadPackageLock) fs.rmSync(path.join(checkout, 'package-lock.json'), { force: true });
  if (r.status !== 0) throw new Error(`npm install in ${checkout} failed (exit ${r.status})`);
}

// ---- Samsa ----------------------------------------------------------------------------------

function newestMtime(files) {
  let t = 0;
  for (const f of files) t = Math.max(t, fs.statSync(f).mtimeMs);
  return t;
}

function ensureBuilt() {
  const marker = path.join(SAMSA_ROOT, 'dist', 'cli.cjs');
  const sources = walk(path.join(SAMSA_ROOT, 'src')).concat([path.join(SAMSA_ROOT, 'tsconfig.json')]);
  if (fs.existsSync(marker) && fs.statSync(marker).mtimeMs >= newestMtime(sources)) return;
  log('dist/ is older than src/: building Samsa (npm run build)');
  // the build type-checks first, so a tree with type errors leaves dist/ as it was
  const r = spawnSync('npm', ['run', 'build', '--silent'], { cwd: SAMSA_ROOT, stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`the Samsa build failed (exit ${r.status})`);
}

function canConnect(host, port) {
  return new Promise(resolve => {
    const s = net.connect({ host, port });
    const done = ok => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(500, () => done(false));
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}

// The suite connects to "localhost". Samsa listens on 127.0.0.1, so localhost must resolve there
// first; where it resolves to ::1 first, jest's Node is told to prefer IPv4.
async function localhostNodeOptions() {
  const addrs = await dns.lookup('localhost', { all: true, verbatim: true });
  if (!addrs.some(a => a.address === '127.0.0.1')) {
    throw new Error(`"localhost" resolves to ${addrs.map(a => a.address).join(', ')}, not 127.0.0.1: the suite could not reach Samsa`);
  }
  if (addrs[0].address === '127.0.0.1') return [];
  log(`"localhost" resolves to ${addrs[0].address} first: running jest with --dns-result-order=ipv4first`);
  return ['--dns-result-order=ipv4first'];
}

/** The one Samsa process serving the suite's three nodes. */
class SamsaCluster {
  constructor(nodes, checkout, logFile, logLevel) {
    this.nodes = nodes;
    this.checkout = checkout;
    this.logFile = logFile;
    this.logLevel = logLevel;
    this.child = null;
    this.exited = null;
  }

  get configs() {
    return suiteBrokerConfigs(this.checkout);
  }

  get scramCredentials() {
    return suiteScramCredentials(this.checkout);
  }

  async start() {
    const ports = this.nodes.flatMap(nodePorts);
    for (const port of ports) {
      if ((await canConnect('127.0.0.1', port)) || (await canConnect('localhost', port))) {
        throw new Error(`something already listens on port ${port}; stop it (this runner only stops what it starts) or pass --external to use it`);
      }
    }
    // each node's listeners (and so its ports and interface) are in its samsa.node.<id>.listeners
    const args = [path.join(SAMSA_ROOT, 'bin', 'samsa'), 'start', '--nodes', String(this.nodes.length), '--log-level', this.logLevel];
    for (const [k, v] of Object.entries(this.configs)) args.push('--override', `${k}=${v}`);
    for (const spec of this.scramCredentials) args.push('--add-scram', spec);
    // as recorded in the results: the checkout's paths relative to it, so results from different machines compare
    const shellWord = a => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`);
    this.command = ['node', 'bin/samsa', ...args.slice(1)].map(a => shellWord(a.split(this.checkout + path.sep).join('<kafkajs>/'))).join(' ');
    const out = fs.openSync(this.logFile, 'a');
    this.child = spawn(process.execPath, args, { cwd: SAMSA_ROOT, stdio: ['ignore', out, out] });
    fs.closeSync(out);
    this.exited = new Promise(resolve => this.child.once('exit', (code, signal) => resolve({ code, signal })));
    let exitedEarly = null;
    this.exited.then(e => (exitedEarly = e));
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      if (exitedEarly) throw new Error(`Samsa exited during start-up (${JSON.stringify(exitedEarly)}); see ${this.logFile}`);
      let up = 0;
      for (const port of ports) if (await canConnect('127.0.0.1', port)) up++;
      if (up === ports.length) {
        log(`Samsa nodes ${this.nodes.map(n => n.nodeId).join(', ')} are up on 127.0.0.1:${ports.join(', ')} (pid ${this.child.pid})`);
        return;
      }
      await new Promise(r => setTimeout(r, 100));
    }
    throw new Error(`Samsa did not listen on ${ports.join(', ')} within 20s; see ${this.logFile}`);
  }

  /** Stops the process this object spawned, by its PID: SIGTERM, then SIGKILL after 10s. */
  async stop() {
    if (!this.child || this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
    const e = await this.exited;
    clearTimeout(timer);
    log(`Samsa (pid ${this.child.pid}) stopped (${e.signal ?? `exit ${e.code}`})`);
  }

  /** For the process 'exit' hook: synchronous, best effort. */
  killNow() {
    if (this.child && this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }
}

// ---- jest -----------------------------------------------------------------------------------

function runJest({ checkout, specFiles, jsonFile, workers, timeoutSeconds, nodeOptions, extraEnv }) {
  const jestBin = path.join(checkout, 'node_modules', 'jest', 'bin', 'jest.js');
  const args = [
    jestBin,
    '--ci',
    '--forceExit',
    '--no-watchman',
    // The checkout's config also names the jest-junit reporter, which writes junit.xml into the checkout.
    '--reporters=default',
    '--json',
    `--outputFile=${jsonFile}`,
    ...(workers === 1 ? ['--runInBand'] : [`--maxWorkers=${workers}`]),
    '--',
    ...specFiles,
  ];
  const env = {
    ...process.env,
    KAFKA_VERSION,
    NODE_ENV: 'test',
    // As the suite's CI runs it (scripts/testWithKafka.sh): decode failures print the buffers.
    KAFKAJS_DEBUG_PROTOCOL_BUFFERS: '1',
    TEST_RETRIES: '0',
    NODE_OPTIONS: [process.env.NODE_OPTIONS, ...nodeOptions].filter(Boolean).join(' '),
  };
  delete env.OAUTHBEARER_ENABLED;
  Object.assign(env, extraEnv);
  return new Promise((resolve, reject) => {
    // Its own process group, so a timeout can stop jest and the workers it forked, and nothing else.
    const child = spawn(process.execPath, args, { cwd: checkout, env, stdio: 'inherit', detached: true });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      log(`jest ran past ${timeoutSeconds}s: stopping it (pid ${child.pid} and its workers)`);
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    }, timeoutSeconds * 1000);
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, timedOut });
    });
  });
}

// ---- results --------------------------------------------------------------------------------

const stripAnsi = s => s.replace(/\u001b\[[0-9;]*m/g, '');

/** Reads the exclusion table of compat/EXCLUDED.md: | spec | test | category | reason |. */
function readExclusions() {
  const out = new Map();
  if (!fs.existsSync(EXCLUDED_MD)) return out;
  for (const line of fs.readFileSync(EXCLUDED_MD, 'utf8').split('\n')) {
    const cells = line.trim().replace(/^\||\|$/g, '').split('|').map(c => c.trim());
    if (!line.trim().startsWith('|') || cells.length < 4 || /^-+$/.test(cells[0]) || cells[0] === 'spec') continue;
    const [spec, test, category, reason] = cells;
    out.set(`${spec}\u0000${test.replace(/^`|`$/g, '')}`, { category, reason });
  }
  return out;
}

function collect(jestJson, specs, exclusions, checkout) {
  const byFile = new Map((jestJson?.testResults ?? []).map(r => [path.relative(checkout, r.name).split(path.sep).join('/'), r]));
  return specs.map(spec => {
    const r = byFile.get(spec.file);
    const tests = (r?.assertionResults ?? []).map(a => {
      const fullName = [...a.ancestorTitles, a.title].join(' › ');
      const exclusion = exclusions.get(`${spec.name}\u0000${fullName}`);
      const status = a.status === 'pending' || a.status === 'todo' ? 'skipped' : a.status;
      const test = { name: fullName, status, durationMs: a.duration ?? null };
      if (exclusion) {
        test.excluded = exclusion;
        test.outcome = status === 'passed' ? 'excluded-but-passed' : 'excluded';
      } else test.outcome = status;
      if (status === 'failed') {
        // Paths relative to the checkout, so results from different machines compare.
        const text = stripAnsi((a.failureMessages ?? []).join('\n')).split(checkout + path.sep).join('');
        test.failure = text.split('\n').slice(0, 12).join('\n');
      }
      return test;
    });
    const count = o => tests.filter(t => t.outcome === o).length;
    const counts = {
      total: tests.length,
      passed: count('passed'),
      failed: count('failed'),
      excluded: count('excluded') + count('excluded-but-passed'),
      skipped: count('skipped'),
    };
    let status;
    if (!r) status = 'not-run';
    else if (r.status === 'failed' && tests.length === 0) status = 'error';
    else status = counts.failed > 0 ? 'failed' : 'passed';
    const entry = { name: spec.name, file: spec.file, status, counts, tests };
    if (r && tests.length === 0 && r.message) entry.error = stripAnsi(r.message).split('\n').slice(0, 20).join('\n');
    return entry;
  });
}

function summaryMarkdown(results) {
  const lines = [];
  const t = results.totals;
  lines.push(`# kafkajs ${results.kafkajs.version ?? ''} integration specs against Samsa — \`${results.name}\``);
  lines.push('');
  lines.push(`- Date: ${results.date}`);
  lines.push(`- kafkajs: \`${results.kafkajs.commit ?? 'unknown'}\`${results.kafkajs.describe ? ` (${results.kafkajs.describe})` : ''}`);
  lines.push(`- Samsa: \`${results.samsa.commit ?? 'unknown'}\`${results.samsa.dirty ? ' with uncommitted changes' : ''}`);
  lines.push(`- Node ${results.node}, KAFKA_VERSION=${results.env.KAFKA_VERSION}, jest workers: ${results.jest.workers}`);
  const runText = r => `${r.specFiles} spec file(s)${Object.keys(r.env).length ? ` with ${Object.entries(r.env).map(([k, v]) => `${k}=${v}`).join(' ')}` : ''} in ${Math.round(r.durationMs / 1000)}s`;
  lines.push(`- jest runs: ${results.jest.runs.map(runText).join('; ')}; ${Math.round(results.durationMs / 1000)}s in all`);
  const brokerText = b => `node ${b.nodeId} on localhost:${b.port} (SSL ${b.sslPort}, SASL_SSL ${b.saslSslPort})`;
  lines.push(`- Brokers: ${results.brokers.map(brokerText).join(', ') || 'external'}`);
  lines.push('');
  lines.push(`Totals: **${t.passed} passed, ${t.failed} failed, ${t.excluded} excluded, ${t.skipped} skipped by the suite** (of ${t.total}).`);
  lines.push('');
  lines.push('| spec | file | passed | failed | excluded | skipped | total |');
  lines.push('|---|---|---:|---:|---:|---:|---:|');
  for (const s of results.specs) {
    const c = s.counts;
    lines.push(`| ${s.name} | \`${s.file}\` | ${c.passed} | ${c.failed} | ${c.excluded} | ${c.skipped} | ${c.total} |`);
  }
  const failed = results.specs.flatMap(s => s.tests.filter(x => x.outcome === 'failed').map(x => ({ s, x })));
  const errored = results.specs.filter(s => s.status === 'error' || s.status === 'not-run');
  if (failed.length || errored.length) {
    lines.push('', '## Failures', '');
    for (const s of errored) lines.push(`- **${s.name}**: the spec file did not run (${s.status})${s.error ? `: ${s.error.split('\n').find(l => l.trim()) ?? ''}` : ''}`);
    for (const { s, x } of failed) {
      const text = (x.failure ?? '').split('\n').map(l => l.trim()).filter(Boolean);
      const message = text.filter(l => !l.startsWith('at ')).slice(0, 2);
      const where = text.find(l => l.startsWith('at ') && !l.includes('node_modules') && !l.includes('node:'));
      const first = [...message, where ? `(${where})` : ''].filter(Boolean).join(' ');
      lines.push(`- **${s.name}** › ${x.name}: ${first.replace(/\|/g, '\\|')}`);
    }
  }
  const excluded = results.specs.flatMap(s => s.tests.filter(x => x.excluded).map(x => ({ s, x })));
  if (excluded.length) {
    lines.push('', '## Excluded (see compat/EXCLUDED.md)', '');
    for (const { s, x } of excluded) {
      const got = x.outcome === 'excluded-but-passed' ? '**passed** (remove the row, unless its reason says it passes in some runs)' : `${x.status}${x.failure ? `: ${x.failure.split('\n')[0].trim().replace(/\|/g, '\\|')}` : ''}`;
      lines.push(`- **${s.name}** › ${x.name} — ${x.excluded.category} — ${got}`);
    }
  }
  const skipped = results.specs.flatMap(s => s.tests.filter(x => x.outcome === 'skipped').map(x => ({ s, x })));
  if (skipped.length) {
    lines.push('', '## Skipped by the suite itself', '');
    for (const { s, x } of skipped) lines.push(`- **${s.name}** › ${x.name}`);
  }
  lines.push('');
  return lines.join('\n');
}

// ---- main -----------------------------------------------------------------------------------

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const checkout = opts.kafkajs;
  if (!fs.existsSync(path.join(checkout, 'package.json')) || !fs.existsSync(path.join(checkout, 'testHelpers'))) {
    throw new Error(`${checkout} is not a kafkajs repository checkout (no package.json/testHelpers); git clone https://github.com/tulios/kafkajs`);
  }
  const specNames = opts.specs ?? ['broker'];
  const specs = resolveSpecs(checkout, specNames);
  const isSet = specNames.length === 1 && (SETS[specNames[0]] || CHECKOUT_SETS.includes(specNames[0]));
  const name = opts.name ?? (isSet ? specNames[0] : specs.map(s => s.name.replace(/[/:]/g, '_')).join('-'));
  const outJson = opts.out ?? path.join(SAMSA_ROOT, 'compat', 'results', `kafkajs-${name}.json`);
  const outMd = outJson.replace(/\.json$/, '') + '.md';
  // one jest run per environment: the suite's, then the specs that run with OAUTHBEARER_ENABLED=1
  const runs = [];
  for (const spec of specs) {
    const key = JSON.stringify(spec.env);
    let run = runs.find(r => r.key === key);
    if (!run) runs.push((run = { key, env: spec.env, specs: [] }));
    run.specs.push(spec);
  }
  runs.sort((x, y) => Object.keys(x.env).length - Object.keys(y.env).length);

  ensureDependencies(checkout);
  const nodeOptions = await localhostNodeOptions();

  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'samsa-kafkajs-'));
  const nodes = opts.external ? [] : [new SamsaCluster(NODES, checkout, path.join(tmp, 'samsa.log'), opts.logLevel)];
  const killAll = () => nodes.forEach(n => n.killNow());
  process.on('exit', killAll);
  for (const sig of ['SIGINT', 'SIGTERM']) {
    process.on(sig, () => {
      killAll();
      process.exit(130);
    });
  }

  const started = new Date();
  let samsaState = null;
  try {
    if (!opts.external) {
      ensureBuilt();
      for (const n of nodes) await n.start();
    }
    // the tree the running Samsa was built from (others may commit while the suite runs)
    samsaState = { commit: git(SAMSA_ROOT, 'rev-parse', 'HEAD'), dirty: Boolean(git(SAMSA_ROOT, 'status', '--porcelain', '--', 'src', 'protocol', 'bin')) };
    for (const [i, run] of runs.entries()) {
      const envText = Object.entries(run.env).map(([k, v]) => `${k}=${v}`).join(' ');
      log(`running jest on ${run.specs.length} spec file(s) in ${checkout}${envText ? ` with ${envText}` : ''}`);
      run.jsonFile = path.join(tmp, `jest-${i}.json`);
      const runStarted = Date.now();
      run.jest = await runJest({
        checkout,
        specFiles: run.specs.map(s => s.file),
        jsonFile: run.jsonFile,
        workers: opts.workers,
        timeoutSeconds: opts.timeout,
        nodeOptions,
        extraEnv: run.env,
      });
      run.durationMs = Date.now() - runStarted;
    }
  } finally {
    for (const n of nodes) await n.stop();
  }

  const exclusions = readExclusions();
  const specResults = runs.flatMap(run => {
    let jestJson = null;
    if (fs.existsSync(run.jsonFile)) jestJson = JSON.parse(fs.readFileSync(run.jsonFile, 'utf8'));
    else log(`jest wrote no JSON results${Object.keys(run.env).length ? ` for the run with ${JSON.stringify(run.env)}` : ''}`);
    return collect(jestJson, run.specs, exclusions, checkout);
  });
  const sum = k => specResults.reduce((a, s) => a + s.counts[k], 0);
  const kafkajsPkg = JSON.parse(fs.readFileSync(path.join(checkout, 'package.json'), 'utf8'));
  const cluster = nodes[0];
  const results = {
    suite: 'kafkajs',
    name,
    date: started.toISOString(),
    durationMs: Date.now() - started.getTime(),
    kafkajs: {
      version: kafkajsPkg.version,
      commit: git(checkout, 'rev-parse', 'HEAD'),
      describe: git(checkout, 'describe', '--tags', '--always'),
      modifiedFiles: (git(checkout, 'status', '--porcelain', '--untracked-files=no') ?? '').split('\n').filter(Boolean),
    },
    samsa: samsaState ?? { commit: null, dirty: false },
    node: process.versions.node,
    env: { KAFKA_VERSION, KAFKAJS_DEBUG_PROTOCOL_BUFFERS: '1', TEST_RETRIES: '0', NODE_OPTIONS: nodeOptions.join(' ') },
    jest: {
      workers: opts.workers,
      runs: runs.map(r => ({ env: r.env, specFiles: r.specs.length, exitCode: r.jest.code, signal: r.jest.signal, timedOut: r.jest.timedOut, durationMs: r.durationMs })),
    },
    brokers: cluster ? cluster.nodes.map(node => ({ nodeId: node.nodeId, port: node.plaintextPort, sslPort: node.sslPort, saslSslPort: node.saslSslPort })) : [],
    samsaCommand: cluster ? cluster.command : null,
    totals: { total: sum('total'), passed: sum('passed'), failed: sum('failed'), excluded: sum('excluded'), skipped: sum('skipped') },
    specs: specResults,
  };
  fs.mkdirSync(path.dirname(outJson), { recursive: true });
  fs.writeFileSync(outJson, JSON.stringify(results, null, 2) + '\n');
  fs.writeFileSync(outMd, summaryMarkdown(results));
  const t = results.totals;
  log(`${t.passed} passed, ${t.failed} failed, ${t.excluded} excluded, ${t.skipped} skipped (of ${t.total}) in ${Math.round(results.durationMs / 1000)}s`);
  const width = Math.max(14, ...specResults.map(s => s.name.length));
  for (const s of specResults) {
    const c = s.counts;
    log(`  ${s.name.padEnd(width)} ${s.status.padEnd(7)} passed ${c.passed}, failed ${c.failed}, excluded ${c.excluded}, skipped ${c.skipped}`);
  }
  log(`results: ${path.relative(process.cwd(), outJson)} and ${path.relative(process.cwd(), outMd)}`);
  if (nodes.length) log(`Samsa logs: ${nodes.map(n => n.logFile).join(', ')}`);
  const notRun = specResults.some(s => s.status === 'error' || s.status === 'not-run');
  process.exitCode = t.failed > 0 || notRun || runs.some(r => r.jest.timedOut) ? 1 : 0;
}

main().catch(err => {
  process.stderr.write(`run-kafkajs: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
