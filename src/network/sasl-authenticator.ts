// SASL authentication of one connection on a SASL_PLAINTEXT or SASL_SSL listener, as Kafka's
// SaslServerAuthenticator does it. Until the client has authenticated, every frame comes here:
// ApiVersions (once, first), then SaslHandshake naming a mechanism, then the mechanism's tokens -
// wrapped in SaslAuthenticate requests after a v1 handshake, bare size-prefixed tokens after a v0
// one. Any other request closes the connection. A failed authentication is answered with
// SASL_AUTHENTICATION_FAILED and Kafka's message, then the connection closes.
//
// Re-authentication (KIP-368): with connections.max.reauth.ms (or a credential that expires,
// OAUTHBEARER's token) the session has a lifetime, reported in SaslAuthenticate v1+. A client that
// spoke SaslAuthenticate v1+ re-authenticates on the same connection by sending SaslHandshake
// again, with the same mechanism and as the same principal; once the session has expired, any
// other request closes the connection.
import type { Broker, Outcome } from '../broker/broker.js';
import { decodeRequestFrame, encodeResponse } from '../broker/broker.js';
import type { ConnectionInfo } from '../broker/handler.js';
import { HANDLERS } from '../broker/handlers/index.js';
import { ErrorCode } from '../protocol/errors.js';
import { API_SPECS, type SaslAuthenticateRequest, type SaslHandshakeRequest } from '../protocol/messages/index.js';
import { samePrincipal, userPrincipal, type KafkaPrincipal } from '../security/principal.js';
import { createSaslServer, enabledMechanisms, SaslAuthenticationError, type SaslServer } from '../security/sasl/mechanism.js';

const SASL_HANDSHAKE = 17;
const API_VERSIONS = 18;
const SASL_AUTHENTICATE = 36;

type State =
  /** Nothing received yet: ApiVersions or SaslHandshake may come. */
  | 'initial'
  /** After ApiVersions: SaslHandshake must come. */
  | 'handshake'
  /** After SaslHandshake: the mechanism's tokens. */
  | 'authenticate'
  /** Re-authentication asked for a different mechanism: the next frame fails it. */
  | 'bad-mechanism'
  | 'complete';

/** What the authenticator needs of its connection. */
export interface AuthenticatedConnection extends ConnectionInfo {
  principal: KafkaPrincipal;
  describe(): string;
}

export class SaslAuthenticator {
  private state: State = 'initial';
  private server: SaslServer | null = null;
  private mechanism: string | null = null;
  /** After a v0 handshake the tokens come bare, not in SaslAuthenticate requests. */
  private rawTokens = false;
  /** Set once the client has sent SaslAuthenticate v1+ (Kafka's connectedClientSupportsReauthentication). */
  private clientReauthenticates = false;
  /** The principal and mechanism of the session being re-authenticated. */
  private reauth: { principal: KafkaPrincipal; mechanism: string; badMechanismMessage?: string } | null = null;
  /** When the session expires (ms since epoch); null: never. */
  private sessionExpiresAtMs: number | null = null;
  /** Frames larger than this close the connection before authentication (sasl.server.max.receive.size). */
  readonly maxReceiveSize: number;

  constructor(
    private readonly conn: AuthenticatedConnection,
    private readonly broker: Broker,
  ) {
    this.maxReceiveSize = broker.config.int('sasl.server.max.receive.size');
  }

  /** True once the first authentication completed (re-authentication keeps it true). */
  get authenticated(): boolean {
    return this.state === 'complete' || this.reauth !== null;
  }

  /**
   * Whether this frame is the authenticator's: every frame until authentication completes, a
   * SaslHandshake that begins re-authentication, and any frame once the session has expired.
   */
  intercepts(frame: Buffer): boolean {
    if (this.state !== 'complete') return true;
    const apiKey = frame.length >= 2 ? frame.readInt16BE(0) : -1;
    if (apiKey === SASL_HANDSHAKE && this.clientReauthenticates) return true;
    return this.sessionExpiresAtMs !== null && this.broker.clock.now() > this.sessionExpiresAtMs;
  }

