// What the broker of each Apache Kafka release advertised in ApiVersions, for version emulation
// (`samsa start --kafka-version 2.8`, `startBroker({ kafkaVersion: '2.8' })`): Samsa then advertises,
// for each API both know, the versions they share, and answers a request outside them as it
// answers any unsupported version.
//
// Where the table comes from:
//   - 2.2-3.9: `validVersions` of clients/src/main/resources/common/message/*Request.json at each
//     release tag of apache/kafka (3.9: its last release candidate we had, 3.9.0-rc3, the same
//     specs as the head of the 3.9 branch then), keeping the APIs a
//     ZooKeeper-mode broker serves ("listeners" holding "zkBroker", from 2.8) and dropping a last
//     version marked "latestVersionUnstable" (3.5+), which brokers do not advertise by default.
//   - 2.0-2.1 (before the JSON specs): the length of each request class's schemaVersions() array,
//     for the keys ApiKeys lists, at the release tags.
//   - 4.0 and 4.1 (KRaft only): what their brokers advertise, which differs from the JSON files in
//     two places: Produce is advertised from v0 though v0-2 are refused (KAFKA-18659), and
//     GetTelemetrySubscriptions/PushTelemetry are left out unless a client-telemetry metrics
//     reporter is configured (ApiVersionsResponse.filterApis). The 4.1 column is Samsa's own
//     protocol specs (written from 4.1); 4.0 is 4.1 less KIP-516's Produce v13, KIP-1166's Fetch
//     v18, KIP-860's AlterPartitionReassignments v1, KIP-1152's ListTransactions v2 and KIP-1142's
//     ListConfigResources v1, with JoinGroup from v2 (4.1 brought v0-1 back, KAFKA-19444).
//   Every column was compared with the release tables of franz-go's pkg/kversion (recorded from
//   running brokers; ZooKeeper-mode ones before 4.0): they agree on every key below.
// Releases before 4.0 are emulated as brokers in ZooKeeper mode, the mode Kafka's default
// server.properties configured until 4.0. (Of the APIs below, KRaft brokers of 3.0-3.9 differ in
// lacking the SCRAM APIs 50-51 before 3.5, and in serving ListClientMetricsResources from 3.7
// and DescribeTopicPartitions from 3.8.) A cell is the highest version, "min-max" where the
// lowest is not 0, "-" for an API the release did not have, and "(v)" for one its broker
// answered without advertising it.
import type { SupportedFeature } from './features.js';

