// Feature versions (KIP-584, KIP-778, KIP-1022): the levels of each feature the cluster supports,
// and the levels finalized for it. ApiVersions v3+ reports both, and clients decide on them: the
// Java producer from 4.0 uses transaction version 2 (KIP-890 part 2: no AddPartitionsToTxn, an
// epoch bump per transaction) only when transaction.version is finalized at 2 or more.
// UpdateFeatures (57) changes the finalized levels with the rules of Kafka 4.1's controller
// (FeatureControlManager.updateFeatures): update() is that, and once the broker runs nothing else
// changes them.
//
// Samsa reports the supported ranges of Kafka 4.1 (or of the release it emulates), and finalizes,
// on a new cluster, what a new Kafka 4.1 cluster formatted with its defaults finalizes for the
// features whose behaviour Samsa implements: metadata.version 4.1-IV1, transaction.version 2,
// group.version 1. What each level changes here:
//   - transaction.version: the version of the __transaction_state values the transaction
//     coordinator writes (v1, flexible, from level 1; v0 at 0), and what clients read from
//     ApiVersions to choose the transaction protocol (level 2: KIP-890 part 2).
//   - group.version: at 0 ConsumerGroupHeartbeat and ConsumerGroupDescribe are answered
//     UNSUPPORTED_VERSION, as Kafka does when the consumer rebalance protocol is off (KIP-848).
//   - metadata.version: only what Kafka checks it for in UpdateFeatures (which levels other
//     features depend on, which downgrades may lose metadata).
// kraft.version, eligible.leader.replicas.version and share.version stay at 0: Samsa has no KRaft
// quorum, no eligible leader replicas (KIP-966) and no share groups (KIP-932), so UpdateFeatures
// refuses other levels of them, after Kafka's own checks.
//
// In disk mode the finalized levels and their epoch are kept in samsa-features.json in the data
// directory, written atomically on every change, so they survive restarts.
import path from 'node:path';
import { ErrorCode } from '../protocol/errors.js';
import { readJsonFile, writeJsonFileAtomic } from '../storage/checkpoint.js';
import { LATEST_FEATURES, type KafkaRelease } from './kafka-versions.js';

export interface SupportedFeature {
  name: string;
  minVersion: number;
  maxVersion: number;
}

export interface FinalizedFeature {
  name: string;
  level: number;
}

export const TRANSACTION_VERSION = 'transaction.version';
export const GROUP_VERSION = 'group.version';
export const METADATA_VERSION = 'metadata.version';
export const KRAFT_VERSION = 'kraft.version';
export const ELIGIBLE_LEADER_REPLICAS_VERSION = 'eligible.leader.replicas.version';
export const SHARE_VERSION = 'share.version';
export const STREAMS_VERSION = 'streams.version';

export const FEATURES_FILE = 'samsa-features.json';

/**
 * Kafka 4.1's metadata.version levels from its minimum (3.3-IV3): name, and whether the level
 * changed the metadata format (MetadataVersion's didMetadataChange), which decides the downgrades
 * that are safe.
 */
const METADATA_VERSIONS: readonly (readonly [level: number, name: string, changed: boolean])[] = [
  [7, '3.3-IV3', true],
  [8, '3.4-IV0', true],
  [9, '3.5-IV0', false],
  [10, '3.5-IV1', false],
  [11, '3.5-IV2', true],
  [12, '3.6-IV0', false],
  [13, '3.6-IV1', true],
  [14, '3.6-IV2', true],
  [15, '3.7-IV0', true],
  [16, '3.7-IV1', false],
  [17, '3.7-IV2', true],
  [18, '3.7-IV3', false],
  [19, '3.7-IV4', false],
  [20, '3.8-IV0', false],
  [21, '3.9-IV0', false],
  [22, '4.0-IV0', false],
  [23, '4.0-IV1', true],
  [24, '4.0-IV2', false],
  [25, '4.0-IV3', false],
  [26, '4.1-IV0', false],
  [27, '4.1-IV1', false],
];
const MINIMUM_METADATA_VERSION = 7;
const MV_CHANGED = new Map(METADATA_VERSIONS.map(([level, , changed]) => [level, changed]));

/** The metadata.version name of a level ("4.1-IV1"), or the number when Samsa does not know it. */
export function metadataVersionName(level: number): string {
  return METADATA_VERSIONS.find(([l]) => l === level)?.[1] ?? String(level);
}

