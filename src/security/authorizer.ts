// The ACL authorizer: Kafka's StandardAuthorizer over the cluster's AclStore. A request's
// principal and client address are allowed or denied an operation on a resource; with no
// authorizer configured (authorizer.class.name empty) everything is allowed.
import { isIPv4, isIPv6 } from 'node:net';
import type { Logger } from 'pino';
import type { ConnectionInfo } from '../broker/handler.js';
import type { BrokerConfig } from '../cluster/configs.js';
import { principalString, type KafkaPrincipal } from './principal.js';
import {
  AclOperation,
  AclPermissionType,
  CLUSTER_NAME,
  PatternType,
  ResourceType,
  WILDCARD_HOST,
  WILDCARD_PRINCIPAL,
  WILDCARD_RESOURCE,
  operationName,
  type AclStore,
  type StoredAcl,
} from './acls.js';

/** authorizer.class.name values that select the ACL authorizer (the ZooKeeper-era names are taken as the same). */
export const STANDARD_AUTHORIZER = 'org.apache.kafka.metadata.authorizer.StandardAuthorizer';
const AUTHORIZER_CLASSES = new Set([STANDARD_AUTHORIZER, 'kafka.security.authorizer.AclAuthorizer', 'kafka.security.auth.SimpleAclAuthorizer']);

/** Whether `config` turns ACL authorization on; throws, for a startup error, on a class Samsa does not have. */
export function checkAuthorizerConfig(config: BrokerConfig): boolean {
  const name = (config.str('authorizer.class.name') ?? '').trim();
  if (name === '') return false;
  if (!AUTHORIZER_CLASSES.has(name)) {
    throw new Error(`authorizer.class.name: ${name} is not an authorizer Samsa has; use ${STANDARD_AUTHORIZER}, or leave it empty for no authorization`);
  }
  return true;
}

/**
 * super.users as StandardAuthorizer.getConfiguredSuperUsers reads it: principals separated by
 * ';', trimmed, empty ones skipped; each must be Type:name (Kafka fails to start otherwise).
 */
export function parseSuperUsers(value: string | null): Set<string> {
  const out = new Set<string>();
  if (value === null) return out;
  for (const part of value.split(';')) {
    const v = part.trim();
    if (v === '') continue;
    if (!v.includes(':')) throw new Error(`super.users: expected a string in format principalType:principalName but got ${v}`);
    out.add(v);
  }
  return out;
}

/** The operations of each resource type, in authorized-operations fields (Kafka's AclEntry.supportedOperations). */
const SUPPORTED_OPERATIONS: Readonly<Record<number, readonly number[]>> = {
  [ResourceType.TOPIC]: [
    AclOperation.READ,
    AclOperation.WRITE,
    AclOperation.CREATE,
    AclOperation.DESCRIBE,
    AclOperation.DELETE,
    AclOperation.ALTER,
    AclOperation.DESCRIBE_CONFIGS,
    AclOperation.ALTER_CONFIGS,
  ],
  [ResourceType.GROUP]: [AclOperation.READ, AclOperation.DESCRIBE, AclOperation.DELETE, AclOperation.DESCRIBE_CONFIGS, AclOperation.ALTER_CONFIGS],
  [ResourceType.CLUSTER]: [
    AclOperation.CREATE,
    AclOperation.CLUSTER_ACTION,
    AclOperation.DESCRIBE_CONFIGS,
    AclOperation.ALTER_CONFIGS,
    AclOperation.IDEMPOTENT_WRITE,
    AclOperation.ALTER,
    AclOperation.DESCRIBE,
  ],
  [ResourceType.TRANSACTIONAL_ID]: [AclOperation.DESCRIBE, AclOperation.WRITE],
  [ResourceType.DELEGATION_TOKEN]: [AclOperation.DESCRIBE],
  [ResourceType.USER]: [AclOperation.CREATE_TOKENS, AclOperation.DESCRIBE_TOKENS],
};

export function supportedOperations(resourceType: number): readonly number[] {
  const ops = SUPPORTED_OPERATIONS[resourceType];
  if (ops === undefined) throw new Error(`resource type ${resourceType} is not a concrete resource type`);
  return ops;
}

/**
 * A client address as Java's InetAddress.getHostAddress prints it, which is what ACL hosts are
 * compared with: IPv4-mapped IPv6 as plain IPv4, other IPv6 in full form without zero
 * compression or leading zeros ("::1" -> "0:0:0:0:0:0:0:1").
 */
