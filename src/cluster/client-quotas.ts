// Client quotas (KIP-546): quota values per entity - a user, a client id, both, or an IP address,
// each possibly the default entity of its type - kept cluster-wide as Kafka's controller keeps
// them. AlterClientQuotas is validated and turned into records here as ClientQuotaControlManager
// does; DescribeClientQuotas filters them as ClientQuotasImage does; each broker's quota managers
// (src/broker/quota-manager.ts) resolve a client's limits from them. In disk mode they are kept in
// their own file of the data directory, rewritten atomically on every change.
import { isIP, isIPv6 } from 'node:net';
import path from 'node:path';
import { ErrorCode, KafkaError } from '../protocol/errors.js';
import { readJsonFile, writeJsonFileAtomic } from '../storage/checkpoint.js';

export const CLIENT_QUOTAS_FILE = 'samsa-client-quotas.json';

// Entity types (ClientQuotaEntity)
export const USER = 'user';
export const CLIENT_ID = 'client-id';
export const IP = 'ip';

// Quota keys (QuotaConfig)
export const PRODUCER_BYTE_RATE = 'producer_byte_rate';
export const CONSUMER_BYTE_RATE = 'consumer_byte_rate';
export const REQUEST_PERCENTAGE = 'request_percentage';
export const CONTROLLER_MUTATION_RATE = 'controller_mutation_rate';
export const CONNECTION_CREATION_RATE = 'connection_creation_rate';

/** The keys of user and client-id entities (in Kafka each has a quota manager on every broker). */
export type UserClientQuotaKey = typeof PRODUCER_BYTE_RATE | typeof CONSUMER_BYTE_RATE | typeof REQUEST_PERCENTAGE | typeof CONTROLLER_MUTATION_RATE;

/** The config type of each key, which decides the values it takes (QuotaConfig's ConfigDefs). */
type QuotaValueType = 'long' | 'double' | 'int';
const USER_CLIENT_KEYS: ReadonlyMap<string, QuotaValueType> = new Map([
  [PRODUCER_BYTE_RATE, 'long'],
  [CONSUMER_BYTE_RATE, 'long'],
  [REQUEST_PERCENTAGE, 'double'],
  [CONTROLLER_MUTATION_RATE, 'double'],
]);
const IP_KEYS: ReadonlyMap<string, QuotaValueType> = new Map([[CONNECTION_CREATION_RATE, 'int']]);

// The quota levels set so far, per key, as Kafka's ClientQuotaManager tracks them (QuotaTypes)
export const CLIENT_ID_LEVEL = 1;
export const USER_LEVEL = 2;
export const USER_CLIENT_ID_LEVEL = 4;

/** Kafka's QuorumController.MAX_RECORDS_PER_USER_OP: a larger change is refused whole. */
const MAX_RECORDS_PER_USER_OP = 10_000;
const LONG_MAX = 2 ** 63;
const INT_MAX = 2 ** 31 - 1;

/** A slot of an entity lookup: a name, the default entity, or the type absent from the entity. */
export const DEFAULT: unique symbol = Symbol('default entity');
export const ABSENT: unique symbol = Symbol('absent');
export type Slot = string | typeof DEFAULT | typeof ABSENT;

/** One entity type and name as the protocol carries it; a null name is the default entity. */
export interface EntityData {
  entityType: string;
  entityName: string | null;
}

/** A quota entity: its entries in the order Kafka's map of them iterates (see javaHashMapOrder). */
export type QuotaEntity = readonly EntityData[];

/** One change: a key set to a value, or removed (null). Kafka's ClientQuotaRecord. */
export interface QuotaRecord {
  entity: QuotaEntity;
  key: string;
  value: number | null;
}

export interface AlterOp {
  key: string;
  value: number;
  remove: boolean;
}

export interface AlterResult {
  entity: QuotaEntity;
  errorCode: number;
  errorMessage: string | null;
}

/** What an AlterClientQuotas request comes to: an answer per entity and the records to apply. */
export type AlterPlan = { results: AlterResult[]; records: QuotaRecord[] } | { tooManyRecords: true };

export interface DescribeComponent {
  entityType: string;
  matchType: number;
  match: string | null;
}

export interface DescribedEntry {
  entity: QuotaEntity;
  values: { key: string; value: number }[];
}

// DescribeClientQuotasRequest's match types
export const MATCH_EXACT = 0;
export const MATCH_DEFAULT = 1;
export const MATCH_ANY = 2;