const TABLE = `
  key   2.0  2.1  2.2  2.3  2.4  2.5  2.6  2.7  2.8  3.0  3.1  3.2  3.3  3.4  3.5  3.6  3.7  3.8  3.9  4.0  4.1
    0     6    7    7    7    8    8    8    8    9    9    9    9    9    9    9    9   10   11   11   12   13  Produce
    1     8   10   10   11   11   11   11   12   12   12   13   13   13   13   15   15   16   16   17 4-17 4-18  Fetch
    2     3    4    5    5    5    5    5    5    6    7    7    7    7    7    8    8    8    8    9 1-10 1-10  ListOffsets
    3     6    7    7    8    9    9    9    9   11   11   12   12   12   12   12   12   12   12   12   13   13  Metadata
    8     4    6    6    7    8    8    8    8    8    8    8    8    8    8    8    8    9    9    9  2-9  2-9  OffsetCommit
    9     4    5    5    5    6    7    7    7    7    8    8    8    8    8    8    8    9    9    9  1-9  1-9  OffsetFetch
   10     2    2    2    2    3    3    3    3    3    4    4    4    4    4    4    4    4    5    6    6    6  FindCoordinator
   11     3    3    4    5    6    7    7    7    7    7    7    9    9    9    9    9    9    9    9  2-9    9  JoinGroup
   12     2    2    2    3    4    4    4    4    4    4    4    4    4    4    4    4    4    4    4    4    4  Heartbeat
   13     2    2    2    2    4    4    4    4    4    4    4    5    5    5    5    5    5    5    5    5    5  LeaveGroup
   14     2    2    2    3    4    5    5    5    5    5    5    5    5    5    5    5    5    5    5    5    5  SyncGroup
   15     2    2    2    3    5    5    5    5    5    5    5    5    5    5    5    5    5    5    5    6    6  DescribeGroups
   16     2    2    2    2    3    3    4    4    4    4    4    4    4    4    4    4    4    5    5    5    5  ListGroups
   17     1    1    1    1    1    1    1    1    1    1    1    1    1    1    1    1    1    1    1    1    1  SaslHandshake
   18     2    2    2    2    3    3    3    3    3    3    3    3    3    3    3    3    3    3    4    4    4  ApiVersions
   19     3    3    3    3    5    5    5    6    7    7    7    7    7    7    7    7    7    7    7  2-7  2-7  CreateTopics
   20     2    3    3    3    4    4    4    5    6    6    6    6    6    6    6    6    6    6    6  1-6  1-6  DeleteTopics
   21     1    1    1    1    1    1    2    2    2    2    2    2    2    2    2    2    2    2    2    2    2  DeleteRecords
   22     1    1    1    1    2    3    3    4    4    4    4    4    4    4    4    4    4    5    5    5    5  InitProducerId
   23     1    2    2    3    3    3    3    3    4    4    4    4    4    4    4    4    4    4    4  2-4  2-4  OffsetForLeaderEpoch
   24     1    1    1    1    1    1    1    2    3    3    3    3    3    3    3    4    4    5    5    5    5  AddPartitionsToTxn
   25     1    1    1    1    1    1    1    2    3    3    3    3    3    3    3    3    3    4    4    4    4  AddOffsetsToTxn
   26     1    1    1    1    1    1    1    2    3    3    3    3    3    3    3    3    3    4    4    5    5  EndTxn
   27     0    0    0    0    0    0    0    0    1    1    1    1    1    1    1    1    1    1    1  1-1  1-1  WriteTxnMarkers
   28     1    2    2    2    2    3    3    3    3    3    3    3    3    3    3    3    3    4    4    5    5  TxnOffsetCommit
   29     1    1    1    1    1    2    2    2    2    2    2    2    3    3    3    3    3    3    3  1-3  1-3  DescribeAcls
   30     1    1    1    1    1    2    2    2    2    2    2    2    3    3    3    3    3    3    3  1-3  1-3  CreateAcls
   31     1    1    1    1    1    2    2    2    2    2    2    2    3    3    3    3    3    3    3  1-3  1-3  DeleteAcls
   32     2    2    2    2    2    2    3    3    4    4    4    4    4    4    4    4    4    4    4  1-4  1-4  DescribeConfigs
   33     1    1    1    1    1    1    1    1    2    2    2    2    2    2    2    2    2    2    2    2    2  AlterConfigs
   34     1    1    1    1    1    1    1    1    2    2    2    2    2    2    2    2    2    2    2  1-2  1-2  AlterReplicaLogDirs
   35     1    1    1    1    1    1    2    2    2    2    2    3    4    4    4    4    4    4    4  1-4  1-4  DescribeLogDirs
   36     0    0    1    1    1    2    2    2    2    2    2    2    2    2    2    2    2    2    2    2    2  SaslAuthenticate
   37     1    1    1    1    1    2    2    3    3    3    3    3    3    3    3    3    3    3    3    3    3  CreatePartitions
   42     1    1    1    1    2    2    2    2    2    2    2    2    2    2    2    2    2    2    2    2    2  DeleteGroups
   43     -    -    0    0    2    2    2    2    2    2    2    2    2    2    2    2    2    2    2    2    2  ElectLeaders
   44     -    -    -    0    1    1    1    1    1    1    1    1    1    1    1    1    1    1    1    1    1  IncrementalAlterConfigs
   45     -    -    -    -    0    0    0    0    0    0    0    0    0    0    0    0    0    0    0    0    1  AlterPartitionReassignments
   46     -    -    -    -    0    0    0    0    0    0    0    0    0    0    0    0    0    0    0    0    0  ListPartitionReassignments
   47     -    -    -    -    0    0    0    0    0    0    0    0    0    0    0    0    0    0    0    0    0  OffsetDelete
   48     -    -    -    -    -    -    0    0    1    1    1    1    1    1    1    1    1    1    1    1    1  DescribeClientQuotas
   49     -    -    -    -    -    -    0    0    1    1    1    1    1    1    1    1    1    1    1    1    1  AlterClientQuotas
   50     -    -    -    -    -    -    -    0    0    0    0    0    0    0    0    0    0    0    0    0    0  DescribeUserScramCredentials
   51     -    -    -    -    -    -    -    0    0    0    0    0    0    0    0    0    0    0    0    0    0  AlterUserScramCredentials
   57     -    -    -    -    -    -    -    0    0    0    0    0    1    1    1    1    1    1    1    2    2  UpdateFeatures
   60     -    -    -    -    -    -    -    -    0    0    0    0    0    0    0    0    1    1    1    2    2  DescribeCluster
   61     -    -    -    -    -    -    -    -    0    0    0    0    0    0    0    0    0    0    0    0    0  DescribeProducers
   65     -    -    -    -    -    -    -    -    -    0    0    0    0    0    0    0    0    0    0    0    0  DescribeTransactions
   66     -    -    -    -    -    -    -    -    -    0    0    0    0    0    0    0    0    1    1    1    2  ListTransactions
   68     -    -    -    -    -    -    -    -    -    -    -    -    -    -    -    -    0    0    0    1    1  ConsumerGroupHeartbeat
   69     -    -    -    -    -    -    -    -    -    -    -    -    -    -    -    -    -    0    0    1    1  ConsumerGroupDescribe
   71     -    -    -    -    -    -    -    -    -    -    -    -    -    -    -    -    -    -    -  (0)  (0)  GetTelemetrySubscriptions
   72     -    -    -    -    -    -    -    -    -    -    -    -    -    -    -    -    -    -    -  (0)  (0)  PushTelemetry
   74     -    -    -    -    -    -    -    -    -    -    -    -    -    -    -    -    -    -    -    0    1  ListConfigResources
   75     -    -    -    -    -    -    -    -    -    -    -    -    -    -    -    -    -    -    -    0    0  DescribeTopicPartitions
`;

