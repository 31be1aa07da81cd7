// The disk engine's side of the data directory (Kafka's LogManager): one directory per
// partition, the recovery-point and log-start-offset checkpoints, and the clean-shutdown marker
// that tells the next start whether index files can be trusted.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import type { Clock, Timer } from '../broker/clock.js';
import { fsyncDir, readOffsetCheckpoint, writeFileAtomic, writeOffsetCheckpoint, type OffsetCheckpoint } from './checkpoint.js';
import { DiskLog, OfflineLog } from './disk-log.js';
import { FileHandles } from './file-handles.js';
import type { LogCreateOptions, LogFactory, PartitionLog } from './log.js';

export const CLEAN_SHUTDOWN_FILE = '.kafka_cleanshutdown';
export const RECOVERY_POINT_CHECKPOINT = 'recovery-point-offset-checkpoint';
export const LOG_START_OFFSET_CHECKPOINT = 'log-start-offset-checkpoint';
export const CLEANER_OFFSET_CHECKPOINT = 'cleaner-offset-checkpoint';
const PARTITION_METADATA = 'partition.metadata';
const DELETED_DIR_SUFFIX = '-delete';

export interface DiskLogFactoryOptions {
  dataDir: string;
  log: Logger;
  clock: Clock;
  /** Segment files kept open at once (least recently used ones close). */
  maxOpenFiles: number;
  /** log.flush.offset.checkpoint.interval.ms */
  checkpointIntervalMs: number;
}

/** A partition directory's name: `<topic>-<partition>`. */
export const partitionDirName = (topic: string, partition: number) => `${topic}-${partition}`;

export class DiskLogFactory implements LogFactory {
  /** The previous run shut down cleanly. */
  readonly clean: boolean;
  readonly handles: FileHandles;
  private readonly logs = new Map<string, DiskLog | OfflineLog>();
  private readonly recoveryPoints: OffsetCheckpoint;
  private readonly logStartOffsets: OffsetCheckpoint;
  /** Where each compacted log's dirty part begins. */
  private readonly cleanerOffsets: OffsetCheckpoint;
  private checkpointTimer: Timer | null = null;
  private closed = false;

  constructor(private readonly opts: DiskLogFactoryOptions) {
    fs.mkdirSync(opts.dataDir, { recursive: true });
    this.handles = new FileHandles(opts.maxOpenFiles);
    const marker = path.join(opts.dataDir, CLEAN_SHUTDOWN_FILE);
    let clean = fs.existsSync(marker);
    const read = (name: string): OffsetCheckpoint => {
      try {
        return readOffsetCheckpoint(path.join(opts.dataDir, name));
      } catch (err) {
        opts.log.warn({ err, file: name }, 'unreadable checkpoint file: recovering every segment');
        clean = false;
        return new Map();
      }
    };
    this.recoveryPoints = read(RECOVERY_POINT_CHECKPOINT);
    this.logStartOffsets = read(LOG_START_OFFSET_CHECKPOINT);
    // a lost or unreadable cleaner checkpoint costs a full cleaning, nothing more: no recovery
    let cleanerOffsets: OffsetCheckpoint = new Map();
    try {
      cleanerOffsets = readOffsetCheckpoint(path.join(opts.dataDir, CLEANER_OFFSET_CHECKPOINT));
    } catch (err) {
      opts.log.warn({ err, file: CLEANER_OFFSET_CHECKPOINT }, 'unreadable cleaner checkpoint: compacted logs are cleaned from their start');
    }
    this.cleanerOffsets = cleanerOffsets;
    this.clean = clean;
    if (fs.existsSync(marker)) {
      // from now on a crash is an unclean shutdown
      fs.rmSync(marker);
      fsyncDir(opts.dataDir);
    }
    opts.log.info({ dataDir: opts.dataDir, cleanShutdown: this.clean }, 'opening the data directory');
    this.removeLeftoverDeletions();
    this.scheduleCheckpoint();
  }

  private scheduleCheckpoint(): void {
    const ms = this.opts.checkpointIntervalMs;
    if (ms <= 0 || ms >= 2 ** 31) return;
    this.checkpointTimer = this.opts.clock.setTimeout(() => {
      try {
        this.checkpoint();
      } catch (err) {
        this.opts.log.error({ err }, 'writing the offset checkpoints failed');
      }
      if (!this.closed) this.scheduleCheckpoint();
    }, ms);
  }

  /** Partition directories present in the data directory, by name. */
  partitionDirs(): string[] {
    return fs
      .readdirSync(this.opts.dataDir, { withFileTypes: true })
      .filter(d => d.isDirectory() && /-\d+$/.test(d.name))
      .map(d => d.name);
  }

