// ACLs: Kafka's ACL vocabulary with its wire ids, bindings and binding filters with Kafka's
// matching rules (AclBindingFilter, ResourcePatternFilter, AccessControlEntryFilter), and the
// cluster's durable store of bindings. Creations and deletions are validated and applied as
// Kafka 4.1's AclApis and controller (AclControlManager) do; in disk mode the store is kept in
// its own file of the data directory, rewritten atomically on every change.
import path from 'node:path';
import { ErrorCode } from '../protocol/errors.js';
import { readJsonFile, writeJsonFileAtomic } from '../storage/checkpoint.js';

export const ACLS_FILE = 'samsa-acls.json';

// --- Kafka's enums, by wire id ----------------------------------------------------------------

export const ResourceType = {
  UNKNOWN: 0,
  ANY: 1,
  TOPIC: 2,
  GROUP: 3,
  CLUSTER: 4,
  TRANSACTIONAL_ID: 5,
  DELEGATION_TOKEN: 6,
  USER: 7,
} as const;
export type ResourceType = (typeof ResourceType)[keyof typeof ResourceType];

export const PatternType = {
  UNKNOWN: 0,
  ANY: 1,
  MATCH: 2,
  LITERAL: 3,
  PREFIXED: 4,
} as const;
export type PatternType = (typeof PatternType)[keyof typeof PatternType];

export const AclOperation = {
  UNKNOWN: 0,
  ANY: 1,
  ALL: 2,
  READ: 3,
  WRITE: 4,
  CREATE: 5,
  DELETE: 6,
  ALTER: 7,
  DESCRIBE: 8,
  CLUSTER_ACTION: 9,
  DESCRIBE_CONFIGS: 10,
  ALTER_CONFIGS: 11,
  IDEMPOTENT_WRITE: 12,
  CREATE_TOKENS: 13,
  DESCRIBE_TOKENS: 14,
} as const;
export type AclOperation = (typeof AclOperation)[keyof typeof AclOperation];

export const AclPermissionType = {
  UNKNOWN: 0,
  ANY: 1,
  DENY: 2,
  ALLOW: 3,
} as const;
export type AclPermissionType = (typeof AclPermissionType)[keyof typeof AclPermissionType];

function namesOf(table: Record<string, number>): string[] {
  const out: string[] = [];
  for (const [name, id] of Object.entries(table)) out[id] = name;
  return out;
}
const RESOURCE_TYPE_NAMES = namesOf(ResourceType);
const PATTERN_TYPE_NAMES = namesOf(PatternType);
const OPERATION_NAMES = namesOf(AclOperation);
const PERMISSION_TYPE_NAMES = namesOf(AclPermissionType);

// Kafka's fromCode: an id it does not know reads as UNKNOWN
export const resourceTypeOf = (id: number): ResourceType => (RESOURCE_TYPE_NAMES[id] === undefined ? ResourceType.UNKNOWN : (id as ResourceType));
export const patternTypeOf = (id: number): PatternType => (PATTERN_TYPE_NAMES[id] === undefined ? PatternType.UNKNOWN : (id as PatternType));
export const operationOf = (id: number): AclOperation => (OPERATION_NAMES[id] === undefined ? AclOperation.UNKNOWN : (id as AclOperation));
export const permissionTypeOf = (id: number): AclPermissionType => (PERMISSION_TYPE_NAMES[id] === undefined ? AclPermissionType.UNKNOWN : (id as AclPermissionType));

// The enum constant names, as Kafka's messages print them (TOPIC, PREFIXED, DESCRIBE_CONFIGS, ...)
export const resourceTypeName = (t: number): string => RESOURCE_TYPE_NAMES[resourceTypeOf(t)]!;
export const patternTypeName = (t: number): string => PATTERN_TYPE_NAMES[patternTypeOf(t)]!;
export const operationName = (op: number): string => OPERATION_NAMES[operationOf(op)]!;
export const permissionTypeName = (p: number): string => PERMISSION_TYPE_NAMES[permissionTypeOf(p)]!;

/** The name of the one CLUSTER resource (Kafka's Resource.CLUSTER_NAME). */
export const CLUSTER_NAME = 'kafka-cluster';
/** A LITERAL resource name matching every resource of its type. */
export const WILDCARD_RESOURCE = '*';
/** The host of an ACL that matches every host. */
export const WILDCARD_HOST = '*';
/** The principal of an ACL that matches every principal. */
export const WILDCARD_PRINCIPAL = 'User:*';

/** Kafka's QuorumController.MAX_RECORDS_PER_USER_OP: ACL records one request may produce. */
export const MAX_RECORDS_PER_USER_OP = 10_000;

