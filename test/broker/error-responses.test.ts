// Every API's errorResponse, at every version of its spec: built from random requests, it encodes
// and decodes back unchanged, carries the error code at its error sites, and answers as many
// items as the request where Kafka mirrors them. And every API has a handler module.
/* eslint-disable @typescript-eslint/no-explicit-any -- messages built from the specs at run time */
import t from 'tap';
// @ts-expect-error -- plain ESM module without types
import { loadSpecs, inRange } from '../../protocol/dsl.mjs';
import { API_SPECS } from '../../src/protocol/messages/index.js';
import { Reader, Writer } from '../../src/protocol/wire.js';
import { HANDLERS } from '../../src/broker/handlers/index.js';
import { plain, randomStruct, type Spec, type Struct } from '../helpers/random-messages.js';

const INVALID_REQUEST = 42;
const REQUESTS_PER_VERSION = 8;

type Msg = Record<string, any>;

/**
 * The main list of each API's error response: how many items Kafka answers for a request, and
 * how many the response holds. 'top-level' marks APIs whose error response answers with top-level
 * fields only (their lists, if any, are left empty).
 */
type MainList = { request(req: Msg, v: number): number; response(resp: Msg, v: number): number } | 'top-level';

const len = (a: unknown[] | null | undefined) => a?.length ?? 0;

const MAIN_LISTS: Record<number, MainList> = {
  0: { request: q => q.topicData.length, response: r => r.responses.length },
  // From v13 Kafka answers a failed Fetch with the top-level error only.
  1: { request: (q, v) => (v < 13 ? q.topics.length : 0), response: r => r.responses.length },
  2: { request: q => q.topics.length, response: r => r.topics.length },
  3: { request: q => len(q.topics), response: r => r.topics.length },
  8: { request: q => q.topics.length, response: r => r.topics.length },
  // v1: per partition; v2-7: top-level error and no topics; v8+: per group.
  9: {
    request: (q, v) => (v >= 8 ? q.groups.length : v < 2 ? len(q.topics) : 0),
    response: (r, v) => (v >= 8 ? r.groups.length : r.topics.length),
  },
  10: { request: (q, v) => (v >= 4 ? q.coordinatorKeys.length : 0), response: r => r.coordinators.length },
  11: 'top-level',
  12: 'top-level',
  13: 'top-level',
  14: 'top-level',
  15: { request: q => q.groups.length, response: r => r.groups.length },
  16: 'top-level',
  17: 'top-level',
  18: 'top-level',
  19: { request: q => q.topics.length, response: r => r.topics.length },
  20: { request: (q, v) => (v >= 6 ? q.topics.length : q.topicNames.length), response: r => r.responses.length },
  21: { request: q => q.topics.length, response: r => r.topics.length },
  22: 'top-level',
  23: { request: q => q.topics.length, response: r => r.topics.length },
  // v4+ (batched) answers with the top-level error only.
  24: {
    request: (q, v) => (v < 4 ? q.v3AndBelowTopics.length : 0),
    response: r => r.resultsByTopicV3AndBelow.length + r.resultsByTransaction.length,
  },
  25: 'top-level',
  26: 'top-level',
  27: { request: q => q.markers.length, response: r => r.markers.length },
  28: { request: q => q.topics.length, response: r => r.topics.length },
  29: 'top-level',
  30: { request: q => q.creations.length, response: r => r.results.length },
  31: { request: q => q.filters.length, response: r => r.filterResults.length },
  32: { request: q => q.resources.length, response: r => r.results.length },
  33: { request: q => q.resources.length, response: r => r.responses.length },
  // One result per topic entry of every directory.
  34: { request: q => q.dirs.reduce((n: number, d: Msg) => n + d.topics.length, 0), response: r => r.results.length },
  35: 'top-level',
  36: 'top-level',
  37: { request: q => q.topics.length, response: r => r.results.length },
  42: { request: q => q.groupsNames.length, response: r => r.results.length },
  43: { request: q => len(q.topicPartitions), response: r => r.replicaElectionResults.length },
  44: { request: q => q.resources.length, response: r => r.responses.length },
  45: { request: q => q.topics.length, response: r => r.responses.length },
  46: { request: q => len(q.topics), response: r => r.topics.length },
  47: 'top-level',
  48: 'top-level',
  49: { request: q => q.entries.length, response: r => r.entries.length },
  50: { request: q => len(q.users), response: r => r.results.length },
  // One result per distinct user name, deletions and upsertions together.
  51: {
    request: q => new Set([...q.deletions, ...q.upsertions].map((u: Msg) => u.name)).size,
    response: r => r.results.length,
  },
  57: 'top-level',
  60: 'top-level',
  61: { request: q => q.topics.length, response: r => r.topics.length },
  65: { request: q => q.transactionalIds.length, response: r => r.transactionStates.length },
  66: 'top-level',
  68: 'top-level',
  69: { request: q => q.groupIds.length, response: r => r.groups.length },
  71: 'top-level',
  72: 'top-level',
  74: 'top-level',
  75: { request: q => q.topics.length, response: r => r.topics.length },
};