  create(topic: string, partition: number, opts: LogCreateOptions): PartitionLog {
    const name = partitionDirName(topic, partition);
    const dir = path.join(this.opts.dataDir, name);
    let log: DiskLog | OfflineLog;
    try {
      if (opts.isNew) {
        // a directory left by an earlier topic of this name holds nothing of this one
        fs.rmSync(dir, { recursive: true, force: true });
        this.forgetCheckpoints(name);
      }
      log = DiskLog.open(
        dir,
        name,
        { handles: this.handles, log: this.opts.log, clock: this.opts.clock, settings: opts.settings },
        {
          recoveryPoint: this.recoveryPoints.get(name) ?? 0,
          logStartOffset: this.logStartOffsets.get(name) ?? 0,
          clean: this.clean && !opts.isNew,
          firstDirtyOffset: this.cleanerOffsets.get(name) ?? 0,
        },
      );
      const meta = path.join(dir, PARTITION_METADATA);
      if (!fs.existsSync(meta)) writeFileAtomic(meta, `version: 0\ntopic_id: ${opts.topicId}\n`);
    } catch (err) {
      this.opts.log.error({ err, partition: name }, 'partition offline: its log could not be opened');
      log = new OfflineLog(name, (err as Error).message);
    }
    this.logs.set(name, log);
    return log;
  }

  /**
   * Deletes a partition's log. Before it returns its promise, the log is stopped and its
   * directory renamed to `<name>.<random>-delete` (as Kafka does), so a topic created under the
   * same name at once starts clean and is never touched by the removal, which finishes later.
   */
  remove(topic: string, partition: number): Promise<void> {
    const name = partitionDirName(topic, partition);
    const log = this.logs.get(name);
    this.logs.delete(name);
    this.forgetCheckpoints(name);
    if (log instanceof DiskLog) log.discard();
    return this.deleteDir(name);
  }

  private forgetCheckpoints(name: string): void {
    this.recoveryPoints.delete(name);
    this.logStartOffsets.delete(name);
    this.cleanerOffsets.delete(name);
  }

  /** Removes a partition directory no topic owns (left by a topic deleted during a crash). */
  removeStray(name: string): Promise<void> {
    this.opts.log.info({ partition: name }, 'deleting a partition directory that belongs to no topic');
    return this.deleteDir(name);
  }

  /** Renames a directory out of the way now and removes it in the background. */
  private deleteDir(name: string): Promise<void> {
    const dir = path.join(this.opts.dataDir, name);
    const gone = `${dir}.${randomBytes(8).toString('hex')}${DELETED_DIR_SUFFIX}`;
    try {
      fs.renameSync(dir, gone);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return Promise.resolve();
      throw err;
    }
    return this.removeInBackground(gone);
  }

  /** Removes a directory already renamed for deletion; a failure is logged (the next start retries). */
  private removeInBackground(gone: string): Promise<void> {
    return fs.promises.rm(gone, { recursive: true, force: true }).catch(err => {
      this.opts.log.warn({ err, dir: gone }, 'removing a deleted partition directory failed');
    });
  }

  /** Directories renamed for deletion whose removal a crash interrupted: removed in the background. */
  private removeLeftoverDeletions(): void {
    for (const d of fs.readdirSync(this.opts.dataDir)) {
      if (!d.endsWith(DELETED_DIR_SUFFIX)) continue;
      void this.removeInBackground(path.join(this.opts.dataDir, d));
    }
  }

  /** Writes the recovery points and log start offsets of every open log. */
  checkpoint(): void {
    for (const [name, log] of this.logs) {
      // an offline log keeps the checkpoints it had: what it holds since is not known to be on disk
      if (!(log instanceof DiskLog) || log.offline !== undefined) continue;
      this.recoveryPoints.set(name, log.recoveryPoint);
      this.logStartOffsets.set(name, log.logStartOffset);
      if (log.firstDirtyOffset > 0) this.cleanerOffsets.set(name, log.firstDirtyOffset);
    }
    writeOffsetCheckpoint(path.join(this.opts.dataDir, RECOVERY_POINT_CHECKPOINT), this.recoveryPoints);
    writeOffsetCheckpoint(path.join(this.opts.dataDir, LOG_START_OFFSET_CHECKPOINT), this.logStartOffsets);
    writeOffsetCheckpoint(path.join(this.opts.dataDir, CLEANER_OFFSET_CHECKPOINT), this.cleanerOffsets);
  }

  /** Closes every log, writes the checkpoints and leaves the clean-shutdown marker. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.checkpointTimer?.cancel();
    // an offline partition, or a failure now, makes the next start recover as after a crash
    let clean = true;
    for (const log of this.logs.values()) {
      if (log instanceof OfflineLog || log.offline !== undefined) clean = false;
      try {
        await log.close();
      } catch (err) {
        clean = false;
        this.opts.log.error({ err, partition: (log as DiskLog).name }, 'closing a log failed');
      }
    }
    try {
      this.checkpoint();
      if (clean) writeFileAtomic(path.join(this.opts.dataDir, CLEAN_SHUTDOWN_FILE), '');
    } catch (err) {
      this.opts.log.error({ err }, 'writing the checkpoints at shutdown failed: the next start recovers every log');
    } finally {
      this.handles.closeAll();
    }
  }
}
