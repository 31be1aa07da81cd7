// Open file descriptors of segment files, bounded: files open lazily and the least recently
// used unpinned one closes when the bound is reached, so 10,000 partitions fit within a default
// ulimit. A descriptor in use by an asynchronous read is pinned until released, so it is never
// closed (and its number reused) under the read.
import fs from 'node:fs';

interface Entry {
  fd: number;
  pins: number;
}

export class FileHandles {
  // a Map iterates in insertion order: re-inserting on use keeps the least recently used first
  private readonly open = new Map<string, Entry>();
  /** Forgotten while pinned, by descriptor: closed on their last release. */
  private readonly closing = new Map<number, Entry>();

  constructor(readonly maxOpen: number) {}

  get openCount(): number {
    return this.open.size;
  }

  /** The descriptor of `path` (opened read-write, created when missing), for synchronous use. */
  fd(path: string): number {
    return this.entry(path).fd;
  }

  /** The descriptor of `path`, pinned until `release(path, fd)`. */
  acquire(path: string): number {
    const e = this.entry(path);
    e.pins++;
    return e.fd;
  }

  release(path: string, fd: number): void {
    const e = this.open.get(path);
    if (e !== undefined && e.fd === fd) {
      // descriptors pinned past the bound (an eviction skipped them) close once free
      if (--e.pins === 0 && this.open.size > this.maxOpen) this.evict(this.maxOpen);
      return;
    }
    const c = this.closing.get(fd);
    if (c !== undefined && --c.pins === 0) {
      this.closing.delete(fd);
      fs.closeSync(fd);
    }
  }

  private entry(path: string): Entry {
    let e = this.open.get(path);
    if (e !== undefined) {
      this.open.delete(path);
      this.open.set(path, e);
      return e;
    }
    this.evict(this.maxOpen - 1);
    e = { fd: fs.openSync(path, fs.constants.O_RDWR | fs.constants.O_CREAT, 0o644), pins: 0 };
    this.open.set(path, e);
    return e;
  }

  /** Closes the least recently used unpinned descriptors until at most `keep` are open. */
  private evict(keep: number): void {
    if (this.open.size <= keep) return;
    for (const [path, e] of this.open) {
      if (e.pins > 0) continue;
      this.open.delete(path);
      fs.closeSync(e.fd);
      if (this.open.size <= keep) return;
    }
  }

  /** Closes `path` (now, or when its last pin is released): before it is deleted or renamed. */
  forget(path: string): void {
    const e = this.open.get(path);
    if (e === undefined) return;
    this.open.delete(path);
    if (e.pins === 0) fs.closeSync(e.fd);
    else this.closing.set(e.fd, e);
  }

  closeAll(): void {
    for (const e of this.open.values()) {
      if (e.pins === 0) fs.closeSync(e.fd);
      else this.closing.set(e.fd, e);
    }
    this.open.clear();
  }
}
