// Wire primitives (src/protocol/wire.ts): exact bytes and round trips of every primitive at its
// edge values, truncation always a ProtocolError, and the Writer's chunking of large payloads.
import t from 'tap';
import { ProtocolError, Reader, Writer, ZERO_UUID, randomUuid, uuidToBytes, uuidToString } from '../../src/protocol/wire.js';

const hex = (w: Writer) => w.toBuffer().toString('hex');
const reader = (h: string) => new Reader(Buffer.from(h, 'hex'));
const write = (fn: (w: Writer) => void, initial = 64): Writer => {
  const w = new Writer(initial);
  fn(w);
  return w;
};

const TWO_53 = 2 ** 53;
const TWO_63 = 2 ** 63;

/** Kafka's zig-zag varlong, computed exactly with BigInt, as the reference. */
function refVarlong(v: bigint): string {
  let u = BigInt.asUintN(64, (v << 1n) ^ (v >> 63n));
  const out: number[] = [];
  while (u >= 0x80n) {
    out.push(Number(u & 0x7fn) | 0x80);
    u >>= 7n;
  }
  out.push(Number(u));
  return Buffer.from(out).toString('hex');
}

t.test('fixed-width integers at their edges', async t => {
  type Fixed = 'int8' | 'int16' | 'uint16' | 'int32' | 'uint32';
  const cases: [Fixed, number, string][] = [
    ['int8', -128, '80'],
    ['int8', 127, '7f'],
    ['int8', -1, 'ff'],
    ['int16', -32768, '8000'],
    ['int16', 32767, '7fff'],
    ['uint16', 65535, 'ffff'],
    ['int32', -2147483648, '80000000'],
    ['int32', 2147483647, '7fffffff'],
    ['int32', -1, 'ffffffff'],
    ['uint32', 4294967295, 'ffffffff'],
    ['uint32', 2147483648, '80000000'],
  ];
  for (const [type, value, bytes] of cases) {
    t.equal(hex(write(w => w[type](value))), bytes, `${type} ${value} writes ${bytes}`);
    const r = reader(bytes);
    t.equal(r[type](), value, `${type} ${bytes} reads ${value}`);
    t.equal(r.remaining, 0);
  }
  t.equal(reader('ff').uint8(), 255);
  t.equal(reader('00').bool(), false);
  t.equal(reader('01').bool(), true);
  t.equal(reader('02').bool(), true, 'any non-zero byte is true');
  t.equal(reader('ff').bool(), true);
  t.equal(hex(write(w => (w.bool(true), w.bool(false)))), '0100');
  // uint32 takes a negative int32 as its unsigned bit pattern
  t.equal(hex(write(w => w.uint32(-1))), 'ffffffff');
});