// --- Java's hashing, which decides the order of Kafka's answers --------------------------------

/** Java's String.hashCode (0 for null, as Objects.hashCode). */
export function javaHash(s: string | null): number {
  if (s === null) return 0;
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(31, h) + s.charCodeAt(i)) | 0;
  return h;
}

/**
 * The order in which Java's HashMap iterates distinct keys put in this order into
 * `new HashMap<>(initialCapacity)` (undefined: `new HashMap<>()`). Kafka builds its quota answers
 * and messages from such maps, so this is the order they list entities and entries in: by bucket
 * of the final table, then by insertion.
 */
export function javaHashMapOrder<T>(items: readonly T[], hash: (item: T) => number, initialCapacity?: number): T[] {
  let capacity = 0;
  let threshold = initialCapacity === undefined ? 0 : tableSizeFor(initialCapacity);
  const resize = () => {
    if (capacity > 0) {
      const old = capacity;
      capacity = old * 2;
      threshold = old >= 16 ? threshold * 2 : Math.floor(capacity * 0.75);
    } else if (threshold > 0) {
      capacity = threshold;
      threshold = Math.floor(capacity * 0.75);
    } else {
      capacity = 16;
      threshold = 12;
    }
  };
  for (let size = 1; size <= items.length; size++) {
    if (capacity === 0) resize();
    if (size > threshold) resize();
  }
  const mask = capacity - 1;
  return items
    .map((item, i) => {
      const h = hash(item);
      return { item, i, bucket: (h ^ (h >>> 16)) & mask };
    })
    .sort((a, b) => a.bucket - b.bucket || a.i - b.i)
    .map(x => x.item);
}

function tableSizeFor(n: number): number {
  let size = 1;
  while (size < n) size *= 2;
  return size;
}

/** Kafka's ClientQuotaEntity hash: Objects.hash(entries), the map hash summing key ^ value. */
export function entityHash(entity: QuotaEntity): number {
  let sum = 0;
  for (const e of entity) sum = (sum + (javaHash(e.entityType) ^ javaHash(e.entityName))) | 0;
  return (31 + sum) | 0;
}

/**
 * The entity an entity list names, as Kafka reads it into a HashMap (`new HashMap<>(capacity)`, or
 * `new HashMap<>()` for null): a type given twice keeps its last name (no error), and the entries
 * come in the map's order.
 */
export function entityOf(list: readonly EntityData[], capacity: number | null): QuotaEntity {
  const names = new Map<string, string | null>();
  for (const e of list) names.set(e.entityType, e.entityName);
  const types = javaHashMapOrder([...names.keys()], javaHash, capacity ?? undefined);
  return types.map(entityType => ({ entityType, entityName: names.get(entityType)! }));
}

/** A key equal for equal entities whatever their order. */
export function entityKey(entity: QuotaEntity): string {
  return JSON.stringify(entity.map(e => [e.entityType, e.entityName]).sort((a, b) => (a[0]! < b[0]! ? -1 : a[0]! > b[0]! ? 1 : 0)));
}

/** ClientQuotaEntity.toString, as Kafka's messages print it. */
export function entityToString(entity: QuotaEntity): string {
  return `ClientQuotaEntity(entries={${entity.map(e => `${e.entityType}=${e.entityName}`).join(', ')}})`;
}

function nameOf(entity: QuotaEntity, type: string): Slot {
  const e = entity.find(x => x.entityType === type);
  return e === undefined ? ABSENT : e.entityName === null ? DEFAULT : e.entityName;
}

/** A user/client-id entity's level, or 0 (an IP entity). */
function levelOf(entity: QuotaEntity): number {
  const user = nameOf(entity, USER) !== ABSENT;
  const client = nameOf(entity, CLIENT_ID) !== ABSENT;
  if (nameOf(entity, IP) !== ABSENT) return 0;
  return user && client ? USER_CLIENT_ID_LEVEL : user ? USER_LEVEL : client ? CLIENT_ID_LEVEL : 0;
}

// --- validation, as ClientQuotaControlManager ---------------------------------------------------

function invalid(message: string): { code: number; message: string } {
  return { code: ErrorCode.INVALID_REQUEST, message };
}

/** validateEntity: known types, no empty names. */
function entityProblem(entity: QuotaEntity): { code: number; message: string } | null {
  if (entity.length === 0) return invalid('Invalid empty client quota entity');
  for (const e of entity) {
    if (e.entityType !== USER && e.entityType !== CLIENT_ID && e.entityType !== IP) return invalid(`Unhandled client quota entity type: ${e.entityType}`);
    if (e.entityName === '') return invalid(`Empty ${e.entityType} not supported`);
  }
  return null;
}

