// Feature versions (KIP-584, KIP-1022): the levels of each feature this broker supports, and the
// levels finalized for the cluster. ApiVersions v3+ reports both, and clients decide on them: the
// Java producer from 4.0 uses transaction version 2 (KIP-890 part 2: no AddPartitionsToTxn, an
// epoch bump per transaction) only when transaction.version is finalized at 2 or more.
//
// Samsa finalizes what a new Kafka 4.1 cluster formatted with its defaults finalizes, for the
// features whose behaviour Samsa implements: metadata.version 4.1-IV1, group.version 1 (the
// consumer group protocol of KIP-848) and transaction.version 2. Changing them (UpdateFeatures)
// is not built yet.

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

/** Kafka's metadata.version levels: 3.3-IV3 (the oldest KRaft level Kafka 4 supports) and 4.1-IV1. */
const METADATA_VERSION_3_3_IV3 = 7;
const METADATA_VERSION_4_1_IV1 = 27;

const SUPPORTED: readonly SupportedFeature[] = [
  { name: GROUP_VERSION, minVersion: 0, maxVersion: 1 },
  { name: METADATA_VERSION, minVersion: METADATA_VERSION_3_3_IV3, maxVersion: METADATA_VERSION_4_1_IV1 },
  { name: TRANSACTION_VERSION, minVersion: 0, maxVersion: 2 },
];

export class Features {
  private readonly finalized = new Map<string, number>([
    [GROUP_VERSION, 1],
    [METADATA_VERSION, METADATA_VERSION_4_1_IV1],
    [TRANSACTION_VERSION, 2],
  ]);

  /**
   * The epoch of the finalized levels (Kafka: the metadata offset they were read at). Clients
   * take the finalized levels only from an epoch newer than the last they saw, and ignore them
   * below 0.
   */
  readonly epoch = 1;

  supported(): readonly SupportedFeature[] {
    return SUPPORTED;
  }

  finalizedFeatures(): FinalizedFeature[] {
    return [...this.finalized].map(([name, level]) => ({ name, level }));
  }

  /** The finalized level of a feature, 0 when it is not finalized. */
  level(name: string): number {
    return this.finalized.get(name) ?? 0;
  }
}
