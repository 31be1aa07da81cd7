// The server side of the SASL mechanisms a listener offers: which mechanisms are enabled, a
// SaslServer per authentication exchange, and the start-up check that each can work. The
// connection's SASL state machine (SaslHandshake, SaslAuthenticate, raw v0 tokens,
// re-authentication) drives these servers; they know nothing of the network.
import type { BrokerConfig } from '../../cluster/configs.js';
import type { ScramCredentialStore } from '../scram-credentials.js';
import { PlainSaslServer } from './plain.js';
import { ScramSaslServer } from './scram.js';
import { OAuthBearerSaslServer, oauthBearerOptions } from './oauthbearer.js';
import { JaasConfigError, PLAIN_LOGIN_MODULE, listenerJaasKey, plainUsers, serverJaasEntries } from './jaas.js';
import { scramMechanism } from '../scram-credentials.js';

export const SUPPORTED_MECHANISMS = ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512', 'OAUTHBEARER'] as const;
export type SupportedMechanism = (typeof SUPPORTED_MECHANISMS)[number];

/**
 * An authentication that failed. `.message` is what the client receives in SaslAuthenticate's
 * error_message (Kafka's text); `.detail` says why for the broker's log and is never sent (Kafka
 * hides from the client whether a user exists, for one).
 */
export class SaslAuthenticationError extends Error {
  readonly detail: string;
  constructor(message: string, detail?: string) {
    super(message);
    this.name = 'SaslAuthenticationError';
    this.detail = detail ?? message;
  }
}

export interface SaslServer {
  readonly mechanism: string;
  /** Evaluates the client's next token; returns the server's next token (possibly empty). Throws SaslAuthenticationError when authentication fails. */
  evaluate(token: Buffer): Buffer;
  /** True once the exchange completed successfully. */
  readonly complete: boolean;
  /** After complete: the authorization id, which becomes the principal User:<id>. */
  authorizationId(): string;
  /** After complete: when the credential expires, ms since epoch (OAUTHBEARER: the token's exp), else null - limits the KIP-368 session lifetime. */
  credentialExpiresAtMs(): number | null;
}

export interface OAuthBearerValidation {
  principal: string;
  expiresAtMs: number | null;
  scope?: string[];
}

/** The embedding API's hook for real token validation; throws (any Error) or returns null to refuse. */
export type OAuthBearerValidator = (token: string) => OAuthBearerValidation | null;

export interface SaslServerContext {
  /** The listener name, as configured (e.g. SASL_SSL); config lookups use its lower-case form. */
  listenerName: string;
  config: BrokerConfig;
  scram: ScramCredentialStore;
  /** ms since epoch (injectable clock). */
  now: () => number;
  oauthBearerValidator?: OAuthBearerValidator;
  /**
   * True when this exchange re-authenticates a connection (KIP-368): Kafka's message for invalid
   * credentials then says "during re-authentication" rather than "during authentication".
   */
  reauthentication?: boolean;
}

/**
 * The message the client receives for a failure Kafka reports as a plain SaslException: the
 * broker's SaslServerAuthenticator hides the reason behind this text.
 */
export function invalidCredentials(mechanism: string, ctx: Pick<SaslServerContext, 'reauthentication'>, detail: string): SaslAuthenticationError {
  const during = ctx.reauthentication === true ? 're-authentication' : 'authentication';
  return new SaslAuthenticationError(`Authentication failed during ${during} due to invalid credentials with SASL mechanism ${mechanism}`, detail);
}

/** A list config as Kafka's ConfigDef reads it: trimmed, split on commas, each item trimmed. */
function listOf(text: string): string[] {
  const trimmed = text.trim();
  return trimmed === '' ? [] : trimmed.split(/\s*,\s*/);
}

/** The mechanisms enabled on a listener: listener.name.<l>.sasl.enabled.mechanisms, else sasl.enabled.mechanisms. */
export function enabledMechanisms(config: BrokerConfig, listenerName: string): string[] {
  const own = config.staticText(`listener.name.${listenerName.toLowerCase()}.sasl.enabled.mechanisms`);
  if (own !== undefined) return listOf(own);
  const value = config.get('sasl.enabled.mechanisms');
  return Array.isArray(value) ? [...value] : listOf(String(value ?? ''));
}

/** A SaslServer for `mechanism` (one of the enabled ones; the caller checks that). */
export function createSaslServer(mechanism: string, ctx: SaslServerContext): SaslServer {
  switch (mechanism) {
    case 'PLAIN':
      return new PlainSaslServer(ctx);
    case 'SCRAM-SHA-256':
    case 'SCRAM-SHA-512':
      return new ScramSaslServer(scramMechanism(mechanism)!, ctx);
    case 'OAUTHBEARER':
      return new OAuthBearerSaslServer(ctx);
    default:
      throw new Error(`SASL mechanism ${mechanism} is not supported (supported: ${SUPPORTED_MECHANISMS.join(', ')})`);
  }
}

/**
 * Throws with a clear message when a listener's mechanisms cannot work: none enabled, GSSAPI
 * (Kafka's default, not built here) or an unknown mechanism, a JAAS config Kafka would refuse,
 * PLAIN without users, OAUTHBEARER options Kafka's unsecured validator would refuse. SCRAM needs
 * no JAAS config (its credentials are the cluster's), nor does OAUTHBEARER. Called at startup.
 */
export function checkSaslConfig(config: BrokerConfig, listenerName: string): void {
  const l = listenerName.toLowerCase();
  const mechanisms = enabledMechanisms(config, listenerName);
  const supported = SUPPORTED_MECHANISMS.join(', ');
  const where = `listener.name.${l}.sasl.enabled.mechanisms or sasl.enabled.mechanisms`;
  if (mechanisms.length === 0) throw new Error(`listener ${listenerName}: no SASL mechanism is enabled; set ${where} to one or more of ${supported}`);
  for (const mechanism of mechanisms) {
    if (mechanism === 'GSSAPI') {
      throw new Error(`listener ${listenerName}: SASL mechanism GSSAPI (Kerberos, Kafka's default) is not supported; set ${where} to one or more of ${supported}`);
    }
    if (!(SUPPORTED_MECHANISMS as readonly string[]).includes(mechanism)) {
      throw new Error(`listener ${listenerName}: unknown SASL mechanism '${mechanism}' in ${where}; supported: ${supported}`);
    }
  }
  for (const mechanism of mechanisms) {
    let entries;
    try {
      entries = serverJaasEntries(config, listenerName, mechanism);
    } catch (err) {
      if (err instanceof JaasConfigError) throw new Error(`listener ${listenerName}, SASL mechanism ${mechanism}: ${err.message}`);
      throw err;
    }
    if (mechanism === 'PLAIN' && plainUsers(entries).size === 0) {
      throw new Error(
        `listener ${listenerName}: SASL mechanism PLAIN has no users; set ${listenerJaasKey(listenerName, mechanism)} (or sasl.jaas.config) to ` +
          `'${PLAIN_LOGIN_MODULE} required user_<name>="<password>";'`,
      );
    }
    if (mechanism === 'OAUTHBEARER') {
      try {
        oauthBearerOptions(entries);
      } catch (err) {
        throw new Error(`listener ${listenerName}, SASL mechanism OAUTHBEARER: ${(err as Error).message}`);
      }
    }
  }
}
