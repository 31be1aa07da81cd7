// Wire primitives of the Kafka protocol: a bounds-checked reader over one frame and a
// growable writer that keeps large byte payloads (record batches) as separate chunks
// instead of copying them.

/** Thrown for a body that cannot be decoded; the connection is closed, never the process. */
export class ProtocolError extends Error {
  override name = 'ProtocolError';
}

const TWO_32 = 4294967296;

/** Kafka's Uuid.ZERO_UUID in its string form (base64url of 16 zero bytes, unpadded). */
export const ZERO_UUID = 'AAAAAAAAAAAAAAAAAAAAAA';

/** Record data in a message: decoded as one Buffer; encoded from one Buffer or a list of stored batches. */
export type RecordsData = Buffer | readonly Buffer[] | null;

export function uuidToString(buf: Buffer, off = 0): string {
  return buf.toString('base64url', off, off + 16);
}

export function uuidToBytes(id: string): Buffer {
  const b = Buffer.from(id, 'base64url');
  if (b.length !== 16) throw new ProtocolError(`invalid uuid ${JSON.stringify(id)}`);
  return b;
}

/** A random version-4 UUID, in Kafka's string form, never the zero or metadata-topic id. */
export function randomUuid(random: (n: number) => Buffer): string {
  for (;;) {
    const b = random(16);
    b[6] = (b[6]! & 0x0f) | 0x40;
    b[8] = (b[8]! & 0x3f) | 0x80;
    const s = uuidToString(b);
    // Kafka reserves ZERO_UUID and METADATA_TOPIC_ID (..01) and ids starting with '-'.
    if (s !== ZERO_UUID && s !== 'AAAAAAAAAAAAAAAAAAAAAQ' && s[0] !== '-') return s;
  }
}

export class Reader {
  buf: Buffer;
  pos: number;
  end: number;