// --- bindings and filters ---------------------------------------------------------------------

/** An ACL: a resource pattern and an access control entry (Kafka's AclBinding). */
export interface AclBinding {
  readonly resourceType: number;
  readonly resourceName: string;
  readonly patternType: number;
  readonly principal: string;
  readonly host: string;
  readonly operation: number;
  readonly permissionType: number;
}

/**
 * Kafka's AclBindingFilter: null name, principal or host match anything; ANY matches any type,
 * operation or permission; pattern type MATCH matches the patterns that apply to the named
 * resource (the literal name, the literal wildcard, and prefixes of it).
 */
export interface AclBindingFilter {
  readonly resourceType: number;
  readonly resourceName: string | null;
  readonly patternType: number;
  readonly principal: string | null;
  readonly host: string | null;
  readonly operation: number;
  readonly permissionType: number;
}

export const ANY_FILTER: AclBindingFilter = Object.freeze({
  resourceType: ResourceType.ANY,
  resourceName: null,
  patternType: PatternType.ANY,
  principal: null,
  host: null,
  operation: AclOperation.ANY,
  permissionType: AclPermissionType.ANY,
});

/** The filter matching exactly this binding (Kafka's AclBinding.toFilter). */
export const filterOf = (b: AclBinding): AclBindingFilter => ({ ...b });

/** ResourcePatternFilter.matches. */
export function patternFilterMatches(filter: AclBindingFilter, b: AclBinding): boolean {
  const type = resourceTypeOf(filter.resourceType);
  if (type !== ResourceType.ANY && type !== b.resourceType) return false;
  const pattern = patternTypeOf(filter.patternType);
  if (pattern !== PatternType.ANY && pattern !== PatternType.MATCH && pattern !== b.patternType) return false;
  const name = filter.resourceName;
  if (name === null) return true;
  if (pattern === PatternType.ANY || pattern === b.patternType) return name === b.resourceName;
  // MATCH: the patterns that would apply to a resource of this name
  if (b.patternType === PatternType.LITERAL) return name === b.resourceName || b.resourceName === WILDCARD_RESOURCE;
  if (b.patternType === PatternType.PREFIXED) return name.startsWith(b.resourceName);
  return false;
}

/** AccessControlEntryFilter.matches: principal and host compared as given, not parsed. */
export function entryFilterMatches(filter: AclBindingFilter, b: AclBinding): boolean {
  if (filter.principal !== null && filter.principal !== b.principal) return false;
  if (filter.host !== null && filter.host !== b.host) return false;
  const op = operationOf(filter.operation);
  if (op !== AclOperation.ANY && op !== b.operation) return false;
  const permission = permissionTypeOf(filter.permissionType);
  return permission === AclPermissionType.ANY || permission === b.permissionType;
}

/** AclBindingFilter.matches. */
export const filterMatches = (filter: AclBindingFilter, b: AclBinding): boolean => patternFilterMatches(filter, b) && entryFilterMatches(filter, b);

/**
 * Fields whose raw id is 0 (UNKNOWN): Kafka's CreateAcls, DescribeAcls and DeleteAcls requests
 * refuse these as they are parsed (IllegalArgumentException), and the broker closes the
 * connection without an answer. Ids Kafka does not know (99) parse fine and read as UNKNOWN.
 */
export function hasUnknownIds(x: { resourceType: number; patternType: number; operation: number; permissionType: number }): boolean {
  return x.resourceType === 0 || x.patternType === 0 || x.operation === 0 || x.permissionType === 0;
}

/**
 * Why Kafka cannot even build this binding (the IllegalArgumentException of the ResourcePattern
 * and AccessControlEntry constructors), or null. AclApis builds every binding of a CreateAcls
 * request before anything else, so one such creation fails the whole request with
 * UNKNOWN_SERVER_ERROR.
 */
export function bindingConstructionProblem(b: AclBinding): string | null {
  if (resourceTypeOf(b.resourceType) === ResourceType.ANY) return 'resourceType must not be ANY';
  const pattern = patternTypeOf(b.patternType);
  if (pattern === PatternType.MATCH || pattern === PatternType.ANY) return `patternType must not be ${patternTypeName(pattern)}`;
  if (operationOf(b.operation) === AclOperation.ANY) return 'operation must not be ANY';
  if (permissionTypeOf(b.permissionType) === AclPermissionType.ANY) return 'permissionType must not be ANY';
  return null;
}

