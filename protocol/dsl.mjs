// Parser for Samsa's protocol spec files (protocol/apis/*.spec). The format is described in
// protocol/README.md. The parser returns plain data that the generator and the tests share.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const PRIMITIVES = new Set([
  'bool', 'int8', 'int16', 'int32', 'int64', 'uint16', 'uint32', 'float64', 'string', 'bytes', 'uuid', 'records',
]);
const NULLABLE_OK = new Set(['string', 'bytes', 'records']);
/** Highest version any API can have; "v3+" means 3 up to this. */
export const MAX_VERSION = 0x7fff;
export const APIS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'apis');

class SpecError extends Error {}

function parseRange(text, where) {
  const m = /^(\d+)(\+|-(\d+))?$/.exec(text);
  if (!m) throw new SpecError(`${where}: bad version range "${text}"`);
  const lo = Number(m[1]);
  const hi = m[2] === '+' ? MAX_VERSION : m[3] !== undefined ? Number(m[3]) : lo;
  if (hi < lo) throw new SpecError(`${where}: empty version range "${text}"`);
  return [lo, hi];
}

function within(inner, outer) {
  return inner[0] >= outer[0] && inner[1] <= outer[1];
}

/** Parses one field line's tokens after the name: type then modifiers. */
function parseField(tokens, where) {
  const [name, type, ...mods] = tokens;
  if (!name || !type) throw new SpecError(`${where}: a field needs a name and a type`);
  if (!/^[a-z][A-Za-z0-9]*$/.test(name)) throw new SpecError(`${where}: field name "${name}" must be camelCase`);
  const field = { name, versions: null, nullable: null, tag: null, default: undefined, line: where };
  let t = type;
  let optional = false;
  if (t.endsWith('?')) {
    optional = true;
    t = t.slice(0, -1);
  }
  if (t.startsWith('[]')) {
    field.type = 'array';
    const elem = t.slice(2);
    if (PRIMITIVES.has(elem)) {
      if (elem === 'records') throw new SpecError(`${where}: arrays of records are not a Kafka type`);
      field.elem = elem;
    } else if (/^[A-Z][A-Za-z0-9]*$/.test(elem)) {
      field.elem = 'struct';
      field.structName = elem;
    } else throw new SpecError(`${where}: unknown array element type "${elem}"`);
  } else if (PRIMITIVES.has(t)) {
    field.type = t;
  } else if (/^[A-Z][A-Za-z0-9]*$/.test(t)) {
    field.type = 'struct';
    field.structName = t;
  } else throw new SpecError(`${where}: unknown type "${t}"`);
  for (const mod of mods) {
    if (/^v\d/.test(mod)) field.versions = parseRange(mod.slice(1), where);
    else if (mod === 'null') optional = true;
    else if (mod.startsWith('null:v')) field.nullable = parseRange(mod.slice(6), where);
    else if (mod.startsWith('tag:')) field.tag = Number(mod.slice(4));
    else if (mod.startsWith('default:')) {
      try {
        field.default = JSON.parse(mod.slice(8));
      } catch {
        throw new SpecError(`${where}: default "${mod.slice(8)}" is not a JSON literal`);
      }
    } else throw new SpecError(`${where}: unknown modifier "${mod}"`);
  }
  if (optional && field.nullable) throw new SpecError(`${where}: use either ? / null or null:vN, not both`);
  if (optional) field.nullable = 'all';
  if (field.tag !== null && !(Number.isInteger(field.tag) && field.tag >= 0)) throw new SpecError(`${where}: bad tag`);
  return field;
}

/**
 * Parses a spec text. Returns { key, name, versions, flexible, request, response } where
 * request/response are structs { name, fields } and each field is
 * { name, type, elem?, structName?, struct?, versions, nullable, tag, default }.
 */
