// The generated codecs match their specs (src/protocol/messages is never stale), the spec parser
// (protocol/dsl.mjs) refuses malformed specs with a clear message, and spec files are named
// after their API key and name.
import t from 'tap';
import fs from 'node:fs';
// @ts-expect-error -- plain ESM module without types
import { staleFiles } from '../../protocol/generate.mjs';
// @ts-expect-error -- plain ESM module without types
import { APIS_DIR, loadSpecs, parseSpec } from '../../protocol/dsl.mjs';

interface ParsedSpec {
  key: number;
  name: string;
  versions: [number, number];
  flexible: number | null;
  file: string;
  request: { fields: { name: string; versions: [number, number]; nullable: [number, number] | null; tag: number | null }[] };
}

t.test('the generated codecs are up to date (run npm run gen)', async t => {
  t.same(staleFiles(), []);
});

t.test('spec files are named NN-kebab-name.spec after their API key and name', async t => {
  const files = fs.readdirSync(APIS_DIR).filter(f => f.endsWith('.spec'));
  t.ok(files.length >= 50, `${files.length} specs`);
  const kebab = (name: string) => name.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();
  for (const file of files) {
    const api = parseSpec(fs.readFileSync(`${APIS_DIR}/${file}`, 'utf8'), file) as ParsedSpec;
    const m = /^(\d{2,})-([a-z0-9-]+)\.spec$/.exec(file);
    if (!m) {
      t.fail(`${file}: not NN-name.spec`);
      continue;
    }
    t.equal(Number(m[1]), api.key, `${file} holds API key ${api.key}`);
    t.equal(m[1], String(api.key).padStart(2, '0'), `${file}: key written with two digits or more`);
    t.equal(m[2], kebab(api.name), `${file} is named after ${api.name}`);
  }
  const specs = loadSpecs() as ParsedSpec[];
  const keys = specs.map(s => s.key);
  t.same(keys, [...keys].sort((a, b) => a - b), 'loadSpecs sorts by key');
  t.equal(new Set(keys).size, keys.length, 'each key once');
});

/** A spec text around the given request lines (API versions 0-3, flexible from 2). */
const spec = (request: string, header = 'api 99 Sample\nversions 0-3\nflexible 2+') =>
  `${header}\n\nrequest\n${request}\n\nresponse\n  errorCode int16\n`;

t.test('a well-formed sample parses, with implied ranges filled in', async t => {
  const api = parseSpec(
    spec(['  name string', '  topics []Topic v1+', '    id uuid', '    parts []int32', '  extra string? v2+ tag:0', '  maybe string v1+ null:v2+ default:null'].join('\n')),
    'sample.spec',
  ) as ParsedSpec;
  t.equal(api.key, 99);
  t.equal(api.name, 'Sample');
  t.same(api.versions, [0, 3]);
  t.equal(api.flexible, 2);
  const f = Object.fromEntries(api.request.fields.map(x => [x.name, x]));
  t.same(f.name!.versions, [0, 3]);
  t.same(f.topics!.versions, [1, 3], '"v1+" ends at the API\'s last version');
  t.same(f.extra!.nullable, [2, 3]);
  t.equal(f.extra!.tag, 0);
  t.same(f.maybe!.nullable, [2, 3]);
});

