// Bad input never crashes the broker, nor leaks. For every API key and every version Samsa decodes
// (API_SPECS, flexible versions with tagged fields set), random valid requests are built from the
// protocol specs; then frames go to two in-process brokers, one without and one with the ACL
// authorizer, in these modes:
//   PLAINTEXT                  frames straight after connect;
//   SASL before authentication frames straight after connect (or after ApiVersions) on the
//                              SASL_PLAINTEXT listener: only ApiVersions and SaslHandshake may pass;
//   SASL handshake             after a valid SaslHandshake (v0 or v1) for PLAIN, SCRAM-SHA-256 or
//                              OAUTHBEARER (for SCRAM sometimes after a valid client-first too):
//                              mutated SaslAuthenticate tokens, bare v0 tokens, mutated handshakes,
//                              and requests of other APIs;
//   SASL authenticated         after PLAIN authentication (v0 or v1 handshake), every API;
// the frames valid ones, mutated ones (bit flips, byte overwrites, length fields set to extreme
// values, tagged fields unknown or garbled, a different version or API key in the header, a wrong
// size prefix), truncated ones, and random garbage, spread over connections that are replaced
// whenever the broker closes one. Coverage is counted where the broker decodes (its dispatch and
// the SASL authenticator, wrapped): every API key and version must reach its handler in each mode
// that can, every one must be refused before authentication but ApiVersions and SaslHandshake, and
// well-formed unknown tagged fields (header and body) must be skipped in every flexible version.
//
// After every batch the brokers must still answer on fresh connections (PLAINTEXT, and SASL after
// authenticating) and on connections opened before the fuzz. No handler may have thrown (a throw
// is a bug, logged at error level: each is reported with its mode, API, version, frame and stack),
// and the process must have seen no uncaught exception or rejection. At the end every connection
// is closed: the brokers' connection counts and queued request bytes return to 0, and the heap
// and Buffer memory return to what they were after the warm-up (see HEAP_TOLERANCE).
//
// Budget: SAMSA_FUZZ_SECONDS (default 3) of mutated frames, and at least MIN_BATCHES batches of
// each mode, after a warm-up pass of every valid frame in every mode; `npm run fuzz` runs 120 s.
// The run is seeded: SAMSA_FUZZ_SEED=<n> replays the same frames, in the same order, in each mode
// (the seed is printed, and a digest of each mode's first frames to compare). Which connection
// carries which frame depends on when the broker closes connections, and so, in the SASL handshake
// mode, which handshake a token follows (and SCRAM's server nonces, what a client-final proves).
import t, { type Test } from 'tap';
import { createHash, randomInt, type Hash } from 'node:crypto';
import { Writable } from 'node:stream';
import v8 from 'node:v8';
import vm from 'node:vm';
import pino from 'pino';
import type { Broker, Outcome } from '../src/broker/broker.js';
import type { ConnectionInfo } from '../src/broker/handler.js';
import type { ConnectionLimits } from '../src/network/limits.js';
import type { Listener } from '../src/network/listener.js';
import { SaslAuthenticator } from '../src/network/sasl-authenticator.js';
import { ANY_FILTER } from '../src/security/acls.js';
import { API_SPECS } from '../src/protocol/messages/index.js';
import type { RunningBroker } from '../src/index.js';
import { testBroker, testClient, waitFor } from './helpers/broker.js';
import { TestClient } from './helpers/client.js';
import {
  API_VERSIONS,
  bareToken,
  firstToken,
  FuzzConnection,
  frameOf,
  generator,
  hasTagged,
  MECHANISMS,
  mutate,
  mutateToken,
  plainToken,
  SASL_AUTHENTICATE,
  SASL_HANDSHAKE,
  scramClientFinal,
  scramClientFirst,
  specsByKey,
  validFrames,
  withUnknownTags,
  type Mechanism,
  type Rng,
  type Seed,
} from './helpers/fuzz-frames.js';
import { batch, createTopic, fetchOne, produce, valuesOf } from './helpers/kafka.js';

const SECONDS = Number(process.env.SAMSA_FUZZ_SECONDS ?? 3);
const SEED = process.env.SAMSA_FUZZ_SEED !== undefined ? Number(process.env.SAMSA_FUZZ_SEED) >>> 0 : randomInt(0x7fffffff);
/** Connections each mode keeps open at once. */
const CONNECTIONS = 8;
/** Frames sent in one mode before the brokers' health is checked and the next mode takes over. */
const BATCH = 400;
/** Batches of each mode the fuzz sends at least, however slow the machine: the volume the memory check relies on. */
const MIN_BATCHES = 3;

// The seed decides the valid frames and every frame of each mode, in order (a generator per mode);
// connection-level choices (which connection, split writes, handshakes) draw from their own, as
// their number depends on when the broker closes connections.
const rng = generator(SEED);
const connRng = generator(SEED ^ 0x5bd1e995);
const modeRng = (i: number) => generator((SEED + Math.imul(i + 1, 0x9e3779b9)) >>> 0);

// Anything that escapes the broker's error handling reaches these.
const escaped: unknown[] = [];
const onUncaught = (err: unknown) => escaped.push(err);
process.on('uncaughtException', onUncaught);
process.on('unhandledRejection', onUncaught);
t.teardown(() => {
  process.off('uncaughtException', onUncaught);
  process.off('unhandledRejection', onUncaught);
});

/**
 * A full garbage collection: global.gc when node runs with --expose-gc (tap passes node flags with
 * --node-arg, for every test file), else V8's gc exposed here, so that the file measures the same
 * under plain `tap` and `npm run fuzz`.
 */
function collector(): () => void {
  const exposed = (globalThis as { gc?: () => void }).gc;
  if (exposed !== undefined) return exposed;
  v8.setFlagsFromString('--expose-gc');
  return vm.runInNewContext('gc') as () => void;
}

const hex = (b: Buffer, max = 512): string => (b.length > max ? `${b.subarray(0, max).toString('hex')}… (${b.length} bytes)` : b.toString('hex'));
const tick = () => new Promise(r => setImmediate(r));

// --- what the brokers saw, by mode, API key and version ---------------------------------------

interface Tally {
  /** Frames written with this key and version in the header. */
  sent: number;
  /** Frames that reached dispatch or the SASL authenticator. */
  reached: number;
  /** Frames dispatch decoded and gave to the API's handler. */
  handled: number;
}

