// SASL/OAUTHBEARER (RFC 7628) as Kafka's OAuthBearerSaslServer. The client's one message is
//   n,[a=<authzid>],^Aauth=Bearer <token>^A[<key>=<value>^A]*^A
// By default the token is checked as Kafka's OAuthBearerUnsecuredValidatorCallbackHandler checks
// an unsecured JWT (alg "none", no signature): the principal claim, exp, iat, a required scope,
// with the unsecuredValidator* options of the listener's OAUTHBEARER JAAS config. The embedding
// API may give a validator that replaces this. A refused token is answered, as in RFC 7628 and
// Kafka, with a JSON error as the server's challenge; the client acknowledges it with a single
// ^A (kvsep) and the exchange then fails with that JSON text as the error message. Extensions are
// accepted whatever they are, as Kafka's unsecured validator accepts them.
import { invalidCredentials, SaslAuthenticationError, type SaslServer, type SaslServerContext } from './mechanism.js';
import { OAUTHBEARER_LOGIN_MODULE, serverJaasEntries, type JaasEntry } from './jaas.js';

/** The unsecuredValidator* options (Kafka's defaults when absent or blank). */
export interface OAuthBearerOptions {
  principalClaimName: string;
  scopeClaimName: string;
  requiredScope: string[];
  allowableClockSkewMs: number;
}

const isBlank = (s: string | undefined): s is undefined => s === undefined || javaTrim(s) === '';
/** Java's String.trim: strips characters up to U+0020. */
const javaTrim = (s: string): string => s.replace(/^[\x00-\x20]+|[\x00-\x20]+$/g, '');

/** A scope item (Kafka's OAuthBearerScopeUtils): printable ASCII but space, '"' and '\'. */
const SCOPE_ITEM = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

/**
 * The validator options of a listener's OAUTHBEARER JAAS entries: the one entry of a
 * per-mechanism config, else the OAuthBearerLoginModule entry of sasl.jaas.config. Throws with
 * Kafka's message (OAuthBearerConfigException) for a clock skew or a required scope it refuses.
 */
export function oauthBearerOptions(entries: readonly JaasEntry[]): OAuthBearerOptions {
  const entry = entries.length === 1 ? entries[0] : entries.find(e => e.loginModule === OAUTHBEARER_LOGIN_MODULE);
  const option = (k: string): string | undefined => entry?.options.get(k);
  const principal = option('unsecuredValidatorPrincipalClaimName');
  const scopeName = option('unsecuredValidatorScopeClaimName');
  const required = option('unsecuredValidatorRequiredScope');
  const skew = option('unsecuredValidatorAllowableClockSkewMs');
  let allowableClockSkewMs = 0;
  if (!isBlank(skew)) {
    const text = javaTrim(skew);
    const n = /^[+-]?\d+$/.test(text) ? Number(text) : NaN;
    if (!Number.isSafeInteger(n) || n > 2 ** 31 - 1 || n < -(2 ** 31)) throw new Error(`For input string: "${text}"`);
    if (n < 0) throw new Error(`Allowable clock skew millis must not be negative: ${skew}`);
    allowableClockSkewMs = n;
  }
  const requiredScope: string[] = [];
  if (!isBlank(required)) {
    for (const item of javaTrim(required).split(' ')) {
      if (item === '') continue;
      if (!SCOPE_ITEM.test(item)) throw new Error(`Invalid scope value: ${item}`);
      requiredScope.push(item);
    }
  }
  return {
    principalClaimName: isBlank(principal) ? 'sub' : javaTrim(principal),
    scopeClaimName: isBlank(scopeName) ? 'scope' : javaTrim(scopeName),
    requiredScope,
    allowableClockSkewMs,
  };
}

// --- the client's message -----------------------------------------------------------------------

const SASLNAME = '(?:[\\x01-\\x2B\\x2D-\\x3C\\x3E-\\x7F]|=2C|=3D)+';
const KVPAIR = '[A-Za-z]+=[\\x21-\\x7E \\t\\r\\n]+\\x01';
const CLIENT_INITIAL_RESPONSE = new RegExp(`^n,(?:a=(${SASLNAME}))?,\\x01((?:${KVPAIR})*)\\x01$`);
const AUTH = /^(\w+) +([-_~+/.a-zA-Z0-9]+=*)$/;

interface ClientInitialResponse {
  authzid: string;
  token: string;
}