/**
 * MetadataVersion.checkIfMetadataChanged: walking down from the higher level, whether a level
 * that changed the metadata is met before the lower one is reached.
 */
function metadataChangedBetween(a: number, b: number): boolean {
  if (a === b) return false;
  const low = Math.min(a, b);
  let level = Math.max(a, b);
  while (MV_CHANGED.get(level) === false && level !== low) level--;
  return level !== low;
}

interface FeatureDef {
  /** Kafka 4.1's levels of the feature (FeatureVersion values). */
  levels: readonly number[];
  /** Per level, the levels of other features it needs (FeatureVersion.dependencies). */
  dependencies: Readonly<Record<number, Readonly<Record<string, number>>>>;
  /** The levels whose behaviour Samsa implements: UpdateFeatures sets no other. */
  implemented: readonly number[];
}

/**
 * Kafka 4.1's Feature enum (without the unit-test ones), with Samsa's implemented levels. The
 * metadata.version each level needs: group.version 1 4.0-IV0 (GroupVersion.GV_1),
 * eligible.leader.replicas.version 1 4.0-IV1 (ELRV_1, KAFKA-18634 / apache/kafka#18954),
 * share.version 1 4.1-IV1 (ShareVersion.SV_1 of the 4.1 line).
 */
const FEATURE_DEFS: ReadonlyMap<string, FeatureDef> = new Map<string, FeatureDef>([
  [KRAFT_VERSION, { levels: [0, 1], dependencies: {}, implemented: [0] }],
  [TRANSACTION_VERSION, { levels: [0, 1, 2], dependencies: {}, implemented: [0, 1, 2] }],
  [GROUP_VERSION, { levels: [0, 1], dependencies: { 1: { [METADATA_VERSION]: 22 } }, implemented: [0, 1] }],
  [ELIGIBLE_LEADER_REPLICAS_VERSION, { levels: [0, 1], dependencies: { 1: { [METADATA_VERSION]: 23 } }, implemented: [0] }],
  [SHARE_VERSION, { levels: [0, 1], dependencies: { 1: { [METADATA_VERSION]: 27 } }, implemented: [0] }],
  [STREAMS_VERSION, { levels: [0, 1], dependencies: {}, implemented: [0] }],
  // a feature of Kafka's tests: not production, so no controller supports a level above 0
  ['test.feature.version', { levels: [0], dependencies: {}, implemented: [0] }],
]);

/** FeatureUpdate.UpgradeType codes. */
export const UpgradeType = { UPGRADE: 1, SAFE_DOWNGRADE: 2, UNSAFE_DOWNGRADE: 3 } as const;

export interface FeatureUpdate {
  feature: string;
  level: number;
  /** The request's upgrade type code; anything but 1-3 is Kafka's UNKNOWN. */
  upgradeType: number;
}

export interface UpdateError {
  code: number;
  message: string;
}

/** APIs a finalized level switches off: answered UNSUPPORTED_VERSION while group.version is 0. */
const CONSUMER_GROUP_APIS = new Set([68, 69]);

export class Features {
  private supportedRanges: readonly SupportedFeature[] = LATEST_FEATURES;
  private readonly finalized = new Map<string, number>([
    [GROUP_VERSION, 1],
    [METADATA_VERSION, 27],
    [TRANSACTION_VERSION, 2],
  ]);
  private currentEpoch = 1;
  private file: string | null = null;
  private emulated: KafkaRelease | null = null;

  /**
   * The epoch of the finalized levels (Kafka: the metadata offset they were read at), advanced by
   * every change. Clients take the finalized levels only from an epoch newer than the last they
   * saw, and ignore them below 0.
   */
  get epoch(): number {
    return this.currentEpoch;
  }

  /** The Kafka release emulated (--kafka-version), or null. */
  get release(): KafkaRelease | null {
    return this.emulated;
  }

  supported(): readonly SupportedFeature[] {
    return this.supportedRanges;
  }

  /** The finalized features, those at level 0 left out (as Kafka's ApiVersions does). */
  finalizedFeatures(): FinalizedFeature[] {
    return [...this.finalized].filter(([, level]) => level !== 0).map(([name, level]) => ({ name, level }));
  }

  /** The finalized level of a feature, 0 when it is not finalized. */
  level(name: string): number {
    return this.finalized.get(name) ?? 0;
  }

  /** Whether the finalized levels switch API `key` off (dispatch answers it UNSUPPORTED_VERSION). */
  disables(key: number): boolean {
    return CONSUMER_GROUP_APIS.has(key) && this.level(GROUP_VERSION) < 1;
  }

