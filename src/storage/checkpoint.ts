// Small files that must never be seen half written (checkpoints, metadata, the stores' JSON
// files): written to a temp file, fsynced, renamed over the old one, and the directory fsynced,
// as Kafka's CheckpointFile does. The offset checkpoints use Kafka's text format:
//   0            (version)
//   <count>
//   <topic> <partition> <offset>   (one line per partition)
import fs from 'node:fs';
import path from 'node:path';

export function writeFileAtomic(file: string, data: string | Buffer): void {
  const tmp = `${file}.tmp`;
  const fd = fs.openSync(tmp, 'w');
  try {
    try {
      fs.writeFileSync(fd, data);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, file);
  } catch (err) {
    // a disk full or failing: the old file stands, and no half-written temp file is left
    fs.rmSync(tmp, { force: true });
    throw err;
  }
  fsyncDir(path.dirname(file));
}

/** Writes `value` as the stores keep their files: JSON indented by one space, a final newline. */
export function writeJsonFileAtomic(file: string, value: unknown): void {
  writeFileAtomic(file, `${JSON.stringify(value, null, 1)}\n`);
}

/** A store's JSON file, parsed; undefined (which no JSON text is) when it does not exist yet. Unreadable or malformed JSON throws. */
export function readJsonFile<T>(file: string): T | undefined {
  const text = readTextIfExists(file);
  return text === null ? undefined : (JSON.parse(text) as T);
}

/** A file's text; null when it does not exist, other errors throw. */
function readTextIfExists(file: string): string | null {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

export function fsyncDir(dir: string): void {
  const fd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** Offsets by "topic-partition" directory name. */
export type OffsetCheckpoint = Map<string, number>;

export function writeOffsetCheckpoint(file: string, offsets: OffsetCheckpoint): void {
  const lines = ['0', String(offsets.size)];
  for (const [dir, offset] of offsets) {
    const dash = dir.lastIndexOf('-');
    lines.push(`${dir.slice(0, dash)} ${dir.slice(dash + 1)} ${offset}`);
  }
  writeFileAtomic(file, `${lines.join('\n')}\n`);
}

/** Reads an offset checkpoint; a missing file is empty, a malformed one throws. */
export function readOffsetCheckpoint(file: string): OffsetCheckpoint {
  const out: OffsetCheckpoint = new Map();
  const text = readTextIfExists(file);
  if (text === null) return out;
  const lines = text.split('\n').filter(l => l !== '');
  if (lines[0] !== '0') throw new Error(`${file}: unknown checkpoint version ${lines[0]}`);
  const count = Number(lines[1]);
  if (!Number.isInteger(count) || lines.length !== count + 2) throw new Error(`${file}: expected ${lines[1]} entries, found ${lines.length - 2}`);
  for (const line of lines.slice(2)) {
    const m = /^(\S+) (\d+) (-?\d+)$/.exec(line);
    if (m === null) throw new Error(`${file}: malformed line "${line}"`);
    out.set(`${m[1]}-${m[2]}`, Number(m[3]));
  }
  return out;
}
