// SCRAM credentials (RFC 5802, KIP-554): per user and mechanism the salt, the stored key and the
// server key and the iteration count - never the password - kept cluster-wide as Kafka's
// controller keeps them (ScramControlManager). The SCRAM SASL servers read them; the admin APIs
// DescribeUserScramCredentials and AlterUserScramCredentials and kafka-storage's --add-scram
// write them. In disk mode they live in a file of their own in the data directory, rewritten
// atomically on every change.
import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
import path from 'node:path';
import { readJsonFile, writeJsonFileAtomic } from '../storage/checkpoint.js';

export const SCRAM_CREDENTIALS_FILE = 'samsa-scram-credentials.json';

export type ScramMechanismName = 'SCRAM-SHA-256' | 'SCRAM-SHA-512';

/** A SCRAM mechanism as Kafka's ScramMechanism enum describes it. */
export interface ScramMechanismInfo {
  readonly name: ScramMechanismName;
  /** Kafka's enum constant name, which some of its messages print (SCRAM_SHA_256). */
  readonly enumName: string;
  /** The protocol's mechanism type (AlterUserScramCredentials, DescribeUserScramCredentials). */
  readonly type: number;
  /** Node's digest name. */
  readonly digest: 'sha256' | 'sha512';
  readonly minIterations: number;
  readonly maxIterations: number;
}

export const SCRAM_SHA_256: ScramMechanismInfo = Object.freeze({ name: 'SCRAM-SHA-256', enumName: 'SCRAM_SHA_256', type: 1, digest: 'sha256', minIterations: 4096, maxIterations: 16384 });
export const SCRAM_SHA_512: ScramMechanismInfo = Object.freeze({ name: 'SCRAM-SHA-512', enumName: 'SCRAM_SHA_512', type: 2, digest: 'sha512', minIterations: 4096, maxIterations: 16384 });
export const SCRAM_MECHANISMS: readonly ScramMechanismInfo[] = [SCRAM_SHA_256, SCRAM_SHA_512];

export function scramMechanism(name: string): ScramMechanismInfo | undefined {
  return SCRAM_MECHANISMS.find(m => m.name === name);
}

export function scramMechanismOfType(type: number): ScramMechanismInfo | undefined {
  return SCRAM_MECHANISMS.find(m => m.type === type);
}

export interface ScramCredential {
  readonly salt: Buffer;
  readonly storedKey: Buffer;
  readonly serverKey: Buffer;
  readonly iterations: number;
}

const hmac = (m: ScramMechanismInfo, key: Buffer, data: string | Buffer): Buffer => createHmac(m.digest, key).update(data).digest();

/** Hi(password, salt, i) of RFC 5802: PBKDF2 with the mechanism's HMAC; the password as UTF-8 (Kafka applies no SASLprep). */
export function saltedPassword(m: ScramMechanismInfo, password: string, salt: Buffer, iterations: number): Buffer {
  const length = m.digest === 'sha256' ? 32 : 64;
  return pbkdf2Sync(Buffer.from(password, 'utf8'), salt, iterations, length, m.digest);
}

/** ClientKey = HMAC(SaltedPassword, "Client Key"). */
export const clientKey = (m: ScramMechanismInfo, salted: Buffer): Buffer => hmac(m, salted, 'Client Key');
/** StoredKey = H(ClientKey). */
export const storedKeyOf = (m: ScramMechanismInfo, key: Buffer): Buffer => createHash(m.digest).update(key).digest();
/** ServerKey = HMAC(SaltedPassword, "Server Key"). */
export const serverKeyOf = (m: ScramMechanismInfo, salted: Buffer): Buffer => hmac(m, salted, 'Server Key');

/** The credential a salted password comes to, as Kafka's ScramFormatter.generateCredential. */
export function credentialOf(m: ScramMechanismInfo, salt: Buffer, salted: Buffer, iterations: number): ScramCredential {
  return { salt: Buffer.from(salt), storedKey: storedKeyOf(m, clientKey(m, salted)), serverKey: serverKeyOf(m, salted), iterations };
}