  receive(frame: Buffer): Outcome {
    if (this.state === 'complete') {
      const apiKey = frame.length >= 2 ? frame.readInt16BE(0) : -1;
      if (apiKey !== SASL_HANDSHAKE || !this.clientReauthenticates) {
        return { kind: 'close', reason: 'the SASL session has expired (connections.max.reauth.ms or the credential\'s lifetime) and the client did not re-authenticate' };
      }
      this.reauth = { principal: this.conn.principal, mechanism: this.mechanism! };
      this.state = 'handshake';
      this.server = null;
    }
    switch (this.state) {
      case 'initial':
      case 'handshake':
        return this.handshake(frame);
      case 'bad-mechanism':
        return { kind: 'close', reason: this.reauth?.badMechanismMessage ?? 'bad mechanism' };
      default:
        return this.rawTokens ? this.rawToken(frame) : this.authenticate(frame);
    }
  }

  private get action(): string {
    return this.reauth === null ? 'authentication' : 're-authentication';
  }

  private handshake(frame: Buffer): Outcome {
    const apiKey = frame.length >= 2 ? frame.readInt16BE(0) : -1;
    if (apiKey === API_VERSIONS) {
      // only before the handshake, and once (Kafka's HANDSHAKE_OR_VERSIONS_REQUEST state)
      if (this.state !== 'initial' || this.reauth !== null) {
        return { kind: 'close', reason: `Unexpected ApiVersions request received during SASL ${this.action}` };
      }
      const outcome = this.broker.dispatch(this.conn, frame);
      if (outcome instanceof Promise) return { kind: 'close', reason: 'ApiVersions did not answer synchronously' };
      if (outcome.kind === 'close') return outcome;
      // a version too new is answered at v0 with UNSUPPORTED_VERSION: the client asks again
      const version = frame.readInt16BE(2);
      if (version <= maxVersion(API_VERSIONS)) this.state = 'handshake';
      return outcome;
    }
    if (apiKey !== SASL_HANDSHAKE) {
      return { kind: 'close', reason: `Unexpected Kafka request of type ${apiName(apiKey)} during SASL handshake.` };
    }
    const decoded = decodeRequestFrame(frame);
    if (typeof decoded === 'string') return { kind: 'close', reason: decoded };
    const req = decoded.request as SaslHandshakeRequest;
    const mechanisms = enabledMechanisms(this.broker.config, this.conn.listenerName);
    const respond = (errorCode: number, thenClose?: string): Outcome => ({
      kind: 'respond',
      chunks: encodeResponse(decoded.spec, decoded.version, decoded.correlationId, { errorCode, mechanisms }),
      ...(thenClose === undefined ? {} : { thenClose }),
    });
    if (!mechanisms.includes(req.mechanism)) {
      return respond(ErrorCode.UNSUPPORTED_SASL_MECHANISM, `Unsupported SASL mechanism ${req.mechanism}`);
    }
    this.rawTokens = decoded.version === 0;
    if (this.reauth !== null && this.reauth.mechanism !== req.mechanism) {
      this.reauth.badMechanismMessage = `SASL mechanism '${req.mechanism}' requested by client is not supported for re-authentication of mechanism '${this.reauth.mechanism}'`;
      this.state = 'bad-mechanism';
      return respond(ErrorCode.NONE);
    }
    this.mechanism = req.mechanism;
    this.server = createSaslServer(req.mechanism, {
      listenerName: this.conn.listenerName,
      config: this.broker.config,
      scram: this.broker.cluster.scramCredentials,
      now: () => this.broker.clock.now(),
      oauthBearerValidator: this.broker.security.oauthBearerValidator,
      reauthentication: this.reauth !== null,
    });
    this.state = 'authenticate';
    return respond(ErrorCode.NONE);
  }

  /** A v0 handshake's bare token: answered bare; a failure just closes (there is no way to say why). */
  private rawToken(frame: Buffer): Outcome {
    let response: Buffer;
    try {
      response = this.server!.evaluate(frame);
      if (this.server!.complete) this.finish();
    } catch (err) {
      return { kind: 'close', reason: `SASL ${this.action} failed: ${err instanceof Error ? err.message : String(err)}` };
    }
    const prefix = Buffer.alloc(4);
    prefix.writeInt32BE(response.length);
    return { kind: 'respond', chunks: [prefix, response] };
  }

