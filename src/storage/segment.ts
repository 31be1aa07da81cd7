// One segment of a partition's log on disk (Kafka's LogSegment): `<base offset>.log` holds the
// record batches exactly as produced (offsets assigned), `.index` and `.timeindex` its sparse
// offset and time indexes. The segment owns its three files; the log above it decides when to
// roll, flush, recover and delete.
import fs from 'node:fs';
import path from 'node:path';
import { crc32c } from '@node-rs/crc32';
import { ATTRIBUTES, BATCH_LENGTH, CRC, HEADER_SIZE, LAST_OFFSET_DELTA, LOG_OVERHEAD, MAGIC, MAX_TIMESTAMP, PARTITION_LEADER_EPOCH, readInt64 } from '../protocol/records.js';
import type { FileHandles } from './file-handles.js';
import { readBuffers } from './read-buffers.js';
import { OffsetIndex } from './offset-index.js';
import { TimeIndex } from './time-index.js';
import { TransactionIndex } from './txn-index.js';

/** Kafka's file names: the base offset, zero-padded to 20 digits. */
export function segmentFileName(baseOffset: number, suffix: string): string {
  return `${String(baseOffset).padStart(20, '0')}${suffix}`;
}

/** The header fields of a stored batch the log works with. */
export interface StoredBatch {
  position: number;
  size: number;
  baseOffset: number;
  lastOffset: number;
  maxTimestamp: number;
  leaderEpoch: number;
}

export function storedBatch(buf: Buffer, at: number, position: number): StoredBatch {
  const baseOffset = readInt64(buf, at);
  return {
    position,
    size: LOG_OVERHEAD + buf.readInt32BE(at + BATCH_LENGTH),
    baseOffset,
    lastOffset: baseOffset + buf.readInt32BE(at + LAST_OFFSET_DELTA),
    maxTimestamp: readInt64(buf, at + MAX_TIMESTAMP),
    leaderEpoch: buf.readInt32BE(at + PARTITION_LEADER_EPOCH),
  };
}

/** Reads exactly `length` bytes at `position` (fewer only at the end of the file). */
function readFully(fd: number, buf: Buffer, length: number, position: number): Promise<number> {
  return new Promise((resolve, reject) => {
    let done = 0;
    const step = (): void => {
      fs.read(fd, buf, done, length - done, position + done, (err, n) => {
        if (err) return reject(err);
        done += n;
        if (n === 0 || done === length) resolve(done);
        else step();
      });
    };
    step();
  });
}

function readFullySync(fd: number, buf: Buffer, length: number, position: number): number {
  let done = 0;
  while (done < length) {
    const n = fs.readSync(fd, buf, done, length - done, position + done);
    if (n === 0) break;
    done += n;
  }
  return done;
}

/** What recovery found wrong at the end of a segment. */
export interface RecoveryResult {
  /** Bytes cut from the end of the .log (a torn or corrupt tail). */
  truncatedBytes: number;
  /** Why the tail was cut, when it was. */
  reason: string | null;
}

export interface SegmentOptions {
  indexIntervalBytes: number;
  /** segment.index.bytes */
  indexMaxBytes: number;
}

/** How far a header walk reads at once. */
const WALK_WINDOW = 16 * 1024;
/** Recovery reads the log in chunks of this size (larger batches get their own read). */
const RECOVERY_CHUNK = 1024 * 1024;

/** A segment deleted under a read (retention, or a cleaned segment swapped in): the log looks again. */
export class SegmentGoneError extends Error {}

/**
 * The offset after the last whole batch of a .log file, read from its headers alone (for a
 * cleaned segment whose swap a crash interrupted); its base offset when it holds none.
 */
export function nextOffsetOfFile(file: string, baseOffset: number): number {
  const fd = fs.openSync(file, 'r');
  try {
    const size = fs.fstatSync(fd).size;
    const head = Buffer.allocUnsafe(HEADER_SIZE);
    let next = baseOffset;
    for (let pos = 0; pos + HEADER_SIZE <= size; ) {
      if (readFullySync(fd, head, HEADER_SIZE, pos) < HEADER_SIZE) break;
      const b = storedBatch(head, 0, pos);
      if (b.size < HEADER_SIZE || pos + b.size > size) break;
      next = b.lastOffset + 1;
      pos += b.size;
    }
    return next;
  } finally {
    fs.closeSync(fd);
  }
}