/**
 * A random string as Kafka's ScramFormatter.secureRandomString: 130 random bits written in base
 * 36. Kafka uses it for server nonces and, as UTF-8 bytes, for the salts it makes.
 */
export function secureRandomString(random: (size: number) => Buffer = randomBytes): string {
  const bytes = random(17);
  let n = 0n;
  for (const b of bytes) n = (n << 8n) | BigInt(b);
  return (n & ((1n << 130n) - 1n)).toString(36);
}

/** One change of the credentials: a credential set (from its salted password) or removed. */
export type ScramChange =
  | { op: 'upsert'; user: string; mechanism: ScramMechanismInfo; iterations: number; salt: Buffer; saltedPassword: Buffer }
  | { op: 'delete'; user: string; mechanism: ScramMechanismInfo };

export interface DescribedUser {
  user: string;
  /** In mechanism type order. */
  credentials: { mechanism: ScramMechanismInfo; iterations: number }[];
}

/** What kafka-storage's --add-scram argument says (Kafka's ScramParser). */
export interface AddScramSpec {
  mechanism: ScramMechanismInfo;
  name: string;
  iterations: number;
  /** null: a random salt, made when the credential is. */
  salt: Buffer | null;
  password: string | null;
  saltedPassword: Buffer | null;
}

interface StoredFile {
  version: number;
  credentials: { user: string; mechanism: string; salt: string; storedKey: string; serverKey: string; iterations: number }[];
}

/** The SCRAM credentials of the cluster. */
export class ScramCredentialStore {
  /** By user, then by mechanism type. */
  private users = new Map<string, Map<number, ScramCredential>>();
  /** Disk mode: the file the credentials are kept in. */
  private file: string | null = null;
  private readonly random: (size: number) => Buffer;

  constructor(opts: { random?: (size: number) => Buffer } = {}) {
    this.random = opts.random ?? randomBytes;
  }

  /**
   * Disk mode (a directory): loads the credentials kept there (none when the file does not exist
   * yet) and keeps every later change there. Memory mode (null): nothing to do. Throws when the
   * file is unreadable.
   */
  openIn(dataDir: string | null): void {
    if (dataDir === null) return;
    const file = path.join(dataDir, SCRAM_CREDENTIALS_FILE);
    const parsed = readJsonFile<StoredFile>(file);
    if (parsed !== undefined) {
      if (parsed.version !== 1 || !Array.isArray(parsed.credentials)) throw new Error(`${file}: unknown version ${parsed.version}`);
      const users = new Map<string, Map<number, ScramCredential>>();
      for (const c of parsed.credentials) {
        const m = scramMechanism(c.mechanism);
        if (m === undefined) throw new Error(`${file}: unknown SCRAM mechanism ${c.mechanism}`);
        let byMechanism = users.get(c.user);
        if (byMechanism === undefined) users.set(c.user, (byMechanism = new Map()));
        byMechanism.set(m.type, {
          salt: Buffer.from(c.salt, 'base64'),
          storedKey: Buffer.from(c.storedKey, 'base64'),
          serverKey: Buffer.from(c.serverKey, 'base64'),
          iterations: c.iterations,
        });
      }
      this.users = users;
    }
    this.file = file;
  }

  /** The credential of `user` for a mechanism (by name, SCRAM-SHA-256 or SCRAM-SHA-512). */
  get(user: string, mechanism: string): ScramCredential | undefined {
    const m = scramMechanism(mechanism);
    return m === undefined ? undefined : this.users.get(user)?.get(m.type);
  }

  has(user: string, mechanism: ScramMechanismInfo): boolean {
    return this.users.get(user)?.has(mechanism.type) ?? false;
  }

  /** Sets the credential a salted password comes to (storedKey and serverKey derived as Kafka's ScramFormatter). */
  upsert(user: string, mechanism: string, iterations: number, salt: Buffer, saltedPassword: Buffer): void {
    this.apply([{ op: 'upsert', user, mechanism: known(mechanism), iterations, salt, saltedPassword }]);
  }