/** A bug: a throw that reached the broker's error handling, with the frames that caused it. */
interface Finding {
  modes: Set<string>;
  msg: string;
  api: string;
  version: number | null;
  /** Up to 3 of the frames (without their size prefix), as hex. */
  frames: string[];
  count: number;
  error: string;
  stack: string;
}

const coverage = new Map<string, Map<string, Tally>>();
const tally = (mode: string, key: string): Tally => {
  let m = coverage.get(mode);
  if (m === undefined) coverage.set(mode, (m = new Map()));
  let c = m.get(key);
  if (c === undefined) m.set(key, (c = { sent: 0, reached: 0, handled: 0 }));
  return c;
};
const KNOWN = new Set(API_SPECS.flatMap(a => Array.from({ length: a.maxVersion - a.minVersion + 1 }, (_, i) => `${a.key}:${a.minVersion + i}`)));
/** The API key and version in a frame's header ("key:version"), or the bucket of those no API has (so that the tallies stay small). */
const keyOf = (frame: Buffer, offset = 0): string => {
  if (frame.length < offset + 4) return 'short';
  const k = `${frame.readInt16BE(offset)}:${frame.readInt16BE(offset + 2)}`;
  return KNOWN.has(k) ? k : 'unknown key or version';
};

/** Which mode a connection belongs to, by its client-side port (as the broker's logs name it). */
const modeOfPort = new Map<number, string>();
const modeOf = (port: number): string => modeOfPort.get(port) ?? 'check';

/** Findings by message, API, version and where the error was thrown. */
const findings = new Map<string, Finding>();
const errors: Record<string, unknown>[] = [];
/** The frame being handled synchronously right now, and those whose handler has not finished. */
let current: { mode: string; frame: Buffer } | null = null;
const pending = new Map<string, { mode: string; frame: Buffer }>();

function addFinding(mode: string, msg: string, frame: Buffer | null, err: unknown, api?: string, version?: number): void {
  const e = err as { message?: string; stack?: string } | undefined;
  const key = frame !== null && frame.length >= 2 ? frame.readInt16BE(0) : null;
  const stack = String(e?.stack ?? '');
  const f: Finding = {
    modes: new Set(),
    msg,
    api: api ?? (key === null ? 'a frame of under 2 bytes' : `${API_SPECS.find(a => a.key === key)?.name ?? 'unknown API'} (key ${key})`),
    version: version ?? (frame !== null && frame.length >= 4 ? frame.readInt16BE(2) : null),
    frames: [],
    count: 0,
    error: String(e?.message ?? err),
    stack,
  };
  const id = `${f.msg}|${f.api}|${f.version}|${stack.split('\n').find(l => l.includes('/src/')) ?? f.error}`;
  const known = findings.get(id) ?? f;
  findings.set(id, known);
  known.count++;
  if (mode !== 'check') known.modes.add(mode);
  const h = frame === null ? '(not known)' : hex(frame);
  if (known.frames.length < 3 && !known.frames.includes(h)) known.frames.push(h);
}

/** Wraps a broker's dispatch: counts what it decodes, and catches the frame of any throw. */
function instrument(b: Broker): void {
  const dispatch = b.dispatch.bind(b);
  b.dispatch = (conn: ConnectionInfo, frame: Buffer, pieces?: readonly Buffer[] | null): Outcome | Promise<Outcome> => {
    const mode = modeOf(conn.remotePort);
    const c = tally(mode, keyOf(frame));
    if (!inAuthenticator) c.reached++;
    const outer = current;
    current = { mode, frame };
    let outcome: Outcome | Promise<Outcome>;
    try {
      outcome = dispatch(conn, frame, pieces ?? null);
    } catch (err) {
      addFinding(mode, 'dispatch threw (logged as "request dispatch failed")', frame, err);
      throw err;
    } finally {
      current = outer;
    }
    const corr = frame.length >= 8 ? frame.readInt32BE(4) : null;
    if (corr !== null && watched.has(corr)) watched.set(corr, outcome instanceof Promise || outcome.kind !== 'close' ? 'handled' : outcome.reason);
    if (!(outcome instanceof Promise)) {
      if (outcome.kind !== 'close') c.handled++;
      return outcome;
    }
    c.handled++;
    const id = `${conn.remotePort}:${conn.id}:${frame.readInt32BE(4)}`;
    pending.set(id, { mode, frame });
    return outcome.then(
      o => (pending.delete(id), o),
      err => {
        pending.delete(id);
        addFinding(mode, 'dispatch rejected (logged as "request dispatch failed")', frame, err);
        throw err;
      },
    );
  };
}

/** Frames followed one by one, by correlation id: 'handled', or why dispatch closed the connection (null until seen). */
const watched = new Map<number, string | null>();

/** While the SASL authenticator handles a frame (it dispatches ApiVersions itself). */
let inAuthenticator = false;

/** Wraps SaslAuthenticator.receive for this process: counts what reaches it, and catches the frame of any throw. */
function instrumentAuthenticator(t: Test): void {
  const receive = SaslAuthenticator.prototype.receive;
  SaslAuthenticator.prototype.receive = function (this: SaslAuthenticator, frame: Buffer): Outcome {
    // (private fields: what a renaming in src breaks here is only this tally)
    const self = this as unknown as { conn?: { remotePort: number }; rawTokens?: boolean; state?: string };
    const mode = modeOf(self.conn?.remotePort ?? -1);
    tally(mode, self.rawTokens && self.state === 'authenticate' ? 'bare token' : keyOf(frame)).reached++;
    const outer = current;
    current = { mode, frame };
    inAuthenticator = true;
    try {
      return receive.call(this, frame);
    } catch (err) {
      addFinding(mode, 'the SASL authenticator threw (logged as "request dispatch failed")', frame, err);
      throw err;
    } finally {
      inAuthenticator = false;
      current = outer;
    }
  };
  t.teardown(() => {
    SaslAuthenticator.prototype.receive = receive;
  });
}

/** The brokers' error-level logs: every one is a bug (a handler that threw, a response that would not encode). */
const logger = pino(
  { level: 'error' },
  new Writable({
    write(chunk, _enc, done) {
      const e = JSON.parse(String(chunk)) as Record<string, unknown>;
      errors.push(e);
      const msg = String(e.msg);
      if (msg !== 'request dispatch failed') {
        // dispatch and the authenticator record their own throws; a handler's is logged here
        const via = current ?? [...pending.values()].find(p => p.frame.length >= 8 && p.frame.readInt32BE(4) === e.correlationId) ?? null;
        addFinding(via?.mode ?? '?', msg, via?.frame ?? null, e.err, e.api as string | undefined, e.version as number | undefined);
      }
      done();
    },
  }),
);