/** configKeysForEntityType: the keys the entity's combination of types takes, or its problem. */
function keysFor(entity: QuotaEntity, validIp: (name: string) => boolean): { keys: ReadonlyMap<string, QuotaValueType> } | { problem: { code: number; message: string } } {
  const user = nameOf(entity, USER) !== ABSENT;
  const client = nameOf(entity, CLIENT_ID) !== ABSENT;
  const ip = nameOf(entity, IP);
  if (ip !== ABSENT) {
    // sic: Kafka's message lacks the space between "should" and "not"
    if (user || client) return { problem: invalid('Invalid quota entity combination, IP entity shouldnot be combined with User or ClientId') };
    if (ip !== DEFAULT && !ipLiteral(ip) && !validIp(ip)) return { problem: invalid(`${ip} is not a valid IP or resolvable host.`) };
    return { keys: IP_KEYS };
  }
  if (user || client) return { keys: USER_CLIENT_KEYS };
  return { problem: invalid('Invalid empty client quota entity') };
}

/** validateQuotaKeyValue. NaN passes every check, as in Kafka. */
function valueProblem(keys: ReadonlyMap<string, QuotaValueType>, key: string, value: number): { code: number; message: string } | null {
  const type = keys.get(key);
  if (type === undefined) return invalid(`Invalid configuration key ${key}`);
  if (value <= 0) return invalid(`Quota ${key} must be greater than 0`);
  if (type === 'double') return null;
  if (type === 'long' && value > LONG_MAX) return invalid(`Proposed value for ${key} is too large for a LONG.`);
  if (type === 'int' && value > INT_MAX) return invalid(`Proposed value for ${key} is too large for an INT.`);
  if (Math.abs(value % 1) > 1e-6) return invalid(`${key} cannot be a fractional value.`);
  return null;
}

/** An IP entity's name that is not an address literal must be resolved (Kafka's InetAddress.getByName). */
export function ipNamesToResolve(entries: readonly { entity: readonly EntityData[] }[]): string[] {
  const out = new Set<string>();
  for (const entry of entries) {
    for (const e of entry.entity) if (e.entityType === IP && e.entityName !== null && e.entityName !== '' && !ipLiteral(e.entityName)) out.add(e.entityName);
  }
  return [...out];
}

/** Whether `name` is an address literal: IPv4, IPv6, or IPv6 in brackets, as Java reads them without a lookup. */
export function ipLiteral(name: string): boolean {
  if (name.startsWith('[') && name.endsWith(']')) return isIPv6(name.slice(1, -1));
  return isIP(name) !== 0;
}

// --- the store --------------------------------------------------------------------------------

interface Stored {
  entity: QuotaEntity;
  values: Map<string, number>;
}

/** The client quotas of the cluster. */
export class ClientQuotaStore {
  private entities = new Map<string, Stored>();
  /** By user/client-id quota key, user slot and client-id slot: the value (the brokers' lookups). */
  private index = new Map<string, Map<Slot, Map<Slot, number>>>();
  /**
   * Per user/client-id key, the levels that have had a value set or removed since the start: Kafka's
   * quotaTypesEnabled of that key's quota manager, which only grows until a restart. 0: that kind
   * of quota was never configured, and the brokers record nothing for it.
   */
  readonly enabledLevels: Record<UserClientQuotaKey, number> = {
    [PRODUCER_BYTE_RATE]: 0,
    [CONSUMER_BYTE_RATE]: 0,
    [REQUEST_PERCENTAGE]: 0,
    [CONTROLLER_MUTATION_RATE]: 0,
  };
  /** Disk mode: the file the quotas are kept in. */
  private file: string | null = null;

  /** The value of `key` for the user/client-id entity with these slots. */
  quota(key: string, user: Slot, clientId: Slot): number | undefined {
    return this.index.get(key)?.get(user)?.get(clientId);
  }

  /** Every entity with quotas, and its values, in the order they were first set. */
  entries(): IterableIterator<{ readonly entity: QuotaEntity; readonly values: ReadonlyMap<string, number> }> {
    return this.entities.values();
  }

  get size(): number {
    return this.entities.size;
  }