  constructor(buf: Buffer, pos = 0, end = buf.length) {
    this.buf = buf;
    this.pos = pos;
    this.end = end;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  need(n: number): void {
    if (n < 0 || this.pos + n > this.end) {
      throw new ProtocolError(`truncated: need ${n} bytes at ${this.pos}, have ${this.end - this.pos}`);
    }
  }

  int8(): number {
    this.need(1);
    return this.buf.readInt8(this.pos++);
  }

  uint8(): number {
    this.need(1);
    return this.buf[this.pos++]!;
  }

  bool(): boolean {
    return this.int8() !== 0;
  }

  int16(): number {
    this.need(2);
    const v = this.buf.readInt16BE(this.pos);
    this.pos += 2;
    return v;
  }

  uint16(): number {
    this.need(2);
    const v = this.buf.readUInt16BE(this.pos);
    this.pos += 2;
    return v;
  }

  int32(): number {
    this.need(4);
    const v = this.buf.readInt32BE(this.pos);
    this.pos += 4;
    return v;
  }

  uint32(): number {
    this.need(4);
    const v = this.buf.readUInt32BE(this.pos);
    this.pos += 4;
    return v;
  }

  /** int64 as a JS number: exact within ±2^53, which every offset, timestamp and id we meet fits. */
  int64(): number {
    this.need(8);
    const hi = this.buf.readInt32BE(this.pos);
    const lo = this.buf.readUInt32BE(this.pos + 4);
    this.pos += 8;
    return hi * TWO_32 + lo;
  }

  float64(): number {
    this.need(8);
    const v = this.buf.readDoubleBE(this.pos);
    this.pos += 8;
    return v;
  }

  uvarint(): number {
    let result = 0;
    let shift = 0;
    for (;;) {
      if (this.pos >= this.end) throw new ProtocolError('truncated varint');
      const b = this.buf[this.pos++]!;
      if (shift === 28) {
        if (b > 0x0f) throw new ProtocolError('varint too long');
        return result + b * 268435456;
      }
      result |= (b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result >>> 0;
      shift += 7;
    }
  }

  varint(): number {
    const u = this.uvarint();
    return (u >>> 1) ^ -(u & 1);
  }

  /** Zig-zag varlong as a number (exact within ±2^53). */
  varlong(): number {
    // The zig-zag value is 2m + sign, which needs 54 bits at ±2^53 and is not exact in a
    // double; m alone is, so it is accumulated directly (the low bit of the first byte is the sign).
    if (this.pos >= this.end) throw new ProtocolError('truncated varlong');
    let b = this.buf[this.pos++]!;
    const negative = (b & 1) === 1;
    let m = (b & 0x7f) >>> 1;
    let mul = 64;
    for (let i = 1; (b & 0x80) !== 0; i++) {
      if (i === 10) throw new ProtocolError('varlong too long');
      if (this.pos >= this.end) throw new ProtocolError('truncated varlong');
      b = this.buf[this.pos++]!;
      m += (b & 0x7f) * mul;
      mul *= 128;
    }
    return negative ? -m - 1 : m;
  }

  uuid(): string {
    this.need(16);
    const s = uuidToString(this.buf, this.pos);
    this.pos += 16;
    return s;
  }

  private text(len: number): string {
    this.need(len);
    const s = this.buf.toString('utf8', this.pos, this.pos + len);
    this.pos += len;
    return s;
  }

  private slice(len: number): Buffer {
    this.need(len);
    const b = this.buf.subarray(this.pos, this.pos + len);
    this.pos += len;
    return b;
  }

  string(): string {
    const len = this.int16();
    if (len < 0) throw new ProtocolError('non-nullable string is null');
    return this.text(len);
  }

  nullableString(): string | null {
    const len = this.int16();
    if (len < 0) return null;
    return this.text(len);
  }

  compactString(): string {
    const len = this.uvarint() - 1;
    if (len < 0) throw new ProtocolError('non-nullable compact string is null');
    return this.text(len);
  }

  compactNullableString(): string | null {
    const len = this.uvarint() - 1;
    if (len < 0) return null;
    return this.text(len);
  }

  bytes(): Buffer {
    const len = this.int32();
    if (len < 0) throw new ProtocolError('non-nullable bytes are null');
    return this.slice(len);
  }

  nullableBytes(): Buffer | null {
    const len = this.int32();
    if (len < 0) return null;
    return this.slice(len);
  }

  compactBytes(): Buffer {
    const len = this.uvarint() - 1;
    if (len < 0) throw new ProtocolError('non-nullable compact bytes are null');
    return this.slice(len);
  }

  compactNullableBytes(): Buffer | null {
    const len = this.uvarint() - 1;
    if (len < 0) return null;
    return this.slice(len);
  }

  /** Array length (-1 for null); a count larger than the bytes left is refused before allocating. */
  arrayLength(compact: boolean): number {
    const n = compact ? this.uvarint() - 1 : this.int32();
    if (n > this.end - this.pos) throw new ProtocolError(`array of ${n} elements with ${this.end - this.pos} bytes left`);
    return n < 0 ? -1 : n;
  }

  /** Skips a tagged field's value by its declared size. */
  skip(n: number): void {
    this.need(n);
    this.pos += n;
  }

  /** Skips every tagged field of a structure (the caller knows none of them). */
  skipTaggedFields(): void {
    const count = this.uvarint();
    for (let i = 0; i < count; i++) {
      this.uvarint();
      this.skip(this.uvarint());
    }
  }

  /**
   * Reads a tagged-field section, calling `field` for each tag with a reader bounded to the
   * field's declared size; whatever `field` leaves unread (all of a tag it does not know) is skipped.
   */
  taggedFields(field: (tag: number, payload: Reader) => void): void {
    const count = this.uvarint();
    for (let i = 0; i < count; i++) {
      const tag = this.uvarint();
      const size = this.uvarint();
      this.need(size);
      const end = this.pos + size;
      field(tag, new Reader(this.buf, this.pos, end));
      this.pos = end;
    }
  }
}

const MIN_GROWTH = 256;
/** Byte payloads at least this large are kept as their own chunk rather than copied. */
const CHUNK_THRESHOLD = 4096;

export class Writer {
  private buf: Buffer;
  private pos = 0;
  /** Start in `buf` of bytes not yet moved to `chunks`. */
  private mark = 0;
  private chunks: Buffer[] | null = null;
  private chunked = 0;

  constructor(initial = 512) {
    this.buf = Buffer.allocUnsafe(initial);
  }

  /** Bytes written so far. */
  get length(): number {
    return this.chunked + this.pos - this.mark;
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const live = this.pos - this.mark;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, live + n + MIN_GROWTH));
    this.buf.copy(next, 0, this.mark, this.pos);
    this.buf = next;
    this.mark = 0;
    this.pos = live;
  }

  int8(v: number): void {
    this.ensure(1);
    this.buf.writeInt8(v, this.pos++);
  }

  bool(v: boolean): void {
    this.ensure(1);
    this.buf[this.pos++] = v ? 1 : 0;
  }

  int16(v: number): void {
    this.ensure(2);
    this.buf.writeInt16BE(v, this.pos);
    this.pos += 2;
  }

  uint16(v: number): void {
    this.ensure(2);
    this.buf.writeUInt16BE(v, this.pos);
    this.pos += 2;
  }

  int32(v: number): void {
    this.ensure(4);
    this.buf.writeInt32BE(v, this.pos);
    this.pos += 4;
  }

  uint32(v: number): void {
    this.ensure(4);
    this.buf.writeUInt32BE(v >>> 0, this.pos);
    this.pos += 4;
  }

  int64(v: number): void {
    this.ensure(8);
    // Long.MAX_VALUE / MIN_VALUE arrive as ±2^63 once held in a double; write Kafka's exact bounds.
    if (v >= 9223372036854775807) {
      this.buf.writeUInt32BE(0x7fffffff, this.pos);
      this.buf.writeUInt32BE(0xffffffff, this.pos + 4);
      this.pos += 8;
      return;
    }
    if (v < -9223372036854775807) v = -9223372036854775808;
    const hi = Math.floor(v / TWO_32);
    this.buf.writeInt32BE(hi, this.pos);
    this.buf.writeUInt32BE(v - hi * TWO_32, this.pos + 4);
    this.pos += 8;
  }

