// Frames for fuzzing the broker (test/fuzz.test.ts): a seeded generator, valid requests for every
// API key and version built from the protocol specs, mutations of them (bit flips, overwrites,
// extreme length fields, truncation, junk, tagged fields, wrong versions and keys, lying size
// prefixes, garbage), SASL tokens for PLAIN, SCRAM-SHA-256 and OAUTHBEARER with their mutations,
// and a connection that writes frames and reads (or awaits) what comes back.
import net from 'node:net';
import { createHash, createHmac, pbkdf2Sync } from 'node:crypto';
// @ts-expect-error -- plain ESM module without types
import { defaultValue, inRange, loadSpecs } from '../../protocol/dsl.mjs';
import { API_SPECS } from '../../src/protocol/messages/index.js';
import { encodeRecordBatch } from '../../src/protocol/records.js';
import { Reader, Writer } from '../../src/protocol/wire.js';
import { requestFrame } from './client.js';
import { plain, randomStruct, type Field, type Spec, type Struct } from './random-messages.js';

export type Rng = ReturnType<typeof generator>;

/** mulberry32: a small seeded generator, so a run can be replayed from its seed. */
export function generator(seed: number) {
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = a;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number): number => Math.floor(next() * n);
  const bytes = (n: number): Buffer => {
    const b = Buffer.allocUnsafe(n);
    for (let i = 0; i < n; i++) b[i] = int(256);
    return b;
  };
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!;
  return { next, int, bytes, pick };
}

export const SASL_HANDSHAKE = 17;
export const API_VERSIONS = 18;
export const SASL_AUTHENTICATE = 36;

/** A valid request frame (size prefix included) of one API version. */
export interface Seed {
  key: number;
  version: number;
  flexible: boolean;
  /** Offset of the request header's tagged-field count (flexible versions), else -1. */
  headerTagsAt: number;
  /** Tagged fields of the body given a value other than their default. */
  taggedFields: number;
  frame: Buffer;
}

/**
 * random-messages draws bytes and uuids from crypto; replace them with seeded ones so that the
 * seed decides every frame. Produce's records are sometimes real batches, to reach the
 * validation behind the CRC.
 */
function reseed(rng: Rng, s: Struct, m: Record<string, unknown>): void {
  for (const f of s.fields) {
    const v = m[f.name];
    if (v === null || v === undefined) continue;
    if (f.type === 'struct') reseed(rng, f.struct!, v as Record<string, unknown>);
    else if (f.type === 'array') {
      const arr = v as unknown[];
      for (let i = 0; i < arr.length; i++) {
        if (f.elem === 'struct') reseed(rng, f.struct!, arr[i] as Record<string, unknown>);
        else arr[i] = reseedPrimitive(rng, f.elem!, arr[i]);
      }
    } else m[f.name] = reseedPrimitive(rng, f.type, v);
  }
}

function reseedPrimitive(rng: Rng, type: string, v: unknown): unknown {
  if (type === 'records' && rng.int(2) === 0) {
    const n = 1 + rng.int(4);
    // timestamps from the generator too (the clock's would make every run's frames differ)
    const base = rng.pick([1_700_000_000_000, 0, -1, 2 ** 50]) + rng.int(2 ** 31);
    return encodeRecordBatch(Array.from({ length: n }, (_, i) => ({ key: rng.int(2) ? `k${i}` : null, value: rng.bytes(rng.int(40)), headers: rng.int(2) ? [{ key: 'h', value: 'v' }] : [], timestamp: base + i })));
  }
  if (Buffer.isBuffer(v)) return rng.bytes(v.length);
  if (type === 'uuid' && typeof v === 'string' && v !== 'AAAAAAAAAAAAAAAAAAAAAA') return rng.bytes(16).toString('base64url');
  return v;
}

/** Tagged fields of a message (nested ones too) that this version carries with a non-default value. */
function countTagged(s: Struct, m: Record<string, unknown>, v: number): number {
  let n = 0;
  for (const f of s.fields) {
    if (!inRange(v, f.versions)) continue;
    const value = m[f.name];
    if (f.tag !== null && value !== undefined && !sameAsDefault(f, value)) n++;
    if (value === null || value === undefined) continue;
    if (f.type === 'struct') n += countTagged(f.struct!, value as Record<string, unknown>, v);
    else if (f.type === 'array' && f.elem === 'struct') for (const e of value as Record<string, unknown>[]) n += countTagged(f.struct!, e, v);
  }
  return n;
}

