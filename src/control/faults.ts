// Fault injection: rules that make the next requests of an API fail with an error code, answer
// late, or lose their response to a closed connection. One FaultInjector per cluster, shared by
// its nodes. Dispatch asks for faults through one flag (FAULTS.armed) that stays false while no
// rule exists anywhere in the process, so the produce path pays a property read for it.
/* eslint-disable @typescript-eslint/no-explicit-any -- requests and responses of any API, shaped by the generated codecs */
import type { Logger } from 'pino';
import type { Broker } from '../broker/broker.js';
import { NO_RESPONSE, type Handler, type HandlerResult, type RequestContext } from '../broker/handler.js';
import type { Cluster } from '../cluster/cluster.js';
import { ErrorCode, errorName, type ErrorCodeName } from '../protocol/errors.js';
import { API_SPECS } from '../protocol/messages/index.js';
import { defaultFetchResponseFetchableTopicResponse, defaultFetchResponsePartitionData } from '../protocol/messages/index.js';
import { EMPTY } from '../protocol/wire.js';

/** A refused control request: `status` is the HTTP status the control endpoint answers with. */
export class ControlError extends Error {
  override name = 'ControlError';
  constructor(
    readonly status: 400 | 404 | 409,
    message: string,
  ) {
    super(message);
  }
}

/** Fail the next `count` requests of an API (default 1), or only their partitions of `topic` (and `partition`). */
export interface ErrorRuleSpec {
  /** The API, by key (0) or name ('Produce'). */
  apiKey: number | string;
  /** Kafka's error code, by number (6) or name ('NOT_LEADER_OR_FOLLOWER'). */
  errorCode: number | string;
  count?: number;
  /** Only requests to this node. */
  nodeId?: number;
  /** Only this topic's partitions (Produce, Fetch, ListOffsets, DeleteRecords, OffsetForLeaderEpoch). */
  topic?: string;
  /** Only this partition of `topic`. */
  partition?: number;
}

/** Hold the responses of the next `count` requests (default: every one until cleared) for `delayMs`. */
export interface DelayRuleSpec {
  delayMs: number;
  /** Only this API (default: any). */
  apiKey?: number | string;
  nodeId?: number;
  count?: number;
}

/** Close the connection of the next `count` requests (default 1) once they are handled, instead of answering. */
export interface DropRuleSpec {
  /** Only this API (default: any). */
  apiKey?: number | string;
  nodeId?: number;
  count?: number;
}

/** An active rule as listed (GET /faults, control.faults()). */
export interface FaultRule {
  id: number;
  type: 'error' | 'delay' | 'drop';
  /** null: any API. */
  apiKey: number | null;
  api: string | null;
  nodeId: number | null;
  topic: string | null;
  partition: number | null;
  errorCode: number | null;
  error: string | null;
  delayMs: number | null;
  /** Requests it still applies to; null: until cleared. */
  remaining: number | null;
}

const SPECS = new Map(API_SPECS.map(s => [s.key, s]));
const SPEC_BY_NAME = new Map(API_SPECS.map(s => [s.name.toLowerCase(), s]));
const CODE_BY_NAME = new Map((Object.entries(ErrorCode) as [ErrorCodeName, number][]).map(([name, code]) => [name.toLowerCase(), code]));
const KNOWN_CODES = new Set<number>(Object.values(ErrorCode));

/**
 * How a request of an API with per-partition errors names its partitions, and how its response
 * answers them. `writes`: the request changes data, so partitions that fail are taken out of it
 * before it is handled; a read is handled whole and its failed partitions' answers replaced.
 * `idSince`: the version from which topics are named by id.
 */
interface PartitionShape {
  topics: string;
  name: string;
  partitions: string;
  index: string;
  outTopics: string;
  outName: string;
  outPartitions: string;
  outIndex: string;
  writes: boolean;
  idSince: number;
}