t.test('int64: exact within ±2^53, Long.MAX_VALUE / MIN_VALUE clamped', async t => {
  const cases: [number, string][] = [
    [0, '0000000000000000'],
    [-1, 'ffffffffffffffff'],
    [1, '0000000000000001'],
    [2 ** 32 - 1, '00000000ffffffff'],
    [2 ** 32, '0000000100000000'],
    [-(2 ** 32), 'ffffffff00000000'],
    [-(2 ** 32) - 1, 'fffffffeffffffff'],
    [TWO_53 - 1, '001fffffffffffff'],
    [TWO_53, '0020000000000000'],
    [-(TWO_53 - 1), 'ffe0000000000001'],
    [-TWO_53, 'ffe0000000000000'],
    [1_700_000_000_123, '0000018bcfe5687b'],
  ];
  for (const [v, bytes] of cases) {
    t.equal(hex(write(w => w.int64(v))), bytes, `int64 ${v}`);
    t.equal(reader(bytes).int64(), v, `reads back ${v}`);
  }

  // Long.MAX_VALUE as a double is 2^63; the writer writes Kafka's exact bound, not an overflow
  const MAX = '7fffffffffffffff';
  const MIN = '8000000000000000';
  for (const v of [9223372036854775807, TWO_63, 2 ** 64, Number.MAX_VALUE, Infinity]) {
    t.equal(hex(write(w => w.int64(v))), MAX, `int64 ${v} clamps to Long.MAX_VALUE`);
  }
  for (const v of [-9223372036854775808, -TWO_63, -(2 ** 64), -Number.MAX_VALUE, -Infinity]) {
    t.equal(hex(write(w => w.int64(v))), MIN, `int64 ${v} clamps to Long.MIN_VALUE`);
  }
  // the reader returns them as ±2^63, which the writer turns back into the same bytes
  const max = reader(MAX).int64();
  const min = reader(MIN).int64();
  t.equal(max, TWO_63, 'Long.MAX_VALUE reads as 2^63');
  t.equal(min, -TWO_63, 'Long.MIN_VALUE reads as -2^63');
  t.equal(hex(write(w => w.int64(max))), MAX, 'Long.MAX_VALUE round-trips');
  t.equal(hex(write(w => w.int64(min))), MIN, 'Long.MIN_VALUE round-trips');
  // one below Long.MAX_VALUE is not representable: it reads as 2^63 too and writes as MAX
  t.equal(reader('7ffffffffffffffe').int64(), TWO_63);
});

t.test('float64', async t => {
  for (const v of [0, 1.5, -2.25, Number.MAX_VALUE, Number.MIN_VALUE, Infinity, -Infinity]) {
    t.equal(new Reader(write(w => w.float64(v)).toBuffer()).float64(), v);
  }
  t.equal(hex(write(w => w.float64(1))), '3ff0000000000000');
  t.ok(Number.isNaN(new Reader(write(w => w.float64(NaN)).toBuffer()).float64()));
  t.ok(Object.is(new Reader(write(w => w.float64(-0)).toBuffer()).float64(), -0), '-0 keeps its sign');
});

t.test('uvarint: byte lengths at each 7-bit boundary, 5-byte values, and refusals', async t => {
  const cases: [number, string][] = [
    [0, '00'],
    [1, '01'],
    [127, '7f'],
    [128, '8001'],
    [300, 'ac02'],
    [16383, 'ff7f'],
    [16384, '808001'],
    [2 ** 21 - 1, 'ffff7f'],
    [2 ** 21, '80808001'],
    [2 ** 28 - 1, 'ffffff7f'],
    [2 ** 28, '8080808001'],
    [2 ** 31, '8080808008'],
    [2 ** 32 - 1, 'ffffffff0f'],
  ];
  for (const [v, bytes] of cases) {
    t.equal(hex(write(w => w.uvarint(v))), bytes, `uvarint ${v}`);
    const r = reader(bytes);
    t.equal(r.uvarint(), v, `reads ${bytes} as ${v}`);
    t.equal(r.remaining, 0);
  }
  // the writer takes a negative int32 as its unsigned pattern (the null length of compact forms is 0, never negative)
  t.equal(hex(write(w => w.uvarint(-1))), 'ffffffff0f');
  // a non-minimal encoding still decodes
  t.equal(reader('8000').uvarint(), 0);
  // a fifth byte with more than 4 bits, or a sixth byte, is refused
  t.throws(() => reader('ffffffff10').uvarint(), ProtocolError);
  t.throws(() => reader('ffffffff8f01').uvarint(), ProtocolError);
  t.throws(() => reader('8080808080').uvarint(), ProtocolError);
  for (const h of ['', '80', 'ffff', 'ffffffff']) {
    t.throws(() => reader(h).uvarint(), ProtocolError, `truncated ${JSON.stringify(h)}`);
  }
});