  float64(v: number): void {
    this.ensure(8);
    this.buf.writeDoubleBE(v, this.pos);
    this.pos += 8;
  }

  uvarint(v: number): void {
    this.ensure(5);
    let u = v >>> 0;
    while (u >= 0x80) {
      this.buf[this.pos++] = (u & 0x7f) | 0x80;
      u >>>= 7;
    }
    this.buf[this.pos++] = u;
  }

  varint(v: number): void {
    this.uvarint((v << 1) ^ (v >> 31));
  }

  varlong(v: number): void {
    // zig-zag as 2m + sign without forming it: 2m needs 54 bits at ±2^53, m fits a double exactly
    const negative = v < 0;
    const m = negative ? -v - 1 : v;
    this.ensure(10);
    let b = (m % 64) * 2 + (negative ? 1 : 0);
    let rest = Math.floor(m / 64);
    while (rest > 0) {
      this.buf[this.pos++] = b | 0x80;
      b = rest % 128;
      rest = Math.floor(rest / 128);
    }
    this.buf[this.pos++] = b;
  }

  uuid(id: string): void {
    const b = uuidToBytes(id);
    this.ensure(16);
    b.copy(this.buf, this.pos);
    this.pos += 16;
  }

  private text(s: string, len: number): void {
    this.ensure(len);
    this.buf.write(s, this.pos, len, 'utf8');
    this.pos += len;
  }

  string(s: string): void {
    const len = Buffer.byteLength(s);
    if (len > 0x7fff) throw new RangeError('string longer than 32767 bytes');
    this.int16(len);
    this.text(s, len);
  }

  nullableString(s: string | null): void {
    if (s === null) this.int16(-1);
    else this.string(s);
  }

  compactString(s: string): void {
    const len = Buffer.byteLength(s);
    this.uvarint(len + 1);
    this.text(s, len);
  }

  compactNullableString(s: string | null): void {
    if (s === null) this.uvarint(0);
    else this.compactString(s);
  }

  /** Raw bytes: copied when small, kept by reference as a chunk when large. */
  raw(b: Buffer): void {
    if (b.length < CHUNK_THRESHOLD) {
      this.ensure(b.length);
      b.copy(this.buf, this.pos);
      this.pos += b.length;
      return;
    }
    if (this.chunks === null) this.chunks = [];
    if (this.pos > this.mark) {
      this.chunks.push(this.buf.subarray(this.mark, this.pos));
      this.chunked += this.pos - this.mark;
    }
    this.chunks.push(b);
    this.chunked += b.length;
    this.mark = this.pos;
  }

  bytes(b: Buffer): void {
    this.int32(b.length);
    this.raw(b);
  }

  nullableBytes(b: Buffer | null): void {
    if (b === null) this.int32(-1);
    else this.bytes(b);
  }

  compactBytes(b: Buffer): void {
    this.uvarint(b.length + 1);
    this.raw(b);
  }

  compactNullableBytes(b: Buffer | null): void {
    if (b === null) this.uvarint(0);
    else this.compactBytes(b);
  }

  /** A records field: null, one buffer, or stored batches written back to back. */
  records(r: RecordsData, compact: boolean): void {
    if (r === null) {
      if (compact) this.uvarint(0);
      else this.int32(-1);
      return;
    }
    if (Buffer.isBuffer(r)) {
      if (compact) this.compactBytes(r);
      else this.bytes(r);
      return;
    }
    const list = r as readonly Buffer[];
    let total = 0;
    for (let i = 0; i < list.length; i++) total += list[i]!.length;
    if (compact) this.uvarint(total + 1);
    else this.int32(total);
    for (let i = 0; i < list.length; i++) this.raw(list[i]!);
  }

  arrayLength(n: number, compact: boolean): void {
    if (compact) this.uvarint(n + 1);
    else this.int32(n);
  }

  /** Overwrites an int32 written earlier at byte `at` (only within the first chunk). */
  patchInt32(at: number, v: number): void {
    if (this.chunks !== null) this.chunks[0]!.writeInt32BE(v, at);
    else this.buf.writeInt32BE(v, at);
  }

  /** The written bytes as one buffer (copies only if large payloads were chunked). */
  toBuffer(): Buffer {
    if (this.chunks === null) return this.buf.subarray(0, this.pos);
    return Buffer.concat(this.toChunks());
  }

  /** The written bytes as a list of buffers, for a vectored socket write. */
  toChunks(): Buffer[] {
    if (this.chunks === null) return [this.buf.subarray(this.mark, this.pos)];
    const out = this.chunks.slice();
    if (this.pos > this.mark) out.push(this.buf.subarray(this.mark, this.pos));
    return out;
  }
}

/** The shared empty buffer, the default of a bytes field. */
export const EMPTY: Buffer = Buffer.alloc(0);

/** Guards a field that may be null only in some versions: encoding null where it is not allowed is a bug. */
export function nn<T>(value: T | null, field: string): T {
  if (value === null) throw new Error(`${field} is null where the version does not allow it`);
  return value;
}