/** Whether a version of a message carries tagged fields (nested ones too). */
export function hasTagged(s: Struct, v: number): boolean {
  return s.fields.some(f => inRange(v, f.versions) && (f.tag !== null || (f.struct !== undefined && hasTagged(f.struct, v))));
}

function sameAsDefault(f: Field, value: unknown): boolean {
  const d: unknown = defaultValue(f);
  if (Buffer.isBuffer(d)) return Buffer.isBuffer(value) && value.length === 0;
  if (Array.isArray(d)) return Array.isArray(value) && value.length === 0;
  return d === value || (f.type === 'struct' && d === undefined);
}

/** The specs of protocol/apis, by API key. */
export function specsByKey(): Map<number, Spec> {
  return new Map((loadSpecs() as Spec[]).map(s => [s.key, s]));
}

/**
 * Valid frames: `perVersion` random requests for every API key and every version the broker
 * decodes (API_SPECS), with random client ids and, on flexible versions, tagged fields set.
 */
export function validFrames(rng: Rng, perVersion = 3): Seed[] {
  const specs = specsByKey();
  const out: Seed[] = [];
  for (const api of API_SPECS) {
    const spec = specs.get(api.key);
    if (spec === undefined) throw new Error(`no protocol spec for API key ${api.key} (${api.name})`);
    for (let v = api.minVersion; v <= api.maxVersion; v++) {
      const flexible = v >= api.flexibleMin;
      const make = (): Seed => {
        const body = randomStruct(spec.request, v);
        reseed(rng, spec.request, body);
        const clientId = rng.pick(['fuzz', null, '', 'ü'.repeat(rng.int(40))]);
        const frame = requestFrame(api.key, v, rng.int(0x7fffffff), body, clientId);
        return { key: api.key, version: v, flexible, headerTagsAt: flexible ? 14 + (clientId === null ? 0 : Buffer.byteLength(clientId)) : -1, taggedFields: countTagged(spec.request, body, v), frame };
      };
      const made = Array.from({ length: perVersion }, make);
      // a version whose request has tagged fields gets a frame that sets some (they are random, and nested ones need their arrays)
      if (flexible && hasTagged(spec.request, v) && !made.some(s => s.taggedFields > 0)) {
        for (let i = 0; i < 50; i++) {
          const s = make();
          if (s.taggedFields > 0) {
            made.push(s);
            break;
          }
        }
      }
      out.push(...made);
    }
  }
  return out;
}

/** A request frame from an API's defaults with `fields` set. */
export function frameOf(key: number, version: number, fields: Record<string, unknown>, correlationId = 1, clientId: string | null = 'fuzz'): Buffer {
  const spec = API_SPECS.find(a => a.key === key)!;
  return requestFrame(key, version, correlationId, { ...spec.defaultRequest(), ...fields }, clientId);
}

const INTERESTING_32 = [0, 1, -1, 0x7fffffff, -0x80000000, 0xffff, 0x10000, 0x7fff, 0x8000];
const INTERESTING_16 = [0, 1, -1, 0x7fff, -0x8000, 0xff, 0x100];

/** Sets a frame's size prefix to the length of what follows it. */
export const fixSize = (b: Buffer): Buffer => (b.writeInt32BE(b.length - 4, 0), b);

function uvarint(n: number): Buffer {
  const w = new Writer(8);
  w.uvarint(n);
  return w.toBuffer();
}

/** A tagged-field section: `n` fields of the given tags with random contents, sizes sometimes lying. */
function taggedSection(rng: Rng, tags: number[]): Buffer {
  const n = rng.int(10) === 0 ? rng.pick([0x7f, 0x80, 1000, 0x7fffffff]) : 1 + rng.int(4);
  const parts: Buffer[] = [uvarint(n)];
  for (let i = 0; i < Math.min(n, 4); i++) {
    parts.push(uvarint(tags.length > 0 && rng.int(2) === 0 ? rng.pick(tags) : rng.pick([0, 1, 2, 3, 7, 100, 10000, 0x7fffffff, rng.int(1 << 20)])));
    const body = rng.bytes(rng.int(24));
    // the size: true, or a lie past the frame's end, or an unterminated varint
    const r = rng.int(8);
    parts.push(r === 0 ? uvarint(rng.pick([0x7fffffff, 1 << 20, body.length + 1 + rng.int(64)])) : r === 1 ? Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff]) : uvarint(body.length));
    parts.push(body);
  }
  return Buffer.concat(parts);
}