t.test('malformed specs are refused with the file, line and problem', async t => {
  const bad: [string, string, RegExp][] = [
    ['unknown type', spec('  a int128'), /^bad\.spec:6: unknown type "int128"$/],
    ['unknown array element', spec('  a []int128'), /^bad\.spec:6: unknown array element type "int128"$/],
    ['array of records', spec('  a []records'), /arrays of records/],
    ['tag outside flexible versions', spec('  a int32 tag:0'), /^bad\.spec:6: tagged field outside flexible versions$/],
    ['tag in a non-flexible API', spec('  a int32 tag:0', 'api 99 Sample\nversions 0-3\nflexible none'), /tagged field outside flexible versions/],
    ['duplicate tag', spec('  a int32 v2+ tag:1\n  b int32 v2+ tag:1'), /^bad\.spec:7: tag 1 repeated$/],
    ['negative tag', spec('  a int32 v2+ tag:-1'), /bad tag/],
    ['nullable primitive int', spec('  a int32?'), /^bad\.spec:6: int32 cannot be null$/],
    ['nullable uuid by modifier', spec('  a uuid null'), /uuid cannot be null/],
    ['nullable bool in some versions', spec('  a bool null:v1+'), /bool cannot be null/],
    ['inconsistent indentation', spec('  a int32\n   b int32'), /^bad\.spec:7: inconsistent indentation$/],
    ['child under a non-struct', spec('  a int32\n    b int32'), /inconsistent indentation/],
    ['struct without fields', spec('  a []Thing\n  b int32'), /struct Thing has no fields/],
    ['versions past the API range', spec('  a int32 v2-5'), /^bad\.spec:6: versions 2,5 outside 0,3$/],
    ['open range starting past the API', spec('  a int32 v5+'), /^bad\.spec:6: versions 5,3 outside 0,3$/],
    ['single version past the API', spec('  a int32 v4'), /versions 4,4 outside 0,3/],
    ['child outside its parent\'s versions', spec('  a []Thing v2+\n    b int32 v1+'), /^bad\.spec:7: versions 1,3 outside 2,3$/],
    ['nullable outside field versions', spec('  a string v2+ null:v1+'), /nullable versions outside field versions/],
    ['nullable range past the API', spec('  a string v1+ null:v5+'), /nullable versions outside field versions/],
    ['empty range', spec('  a int32 v3-1'), /empty version range "3-1"/],
    ['malformed range', spec('  a int32 vx'), /unknown modifier "vx"/],
    ['both ? and null:', spec('  a string? null:v1+'), /either \? \/ null or null:vN, not both/],
    ['default of the wrong type (string for int)', spec('  a int32 default:"x"'), /^bad\.spec:6: default "x" does not fit int32$/],
    ['default of the wrong type (number for bool)', spec('  a bool default:1'), /default 1 does not fit bool/],
    ['default of the wrong type (number for string)', spec('  a string default:5'), /default 5 does not fit string/],
    ['default null on a non-nullable field', spec('  a string default:null'), /default null on a non-nullable field/],
    ['default that is not JSON', spec('  a int32 default:abc'), /default "abc" is not a JSON literal/],
    ['unknown modifier', spec('  a int32 sometimes'), /unknown modifier "sometimes"/],
    ['field name not camelCase', spec('  A_b int32'), /field name "A_b" must be camelCase/],
    ['field without a type', spec('  a'), /a field needs a name and a type/],
    ['repeated field', spec('  a int32\n  a int16'), /field a repeated/],
    ['struct name used twice', spec('  a Thing\n    x int32\n  b Thing\n    y int32'), /struct name SampleRequestThing used twice/],
    ['unknown directive', 'api 99 Sample\nversions 0-3\nflexible none\nwhatever\n', /unknown directive "whatever"/],
    ['field outside a section', 'api 99 Sample\nversions 0-3\n  a int32\n', /field outside request\/response/],
    ['second request section', spec('  a int32') + 'request\n  b int32\n', /second request section/],
    ['missing response', 'api 99 Sample\nversions 0-3\nflexible none\nrequest\n  a int32\n', /needs api, versions, request and response/],
    ['bad api line', spec('  a int32', 'api x Sample\nversions 0-3\nflexible none'), /api <key> <Name>/],
    ['lower-case api name', spec('  a int32', 'api 1 sample\nversions 0-3\nflexible none'), /api <key> <Name>/],
  ];
  for (const [what, text, message] of bad) {
    try {
      parseSpec(text, 'bad.spec');
      t.fail(`${what}: accepted`);
    } catch (err) {
      t.match((err as Error).message, message, what);
    }
  }
});