/** The binding with ids Kafka does not know read as UNKNOWN (CreateAclsRequest.aclBinding). */
export function normalizedBinding(b: AclBinding): AclBinding {
  return {
    resourceType: resourceTypeOf(b.resourceType),
    resourceName: b.resourceName,
    patternType: patternTypeOf(b.patternType),
    principal: b.principal,
    host: b.host,
    operation: operationOf(b.operation),
    permissionType: permissionTypeOf(b.permissionType),
  };
}

/** The filter with ids Kafka does not know read as UNKNOWN (DeleteAclsRequest.filters). */
export function normalizedFilter(f: AclBindingFilter): AclBindingFilter {
  return {
    resourceType: resourceTypeOf(f.resourceType),
    resourceName: f.resourceName,
    patternType: patternTypeOf(f.patternType),
    principal: f.principal,
    host: f.host,
    operation: operationOf(f.operation),
    permissionType: permissionTypeOf(f.permissionType),
  };
}

/** One binding's answer: NONE (message null) or the error. */
export interface AclCreateResult {
  errorCode: number;
  errorMessage: string | null;
}

/** One filter's answer: the bindings it removed, or the error (and none). */
export interface AclDeleteResult {
  errorCode: number;
  errorMessage: string | null;
  deleted: AclBinding[];
}

const OK: AclCreateResult = Object.freeze({ errorCode: ErrorCode.NONE, errorMessage: null });
const invalid = (message: string): AclCreateResult => ({ errorCode: ErrorCode.INVALID_REQUEST, errorMessage: message });

/** AclApis.handleCreateAcls's own checks, made before the controller sees the creation. */
function apiProblem(b: AclBinding): AclCreateResult | null {
  if (b.resourceType === ResourceType.CLUSTER && b.resourceName !== CLUSTER_NAME) {
    return invalid(`The only valid name for the CLUSTER resource is ${CLUSTER_NAME}`);
  }
  if (b.resourceName === '') return invalid('Invalid empty resource name');
  return null;
}

/** AclControlManager.validateNewAcl. */
function controllerProblem(b: AclBinding): AclCreateResult | null {
  const type = resourceTypeOf(b.resourceType);
  if (type === ResourceType.UNKNOWN || type === ResourceType.ANY) return invalid(`Invalid resourceType ${resourceTypeName(type)}`);
  const pattern = patternTypeOf(b.patternType);
  if (pattern !== PatternType.LITERAL && pattern !== PatternType.PREFIXED) return invalid(`Invalid patternType ${patternTypeName(pattern)}`);
  const op = operationOf(b.operation);
  if (op === AclOperation.UNKNOWN || op === AclOperation.ANY) return invalid(`Invalid operation ${operationName(op)}`);
  const permission = permissionTypeOf(b.permissionType);
  if (permission !== AclPermissionType.DENY && permission !== AclPermissionType.ALLOW) return invalid(`Invalid permissionType ${permissionTypeName(permission)}`);
  if (b.resourceName === '') return invalid('Resource name should not be empty');
  // KAFKA-18051 (4.0): a principal is Type:name
  if (!b.principal.includes(':')) {
    return invalid(`Could not parse principal from \`${b.principal}\` (no colon is present separating the principal type from the principal name)`);
  }
  return null;
}

/** AclControlManager.validateFilter. */
function filterProblem(f: AclBindingFilter): string | null {
  if (resourceTypeOf(f.resourceType) === ResourceType.UNKNOWN || patternTypeOf(f.patternType) === PatternType.UNKNOWN) return 'Unknown patternFilter.';
  if (operationOf(f.operation) === AclOperation.UNKNOWN || permissionTypeOf(f.permissionType) === AclPermissionType.UNKNOWN) return 'Unknown entryFilter.';
  return null;
}

/** Kafka's StandardAcl order: resource type, resource name REVERSED, pattern type, operation, principal, host, permission. */
export function compareAcls(a: AclBinding, b: AclBinding): number {
  return (
    a.resourceType - b.resourceType ||
    compareStrings(b.resourceName, a.resourceName) ||
    a.patternType - b.patternType ||
    a.operation - b.operation ||
    compareStrings(a.principal, b.principal) ||
    compareStrings(a.host, b.host) ||
    a.permissionType - b.permissionType
  );
}

// UTF-16 code unit order, as Java's String.compareTo
const compareStrings = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

const keyOf = (b: AclBinding): string => JSON.stringify([b.resourceType, b.resourceName, b.patternType, b.principal, b.host, b.operation, b.permissionType]);

// --- the store --------------------------------------------------------------------------------

