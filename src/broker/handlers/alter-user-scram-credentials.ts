// AlterUserScramCredentials (51): deletes and sets (upserts) users' SCRAM credentials as Kafka 4.1's
// controller does (ScramControlManager.alterCredentials). Each user may be altered once per
// request - a second deletion or upsertion for the same user, whatever the mechanism, fails that
// user with DUPLICATE_RESOURCE - and each alteration is validated: an empty user name
// (UNACCEPTABLE_CREDENTIAL), an unknown mechanism (UNSUPPORTED_SASL_MECHANISM), a deletion of a
// credential that does not exist (RESOURCE_NOT_FOUND), iterations outside 4096..16384
// (UNACCEPTABLE_CREDENTIAL). The client sends the salted password; the stored and server keys are
// derived from it here and it is not kept. The valid alterations are applied together; the
// answers come deletions first, then upsertions, then failures, each group in the order of
// Kafka's HashMap of it.
//
// The error response answers each distinct user named by the deletions and upsertions, sorted by
// name (not in request order), with the error and its message.
import { AclOperation } from '../../security/acls.js';
import { clusterDenied } from '../authorization.js';
import type { Handler } from '../handler.js';
import { javaHash } from '../../cluster/client-quotas.js';
import { ErrorCode } from '../../protocol/errors.js';
import { scramMechanismOfType, type ScramChange, type ScramMechanismInfo } from '../../security/scram-credentials.js';
import {
  defaultAlterUserScramCredentialsResponse,
  defaultAlterUserScramCredentialsResponseAlterUserScramCredentialsResult,
  type AlterUserScramCredentialsRequest,
  type AlterUserScramCredentialsRequestScramCredentialDeletion as Deletion,
  type AlterUserScramCredentialsRequestScramCredentialUpsertion as Upsertion,
  type AlterUserScramCredentialsResponse,
  type AlterUserScramCredentialsResponseAlterUserScramCredentialsResult as Result,
} from '../../protocol/messages/index.js';

/** ScramControlManager.MAX_ITERATIONS */
const MAX_ITERATIONS = 16384;

interface ApiError {
  code: number;
  message: string | null;
}

/**
 * A java.util.HashMap<String, V> (default capacity) as far as its iteration order goes: by bucket
 * of the current table, then by when the key was put (a removed key put again goes last). The
 * table doubles when the size passes three quarters of it, and never shrinks.
 */
class JavaHashMap<V> {
  private capacity = 16;
  private threshold = 12;
  private seq = 0;
  private readonly entries = new Map<string, { value: V; seq: number }>();

  has(key: string): boolean {
    return this.entries.has(key);
  }

  put(key: string, value: V): void {
    const e = this.entries.get(key);
    if (e !== undefined) {
      e.value = value;
      return;
    }
    this.entries.set(key, { value, seq: this.seq++ });
    if (this.entries.size > this.threshold) {
      this.capacity *= 2;
      this.threshold *= 2;
    }
  }

  remove(key: string): V | undefined {
    const e = this.entries.get(key);
    this.entries.delete(key);
    return e?.value;
  }

  ordered(): [string, V][] {
    const mask = this.capacity - 1;
    const bucket = (k: string) => {
      const h = javaHash(k);
      return (h ^ (h >>> 16)) & mask;
    };
    return [...this.entries]
      .map(([k, e]) => ({ k, e, b: bucket(k) }))
      .sort((x, y) => x.b - y.b || x.e.seq - y.e.seq)
      .map(x => [x.k, x.e.value]);
  }
}

const duplicate = (): ApiError => ({ code: ErrorCode.DUPLICATE_RESOURCE, message: 'A user credential cannot be altered twice in the same request' });

/** validateScramUsernameAndMechanism */
function usernameAndMechanismError(name: string, mechanism: ScramMechanismInfo | undefined): ApiError | null {
  if (name === '') return { code: ErrorCode.UNACCEPTABLE_CREDENTIAL, message: 'Username must not be empty' };
  if (mechanism === undefined) return { code: ErrorCode.UNSUPPORTED_SASL_MECHANISM, message: 'Unknown SCRAM mechanism' };
  return null;
}

