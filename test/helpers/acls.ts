// ACL test setup: brokers with the ACL authorizer and no ACLs, bindings put in the cluster's store
// directly (no CreateAcls request, so no ACL needed to make them), and topics created behind the
// APIs' back. Over PLAINTEXT the requester is User:ANONYMOUS, so that is whom the bindings name.
import type { Test } from 'tap';
import type { RunningBroker } from '../../src/index.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import {
  AclOperation as Op,
  AclPermissionType as Perm,
  PatternType as Pat,
  ResourceType as Res,
  filterOf,
  type AclBinding,
  type AclStore,
} from '../../src/security/acls.js';
import { testBroker, testClient } from './broker.js';
import type { TestClient } from './client.js';

export const STANDARD_AUTHORIZER = 'org.apache.kafka.metadata.authorizer.StandardAuthorizer';

/** A plain binding to vary in store and authorizer tests: User:alice may READ the topic orders. */
export const ALICE_READS_ORDERS: AclBinding = {
  resourceType: Res.TOPIC,
  resourceName: 'orders',
  patternType: Pat.LITERAL,
  principal: 'User:alice',
  host: '*',
  operation: Op.READ,
  permissionType: Perm.ALLOW,
};

/** An ACL for the PLAINTEXT requester, User:ANONYMOUS. */
export const anonymousAcl = (resourceType: number, resourceName: string, operation: number, permissionType: number = Perm.ALLOW, patternType: number = Pat.LITERAL): AclBinding => ({
  resourceType,
  resourceName,
  patternType,
  principal: 'User:ANONYMOUS',
  host: '*',
  operation,
  permissionType,
});

/** Adds bindings to a store; one it refuses is a mistake of the test, thrown. */
export function addAcls(store: AclStore, acls: readonly AclBinding[]): void {
  for (const r of store.create(acls)) if (r.errorCode !== ErrorCode.NONE) throw new Error(`bad test ACL: ${r.errorMessage}`);
}

/** Adds bindings to the broker's cluster. */
export function grant(b: RunningBroker, ...acls: AclBinding[]): void {
  addAcls(b.cluster.acls, acls);
}

/** Removes exactly these bindings from the broker's cluster. */
export function revoke(b: RunningBroker, ...acls: AclBinding[]): void {
  b.cluster.acls.delete(acls.map(filterOf));
}

/** Adds ACLs for User:ANONYMOUS: ALLOW, any host, literal, the cluster, unless the fields say otherwise. */
export function allow(b: RunningBroker, ...acls: (Partial<AclBinding> & { resourceType: number; operation: number })[]): void {
  grant(b, ...acls.map(a => ({ resourceName: 'kafka-cluster', patternType: Pat.LITERAL, principal: 'User:ANONYMOUS', host: '*', permissionType: Perm.ALLOW, ...a })));
}
export const onTopic = (resourceName: string, operation: number) => ({ resourceType: Res.TOPIC, resourceName, operation });
export const onCluster = (operation: number) => ({ resourceType: Res.CLUSTER, operation });

/** Creates a topic behind the APIs' back (no request, so no ACL needed), replicated as the broker's default; returns its id. */
export function createTopicDirectly(b: RunningBroker, name: string, partitions = 1): string {
  const plan = b.cluster.planTopic({ name, numPartitions: partitions, replicationFactor: -1, assignments: null, configs: new Map() });
  return b.cluster.createTopic(name, plan.replicas, plan.configs).id;
}

/** A broker with the ACL authorizer and no ACLs: User:ANONYMOUS may do nothing until granted. */
export function securedBroker(t: Test, config: Record<string, string | number | boolean> = {}): Promise<RunningBroker> {
  return testBroker(t, { config: { 'authorizer.class.name': STANDARD_AUTHORIZER, ...config } });
}

/** A secured broker, a client of it, and its ACLs and topics at hand. */
export interface Secured {
  b: RunningBroker;
  c: TestClient;
  grant(...acls: AclBinding[]): void;
  revoke(...acls: AclBinding[]): void;
  /** Creates a topic straight in the cluster (no CreateTopics authorization in the way); its id. */
  topic(name: string, partitions?: number): string;
}

export async function securedWithClient(t: Test, config: Record<string, string | number | boolean> = {}): Promise<Secured> {
  const b = await securedBroker(t, config);
  const c = await testClient(t, b);
  return {
    b,
    c,
    grant: (...acls) => grant(b, ...acls),
    revoke: (...acls) => revoke(b, ...acls),
    topic: (name, partitions) => createTopicDirectly(b, name, partitions),
  };
}