export class LogSegment {
  logPath: string;
  indexPath: string;
  timeIndexPath: string;
  /** Set once the files are deleted: reads then fail with SegmentGoneError instead of reopening them. */
  private deleted = false;
  size = 0;
  /** Last offset + 1; the base offset while empty. */
  nextOffset: number;
  maxTimestamp = -1;
  /** Offset of the first batch holding maxTimestamp (its base offset), -1 while empty. */
  offsetOfMaxTimestamp = -1;
  /** The first batch's max timestamp, which segment.ms counts from (Kafka's rollingBasedTimestamp). */
  firstBatchTimestamp = -1;
  offsetIndex: OffsetIndex;
  timeIndex: TimeIndex;
  /** The aborted transactions whose markers lie here (`.txnindex`). */
  readonly txnIndex: TransactionIndex;
  private bytesSinceLastIndexEntry = 0;
  /** Where the last read ended: the next sequential fetch starts there without a lookup. */
  private hintOffset = -1;
  private hintPosition = 0;
  /** The indexes changed since they were last written. */
  private indexesDirty = true;

  constructor(
    private readonly handles: FileHandles,
    readonly dir: string,
    readonly baseOffset: number,
    private readonly opts: SegmentOptions,
    /** When the segment was created (ms); segment.ms counts from here until it holds a batch. */
    readonly createdMs: number,
    /** Appended to each file name: `.cleaned` and `.swap` while the cleaner replaces segments. */
    suffix = '',
  ) {
    this.logPath = path.join(dir, segmentFileName(baseOffset, '.log') + suffix);
    this.indexPath = path.join(dir, segmentFileName(baseOffset, '.index') + suffix);
    this.timeIndexPath = path.join(dir, segmentFileName(baseOffset, '.timeindex') + suffix);
    this.txnIndex = new TransactionIndex(path.join(dir, segmentFileName(baseOffset, '.txnindex') + suffix));
    this.nextOffset = baseOffset;
    this.offsetIndex = new OffsetIndex(baseOffset, Math.max(1, Math.floor(opts.indexMaxBytes / 8)));
    this.timeIndex = new TimeIndex(baseOffset, Math.max(1, Math.floor(opts.indexMaxBytes / 12)));
  }

  get isEmpty(): boolean {
    return this.size === 0;
  }

  get indexFull(): boolean {
    return this.offsetIndex.isFull || this.timeIndex.isFull;
  }

  /** Bytes of the larger of its index files, as written. */
  get indexBytes(): number {
    return Math.max(this.offsetIndex.entries * 8, this.timeIndex.entries * 12);
  }

  /** Creates the segment's .log file (empty). */
  static create(handles: FileHandles, dir: string, baseOffset: number, opts: SegmentOptions, nowMs: number, suffix = ''): LogSegment {
    const s = new LogSegment(handles, dir, baseOffset, opts, nowMs, suffix);
    fs.ftruncateSync(handles.fd(s.logPath), 0);
    return s;
  }

  /**
   * Opens an existing segment. With `trustIndexes` (a clean shutdown, or a segment below the
   * recovery point) the index files are read and sanity-checked; when they are missing or
   * damaged, or not trusted, the segment is recovered: scanned, validated and re-indexed.
   */
  static open(
    handles: FileHandles,
    dir: string,
    baseOffset: number,
    opts: SegmentOptions,
    trustIndexes: boolean,
    onRecoveredBatch?: (b: StoredBatch) => void,
  ): { segment: LogSegment; recovery: RecoveryResult | null; indexProblem: string | null } {
    const logPath = path.join(dir, segmentFileName(baseOffset, '.log'));
    const stat = fs.statSync(logPath);
    const s = new LogSegment(handles, dir, baseOffset, opts, stat.mtimeMs);
    s.size = stat.size;
    let indexProblem: string | null = null;
    if (trustIndexes) {
      indexProblem = s.loadIndexes();
      if (indexProblem === null) {
        s.txnIndex.load(s.nextOffset);
        return { segment: s, recovery: null, indexProblem: null };
      }
    }
    const recovery = s.recover(onRecoveredBatch);
    // the log's producer state replay indexes the recovered segment's aborted transactions again
    s.txnIndex.reset();
    return { segment: s, recovery, indexProblem };
  }