/** How a release's broker ran: Samsa emulates ZooKeeper mode before 4.0, KRaft from it. */
export type BrokerMode = 'zookeeper' | 'kraft';

export interface KafkaRelease {
  /** "2.8", "4.1", ... */
  readonly version: string;
  readonly mode: BrokerMode;
  /** The versions its broker advertised, by API key. */
  readonly advertised: ReadonlyMap<number, readonly [number, number]>;
  /** The versions it answered, advertised or not, by API key (a key it did not know is absent). */
  readonly answered: ReadonlyMap<number, readonly [number, number]>;
  /** The feature levels its broker reported (ApiVersions v3+), on a cluster formatted with its defaults. */
  readonly features: ReleaseFeatures;
}

export interface ReleaseFeatures {
  /** The supported ranges it reported (KRaft: metadata.version and every production feature whose latest level is above 0). */
  readonly supported: readonly SupportedFeature[];
  /**
   * The levels a new cluster of the release finalizes, for the features whose behaviour Samsa
   * implements (see features.ts); the others are left at 0, not finalized.
   */
  readonly finalized: ReadonlyMap<string, number>;
  /**
   * The finalized-features epoch a new cluster reports: ZooKeeper brokers from 2.7 report the
   * version of the /feature znode their controller creates (0); before 2.7 there was none (-1).
   * KRaft clusters report a metadata offset; Samsa counts its feature changes from 1 (features.ts).
   */
  readonly epoch: number;
}

const KRAFT_VERSION = 'kraft.version';

/** Kafka 4.0's supported ranges (4.0-IV3 is its latest production metadata.version; share groups were early access). */
const FEATURES_4_0: readonly SupportedFeature[] = [
  { name: 'eligible.leader.replicas.version', minVersion: 0, maxVersion: 1 },
  { name: 'group.version', minVersion: 0, maxVersion: 1 },
  { name: KRAFT_VERSION, minVersion: 0, maxVersion: 1 },
  { name: 'metadata.version', minVersion: 7, maxVersion: 25 },
  { name: 'transaction.version', minVersion: 0, maxVersion: 2 },
];

/** Kafka 4.1's (4.1-IV1; share.version 1 is a preview an operator may enable; streams.version 1 is not production yet). */
const FEATURES_4_1: readonly SupportedFeature[] = [
  { name: 'eligible.leader.replicas.version', minVersion: 0, maxVersion: 1 },
  { name: 'group.version', minVersion: 0, maxVersion: 1 },
  { name: KRAFT_VERSION, minVersion: 0, maxVersion: 1 },
  { name: 'metadata.version', minVersion: 7, maxVersion: 27 },
  { name: 'share.version', minVersion: 0, maxVersion: 1 },
  { name: 'transaction.version', minVersion: 0, maxVersion: 2 },
];

/** Kafka 4.1's ranges: what Samsa reports when it emulates no older release. */
export const LATEST_FEATURES = FEATURES_4_1;

