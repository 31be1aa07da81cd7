// SASL/PLAIN (RFC 4616) as Kafka's PlainSaslServer with its PlainServerCallbackHandler: one
// message `[authzid] NUL authcid NUL passwd`, checked against the user_<name>="<password>"
// options of the listener's PlainLoginModule JAAS config. Every failure is reported to the client
// with Kafka's own text (Kafka throws SaslAuthenticationException for each).
import { timingSafeEqual, createHash } from 'node:crypto';
import { SaslAuthenticationError, type SaslServer, type SaslServerContext } from './mechanism.js';
import { PLAIN_LOGIN_MODULE, configEntryOption, serverJaasEntries } from './jaas.js';

/** Equal strings, compared in time independent of where they differ (Kafka's Utils.isEqualConstantTime). */
function equalConstantTime(a: string, b: string): boolean {
  // digests first: equal lengths for timingSafeEqual, and the length of the password is not told either
  const da = createHash('sha256').update(a, 'utf8').digest();
  const db = createHash('sha256').update(b, 'utf8').digest();
  return timingSafeEqual(da, db) && a === b;
}

export class PlainSaslServer implements SaslServer {
  readonly mechanism = 'PLAIN';
  private done = false;
  private authzid: string | null = null;

  constructor(private readonly ctx: SaslServerContext) {}

  get complete(): boolean {
    return this.done;
  }

  evaluate(token: Buffer): Buffer {
    const tokens = extractTokens(token.toString('utf8'));
    const [authzidFromClient, username, password] = tokens as [string, string, string];
    if (username === '') throw new SaslAuthenticationError('Authentication failed: username not specified');
    if (password === '') throw new SaslAuthenticationError('Authentication failed: password not specified');
    let expected: string | undefined;
    try {
      expected = configEntryOption(serverJaasEntries(this.ctx.config, this.ctx.listenerName, 'PLAIN'), `user_${username}`, PLAIN_LOGIN_MODULE);
    } catch (err) {
      throw new SaslAuthenticationError('Authentication failed: credentials for user could not be verified', (err as Error).message);
    }
    // the password is compared even for an unknown user, so the answer takes as long
    const matches = equalConstantTime(password, expected ?? '');
    if (expected === undefined || !matches) throw new SaslAuthenticationError('Authentication failed: Invalid username or password', `PLAIN: invalid username or password for user ${username}`);
    if (authzidFromClient !== '' && authzidFromClient !== username) {
      throw new SaslAuthenticationError('Authentication failed: Client requested an authorization id that is different from username');
    }
    this.authzid = username;
    this.done = true;
    return Buffer.alloc(0);
  }

  authorizationId(): string {
    if (!this.done || this.authzid === null) throw new Error('Authentication exchange has not completed');
    return this.authzid;
  }

  credentialExpiresAtMs(): number | null {
    return null;
  }
}

/** The message's parts as Kafka splits it: up to four pieces at NULs; anything but three is refused. */
function extractTokens(message: string): string[] {
  const tokens: string[] = [];
  let start = 0;
  for (let i = 0; i < 4; i++) {
    const end = message.indexOf('\u0000', start);
    if (end === -1) {
      tokens.push(message.slice(start));
      break;
    }
    tokens.push(message.slice(start, end));
    start = end + 1;
  }
  if (tokens.length !== 3) throw new SaslAuthenticationError(`Invalid SASL/PLAIN response: expected 3 tokens, got ${tokens.length}`);
  return tokens;
}
