// Producer id allocation for InitProducerId: ids are handed out in blocks, as Kafka's
// ProducerIdManager takes them from the controller, and never reused. In --data-dir mode the end
// of the current block is written (atomically, fsynced) before any id of it is given out, so a
// restart - clean or not - continues after the block and skips its unused ids, as Kafka does.
import fs from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../storage/checkpoint.js';

export const PRODUCER_IDS_FILE = 'samsa-producer-ids.json';
/** Kafka's ProducerIdsBlock.PRODUCER_ID_BLOCK_SIZE. */
export const PRODUCER_ID_BLOCK_SIZE = 1000;

export class ProducerIdManager {
  private next: number;
  private blockEnd: number;
  private readonly file: string | null;

  /** `dataDir` null: ids live in memory only (the memory engine keeps nothing across restarts anyway). */
  constructor(dataDir: string | null) {
    this.file = dataDir === null ? null : path.join(dataDir, PRODUCER_IDS_FILE);
    let start = 0;
    if (this.file !== null && fs.existsSync(this.file)) {
      const stored = JSON.parse(fs.readFileSync(this.file, 'utf8')) as { version: number; nextBlockStart: number };
      if (stored.version !== 1 || !Number.isSafeInteger(stored.nextBlockStart) || stored.nextBlockStart < 0) throw new Error(`${this.file}: not a producer id block record`);
      start = stored.nextBlockStart;
    }
    this.next = start;
    this.blockEnd = start;
  }

  /** The next producer id. Throws when the block cannot be recorded (the caller answers with an error). */
  generate(): number {
    if (this.next >= this.blockEnd) {
      const end = this.next + PRODUCER_ID_BLOCK_SIZE;
      if (this.file !== null) writeFileAtomic(this.file, `${JSON.stringify({ version: 1, nextBlockStart: end })}\n`);
      this.blockEnd = end;
    }
    return this.next++;
  }
}