/** Tags of a struct's tagged fields this version carries: known tags with wrong contents reach their decoders. */
function knownTags(spec: Spec | undefined, version: number): number[] {
  if (spec === undefined) return [];
  return spec.request.fields.filter(f => f.tag !== null && inRange(version, f.versions)).map(f => f.tag!);
}

const SPECS = specsByKey();

/** One frame of bad input, derived from a valid one (or from nothing). */
export function mutate(rng: Rng, seeds: readonly Seed[]): { kind: string; bytes: Buffer } {
  const s = rng.pick(seeds);
  const f = Buffer.from(s.frame);
  const body = () => 4 + 8 + rng.int(Math.max(1, f.length - 12)); // a position past size, key, version, correlation id
  switch (rng.int(12)) {
    case 0:
      return { kind: 'valid', bytes: f };
    case 1: {
      const flips = 1 + rng.int(8);
      for (let i = 0; i < flips && f.length > 4; i++) {
        const at = 4 + rng.int(f.length - 4);
        f[at]! ^= 1 << rng.int(8);
      }
      return { kind: 'bit flips', bytes: f };
    }
    case 2: {
      const n = 1 + rng.int(6);
      for (let i = 0; i < n && f.length > 12; i++) f[body()] = rng.int(256);
      return { kind: 'byte overwrites', bytes: f };
    }
    case 3: {
      // a length field (string, bytes, array, varint) set to an extreme: write one at a random spot
      const at = body();
      if (rng.int(2) === 0 && at + 4 <= f.length) f.writeInt32BE(rng.pick(INTERESTING_32) | 0, at);
      else if (at + 2 <= f.length) f.writeInt16BE(rng.pick(INTERESTING_16), at);
      else if (at < f.length) f[at] = rng.pick([0x00, 0x7f, 0x80, 0xff]);
      if (rng.int(3) === 0 && at + 5 <= f.length) f.fill(0xff, at, at + 5); // an unterminated varint
      return { kind: 'length field', bytes: f };
    }
    case 4: {
      // truncated, the size prefix telling the truth about the shorter frame
      const cut = 4 + rng.int(Math.max(1, f.length - 4));
      return { kind: 'truncated', bytes: fixSize(Buffer.from(f.subarray(0, cut))) };
    }
    case 5: {
      // extended with junk the decoder does not expect
      return { kind: 'trailing junk', bytes: fixSize(Buffer.concat([f, rng.bytes(1 + rng.int(32))])) };
    }
    case 6: {
      // the body of one version sent as another version of the same API (or another API)
      const other = rng.int(3) === 0 ? rng.pick(API_SPECS) : API_SPECS.find(a => a.key === s.key)!;
      f.writeInt16BE(other.key, 4);
      f.writeInt16BE(other.minVersion + rng.int(other.maxVersion - other.minVersion + 1), 6);
      return { kind: 'wrong version', bytes: f };
    }
    case 7: {
      // an API key or version the broker does not know
      if (rng.int(2) === 0) f.writeInt16BE(rng.pick([-1, 7, 1000, 0x7fff, -0x8000]), 4);
      else f.writeInt16BE(rng.pick([-1, 0x7fff, 200]), 6);
      return { kind: 'unknown key or version', bytes: f };
    }
    case 8: {
      // a size prefix that lies: too small (the rest reads as the next frame), too big, negative, huge
      f.writeInt32BE(rng.pick([0, 1, 3, 7, f.length - 5, f.length + 10, -1, -0x80000000, 0x7fffffff, 200 * 1024 * 1024]), 0);
      return { kind: 'size prefix', bytes: f };
    }
    case 9: {
      // a valid header, a random body
      const head = Buffer.from(f.subarray(0, Math.min(f.length, 12 + rng.int(8))));
      return { kind: 'random body', bytes: fixSize(Buffer.concat([head, rng.bytes(rng.int(200))])) };
    }
    case 10: {
      // tagged fields (flexible versions): unknown ones in the request header, or known and unknown
      // ones with random contents in place of the body's (empty) top-level tagged fields
      const flex = s.flexible ? s : seeds.find(x => x.flexible && x.key === s.key) ?? seeds.find(x => x.flexible);
      if (flex === undefined) return { kind: 'valid', bytes: f };
      const g = flex.frame;
      if (rng.int(2) === 0 || g[g.length - 1] !== 0) {
        const at = flex.headerTagsAt;
        return { kind: 'tagged fields (header)', bytes: fixSize(Buffer.concat([g.subarray(0, at), taggedSection(rng, []), g.subarray(at + 1)])) };
      }
      const tags = knownTags(SPECS.get(flex.key), flex.version);
      return { kind: 'tagged fields (body)', bytes: fixSize(Buffer.concat([g.subarray(0, g.length - 1), taggedSection(rng, tags)])) };
    }
    default: {
      // garbage: sometimes with a plausible size prefix
      const g = rng.bytes(1 + rng.int(300));
      if (rng.int(2) === 0 && g.length >= 4) fixSize(g);
      return { kind: 'garbage', bytes: g };
    }
  }
}