const PER_PARTITION = new Map<number, PartitionShape>([
  [0, { topics: 'topicData', name: 'name', partitions: 'partitionData', index: 'index', outTopics: 'responses', outName: 'name', outPartitions: 'partitionResponses', outIndex: 'index', writes: true, idSince: 13 }],
  [1, { topics: 'topics', name: 'topic', partitions: 'partitions', index: 'partition', outTopics: 'responses', outName: 'topic', outPartitions: 'partitions', outIndex: 'partitionIndex', writes: false, idSince: 13 }],
  [2, { topics: 'topics', name: 'name', partitions: 'partitions', index: 'partitionIndex', outTopics: 'topics', outName: 'name', outPartitions: 'partitions', outIndex: 'partitionIndex', writes: false, idSince: Infinity }],
  [21, { topics: 'topics', name: 'name', partitions: 'partitions', index: 'partitionIndex', outTopics: 'topics', outName: 'name', outPartitions: 'partitions', outIndex: 'partitionIndex', writes: true, idSince: Infinity }],
  [23, { topics: 'topics', name: 'topic', partitions: 'partitions', index: 'partition', outTopics: 'topics', outName: 'topic', outPartitions: 'partitions', outIndex: 'partition', writes: false, idSince: Infinity }],
]);

const PRODUCE = 0;
const FETCH = 1;

/** Process-wide: whether any injector has a rule. Dispatch reads only this while none does. */
export const FAULTS = { armed: false };
const armedInjectors = new Set<FaultInjector>();
const INJECTORS = new WeakMap<Cluster, FaultInjector>();

/**
 * The handler dispatch uses for a request on `broker`: `handler` itself, or, when a rule of the
 * cluster's injector may apply to its API on this node, a wrapper that applies the faults.
 */
export function withFaults(broker: Broker, handler: Handler): Handler {
  const injector = INJECTORS.get(broker.cluster);
  if (injector === undefined || handler.handle === undefined || !injector.concerns(handler.apiKey, broker.nodeId)) return handler;
  return {
    apiKey: handler.apiKey,
    errorResponse: (req, version, code, message) => handler.errorResponse(req, version, code, message),
    handle: (ctx, req) => injector.handle(ctx, req, handler),
  };
}

interface Rule {
  id: number;
  type: 'error' | 'delay' | 'drop';
  apiKey: number | null;
  nodeId: number | null;
  topic: string | null;
  partition: number | null;
  errorCode: number;
  delayMs: number;
  /** Infinity: until cleared. */
  remaining: number;
}

/** The faults of one cluster: rules, and applying them to requests. */
export class FaultInjector {
  private errors: Rule[] = [];
  private delays: Rule[] = [];
  private drops: Rule[] = [];
  private nextId = 1;

  constructor(
    private readonly cluster: Cluster,
    private readonly log: Logger,
  ) {
    INJECTORS.set(cluster, this);
  }

  // ---- rules --------------------------------------------------------------------------------

  injectError(spec: ErrorRuleSpec): FaultRule {
    const o = fields(spec, 'error rule', ['apiKey', 'errorCode', 'count', 'nodeId', 'topic', 'partition']);
    const apiKey = this.apiKeyOf(o.apiKey, true)!;
    const errorCode = errorCodeOf(o.errorCode);
    const count = countOf(o.count, 1);
    const nodeId = this.nodeIdOf(o.nodeId);
    const topic = o.topic === undefined ? null : o.topic;
    if (topic !== null && (typeof topic !== 'string' || topic === '')) throw new ControlError(400, 'topic: expected a topic name');
    let partition: number | null = null;
    if (o.partition !== undefined) {
      if (!Number.isSafeInteger(o.partition) || (o.partition as number) < 0) throw new ControlError(400, `partition: ${JSON.stringify(o.partition)} is not a partition index (an integer from 0)`);
      if (topic === null) throw new ControlError(400, 'partition: a partition needs its topic');
      partition = o.partition as number;
    }
    if (topic !== null && !PER_PARTITION.has(apiKey)) {
      const names = [...PER_PARTITION.keys()].map(k => SPECS.get(k)!.name).join(', ');
      throw new ControlError(400, `topic: ${SPECS.get(apiKey)!.name} requests fail as a whole; a topic or partition can be named for ${names}`);
    }
    return this.add(this.errors, { type: 'error', apiKey, nodeId, topic: topic as string | null, partition, errorCode, delayMs: 0, remaining: count });
  }

