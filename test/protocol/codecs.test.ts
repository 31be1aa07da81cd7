// Every API × version round-trips through the generated codecs: random message → bytes →
// message, and the bytes re-encode identically.
import t from 'tap';
import { randomBytes } from 'node:crypto';
// @ts-expect-error -- plain ESM module without types
import { loadSpecs, defaultValue, inRange } from '../../protocol/dsl.mjs';
import { API_SPECS } from '../../src/protocol/messages/index.js';
import { Reader, Writer } from '../../src/protocol/wire.js';

type Field = {
  name: string; type: string; elem?: string; struct?: Struct; versions: [number, number];
  nullable: [number, number] | null; tag: number | null; default?: unknown;
};
type Struct = { name: string; fields: Field[] };
type Spec = { key: number; name: string; versions: [number, number]; flexible: number | null; request: Struct; response: Struct };

let seed = 12345;
const rand = (n: number) => {
  seed = (seed * 1103515245 + 12345) & 0x7fffffff;
  return seed % n;
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

function randomStruct(s: Struct, v: number, defaultsOnly = false): Record<string, unknown> {
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

const plain = (x: unknown): unknown => {
  if (Buffer.isBuffer(x)) return `0x${x.toString('hex')}`;
  if (Array.isArray(x)) return x.map(plain);
  if (x && typeof x === 'object') return Object.fromEntries(Object.entries(x).map(([k, y]) => [k, plain(y)]));
  return x;
};

const specs: Spec[] = loadSpecs();

t.test('the registry holds every spec', async t => {
  t.same(API_SPECS.map(a => a.key), specs.map(s => s.key));
});

for (const spec of specs) {
  const api = API_SPECS.find(a => a.key === spec.key)!;
  t.test(`${spec.name} (${spec.key})`, async t => {
    for (let v = spec.versions[0]; v <= spec.versions[1]; v++) {
      for (const [kind, struct] of [['request', spec.request], ['response', spec.response]] as const) {
        for (let i = 0; i < 8; i++) {
          const msg = randomStruct(struct, v);
          const w = new Writer(16);
          (kind === 'request' ? api.encodeRequest : api.encodeResponse)(w, v, msg);
          const bytes = w.toBuffer();
          const r = new Reader(bytes);
          const back = (kind === 'request' ? api.decodeRequest : api.decodeResponse)(r, v);
          if (r.pos !== bytes.length) t.fail(`${kind} v${v}: ${bytes.length - r.pos} bytes left over`);
          const same = JSON.stringify(plain(back)) === JSON.stringify(plain(msg));
          if (!same) {
            t.same(plain(back), plain(msg), `${kind} v${v} decodes to what was encoded`);
            return;
          }
          const w2 = new Writer(16);
          (kind === 'request' ? api.encodeRequest : api.encodeResponse)(w2, v, back);
          if (!w2.toBuffer().equals(bytes)) {
            t.fail(`${kind} v${v} re-encodes differently`);
            return;
          }
        }
      }
      t.pass(`v${v} round-trips`);
    }
  });
}
