// Random protocol messages built from the specs (protocol/apis), for round-trip tests: every
// field the version carries gets a random value (arrays of 0-3 items, nulls where nullable,
// tagged fields sometimes left at their default), every other field its default. The sequence
// is seeded, so a test file sees the same messages on every run.
import { randomBytes } from 'node:crypto';
// @ts-expect-error -- plain ESM module without types
import { defaultValue, inRange } from '../../protocol/dsl.mjs';

export type Field = {
  name: string; type: string; elem?: string; struct?: Struct; versions: [number, number];
  nullable: [number, number] | null; tag: number | null; default?: unknown;
};
export type Struct = { name: string; fields: Field[] };
export type Spec = { key: number; name: string; versions: [number, number]; flexible: number | null; request: Struct; response: Struct };

let seed = 12345;
// A linear congruential generator. Math.imul keeps the product exact (a plain `*` overflows 2^53
// and zeroes the low bits), and draws come from the high bits, whose periods are long (bit k of
// such a generator repeats every 2^(k+1) steps).
const rand = (n: number) => {
  seed = (Math.imul(seed, 1103515245) + 12345) & 0x7fffffff;
  return (seed >>> 15) % n;
};

function randomPrimitive(type: string): unknown {
  switch (type) {
    case 'bool': return rand(2) === 1;
    case 'int8': return rand(256) - 128;
    case 'int16': return rand(65536) - 32768;
    case 'int32': return (rand(0x7fffffff) - 0x3fffffff) | 0;
    case 'uint16': return rand(65536);
    case 'uint32': return rand(0x7fffffff) * 2;
    case 'int64': return (rand(0x7fffffff) - 0x3fffffff) * 4096 + rand(4096);
    case 'float64': return rand(1000000) / 7;
    case 'string': return ['', 'a', 'topic-ü', 'x'.repeat(rand(300))][rand(4)];
    case 'bytes':
    case 'records': return randomBytes(rand(64));
    case 'uuid': return randomBytes(16).toString('base64url');
  }
  throw new Error(`no random ${type}`);
}

function defaultOf(f: Field, v: number): unknown {
  if (f.type === 'struct') return f.nullable ? (f.default === undefined ? null : f.default) : randomStruct(f.struct!, v, true);
  const d = defaultValue(f);
  return Buffer.isBuffer(d) ? Buffer.alloc(0) : d;
}

export function randomStruct(s: Struct, v: number, defaultsOnly = false): Record<string, unknown> {
  const m: Record<string, unknown> = {};
  for (const f of s.fields) {
    if (defaultsOnly || !inRange(v, f.versions) || (f.tag !== null && rand(3) === 0)) {
      m[f.name] = defaultOf(f, v);
      continue;
    }
    if (inRange(v, f.nullable) && rand(4) === 0) {
      m[f.name] = null;
      continue;
    }
    if (f.type === 'array') {
      const n = rand(4);
      m[f.name] = Array.from({ length: n }, () => (f.elem === 'struct' ? randomStruct(f.struct!, v) : randomPrimitive(f.elem!)));
    } else if (f.type === 'struct') m[f.name] = randomStruct(f.struct!, v);
    else m[f.name] = randomPrimitive(f.type);
  }
  return m;
}

/** A message as plain JSON-able data (Buffers as hex), for comparing with t.same or JSON. */
export const plain = (x: unknown): unknown => {
  if (Buffer.isBuffer(x)) return `0x${x.toString('hex')}`;
  if (Array.isArray(x)) return x.map(plain);
  if (x && typeof x === 'object') return Object.fromEntries(Object.entries(x).map(([k, y]) => [k, plain(y)]));
  return x;
};