/**
 * A valid frame with well-formed tagged fields of tags no version defines (10000 and up, in
 * order), which a decoder must skip: in the request header, or in the body's top-level tagged
 * fields (null when the body already ends with some of its own). The correlation id is replaced.
 */
export function withUnknownTags(rng: Rng, seed: Seed, place: 'header' | 'body', correlationId: number): Buffer | null {
  if (!seed.flexible) return null;
  const fields = Array.from({ length: 1 + rng.int(3) }, (_, i) => {
    const value = rng.bytes(rng.int(20));
    return Buffer.concat([uvarint(10000 + i * (1 + rng.int(1000))), uvarint(value.length), value]);
  });
  const section = Buffer.concat([uvarint(fields.length), ...fields]);
  const f = seed.frame;
  let out: Buffer;
  if (place === 'header') out = Buffer.concat([f.subarray(0, seed.headerTagsAt), section, f.subarray(seed.headerTagsAt + 1)]);
  else {
    // the frame ends with the top-level tagged-field count when it is 0 and the body decodes back the same without it
    if (f[f.length - 1] !== 0 || !decodesAlike(seed, section)) return null;
    out = Buffer.concat([f.subarray(0, f.length - 1), section]);
  }
  fixSize(out).writeInt32BE(correlationId, 8);
  return out;
}

/** Whether the seed's body, its last byte replaced by `section`, decodes to what it did. */
function decodesAlike(seed: Seed, section: Buffer): boolean {
  const api = API_SPECS.find(a => a.key === seed.key)!;
  const body = (frame: Buffer) => {
    const r = new Reader(frame.subarray(seed.headerTagsAt + 1));
    const m = api.decodeRequest(r, seed.version);
    return r.remaining === 0 ? JSON.stringify(plain(m)) : null;
  };
  try {
    const original = body(seed.frame);
    const tagged = body(Buffer.concat([seed.frame.subarray(0, seed.frame.length - 1), section]));
    return original !== null && original === tagged;
  } catch {
    return false;
  }
}

// --- SASL tokens ---------------------------------------------------------------------------

export const MECHANISMS = ['PLAIN', 'SCRAM-SHA-256', 'OAUTHBEARER'] as const;
export type Mechanism = (typeof MECHANISMS)[number];
export const USER = 'alice';
export const PASSWORD = 'alice-secret';

export const plainToken = (user = USER, password = PASSWORD, authzid = ''): Buffer => Buffer.from(`${authzid}\0${user}\0${password}`);

const b64url = (v: unknown): string => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');

/** An unsecured JWT in an OAUTHBEARER client message (RFC 7628), as Kafka's unsecured login module sends it. */
export function oauthToken(claims: Record<string, unknown> = {}, header: Record<string, unknown> = { alg: 'none' }, extensions = ''): Buffer {
  const now = Math.floor(Date.now() / 1000);
  const jwt = `${b64url(header)}.${b64url({ sub: USER, iat: now, exp: now + 3600, ...claims })}.`;
  return Buffer.from(`n,,\x01auth=Bearer ${jwt}\x01${extensions}\x01`);
}

/** SCRAM-SHA-256's client-first message. */
export const scramClientFirst = (nonce: string, user = USER): Buffer => Buffer.from(`n,,n=${user},r=${nonce}`);

