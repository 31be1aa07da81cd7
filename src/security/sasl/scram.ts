// SASL/SCRAM-SHA-256 and SCRAM-SHA-512 (RFC 5802, RFC 7677) as Kafka's ScramSaslServer:
//   client-first  n,[a=<authzid>],n=<user>,r=<client nonce>[,<ext>=<value>]*
//   server-first  r=<client nonce><server nonce>,s=<salt, base64>,i=<iterations>
//   client-final  c=<base64 of the gs2 header>,r=<both nonces>,p=<client proof, base64>
//   server-final  v=<server signature, base64>
// against the credentials of the cluster's ScramCredentialStore. As in Kafka, a failure tells the
// client nothing more than "invalid credentials" (whether the user exists, say), except an
// authorization id that differs from the user name, which Kafka names. Delegation tokens
// (the tokenauth extension) are not kept here, so a token authentication always fails, as it
// does in Kafka for an unknown token; other extensions are ignored.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { invalidCredentials, SaslAuthenticationError, type SaslServer, type SaslServerContext } from './mechanism.js';
import { secureRandomString, type ScramCredential, type ScramMechanismInfo } from '../scram-credentials.js';

// The grammar of Kafka's ScramMessages (RFC 5802 section 7, its subset)
const SASLNAME = '(?:[\\x01-\\x2B\\x2D-\\x3C\\x3E-\\x7F]|=2C|=3D)+';
const VALUE = '[\\x01-\\x2B\\x2D-\\x7F]+';
const PRINTABLE = '[\\x21-\\x2B\\x2D-\\x7E]+';
const BASE64 = '(?:[a-zA-Z0-9/+]{4})*(?:[a-zA-Z0-9/+]{3}=|[a-zA-Z0-9/+]{2}==)?';
const EXTENSIONS = `(?:,[A-Za-z]+=${VALUE})*`;
const CLIENT_FIRST = new RegExp(`^(n,(?:a=(${SASLNAME}))?,)((?:m=${VALUE},)?n=(${SASLNAME}),r=(${PRINTABLE})(${EXTENSIONS}))$`);
const CLIENT_FINAL = new RegExp(`^(c=(${BASE64}),r=(${PRINTABLE})${EXTENSIONS}),p=(${BASE64})$`);

type State = 'RECEIVE_CLIENT_FIRST_MESSAGE' | 'RECEIVE_CLIENT_FINAL_MESSAGE' | 'COMPLETE' | 'FAILED';

/** Kafka's ScramFormatter.username: =2C is ',', =3D is '='; any other '=' makes the name invalid. */
function username(saslName: string): string | null {
  const withCommas = saslName.replaceAll('=2C', ',');
  if (withCommas.replaceAll('=3D', '').includes('=')) return null;
  return withCommas.replaceAll('=3D', '=');
}

export interface ScramSaslServerOptions {
  /** The server's part of the nonce (Kafka's: 130 random bits in base 36). */
  nonce?: () => string;
}

export class ScramSaslServer implements SaslServer {
  readonly mechanism: string;
  private state: State = 'RECEIVE_CLIENT_FIRST_MESSAGE';
  private credential: ScramCredential | null = null;
  private gs2Header = '';
  private clientFirstBare = '';
  private serverFirst = '';
  private nonce = '';
  private authzid: string | null = null;

  constructor(
    private readonly m: ScramMechanismInfo,
    private readonly ctx: SaslServerContext,
    private readonly opts: ScramSaslServerOptions = {},
  ) {
    this.mechanism = m.name;
  }

  get complete(): boolean {
    return this.state === 'COMPLETE';
  }

  evaluate(token: Buffer): Buffer {
    try {
      switch (this.state) {
        case 'RECEIVE_CLIENT_FIRST_MESSAGE':
          return this.clientFirst(token.toString('utf8'));
        case 'RECEIVE_CLIENT_FINAL_MESSAGE':
          return this.clientFinal(token.toString('utf8'));
        default:
          throw new SaslAuthenticationError(`Unexpected challenge in Sasl server state ${this.state}`);
      }
    } catch (err) {
      this.credential = null;
      this.state = 'FAILED';
      throw err;
    }
  }

  private fail(detail: string): SaslAuthenticationError {
    return invalidCredentials(this.mechanism, this.ctx, `${this.mechanism}: ${detail}`);
  }