// --- brokers and their internals ----------------------------------------------------------

const SASL_CONFIG = {
  listeners: 'PLAINTEXT://127.0.0.1:0,SASL_PLAINTEXT://127.0.0.1:0',
  'sasl.enabled.mechanisms': 'PLAIN,SCRAM-SHA-256,OAUTHBEARER',
  'listener.name.sasl_plaintext.plain.sasl.jaas.config': 'org.apache.kafka.common.security.plain.PlainLoginModule required user_alice="alice-secret";',
  'num.partitions': 2,
};
const AUTHORIZER_CONFIG = { 'authorizer.class.name': 'org.apache.kafka.metadata.authorizer.StandardAuthorizer', 'allow.everyone.if.no.acl.found': 'true' };

interface Target {
  name: string;
  broker: RunningBroker;
  plaintext: string;
  sasl: string;
  /** Connections opened before the fuzz, which must go on being answered. */
  bystanders: TestClient[];
}

/** The listeners and connection limits of a broker's node (private in src: reached through the control object). */
function internals(b: RunningBroker): { listeners: Listener[]; limits: ConnectionLimits } {
  const nodes = (b.control as unknown as { nodes?: { listeners?: Listener[] }[] }).nodes;
  const listeners = nodes?.[0]?.listeners;
  const limits = (listeners?.[0] as unknown as { opts?: { limits?: ConnectionLimits } } | undefined)?.opts?.limits;
  if (listeners === undefined || limits === undefined) throw new Error('the broker internals moved: BrokerNode.listeners, Listener.opts.limits');
  return { listeners, limits };
}

async function saslLogin(address: string): Promise<TestClient> {
  const c = await TestClient.connect(address);
  const hs = await c.call(SASL_HANDSHAKE, 1, { mechanism: 'PLAIN' });
  const auth = await c.call(SASL_AUTHENTICATE, 2, { authBytes: plainToken() });
  if (hs.errorCode !== 0 || auth.errorCode !== 0) throw new Error(`PLAIN login failed: ${hs.errorCode} ${auth.errorCode} ${auth.errorMessage}`);
  return c;
}

const apiVersions = (c: TestClient) => c.call(API_VERSIONS, 3, { clientSoftwareName: 'samsa-fuzz', clientSoftwareVersion: '1.0' });

// --- modes --------------------------------------------------------------------------------

interface Frame {
  kind: string;
  bytes: Buffer;
}

interface Mode {
  name: string;
  target: Target;
  address: string;
  /** Frames a connection takes before it is replaced (so a stalled one does not hold the run). */
  framesPerConnection: number;
  /** Readies a fresh connection (authentication, a handshake); resolves with what `next` needs, or a string saying why it failed. */
  preamble(c: FuzzConnection): Promise<unknown>;
  next(state: unknown): Frame;
  /** Frames sent by kind. */
  kinds: Map<string, number>;
  connections: number;
  /** A digest of the mode's first MIN_BATCHES batches of fuzz frames: the same for the same seed. */
  digest: Hash;
  digested: number;
  /** Preambles that failed, by why (counted: a Map of a few reasons, not a list as long as the fuzz). */
  preambleFailures: Map<string, number>;
}

interface Slot {
  conn: FuzzConnection;
  state: unknown;
}

const seeds: Seed[] = validFrames(rng);
const saslSeeds = seeds.filter(s => s.key === SASL_HANDSHAKE || s.key === API_VERSIONS || s.key === SASL_AUTHENTICATE);
const decode = <T>(frame: Buffer | null, key: number, version: number): T | null => (frame === null ? null : TestClient.decode<T>(frame, key, version));

/** PLAIN authentication on a fresh connection: v1 handshake and SaslAuthenticate (any version), or v0 and a bare token. */
async function authenticate(c: FuzzConnection): Promise<unknown> {
  if (connRng.int(4) === 0) {
    const hs = decode<{ errorCode: number }>(await c.exchange(frameOf(SASL_HANDSHAKE, 0, { mechanism: 'PLAIN' })), SASL_HANDSHAKE, 0);
    if (hs?.errorCode !== 0) return `v0 handshake: ${JSON.stringify(hs)}`;
    const answer = await c.exchange(bareToken(null, plainToken()));
    return answer?.length === 0 ? true : `bare PLAIN token: ${answer === null ? 'closed' : hex(answer)}`;
  }
  const hs = decode<{ errorCode: number }>(await c.exchange(frameOf(SASL_HANDSHAKE, 1, { mechanism: 'PLAIN' })), SASL_HANDSHAKE, 1);
  if (hs?.errorCode !== 0) return `v1 handshake: ${JSON.stringify(hs)}`;
  const v = connRng.int(3);
  const auth = decode<{ errorCode: number; errorMessage: string | null }>(await c.exchange(frameOf(SASL_AUTHENTICATE, v, { authBytes: plainToken() })), SASL_AUTHENTICATE, v);
  return auth?.errorCode === 0 ? true : `SaslAuthenticate v${v}: ${JSON.stringify(auth)}`;
}

/** State of a connection in the SASL handshake mode. */
interface Handshake {
  version: number;
  mechanism: Mechanism;
  /** The token the mutations start from: the mechanism's first, or SCRAM's client-final once the server answered the first. */
  base: (r: Rng) => Buffer;
}