/** The client-final message answering `serverFirst`, with a correct proof for `password`. */
export function scramClientFinal(clientFirst: Buffer, serverFirst: Buffer, password = PASSWORD): Buffer {
  const attrs = new Map(serverFirst.toString().split(',').map(kv => [kv.slice(0, 1), kv.slice(2)] as [string, string]));
  const salted = pbkdf2Sync(password, Buffer.from(attrs.get('s') ?? '', 'base64'), Number(attrs.get('i') ?? 4096), 32, 'sha256');
  const clientKey = createHmac('sha256', salted).update('Client Key').digest();
  const storedKey = createHash('sha256').update(clientKey).digest();
  const withoutProof = `c=biws,r=${attrs.get('r') ?? ''}`;
  const authMessage = `${clientFirst.toString().slice(3)},${serverFirst.toString()},${withoutProof}`;
  const signature = createHmac('sha256', storedKey).update(authMessage).digest();
  const proof = Buffer.from(clientKey.map((b, i) => b ^ signature[i]!));
  return Buffer.from(`${withoutProof},p=${proof.toString('base64')}`);
}

/** A mechanism's first token: valid, or one of its near misses. */
export function firstToken(rng: Rng, mechanism: Mechanism): Buffer {
  switch (mechanism) {
    case 'PLAIN':
      return rng.pick([
        () => plainToken(),
        () => plainToken(USER, 'wrong'),
        () => plainToken('nobody', PASSWORD),
        () => plainToken(USER, PASSWORD, USER),
        () => plainToken(USER, PASSWORD, 'mallory'),
        () => Buffer.from(`${USER}\0${PASSWORD}`),
        () => Buffer.from(`\0\0\0${USER}\0${PASSWORD}\0`),
        () => plainToken('', ''),
        () => plainToken('ü'.repeat(rng.int(300)), 'x'.repeat(rng.int(300))),
      ])();
    case 'SCRAM-SHA-256':
      return rng.pick([
        () => scramClientFirst(rng.bytes(18).toString('base64')),
        () => scramClientFirst(rng.bytes(18).toString('base64'), 'nobody'),
        () => Buffer.from(`y,,n=${USER},r=abc`),
        () => Buffer.from(`p=tls-unique,,n=${USER},r=abc`),
        () => Buffer.from(`n,a=${USER},n=${USER},r=abc`),
        () => Buffer.from(`n,,n=${USER},r=abc,e=unknown,ext=1`),
        () => Buffer.from(`n,,n=${USER}`),
        () => Buffer.from(`n,,n=al=3Dice=2C,r=x`),
        () => Buffer.from(`n,,n=al=ZZice,r=x`),
        () => Buffer.from(`n,,m=ext,n=${USER},r=x`),
        () => Buffer.from('n,,'),
      ])();
    case 'OAUTHBEARER':
      return rng.pick([
        () => oauthToken(),
        () => oauthToken({ exp: 1 }),
        () => oauthToken({ sub: undefined }),
        () => oauthToken({ sub: 42 }),
        () => oauthToken({ exp: 'soon' }),
        () => oauthToken({ iat: 1e300, exp: -1e300 }),
        () => oauthToken({ scope: ['a', 'b c', 7] }),
        () => oauthToken({}, { alg: 'HS256' }),
        () => oauthToken({}, { alg: 'none' }, 'traceId=abc\x01'),
        () => oauthToken({}, { alg: 'none' }, '=bad\x01'),
        () => Buffer.from(`n,a=${USER},\x01auth=Bearer e30.e30.\x01\x01`),
        () => Buffer.from('n,,\x01auth=Bearer\x01\x01'),
        () => Buffer.from('n,,\x01auth=Bearer a.b.c\x01\x01'),
        () => Buffer.from('n,,\x01\x01'),
        () => Buffer.from([1]),
      ])();
  }
}

/** A token, valid or not, damaged: bit flips, cuts, insertions, repeats, or replaced by garbage. */
export function mutateToken(rng: Rng, token: Buffer): { kind: string; token: Buffer } {
  const t = Buffer.from(token);
  switch (rng.int(8)) {
    case 0:
      return { kind: 'as is', token: t };
    case 1: {
      for (let i = 0, n = 1 + rng.int(6); i < n && t.length > 0; i++) t[rng.int(t.length)]! ^= 1 << rng.int(8);
      return { kind: 'bit flips', token: t };
    }
    case 2:
      return { kind: 'truncated', token: t.subarray(0, rng.int(t.length + 1)) };
    case 3: {
      const at = rng.int(t.length + 1);
      return { kind: 'inserted', token: Buffer.concat([t.subarray(0, at), rng.pick([Buffer.from([0]), Buffer.from([1]), Buffer.from(','), Buffer.from('='), rng.bytes(1 + rng.int(16))]), t.subarray(at)]) };
    }
    case 4:
      return { kind: 'repeated', token: Buffer.concat(Array.from({ length: 2 + rng.int(50) }, () => t)) };
    case 5:
      return { kind: 'empty', token: Buffer.alloc(0) };
    case 6:
      return { kind: 'overwritten', token: (() => { for (let i = 0, n = 1 + rng.int(4); i < n && t.length > 0; i++) t[rng.int(t.length)] = rng.pick([0, 1, 0x2c, 0x3d, 0xff, rng.int(256)]); return t; })() };
    default:
      return { kind: 'garbage', token: rng.bytes(rng.int(rng.int(10) === 0 ? 70000 : 200)) };
  }
}