  private authenticate(frame: Buffer): Outcome {
    const decoded = decodeRequestFrame(frame);
    if (typeof decoded === 'string') return { kind: 'close', reason: decoded };
    const { spec, version, correlationId } = decoded;
    if (spec.key !== SASL_AUTHENTICATE) {
      const message = `Unexpected Kafka request of type ${apiName(spec.key)} during SASL authentication.`;
      const handler = HANDLERS.get(spec.key)!;
      return { kind: 'respond', chunks: encodeResponse(spec, version, correlationId, handler.errorResponse(decoded.request, version, ErrorCode.ILLEGAL_SASL_STATE, message)), thenClose: message };
    }
    if (version > 0) this.clientReauthenticates = true;
    const req = decoded.request as SaslAuthenticateRequest;
    const server = this.server!;
    let authBytes: Buffer;
    let sessionLifetimeMs = 0;
    try {
      authBytes = server.evaluate(req.authBytes);
      if (server.complete) sessionLifetimeMs = this.finish();
    } catch (err) {
      // Kafka passes on a SaslAuthenticationException's message; any other failure gets the
      // generic one, which says nothing of whether the user exists
      const message = err instanceof SaslAuthenticationError
        ? err.message
        : `Authentication failed during ${this.action} due to invalid credentials with SASL mechanism ${this.mechanism}`;
      if (!(err instanceof SaslAuthenticationError)) this.broker.log.debug({ err, conn: this.conn.describe() }, 'SASL mechanism failed');
      return {
        kind: 'respond',
        chunks: encodeResponse(spec, version, correlationId, { errorCode: ErrorCode.SASL_AUTHENTICATION_FAILED, errorMessage: message, authBytes: Buffer.alloc(0), sessionLifetimeMs: 0 }),
        thenClose: `SASL ${this.action} failed (${this.mechanism}): ${message}`,
      };
    }
    return { kind: 'respond', chunks: encodeResponse(spec, version, correlationId, { errorCode: ErrorCode.NONE, errorMessage: null, authBytes, sessionLifetimeMs }) };
  }

  /** Authentication completed: the principal, and the session's lifetime (0: none). Throws when re-authentication changed the principal. */
  private finish(): number {
    const server = this.server!;
    const principal = userPrincipal(server.authorizationId());
    if (this.reauth !== null && !samePrincipal(this.reauth.principal, principal)) {
      const was = this.reauth.principal;
      throw new SaslAuthenticationError(`Cannot change principals during re-authentication from ${was.type}.${was.name}: ${principal.type}.${principal.name}`);
    }
    const now = this.broker.clock.now();
    const maxReauthMs = this.maxReauthMs(server.mechanism);
    const expiresAt = server.credentialExpiresAtMs();
    let lifetime = 0;
    if (expiresAt !== null || maxReauthMs > 0) {
      if (expiresAt === null) lifetime = maxReauthMs;
      else if (maxReauthMs <= 0) lifetime = Math.max(0, expiresAt - now);
      else lifetime = Math.max(0, Math.min(expiresAt - now, maxReauthMs));
      this.sessionExpiresAtMs = now + lifetime;
    } else this.sessionExpiresAtMs = null;
    this.conn.principal = principal;
    this.broker.log.debug({ conn: this.conn.describe(), principal: `${principal.type}:${principal.name}`, mechanism: server.mechanism, sessionLifetimeMs: lifetime }, `SASL ${this.action} complete`);
    this.state = 'complete';
    this.reauth = null;
    this.server = null;
    return lifetime;
  }

  /** connections.max.reauth.ms, as the listener and mechanism may override it. */
  private maxReauthMs(mechanism: string): number {
    const listener = this.conn.listenerName.toLowerCase();
    for (const key of [`listener.name.${listener}.${mechanism.toLowerCase()}.connections.max.reauth.ms`, `listener.name.${listener}.connections.max.reauth.ms`]) {
      const text = this.broker.config.staticText(key);
      if (text !== undefined && /^\d+$/.test(text.trim())) return Number(text.trim());
    }
    return Number(this.broker.config.get('connections.max.reauth.ms'));
  }
}

function apiName(apiKey: number): string {
  return API_NAMES.get(apiKey) ?? String(apiKey);
}

function maxVersion(apiKey: number): number {
  return API_MAX.get(apiKey) ?? 0;
}

// Kafka names ApiKeys in its messages by their enum names (e.g. METADATA)
const API_NAMES = new Map(API_SPECS.map(s => [s.key, s.name.replace(/([a-z])([A-Z])/g, '$1_$2').toUpperCase()]));
const API_MAX = new Map(API_SPECS.map(s => [s.key, s.maxVersion]));