  /** Reads the index files and the tail after their last entries; returns a problem, or null. */
  private loadIndexes(): string | null {
    let indexBytes: Buffer;
    let timeBytes: Buffer;
    try {
      indexBytes = fs.readFileSync(this.indexPath);
      timeBytes = fs.readFileSync(this.timeIndexPath);
    } catch (err) {
      return `index file unreadable (${(err as NodeJS.ErrnoException).code ?? String(err)})`;
    }
    const offsetIndex = OffsetIndex.decode(indexBytes, this.baseOffset, this.offsetIndex.maxEntries, Math.max(1, this.size));
    if (typeof offsetIndex === 'string') return offsetIndex;
    // the index says where the last indexed batch starts; the batches from there are read to
    // learn the segment's next offset and largest timestamp
    const from = offsetIndex.entries > 0 ? offsetIndex.lookup(Number.MAX_SAFE_INTEGER).position : 0;
    let problem: string | null = null;
    let last: StoredBatch | null = null;
    let maxTs = -1;
    let maxTsOffset = -1;
    this.walkSync(from, b => {
      if (b === null) {
        problem = 'the log after the last index entry does not hold whole batches';
        return false;
      }
      last = b;
      if (b.maxTimestamp > maxTs) {
        maxTs = b.maxTimestamp;
        maxTsOffset = b.baseOffset;
      }
      return true;
    });
    if (problem !== null) return problem;
    const nextOffset = last === null ? this.baseOffset : (last as StoredBatch).lastOffset + 1;
    const timeIndex = TimeIndex.decode(timeBytes, this.baseOffset, this.timeIndex.maxEntries, Math.max(nextOffset, this.baseOffset + 1));
    if (typeof timeIndex === 'string') return timeIndex;
    this.offsetIndex = offsetIndex;
    this.timeIndex = timeIndex;
    this.nextOffset = nextOffset;
    const indexed = timeIndex.last;
    if (indexed !== null && indexed.timestamp >= maxTs) {
      this.maxTimestamp = indexed.timestamp;
      this.offsetOfMaxTimestamp = indexed.offset;
    } else {
      this.maxTimestamp = maxTs;
      this.offsetOfMaxTimestamp = maxTsOffset;
    }
    if (this.size > 0) {
      const head = Buffer.allocUnsafe(HEADER_SIZE);
      readFullySync(this.handles.fd(this.logPath), head, HEADER_SIZE, 0);
      this.firstBatchTimestamp = readInt64(head, MAX_TIMESTAMP);
    }
    this.bytesSinceLastIndexEntry = this.size - from;
    this.indexesDirty = false;
    return null;
  }

  /**
   * Calls `visit` with each batch header from `position` to the end of the file, synchronously;
   * `visit(null)` when the rest is not a whole batch. Stops when `visit` returns false.
   */
  private walkSync(position: number, visit: (b: StoredBatch | null, head: Buffer) => boolean): void {
    const fd = this.handles.fd(this.logPath);
    const head = Buffer.allocUnsafe(HEADER_SIZE);
    let pos = position;
    while (pos < this.size) {
      const n = readFullySync(fd, head, HEADER_SIZE, pos);
      if (n < HEADER_SIZE) {
        visit(null, head);
        return;
      }
      const b = storedBatch(head, 0, pos);
      if (b.size < HEADER_SIZE || pos + b.size > this.size) {
        visit(null, head);
        return;
      }
      if (!visit(b, head)) return;
      pos += b.size;
    }
  }

  /**
   * Calls `visit` with the header (first 61 bytes, a reused buffer) of each batch holding offsets
   * at or after `fromOffset`, in order, and a function that reads that whole batch; synchronous,
   * for rebuilding producer state when the log opens.
   */
  replaySync(fromOffset: number, visit: (head: Buffer, whole: () => Buffer) => void): void {
    const start = fromOffset > this.baseOffset && this.offsetIndex.entries > 0 ? this.offsetIndex.lookup(fromOffset).position : 0;
    const fd = this.handles.fd(this.logPath);
    this.walkSync(start, (b, head) => {
      if (b === null) return false;
      if (b.lastOffset < fromOffset) return true;
      visit(head, () => {
        const whole = Buffer.allocUnsafe(b.size);
        readFullySync(fd, whole, b.size, b.position);
        return whole;
      });
      return true;
    });
  }