  /**
   * Disk mode: loads the quotas kept in `dataDir` (none when the file does not exist yet) and keeps
   * every later change there. Throws when the file is unreadable.
   */
  openIn(dataDir: string): void {
    const file = path.join(dataDir, CLIENT_QUOTAS_FILE);
    const parsed = readJsonFile<{ version: number; quotas: { entity: EntityData[]; values: Record<string, string> }[] }>(file);
    if (parsed !== undefined) {
      if (parsed.version !== 1 || !Array.isArray(parsed.quotas)) throw new Error(`${file}: unknown version ${parsed.version}`);
      const records: QuotaRecord[] = [];
      for (const q of parsed.quotas) {
        const entity = entityOf(q.entity, null);
        for (const [key, value] of Object.entries(q.values)) records.push({ entity, key, value: Number(value) });
      }
      this.commit(this.applied(records), records);
    }
    this.file = file;
  }

  /**
   * Kafka's ClientQuotaControlManager.alterClientQuotas: validates each entry and returns the
   * answers, in Kafka's order, and the records that make the valid changes (nothing is changed
   * here). `validIp` tells whether an IP entity's name that is no address literal resolves.
   */
  plan(entries: readonly { entity: readonly EntityData[]; ops: readonly AlterOp[] }[], validIp: (name: string) => boolean): AlterPlan {
    const results = new Map<string, AlterResult>();
    const records: QuotaRecord[] = [];
    for (const entry of entries) {
      // AlterClientQuotasRequest.entries() reads each entity into new HashMap<>(its size)
      const entity = entityOf(entry.entity, entry.entity.length);
      const key = entityKey(entity);
      const alterations = new Map<string, number | null>();
      for (const op of entry.ops) {
        if (alterations.has(op.key)) {
          // Kafka's own message for this is overwritten by the duplicate-entity one just below
          results.set(key, { entity, ...asResult(invalid(`Duplicate quota key ${op.key} not updating quota for this entity ${entityToString(entity)}`)) });
        } else alterations.set(op.key, op.remove ? null : op.value);
      }
      if (results.has(key)) {
        // a second entry for the same entity (the first one stands), or a key given twice
        results.set(key, { entity, ...asResult(invalid(`Ignoring duplicate entity ${entityToString(entity)}`)) });
        continue;
      }
      const problem = this.planEntity(entity, alterations, entry.ops.length, validIp, records);
      results.set(key, { entity, ...(problem === null ? { errorCode: ErrorCode.NONE, errorMessage: null } : asResult(problem)) });
    }
    if (records.length > MAX_RECORDS_PER_USER_OP) return { tooManyRecords: true };
    // the answers come from a HashMap keyed by entity
    return { results: javaHashMapOrder([...results.values()], r => entityHash(r.entity)), records };
  }

  /** alterClientQuotaEntity: appends the entity's records, or returns its problem (and appends none). */
  private planEntity(
    entity: QuotaEntity,
    alterations: Map<string, number | null>,
    opCount: number,
    validIp: (name: string) => boolean,
    records: QuotaRecord[],
  ): { code: number; message: string } | null {
    const problem = entityProblem(entity);
    if (problem !== null) return problem;
    const allowed = keysFor(entity, validIp);
    if ('problem' in allowed) return allowed.problem;
    const keys = allowed.keys;
    const current = this.entities.get(entityKey(entity))?.values;
    const own: QuotaRecord[] = [];
    for (const key of javaHashMapOrder([...alterations.keys()], javaHash, opCount)) {
      const value = alterations.get(key)!;
      if (value === null) {
        // a removal is not validated: removing what is not there is no change
        if (current?.has(key)) own.push({ entity, key, value: null });
        continue;
      }
      const bad = valueProblem(keys, key, value);
      if (bad !== null) return bad;
      if (!Object.is(current?.get(key), value)) own.push({ entity, key, value });
    }
    records.push(...own);
    return null;
  }

  /** Applies records (from plan()): saved first in disk mode, so a failed save changes nothing (it throws). */
  apply(records: readonly QuotaRecord[]): void {
    if (records.length === 0) return;
    const next = this.applied(records);
    if (this.file !== null) {
      const quotas = [...next.values()].map(s => ({ entity: s.entity, values: Object.fromEntries([...s.values].map(([k, v]) => [k, String(v)])) }));
      writeJsonFileAtomic(this.file, { version: 1, quotas });
    }
    this.commit(next, records);
  }