t.test('varint: zig-zag over the int32 range', async t => {
  const cases: [number, string][] = [
    [0, '00'],
    [-1, '01'],
    [1, '02'],
    [-2, '03'],
    [-64, '7f'],
    [63, '7e'],
    [64, '8001'],
    [-65, '8101'],
    [2147483647, 'feffffff0f'],
    [-2147483648, 'ffffffff0f'],
  ];
  for (const [v, bytes] of cases) {
    t.equal(hex(write(w => w.varint(v))), bytes, `varint ${v}`);
    t.equal(reader(bytes).varint(), v, `reads ${bytes} as ${v}`);
  }
});

t.test('varlong: zig-zag exact over ±2^53, matching a BigInt reference', async t => {
  const values = [
    0, -1, 1, -64, 63, 64, -65, 2 ** 31, -(2 ** 31) - 1, 2 ** 32, -(2 ** 32),
    1_700_000_000_000, -1_700_000_000_000,
    2 ** 52, -(2 ** 52), 2 ** 52 + 1, -(2 ** 52) - 1,
    TWO_53 - 1, -(TWO_53 - 1), TWO_53, -TWO_53, -(TWO_53 - 3),
  ];
  let seed = 12345;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  for (let i = 0; i < 200; i++) {
    const magnitude = Math.floor(rnd() * 2 ** Math.floor(rnd() * 53));
    values.push(rnd() < 0.5 ? -magnitude : magnitude);
  }
  for (const v of values) {
    const bytes = hex(write(w => w.varlong(v)));
    t.equal(bytes, refVarlong(BigInt(v)), `varlong ${v} encodes as Kafka does`);
    const r = reader(bytes);
    t.equal(r.varlong(), v, `varlong ${v} round-trips`);
    t.equal(r.remaining, 0);
  }
  t.equal(hex(write(w => w.varlong(-TWO_53))), 'ffffffffffffff1f');
  t.equal(hex(write(w => w.varlong(-(TWO_53 - 1)))), 'fdffffffffffff1f');
  t.equal(hex(write(w => w.varlong(TWO_53))), '8080808080808020');
  // ten bytes is the most a varlong has
  t.equal(reader('80808080808080808000').varlong(), 0);
  t.throws(() => reader('8080808080808080808000').varlong(), ProtocolError, 'an eleventh byte is refused');
  t.throws(() => reader('').varlong(), ProtocolError);
  t.throws(() => reader('ffff').varlong(), ProtocolError);
});

t.test('strings: classic and compact, null and empty, multi-byte UTF-8', async t => {
  const s = 'héllo→😀'; // 13 bytes (é: 2, →: 3, 😀: 4) in 8 UTF-16 code units
  const n = Buffer.byteLength(s);
  t.equal(n, 13);
  t.equal(s.length, 8);
  t.equal(hex(write(w => w.string(s))), '000d' + Buffer.from(s).toString('hex'));
  t.equal(hex(write(w => w.compactString(s))), '0e' + Buffer.from(s).toString('hex'), 'compact length is bytes + 1');
  t.equal(hex(write(w => w.string(''))), '0000');
  t.equal(hex(write(w => w.compactString(''))), '01');
  t.equal(hex(write(w => w.nullableString(null))), 'ffff');
  t.equal(hex(write(w => w.compactNullableString(null))), '00');
  t.equal(hex(write(w => w.nullableString(''))), '0000', 'empty is not null');
  t.equal(hex(write(w => w.compactNullableString(''))), '01');

  const w = write(w => {
    w.string(s);
    w.nullableString(null);
    w.nullableString('');
    w.compactString(s);
    w.compactNullableString(null);
    w.compactNullableString('');
    w.compactString('x'.repeat(200)); // two-byte length
  }, 1);
  const r = new Reader(w.toBuffer());
  t.equal(r.string(), s);
  t.equal(r.nullableString(), null);
  t.equal(r.nullableString(), '');
  t.equal(r.compactString(), s);
  t.equal(r.compactNullableString(), null);
  t.equal(r.compactNullableString(), '');
  t.equal(r.compactString(), 'x'.repeat(200));
  t.equal(r.remaining, 0);

  t.throws(() => reader('ffff').string(), ProtocolError, 'a null non-nullable string');
  t.throws(() => reader('00').compactString(), ProtocolError, 'a null non-nullable compact string');
  t.equal(reader('fffe').nullableString(), null, 'any negative length is null');

  // the classic form holds at most 32767 bytes, counted in bytes, not characters
  t.equal(write(w => w.string('a'.repeat(32767))).length, 32769);
  t.throws(() => write(w => w.string('a'.repeat(32768))), RangeError);
  t.throws(() => write(w => w.string('é'.repeat(16384))), RangeError, '16384 two-byte characters are 32768 bytes');
  t.equal(write(w => w.compactString('é'.repeat(20000))).length, 3 + 40000, 'compact strings have no such limit');
});