  /**
   * Kafka's LogSegment.recover: reads every batch, checks its size, magic, CRC and that offsets
   * rise, rebuilds both indexes, and truncates the file at the first batch that fails. `onBatch`
   * sees each good batch (the log rebuilds its leader epochs from them).
   */
  recover(onBatch?: (b: StoredBatch) => void): RecoveryResult {
    const fd = this.handles.fd(this.logPath);
    this.offsetIndex = new OffsetIndex(this.baseOffset, this.offsetIndex.maxEntries);
    this.timeIndex = new TimeIndex(this.baseOffset, this.timeIndex.maxEntries);
    this.bytesSinceLastIndexEntry = 0;
    this.nextOffset = this.baseOffset;
    this.maxTimestamp = -1;
    this.offsetOfMaxTimestamp = -1;
    this.firstBatchTimestamp = -1;
    const fileSize = this.size;
    this.size = 0;
    let chunk = Buffer.allocUnsafe(Math.min(RECOVERY_CHUNK, Math.max(HEADER_SIZE, fileSize)));
    let chunkStart = 0;
    let chunkLength = 0;
    let reason: string | null = null;
    let pos = 0;
    while (pos < fileSize) {
      // make the batch at `pos` readable in `chunk`: its header first, then the whole batch
      let at = pos - chunkStart;
      if (at + HEADER_SIZE > chunkLength) {
        chunkStart = pos;
        chunkLength = readFullySync(fd, chunk, Math.min(chunk.length, fileSize - pos), pos);
        at = 0;
        if (chunkLength < HEADER_SIZE) {
          reason = `a torn batch header (${fileSize - pos} bytes)`;
          break;
        }
      }
      const size = LOG_OVERHEAD + chunk.readInt32BE(at + BATCH_LENGTH);
      if (size < HEADER_SIZE) {
        reason = `a batch length of ${size - LOG_OVERHEAD}`;
        break;
      }
      if (pos + size > fileSize) {
        reason = `a torn batch (${size} bytes declared, ${fileSize - pos} present)`;
        break;
      }
      if (at + size > chunkLength) {
        if (size > chunk.length) chunk = Buffer.allocUnsafe(size);
        chunkStart = pos;
        chunkLength = readFullySync(fd, chunk, Math.min(chunk.length, fileSize - pos), pos);
        at = 0;
      }
      const batch = chunk.subarray(at, at + size);
      if (batch[MAGIC] !== 2) {
        reason = `a batch with magic ${batch[MAGIC]}`;
        break;
      }
      if (crc32c(batch.subarray(ATTRIBUTES)) !== batch.readUInt32BE(CRC)) {
        reason = 'a batch whose CRC does not match';
        break;
      }
      const b = storedBatch(batch, 0, pos);
      if (b.baseOffset < this.nextOffset || b.lastOffset < b.baseOffset) {
        reason = `a batch at offsets ${b.baseOffset}..${b.lastOffset} after offset ${this.nextOffset - 1}`;
        break;
      }
      this.indexBatch(b);
      onBatch?.(b);
      pos += size;
    }
    const truncatedBytes = fileSize - pos;
    if (truncatedBytes > 0) fs.ftruncateSync(fd, pos);
    this.size = pos;
    this.indexesDirty = true;
    return { truncatedBytes, reason };
  }

  /** Adds a batch just placed at `b.position` to the in-memory state and indexes (Kafka's rule: an entry after index.interval.bytes). */
  private indexBatch(b: StoredBatch): void {
    if (this.firstBatchTimestamp < 0 && this.size === 0) this.firstBatchTimestamp = b.maxTimestamp;
    if (b.maxTimestamp > this.maxTimestamp) {
      this.maxTimestamp = b.maxTimestamp;
      this.offsetOfMaxTimestamp = b.baseOffset;
    }
    if (this.bytesSinceLastIndexEntry > this.opts.indexIntervalBytes) {
      this.offsetIndex.append(b.lastOffset, b.position);
      this.timeIndex.maybeAppend(this.maxTimestamp, this.offsetOfMaxTimestamp);
      this.bytesSinceLastIndexEntry = 0;
    }
    this.bytesSinceLastIndexEntry += b.size;
    this.size = b.position + b.size;
    this.nextOffset = b.lastOffset + 1;
    this.indexesDirty = true;
  }

  /** Writes one batch (offsets already assigned) at the end of the file. Throws on an I/O error, having cut any partial write. */
  append(batch: Buffer, baseOffset: number, lastOffset: number, maxTimestamp: number, leaderEpoch: number): void {
    const fd = this.handles.fd(this.logPath);
    const position = this.size;
    try {
      let done = 0;
      while (done < batch.length) done += fs.writeSync(fd, batch, done, batch.length - done, position + done);
    } catch (err) {
      try {
        fs.ftruncateSync(fd, position);
      } catch {
        // the write error is the one to report
      }
      throw err;
    }
    this.indexBatch({ position, size: batch.length, baseOffset, lastOffset, maxTimestamp, leaderEpoch });
  }