  /** The entities after `records`, leaving this store as it is. */
  private applied(records: readonly QuotaRecord[]): Map<string, Stored> {
    const next = new Map<string, Stored>();
    for (const [k, s] of this.entities) next.set(k, { entity: s.entity, values: new Map(s.values) });
    for (const r of records) {
      const k = entityKey(r.entity);
      let s = next.get(k);
      if (r.value === null) {
        s?.values.delete(r.key);
        if (s?.values.size === 0) next.delete(k);
        continue;
      }
      if (s === undefined) next.set(k, (s = { entity: r.entity, values: new Map() }));
      s.values.set(r.key, r.value);
    }
    return next;
  }

  private commit(next: Map<string, Stored>, records: readonly QuotaRecord[]): void {
    this.entities = next;
    for (const r of records) {
      const level = levelOf(r.entity);
      if (level !== 0 && r.key in this.enabledLevels) this.enabledLevels[r.key as UserClientQuotaKey] |= level;
    }
    const index = new Map<string, Map<Slot, Map<Slot, number>>>();
    for (const s of next.values()) {
      if (levelOf(s.entity) === 0) continue;
      const user = nameOf(s.entity, USER);
      const client = nameOf(s.entity, CLIENT_ID);
      for (const [key, value] of s.values) {
        let byUser = index.get(key);
        if (byUser === undefined) index.set(key, (byUser = new Map()));
        let byClient = byUser.get(user);
        if (byClient === undefined) byUser.set(user, (byClient = new Map()));
        byClient.set(client, value);
      }
    }
    this.index = index;
  }

  /**
   * ClientQuotasImage.describe: the entities matching every component (with `strict`, having no
   * other entity types). A bad filter throws KafkaError with Kafka's code and message.
   */
  describe(components: readonly DescribeComponent[], strict: boolean): DescribedEntry[] {
    const exact = new Map<string, string | null>();
    const any = new Set<string>();
    for (const c of components) {
      if (c.entityType === '') throw new KafkaError(ErrorCode.INVALID_REQUEST, 'Invalid empty entity type.');
      if (exact.has(c.entityType) || any.has(c.entityType)) {
        throw new KafkaError(ErrorCode.INVALID_REQUEST, `Entity type ${c.entityType} cannot appear more than once in the filter.`);
      }
      if (c.entityType !== IP && c.entityType !== USER && c.entityType !== CLIENT_ID) {
        throw new KafkaError(ErrorCode.UNSUPPORTED_VERSION, `Unsupported entity type ${c.entityType}`);
      }
      switch (c.matchType) {
        case MATCH_EXACT:
          if (c.match === null) throw new KafkaError(ErrorCode.INVALID_REQUEST, 'Request specified MATCH_TYPE_EXACT, but set match string to null.');
          exact.set(c.entityType, c.match);
          break;
        case MATCH_DEFAULT:
          if (c.match !== null) throw new KafkaError(ErrorCode.INVALID_REQUEST, 'Request specified MATCH_TYPE_DEFAULT, but also specified a match string.');
          exact.set(c.entityType, null);
          break;
        case MATCH_ANY:
          if (c.match !== null) throw new KafkaError(ErrorCode.INVALID_REQUEST, 'Request specified MATCH_TYPE_SPECIFIED, but also specified a match string.');
          any.add(c.entityType);
          break;
        default:
          throw new KafkaError(ErrorCode.INVALID_REQUEST, `Unknown match type ${c.matchType}`);
      }
    }
    const has = (type: string) => exact.has(type) || any.has(type);
    if (has(IP) && (has(USER) || has(CLIENT_ID))) {
      throw new KafkaError(ErrorCode.INVALID_REQUEST, 'Invalid entity filter component combination. IP filter component should not be used with user or clientId filter component.');
    }
    const out: DescribedEntry[] = [];
    for (const s of this.entities.values()) {
      if (strict && s.entity.length !== exact.size + any.size) continue;
      let matches = true;
      for (const [type, name] of exact) {
        const e = s.entity.find(x => x.entityType === type);
        if (e === undefined || e.entityName !== name) matches = false;
      }
      for (const type of any) if (!s.entity.some(x => x.entityType === type)) matches = false;
      if (!matches) continue;
      // the image's entities are maps built with new HashMap<>()
      out.push({ entity: entityOf(s.entity, null), values: [...s.values].map(([key, value]) => ({ key, value })) });
    }
    return out;
  }
}

function asResult(p: { code: number; message: string }): { errorCode: number; errorMessage: string } {
  return { errorCode: p.code, errorMessage: p.message };
}
