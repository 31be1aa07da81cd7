// Every API × version round-trips through the generated codecs: random message → bytes →
// message, and the bytes re-encode identically.
import t from 'tap';
// @ts-expect-error -- plain ESM module without types
import { loadSpecs } from '../../protocol/dsl.mjs';
import { API_SPECS } from '../../src/protocol/messages/index.js';
import { Reader, Writer } from '../../src/protocol/wire.js';
import { plain, randomStruct, type Spec } from '../helpers/random-messages.js';

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