  /**
   * Position of the batch holding `offset` (the first batch whose last offset is >= offset), or
   * -1 when no batch of this segment does. A binary search of the offset index, then a walk of
   * batch headers within one index interval.
   */
  async locate(offset: number): Promise<number> {
    if (offset >= this.nextOffset) return -1;
    if (offset === this.hintOffset) return this.hintPosition;
    let pos = this.offsetIndex.lookup(offset).position;
    return this.withLogFd(async fd => {
      const window = Buffer.allocUnsafe(WALK_WINDOW);
      while (pos < this.size) {
        const n = await readFully(fd, window, Math.min(WALK_WINDOW, this.size - pos), pos);
        let at = 0;
        while (at + HEADER_SIZE <= n) {
          const b = storedBatch(window, at, pos + at);
          if (b.lastOffset >= offset) return b.position;
          at += b.size;
        }
        if (n < HEADER_SIZE) break;
        pos += at;
      }
      return -1;
    });
  }

  /**
   * Whole batches from `position`, at most `maxBytes` of them (the first one even when larger,
   * with `minOneBatch`), stopping before the first batch at or past offset `upTo`. The bytes are
   * read into `buffer`, taken from the read buffer pool: the caller gives it back once nothing
   * refers to `data` any more (or leaves it to the garbage collector).
   */
  async readBatches(position: number, maxBytes: number, minOneBatch: boolean, upTo: number): Promise<{ data: Buffer | null; buffer: Buffer | null; endsAtSegmentEnd: boolean }> {
    return this.withLogFd(async fd => {
      const available = this.size - position;
      // with minOneBatch at least the first header is read, to learn that batch's size
      let length = Math.min(minOneBatch ? Math.max(maxBytes, HEADER_SIZE) : maxBytes, available);
      let buf = readBuffers.take(Math.max(length, HEADER_SIZE));
      let n: number;
      try {
        n = await readFully(fd, buf, length, position);
      } catch (err) {
        readBuffers.give(buf);
        throw err;
      }
      let end = 0;
      let nextOffset = -1;
      while (end + HEADER_SIZE <= n) {
        const b = storedBatch(buf, end, position + end);
        if (b.baseOffset >= upTo) break;
        if (end + b.size > n) {
          if (end === 0 && minOneBatch) {
            // KIP-74: the first batch goes out whole even when larger than maxBytes
            length = b.size;
            readBuffers.give(buf);
            buf = readBuffers.take(length);
            n = await readFully(fd, buf, length, position);
            if (n === length) {
              end = length;
              nextOffset = b.lastOffset + 1;
            }
          }
          break;
        }
        end += b.size;
        nextOffset = b.lastOffset + 1;
      }
      if (end === 0) {
        readBuffers.give(buf);
        return { data: null, buffer: null, endsAtSegmentEnd: false };
      }
      this.hintOffset = nextOffset;
      this.hintPosition = position + end;
      return { data: buf.subarray(0, end), buffer: buf, endsAtSegmentEnd: position + end >= this.size };
    });
  }

  /** Reads one whole batch at `position` (for lookups that decode records). */
  async readBatchAt(position: number): Promise<Buffer> {
    return this.withLogFd(async fd => {
      const head = Buffer.allocUnsafe(HEADER_SIZE);
      await readFully(fd, head, HEADER_SIZE, position);
      const size = LOG_OVERHEAD + head.readInt32BE(BATCH_LENGTH);
      const buf = Buffer.allocUnsafe(size);
      await readFully(fd, buf, size, position);
      return buf;
    });
  }

  /** The first batch whose max timestamp is >= `timestamp`, or null (Kafka's findOffsetByTimestamp, before record decoding). */
  async findBatchByTimestamp(timestamp: number, startOffset: number): Promise<StoredBatch | null> {
    if (this.maxTimestamp < timestamp) return null;
    const below = this.timeIndex.lookupBelow(timestamp);
    let pos = this.offsetIndex.lookup(Math.max(below?.offset ?? this.baseOffset, startOffset)).position;
    return this.withLogFd(async fd => {
      const head = Buffer.allocUnsafe(HEADER_SIZE);
      while (pos < this.size) {
        await readFully(fd, head, HEADER_SIZE, pos);
        const b = storedBatch(head, 0, pos);
        if (b.lastOffset >= startOffset && b.maxTimestamp >= timestamp) return b;
        pos += b.size;
      }
      return null;
    });
  }