/** A stored ACL, with its principal split as StandardAcl.kafkaPrincipal does (at the first ':'). */
export interface StoredAcl extends AclBinding {
  readonly principalType: string;
  readonly principalName: string;
}

/** The ACLs of one resource type, by the resource name of their pattern. */
export interface ResourceTypeAcls {
  readonly literal: ReadonlyMap<string, readonly StoredAcl[]>;
  readonly prefixed: ReadonlyMap<string, readonly StoredAcl[]>;
}

const EMPTY_TYPE: ResourceTypeAcls = Object.freeze({ literal: new Map(), prefixed: new Map() });

function stored(b: AclBinding): StoredAcl {
  const i = b.principal.indexOf(':');
  return {
    resourceType: b.resourceType,
    resourceName: b.resourceName,
    patternType: b.patternType,
    principal: b.principal,
    host: b.host,
    operation: b.operation,
    permissionType: b.permissionType,
    principalType: i < 0 ? b.principal : b.principal.slice(0, i),
    principalName: i < 0 ? '' : b.principal.slice(i + 1),
  };
}

/** A binding as the protocol and the store's callers see it (no derived fields). */
const bindingOf = (a: StoredAcl): AclBinding => ({
  resourceType: a.resourceType,
  resourceName: a.resourceName,
  patternType: a.patternType,
  principal: a.principal,
  host: a.host,
  operation: a.operation,
  permissionType: a.permissionType,
});

interface FileAcl {
  resourceType: string;
  resourceName: string;
  patternType: string;
  principal: string;
  host: string;
  operation: string;
  permissionType: string;
}

/** The cluster's ACLs: created, deleted and described as Kafka's controller does. */
export class AclStore {
  /** By binding key, in the order created. */
  private acls = new Map<string, StoredAcl>();
  /** By resource type: the authorizer's lookups. */
  private index = new Map<number, ResourceTypeAcls>();
  /** Disk mode: the file the ACLs are kept in. */
  private file: string | null = null;

  get count(): number {
    return this.acls.size;
  }

  /**
   * Disk mode: loads the ACLs kept in `dataDir` (none when the file does not exist yet) and keeps
   * every later change there. Null: memory mode, nothing is kept. Throws when the file is
   * unreadable or malformed.
   */
  openIn(dataDir: string | null): void {
    if (dataDir === null) {
      this.file = null;
      return;
    }
    const file = path.join(dataDir, ACLS_FILE);
    const parsed = readJsonFile<{ version: number; acls: FileAcl[] }>(file);
    if (parsed !== undefined) {
      if (parsed.version !== 1 || !Array.isArray(parsed.acls)) throw new Error(`${file}: unknown version ${parsed.version}`);
      const next = new Map<string, StoredAcl>();
      for (const a of parsed.acls) {
        const b = fromFile(a, file);
        next.set(keyOf(b), stored(b));
      }
      this.commit(next);
    }
    this.file = file;
  }

  /**
   * Creates ACLs as Kafka 4.1 does (AclApis, then AclControlManager.createAcls): an answer per
   * binding, in order. A binding already there, or given twice, is a success that adds nothing.
   * Bindings should come through normalizedBinding(); those Kafka cannot build at all
   * (bindingConstructionProblem) are the caller's to refuse first.
   */
  create(bindings: readonly AclBinding[]): AclCreateResult[] {
    const results: (AclCreateResult | null)[] = bindings.map(b => apiProblem(b));
    const added = new Map<string, StoredAcl>();
    for (let i = 0; i < bindings.length; i++) {
      if (results[i] !== null) continue;
      const b = bindings[i]!;
      const problem = controllerProblem(b);
      if (problem !== null) {
        results[i] = problem;
        continue;
      }
      const key = keyOf(b);
      if (!this.acls.has(key) && !added.has(key)) added.set(key, stored(b));
      results[i] = OK;
    }
    if (added.size > MAX_RECORDS_PER_USER_OP) {
      // the controller's records list is bounded: the controller fails the whole batch, which
      // every creation AclApis passed on is answered with (QuorumController: BoundedListTooLongException)
      const tooLarge = { errorCode: ErrorCode.POLICY_VIOLATION, errorMessage: 'Unable to perform excessively large batch operation.' };
      return results.map((r, i) => (apiProblem(bindings[i]!) === null ? { ...tooLarge } : r!));
    }
    if (added.size > 0) {
      const next = new Map(this.acls);
      for (const [k, a] of added) next.set(k, a);
      this.save(next);
      this.commit(next);
    }
    return results.map(r => ({ ...r! }));
  }