  /**
   * Emulates `release` (--kafka-version): its supported ranges, and a new cluster's finalized
   * levels of it. Emulated levels are not kept in the data directory: each start begins at them.
   */
  emulate(release: KafkaRelease): void {
    this.emulated = release;
    this.file = null;
    this.supportedRanges = release.features.supported;
    this.finalized.clear();
    for (const [name, level] of release.features.finalized) this.finalized.set(name, level);
    this.currentEpoch = release.features.epoch;
  }

  /**
   * Keeps the finalized levels in `dataDir`: reads them back when the file exists, else writes
   * the current ones (a new data directory, or one from before this file). Throws, with the
   * file's name, when it cannot be read or holds a level Samsa cannot serve.
   */
  openIn(dataDir: string): void {
    if (this.emulated !== null) return;
    const file = path.join(dataDir, FEATURES_FILE);
    let parsed: { version?: unknown; epoch?: unknown; finalized?: unknown } | undefined;
    try {
      parsed = readJsonFile(file);
    } catch (err) {
      throw new Error(`${file}: not readable (${(err as Error).message})`);
    }
    if (parsed !== undefined) {
      if (parsed.version !== 1) throw new Error(`${file}: unknown version ${String(parsed.version)}`);
      if (typeof parsed.epoch !== 'number' || !Number.isSafeInteger(parsed.epoch) || parsed.epoch < 0) {
        throw new Error(`${file}: bad epoch ${String(parsed.epoch)}`);
      }
      if (typeof parsed.finalized !== 'object' || parsed.finalized === null) throw new Error(`${file}: no finalized levels`);
      const levels = new Map<string, number>();
      for (const [name, level] of Object.entries(parsed.finalized)) {
        if (typeof level !== 'number' || !this.servable(name, level)) throw new Error(`${file}: Samsa cannot serve ${name} at level ${String(level)}`);
        if (level !== 0) levels.set(name, level);
      }
      if (!levels.has(METADATA_VERSION)) throw new Error(`${file}: no metadata.version`);
      this.finalized.clear();
      for (const [name, level] of levels) this.finalized.set(name, level);
      this.currentEpoch = parsed.epoch;
      this.file = file;
    } else {
      this.file = file;
      this.save();
    }
  }

  /** Whether a stored level is one this Samsa supports and implements. */
  private servable(name: string, level: number): boolean {
    if (!Number.isInteger(level)) return false;
    const range = this.supportedRanges.find(f => f.name === name);
    if (name === METADATA_VERSION) return range !== undefined && level >= range.minVersion && level <= range.maxVersion;
    const def = FEATURE_DEFS.get(name);
    return def !== undefined && def.implemented.includes(level) && (level === 0 || (range !== undefined && level <= range.maxVersion));
  }

