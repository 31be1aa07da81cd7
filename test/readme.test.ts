// README.md is the manual: its API table and its config table must stay true of the code.
import t from 'tap';
import fs from 'node:fs';
import { API_SPECS } from '../src/protocol/messages/index.js';
import { HANDLERS } from '../src/broker/handlers/index.js';
import { BROKER_CONFIGS } from '../src/cluster/configs.js';

const readme = fs.readFileSync(new URL('../README.md', import.meta.url), 'utf8');

t.test('the supported-API table lists every API with its versions and whether it is built', async t => {
  const rows = [...readme.matchAll(/^\| (\d+) \| (\w+) \| (\d+)–(\d+) \| (built|not yet)\b/gm)].map(m => ({
    key: Number(m[1]),
    name: m[2],
    versions: [Number(m[3]), Number(m[4])],
    built: m[5] === 'built',
  }));
  const code = API_SPECS.map(s => ({ key: s.key, name: s.name, versions: [s.minVersion, s.maxVersion], built: Boolean(HANDLERS.get(s.key)?.handle) }));
  t.same(rows, code);
});

t.test('every broker config the README names is one Samsa reads', async t => {
  const section = readme.slice(readme.indexOf('## Configuration'), readme.indexOf('## Supported APIs'));
  const names = [...section.matchAll(/^\| `([a-z.]+)` \|/gm)].map(m => m[1]);
  t.ok(names.length >= 10, `${names.length} configs in the table`);
  const known = new Set(BROKER_CONFIGS.map(c => c.name));
  for (const name of names) t.ok(known.has(name!), name);
  for (const name of names) {
    const row = section.split('\n').find(l => l.startsWith(`| \`${name}\` |`))!;
    const documented = row.split('|')[2]!.trim();
    const def = BROKER_CONFIGS.find(c => c.name === name)!.default;
    const expected = def === null ? 'unset' : def === '' ? 'empty' : def === '9223372036854775807' ? 'Long.MAX' : def;
    t.equal(documented.replace(/`/g, ''), expected, `${name} default`);
  }
});