t.test('bytes: classic and compact, null and empty, sliced not copied', async t => {
  const b = Buffer.from([1, 2, 3]);
  t.equal(hex(write(w => w.bytes(b))), '00000003010203');
  t.equal(hex(write(w => w.compactBytes(b))), '04010203');
  t.equal(hex(write(w => w.bytes(Buffer.alloc(0)))), '00000000');
  t.equal(hex(write(w => w.compactBytes(Buffer.alloc(0)))), '01');
  t.equal(hex(write(w => w.nullableBytes(null))), 'ffffffff');
  t.equal(hex(write(w => w.compactNullableBytes(null))), '00');

  const frame = Buffer.from('00000003010203' + 'ffffffff' + '00000000' + '04040506' + '00' + '01', 'hex');
  const r = new Reader(frame);
  const got = r.bytes();
  t.same([...got], [1, 2, 3]);
  t.equal(got.buffer, frame.buffer, 'a view of the frame');
  t.equal(got.byteOffset, frame.byteOffset + 4);
  t.equal(r.nullableBytes(), null);
  t.equal(r.nullableBytes()!.length, 0);
  t.same([...r.compactBytes()], [4, 5, 6]);
  t.equal(r.compactNullableBytes(), null);
  t.equal(r.compactNullableBytes()!.length, 0);
  t.equal(r.remaining, 0);
  t.throws(() => reader('ffffffff').bytes(), ProtocolError);
  t.throws(() => reader('00').compactBytes(), ProtocolError);
});

t.test('uuid: string form, ZERO_UUID, invalid input', async t => {
  t.equal(ZERO_UUID, 'AAAAAAAAAAAAAAAAAAAAAA');
  t.equal(uuidToString(Buffer.alloc(16)), ZERO_UUID);
  t.same([...uuidToBytes(ZERO_UUID)], new Array(16).fill(0));
  const bytes = Buffer.from('00112233445566778899aabbccddeeff', 'hex');
  const s = uuidToString(bytes);
  t.equal(s, 'ABEiM0RVZneImaq7zN3u_w', 'base64url without padding');
  t.equal(hex(write(w => w.uuid(s))), bytes.toString('hex'));
  t.equal(reader(bytes.toString('hex')).uuid(), s);
  t.equal(uuidToString(Buffer.concat([Buffer.from([9, 9]), bytes]), 2), s, 'at an offset');
  // Kafka's METADATA_TOPIC_ID
  t.equal(uuidToString(Buffer.from('00000000000000000000000000000001', 'hex')), 'AAAAAAAAAAAAAAAAAAAAAQ');

  for (const bad of ['', 'not-a-uuid', 'AAAAAAAAAAAAAAAAAAAAA', 'AAAAAAAAAAAAAAAAAAAAAAAA', '!!!!!!!!!!!!!!!!!!!!!!']) {
    t.throws(() => uuidToBytes(bad), ProtocolError, `uuidToBytes(${JSON.stringify(bad)})`);
    t.throws(() => new Writer().uuid(bad), ProtocolError, `Writer.uuid(${JSON.stringify(bad)})`);
  }
  t.throws(() => reader('00'.repeat(15)).uuid(), ProtocolError, 'truncated uuid');
});