  delay(spec: DelayRuleSpec): FaultRule {
    const o = fields(spec, 'delay rule', ['delayMs', 'apiKey', 'nodeId', 'count']);
    const delayMs = o.delayMs;
    if (!Number.isSafeInteger(delayMs) || (delayMs as number) < 0 || (delayMs as number) > 2_147_483_647) {
      throw new ControlError(400, `delayMs: ${JSON.stringify(delayMs)} is not a delay in milliseconds (an integer from 0 to 2147483647)`);
    }
    const apiKey = this.apiKeyOf(o.apiKey, false);
    return this.add(this.delays, { type: 'delay', apiKey, nodeId: this.nodeIdOf(o.nodeId), topic: null, partition: null, errorCode: 0, delayMs: delayMs as number, remaining: countOf(o.count, Infinity) });
  }

  dropConnections(spec: DropRuleSpec = {}): FaultRule {
    const o = fields(spec, 'drop rule', ['apiKey', 'nodeId', 'count']);
    const apiKey = this.apiKeyOf(o.apiKey, false);
    return this.add(this.drops, { type: 'drop', apiKey, nodeId: this.nodeIdOf(o.nodeId), topic: null, partition: null, errorCode: 0, delayMs: 0, remaining: countOf(o.count, 1) });
  }

  /** The active rules, oldest first. */
  rules(): FaultRule[] {
    return [...this.errors, ...this.delays, ...this.drops].sort((a, b) => a.id - b.id).map(describe);
  }

  /** Removes every rule; returns how many there were. */
  clear(): number {
    const n = this.errors.length + this.delays.length + this.drops.length;
    this.errors = [];
    this.delays = [];
    this.drops = [];
    this.rearm();
    if (n > 0) this.log.info({ rules: n }, 'cleared the injected faults');
    return n;
  }

  /** Stops applying faults (the broker closes). */
  close(): void {
    this.errors = [];
    this.delays = [];
    this.drops = [];
    this.rearm();
    if (INJECTORS.get(this.cluster) === this) INJECTORS.delete(this.cluster);
  }

  private add(list: Rule[], rule: Omit<Rule, 'id'>): FaultRule {
    const full = { id: this.nextId++, ...rule };
    list.push(full);
    this.rearm();
    const described = describe(full);
    this.log.info({ rule: described }, `added a fault rule (${rule.type})`);
    return described;
  }

  private rearm(): void {
    if (this.errors.length + this.delays.length + this.drops.length > 0) armedInjectors.add(this);
    else armedInjectors.delete(this);
    FAULTS.armed = armedInjectors.size > 0;
  }

  private apiKeyOf(value: unknown, required: boolean): number | null {
    if (value === undefined || value === null) {
      if (required) throw new ControlError(400, 'apiKey: required (an API key such as 0, or a name such as Produce)');
      return null;
    }
    const spec = typeof value === 'string' && !/^\d+$/.test(value) ? SPEC_BY_NAME.get(value.toLowerCase()) : SPECS.get(Number(value));
    if (spec === undefined || (typeof value !== 'string' && typeof value !== 'number')) {
      throw new ControlError(400, `apiKey: ${JSON.stringify(value)} is not a Kafka API key or name (e.g. 0 or Produce)`);
    }
    return spec.key;
  }

  private nodeIdOf(value: unknown): number | null {
    if (value === undefined || value === null) return null;
    if (!Number.isSafeInteger(value)) throw new ControlError(400, `nodeId: ${JSON.stringify(value)} is not a node id`);
    if (this.cluster.node(value as number) === undefined) throw new ControlError(404, `nodeId: there is no node ${String(value)}`);
    return value as number;
  }

  // ---- applying them ------------------------------------------------------------------------