  /**
   * The stored batches, in order, read `chunkBytes` at a time (for the cleaner). The descriptor
   * stays pinned throughout, so a deletion meanwhile does not cut the reading short.
   */
  async *batches(chunkBytes: number): AsyncGenerator<Buffer> {
    if (this.deleted) throw new SegmentGoneError(`segment ${this.baseOffset} was deleted`);
    const fd = this.handles.acquire(this.logPath);
    const path = this.logPath;
    try {
      const end = this.size;
      let pos = 0;
      while (pos < end) {
        const head = Buffer.allocUnsafe(HEADER_SIZE);
        if ((await readFully(fd, head, HEADER_SIZE, pos)) < HEADER_SIZE) return;
        const first = storedBatch(head, 0, pos);
        // one read holds as many whole batches as fit in a chunk (at least the first)
        const chunk = Buffer.allocUnsafe(Math.min(end - pos, Math.max(chunkBytes, first.size)));
        const n = await readFully(fd, chunk, chunk.length, pos);
        let at = 0;
        while (at + HEADER_SIZE <= n) {
          const size = LOG_OVERHEAD + chunk.readInt32BE(at + BATCH_LENGTH);
          if (size < HEADER_SIZE || at + size > n) break;
          yield chunk.subarray(at, at + size);
          at += size;
        }
        if (at === 0) return;
        pos += at;
      }
    } finally {
      this.handles.release(path, fd);
    }
  }

  /** Renames the segment's files to carry `suffix` instead of the present one (`''` for none). */
  renameSuffix(suffix: string): void {
    const to = (ext: string) => path.join(this.dir, segmentFileName(this.baseOffset, ext) + suffix);
    this.handles.forget(this.logPath);
    const moves: [string, string][] = [
      [this.logPath, to('.log')],
      [this.indexPath, to('.index')],
      [this.timeIndexPath, to('.timeindex')],
      [this.txnIndex.path, to('.txnindex')],
    ];
    for (const [from, dest] of moves) {
      try {
        fs.renameSync(from, dest);
      } catch (err) {
        // index files are only there once written
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || from === this.logPath) throw err;
      }
    }
    [this.logPath, this.indexPath, this.timeIndexPath] = moves.map(m => m[1]) as [string, string, string];
    this.txnIndex.movedTo(moves[3]![1]);
  }

  /** Runs `fn` with the .log file's descriptor pinned, so it cannot be closed under an asynchronous read. */
  private async withLogFd<T>(fn: (fd: number) => Promise<T>): Promise<T> {
    // a deleted segment's file must not be reopened (the handle cache would create it again)
    if (this.deleted) throw new SegmentGoneError(`segment ${this.baseOffset} was deleted`);
    const fd = this.handles.acquire(this.logPath);
    try {
      return await fn(fd);
    } finally {
      this.handles.release(this.logPath, fd);
    }
  }

  /** Writes the index files when they changed (they are rebuilt from the log when lost). */
  writeIndexes(sync: boolean): void {
    if (!this.indexesDirty) return;
    for (const [file, bytes] of [
      [this.indexPath, this.offsetIndex.encode()],
      [this.timeIndexPath, this.timeIndex.encode()],
    ] as const) {
      const fd = fs.openSync(file, 'w');
      try {
        fs.writeSync(fd, bytes);
        if (sync) fs.fsyncSync(fd);
      } finally {
        fs.closeSync(fd);
      }
    }
    this.indexesDirty = false;
  }

  /** fsyncs the .log file. */
  flush(): Promise<void> {
    const fd = this.handles.acquire(this.logPath);
    return new Promise<void>((resolve, reject) => {
      fs.fdatasync(fd, err => {
        this.handles.release(this.logPath, fd);
        if (err) return reject(err);
        try {
          this.txnIndex.flushSync();
        } catch (e) {
          return reject(e as Error);
        }
        resolve();
      });
    });
  }

  flushSync(): void {
    fs.fdatasyncSync(this.handles.fd(this.logPath));
    this.txnIndex.flushSync();
  }

  /** Closes the files and removes them. */
  delete(): void {
    this.deleted = true;
    this.handles.forget(this.logPath);
    for (const file of [this.logPath, this.indexPath, this.timeIndexPath, this.txnIndex.path]) fs.rmSync(file, { force: true });
  }

  close(): void {
    this.handles.forget(this.logPath);
  }
}
