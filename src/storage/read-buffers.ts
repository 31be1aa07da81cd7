// Buffers for positioned reads of segment files. A fetch of cold data reads up to its max bytes
// into memory that then goes out on the socket as it is; a fresh buffer per fetch would be as
// much new memory as data served, and every byte of it counts towards V8's next major garbage
// collection. A buffer comes back here once the response holding it is written (see
// RequestContext.afterWrite), and the next read of that size class uses it again.

/** Reads below this size use Node's allocator (small buffers come from its shared pool). */
const MIN_CLASS = 16 * 1024;
/** Reads above this size get a buffer of their own, never kept. */
const MAX_CLASS = 8 * 1024 * 1024;

export class ReadBufferPool {
  /** Free buffers by size class (a power of two). */
  private readonly free = new Map<number, Buffer[]>();
  private held = 0;

  /** Keeps at most `maxHeldBytes` of free buffers; more given back are left to the garbage collector. */
  constructor(private readonly maxHeldBytes: number) {}

  /** A buffer of at least `size` bytes (longer when pooled: its size class). */
  take(size: number): Buffer {
    if (size < MIN_CLASS || size > MAX_CLASS) return Buffer.allocUnsafe(size);
    const cls = sizeClass(size);
    const buf = this.free.get(cls)?.pop();
    if (buf === undefined) return Buffer.allocUnsafe(cls);
    this.held -= cls;
    return buf;
  }

  /** Takes back a buffer from take(), once nothing refers to its bytes any more. */
  give(buf: Buffer): void {
    const cls = buf.length;
    if (cls < MIN_CLASS || cls > MAX_CLASS || cls !== sizeClass(cls) || this.held + cls > this.maxHeldBytes) return;
    let list = this.free.get(cls);
    if (list === undefined) this.free.set(cls, (list = []));
    list.push(buf);
    this.held += cls;
  }

  /** Bytes of free buffers held. */
  get heldBytes(): number {
    return this.held;
  }
}

function sizeClass(size: number): number {
  return 2 ** Math.ceil(Math.log2(size));
}

/** The process's pool: every disk log of every broker in the process reads through it. */
export const readBuffers = new ReadBufferPool(32 * 1024 * 1024);