t.test('randomUuid: version 4, never ZERO_UUID, METADATA_TOPIC_ID or a leading "-"', async t => {
  const queue = [
    Buffer.alloc(16, 0xf8), // base64url starts with '-'
    Buffer.from('00112233445566778899aabbccddeeff', 'hex'),
  ];
  let calls = 0;
  const id = randomUuid(n => {
    t.equal(n, 16);
    calls++;
    return Buffer.from(queue.shift()!);
  });
  t.equal(calls, 2, 'the id starting with "-" was drawn again');
  const b = uuidToBytes(id);
  t.equal(b[6]! >> 4, 4, 'version 4');
  t.equal(b[8]! >> 6, 2, 'IETF variant');
  t.equal(b.toString('hex'), '00112233445546778899aabbccddeeff');
  // zero bytes still become a valid non-zero v4 id
  t.not(randomUuid(() => Buffer.alloc(16)), ZERO_UUID);
});

t.test('a truncated frame is a ProtocolError for every read, never a RangeError', async t => {
  const w = new Writer(8);
  w.int8(-3);
  w.bool(true);
  w.int16(-300);
  w.uint16(60000);
  w.int32(-70000);
  w.uint32(4000000000);
  w.int64(-TWO_53);
  w.float64(3.5);
  w.uvarint(2 ** 30);
  w.varint(-1000);
  w.varlong(-(2 ** 40));
  w.uuid('ABEiM0RVZneImaq7zN3u_w');
  w.string('héllo');
  w.nullableString(null);
  w.compactString('wörld');
  w.compactNullableString('x');
  w.bytes(Buffer.from('abc'));
  w.nullableBytes(Buffer.alloc(0));
  w.compactBytes(Buffer.from('de'));
  w.compactNullableBytes(null);
  w.arrayLength(2, false);
  w.int16(1);
  w.int16(2);
  w.arrayLength(1, true);
  w.int8(1);
  const full = w.toBuffer();
  const readAll = (r: Reader) => [
    r.int8(), r.bool(), r.int16(), r.uint16(), r.int32(), r.uint32(), r.int64(), r.float64(),
    r.uvarint(), r.varint(), r.varlong(), r.uuid(), r.string(), r.nullableString(), r.compactString(),
    r.compactNullableString(), r.bytes().toString(), r.nullableBytes()!.length, r.compactBytes().toString(),
    r.compactNullableBytes(), r.arrayLength(false), r.int16(), r.int16(), r.arrayLength(true), r.int8(),
  ];
  const r = new Reader(full);
  t.same(readAll(r), [
    -3, true, -300, 60000, -70000, 4000000000, -TWO_53, 3.5, 2 ** 30, -1000, -(2 ** 40), 'ABEiM0RVZneImaq7zN3u_w',
    'héllo', null, 'wörld', 'x', 'abc', 0, 'de', null, 2, 1, 2, 1, 1,
  ]);
  t.equal(r.remaining, 0);
  let refused = 0;
  for (let n = 0; n < full.length; n++) {
    // both a short buffer and a long buffer with a short `end` (a frame inside a larger read)
    for (const r of [new Reader(full.subarray(0, n)), new Reader(full, 0, n)]) {
      try {
        readAll(r);
        t.fail(`a prefix of ${n} bytes decoded`);
      } catch (err) {
        if (!(err instanceof ProtocolError)) {
          t.fail(`prefix of ${n} bytes: ${(err as Error).name}: ${(err as Error).message}`);
          return;
        }
        refused++;
      }
    }
  }
  t.equal(refused, full.length * 2, 'every prefix refused with a ProtocolError');
  // a reader that starts inside a buffer reads from there
  const inner = new Reader(Buffer.from('ff0007', 'hex'), 1);
  t.equal(inner.int16(), 7);
});