function releaseFeatures(version: string, mode: BrokerMode): ReleaseFeatures {
  if (mode === 'zookeeper') {
    // ZooKeeper brokers report no supported features (BrokerFeatures.createEmpty) and never
    // metadata.version among the finalized ones (FinalizedFeatures in ZK mode)
    return { supported: [], finalized: new Map(), epoch: Number(version) >= 2.7 ? 0 : -1 };
  }
  const four0 = version === '4.0';
  return {
    supported: four0 ? FEATURES_4_0 : FEATURES_4_1,
    // a new 4.x cluster: its latest production metadata.version, transaction.version 2 (from
    // 4.0-IV2), group.version 1 (from 4.0-IV0); eligible.leader.replicas.version 1 (from 4.1-IV0)
    // is left out, as Samsa does not implement it
    finalized: new Map([
      ['group.version', 1],
      ['metadata.version', four0 ? 25 : 27],
      ['transaction.version', 2],
    ]),
    epoch: 1,
  };
}

function parseRange(cell: string): [number, number] {
  const dash = cell.indexOf('-');
  return dash < 0 ? [0, Number(cell)] : [Number(cell.slice(0, dash)), Number(cell.slice(dash + 1))];
}

function parseTable(): Map<string, KafkaRelease> {
  const lines = TABLE.trim().split('\n');
  const versions = lines[0]!.trim().split(/\s+/).slice(1);
  const advertised = versions.map(() => new Map<number, readonly [number, number]>());
  const answered = versions.map(() => new Map<number, readonly [number, number]>());
  for (const line of lines.slice(1)) {
    const cells = line.trim().split(/\s+/);
    const key = Number(cells[0]);
    versions.forEach((_, i) => {
      const cell = cells[i + 1]!;
      if (cell === '-') return;
      const hidden = cell.startsWith('(');
      const range = parseRange(hidden ? cell.slice(1, -1) : cell);
      answered[i]!.set(key, range);
      if (!hidden) advertised[i]!.set(key, range);
    });
  }
  const out = new Map<string, KafkaRelease>();
  versions.forEach((version, i) => {
    const mode: BrokerMode = Number(version) >= 4 ? 'kraft' : 'zookeeper';
    out.set(version, { version, mode, advertised: advertised[i]!, answered: answered[i]!, features: releaseFeatures(version, mode) });
  });
  return out;
}

const RELEASES = parseTable();

/** The releases Samsa can emulate, oldest first. */
export const KAFKA_VERSIONS: readonly string[] = [...RELEASES.keys()];

/**
 * The release named by `version`: "2.8", or with a patch level ("2.8.2", which advertised what
 * 2.8.0 did). Throws with the known releases listed for anything else.
 */
export function kafkaRelease(version: string): KafkaRelease {
  const m = /^(\d+\.\d+)(?:\.\d+)?$/.exec(version.trim());
  const release = m ? RELEASES.get(m[1]!) : undefined;
  if (release === undefined) {
    throw new Error(`unknown Kafka version "${version}": Samsa can emulate ${KAFKA_VERSIONS.join(', ')}`);
  }
  return release;
}

/** APIs Kafka 4.1 answers without advertising them (the telemetry APIs, with no client-telemetry reporter configured). */
const UNADVERTISED = new Set([...RELEASES.get('4.1')!.answered.keys()].filter(key => !RELEASES.get('4.1')!.advertised.has(key)));

/**
 * The versions of API `key` a broker advertises, given the range Samsa itself serves: with no
 * release emulated, that range (less the APIs Kafka 4.1 does not advertise); else the range both
 * share, or null when the release did not advertise the API or the ranges do not meet.
 */
export function advertisedRange(release: KafkaRelease | null, key: number, min: number, max: number): [number, number] | null {
  if (release === null) return UNADVERTISED.has(key) ? null : [min, max];
  return shared(release.advertised.get(key), min, max);
}

/** The versions of API `key` the broker answers, advertised or not; null: none (the release did not know the API). */
export function answeredRange(release: KafkaRelease | null, key: number, min: number, max: number): [number, number] | null {
  if (release === null) return [min, max];
  return shared(release.answered.get(key), min, max);
}

function shared(theirs: readonly [number, number] | undefined, min: number, max: number): [number, number] | null {
  if (theirs === undefined) return null;
  const lo = Math.max(min, theirs[0]);
  const hi = Math.min(max, theirs[1]);
  return lo <= hi ? [lo, hi] : null;
}
