// A segment's transaction index (Kafka's TransactionIndex, `<base>.txnindex`): the aborted
// transactions whose abort marker lies in the segment, in marker order, each as Kafka lays the
// entry out - version (int16 0), producer id, first offset, last offset (the marker) and the last
// stable offset once it completed (int64 each), 34 bytes. Read_committed fetches answer with
// these so consumers skip aborted records. Kept in memory as well: an index holds one entry per
// aborted transaction, which is little.
import fs from 'node:fs';
import { readInt64, writeInt64 } from '../protocol/records.js';
import type { AbortedTxn } from './producer-state.js';

const ENTRY_SIZE = 34;
const VERSION = 0;

export function encodeAbortedTxn(t: AbortedTxn): Buffer {
  const b = Buffer.alloc(ENTRY_SIZE);
  b.writeInt16BE(VERSION, 0);
  writeInt64(b, 2, t.producerId);
  writeInt64(b, 10, t.firstOffset);
  writeInt64(b, 18, t.lastOffset);
  writeInt64(b, 26, t.lastStableOffset);
  return b;
}

/** The aborted transactions of `entries` that a fetch of [fetchOffset, upTo) must be told of (Kafka's collectAbortedTxns). */
export function abortedOverlapping(entries: readonly AbortedTxn[], fetchOffset: number, upTo: number, into: AbortedTxn[]): void {
  for (const t of entries) if (t.lastOffset >= fetchOffset && t.firstOffset < upTo) into.push(t);
}

export class TransactionIndex {
  private entries: AbortedTxn[] = [];
  /** Written since the last fsync. */
  private dirty = false;

  constructor(private file: string) {}

  get path(): string {
    return this.file;
  }

  get all(): readonly AbortedTxn[] {
    return this.entries;
  }

  /**
   * Reads the file (absent: no entries). A torn last entry, or entries past `endOffset` (the
   * segment was cut short by recovery), are dropped and the file rewritten without them.
   */
  load(endOffset: number): void {
    let bytes: Buffer;
    try {
      bytes = fs.readFileSync(this.file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        this.entries = [];
        return;
      }
      throw err;
    }
    const out: AbortedTxn[] = [];
    for (let at = 0; at + ENTRY_SIZE <= bytes.length; at += ENTRY_SIZE) {
      if (bytes.readInt16BE(at) !== VERSION) break;
      const t = { producerId: readInt64(bytes, at + 2), firstOffset: readInt64(bytes, at + 10), lastOffset: readInt64(bytes, at + 18), lastStableOffset: readInt64(bytes, at + 26) };
      if (t.lastOffset >= endOffset) break;
      out.push(t);
    }
    this.entries = out;
    if (out.length * ENTRY_SIZE !== bytes.length) this.rewrite();
  }

  /** Adds an entry (one per aborted transaction: written through at once, fsynced with the segment). */
  append(t: AbortedTxn): void {
    if (this.entries.some(e => e.lastOffset === t.lastOffset)) return; // replayed after a restart: already indexed
    fs.appendFileSync(this.file, encodeAbortedTxn(t));
    this.entries.push(t);
    this.dirty = true;
  }

  /** Drops every entry (the segment is being recovered: replay indexes its aborted transactions again). */
  reset(): void {
    this.entries = [];
    fs.rmSync(this.file, { force: true });
  }

  /** Replaces the entries (a cleaned segment takes those of the segments it replaces). */
  replace(entries: readonly AbortedTxn[]): void {
    this.entries = [...entries];
    this.rewrite();
  }

  private rewrite(): void {
    this.dirty = this.entries.length > 0;
    if (this.entries.length === 0) fs.rmSync(this.file, { force: true });
    else fs.writeFileSync(this.file, Buffer.concat(this.entries.map(encodeAbortedTxn)));
  }

  flushSync(): void {
    if (!this.dirty) return;
    const fd = fs.openSync(this.file, 'r+');
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    this.dirty = false;
  }

  /** The file moved (a segment's files were renamed). */
  movedTo(file: string): void {
    this.file = file;
  }
}