  /** Whether some rule may apply to a request of `apiKey` on `nodeId` (dispatch wraps the handler then). */
  concerns(apiKey: number, nodeId: number): boolean {
    const hit = (r: Rule) => (r.apiKey === null || r.apiKey === apiKey) && (r.nodeId === null || r.nodeId === nodeId);
    return this.errors.some(hit) || this.delays.some(hit) || this.drops.some(hit);
  }

  /** Handles one request through `handler` with the faults that apply to it. */
  handle(ctx: RequestContext, req: any, handler: Handler): HandlerResult<unknown> | Promise<HandlerResult<unknown>> {
    const nodeId = ctx.broker.nodeId;
    const drop = this.take(this.drops, ctx.apiKey, nodeId);
    if (drop !== null) {
      this.logFault(ctx, drop, 'injected fault: the connection closes instead of answering (the request was handled)');
      // handled first, then the response is lost: a produce is appended, as when a real response goes missing
      return then(handler.handle!(ctx, req), () => {
        ctx.connection.close('injected fault: connection dropped');
        return NO_RESPONSE;
      });
    }
    let result: HandlerResult<unknown> | Promise<HandlerResult<unknown>> | undefined;
    const shape = PER_PARTITION.get(ctx.apiKey);
    for (const rule of this.errors) {
      if (rule.apiKey !== ctx.apiKey || (rule.nodeId !== null && rule.nodeId !== nodeId)) continue;
      if (shape === undefined) {
        this.consume(this.errors, rule);
        this.logFault(ctx, rule, 'injected fault: error');
        result = handler.errorResponse(req, ctx.apiVersion, rule.errorCode);
      } else {
        const failed = this.matchPartitions(ctx, req, shape, rule);
        if (failed === null) continue;
        this.consume(this.errors, rule);
        this.logFault(ctx, rule, 'injected fault: error', failed.names);
        result = this.failPartitions(ctx, req, handler, shape, rule, failed.keep);
      }
      break;
    }
    result ??= handler.handle!(ctx, req);
    const delay = this.take(this.delays, ctx.apiKey, nodeId);
    if (delay === null) return result;
    this.logFault(ctx, delay, 'injected fault: response delayed');
    // handled at once, answered delayMs later (requests after it on the connection wait, as they wait for any response)
    return then(result, res => new Promise<HandlerResult<unknown>>(resolve => void ctx.broker.clock.setTimeout(() => resolve(res), delay.delayMs)));
  }

  /** The first rule of `list` for this API and node, its count taken; null when none applies. */
  private take(list: Rule[], apiKey: number, nodeId: number): Rule | null {
    const rule = list.find(r => (r.apiKey === null || r.apiKey === apiKey) && (r.nodeId === null || r.nodeId === nodeId));
    if (rule === undefined) return null;
    this.consume(list, rule);
    return rule;
  }

  private consume(list: Rule[], rule: Rule): void {
    rule.remaining--;
    if (rule.remaining > 0) return;
    list.splice(list.indexOf(rule), 1);
    this.rearm();
  }

  private logFault(ctx: RequestContext, rule: Rule, msg: string, partitions?: string[]): void {
    ctx.log.info(
      {
        api: SPECS.get(ctx.apiKey)!.name,
        version: ctx.apiVersion,
        correlationId: ctx.correlationId,
        clientId: ctx.clientId,
        node: ctx.broker.nodeId,
        rule: describe(rule),
        ...(partitions === undefined ? {} : { partitions }),
      },
      msg,
    );
  }

  /**
   * The partitions of a request that `rule` fails: null when none (the rule does not apply);
   * `keep(topic, partition)` says whether the request keeps a partition, `names` lists those failed.
   */
  private matchPartitions(ctx: RequestContext, req: any, shape: PartitionShape, rule: Rule): { keep: (t: any, p: any) => boolean; names: string[] } | null {
    const names: string[] = [];
    const failed = new Set<any>();
    for (const t of req[shape.topics] as any[]) {
      const name = this.topicName(ctx, shape, t[shape.name], t.topicId);
      if (rule.topic !== null && name !== rule.topic) continue;
      for (const p of t[shape.partitions] as any[]) {
        if (rule.partition !== null && p[shape.index] !== rule.partition) continue;
        failed.add(p);
        names.push(`${name}-${p[shape.index]}`);
      }
    }
    // a rule for every partition also fails a request that names none (an incremental fetch)
    if (failed.size === 0 && rule.topic !== null) return null;
    return { keep: (_t, p) => !failed.has(p), names };
  }