  /** Removes a credential; false when there was none. */
  delete(user: string, mechanism: string): boolean {
    const m = known(mechanism);
    if (!this.has(user, m)) return false;
    this.apply([{ op: 'delete', user, mechanism: m }]);
    return true;
  }

  /** Sets a credential from a password: PBKDF2 with a random salt (Kafka's, the UTF-8 of a random base-36 string). */
  addFromPassword(user: string, mechanism: string, password: string, iterations = 4096): void {
    const m = known(mechanism);
    const salt = Buffer.from(secureRandomString(this.random), 'utf8');
    this.apply([{ op: 'upsert', user, mechanism: m, iterations, salt, saltedPassword: saltedPassword(m, password, salt, iterations) }]);
  }

  /** Sets the credential an --add-scram argument describes. */
  add(spec: AddScramSpec): void {
    const salt = spec.salt ?? Buffer.from(secureRandomString(this.random), 'utf8');
    const salted = spec.saltedPassword ?? saltedPassword(spec.mechanism, spec.password ?? '', salt, spec.iterations);
    this.apply([{ op: 'upsert', user: spec.name, mechanism: spec.mechanism, iterations: spec.iterations, salt, saltedPassword: salted }]);
  }

  /**
   * Applies changes together: saved first in disk mode, so a failed save changes nothing (it
   * throws). A deletion of a credential that is not there is no change.
   */
  apply(changes: readonly ScramChange[]): void {
    if (changes.length === 0) return;
    const next = new Map<string, Map<number, ScramCredential>>();
    for (const [user, byMechanism] of this.users) next.set(user, new Map(byMechanism));
    for (const c of changes) {
      let byMechanism = next.get(c.user);
      if (c.op === 'delete') {
        byMechanism?.delete(c.mechanism.type);
        if (byMechanism?.size === 0) next.delete(c.user);
        continue;
      }
      if (byMechanism === undefined) next.set(c.user, (byMechanism = new Map()));
      byMechanism.set(c.mechanism.type, credentialOf(c.mechanism, c.salt, c.saltedPassword, c.iterations));
    }
    if (this.file !== null) writeJsonFileAtomic(this.file, storedFile(next));
    this.users = next;
  }

  /** Users with any credential, in the order they first got one. */
  userNames(): string[] {
    return [...this.users.keys()];
  }

  /**
   * The users with credentials and their mechanisms and iteration counts: all of them (null), or
   * those of `users` that have any, in the order given (each once).
   */
  describe(users: readonly string[] | null): DescribedUser[] {
    const names = users === null ? this.userNames() : [...new Set(users)];
    const out: DescribedUser[] = [];
    for (const user of names) {
      const byMechanism = this.users.get(user);
      if (byMechanism === undefined) continue;
      const credentials = SCRAM_MECHANISMS.filter(m => byMechanism.has(m.type)).map(m => ({ mechanism: m, iterations: byMechanism.get(m.type)!.iterations }));
      out.push({ user, credentials });
    }
    return out;
  }

  get size(): number {
    return this.users.size;
  }
}

function known(mechanism: string): ScramMechanismInfo {
  const m = scramMechanism(mechanism);
  if (m === undefined) throw new Error(`unknown SCRAM mechanism ${mechanism}`);
  return m;
}

/** The credentials as the store's file keeps them (secrets in base64). */
function storedFile(users: Map<string, Map<number, ScramCredential>>): StoredFile {
  const credentials: StoredFile['credentials'] = [];
  for (const [user, byMechanism] of users) {
    for (const m of SCRAM_MECHANISMS) {
      const c = byMechanism.get(m.type);
      if (c === undefined) continue;
      credentials.push({ user, mechanism: m.name, salt: c.salt.toString('base64'), storedKey: c.storedKey.toString('base64'), serverKey: c.serverKey.toString('base64'), iterations: c.iterations });
    }
  }
  return { version: 1, credentials };
}

// --- kafka-storage --add-scram ------------------------------------------------------------------