export function parseSpec(text, file = '<spec>') {
  const api = { key: null, name: null, versions: null, flexible: null, request: null, response: null, file };
  // stack of { indent, struct } for nesting
  let stack = null;
  let section = null;
  const lines = text.split('\n');
  lines.forEach((raw, i) => {
    const where = `${file}:${i + 1}`;
    const line = raw.replace(/#.*$/, '').trimEnd();
    if (!line.trim()) return;
    const indent = line.length - line.trimStart().length;
    const tokens = line.trim().split(/\s+/);
    if (indent === 0) {
      const [word, ...rest] = tokens;
      if (word === 'api') {
        api.key = Number(rest[0]);
        api.name = rest[1];
        if (!Number.isInteger(api.key) || !/^[A-Z][A-Za-z]+$/.test(api.name ?? '')) throw new SpecError(`${where}: api <key> <Name>`);
      } else if (word === 'versions') api.versions = parseRange(rest[0] ?? '', where);
      else if (word === 'flexible') api.flexible = rest[0] === 'none' ? null : parseRange(rest[0] ?? '', where)[0];
      else if (word === 'request' || word === 'response') {
        if (api[word]) throw new SpecError(`${where}: second ${word} section`);
        section = { name: `${api.name}${word === 'request' ? 'Request' : 'Response'}`, fields: [] };
        api[word] = section;
        stack = [{ indent: 0, struct: section }];
      } else throw new SpecError(`${where}: unknown directive "${word}"`);
      return;
    }
    if (!section) throw new SpecError(`${where}: field outside request/response`);
    while (stack.length > 1 && indent <= stack[stack.length - 1].indent) stack.pop();
    const top = stack[stack.length - 1];
    if (top.childIndent === undefined) top.childIndent = indent;
    else if (indent !== top.childIndent) throw new SpecError(`${where}: inconsistent indentation`);
    const field = parseField(tokens, where);
    top.struct.fields.push(field);
    const isStruct = field.type === 'struct' || field.elem === 'struct';
    if (isStruct) {
      field.struct = { name: `${section.name}${field.structName}`, fields: [], parentField: field };
      stack.push({ indent, struct: field.struct });
    }
  });
  if (api.key === null || !api.versions || !api.request || !api.response) {
    throw new SpecError(`${file}: needs api, versions, request and response`);
  }
  for (const s of [api.request, api.response]) resolve(s, api.versions, api, new Set());
  return api;
}

/** Fills in implied version ranges and checks the rules that the generator relies on. */
function resolve(struct, outer, api, names) {
  if (names.has(struct.name)) throw new SpecError(`${api.file}: struct name ${struct.name} used twice`);
  names.add(struct.name);
  const seen = new Set();
  const tags = new Set();
  for (const f of struct.fields) {
    const where = f.line;
    if (seen.has(f.name)) throw new SpecError(`${where}: field ${f.name} repeated`);
    seen.add(f.name);
    if (!f.versions) f.versions = outer.slice();
    if (f.versions[1] === MAX_VERSION) f.versions[1] = outer[1];
    // "v5+" in a range ending at 3 clamps to the empty [5, 3]: outside too
    if (f.versions[0] > f.versions[1] || !within(f.versions, outer)) throw new SpecError(`${where}: versions ${f.versions} outside ${outer}`);
    if (f.nullable === 'all') f.nullable = f.versions.slice();
    if (f.nullable) {
      if (f.nullable[1] === MAX_VERSION) f.nullable[1] = f.versions[1];
      if (f.nullable[0] > f.nullable[1]) throw new SpecError(`${where}: nullable versions outside field versions`);
      const kind = f.type === 'array' ? 'array' : f.type;
      if (!(NULLABLE_OK.has(kind) || kind === 'array' || kind === 'struct')) throw new SpecError(`${where}: ${f.type} cannot be null`);
      if (!within(f.nullable, f.versions)) throw new SpecError(`${where}: nullable versions outside field versions`);
    }
    if (f.tag !== null) {
      if (api.flexible === null || f.versions[0] < api.flexible) throw new SpecError(`${where}: tagged field outside flexible versions`);
      if (tags.has(f.tag)) throw new SpecError(`${where}: tag ${f.tag} repeated`);
      tags.add(f.tag);
    }
    if (f.struct) {
      if (f.struct.fields.length === 0) throw new SpecError(`${where}: struct ${f.structName} has no fields`);
      resolve(f.struct, f.versions, api, names);
    } else if (f.type === 'struct' || f.elem === 'struct') throw new SpecError(`${where}: missing struct body`);
    if (f.default !== undefined) checkDefault(f, where);
  }
}

function checkDefault(f, where) {
  const d = f.default;
  if (d === null) {
    if (!f.nullable) throw new SpecError(`${where}: default null on a non-nullable field`);
    return;
  }
  const numeric = ['int8', 'int16', 'int32', 'int64', 'uint16', 'uint32', 'float64'];
  const ok = numeric.includes(f.type) ? typeof d === 'number'
    : f.type === 'bool' ? typeof d === 'boolean'
    : f.type === 'string' ? typeof d === 'string'
    : false;
  if (!ok) throw new SpecError(`${where}: default ${JSON.stringify(d)} does not fit ${f.type}`);
}

/** Reads and parses every spec under protocol/apis, sorted by API key. */
export function loadSpecs(dir = APIS_DIR) {
  return fs.readdirSync(dir)
    .filter(f => f.endsWith('.spec'))
    .map(f => parseSpec(fs.readFileSync(path.join(dir, f), 'utf8'), path.join('protocol/apis', f)))
    .sort((a, b) => a.key - b.key);
}

/** The value a field takes when a version does not carry it (structs: undefined, built by the generator). */
export function defaultValue(f) {
  if (f.default !== undefined) return f.default;
  if (f.nullable) return null;
  if (f.type === 'struct') return undefined;
  switch (f.type) {
    case 'bool': return false;
    case 'string': return '';
    case 'uuid': return 'AAAAAAAAAAAAAAAAAAAAAA';
    case 'bytes': return Buffer.alloc(0);
    case 'records': return null;
    case 'array': return [];
    default: return 0;
  }
}

export const inRange = (v, range) => range !== null && v >= range[0] && v <= range[1];