async function handshake(c: FuzzConnection): Promise<Handshake | string> {
  if (connRng.int(3) === 0) {
    const v = connRng.int(5);
    if ((await c.exchange(frameOf(API_VERSIONS, v, { clientSoftwareName: 'fuzz', clientSoftwareVersion: '1' }))) === null) return 'ApiVersions: closed';
  }
  const version = connRng.int(2);
  const mechanism = connRng.pick(MECHANISMS);
  const hs = decode<{ errorCode: number }>(await c.exchange(frameOf(SASL_HANDSHAKE, version, { mechanism })), SASL_HANDSHAKE, version);
  if (hs?.errorCode !== 0) return `SaslHandshake v${version} ${mechanism}: ${JSON.stringify(hs)}`;
  let base = (r: Rng) => firstToken(r, mechanism);
  if (mechanism === 'SCRAM-SHA-256' && connRng.int(2) === 0) {
    // a valid client-first, so that the mutated tokens are client-finals the server checks
    const first = scramClientFirst(connRng.bytes(18).toString('base64'));
    let serverFirst: Buffer | null;
    if (version === 0) serverFirst = await c.exchange(bareToken(null, first));
    else {
      const v = connRng.int(3);
      const auth = decode<{ errorCode: number; authBytes: Buffer }>(await c.exchange(frameOf(SASL_AUTHENTICATE, v, { authBytes: first })), SASL_AUTHENTICATE, v);
      serverFirst = auth?.errorCode === 0 ? auth.authBytes : null;
    }
    if (serverFirst === null) return 'SCRAM client-first: refused';
    const final = scramClientFinal(first, serverFirst);
    base = () => final;
  }
  return { version, mechanism, base };
}

function handshakeFrame(h: Handshake, r: Rng): Frame {
  const token = mutateToken(r, h.base(r));
  const label = `${h.mechanism} token ${token.kind}`;
  if (h.version === 0) {
    switch (r.int(8)) {
      case 0:
        return { kind: 'v0: a Kafka request where a bare token belongs', bytes: r.pick(seeds).frame };
      case 1:
        return { kind: 'v0: mutated request', bytes: mutate(r, seeds).bytes };
      default:
        return { kind: `v0 bare ${label}`, bytes: bareToken(r, token.token) };
    }
  }
  const v = r.int(3);
  const auth = frameOf(SASL_AUTHENTICATE, v, { authBytes: token.token }, r.int(0x7fffffff));
  switch (r.int(10)) {
    case 0:
      return { kind: 'v1: mutated SaslAuthenticate frame', bytes: mutate(r, [{ key: SASL_AUTHENTICATE, version: v, flexible: v >= 2, headerTagsAt: v >= 2 ? 18 : -1, taggedFields: 0, frame: auth }]).bytes };
    case 1:
      return { kind: 'v1: mutated SaslHandshake or ApiVersions', bytes: mutate(r, saslSeeds).bytes };
    case 2:
      return { kind: 'v1: SaslHandshake again', bytes: frameOf(SASL_HANDSHAKE, r.int(2), { mechanism: mutateToken(r, Buffer.from(r.pick(MECHANISMS))).token.subarray(0, 1000).toString('latin1') }) };
    case 3:
      return { kind: 'v1: another API during authentication', bytes: r.pick(seeds).frame };
    case 4:
      return { kind: 'v1: mutated request', bytes: mutate(r, seeds).bytes };
    default:
      return { kind: `v1 SaslAuthenticate ${label}`, bytes: auth };
  }
}

function modes(a: Target, b: Target): Mode[] {
  let made = 0;
  const mode = (name: string, target: Target, address: string, framesPerConnection: number, preamble: Mode['preamble'], next: (r: Rng) => Mode['next']): Mode => ({
    name,
    target,
    address,
    framesPerConnection,
    preamble,
    next: next(modeRng(made++)),
    kinds: new Map(),
    connections: 0,
    preambleFailures: new Map(),
    digest: createHash('sha256'),
    digested: 0,
  });
  const none = async () => true;
  const everything = (r: Rng) => (): Frame => mutate(r, seeds);
  return [
    mode('PLAINTEXT', a, a.plaintext, 64, none, everything),
    mode(
      'SASL before authentication',
      a,
      a.sasl,
      4,
      async c => {
        if (connRng.int(3) === 0) await c.exchange(frameOf(API_VERSIONS, connRng.int(5), { clientSoftwareName: 'fuzz', clientSoftwareVersion: '1' }));
        return true;
      },
      r => () => (r.int(3) === 0 ? mutate(r, saslSeeds) : mutate(r, seeds)),
    ),
    mode('SASL handshake', a, a.sasl, 4, handshake, r => state => handshakeFrame(state as Handshake, r)),
    mode('SASL authenticated', a, a.sasl, 64, authenticate, everything),
    mode('PLAINTEXT + authorizer', b, b.plaintext, 64, none, everything),
    mode('SASL authenticated + authorizer', b, b.sasl, 64, authenticate, everything),
  ];
}

// --- the fuzz -----------------------------------------------------------------------------

const open = new Set<FuzzConnection>();
let bytesSent = 0;
const pools = new Map<Mode, (Slot | undefined)[]>();

/** A connection of a mode's pool, replaced (and readied by the mode's preamble) when used up or closed. */
async function slot(mode: Mode, i: number, fresh = false): Promise<Slot | null> {
  let pool = pools.get(mode);
  if (pool === undefined) pools.set(mode, (pool = []));
  const s = pool[i];
  if (!fresh && s !== undefined && s.conn.usable(mode.framesPerConnection)) return s;
  s?.conn.close();
  pool[i] = undefined;
  const conn = await FuzzConnection.open(mode.address, connRng);
  const port = conn.localPort;
  modeOfPort.set(port, mode.name);
  open.add(conn);
  void conn.whenClosed.then(() => {
    open.delete(conn);
    // (what the broker still handles of it after this counts as 'check')
    if (modeOfPort.get(port) === mode.name) modeOfPort.delete(port);
  });
  mode.connections++;
  let state: unknown;
  try {
    state = await mode.preamble(conn);
  } catch (err) {
    state = String(err);
  }
  if (typeof state === 'string') {
    mode.preambleFailures.set(state.slice(0, 120), (mode.preambleFailures.get(state.slice(0, 120)) ?? 0) + 1);
    conn.close();
    return null;
  }
  return (pool[i] = { conn, state });
}

function record(mode: Mode, f: Frame): void {
  mode.kinds.set(f.kind, (mode.kinds.get(f.kind) ?? 0) + 1);
  tally(mode.name, f.kind.startsWith('v0 bare') ? 'bare token' : keyOf(f.bytes, 4)).sent++;
  bytesSent += f.bytes.length;
}

/** Sends `count` frames of a mode over its pool. */
async function fuzz(mode: Mode, count: number): Promise<void> {
  for (let n = 0; n < count; n++) {
    const s = await slot(mode, connRng.int(CONNECTIONS));
    if (s === null) continue;
    const f = mode.next(s.state);
    s.conn.write(f.bytes);
    record(mode, f);
    if (mode.digested++ < MIN_BATCHES * BATCH) mode.digest.update(f.bytes);
    // let the broker work through what was sent
    if (n % 16 === 15) await tick();
  }
}