export function hostAddress(address: string): string {
  const zoneAt = address.indexOf('%');
  const addr = zoneAt < 0 ? address : address.slice(0, zoneAt);
  const zone = zoneAt < 0 ? '' : address.slice(zoneAt);
  if (isIPv4(addr) || !isIPv6(addr)) return address;
  let text = addr.toLowerCase();
  const groups: number[] = [];
  // an embedded IPv4 tail is two groups
  const lastColon = text.lastIndexOf(':');
  const tail = text.slice(lastColon + 1);
  let v4: number[] | null = null;
  if (isIPv4(tail)) {
    v4 = tail.split('.').map(Number);
    text = text.slice(0, lastColon + 1) + '0:0';
  }
  const [head, rest] = text.includes('::') ? text.split('::') : [text, null];
  const parse = (s: string | undefined): number[] => (s === undefined || s === '' ? [] : s.split(':').map(g => parseInt(g, 16)));
  const h = parse(head);
  const r = rest === null ? [] : parse(rest);
  groups.push(...h, ...Array(8 - h.length - r.length).fill(0), ...r);
  if (v4 !== null) {
    groups[6] = (v4[0]! << 8) | v4[1]!;
    groups[7] = (v4[2]! << 8) | v4[3]!;
    if (groups.slice(0, 5).every(g => g === 0) && groups[5] === 0xffff) return `${v4.join('.')}${zone}`;
  } else if (groups.slice(0, 5).every(g => g === 0) && groups[5] === 0xffff) {
    return `${groups[6]! >> 8}.${groups[6]! & 0xff}.${groups[7]! >> 8}.${groups[7]! & 0xff}${zone}`;
  }
  return `${groups.map(g => g.toString(16)).join(':')}${zone}`;
}

/** The connection facts a decision needs (ConnectionInfo has them). */
export interface Requester {
  readonly principal: KafkaPrincipal;
  readonly remoteAddress: string;
}

/** What decided an authorization, as Kafka's audit log names it. */
type Rule = 'SuperUser' | 'DefaultAllow' | 'DefaultDeny' | StoredAcl;

/** StandardAuthorizerData.findResult: does `acl` ALLOW or DENY `op`, or not apply (null). */
function aclResult(acl: StoredAcl, principal: KafkaPrincipal, host: string, op: number): boolean | null {
  const samePrincipal = acl.principalType === principal.type && acl.principalName === principal.name;
  if (!samePrincipal && acl.principal !== WILDCARD_PRINCIPAL) return null;
  if (acl.host !== WILDCARD_HOST && acl.host !== host) return null;
  const allow = acl.permissionType === AclPermissionType.ALLOW;
  if (acl.operation !== AclOperation.ALL) {
    if (allow) {
      // only ALLOW ACLs imply: READ/WRITE/DELETE/ALTER allow DESCRIBE, ALTER_CONFIGS allows DESCRIBE_CONFIGS
      if (op === AclOperation.DESCRIBE) {
        if (!IMPLIES_DESCRIBE.has(acl.operation)) return null;
      } else if (op === AclOperation.DESCRIBE_CONFIGS) {
        if (acl.operation !== AclOperation.DESCRIBE_CONFIGS && acl.operation !== AclOperation.ALTER_CONFIGS) return null;
      } else if (acl.operation !== op) return null;
    } else if (acl.operation !== op) return null;
  }
  return allow;
}

const IMPLIES_DESCRIBE: ReadonlySet<number> = new Set([AclOperation.DESCRIBE, AclOperation.READ, AclOperation.WRITE, AclOperation.DELETE, AclOperation.ALTER]);

export class Authorizer {
  /** False: no authorizer is configured, everything is allowed and the ACL APIs answer SECURITY_DISABLED. */
  readonly enabled: boolean;
  readonly superUsers: ReadonlySet<string>;
  /** allow.everyone.if.no.acl.found: the answer for a resource no ACL applies to. */
  readonly allowIfNoAcl: boolean;

  constructor(
    config: BrokerConfig,
    readonly store: AclStore,
    private readonly log: Logger | null = null,
  ) {
    this.enabled = checkAuthorizerConfig(config);
    this.superUsers = parseSuperUsers(config.str('super.users'));
    this.allowIfNoAcl = config.bool('allow.everyone.if.no.acl.found');
  }

  /**
   * StandardAuthorizer.authorize of one action on a LITERAL resource: super users may do
   * anything; otherwise a matching DENY wins over any ALLOW; an ALLOW allows; and when no ACL at
   * all applies to the resource, allow.everyone.if.no.acl.found decides. `host` is the client's
   * address (hostAddress() puts it in Kafka's form).
   */
  authorize(principal: KafkaPrincipal, host: string, operation: number, resourceType: number, resourceName: string): boolean {
    return this.decide(principal, host, operation, resourceType, resourceName, true);
  }