  private topicName(ctx: RequestContext, shape: PartitionShape, name: string, topicId: string | undefined): string {
    if (ctx.apiVersion < shape.idSince || topicId === undefined) return name;
    return ctx.broker.cluster.topicById(topicId)?.name ?? name;
  }

  /**
   * Answers the failed partitions with the rule's error code, as Kafka answers per partition. A
   * write is handled without them (nothing of theirs is applied); a read is handled whole, at
   * once (a Fetch does not wait for data: Kafka answers at once when a partition has an error),
   * and the answers of the failed partitions are replaced.
   */
  private failPartitions(
    ctx: RequestContext,
    req: any,
    handler: Handler,
    shape: PartitionShape,
    rule: Rule,
    keep: (t: any, p: any) => boolean,
  ): HandlerResult<unknown> | Promise<HandlerResult<unknown>> {
    const code = rule.errorCode;
    const failedReq = { ...req, [shape.topics]: subset(req[shape.topics], shape, (t, p) => !keep(t, p)) };
    const errors = ctx.apiKey === FETCH ? fetchErrors(failedReq, code) : handler.errorResponse(failedReq, ctx.apiVersion, code);
    let handled: HandlerResult<unknown> | Promise<HandlerResult<unknown>>;
    if (shape.writes) {
      const kept = subset(req[shape.topics], shape, keep);
      handled = kept.length === 0 ? errors : handler.handle!(ctx, { ...req, [shape.topics]: kept });
    } else {
      handled = handler.handle!(ctx, ctx.apiKey === FETCH ? { ...req, maxWaitMs: 0 } : req);
    }
    return then(handled, res => {
      // a produce with acks=0 has no response to carry the error: Kafka closes the connection
      if (ctx.apiKey === PRODUCE && req.acks === 0) {
        ctx.connection.close('injected fault: error on a produce with acks=0');
        return NO_RESPONSE;
      }
      if (res === NO_RESPONSE || res === errors) return res;
      const byId = ctx.apiVersion >= shape.idSince;
      mergeAnswers(res, errors, shape, byId);
      if (ctx.apiKey === FETCH) this.failSessionPartitions(ctx, res, rule, byId);
      return res;
    });
  }

  /**
   * An incremental fetch answers partitions its session holds that the request does not name:
   * those the rule names fail too. A fetch session remembers what it told the client; a failed
   * partition is sent again once the error clears, as the Fetch handler does for its own errors.
   */
  private failSessionPartitions(ctx: RequestContext, res: any, rule: Rule, byId: boolean): void {
    const session = res.sessionId === 0 ? undefined : ctx.broker.fetchSessions.get(res.sessionId);
    for (const t of res.responses as any[]) {
      const name = byId ? (ctx.broker.cluster.topicById(t.topicId)?.name ?? t.topic) : t.topic;
      if (rule.topic !== null && name !== rule.topic) continue;
      const partitions = t.partitions as any[];
      partitions.forEach((p, i) => {
        if (rule.partition !== null && p.partitionIndex !== rule.partition) return;
        if (p.errorCode !== rule.errorCode) partitions[i] = fetchError(p.partitionIndex, rule.errorCode);
        const cached = session?.partitions.get(session.key({ topic: t.topic, topicId: t.topicId, partitionIndex: p.partitionIndex }));
        if (cached !== undefined) cached.highWatermark = -1;
      });
    }
  }
}