/**
 * Every valid frame, in order, over the mode's pool; then, for any key and version that did not
 * reach a handler (its connection closed or stalled behind a long poll first), its frames again,
 * each first on a fresh connection, until one does.
 */
async function validPass(t: Test, mode: Mode, expectHandled: (s: Seed) => boolean): Promise<void> {
  for (const [n, s] of seeds.entries()) {
    const c = await slot(mode, n % CONNECTIONS);
    if (c === null) continue;
    c.conn.write(s.frame);
    record(mode, { kind: 'valid (every API × version)', bytes: s.frame });
    if (n % 16 === 15) await tick();
  }
  const wanted = new Map<string, Seed[]>();
  for (const s of seeds) if (expectHandled(s)) wanted.set(`${s.key}:${s.version}`, [...(wanted.get(`${s.key}:${s.version}`) ?? []), s]);
  const handled = (k: string) => (coverage.get(mode.name)?.get(k)?.handled ?? 0) > 0;
  // until every one was handled, or the broker stops getting through what was sent
  const total = () => [...(coverage.get(mode.name)?.values() ?? [])].reduce((n, c) => n + c.reached, 0);
  for (let i = 0, before = -1; i < 40 && before !== total() && ![...wanted.keys()].every(handled); i++) {
    before = total();
    await new Promise(r => setTimeout(r, 50));
  }
  for (const [k, group] of wanted) {
    for (const s of group) {
      if (handled(k)) break;
      const c = await slot(mode, CONNECTIONS, true); // a slot of its own, fresh
      if (c === null) continue;
      c.conn.write(s.frame);
      record(mode, { kind: 'valid (every API × version)', bytes: s.frame });
      await waitFor(() => handled(k) || c.conn.closed, 5000).catch(() => {});
      c.conn.close();
    }
  }
  const missing = [...wanted.keys()].filter(k => !handled(k));
  t.same(missing, [], `${mode.name}: every API key and version reached its handler (${wanted.size} key × version)`);
}

/**
 * SASL before authentication: each API key and version as the first frame of a fresh connection.
 * ApiVersions and SaslHandshake are answered; anything else closes the connection unanswered.
 */
async function firstFramePass(t: Test, mode: Mode): Promise<void> {
  const firsts = new Map<string, Seed>();
  for (const s of seeds) if (!firsts.has(`${s.key}:${s.version}`)) firsts.set(`${s.key}:${s.version}`, s);
  const wrong: string[] = [];
  const list = [...firsts.values()];
  for (let i = 0; i < list.length; i += 16) {
    await Promise.all(
      list.slice(i, i + 16).map(async s => {
        const conn = await FuzzConnection.open(mode.address, connRng);
        const port = conn.localPort;
        modeOfPort.set(port, mode.name);
        mode.connections++;
        record(mode, { kind: 'valid, first on a connection', bytes: s.frame });
        const answer = await conn.exchange(s.frame).catch(() => 'neither answered nor closed');
        if (typeof answer === 'string') {
          wrong.push(`${s.key}:${s.version} ${answer}`);
          conn.close();
          modeOfPort.delete(port);
          return;
        }
        const answered = answer !== null;
        // an empty SaslHandshake mechanism is answered UNSUPPORTED_SASL_MECHANISM, then closed
        if (answered !== (s.key === API_VERSIONS || s.key === SASL_HANDSHAKE)) wrong.push(`${s.key}:${s.version} ${answered ? 'answered' : 'closed'}`);
        conn.close();
        await conn.whenClosed;
        modeOfPort.delete(port);
      }),
    );
  }
  t.same(wrong, [], `${mode.name}: of ${firsts.size} API key × version sent first, only ApiVersions and SaslHandshake are answered`);
  const reached = [...firsts.keys()].filter(k => (coverage.get(mode.name)?.get(k)?.reached ?? 0) > 0);
  t.equal(reached.length, firsts.size, `${mode.name}: every one reached the authenticator`);
}

/**
 * Tagged fields no version defines, well-formed, in the request header and in the body, of every
 * flexible version: each such frame, on a connection of its own, must be decoded and handled.
 */
async function unknownTagsPass(t: Test, mode: Mode): Promise<void> {
  const firsts = new Map<string, Seed>();
  for (const s of seeds) if (s.flexible && !firsts.has(`${s.key}:${s.version}`)) firsts.set(`${s.key}:${s.version}`, s);
  const frames: { what: string; correlationId: number; bytes: Buffer }[] = [];
  let correlationId = 0x7e000000;
  for (const [kv, s] of firsts) {
    for (const place of ['header', 'body'] as const) {
      const bytes = withUnknownTags(rng, s, place, ++correlationId);
      if (bytes !== null) frames.push({ what: `${kv} (${API_SPECS.find(a => a.key === s.key)!.name}) ${place}`, correlationId, bytes });
    }
  }
  for (const f of frames) watched.set(f.correlationId, null);
  for (let i = 0; i < frames.length; i += 16) {
    await Promise.all(
      frames.slice(i, i + 16).map(async (f, j) => {
        const c = await slot(mode, CONNECTIONS + 1 + j, true);
        if (c === null) return;
        c.conn.write(f.bytes);
        record(mode, { kind: 'valid, unknown tagged fields', bytes: f.bytes });
        await waitFor(() => watched.get(f.correlationId) !== null || c.conn.closed, 5000).catch(() => {});
        c.conn.close();
      }),
    );
  }
  const bodies = frames.filter(f => f.what.endsWith('body')).length;
  const refused = frames.map(f => [f.what, watched.get(f.correlationId) ?? 'not dispatched']).filter(([, r]) => r !== 'handled');
  t.same(refused, [], `${mode.name}: unknown tagged fields skipped in the header of all ${firsts.size} flexible versions, and in the body of ${bodies}`);
  for (const f of frames) watched.delete(f.correlationId);
}