t.test('arrayLength: null, empty, and counts larger than the bytes left', async t => {
  t.equal(reader('ffffffff').arrayLength(false), -1, 'classic null');
  t.equal(reader('00').arrayLength(true), -1, 'compact null');
  t.equal(reader('00000000').arrayLength(false), 0);
  t.equal(reader('01').arrayLength(true), 0);
  t.equal(reader('00000003aabbcc').arrayLength(false), 3, 'as many elements as bytes left is allowed');
  t.equal(reader('04aabbcc').arrayLength(true), 3);
  t.throws(() => reader('00000003aabb').arrayLength(false), ProtocolError, 'classic: 3 elements in 2 bytes');
  t.throws(() => reader('04aabb').arrayLength(true), ProtocolError, 'compact: 3 elements in 2 bytes');
  t.throws(() => reader('7fffffff').arrayLength(false), ProtocolError, 'Integer.MAX_VALUE elements');
  t.throws(() => reader('ffffffff0f').arrayLength(true), ProtocolError, '2^32-2 elements');
  t.throws(() => reader('0000').arrayLength(false), ProtocolError, 'truncated count');
  t.equal(hex(write(w => w.arrayLength(-1, true))), '00');
  t.equal(hex(write(w => w.arrayLength(-1, false))), 'ffffffff');
  t.equal(hex(write(w => w.arrayLength(2, true))), '03');
});

t.test('skipTaggedFields skips each field by its size', async t => {
  const w = new Writer(4);
  w.uvarint(3);
  w.uvarint(0);
  w.uvarint(3);
  w.raw(Buffer.from('abc'));
  w.uvarint(200); // a two-byte tag
  w.uvarint(0);
  w.uvarint(5);
  w.uvarint(130); // a two-byte size
  w.raw(Buffer.alloc(130, 7));
  w.int32(0x12345678);
  const r = new Reader(w.toBuffer());
  r.skipTaggedFields();
  t.equal(r.int32(), 0x12345678, 'positioned after the tagged fields');
  const empty = reader('00ff');
  empty.skipTaggedFields();
  t.equal(empty.pos, 1);
  t.throws(() => reader('010005aabb').skipTaggedFields(), ProtocolError, 'a field shorter than its size');
  t.throws(() => reader('0200').skipTaggedFields(), ProtocolError, 'fewer fields than counted');
  t.throws(() => reader('ffffffff0f').skipTaggedFields(), ProtocolError, 'a huge count with nothing behind it');
  t.throws(() => new Reader(Buffer.alloc(4)).skip(5), ProtocolError);
  t.throws(() => new Reader(Buffer.alloc(4)).skip(-1), ProtocolError);
});

t.test('Writer: payloads of 4096 bytes or more are kept as their own chunk, by reference', async t => {
  const big = Buffer.alloc(4096, 0xab);
  const small = Buffer.alloc(4095, 0xcd);
  const w = new Writer(16);
  w.int32(0); // a size to patch
  w.int16(7);
  w.raw(big);
  w.raw(small);
  w.int8(1);
  const chunks = w.toChunks();
  t.equal(chunks.length, 3, 'head, the big payload, the rest');
  t.equal(chunks[1], big, 'the big payload is the same Buffer object');
  t.equal(chunks[1]!.buffer, big.buffer);
  t.equal(chunks[0]!.length, 6);
  t.equal(chunks[2]!.length, 4096, 'the small payload was copied next to the following byte');
  t.not(chunks[2]!.buffer, small.buffer);
  t.equal(w.length, 6 + 4096 + 4095 + 1);

  w.patchInt32(0, w.length - 4);
  const whole = w.toBuffer();
  t.equal(whole.length, w.length);
  t.same(whole, Buffer.concat(w.toChunks()), 'toBuffer equals the concatenated chunks');
  t.equal(whole.readInt32BE(0), 6 + 4096 + 4095 + 1 - 4, 'patchInt32 at 0 lands in the first chunk after chunking');
  t.equal(whole.readInt16BE(4), 7);
  t.ok(whole.subarray(6, 6 + 4096).equals(big));
  t.ok(whole.subarray(6 + 4096, 6 + 4096 + 4095).equals(small));
  t.equal(whole[whole.length - 1], 1);
  t.equal(big[0], 0xab, 'the caller\'s payload is not written to');

  // mutating a chunked payload after writing shows through: it was not copied
  big[0] = 0x01;
  t.equal(w.toBuffer()[6], 0x01);
  small[0] = 0x02;
  t.equal(w.toBuffer()[6 + 4096], 0xcd, 'a small payload was copied');
});