/** A bare token, as it goes after a v0 SaslHandshake: size-prefixed, the size (given a generator) sometimes lying. */
export function bareToken(rng: Rng | null, token: Buffer): Buffer {
  const b = Buffer.alloc(4 + token.length);
  token.copy(b, 4);
  b.writeInt32BE(rng !== null && rng.int(10) === 0 ? rng.pick([-1, 0, token.length + 1, 0x7fffffff, 600 * 1024]) : token.length, 0);
  return b;
}

// --- connections ---------------------------------------------------------------------------

/**
 * A fuzzing connection: writes what it is given, and reads responses, which it hands to an
 * `exchange` waiting for one (a preamble: SASL authentication) or else drops.
 */
export class FuzzConnection {
  closed = false;
  sent = 0;
  received = 0;
  private buf: Buffer = Buffer.alloc(0);
  private waiter: ((frame: Buffer | null) => void) | null = null;
  readonly whenClosed: Promise<void>;

  private constructor(
    private readonly socket: net.Socket,
    private readonly rng: Rng,
  ) {
    socket.on('data', chunk => this.onData(chunk));
    socket.on('error', () => {});
    this.whenClosed = new Promise(resolve =>
      socket.on('close', () => {
        this.closed = true;
        this.buf = Buffer.alloc(0);
        const w = this.waiter;
        this.waiter = null;
        w?.(null);
        resolve();
      }),
    );
  }

  /** The port of this end: the broker's logs and connections name a client by it. */
  get localPort(): number {
    return this.socket.localPort ?? -1;
  }

  static open(address: string, rng: Rng): Promise<FuzzConnection> {
    const i = address.lastIndexOf(':');
    return new Promise((resolve, reject) => {
      const s = net.connect(Number(address.slice(i + 1)), address.slice(0, i), () => resolve(new FuzzConnection(s, rng)));
      s.once('error', reject);
    });
  }

  private onData(chunk: Buffer): void {
    if (this.waiter === null) {
      // nobody is waiting for an answer: count the bytes, keep nothing
      this.received += chunk.length;
      return;
    }
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    if (this.buf.length >= 4 && this.buf.length >= 4 + this.buf.readInt32BE(0)) {
      const size = this.buf.readInt32BE(0);
      const frame = Buffer.from(this.buf.subarray(4, 4 + size));
      this.buf = Buffer.alloc(0);
      const w = this.waiter;
      this.waiter = null;
      w(frame);
    }
  }

  /** Sends a frame and resolves with the next response frame (null when the broker closed the connection instead). */
  exchange(frame: Buffer, timeoutMs = 10000): Promise<Buffer | null> {
    if (this.closed) return Promise.resolve(null);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = null;
        reject(new Error(`no answer within ${timeoutMs} ms to ${frame.subarray(0, 64).toString('hex')}`));
      }, timeoutMs);
      this.waiter = f => {
        clearTimeout(timer);
        resolve(f);
      };
      this.socket.write(frame);
    });
  }

  /** False when the connection cannot take more (closed by the broker, used up, or backed up). */
  usable(maxFrames: number): boolean {
    return !this.closed && this.sent < maxFrames && this.socket.writableLength < 1 << 20;
  }

  write(b: Buffer): void {
    this.sent++;
    // sometimes in pieces, to exercise reassembly of frames split across reads
    if (b.length > 8 && this.rng.int(4) === 0) {
      const at = 1 + this.rng.int(b.length - 1);
      this.socket.write(b.subarray(0, at));
      this.socket.write(b.subarray(at));
    } else this.socket.write(b);
  }

  close(): void {
    this.socket.destroy();
  }
}