  private save(): void {
    if (this.file === null) return;
    const finalized = Object.fromEntries([...this.finalized].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    writeJsonFileAtomic(this.file, { version: 1, epoch: this.currentEpoch, finalized });
  }

  /**
   * Kafka 4.1's FeatureControlManager.updateFeatures: checks `updates` in the order given (the
   * caller gives Kafka's), and answers the first failure with INVALID_UPDATE_VERSION and Kafka's
   * message, changing nothing; else applies them all (unless `validateOnly`), advances the epoch
   * and returns the levels that changed. `controllerId` names the controller in messages.
   */
  update(
    updates: readonly FeatureUpdate[],
    validateOnly: boolean,
    controllerId: number,
  ): { error: UpdateError } | { changed: FinalizedFeature[]; records: number } {
    const proposed = new Map(this.finalized);
    proposed.set(METADATA_VERSION, this.level(METADATA_VERSION));
    for (const u of updates) proposed.set(u.feature, u.level);
    // what Kafka's controller would write: a FeatureLevelRecord per update, a NoOpRecord for a
    // kraft.version upgrade to its level, nothing for a kraft.version "downgrade" to it
    const records: { feature: string; level: number | null }[] = [];
    for (const u of updates) {
      const outcome = this.check(u, proposed, controllerId);
      if (typeof outcome === 'string') return { error: { code: ErrorCode.INVALID_UPDATE_VERSION, message: outcome } };
      if (outcome !== undefined) records.push({ feature: u.feature, level: outcome });
    }
    if (validateOnly || records.length === 0) return { changed: [], records: records.length };
    const before = new Map(this.finalized);
    const beforeEpoch = this.currentEpoch;
    for (const r of records) {
      if (r.level === null) continue;
      if (r.level === 0) this.finalized.delete(r.feature);
      else this.finalized.set(r.feature, r.level);
    }
    this.currentEpoch++;
    try {
      this.save();
    } catch (err) {
      // nothing is changed when the change cannot be kept
      this.finalized.clear();
      for (const [name, level] of before) this.finalized.set(name, level);
      this.currentEpoch = beforeEpoch;
      return { error: { code: ErrorCode.FEATURE_UPDATE_FAILED, message: `The finalized feature levels could not be saved: ${(err as Error).message}` } };
    }
    const changed: FinalizedFeature[] = [];
    for (const name of new Set([...before.keys(), ...this.finalized.keys()])) {
      if (before.get(name) !== this.finalized.get(name)) changed.push({ name, level: this.level(name) });
    }
    return { changed, records: records.length };
  }

  /**
   * FeatureControlManager.updateFeature for one update: Kafka's error message, or the level to
   * record (null: a no-op record; undefined: no record).
   */
  private check(u: FeatureUpdate, proposed: ReadonlyMap<string, number>, controllerId: number): string | number | null | undefined {
    const { feature, level } = u;
    const invalid = (reason: string) => `Invalid update version ${level} for feature ${feature}. ${reason}`;
    const type = u.upgradeType === 1 || u.upgradeType === 2 || u.upgradeType === 3 ? u.upgradeType : 0;
    if (type === 0) return invalid('The controller does not support the given upgrade type.');
    const current = this.level(feature);
    if (level < 0) return invalid('A feature version cannot be less than 0.');
    // QuorumFeatures.reasonNotSupported: the local controller's range (every Samsa node runs the
    // same software, so the brokers' ranges are the same)
    const range = this.supportedRanges.find(f => f.name === feature) ?? { name: feature, minVersion: 0, maxVersion: 0 };
    if (level < range.minVersion || level > range.maxVersion) {
      const what = `Local controller ${controllerId}`;
      if (range.maxVersion === 0) return invalid(`${what} does not support this feature.`);
      const shown = range.minVersion === range.maxVersion ? String(range.minVersion) : `${range.minVersion}-${range.maxVersion}`;
      return invalid(`${what} only supports versions ${shown}`);
    }
    if (level < current && type === UpgradeType.UPGRADE) {
      return invalid("Can't downgrade the version of this feature without setting the upgrade type to either safe or unsafe downgrade.");
    }
    if (level > current && type !== UpgradeType.UPGRADE) return invalid("Can't downgrade to a newer version.");

    if (feature === METADATA_VERSION) {
      const invalidMv = (reason: string) => `Invalid metadata.version ${level}. ${reason}`;
      if (!MV_CHANGED.has(level)) return invalidMv('Unknown metadata.version.');
      if (level < current && metadataChangedBetween(current, level)) {
        if (type === UpgradeType.UNSAFE_DOWNGRADE) return invalidMv('Unsafe metadata downgrade is not supported in this version.');
        return invalidMv('Refusing to perform the requested downgrade because it might delete metadata information.');
      }
      return level;
    }
    if (feature === KRAFT_VERSION) {
      if (type !== UpgradeType.UPGRADE) return level !== current ? invalid("Can't downgrade the version of this feature.") : undefined;
      if (level !== current) return invalid('Samsa has no KRaft controller quorum whose kraft.version could change.');
      return null;
    }
    // Feature.validateVersion, with the levels the request proposes
    const def = FEATURE_DEFS.get(feature);
    if (def === undefined) return invalid(`Feature ${feature} not found.`);
    if (!def.levels.includes(level)) return invalid(`No feature:${feature} with feature level ${level}`);
    const mv = proposed.get(METADATA_VERSION);
    if (level >= 1 && (mv === undefined || mv < MINIMUM_METADATA_VERSION)) {
      return invalid(
        `${feature} could not be set to ${level} because it depends on metadata.version=${MINIMUM_METADATA_VERSION} (${metadataVersionName(MINIMUM_METADATA_VERSION)})`,
      );
    }
    for (const [dependency, needed] of Object.entries(def.dependencies[level] ?? {})) {
      const has = proposed.get(dependency);
      if (has === undefined || has < needed) {
        return invalid(`${feature} could not be set to ${level} because it depends on ${dependency} level ${needed}`);
      }
    }
    if (!def.implemented.includes(level)) return invalid(`Samsa does not implement level ${level} of ${feature}.`);
    return level;
  }
}