/** `topics` with only the partitions `pick` selects (topics left without any dropped). */
function subset(topics: any[], shape: PartitionShape, pick: (t: any, p: any) => boolean): any[] {
  const out: any[] = [];
  for (const t of topics) {
    const partitions = (t[shape.partitions] as any[]).filter(p => pick(t, p));
    if (partitions.length > 0) out.push({ ...t, [shape.partitions]: partitions });
  }
  return out;
}

/** Fetch's per-partition answers for the failed partitions (its errorResponse sets the top-level code instead). */
function fetchErrors(req: any, code: number): any {
  return {
    responses: (req.topics as any[]).map(t => ({
      ...defaultFetchResponseFetchableTopicResponse(),
      topic: t.topic,
      topicId: t.topicId,
      partitions: (t.partitions as any[]).map(p => fetchError(p.partition, code)),
    })),
  };
}

function fetchError(partitionIndex: number, code: number): any {
  return { ...defaultFetchResponsePartitionData(), partitionIndex, errorCode: code, highWatermark: -1, lastStableOffset: -1, logStartOffset: -1, abortedTransactions: null, records: EMPTY };
}

/** Puts the error answers into the handler's response, replacing its answers for those partitions. */
function mergeAnswers(res: any, errors: any, shape: PartitionShape, byId: boolean): void {
  const key = (t: any) => (byId ? t.topicId : t[shape.outName]);
  const topics = res[shape.outTopics] as any[];
  for (const et of errors[shape.outTopics] as any[]) {
    const rt = topics.find(t => key(t) === key(et));
    if (rt === undefined) {
      topics.push(et);
      continue;
    }
    const partitions = rt[shape.outPartitions] as any[];
    for (const ep of et[shape.outPartitions] as any[]) {
      const i = partitions.findIndex(p => p[shape.outIndex] === ep[shape.outIndex]);
      if (i >= 0) partitions[i] = ep;
      else partitions.push(ep);
    }
  }
}

function then<T, U>(value: T | Promise<T>, fn: (v: T) => U | Promise<U>): U | Promise<U> {
  return value instanceof Promise ? value.then(fn) : fn(value);
}

/** The object's own fields, refusing a non-object and fields not in `allowed` (a typo must not widen a rule). */
function fields(spec: unknown, what: string, allowed: string[]): Record<string, unknown> {
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) throw new ControlError(400, `${what}: expected an object`);
  const o = spec as Record<string, unknown>;
  const unknown = Object.keys(o).filter(k => !allowed.includes(k));
  if (unknown.length > 0) throw new ControlError(400, `${what}: unknown field${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')} (known: ${allowed.join(', ')})`);
  return o;
}

function errorCodeOf(value: unknown): number {
  let code: number | undefined;
  if (typeof value === 'number') code = value;
  else if (typeof value === 'string') code = /^-?\d+$/.test(value) ? Number(value) : CODE_BY_NAME.get(value.toLowerCase());
  if (code === undefined || !KNOWN_CODES.has(code)) {
    throw new ControlError(400, `errorCode: ${JSON.stringify(value)} is not a Kafka error code (a number such as 6, or a name such as NOT_LEADER_OR_FOLLOWER)`);
  }
  if (code === ErrorCode.NONE) throw new ControlError(400, 'errorCode: 0 (NONE) is not an error');
  return code;
}

function countOf(value: unknown, fallback: number): number {
  if (value === undefined || value === null) return fallback;
  if (!Number.isSafeInteger(value) || (value as number) < 1) throw new ControlError(400, `count: ${JSON.stringify(value)} is not a number of requests (an integer from 1)`);
  return value as number;
}

function describe(r: Rule): FaultRule {
  return {
    id: r.id,
    type: r.type,
    apiKey: r.apiKey,
    api: r.apiKey === null ? null : SPECS.get(r.apiKey)!.name,
    nodeId: r.nodeId,
    topic: r.topic,
    partition: r.partition,
    errorCode: r.type === 'error' ? r.errorCode : null,
    error: r.type === 'error' ? errorName(r.errorCode) : null,
    delayMs: r.type === 'delay' ? r.delayMs : null,
    remaining: r.remaining === Infinity ? null : r.remaining,
  };
}