/** Parses the client's message as Kafka's OAuthBearerClientInitialResponse; a string is the reason it is refused. */
function parseClientInitialResponse(message: string): ClientInitialResponse | string {
  const match = CLIENT_INITIAL_RESPONSE.exec(message);
  if (match === null) return 'Invalid OAUTHBEARER client first message';
  const properties = new Map<string, string>();
  for (const pair of match[2]!.split('\u0001')) {
    if (pair === '') continue;
    const i = pair.indexOf('=');
    properties.set(pair.slice(0, i), pair.slice(i + 1));
  }
  const auth = properties.get('auth');
  if (auth === undefined) return "Invalid OAUTHBEARER client first message: 'auth' not specified";
  const a = AUTH.exec(auth);
  if (a === null) return "Invalid OAUTHBEARER client first message: invalid 'auth' format";
  if (a[1]!.toLowerCase() !== 'bearer') return `Invalid scheme in OAUTHBEARER client first message: ${a[1]}`;
  return { authzid: match[1] ?? '', token: a[2]! };
}

// --- Kafka's unsecured JWT validation -----------------------------------------------------------

/** A claim as Kafka reads it from the JSON: a number, a list of strings, or any other value as text. */
type Claim = number | string | string[];

class IllegalToken extends Error {
  constructor(
    message: string,
    readonly failureScope: string | null = null,
  ) {
    super(message);
  }
}

/** Base64 (standard or URL alphabet, padding optional); null when malformed. */
function decodeBase64(text: string): Buffer | null {
  if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(text)) return null;
  const body = text.replace(/=+$/, '');
  if (body.length % 4 === 1) return null;
  if (body.length < text.length && text.length % 4 !== 0) return null;
  return Buffer.from(body.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
}

/** Jackson's JsonNode.asText for a value that is not an array. */
function asText(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (v === null) return 'null';
  return '';
}

function toMap(split: string): Map<string, Claim> {
  const bytes = decodeBase64(split);
  if (bytes === null) throw new IllegalToken('malformed Base64 URL encoded value');
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new IllegalToken('malformed JSON');
  }
  const out = new Map<string, Claim>();
  if (json === null || typeof json !== 'object' || Array.isArray(json)) return out;
  for (const [k, v] of Object.entries(json as Record<string, unknown>)) {
    out.set(k, Array.isArray(v) ? v.map(e => (Array.isArray(e) ? '' : asText(e))) : typeof v === 'number' ? v : asText(v));
  }
  return out;
}

/** The Java class Kafka names for a claim of the wrong type. */
function javaClassOf(v: Claim): string {
  if (Array.isArray(v)) return 'ArrayList';
  if (typeof v === 'string') return 'String';
  if (!Number.isInteger(v)) return 'Double';
  return Math.abs(v) <= 2 ** 31 ? 'Integer' : Math.abs(v) <= 2 ** 63 ? 'Long' : 'BigInteger';
}

function claim<T extends 'String' | 'Number' | 'List'>(claims: Map<string, Claim>, name: string, type: T): (T extends 'String' ? string : T extends 'Number' ? number : string[]) | null {
  const v = claims.get(name);
  if (v === undefined) return null;
  const ok = type === 'String' ? typeof v === 'string' : type === 'Number' ? typeof v === 'number' : Array.isArray(v);
  if (!ok) throw new IllegalToken(`The '${name}' claim was not of type ${type}: ${javaClassOf(v)}`);
  return v as never;
}

/** Java's %f: six decimals. */
const f6 = (n: number): string => n.toFixed(6);

interface ValidToken {
  principal: string;
  /** ms since epoch; null when a validator gives none. */
  expiresAtMs: number | null;
}

/**
 * An unsecured JWT checked as Kafka's OAuthBearerUnsecuredJws and
 * OAuthBearerUnsecuredValidatorCallbackHandler check it, in their order. Throws IllegalToken.
 */