  /** authorize() for a request's connection. */
  allows(conn: Requester, operation: number, resourceType: number, resourceName: string): boolean {
    return this.decide(conn.principal, conn.remoteAddress, operation, resourceType, resourceName, true);
  }

  /** authorize() of an operation on the cluster resource. */
  allowsCluster(conn: Requester, operation: number): boolean {
    return this.decide(conn.principal, conn.remoteAddress, operation, ResourceType.CLUSTER, CLUSTER_NAME, true);
  }

  /**
   * Kafka's Authorizer.authorizeByResourceType: may the principal perform `operation` on at
   * least one resource of the type? True when it may on a resource no ACL names (super users,
   * allow.everyone.if.no.acl.found, wildcard ALLOWs); else when some ALLOW pattern for the
   * operation (or ALL) is not covered by a DENY literal of the same name or a DENY prefix of it.
   * Operations are not implied here.
   */
  authorizeByResourceType(principal: KafkaPrincipal, host: string, operation: number, resourceType: number): boolean {
    if (resourceType === ResourceType.ANY) throw new Error('Must specify a non-filter resource type for authorizeByResourceType');
    if (resourceType === ResourceType.UNKNOWN) throw new Error('Unknown resource type');
    if (operation === AclOperation.ANY) throw new Error('Must specify a non-filter operation type for authorizeByResourceType');
    if (operation === AclOperation.UNKNOWN) throw new Error('Unknown operation type');
    if (!this.enabled) return true;
    // a name no ACL is likely to mention: super users and the no-ACL default are allowed through it
    if (this.decide(principal, host, operation, resourceType, 'hardcode', false)) return true;
    const address = hostAddress(host);
    const denyLiteral = new Set<string>();
    const denyPrefixed = new Set<string>();
    const allowLiteral = new Set<string>();
    const allowPrefixed = new Set<string>();
    let wildcardAllow = false;
    const { literal, prefixed } = this.store.ofType(resourceType);
    for (const [byName, isPrefixed] of [
      [literal, false],
      [prefixed, true],
    ] as const) {
      for (const acls of byName.values()) {
        for (const acl of acls) {
          if (acl.host !== address && acl.host !== WILDCARD_HOST) continue;
          const samePrincipal = acl.principalType === principal.type && acl.principalName === principal.name;
          if (!samePrincipal && acl.principal !== WILDCARD_PRINCIPAL) continue;
          if (acl.operation !== operation && acl.operation !== AclOperation.ALL) continue;
          if (acl.permissionType === AclPermissionType.DENY) {
            if (!isPrefixed && acl.resourceName === WILDCARD_RESOURCE) return false;
            (isPrefixed ? denyPrefixed : denyLiteral).add(acl.resourceName);
          } else if (acl.permissionType === AclPermissionType.ALLOW) {
            // a wildcard DENY found later still wins
            if (!isPrefixed && acl.resourceName === WILDCARD_RESOURCE) wildcardAllow = true;
            else (isPrefixed ? allowPrefixed : allowLiteral).add(acl.resourceName);
          }
        }
      }
    }
    if (wildcardAllow) return true;
    const dominated = (name: string): boolean => {
      for (let i = 1; i <= name.length; i++) if (denyPrefixed.has(name.slice(0, i))) return true;
      return false;
    };
    for (const name of allowLiteral) if (!denyLiteral.has(name) && !dominated(name)) return true;
    for (const name of allowPrefixed) if (!dominated(name)) return true;
    return false;
  }

  /**
   * The authorized-operations bit field Kafka puts in Metadata, DescribeCluster, DescribeGroups...
   * (bit i set when operation id i is allowed): of `candidates`, by default the resource type's
   * supported operations. Without an authorizer every candidate is set.
   */
  authorizedOperations(principal: KafkaPrincipal, host: string, resourceType: number, resourceName: string, candidates: readonly number[] = supportedOperations(resourceType)): number {
    let bits = 0;
    for (const op of candidates) if (!this.enabled || this.decide(principal, host, op, resourceType, resourceName, false)) bits |= 1 << op;
    return bits;
  }