/** The brokers answer on fresh connections and on the bystanders'. */
async function healthy(t: Test, targets: Target[], when: string): Promise<boolean> {
  const problems: string[] = [];
  for (const target of targets) {
    try {
      const plain = await TestClient.connect(target.plaintext);
      if ((await apiVersions(plain)).errorCode !== 0) problems.push(`${target.name} PLAINTEXT: ApiVersions failed`);
      plain.close();
      const sasl = await saslLogin(target.sasl);
      const md = await sasl.call(3, 12, { topics: [], allowAutoTopicCreation: false });
      if (md.brokers.length !== 1) problems.push(`${target.name} SASL: Metadata without brokers`);
      sasl.close();
      for (const [i, c] of target.bystanders.entries()) {
        if (c.closed) problems.push(`${target.name}: bystander ${i} was closed`);
        else if ((await apiVersions(c)).errorCode !== 0) problems.push(`${target.name}: bystander ${i}: ApiVersions failed`);
      }
    } catch (err) {
      problems.push(`${target.name}: ${String(err)}`);
    }
  }
  if (problems.length > 0) t.fail(`the brokers stopped answering ${when}`, { problems });
  return problems.length === 0;
}

/** Closes every connection of ours and waits for the brokers to have closed theirs. */
async function closeAll(targets: Target[]): Promise<void> {
  for (const c of open) c.close();
  pools.clear();
  for (const target of targets) for (const c of target.bystanders.splice(0)) c.close();
  await waitFor(() => targets.every(tg => internals(tg.broker).listeners.every(l => l.connectionCount === 0)), 10000, 'the brokers to close every connection');
}

interface Memory {
  heapUsed: number;
  arrayBuffers: number;
}

/** The heap once every connection is closed, the state a client may create is deleted, and the garbage collected. */
async function settledMemory(targets: Target[], gc: () => void): Promise<Memory> {
  await closeAll(targets);
  for (const target of targets) {
    await target.broker.control.reset();
    // ACLs the fuzz created (a match-any filter: resource, pattern, operation and permission ANY)
    target.broker.cluster.acls.delete([ANY_FILTER]);
  }
  for (let i = 0; i < 4; i++) {
    await tick();
    gc();
  }
  const m = process.memoryUsage();
  return { heapUsed: m.heapUsed, arrayBuffers: m.arrayBuffers };
}

const mb = (n: number) => `${(n / 1024 / 1024).toFixed(2)} MB`;