export function validateUnsecuredToken(token: string, opts: OAuthBearerOptions, now: number): { principal: string; expiresAtMs: number } {
  if (token.includes('..')) throw new IllegalToken("Malformed compact serialization contains '..'");
  // Java's split drops trailing empty strings; Kafka adds the empty signature back
  const splits = token.split('.');
  if (splits.length > 1) while (splits.length > 0 && splits[splits.length - 1] === '') splits.pop();
  if (token.endsWith('.')) splits.push('');
  if (splits.length !== 3) throw new IllegalToken('Unsecured JWS compact serializations must have 3 dot-separated Base64URL-encoded values');
  const header = toMap(splits[0]!);
  const claims = toMap(splits[1]!);
  const alg = header.get('alg');
  // (Kafka fails with a NullPointerException here, which closes the connection)
  if (alg === undefined) throw new IllegalToken('JWS header must have an Algorithm value');
  const algText = Array.isArray(alg) ? `[${alg.join(', ')}]` : String(alg);
  if (algText !== 'none') throw new IllegalToken("Unsecured JWS must have 'none' for an algorithm");
  if (splits[2] !== '') throw new IllegalToken('Unsecured JWS must not contain a digital signature');
  const scope = new Set<string>();
  const scopeClaim = claims.get(opts.scopeClaimName);
  if (typeof scopeClaim === 'string') {
    // a string claim is one scope item, however many words it holds (as in Kafka)
    if (javaTrim(scopeClaim) !== '') scope.add(javaTrim(scopeClaim));
  } else {
    for (const item of claim(claims, opts.scopeClaimName, 'List') ?? []) if (javaTrim(item) !== '') scope.add(javaTrim(item));
  }
  const exp = claim(claims, 'exp', 'Number');
  if (exp === null) throw new IllegalToken('No expiration time in JWT');
  const principal = claim(claims, opts.principalClaimName, 'String');
  if (principal === null || javaTrim(principal) === '') throw new IllegalToken(`No principal name in JWT claim: ${opts.principalClaimName}`);
  const iat = claim(claims, 'iat', 'Number');
  const skew = opts.allowableClockSkewMs;
  if (iat !== null && 1000 * iat > now + skew) {
    throw new IllegalToken(`The Issued At value (${f6(iat)} seconds) was after the indicated time (${now} ms) plus allowable clock skew (${skew} ms)`);
  }
  if (now - skew >= 1000 * exp) {
    throw new IllegalToken(`The indicated time (${now} ms) minus allowable clock skew (${skew} ms) was on or after the Expiration Time value (${f6(exp)} seconds)`);
  }
  if (iat !== null && exp <= iat) throw new IllegalToken(`The Expiration Time time (${f6(exp)} seconds) was not after the Issued At time (${f6(iat)} seconds)`);
  for (const required of opts.requiredScope) {
    if (!scope.has(required)) {
      const requiredText = `[${opts.requiredScope.join(', ')}]`;
      throw new IllegalToken(`The provided scope ([${[...scope].join(', ')}]) was missing a required scope (${required}).  All required scope elements: ${requiredText}`, requiredText);
    }
  }
  return { principal, expiresAtMs: Math.round(exp * 1000) };
}

// --- the server ---------------------------------------------------------------------------------

export class OAuthBearerSaslServer implements SaslServer {
  readonly mechanism = 'OAUTHBEARER';
  private done = false;
  private principal: string | null = null;
  private expiresAtMs: number | null = null;
  /** The JSON error last sent as a challenge, which the client's ^A turns into the failure. */
  private errorMessage: string | null = null;
  private errorDetail = '';

  constructor(private readonly ctx: SaslServerContext) {}

  get complete(): boolean {
    return this.done;
  }

  evaluate(token: Buffer): Buffer {
    if (token.length === 1 && token[0] === 0x01 && this.errorMessage !== null) {
      throw new SaslAuthenticationError(this.errorMessage, `OAUTHBEARER: ${this.errorDetail}`);
    }
    this.errorMessage = null;
    const response = parseClientInitialResponse(token.toString('utf8'));
    if (typeof response === 'string') throw invalidCredentials(this.mechanism, this.ctx, `OAUTHBEARER: ${response}`);
    const validated = this.validate(response.token);
    if ('status' in validated) {
      let json = `{"status":"${validated.status}"`;
      if (validated.scope !== null) json += `, "scope":"${validated.scope}"`;
      json += '}';
      this.errorMessage = json;
      this.errorDetail = validated.detail;
      return Buffer.from(json, 'utf8');
    }
    if (response.authzid !== '' && response.authzid !== validated.principal) {
      throw new SaslAuthenticationError(
        `Authentication failed: Client requested an authorization id (${response.authzid}) that is different from the token's principal name (${validated.principal})`,
      );
    }
    this.principal = validated.principal;
    this.expiresAtMs = validated.expiresAtMs;
    this.done = true;
    return Buffer.alloc(0);
  }

  private validate(token: string): ValidToken | { status: string; scope: string | null; detail: string } {
    const custom = this.ctx.oauthBearerValidator;
    if (custom !== undefined) {
      try {
        const v = custom(token);
        if (v === null) return { status: 'invalid_token', scope: null, detail: 'the validator refused the token' };
        return { principal: v.principal, expiresAtMs: v.expiresAtMs };
      } catch (err) {
        return { status: 'invalid_token', scope: null, detail: `the validator refused the token: ${(err as Error).message}` };
      }
    }
    let opts: OAuthBearerOptions;
    try {
      opts = oauthBearerOptions(serverJaasEntries(this.ctx.config, this.ctx.listenerName, this.mechanism));
    } catch (err) {
      // Kafka fails the connection on a bad option; checkSaslConfig refuses them at startup
      throw invalidCredentials(this.mechanism, this.ctx, `OAUTHBEARER: ${(err as Error).message}`);
    }
    try {
      return validateUnsecuredToken(token, opts, this.ctx.now());
    } catch (err) {
      if (!(err instanceof IllegalToken)) throw err;
      return { status: err.failureScope !== null ? 'insufficient_scope' : 'invalid_token', scope: err.failureScope, detail: err.message };
    }
  }

  authorizationId(): string {
    if (!this.done || this.principal === null) throw new Error('Authentication exchange has not completed');
    return this.principal;
  }

  credentialExpiresAtMs(): number | null {
    return this.expiresAtMs;
  }
}