export const handler: Handler<AlterUserScramCredentialsRequest, AlterUserScramCredentialsResponse> = {
  apiKey: 51,
  handle(ctx, req) {
    // ControllerApis: ALTER on the cluster, else every result refused with the exception's message
    if (ctx.broker.authorizer.enabled) {
      const denied = clusterDenied(ctx, AclOperation.ALTER);
      if (denied !== null) return handler.errorResponse(req, ctx.apiVersion, ErrorCode.CLUSTER_AUTHORIZATION_FAILED, denied);
    }
    const store = ctx.broker.cluster.scramCredentials;
    const userToDeletion = new JavaHashMap<Deletion>();
    const userToUpsert = new JavaHashMap<Upsertion>();
    const userToError = new JavaHashMap<ApiError>();

    for (const deletion of req.deletions) {
      if (userToError.has(deletion.name)) continue;
      if (userToDeletion.remove(deletion.name) !== undefined) {
        userToError.put(deletion.name, duplicate());
        continue;
      }
      const mechanism = scramMechanismOfType(deletion.mechanism);
      let error = usernameAndMechanismError(deletion.name, mechanism);
      if (error === null && !store.has(deletion.name, mechanism!)) {
        error = { code: ErrorCode.RESOURCE_NOT_FOUND, message: 'Attempt to delete a user credential that does not exist' };
      }
      if (error !== null) userToError.put(deletion.name, error);
      else userToDeletion.put(deletion.name, deletion);
    }
    for (const upsertion of req.upsertions) {
      if (userToError.has(upsertion.name)) continue;
      if (userToDeletion.remove(upsertion.name) !== undefined || userToUpsert.remove(upsertion.name) !== undefined) {
        userToError.put(upsertion.name, duplicate());
        continue;
      }
      const mechanism = scramMechanismOfType(upsertion.mechanism);
      let error = usernameAndMechanismError(upsertion.name, mechanism);
      if (error === null && upsertion.iterations < mechanism!.minIterations) error = { code: ErrorCode.UNACCEPTABLE_CREDENTIAL, message: 'Too few iterations' };
      else if (error === null && upsertion.iterations > MAX_ITERATIONS) error = { code: ErrorCode.UNACCEPTABLE_CREDENTIAL, message: 'Too many iterations' };
      if (error !== null) userToError.put(upsertion.name, error);
      else userToUpsert.put(upsertion.name, upsertion);
    }

    const results: Result[] = [];
    const changes: ScramChange[] = [];
    for (const [user, deletion] of userToDeletion.ordered()) {
      results.push({ user, errorCode: ErrorCode.NONE, errorMessage: null });
      changes.push({ op: 'delete', user, mechanism: scramMechanismOfType(deletion.mechanism)! });
    }
    for (const [user, upsertion] of userToUpsert.ordered()) {
      // Kafka derives the keys with an HMAC keyed by the salted password, which Java refuses when
      // empty ("Empty key"): an unexpected error, answered without its message
      if (upsertion.saltedPassword.length === 0) {
        userToError.put(user, { code: ErrorCode.UNKNOWN_SERVER_ERROR, message: null });
        continue;
      }
      results.push({ user, errorCode: ErrorCode.NONE, errorMessage: null });
      changes.push({
        op: 'upsert',
        user,
        mechanism: scramMechanismOfType(upsertion.mechanism)!,
        iterations: upsertion.iterations,
        salt: upsertion.salt,
        saltedPassword: upsertion.saltedPassword,
      });
    }
    for (const [user, error] of userToError.ordered()) results.push({ user, errorCode: error.code, errorMessage: error.message });

    if (changes.length > 0) {
      try {
        store.apply(changes);
      } catch (err) {
        ctx.log.error({ err }, 'saving the SCRAM credentials failed; nothing was changed');
        return handler.errorResponse(req, ctx.apiVersion, ErrorCode.UNKNOWN_SERVER_ERROR);
      }
      for (const c of changes) ctx.log.info({ user: c.user, mechanism: c.mechanism.name }, c.op === 'delete' ? 'SCRAM credential deleted' : 'SCRAM credential set');
    }
    return { throttleTimeMs: 0, results };
  },
  errorResponse(req, _version, code, message) {
    const users = new Set<string>();
    for (const deletion of req.deletions) users.add(deletion.name);
    for (const upsertion of req.upsertions) users.add(upsertion.name);
    // Default sort compares UTF-16 code units, as Java's String.compareTo does.
    return {
      ...defaultAlterUserScramCredentialsResponse(),
      results: [...users].sort().map(user => ({
        ...defaultAlterUserScramCredentialsResponseAlterUserScramCredentialsResult(),
        user,
        errorCode: code,
        errorMessage: message ?? null,
      })),
    };
  },
};