t.test('Writer: back-to-back large payloads leave no empty chunks; records() lists', async t => {
  const a = Buffer.alloc(5000, 1);
  const b = Buffer.alloc(6000, 2);
  const w = new Writer(8);
  w.raw(a);
  w.raw(b);
  t.same(w.toChunks().map(c => c.length), [5000, 6000]);
  t.equal(w.toChunks()[0], a);
  t.equal(w.toChunks()[1], b);

  const r = new Writer(8);
  r.int8(9);
  r.records([a, Buffer.from('xy'), b], true);
  r.records(null, true);
  r.records(null, false);
  r.records(Buffer.from('z'), false);
  const chunks = r.toChunks();
  t.ok(chunks.includes(a) && chunks.includes(b), 'stored batches are written without copying');
  t.notOk(chunks.some(c => c.length === 0), 'no empty chunk');
  const rd = new Reader(r.toBuffer());
  t.equal(rd.int8(), 9);
  const rec = rd.compactNullableBytes()!;
  t.equal(rec.length, 11002);
  t.ok(rec.equals(Buffer.concat([a, Buffer.from('xy'), b])));
  t.equal(rd.compactNullableBytes(), null);
  t.equal(rd.nullableBytes(), null);
  t.equal(rd.nullableBytes()!.toString(), 'z');
  t.equal(rd.remaining, 0);

  // bytes() of a large payload: the length is copied, the payload chunked
  const c = new Writer();
  c.bytes(a);
  t.same(c.toChunks().map(x => x.length), [4, 5000]);
  t.equal(c.toBuffer().readInt32BE(0), 5000);
});

t.test('Writer: growth from a tiny initial size, with and without chunks', async t => {
  const fill = (w: Writer) => {
    for (let i = 0; i < 300; i++) {
      w.int32(i);
      w.compactString(`s${i}`);
      w.varlong(-i * 1e9);
      if (i % 50 === 0) w.raw(Buffer.alloc(4096 + i, i & 0xff));
      if (i % 70 === 0) w.raw(Buffer.alloc(1000, 3));
    }
  };
  const reference = new Writer(1 << 20);
  fill(reference);
  for (const initial of [0, 1, 2, 7]) {
    const w = new Writer(initial);
    fill(w);
    t.equal(w.length, reference.length, `initial ${initial}: same length`);
    t.ok(w.toBuffer().equals(reference.toBuffer()), `initial ${initial}: same bytes`);
    t.ok(Buffer.concat(w.toChunks()).equals(reference.toBuffer()), `initial ${initial}: same chunks`);
  }
  const one = new Writer(1);
  one.int64(5);
  t.equal(hex(one), '0000000000000005', 'an 8-byte write into a 1-byte buffer');
  const empty = new Writer(0);
  t.equal(empty.length, 0);
  t.equal(empty.toBuffer().length, 0);
  t.same(empty.toChunks().map(c => c.length), [0]);
  // patchInt32 without chunking
  const p = new Writer(2);
  p.int32(0);
  p.raw(Buffer.alloc(100));
  p.patchInt32(0, 100);
  t.equal(p.toBuffer().readInt32BE(0), 100);
});