t.test(`fuzzing every API, PLAINTEXT and SASL, for ${SECONDS}s (seed ${SEED})`, async t => {
  t.comment(`fuzz seed ${SEED}; replay with SAMSA_FUZZ_SEED=${SEED} SAMSA_FUZZ_SECONDS=${SECONDS}`);
  const started = Date.now();
  const gc = collector();
  instrumentAuthenticator(t);

  // every API key and version of API_SPECS, from the protocol specs, flexible versions with tagged fields
  const specs = specsByKey();
  const versions = API_SPECS.reduce((n, a) => n + a.maxVersion - a.minVersion + 1, 0);
  const flexible = API_SPECS.reduce((n, a) => n + Math.max(0, a.maxVersion - Math.max(a.minVersion, a.flexibleMin) + 1), 0);
  const keyVersions = new Set(seeds.map(s => `${s.key}:${s.version}`));
  t.equal(keyVersions.size, versions, `valid requests for all ${versions} versions of the ${API_SPECS.length} APIs`);
  t.same(API_SPECS.filter(a => !specs.has(a.key) || specs.get(a.key)!.versions[0] > a.minVersion || specs.get(a.key)!.versions[1] < a.maxVersion).map(a => a.name), [], 'the protocol specs cover every version the broker decodes');
  const flexibleSeeds = seeds.filter(s => s.flexible);
  t.equal(new Set(flexibleSeeds.map(s => `${s.key}:${s.version}`)).size, flexible, `${flexible} flexible versions`);
  const withTags = [...keyVersions].filter(kv => {
    const [key, version] = kv.split(':').map(Number) as [number, number];
    const api = API_SPECS.find(x => x.key === key)!;
    return version >= api.flexibleMin && hasTagged(specs.get(key)!.request, version);
  });
  const tagged = new Set(seeds.filter(s => s.taggedFields > 0).map(s => `${s.key}:${s.version}`));
  t.same(withTags.filter(kv => !tagged.has(kv)), [], `each of the ${withTags.length} versions whose request has tagged fields is sent with some set (${seeds.filter(s => s.taggedFields > 0).length} frames)`);

  const a = await testBroker(t, { logger, config: SASL_CONFIG, addScram: ['SCRAM-SHA-256=[name=alice,password=alice-secret]'] });
  const b = await testBroker(t, { logger, config: { ...SASL_CONFIG, ...AUTHORIZER_CONFIG }, addScram: ['SCRAM-SHA-256=[name=alice,password=alice-secret]'] });
  instrument(a.broker);
  instrument(b.broker);
  const target = async (name: string, broker: RunningBroker): Promise<Target> => {
    const sasl = broker.bootstrapFor('SASL_PLAINTEXT');
    return { name, broker, plaintext: broker.bootstrapFor('PLAINTEXT'), sasl, bystanders: [await TestClient.connect(broker.bootstrapFor('PLAINTEXT')), await saslLogin(sasl)] };
  };
  const targets = [await target('broker', a), await target('broker with authorizer', b)];
  t.teardown(() => {
    for (const c of open) c.close();
    for (const tg of targets) for (const c of tg.bystanders) c.close();
  });
  const all = modes(targets[0]!, targets[1]!);
  const byName = (name: string) => all.find(m => m.name === name)!;

  // warm-up: every valid frame in every mode (every handler, compiled), then a batch of mutations in each
  for (const name of ['PLAINTEXT', 'SASL authenticated', 'PLAINTEXT + authorizer', 'SASL authenticated + authorizer']) {
    // after PLAIN authentication a SaslHandshake starts re-authentication: the authenticator's, not dispatch's
    await validPass(t, byName(name), s => !name.startsWith('SASL') || s.key !== SASL_HANDSHAKE);
  }
  await unknownTagsPass(t, byName('PLAINTEXT'));
  await firstFramePass(t, byName('SASL before authentication'));
  for (const mode of all) await fuzz(mode, BATCH);
  await healthy(t, targets, 'after the warm-up');
  const warmUpMs = Date.now() - started;
  const baseline = await settledMemory(targets, gc);
  const framesAtBaseline = [...coverage.values()].flatMap(m => [...m.values()]).reduce((n, c) => n + c.sent, 0);
  const connectionsAtBaseline = all.reduce((n, m) => n + m.connections, 0);
  const bytesAtBaseline = bytesSent;
  for (const tg of targets) tg.bystanders.push(await TestClient.connect(tg.plaintext), await saslLogin(tg.sasl));

  // the fuzz: batches of each mode in turn until the budget is spent, the brokers' health checked after each
  const fuzzStarted = Date.now();
  const deadline = fuzzStarted + SECONDS * 1000;
  let batches = 0;
  let healthChecks = 0;
  do {
    const mode = all[batches % all.length]!;
    await fuzz(mode, BATCH);
    batches++;
    healthChecks++;
    if (!(await healthy(t, targets, `after batch ${batches} (${mode.name})`))) break;
    if (escaped.length > 0) break;
  } while (Date.now() < deadline || batches < MIN_BATCHES * all.length);
  const fuzzMs = Date.now() - fuzzStarted;

  for (const mode of all) {
    const sent = [...mode.kinds.values()].reduce((x, y) => x + y, 0);
    const seen = [...(coverage.get(mode.name) ?? new Map<string, Tally>())].filter(([k]) => keyVersions.has(k));
    const reached = seen.filter(([, c]) => c.reached > 0).length;
    const handled = seen.filter(([, c]) => c.handled > 0).length;
    t.comment(`${mode.name}: ${sent} frames over ${mode.connections} connections (the first ${Math.min(mode.digested, MIN_BATCHES * BATCH)} fuzz frames' sha256 ${mode.digest.digest('hex').slice(0, 12)}); of ${keyVersions.size} API key × version ${reached} reached the broker, ${handled} a handler; ${[...mode.kinds].sort((x, y) => y[1] - x[1]).map(([k, n]) => `${k} ${n}`).join(', ')}`);
    const failures = [...mode.preambleFailures].map(([why, n]) => `${n}× ${why}`);
    if (mode.name.includes('authenticated')) t.same(failures, [], `${mode.name}: every connection authenticated`);
    else if (failures.length > 0) t.comment(`${mode.name}: preambles refused: ${failures.slice(0, 5).join('; ')}`);
  }
  const handshake = coverage.get('SASL handshake')!;
  t.ok([0, 1, 2].every(v => (handshake.get(`${SASL_AUTHENTICATE}:${v}`)?.reached ?? 0) > 0), 'SASL handshake: SaslAuthenticate v0-v2 tokens reached the authenticator');
  t.ok((handshake.get('bare token')?.reached ?? 0) > 0, 'SASL handshake: bare v0 tokens reached the authenticator');
  for (const mech of MECHANISMS) t.ok([...byName('SASL handshake').kinds.keys()].some(k => k.includes(`${mech} token`)), `SASL handshake: ${mech} tokens sent`);

  // memory: back to the baseline once every connection is closed and the fuzz's topics, groups, transactions and ACLs deleted
  const after = await settledMemory(targets, gc);
  for (const tg of targets) {
    const { listeners, limits } = internals(tg.broker);
    t.same(listeners.map(l => [l.name, l.connectionCount]), listeners.map(l => [l.name, 0]), `${tg.name}: no connection left open`);
    t.equal(limits.queuedBytes, 0, `${tg.name}: no request bytes left queued`);
  }
  const frames = [...coverage.values()].flatMap(m => [...m.values()]).reduce((n, c) => n + c.sent, 0);
  const connections = all.reduce((n, m) => n + m.connections, 0);
  const fuzzFrames = frames - framesAtBaseline;
  const fuzzConnections = connections - connectionsAtBaseline;
  const fuzzBytes = bytesSent - bytesAtBaseline;
  const heapGrowth = after.heapUsed - baseline.heapUsed;
  const bufferGrowth = after.arrayBuffers - baseline.arrayBuffers;
  t.comment(`memory: heapUsed ${mb(baseline.heapUsed)} after the warm-up, ${mb(after.heapUsed)} after the fuzz (${mb(heapGrowth)}); arrayBuffers ${mb(baseline.arrayBuffers)} → ${mb(after.arrayBuffers)} (${mb(bufferGrowth)}); the fuzz since the baseline: ${fuzzFrames} frames, ${mb(fuzzBytes)}, ${fuzzConnections} connections`);
  // The tolerances. After a full GC, the heap of brokers that kept nothing has grown by 0.3-1.5 MB
  // between the warm-up and the end of a fuzz, whatever its length (measured from 7 thousand frames
  // over 2 thousand connections to 540 thousand over 160 thousand: code compiled and optimized late,
  // inline caches), and Buffers' memory not at all. A leak grows with the fuzz instead:
  // - a frame kept keeps its bytes, and those of the socket read it came in (arrayBuffers), and a
  //   Buffer object (~100 bytes of heap): keeping a quarter of what even the shortest fuzz sends
  //   (MIN_BATCHES, over 1 MB) passes 256 KB;
  // - a connection the broker keeps (its socket, Connection, authenticator) holds ~2.5 KB of heap,
  //   and the default budget makes thousands: keeping most of them passes 4 MB (the listener's own
  //   set of connections is checked exactly above).
  const HEAP_TOLERANCE = 4 * 1024 * 1024;
  const BUFFER_TOLERANCE = 256 * 1024;
  t.ok(fuzzBytes / 4 > BUFFER_TOLERANCE, `enough bytes sent (${mb(fuzzBytes)}) that keeping a quarter of them would pass the Buffer tolerance`);
  t.ok(heapGrowth < HEAP_TOLERANCE, `heapUsed back within ${mb(HEAP_TOLERANCE)} of its baseline (${mb(heapGrowth)} after ${fuzzConnections} connections, ~${mb(fuzzConnections * 2500)} if the broker had kept them)`);
  t.ok(bufferGrowth < BUFFER_TOLERANCE, `arrayBuffers back within ${mb(BUFFER_TOLERANCE)} of its baseline (${mb(bufferGrowth)})`);

  // the brokers still serve: a produce/fetch round trip over PLAINTEXT and over SASL
  const client = await testClient(t, a);
  const versionsAnswer = await apiVersions(client);
  t.equal(versionsAnswer.errorCode, 0, 'ApiVersions answers');
  await createTopic(client, 'after-the-fuzz');
  const produced = await produce(client, 'after-the-fuzz', 0, batch(['still', 'here']));
  t.equal(produced.errorCode, 0, 'produce works');
  t.equal(produced.baseOffset, 0);
  const sasl = await saslLogin(a.bootstrapFor('SASL_PLAINTEXT'));
  t.teardown(() => sasl.close());
  const fetched = await fetchOne(sasl, 'after-the-fuzz', 0, 0);
  t.equal(fetched.errorCode, 0, 'fetch works, authenticated');
  t.same(valuesOf(fetched.records), ['still', 'here'], 'and returns what was produced');
  const withAcls = await saslLogin(b.bootstrapFor('SASL_PLAINTEXT'));
  t.teardown(() => withAcls.close());
  await createTopic(withAcls, 'after-the-fuzz');
  t.equal((await produce(withAcls, 'after-the-fuzz', 0, batch(['authorized']))).errorCode, 0, 'produce works through the authorizer');

  // coverage, frames and time
  const modeFrames = all.map(m => `${m.name} ${[...(coverage.get(m.name)?.values() ?? [])].reduce((n, c) => n + c.sent, 0)}`);
  t.comment(`coverage: ${keyVersions.size} API key × version (${flexible} flexible) × ${all.length} modes; ${frames} frames over ${connections} connections (${modeFrames.join(', ')}); ${batches} batches, ${healthChecks} health checks; warm-up ${warmUpMs} ms, fuzz ${fuzzMs} ms`);

  const found = [...findings.values()];
  for (const f of found) {
    t.comment(`FINDING ×${f.count} [${[...f.modes].join(', ') || 'a connection the fuzz had closed'}] ${f.msg}: ${f.api} ${f.version === null ? '(no version: frame too short)' : `v${f.version}`}\n  frames (without their size prefix): ${f.frames.join(' ')}\n  ${f.stack || f.error}`);
  }
  t.same(found.map(f => `${f.msg}: ${f.api} ${f.version === null ? '' : `v${f.version}`} in ${[...f.modes].join(', ')}: ${f.error} (${f.count}×, e.g. frame ${f.frames[0]})`), [], `no handler threw (seed ${SEED})`);
  t.same([...new Set(errors.map(e => `${String(e.msg)}${e.api === undefined ? '' : ` (${String(e.api)} v${String(e.version)})`}: ${(e.err as { message?: string } | undefined)?.message}`))], [], `nothing was logged at error level (${errors.length} lines)`);
  t.same(escaped.map(String), [], `no uncaught exception or unhandled rejection (seed ${SEED})`);
});