  /**
   * Deletes the ACLs matching each filter, as AclControlManager.deleteAcls: each filter reports
   * every ACL it matches (one matched by two filters is reported by both, removed once), or its
   * error. More than MAX_RECORDS_PER_USER_OP removals fail the whole request (KAFKA-19411).
   */
  delete(filters: readonly AclBindingFilter[]): AclDeleteResult[] {
    const results: AclDeleteResult[] = [];
    const removed = new Set<string>();
    for (const f of filters) {
      const problem = filterProblem(f);
      if (problem !== null) {
        results.push({ errorCode: ErrorCode.INVALID_REQUEST, errorMessage: problem, deleted: [] });
        continue;
      }
      const deleted: AclBinding[] = [];
      for (const [key, a] of this.acls) {
        if (!filterMatches(f, a)) continue;
        if (!removed.has(key) && removed.size === MAX_RECORDS_PER_USER_OP) {
          const message = `Cannot remove more than ${MAX_RECORDS_PER_USER_OP} acls in a single delete operation.`;
          return filters.map(() => ({ errorCode: ErrorCode.INVALID_REQUEST, errorMessage: message, deleted: [] }));
        }
        removed.add(key);
        deleted.push(bindingOf(a));
      }
      results.push({ errorCode: ErrorCode.NONE, errorMessage: null, deleted });
    }
    if (removed.size > 0) {
      const next = new Map(this.acls);
      for (const k of removed) next.delete(k);
      this.save(next);
      this.commit(next);
    }
    return results;
  }

  /** The ACLs matching `filter`, in Kafka's StandardAcl order (AclCache.acls). */
  describe(filter: AclBindingFilter): AclBinding[] {
    const out: AclBinding[] = [];
    for (const a of this.acls.values()) if (filterMatches(filter, a)) out.push(bindingOf(a));
    return out.sort(compareAcls);
  }

  /** Every ACL, in the order created. */
  all(): AclBinding[] {
    return [...this.acls.values()].map(bindingOf);
  }

  /** The ACLs of one resource type by pattern name (the authorizer's view; do not modify). */
  ofType(resourceType: number): ResourceTypeAcls {
    return this.index.get(resourceType) ?? EMPTY_TYPE;
  }

  /** Disk mode: writes the ACLs `next` holds, before they take effect (a failed write throws and changes nothing). */
  private save(next: Map<string, StoredAcl>): void {
    if (this.file === null) return;
    const acls = [...next.values()].map(toFile);
    writeJsonFileAtomic(this.file, { version: 1, acls });
  }

  private commit(next: Map<string, StoredAcl>): void {
    this.acls = next;
    const index = new Map<number, { literal: Map<string, StoredAcl[]>; prefixed: Map<string, StoredAcl[]> }>();
    for (const a of next.values()) {
      let byType = index.get(a.resourceType);
      if (byType === undefined) index.set(a.resourceType, (byType = { literal: new Map(), prefixed: new Map() }));
      const byName = a.patternType === PatternType.PREFIXED ? byType.prefixed : byType.literal;
      const list = byName.get(a.resourceName);
      if (list === undefined) byName.set(a.resourceName, [a]);
      else list.push(a);
    }
    this.index = index;
  }
}

function toFile(a: StoredAcl): FileAcl {
  return {
    resourceType: resourceTypeName(a.resourceType),
    resourceName: a.resourceName,
    patternType: patternTypeName(a.patternType),
    principal: a.principal,
    host: a.host,
    operation: operationName(a.operation),
    permissionType: permissionTypeName(a.permissionType),
  };
}

function fromFile(a: FileAcl, file: string): AclBinding {
  const id = (table: Record<string, number>, name: string, what: string): number => {
    const v = table[name];
    if (v === undefined) throw new Error(`${file}: unknown ${what} ${name}`);
    return v;
  };
  if (typeof a.resourceName !== 'string' || typeof a.principal !== 'string' || typeof a.host !== 'string') throw new Error(`${file}: malformed ACL ${JSON.stringify(a)}`);
  const b: AclBinding = {
    resourceType: id(ResourceType, a.resourceType, 'resource type'),
    resourceName: a.resourceName,
    patternType: id(PatternType, a.patternType, 'pattern type'),
    principal: a.principal,
    host: a.host,
    operation: id(AclOperation, a.operation, 'operation'),
    permissionType: id(AclPermissionType, a.permissionType, 'permission type'),
  };
  const problem = apiProblem(b) ?? controllerProblem(b);
  if (problem !== null) throw new Error(`${file}: invalid ACL ${JSON.stringify(a)}: ${problem.errorMessage}`);
  return b;
}