  private clientFirst(message: string): Buffer {
    const match = CLIENT_FIRST.exec(message);
    if (match === null) throw this.fail(`Invalid SCRAM client first message format: ${message}`);
    const [, gs2Header, authzid, bare, saslName, clientNonce, extensions] = match as unknown as [string, string, string | undefined, string, string, string, string];
    const serverNonce = (this.opts.nonce ?? secureRandomString)();
    const user = username(saslName);
    if (user === null) throw this.fail('Authentication failed: Credentials could not be obtained');
    if (tokenAuthenticated(extensions)) throw this.fail(`Token Authentication failed: Invalid tokenId : ${user}`);
    const credential = this.ctx.scram.get(user, this.m.name);
    if (credential === undefined) throw this.fail(`Authentication failed: Invalid user credentials (user ${user})`);
    if (authzid !== undefined && authzid !== '' && authzid !== user) {
      throw new SaslAuthenticationError('Authentication failed: Client requested an authorization id that is different from username');
    }
    if (credential.iterations < this.m.minIterations) {
      throw this.fail(`Iterations ${credential.iterations} is less than the minimum ${this.m.minIterations} for ${this.m.enumName}`);
    }
    this.credential = credential;
    this.authzid = user;
    this.gs2Header = gs2Header;
    this.clientFirstBare = bare;
    this.nonce = clientNonce + serverNonce;
    this.serverFirst = `r=${this.nonce},s=${credential.salt.toString('base64')},i=${credential.iterations}`;
    this.state = 'RECEIVE_CLIENT_FINAL_MESSAGE';
    return Buffer.from(this.serverFirst, 'utf8');
  }

  private clientFinal(message: string): Buffer {
    const match = CLIENT_FINAL.exec(message);
    if (match === null) throw this.fail(`Invalid SCRAM client final message format: ${message}`);
    const [, withoutProof, channelBinding, nonce, proofText] = match as unknown as [string, string, string, string, string];
    // Kafka checks only that the nonce ends with the one it sent: librdkafka (2.0) puts its own
    // nonce in front of the combined one again
    if (!nonce.endsWith(this.nonce)) throw this.fail('Invalid client nonce in the final client message.');
    // without channel binding (gs2 flag "n") c= carries the gs2 header itself: "biws" for "n,,"
    if (!Buffer.from(channelBinding, 'base64').equals(Buffer.from(this.gs2Header, 'utf8'))) throw this.fail('Invalid channel binding in the final client message.');
    const credential = this.credential!;
    const authMessage = `${this.clientFirstBare},${this.serverFirst},${withoutProof}`;
    const clientSignature = createHmac(this.m.digest, credential.storedKey).update(authMessage, 'utf8').digest();
    const proof = Buffer.from(proofText, 'base64');
    if (proof.length !== clientSignature.length) throw this.fail('Invalid client credentials');
    const clientKey = Buffer.alloc(proof.length);
    for (let i = 0; i < proof.length; i++) clientKey[i] = proof[i]! ^ clientSignature[i]!;
    const computedStoredKey = createHash(this.m.digest).update(clientKey).digest();
    if (computedStoredKey.length !== credential.storedKey.length || !timingSafeEqual(computedStoredKey, credential.storedKey)) {
      throw this.fail(`Invalid client credentials (user ${this.authzid})`);
    }
    const serverSignature = createHmac(this.m.digest, credential.serverKey).update(authMessage, 'utf8').digest();
    this.credential = null;
    this.state = 'COMPLETE';
    return Buffer.from(`v=${serverSignature.toString('base64')}`, 'utf8');
  }

  authorizationId(): string {
    if (this.state !== 'COMPLETE' || this.authzid === null) throw new Error('Authentication exchange has not completed');
    return this.authzid;
  }

  credentialExpiresAtMs(): number | null {
    // a delegation token's expiry would go here; passwords do not expire
    return null;
  }
}

/** Kafka's ScramExtensions.tokenAuthenticated: the tokenauth extension is "true" in any case. */
function tokenAuthenticated(extensions: string): boolean {
  let value: string | undefined;
  // read into a map as Kafka's Utils.parseMap: a key given twice keeps its last value
  for (const pair of extensions.split(',')) {
    const i = pair.indexOf('=');
    if (i > 0 && pair.slice(0, i) === 'tokenauth') value = pair.slice(i + 1);
  }
  return value?.toLowerCase() === 'true';
}