  private decide(principal: KafkaPrincipal, host: string, operation: number, resourceType: number, resourceName: string, logIfDenied: boolean): boolean {
    if (!this.enabled) return true;
    const rule = this.superUsers.has(principalString(principal)) ? 'SuperUser' : this.findRule(principal, hostAddress(host), operation, resourceType, resourceName);
    const allowed = rule === 'SuperUser' || rule === 'DefaultAllow' || (typeof rule === 'object' && rule.permissionType === AclPermissionType.ALLOW);
    if (!allowed && logIfDenied && this.log !== null && this.log.isLevelEnabled('debug')) {
      this.log.debug(
        `Principal = ${principalString(principal)} is Denied operation = ${operationName(operation)} from host = ${hostAddress(host)} on resource = ${resourceLabel(resourceType, resourceName)} based on rule ${ruleLabel(rule)}`,
      );
    }
    return allowed;
  }

  /** StandardAuthorizerData.findAclRule: the deciding ACL, or the default. */
  private findRule(principal: KafkaPrincipal, host: string, operation: number, resourceType: number, resourceName: string): Rule {
    const { literal, prefixed } = this.store.ofType(resourceType);
    let allow: StoredAcl | null = null;
    let hasResourceAcls = false;
    const scan = (acls: readonly StoredAcl[] | undefined): StoredAcl | null => {
      if (acls === undefined) return null;
      for (const acl of acls) {
        hasResourceAcls = true;
        const result = aclResult(acl, principal, host, operation);
        if (result === false) return acl;
        if (result === true) allow = acl;
      }
      return null;
    };
    const deny = scan(literal.get(resourceName)) ?? (resourceName === WILDCARD_RESOURCE ? null : scan(literal.get(WILDCARD_RESOURCE))) ?? this.scanPrefixes(prefixed, resourceName, scan);
    if (deny !== null) return deny;
    if (allow !== null) return allow;
    // an ACL on the resource that grants nothing denies; only no ACL at all leaves it to the default
    if (hasResourceAcls) return 'DefaultDeny';
    return this.allowIfNoAcl ? 'DefaultAllow' : 'DefaultDeny';
  }

  private scanPrefixes(prefixed: ReadonlyMap<string, readonly StoredAcl[]>, name: string, scan: (acls: readonly StoredAcl[] | undefined) => StoredAcl | null): StoredAcl | null {
    if (prefixed.size === 0) return null;
    for (let i = 1; i <= name.length; i++) {
      const deny = scan(prefixed.get(name.slice(0, i)));
      if (deny !== null) return deny;
    }
    return null;
  }
}

const RESOURCE_LABELS: Record<number, string> = {
  [ResourceType.TOPIC]: 'Topic',
  [ResourceType.GROUP]: 'Group',
  [ResourceType.CLUSTER]: 'Cluster',
  [ResourceType.TRANSACTIONAL_ID]: 'TransactionalId',
  [ResourceType.DELEGATION_TOKEN]: 'DelegationToken',
  [ResourceType.USER]: 'User',
};

/** The audit log's resource: ResourceType in Pascal case, pattern type, name. */
const resourceLabel = (type: number, name: string): string => `${RESOURCE_LABELS[type] ?? 'Unknown'}:LITERAL:${name}`;

function ruleLabel(rule: Rule): string {
  if (typeof rule === 'string') return rule;
  const pattern = rule.patternType === PatternType.PREFIXED ? 'PREFIXED' : 'LITERAL';
  return `MatchingAcl(acl=StandardAcl(resourceType=${RESOURCE_LABELS[rule.resourceType]?.toUpperCase() ?? 'UNKNOWN'}, resourceName=${rule.resourceName}, patternType=${pattern}, principal=${rule.principal}, host=${rule.host}, operation=${operationName(rule.operation)}, permissionType=${rule.permissionType === AclPermissionType.ALLOW ? 'ALLOW' : 'DENY'}))`;
}

/**
 * The message of Kafka's ClusterAuthorizationException for a request refused an operation on the
 * cluster (AuthHelper.authorizeClusterOperation: "Request <request> is not authorized."), with
 * the request described as Kafka's RequestChannel.Request prints itself.
 */
export function clusterNotAuthorizedMessage(
  conn: Pick<ConnectionInfo, 'id' | 'localAddress' | 'localPort' | 'remoteAddress' | 'remotePort' | 'listenerName' | 'securityProtocol' | 'principal'>,
): string {
  const connectionId = `${conn.localAddress}:${conn.localPort}-${conn.remoteAddress}:${conn.remotePort}-0-${conn.id}`;
  const session = `Session(${principalString(conn.principal)},/${hostAddress(conn.remoteAddress)})`;
  return `Request Request(processor=0, connectionId=${connectionId}, session=${session}, listenerName=ListenerName(${conn.listenerName}), securityProtocol=${conn.securityProtocol}, buffer=null, envelope=None) is not authorized.`;
}