/**
 * Where Kafka's error response has no error site at all, whatever the request.
 * DescribeLogDirs below v3: the response has no top-level error code, and Kafka's error response
 * lists no results (the per-directory error codes), so the failure shows only as an empty answer.
 */
const NO_ERROR_SITE = (key: number, v: number) => key === 35 && v < 3;

/**
 * Values of every error code field in a message (AddPartitionsToTxn calls its partitionErrorCode).
 * CreateTopics' topicConfigErrorCode is not one: it reports the config lookup, and Kafka leaves it 0.
 */
function errorSites(x: unknown, out: number[] = []): number[] {
  if (Array.isArray(x)) for (const y of x) errorSites(y, out);
  else if (x && typeof x === 'object' && !Buffer.isBuffer(x)) {
    for (const [k, y] of Object.entries(x)) {
      if ((k === 'errorCode' || k === 'partitionErrorCode') && typeof y === 'number') out.push(y);
      else errorSites(y, out);
    }
  }
  return out;
}

/** A message reduced to the fields version `v` carries (what survives encoding), as plain data. */
function atVersion(s: Struct, v: number, m: Msg | null): unknown {
  if (m === null) return null;
  const out: Record<string, unknown> = {};
  for (const f of s.fields) {
    if (!inRange(v, f.versions)) continue;
    const x = m[f.name];
    if (f.type === 'struct') out[f.name] = atVersion(f.struct!, v, x);
    else if (f.type === 'array' && f.elem === 'struct') out[f.name] = x === null ? null : x.map((y: Msg) => atVersion(f.struct!, v, y));
    else out[f.name] = plain(x);
  }
  return out;
}

const specs: Spec[] = loadSpecs();

t.test('every API has a handler module', async t => {
  t.same([...HANDLERS.keys()].sort((a, b) => a - b), API_SPECS.map(a => a.key).sort((a, b) => a - b));
  for (const api of API_SPECS) {
    const handler = HANDLERS.get(api.key);
    t.equal(handler?.apiKey, api.key, `${api.name} (${api.key}) handler says its key`);
    t.type(handler?.errorResponse, 'function', `${api.name} has errorResponse`);
  }
});

t.test('the main-list table covers every API', async t => {
  for (const spec of specs) t.ok(MAIN_LISTS[spec.key], `${spec.name} (${spec.key}) is in the table`);
});