/** Java's Base64.getDecoder(): the standard alphabet, padding optional but never wrong. */
export function decodeBase64Strict(text: string): Buffer | null {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text)) return null;
  const body = text.replace(/=+$/, '');
  const pad = text.length - body.length;
  if (body.length % 4 === 1) return null;
  if (pad > 0 && (body.length + pad) % 4 !== 0) return null;
  return Buffer.from(body, 'base64');
}

/** Java's Integer.parseInt: an optional sign and decimal digits, within 32 bits. */
function parseJavaInt(text: string): number | null {
  if (!/^[+-]?\d+$/.test(text)) return null;
  const n = Number(text);
  return n >= -(2 ** 31) && n <= 2 ** 31 - 1 ? n : null;
}

/**
 * Parses an --add-scram argument as Kafka's ScramParser: `SCRAM-SHA-256=[name=alice,password=secret]`,
 * optionally with iterations=, salt= (base64) and saltedpassword= (base64, with salt) in place of
 * password. Components are split on ',' and each at its first '=' (so a value may hold '=' but
 * no ','); a value in double quotes loses them. Throws with Kafka's message.
 */
export function parseAddScram(spec: string): AddScramSpec {
  const input = spec.trim();
  const eq = input.indexOf('=');
  if (eq < 0) throw new Error(`Failed to find equals sign in SCRAM argument '${input}'`);
  const mechanismName = input.slice(0, eq);
  const configString = input.slice(eq + 1);
  const mechanism = scramMechanism(mechanismName);
  if (mechanism === undefined) throw new Error(`The add-scram mechanism ${mechanismName} is not supported.`);
  if (!configString.startsWith('[')) throw new Error('Expected configuration string to start with [');
  if (!configString.endsWith(']')) throw new Error('Expected configuration string to end with ]');
  const components = new Map<string, string>();
  // as Java's String.split: without a ',' the whole string, else the pieces less trailing empty ones
  const body = configString.slice(1, -1);
  const parts = body.split(',');
  if (parts.length > 1) while (parts.length > 0 && parts[parts.length - 1] === '') parts.pop();
  for (const part of parts) {
    const i = part.indexOf('=');
    if (i < 0) throw new Error(`No equals sign found in SCRAM component: ${part}`);
    let value = part.slice(i + 1);
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    components.set(part.slice(0, i), value);
  }
  const take = (k: string): string | undefined => {
    const v = components.get(k);
    components.delete(k);
    return v;
  };
  const name = take('name');
  if (name === undefined) throw new Error("You must supply 'name' to add-scram");
  const saltText = take('salt');
  let salt: Buffer | null = null;
  if (saltText !== undefined) {
    salt = decodeBase64Strict(saltText);
    if (salt === null) throw new Error(`Failed to decode given salt: ${saltText}`);
  }
  const iterationsText = take('iterations');
  let iterations = 4096;
  if (iterationsText !== undefined) {
    const n = parseJavaInt(iterationsText);
    if (n === null) throw new Error(`Failed to parse iterations count: ${iterationsText}`);
    iterations = n;
  }
  const password = take('password');
  const saltedText = take('saltedpassword');
  let salted: Buffer | null = null;
  if (password === undefined) {
    if (saltedText === undefined) throw new Error("You must supply one of 'password' or 'saltedpassword' to add-scram");
    if (salt === null) throw new Error("You must supply 'salt' with 'saltedpassword' to add-scram");
    salted = decodeBase64Strict(saltedText);
    if (salted === null) throw new Error(`Failed to decode given saltedPassword: ${saltedText}`);
  }
  // Kafka keeps the components in a TreeMap: the unknown ones are named in sorted order
  if (components.size > 0) throw new Error(`Unknown SCRAM configurations: ${[...components.keys()].sort().join(', ')}`);
  if (iterations < mechanism.minIterations) throw new Error(`The 'iterations' value must be >= ${mechanism.minIterations} for add-scram using ${mechanism.enumName}`);
  if (iterations > mechanism.maxIterations) throw new Error(`The 'iterations' value must be <= ${mechanism.maxIterations} for add-scram using ${mechanism.enumName}`);
  return { mechanism, name, iterations, salt, password: password ?? null, saltedPassword: salted };
}