// Found by the fuzz (seed 2088566798, SASL before authentication): SaslAuthenticator.handshake
// dispatches an ApiVersions frame, then reads its version at offset 2 without checking the frame
// has one; a 2- or 3-byte frame throws RangeError, caught in Connection.pump and logged at error
// level as 'request dispatch failed'.
t.test('before SASL authentication, an ApiVersions frame too short for its header closes the connection, and logs no error', async t => {
  const logged: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      logged.push(JSON.parse(String(chunk)) as Record<string, unknown>);
      done();
    },
  });
  const broker = await testBroker(t, { logger: pino({ level: 'error' }, sink), config: SASL_CONFIG });
  for (const frame of ['000000020012', '00000003001200']) {
    const c = await TestClient.connect(broker.bootstrapFor('SASL_PLAINTEXT'));
    t.teardown(() => c.close());
    c.write(Buffer.from(frame, 'hex'));
    t.equal(await c.nextFrame(), null, `${frame}: closed without an answer`);
  }
  t.same(logged.map(e => ({ msg: e.msg, err: (e.err as { message?: string } | undefined)?.message })), [], 'nothing logged at error level');
});

t.test('requests a broker must refuse rather than attempt', async t => {
  const broker = await testBroker(t);
  const client = await testClient(t, broker);
  // a billion partitions: Kafka's controller refuses more than 10000 records in one request
  const huge = await client.call(19, 7, { topics: [{ name: 'huge', numPartitions: 1_000_000_000, replicationFactor: -1, assignments: [], configs: [] }], validateOnly: true });
  t.same([huge.topics[0].errorCode, huge.topics[0].errorMessage], [44, 'Unable to perform excessively large batch operation.'], 'CreateTopics: POLICY_VIOLATION');
  const edge = await client.call(19, 7, { topics: [{ name: 'edge', numPartitions: 9_999, replicationFactor: -1, assignments: [], configs: [] }], validateOnly: true });
  t.equal(edge.topics[0].errorCode, 0, '9999 partitions and the topic record are 10000 records: allowed');
  const over = await client.call(19, 7, { topics: [{ name: 'edge', numPartitions: 9_999, replicationFactor: -1, assignments: [], configs: [{ name: 'retention.ms', value: '1000' }] }], validateOnly: true });
  t.equal(over.topics[0].errorCode, 44, 'one config record more is too many');
  await createTopic(client, 'grows');
  const grow = await client.call(37, 3, { topics: [{ name: 'grows', count: 1_000_000_000, assignments: null }], timeoutMs: 1000, validateOnly: true });
  t.equal(grow.results[0].errorCode, -1, 'CreatePartitions: UNKNOWN_SERVER_ERROR, as Kafka answers its too-many-records failure');
});

t.test('closing a broker ends its long polls (nothing keeps the process alive)', async t => {
  const timers = () => process.getActiveResourcesInfo().filter(r => r === 'Timeout').length;
  const beforeBroker = timers();
  const broker = await testBroker(t);
  const client = await TestClient.connect(broker.bootstrap);
  t.teardown(() => client.close());
  await createTopic(client, 'quiet');
  const before = timers();
  client.send(1, 12, {
    ...API_SPECS.find(a => a.key === 1)!.defaultRequest(),
    maxWaitMs: 0x7fffffff,
    minBytes: 1,
    maxBytes: 1024,
    topics: [{ topic: 'quiet', partitions: [{ partition: 0, fetchOffset: 0, partitionMaxBytes: 1024, currentLeaderEpoch: -1, lastFetchedEpoch: -1, logStartOffset: -1 }] }],
  });
  const waiting = async () => {
    for (let i = 0; i < 100 && timers() <= before; i++) await new Promise(r => setTimeout(r, 10));
    return timers();
  };
  t.ok((await waiting()) > before, 'the fetch waits on a timer');
  await broker.close();
  await new Promise(r => setImmediate(r));
  t.equal(timers(), beforeBroker, 'closing the broker cleared it, and its retention timer');
});