for (const spec of specs) {
  const api = API_SPECS.find(a => a.key === spec.key)!;
  const handler = HANDLERS.get(spec.key);
  const mainList = MAIN_LISTS[spec.key];
  if (!handler || !mainList) continue; // reported by the tests above

  t.test(`${spec.name} (${spec.key})`, async t => {
    for (let v = spec.versions[0]; v <= spec.versions[1]; v++) {
      let carried = false;
      for (let i = 0; i < REQUESTS_PER_VERSION; i++) {
        // The request as dispatch hands it over: decoded from bytes.
        const wq = new Writer(16);
        api.encodeRequest(wq, v, randomStruct(spec.request, v));
        const req = api.decodeRequest(new Reader(wq.toBuffer()), v) as Msg;

        const resp = handler.errorResponse(req, v, INVALID_REQUEST, 'boom') as Msg;
        const w = new Writer(16);
        try {
          api.encodeResponse(w, v, resp);
        } catch (err) {
          t.fail(`v${v}: the error response does not encode: ${(err as Error).message}`);
          return;
        }
        const bytes = w.toBuffer();
        const r = new Reader(bytes);
        const back = api.decodeResponse(r, v) as Msg;

        // (1) It round-trips.
        if (r.pos !== bytes.length) {
          t.fail(`v${v}: ${bytes.length - r.pos} bytes left over`);
          return;
        }
        const sent = atVersion(spec.response, v, resp);
        const received = atVersion(spec.response, v, back);
        if (JSON.stringify(received) !== JSON.stringify(sent)) {
          t.same(received, sent, `v${v}: the error response decodes to what was encoded`);
          return;
        }
        const w2 = new Writer(16);
        api.encodeResponse(w2, v, back);
        if (!w2.toBuffer().equals(bytes)) {
          t.fail(`v${v}: the error response re-encodes differently`);
          return;
        }
        if ('throttleTimeMs' in back && back.throttleTimeMs !== 0) {
          t.fail(`v${v}: throttleTimeMs is ${back.throttleTimeMs}`);
          return;
        }

        // (2) Every error site Kafka fills carries the code: all error codes found are the one
        // given, and (below) at least one appears, unless Kafka's response has none.
        const sites = errorSites(received);
        if (sites.some(code => code !== INVALID_REQUEST)) {
          t.same(sites, sites.map(() => INVALID_REQUEST), `v${v}: every error site carries ${INVALID_REQUEST}`);
          return;
        }
        if (sites.length > 0) carried = true;
        else if (mainList === 'top-level' && !NO_ERROR_SITE(spec.key, v)) {
          t.fail(`v${v}: no top-level error code in the response`);
          return;
        }

        // (3) Per-item answers mirror the request's items.
        if (mainList !== 'top-level') {
          const expected = mainList.request(req, v);
          const actual = mainList.response(back, v);
          if (actual !== expected) {
            t.equal(actual, expected, `v${v}: as many items answered as Kafka answers for the request`);
            return;
          }
        }
      }
      // Per-item APIs can answer an empty request with no error site; across the random requests
      // of a version, some carry items (or a top-level code) and so the code.
      if (!carried && !NO_ERROR_SITE(spec.key, v)) {
        t.fail(`v${v}: no error site carried ${INVALID_REQUEST} in ${REQUESTS_PER_VERSION} requests`);
        return;
      }
      t.pass(`v${v}`);
    }
  });
}

t.test('ApiVersions answers UNSUPPORTED_VERSION with its own versions (KIP-511)', async t => {
  const UNSUPPORTED_VERSION = 35;
  const spec = API_SPECS.find(a => a.key === 18)!;
  const resp = HANDLERS.get(18)!.errorResponse(spec.defaultRequest(), 0, UNSUPPORTED_VERSION);
  t.equal(resp.errorCode, UNSUPPORTED_VERSION);
  t.same(resp.apiKeys, [{ apiKey: 18, minVersion: spec.minVersion, maxVersion: spec.maxVersion }]);
  t.same(HANDLERS.get(18)!.errorResponse(spec.defaultRequest(), 0, INVALID_REQUEST).apiKeys, []);
});

t.test('AlterUserScramCredentials answers each distinct user once, sorted', async t => {
  const upsertion = (name: string) => ({ name, mechanism: 1, iterations: 4096, salt: Buffer.alloc(0), saltedPassword: Buffer.alloc(0) });
  const req = {
    deletions: [{ name: 'carol', mechanism: 1 }, { name: 'alice', mechanism: 1 }],
    upsertions: [upsertion('bob'), upsertion('alice')],
  };
  const resp = HANDLERS.get(51)!.errorResponse(req, 0, INVALID_REQUEST, 'boom');
  t.same(resp.results.map((r: Msg) => r.user), ['alice', 'bob', 'carol']);
  t.same(resp.results.map((r: Msg) => r.errorMessage), ['boom', 'boom', 'boom']);
});
