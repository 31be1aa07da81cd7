// TLS of SSL and SASL_SSL listeners, apart from the sockets: Node tls server options from Kafka's
// ssl.* configs, the key and trust stores they name (PEM, PKCS12, JKS), and the principal of a
// client certificate (Kafka's DefaultKafkaPrincipalBuilder and SslPrincipalMapper).
import crypto, { X509Certificate, type KeyObject } from 'node:crypto';
import fs from 'node:fs';
import tls from 'node:tls';
import { brokerConfigDef, parseConfigValue, type BrokerConfig, type ConfigValue } from '../cluster/configs.js';
import { ANONYMOUS, userPrincipal, type KafkaPrincipal } from './principal.js';

// ---------------------------------------------------------------------------------------------
// Listener configs

/**
 * A config as a listener sees it: `listener.name.<listener lower-case>.<name>` when given (Kafka's
 * per-listener override), else the broker-wide value. Throws Kafka's complaint for an invalid value.
 */
export function listenerConfig(config: BrokerConfig, listenerName: string, name: string): ConfigValue {
  const key = `listener.name.${listenerName.toLowerCase()}.${name}`;
  const text = config.staticText(key);
  if (text === undefined) return config.get(name);
  const def = brokerConfigDef(name);
  if (def === undefined) return text.trim();
  const parsed = parseConfigValue(def, text);
  if ('error' in parsed) throw new Error(parsed.error.replace(`for configuration ${name}:`, `for configuration ${key}:`));
  return parsed.value;
}

/** True when the listener-prefixed form of the config is given. */
const listenerSet = (config: BrokerConfig, listenerName: string, name: string) =>
  config.staticText(`listener.name.${listenerName.toLowerCase()}.${name}`) !== undefined;

export type SslClientAuth = 'required' | 'requested' | 'none';

/** The listener's security protocol by listener.security.protocol.map (names compared as Kafka normalises them, upper-case). */
function securityProtocolOf(config: BrokerConfig, listenerName: string): string | null {
  const map = config.get('listener.security.protocol.map');
  for (const entry of Array.isArray(map) ? map : []) {
    const colon = entry.lastIndexOf(':');
    if (colon > 0 && entry.slice(0, colon).trim().toUpperCase() === listenerName.toUpperCase()) return entry.slice(colon + 1).trim().toUpperCase();
  }
  return null;
}

/**
 * ssl.client.auth of a listener. On SASL_SSL listeners only the listener-prefixed value counts
 * (KIP-684): the broker-wide one was meant for SSL listeners, where it has always applied.
 */
export function sslClientAuth(config: BrokerConfig, listenerName: string): SslClientAuth {
  if (securityProtocolOf(config, listenerName) === 'SASL_SSL' && !listenerSet(config, listenerName, 'ssl.client.auth')) return 'none';
  return String(listenerConfig(config, listenerName, 'ssl.client.auth') ?? 'none').toLowerCase() as SslClientAuth;
}

/** ssl.principal.mapping.rules of a listener. */
export function principalMappingRules(config: BrokerConfig, listenerName: string): string {
  const rules = listenerConfig(config, listenerName, 'ssl.principal.mapping.rules');
  return typeof rules === 'string' ? rules : 'DEFAULT';
}

// ---------------------------------------------------------------------------------------------
// Server options

/**
 * Node tls server options for an SSL or SASL_SSL listener, from the ssl.* configs (each may be
 * given per listener). The key store gives `key` and `cert` (keys decrypted here, so a wrong
 * password fails now, at startup, not at the first handshake); the trust store gives `ca` (none:
 * Node's root certificates, as Kafka then uses the JVM's). ssl.client.auth=required asks for and
 * verifies a client certificate; requested asks for one but lets the handshake go on without it
 * (`rejectUnauthorized` is false, so whoever accepts the socket must refuse one that did not verify:
 * see `tlsPeerPrincipal`). Throws an Error naming the config at fault.
 */
export function tlsServerOptions(config: BrokerConfig, listenerName: string): tls.TlsOptions {
  const get = (name: string): ConfigValue => listenerConfig(config, listenerName, name);
  const text = (name: string): string | null => {
    const v = get(name);
    return v === null || v === undefined ? null : String(v);
  };
  try {
    const { key, chain } = loadKeyStore(text);
    const ca = loadTrustStore(text);
    const clientAuth = sslClientAuth(config, listenerName);
    const options: tls.TlsOptions = {
      key,
      cert: chain.join(''),
      requestCert: clientAuth !== 'none',
      rejectUnauthorized: clientAuth === 'required',
    };
    if (ca !== null) options.ca = ca;
    const protocols = (get('ssl.enabled.protocols') as string[] | null) ?? [];
    if (protocols.length > 0) {
      const versions = protocols.map(p => p as tls.SecureVersion).sort();
      options.minVersion = versions[0];
      options.maxVersion = versions[versions.length - 1];
    }
    const suites = (get('ssl.cipher.suites') as string[] | null) ?? [];
    if (suites.length > 0) options.ciphers = suites.map(openSslCipherName).join(':');
    // the mapping rules are checked now, as Kafka checks them when the listener is configured
    SslPrincipalMapper.fromRules(principalMappingRules(config, listenerName));
    try {
      tls.createSecureContext(options);
    } catch (err) {
      // OpenSSL's security level refuses what Java still serves (a certificate signed with SHA-1,
      // a 1024-bit key): take it as Kafka would, keeping the strong cipher suites
      if (!/md too weak|key too small/.test(errorText(err))) throw new Error(`the TLS settings are not usable: ${errorText(err)}`);
      options.ciphers = `${options.ciphers ?? tls.DEFAULT_CIPHERS}:@SECLEVEL=0`;
      try {
        tls.createSecureContext(options);
      } catch (again) {
        throw new Error(`the TLS settings are not usable: ${errorText(again)}`);
      }
    }
    return options;
  } catch (err) {
    throw new Error(`listener ${listenerName}: ${errorText(err)}`);
  }
}

const errorText = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/** The private key (PKCS#8 PEM, decrypted) and certificate chain (PEM, leaf first) of the key store configs. */
function loadKeyStore(text: (name: string) => string | null): { key: string; chain: string[] } {
  const type = (text('ssl.keystore.type') ?? 'JKS').toUpperCase();
  const location = text('ssl.keystore.location');
  const storePassword = text('ssl.keystore.password');
  const keyPassword = text('ssl.key.password');
  const inlineKey = text('ssl.keystore.key');
  const inlineChain = text('ssl.keystore.certificate.chain');
  // the combinations Kafka's DefaultSslEngineFactory refuses, with its reasons
  if (inlineKey !== null) {
    if (type !== 'PEM') throw new Error(`ssl.keystore.key can be given only with ssl.keystore.type=PEM, not ${type}`);
    if (inlineChain === null) throw new Error('ssl.keystore.key is given without ssl.keystore.certificate.chain');
    if (location !== null) throw new Error('both ssl.keystore.location and ssl.keystore.key are given: give one');
    if (storePassword !== null) throw new Error('ssl.keystore.password cannot be given with ssl.keystore.type=PEM, only ssl.key.password');
    return pemKeyStore(inlineKey, inlineChain, keyPassword, 'ssl.keystore.key', 'ssl.keystore.certificate.chain');
  }
  if (inlineChain !== null) throw new Error('ssl.keystore.certificate.chain is given without ssl.keystore.key');
  if (location === null) {
    throw new Error('an SSL listener needs a private key and certificate: set ssl.keystore.location (or, with ssl.keystore.type=PEM, ssl.keystore.key and ssl.keystore.certificate.chain)');
  }
  if (type === 'PEM') {
    if (storePassword !== null) throw new Error('ssl.keystore.password cannot be given with ssl.keystore.type=PEM, only ssl.key.password');
    const pem = readStoreFile(location, 'ssl.keystore.location').toString('utf8');
    return pemKeyStore(pem, pem, keyPassword, `ssl.keystore.location ${location}`, `ssl.keystore.location ${location}`);
  }
  if (storePassword === null) throw new Error('ssl.keystore.location is given without ssl.keystore.password');
  const where = `ssl.keystore.location ${location}`;
  const store = readKeyStoreFile(location, type, storePassword, 'ssl.keystore.location', 'ssl.keystore.password');
  const entry = store.privateKeys[0];
  if (entry === undefined) throw new Error(`${where}: the key store has no private key entry`);
  // Kafka's key password defaults to the store password
  const password = keyPassword ?? storePassword;
  let key: KeyObject;
  try {
    key = entry.privateKey(password);
  } catch (err) {
    throw new Error(`${where}: cannot recover the private key "${entry.alias}": ${errorText(err)} (${keyPassword === null ? 'ssl.keystore.password, as ssl.key.password is not set' : 'ssl.key.password'})`);
  }
  let chain = entry.chain;
  if (chain.length === 0) {
    // a PKCS#12 key bag without a localKeyId: its certificate is the one with the same public key
    const leaf = store.certificates.find(c => c.checkPrivateKey(key));
    if (leaf !== undefined) chain = certificateChain(leaf, store.certificates);
  }
  if (chain.length === 0) throw new Error(`${where}: no certificate for the private key "${entry.alias}"`);
  return keyAndChain(key, chain, where);
}

/** The key and chain as PEM, once the key is known to be the leaf certificate's. */
function keyAndChain(key: KeyObject, chain: X509Certificate[], where: string): { key: string; chain: string[] } {
  if (!chain[0]!.checkPrivateKey(key)) throw new Error(`${where}: the private key does not belong to the certificate ${subjectName(chain[0]!)}`);
  return { key: pkcs8Pem(key), chain: chain.map(c => c.toString()) };
}

/** Trusted certificates (PEM) of the trust store configs; null when none is configured. */
function loadTrustStore(text: (name: string) => string | null): string[] | null {
  const type = (text('ssl.truststore.type') ?? 'JKS').toUpperCase();
  const location = text('ssl.truststore.location');
  const password = text('ssl.truststore.password');
  const inline = text('ssl.truststore.certificates');
  if (inline !== null) {
    if (type !== 'PEM') throw new Error(`ssl.truststore.certificates can be given only with ssl.truststore.type=PEM, not ${type}`);
    if (location !== null) throw new Error('both ssl.truststore.location and ssl.truststore.certificates are given: give one');
    if (password !== null) throw new Error('ssl.truststore.password cannot be given with ssl.truststore.type=PEM');
    return pemCertificates(inline, 'ssl.truststore.certificates').map(c => c.toString());
  }
  if (location === null) {
    if (password !== null) throw new Error('ssl.truststore.password is given without ssl.truststore.location');
    return null;
  }
  if (type === 'PEM') {
    if (password !== null) throw new Error('ssl.truststore.password cannot be given with ssl.truststore.type=PEM');
    const pem = readStoreFile(location, 'ssl.truststore.location').toString('utf8');
    return pemCertificates(pem, `ssl.truststore.location ${location}`).map(c => c.toString());
  }
  // without a password the store is read unchecked, as Java reads it
  const store = readKeyStoreFile(location, type, password, 'ssl.truststore.location', 'ssl.truststore.password');
  // Java's trust managers take each trusted-certificate entry and the first certificate of each key entry
  const certs = [...store.trustedCertificates.map(e => e.certificate), ...store.privateKeys.flatMap(e => e.chain.slice(0, 1))];
  return certs.map(c => c.toString());
}

function readStoreFile(location: string, config: string): Buffer {
  try {
    return fs.readFileSync(location);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new Error(`${config} ${location}: ${code === 'ENOENT' ? 'no such file' : errorText(err)}`);
  }
}

const pkcs8Pem = (key: KeyObject): string => key.export({ type: 'pkcs8', format: 'pem' }) as string;

// ---------------------------------------------------------------------------------------------
// PEM

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;
const PEM_PRIVATE_KEY = /-----BEGIN ([A-Z0-9 ]*PRIVATE KEY)-----[\s\S]*?-----END \1-----/g;

/** The certificates of a PEM text, in order; at least one. */
export function pemCertificates(pem: string, where: string): X509Certificate[] {
  const blocks = pem.match(PEM_CERTIFICATE) ?? [];
  if (blocks.length === 0) throw new Error(`${where}: no certificate (-----BEGIN CERTIFICATE-----) found`);
  return blocks.map((b, i) => {
    try {
      return new X509Certificate(b);
    } catch (err) {
      throw new Error(`${where}: certificate ${i + 1} does not parse: ${errorText(err)}`);
    }
  });
}

/** Kafka's PEM key store: exactly one private key (encrypted with ssl.key.password, or not) and its certificate chain. */
function pemKeyStore(keyText: string, chainText: string, keyPassword: string | null, keyWhere: string, chainWhere: string): { key: string; chain: string[] } {
  const keys = keyText.match(PEM_PRIVATE_KEY) ?? [];
  if (keys.length === 0) throw new Error(`${keyWhere}: no private key (-----BEGIN PRIVATE KEY----- or ENCRYPTED PRIVATE KEY) found`);
  if (keys.length > 1) throw new Error(`${keyWhere}: expected one private key, but found ${keys.length}`);
  // PKCS#8 ENCRYPTED PRIVATE KEY, or OpenSSL's traditional form with a Proc-Type header
  const encrypted = /^-----BEGIN ENCRYPTED|Proc-Type: *4, *ENCRYPTED/m.test(keys[0]!);
  if (encrypted && keyPassword === null) throw new Error(`${keyWhere}: the private key is encrypted: give its password in ssl.key.password`);
  let key: KeyObject;
  try {
    key = crypto.createPrivateKey(keyPassword === null ? { key: keys[0]! } : { key: keys[0]!, passphrase: keyPassword });
  } catch (err) {
    if (encrypted) throw new Error(`${keyWhere}: ssl.key.password does not decrypt the private key`);
    throw new Error(`${keyWhere}: the private key does not parse: ${errorText(err)}`);
  }
  return keyAndChain(key, pemCertificates(chainText, chainWhere), keyWhere);
}

// ---------------------------------------------------------------------------------------------
// Key stores (JKS and PKCS12)

export interface PrivateKeyEntry {
  alias: string;
  /** The certificate chain, leaf first (empty when a PKCS#12 store does not say which certificate is the key's). */
  chain: X509Certificate[];
  /** Decrypts the key: throws when the password is wrong. */
  privateKey(password: string): KeyObject;
}

export interface TrustedCertificateEntry {
  alias: string;
  certificate: X509Certificate;
}

export interface KeyStore {
  privateKeys: PrivateKeyEntry[];
  trustedCertificates: TrustedCertificateEntry[];
  /** Every certificate in the store. */
  certificates: X509Certificate[];
}

/**
 * Reads a key store file. The format is read from the content, as Java's key stores do by default
 * (keystore.type.compat): a store of type JKS may be a PKCS12 file, and the other way round.
 */
export function readKeyStoreFile(location: string, type: string, password: string | null, config: string, passwordConfig: string): KeyStore {
  const data = readStoreFile(location, config);
  const where = `${config} ${location}`;
  try {
    if (data.length >= 4 && data.readUInt32BE(0) === JKS_MAGIC) return readJks(data, password);
    if (data.length >= 4 && data.readUInt32BE(0) === JCEKS_MAGIC) throw new Error('a JCEKS key store, which Samsa does not read: convert it with keytool -importkeystore -deststoretype PKCS12');
    if (data[0] === 0x30) return readPkcs12(data, password);
    throw new Error(`not a ${type} key store (neither JKS nor PKCS12)`);
  } catch (err) {
    if (err instanceof StorePasswordError) throw new Error(`${where}: ${err.message} (${passwordConfig})`);
    throw new Error(`${where}: ${errorText(err)}`);
  }
}

/** The store's integrity check failed: a wrong password, or a damaged file. */
class StorePasswordError extends Error {}

const JKS_MAGIC = 0xfeedfeed;
const JCEKS_MAGIC = 0xcececece;
/** Sun's proprietary key protection of JKS private keys. */
const JKS_KEY_PROTECTOR = '1.3.6.1.4.1.42.2.17.1.1';

/** A password as Java's JKS code hashes it: each UTF-16 code unit, big-endian. */
function utf16be(password: string): Buffer {
  const out = Buffer.alloc(password.length * 2);
  for (let i = 0; i < password.length; i++) out.writeUInt16BE(password.charCodeAt(i), i * 2);
  return out;
}

/** Bounds-checked reads over a key store's bytes. */
class Cursor {
  pos = 0;
  constructor(private readonly data: Buffer) {}
  private need(n: number): number {
    if (this.pos + n > this.data.length) throw new Error('the key store is truncated');
    const at = this.pos;
    this.pos += n;
    return at;
  }
  u16(): number {
    return this.data.readUInt16BE(this.need(2));
  }
  u32(): number {
    return this.data.readUInt32BE(this.need(4));
  }
  bytes(n: number): Buffer {
    return this.data.subarray(this.need(n), this.pos);
  }
  /** DataInputStream.readUTF: a length, then modified UTF-8 (NUL as C0 80, supplementary characters as surrogate pairs). */
  utf(): string {
    const b = this.bytes(this.u16());
    let s = '';
    for (let i = 0; i < b.length; ) {
      const c = b[i]!;
      if (c < 0x80) {
        s += String.fromCharCode(c);
        i += 1;
      } else if ((c & 0xe0) === 0xc0 && i + 1 < b.length) {
        s += String.fromCharCode(((c & 0x1f) << 6) | (b[i + 1]! & 0x3f));
        i += 2;
      } else if ((c & 0xf0) === 0xe0 && i + 2 < b.length) {
        s += String.fromCharCode(((c & 0x0f) << 12) | ((b[i + 1]! & 0x3f) << 6) | (b[i + 2]! & 0x3f));
        i += 3;
      } else {
        throw new Error('the key store has a malformed alias');
      }
    }
    return s;
  }
}

/**
 * Reads a JKS key store (Java's own format, keytool's default before Java 9): private-key entries
 * with their certificate chains, and trusted-certificate entries. With a password, the store's
 * SHA-1 digest (over the password, "Mighty Aphrodite" and the content) is checked; without one
 * the store is read unchecked, as Java does for a trust store without a password.
 */
export function readJks(data: Buffer, storePassword: string | null): KeyStore {
  const r = new Cursor(data);
  if (r.u32() !== JKS_MAGIC) throw new Error('not a JKS key store');
  const version = r.u32();
  if (version !== 1 && version !== 2) throw new Error(`unknown JKS version ${version}`);
  const count = r.u32();
  const readCertificate = (): X509Certificate => {
    // version 1 stores only X.509 certificates and does not name the type
    if (version === 2) {
      const certType = r.utf();
      if (certType !== 'X.509') throw new Error(`a ${certType} certificate, not X.509`);
    }
    const der = r.bytes(r.u32());
    try {
      return new X509Certificate(der);
    } catch (err) {
      throw new Error(`a certificate does not parse: ${errorText(err)}`);
    }
  };
  const privateKeys: PrivateKeyEntry[] = [];
  const trustedCertificates: TrustedCertificateEntry[] = [];
  for (let i = 0; i < count; i++) {
    const tag = r.u32();
    const alias = r.utf();
    r.bytes(8); // creation date
    if (tag === 1) {
      const protectedKey = r.bytes(r.u32());
      const chainLength = r.u32();
      const chain: X509Certificate[] = [];
      for (let j = 0; j < chainLength; j++) chain.push(readCertificate());
      privateKeys.push({ alias, chain, privateKey: password => recoverJksKey(protectedKey, password) });
    } else if (tag === 2) {
      trustedCertificates.push({ alias, certificate: readCertificate() });
    } else {
      throw new Error(`entry "${alias}" is of an unknown kind (${tag}): a JCEKS secret key?`);
    }
  }
  const content = data.subarray(0, r.pos);
  const digest = r.bytes(20);
  if (storePassword !== null) {
    const expected = crypto.createHash('sha1').update(utf16be(storePassword)).update('Mighty Aphrodite', 'utf8').update(content).digest();
    if (!expected.equals(digest)) throw new StorePasswordError('Keystore was tampered with, or password was incorrect');
  }
  return { privateKeys, trustedCertificates, certificates: [...privateKeys.flatMap(e => e.chain), ...trustedCertificates.map(e => e.certificate)] };
}

/**
 * Sun's JKS key protector: the protected key is salt(20) | key XOR keystream | check(20), the
 * keystream being successive SHA-1(password || previous digest) blocks from the salt, and the
 * check SHA-1(password || key). The key is a PKCS#8 PrivateKeyInfo.
 */
function recoverJksKey(encryptedPrivateKeyInfo: Buffer, password: string): KeyObject {
  const info = derChildren(derAt(encryptedPrivateKeyInfo, 0));
  const algorithm = oidOf(derChildren(info[0]!)[0]!);
  if (algorithm !== JKS_KEY_PROTECTOR) throw new Error(`the key is protected by ${algorithm}, not the JKS key protector`);
  const protectedKey = octets(info[1]!);
  if (protectedKey.length < 40) throw new Error('the protected key is truncated');
  const salt = protectedKey.subarray(0, 20);
  const encrypted = protectedKey.subarray(20, protectedKey.length - 20);
  const check = protectedKey.subarray(protectedKey.length - 20);
  const passwordBytes = utf16be(password);
  const plain = Buffer.alloc(encrypted.length);
  let digest: Buffer = salt;
  for (let at = 0; at < encrypted.length; at += 20) {
    digest = crypto.createHash('sha1').update(passwordBytes).update(digest).digest();
    for (let i = 0; i < 20 && at + i < encrypted.length; i++) plain[at + i] = encrypted[at + i]! ^ digest[i]!;
  }
  const actual = crypto.createHash('sha1').update(passwordBytes).update(plain).digest();
  if (!actual.equals(check)) throw new Error('Cannot recover key: the password is wrong');
  return crypto.createPrivateKey({ key: plain, format: 'der', type: 'pkcs8' });
}

// PKCS#12 (RFC 7292): the object identifiers read here
const OID = {
  data: '1.2.840.113549.1.7.1',
  encryptedData: '1.2.840.113549.1.7.6',
  keyBag: '1.2.840.113549.1.12.10.1.1',
  shroudedKeyBag: '1.2.840.113549.1.12.10.1.2',
  certBag: '1.2.840.113549.1.12.10.1.3',
  x509Certificate: '1.2.840.113549.1.9.22.1',
  friendlyName: '1.2.840.113549.1.9.20',
  localKeyId: '1.2.840.113549.1.9.21',
  /** Java's "trusted key usage" attribute: the certificate is a trusted-certificate entry. */
  javaTrustedKeyUsage: '2.16.840.1.113894.746875.1.1',
  pbes2: '1.2.840.113549.1.5.13',
  pbkdf2: '1.2.840.113549.1.5.12',
};

/** Digest names by OID: PKCS#12 MACs and PBKDF2's HMAC PRFs. */
const MAC_DIGESTS: Record<string, string> = {
  '1.3.14.3.2.26': 'sha1',
  '2.16.840.1.101.3.4.2.4': 'sha224',
  '2.16.840.1.101.3.4.2.1': 'sha256',
  '2.16.840.1.101.3.4.2.2': 'sha384',
  '2.16.840.1.101.3.4.2.3': 'sha512',
};
const PBKDF2_PRFS: Record<string, string> = {
  '1.2.840.113549.2.7': 'sha1',
  '1.2.840.113549.2.8': 'sha224',
  '1.2.840.113549.2.9': 'sha256',
  '1.2.840.113549.2.10': 'sha384',
  '1.2.840.113549.2.11': 'sha512',
};
/** PBES2 ciphers: Node name and key length. */
const PBES2_CIPHERS: Record<string, [string, number]> = {
  '2.16.840.1.101.3.4.1.2': ['aes-128-cbc', 16],
  '2.16.840.1.101.3.4.1.22': ['aes-192-cbc', 24],
  '2.16.840.1.101.3.4.1.42': ['aes-256-cbc', 32],
  '1.2.840.113549.3.7': ['des-ede3-cbc', 24],
};
/** PKCS#12 password-based encryption (SHA-1 key derivation): cipher, key length. RC2 is decrypted here: OpenSSL 3 keeps it in its legacy provider. */
const PKCS12_PBE: Record<string, [string, number]> = {
  '1.2.840.113549.1.12.1.3': ['des-ede3-cbc', 24],
  '1.2.840.113549.1.12.1.4': ['des-ede-cbc', 16],
  '1.2.840.113549.1.12.1.5': ['rc2', 16],
  '1.2.840.113549.1.12.1.6': ['rc2', 5],
};

/** A PKCS#12 password as its key derivation takes it: BMPString with a terminating NUL. */
function bmpPassword(password: string): Buffer {
  return Buffer.concat([utf16be(password), Buffer.alloc(2)]);
}

const HASH_BLOCK: Record<string, number> = { sha1: 64, sha224: 64, sha256: 64, sha384: 128, sha512: 128 };

/** RFC 7292 appendix B.2: the PKCS#12 key derivation (id 1: key, 2: IV, 3: MAC key). */
function pkcs12Kdf(digest: string, password: Buffer, salt: Buffer, id: number, iterations: number, length: number): Buffer {
  const v = HASH_BLOCK[digest]!;
  const repeat = (b: Buffer) => {
    if (b.length === 0) return Buffer.alloc(0);
    const out = Buffer.alloc(v * Math.ceil(b.length / v));
    for (let i = 0; i < out.length; i++) out[i] = b[i % b.length]!;
    return out;
  };
  const D = Buffer.alloc(v, id);
  const I = Buffer.concat([repeat(salt), repeat(password)]);
  const out: Buffer[] = [];
  let produced = 0;
  while (produced < length) {
    let A = crypto.createHash(digest).update(D).update(I).digest();
    for (let r = 1; r < iterations; r++) A = crypto.createHash(digest).update(A).digest();
    out.push(A);
    produced += A.length;
    if (produced >= length) break;
    const B = Buffer.alloc(v);
    for (let i = 0; i < v; i++) B[i] = A[i % A.length]!;
    // each v-byte block of I becomes (I_j + B + 1) mod 2^(8v)
    for (let j = 0; j < I.length; j += v) {
      let carry = 1;
      for (let k = v - 1; k >= 0; k--) {
        const sum = I[j + k]! + B[k]! + carry;
        I[j + k] = sum & 0xff;
        carry = sum >>> 8;
      }
    }
  }
  return Buffer.concat(out).subarray(0, length);
}

/** Decrypts PKCS#12 content or a shrouded key: PBES2 (PBKDF2 + AES or 3DES), or PKCS#12 PBE (3DES, RC2). */
function pbeDecrypt(algorithmIdentifier: DerNode, encrypted: Buffer, password: string): Buffer {
  const [algorithm, params] = derChildren(algorithmIdentifier);
  const oid = oidOf(algorithm!);
  if (oid === OID.pbes2) {
    const [kdf, scheme] = derChildren(params!);
    const [kdfOid, kdfParams] = derChildren(kdf!);
    if (oidOf(kdfOid!) !== OID.pbkdf2) throw new Error(`key derivation ${oidOf(kdfOid!)} is not supported (PBKDF2 is)`);
    const kp = derChildren(kdfParams!);
    const salt = octets(kp[0]!);
    const iterations = integer(kp[1]!);
    let prf = 'sha1';
    for (const extra of kp.slice(2)) {
      if (extra.tag === 0x30) {
        const name = PBKDF2_PRFS[oidOf(derChildren(extra)[0]!)];
        if (name === undefined) throw new Error(`PBKDF2 PRF ${oidOf(derChildren(extra)[0]!)} is not supported`);
        prf = name;
      }
    }
    const [schemeOid, iv] = derChildren(scheme!);
    const cipher = PBES2_CIPHERS[oidOf(schemeOid!)];
    if (cipher === undefined) throw new Error(`cipher ${oidOf(schemeOid!)} is not supported`);
    const key = crypto.pbkdf2Sync(Buffer.from(password, 'utf8'), salt, iterations, cipher[1], prf);
    return cbcDecrypt(cipher[0], key, octets(iv!), encrypted);
  }
  const pbe = PKCS12_PBE[oid];
  if (pbe === undefined) throw new Error(`encryption ${oid} is not supported`);
  const [saltNode, iterationsNode] = derChildren(params!);
  const salt = octets(saltNode!);
  const iterations = integer(iterationsNode!);
  const pw = bmpPassword(password);
  const key = pkcs12Kdf('sha1', pw, salt, 1, iterations, pbe[1]);
  const iv = pkcs12Kdf('sha1', pw, salt, 2, iterations, 8);
  return pbe[0] === 'rc2' ? rc2CbcDecrypt(key, pbe[1] * 8, iv, encrypted) : cbcDecrypt(pbe[0], key, iv, encrypted);
}

function cbcDecrypt(cipher: string, key: Buffer, iv: Buffer, data: Buffer): Buffer {
  try {
    const d = crypto.createDecipheriv(cipher, key, iv);
    return Buffer.concat([d.update(data), d.final()]);
  } catch {
    throw new Error('the password is wrong (the content does not decrypt)');
  }
}

/**
 * Reads a PKCS#12 store (keytool's default since Java 9, and OpenSSL's): private keys with their
 * certificates, and certificates. A certificate with Java's trusted-key-usage attribute, or that
 * belongs to no key, is a trusted certificate. The MAC is checked when a password is given.
 */
export function readPkcs12(data: Buffer, storePassword: string | null): KeyStore {
  const pfx = derChildren(derAt(data, 0));
  if (pfx.length < 2 || integer(pfx[0]!) !== 3) throw new Error('not a PKCS12 key store');
  const [authSafeType, authSafeContent] = derChildren(pfx[1]!);
  if (oidOf(authSafeType!) !== OID.data) throw new Error('a PKCS12 store signed with a public key, which is not supported');
  const authSafe = octets(derChildren(authSafeContent!)[0]!);
  if (pfx[2] !== undefined && storePassword !== null) verifyPkcs12Mac(pfx[2], authSafe, storePassword);

  interface Bag {
    kind: 'key' | 'cert';
    alias: string | null;
    localKeyId: string | null;
    trusted: boolean;
    cert?: X509Certificate;
    key?: (password: string) => KeyObject;
  }
  const bags: Bag[] = [];
  const readBags = (safeContents: Buffer) => {
    for (const bag of derChildren(derAt(safeContents, 0))) {
      const [bagId, bagValue, attributes] = derChildren(bag);
      const value = derChildren(bagValue!)[0]!;
      let alias: string | null = null;
      let localKeyId: string | null = null;
      let trusted = false;
      for (const attr of attributes === undefined ? [] : derChildren(attributes)) {
        const [attrId, values] = derChildren(attr);
        const first = derChildren(values!)[0];
        const id = oidOf(attrId!);
        if (id === OID.friendlyName && first !== undefined) alias = decodeString(first) ?? null;
        else if (id === OID.localKeyId && first !== undefined) localKeyId = octets(first).toString('hex');
        else if (id === OID.javaTrustedKeyUsage) trusted = true;
      }
      const type = oidOf(bagId!);
      if (type === OID.certBag) {
        const [certType, certValue] = derChildren(value);
        if (oidOf(certType!) !== OID.x509Certificate) continue;
        bags.push({ kind: 'cert', alias, localKeyId, trusted, cert: new X509Certificate(octets(derChildren(certValue!)[0]!)) });
      } else if (type === OID.keyBag) {
        const der = value.raw;
        bags.push({ kind: 'key', alias, localKeyId, trusted, key: () => crypto.createPrivateKey({ key: der, format: 'der', type: 'pkcs8' }) });
      } else if (type === OID.shroudedKeyBag) {
        const [algorithm, encrypted] = derChildren(value);
        bags.push({
          kind: 'key',
          alias,
          localKeyId,
          trusted,
          key: password => crypto.createPrivateKey({ key: pbeDecrypt(algorithm!, octets(encrypted!), password), format: 'der', type: 'pkcs8' }),
        });
      }
    }
  };
  for (const contentInfo of derChildren(derAt(authSafe, 0))) {
    const [contentType, content] = derChildren(contentInfo);
    const type = oidOf(contentType!);
    if (type === OID.data) {
      readBags(octets(derChildren(content!)[0]!));
    } else if (type === OID.encryptedData) {
      if (storePassword === null) throw new Error('the store\'s certificates are encrypted: its password is needed');
      const encryptedData = derChildren(derChildren(content!)[0]!);
      const [, algorithm, encrypted] = derChildren(encryptedData[1]!);
      if (encrypted === undefined) continue;
      let plain: Buffer;
      try {
        plain = pbeDecrypt(algorithm!, octets(encrypted), storePassword);
      } catch (err) {
        throw pfx[2] === undefined ? new StorePasswordError(errorText(err)) : err;
      }
      readBags(plain);
    }
  }

  const certs = bags.filter(b => b.kind === 'cert').map(b => b.cert!);
  const keyBags = bags.filter(b => b.kind === 'key');
  const privateKeys: PrivateKeyEntry[] = keyBags.map((k, i) => {
    const leaf = bags.find(b => b.kind === 'cert' && ((k.localKeyId !== null && b.localKeyId === k.localKeyId) || (k.localKeyId === null && k.alias !== null && b.alias === k.alias)));
    return {
      alias: k.alias ?? k.localKeyId ?? String(i + 1),
      chain: leaf === undefined ? [] : certificateChain(leaf.cert!, certs),
      privateKey: k.key!,
    };
  });
  const keyLeaves = new Set(privateKeys.map(k => k.chain[0]).filter(c => c !== undefined));
  const trustedCertificates = bags
    .filter(b => b.kind === 'cert' && (b.trusted || (b.localKeyId === null && !keyLeaves.has(b.cert!))))
    .map((b, i) => ({ alias: b.alias ?? String(i + 1), certificate: b.cert! }));
  return { privateKeys, trustedCertificates, certificates: certs };
}

function verifyPkcs12Mac(macData: DerNode, authSafe: Buffer, password: string): void {
  const [digestInfo, saltNode, iterationsNode] = derChildren(macData);
  const [algorithm, expected] = derChildren(digestInfo!);
  const digestOid = oidOf(derChildren(algorithm!)[0]!);
  const digest = MAC_DIGESTS[digestOid];
  if (digest === undefined) throw new Error(`MAC algorithm ${digestOid} is not supported`);
  const salt = octets(saltNode!);
  const iterations = iterationsNode === undefined ? 1 : integer(iterationsNode);
  const mac = octets(expected!);
  // an empty password is hashed as a lone NUL by some tools and as nothing by others
  const candidates = password === '' ? [bmpPassword(''), Buffer.alloc(0)] : [bmpPassword(password)];
  for (const pw of candidates) {
    const key = pkcs12Kdf(digest, pw, salt, 3, iterations, crypto.createHash(digest).digest().length);
    if (crypto.createHmac(digest, key).update(authSafe).digest().equals(mac)) return;
  }
  throw new StorePasswordError('the password is wrong, or the file is damaged (its MAC does not match)');
}

/** A certificate and its issuers from `pool`, leaf first, up to a self-issued one. */
function certificateChain(leaf: X509Certificate, pool: X509Certificate[]): X509Certificate[] {
  const chain = [leaf];
  for (let current = leaf; chain.length < 10; ) {
    if (current.checkIssued(current)) break;
    const issuer = pool.find(c => !chain.includes(c) && current.checkIssued(c));
    if (issuer === undefined) break;
    chain.push(issuer);
    current = issuer;
  }
  return chain;
}

// RC2 (RFC 2268), decryption only, for PKCS#12 files made by Java 8 and `openssl pkcs12 -legacy`
/** RFC 2268's PITABLE, a permutation of 0..255 from the digits of pi. */
const RC2_PITABLE = Buffer.from(
  [
    'd978f9c419ddb5ed28e9fd794aa0d89dc67e37832b76538e624c6488448bfba2',
    '179a59f587b34f1361456d8d09817d32bd8f40eb86b77b0bf09521225c6b4e82',
    '54d66593ce60b21c7356c014a78cf1dc1275ca1f3bbee4d1423dd430a33cb626',
    '6fbf0eda4669075727f21d9bbc944303f811c7f690ef3ee706c3d52fc8661ed7',
    '08e8eade8052eef784aa72ac354d6a2a961ad2715a1549744b9fd05e0418a4ec',
    'c2e0416e0f51cbcc2491af50a1f47039997c3a8523b8b47afc02365b25559731',
    '2d5dfa98e38a92ae05df2910676cbac9d300e6cfe19ea82c6316013f58e289a9',
    '0d38341bab33ffb0bb480c5fb9b1cd2ec5f3db47e5a59c770aa62068fe7fc1ad',
  ].join(''),
  'hex',
);

function rc2CbcDecrypt(key: Buffer, effectiveBits: number, iv: Buffer, data: Buffer): Buffer {
  if (data.length === 0 || data.length % 8 !== 0) throw new Error('the password is wrong (the content does not decrypt)');
  // key expansion
  const L = Buffer.alloc(128);
  key.copy(L);
  for (let i = key.length; i < 128; i++) L[i] = RC2_PITABLE[(L[i - 1]! + L[i - key.length]!) & 0xff]!;
  const T8 = (effectiveBits + 7) >> 3;
  const TM = 0xff >> (8 * T8 - effectiveBits);
  L[128 - T8] = RC2_PITABLE[L[128 - T8]! & TM]!;
  for (let i = 127 - T8; i >= 0; i--) L[i] = RC2_PITABLE[L[i + 1]! ^ L[i + T8]!]!;
  const K = new Uint16Array(64);
  for (let i = 0; i < 64; i++) K[i] = L[2 * i]! | (L[2 * i + 1]! << 8);

  const out = Buffer.alloc(data.length);
  let prev = iv;
  const R = new Uint16Array(4);
  for (let off = 0; off < data.length; off += 8) {
    for (let i = 0; i < 4; i++) R[i] = data[off + 2 * i]! | (data[off + 2 * i + 1]! << 8);
    let j = 63;
    const rmix = () => {
      R[3] = ((R[3]! >>> 5) | (R[3]! << 11)) - K[j--]! - (R[2]! & R[1]!) - (~R[2]! & R[0]!);
      R[2] = ((R[2]! >>> 3) | (R[2]! << 13)) - K[j--]! - (R[1]! & R[0]!) - (~R[1]! & R[3]!);
      R[1] = ((R[1]! >>> 2) | (R[1]! << 14)) - K[j--]! - (R[0]! & R[3]!) - (~R[0]! & R[2]!);
      R[0] = ((R[0]! >>> 1) | (R[0]! << 15)) - K[j--]! - (R[3]! & R[2]!) - (~R[3]! & R[1]!);
    };
    const rmash = () => {
      R[3] = R[3]! - K[R[2]! & 63]!;
      R[2] = R[2]! - K[R[1]! & 63]!;
      R[1] = R[1]! - K[R[0]! & 63]!;
      R[0] = R[0]! - K[R[3]! & 63]!;
    };
    for (let r = 0; r < 5; r++) rmix();
    rmash();
    for (let r = 0; r < 6; r++) rmix();
    rmash();
    for (let r = 0; r < 5; r++) rmix();
    for (let i = 0; i < 4; i++) {
      out[off + 2 * i] = (R[i]! & 0xff) ^ prev[2 * i]!;
      out[off + 2 * i + 1] = (R[i]! >>> 8) ^ prev[2 * i + 1]!;
    }
    prev = data.subarray(off, off + 8);
  }
  const pad = out[out.length - 1]!;
  if (pad < 1 || pad > 8 || !out.subarray(out.length - pad).every(b => b === pad)) throw new Error('the password is wrong (the content does not decrypt)');
  return out.subarray(0, out.length - pad);
}

// ---------------------------------------------------------------------------------------------
// DER, as far as certificates and key stores need it (BER's indefinite lengths too: some PKCS#12 writers use them)

interface DerNode {
  /** The identifier octet (class, constructed bit, tag number). */
  tag: number;
  /** The content octets. */
  value: Buffer;
  /** The whole encoding, identifier and length included. */
  raw: Buffer;
  /** Where the node ends in the buffer it was read from. */
  end: number;
}

function derAt(buf: Buffer, pos: number): DerNode {
  const start = pos;
  const byte = () => {
    if (pos >= buf.length) throw new Error('the encoding is truncated');
    return buf[pos++]!;
  };
  const tag = byte();
  if ((tag & 0x1f) === 0x1f) while (byte() & 0x80);
  let length = byte();
  if (length === 0x80) {
    if ((tag & 0x20) === 0) throw new Error('an indefinite length on a primitive value');
    let p = pos;
    while (!(buf[p] === 0 && buf[p + 1] === 0)) {
      if (p >= buf.length) throw new Error('the encoding is truncated');
      p = derAt(buf, p).end;
    }
    return { tag, value: buf.subarray(pos, p), raw: buf.subarray(start, p + 2), end: p + 2 };
  }
  if (length & 0x80) {
    const n = length & 0x7f;
    if (n > 4) throw new Error('a length too long');
    length = 0;
    for (let i = 0; i < n; i++) length = length * 256 + byte();
  }
  if (pos + length > buf.length) throw new Error('the encoding is truncated');
  return { tag, value: buf.subarray(pos, pos + length), raw: buf.subarray(start, pos + length), end: pos + length };
}

function derChildren(node: DerNode): DerNode[] {
  const out: DerNode[] = [];
  for (let p = 0; p < node.value.length; ) {
    const child = derAt(node.value, p);
    out.push(child);
    p = child.end;
  }
  return out;
}

/** An OCTET STRING's bytes (a constructed one's pieces joined). */
function octets(node: DerNode): Buffer {
  return node.tag & 0x20 ? Buffer.concat(derChildren(node).map(octets)) : node.value;
}

function integer(node: DerNode): number {
  let n = 0;
  for (const b of node.value) n = n * 256 + b;
  return n;
}

function oidOf(node: DerNode): string {
  const arcs: bigint[] = [];
  let v = 0n;
  for (const b of node.value) {
    v = (v << 7n) | BigInt(b & 0x7f);
    if ((b & 0x80) === 0) {
      arcs.push(v);
      v = 0n;
    }
  }
  const first = arcs.shift() ?? 0n;
  const head = first < 40n ? [0n, first] : first < 80n ? [1n, first - 40n] : [2n, first - 80n];
  return [...head, ...arcs].join('.');
}

const US_ASCII = (b: Buffer) => Array.from(b, c => (c < 0x80 ? String.fromCharCode(c) : '\ufffd')).join('');

/** A string attribute value (a PKCS#12 friendly name) decoded by its type; undefined for a type that is no string. */
function decodeString(node: DerNode): string | undefined {
  switch (node.tag) {
    case 0x0c: // UTF8String
      return new TextDecoder('utf-8').decode(node.value);
    case 0x13: // PrintableString
    case 0x16: // IA5String
    case 0x1b: // GeneralString
      return US_ASCII(node.value);
    case 0x14: // T61String, read as ISO-8859-1
      return node.value.toString('latin1');
    case 0x1e: {
      // BMPString
      let s = '';
      for (let i = 0; i + 1 < node.value.length; i += 2) s += String.fromCharCode(node.value.readUInt16BE(i));
      return s;
    }
    default:
      return undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// Distinguished names and principals

/** The attribute types X500Principal.getName() names by keyword (RFC 2253's table); others are written as OIDs. */
const RFC2253_KEYWORDS: Record<string, string> = {
  '2.5.4.3': 'CN',
  '2.5.4.6': 'C',
  '2.5.4.7': 'L',
  '2.5.4.8': 'ST',
  '2.5.4.10': 'O',
  '2.5.4.11': 'OU',
  '2.5.4.9': 'STREET',
  '0.9.2342.19200300.100.1.25': 'DC',
  '0.9.2342.19200300.100.1.1': 'UID',
};

const RFC2253_SPECIALS = ',=+<>#;"\\';

/** UTF8String, PrintableString, T61String, IA5String, GeneralString, BMPString (Java's AVA.isDerString). */
const DIRECTORY_STRING_TAGS = new Set([0x0c, 0x13, 0x14, 0x16, 0x1b, 0x1e]);

/** One attribute type and value as Java's AVA.toRFC2253String writes it. */
function rfc2253Ava(ava: DerNode): string {
  const [typeNode, valueNode] = derChildren(ava);
  const oid = oidOf(typeNode!);
  const keyword = RFC2253_KEYWORDS[oid];
  // Java takes the content of every directory string type as UTF-8 here, whatever the type's own
  // encoding (a BMPString's NULs come out as \00)
  const text = keyword === undefined || !DIRECTORY_STRING_TAGS.has(valueNode!.tag) ? undefined : new TextDecoder('utf-8').decode(valueNode!.value);
  // an OID-named type, or a value that is no directory string: '#' and the value's DER in hex
  if (keyword === undefined || text === undefined) return `${keyword ?? oid}=#${valueNode!.raw.toString('hex')}`;
  let escaped = '';
  for (const c of text) escaped += RFC2253_SPECIALS.includes(c) ? `\\${c}` : c === '\u0000' ? '\\00' : c;
  // leading and trailing spaces (and carriage returns) are escaped one by one
  let lead = 0;
  while (lead < escaped.length && (escaped[lead] === ' ' || escaped[lead] === '\r')) lead++;
  let trail = escaped.length - 1;
  while (trail >= 0 && (escaped[trail] === ' ' || escaped[trail] === '\r')) trail--;
  if (lead === 0 && trail === escaped.length - 1) return `${keyword}=${escaped}`;
  let out = '';
  for (let i = 0; i < escaped.length; i++) out += (i < lead || i > trail ? '\\' : '') + escaped[i];
  return `${keyword}=${out}`;
}

/**
 * A DER-encoded X.501 Name in RFC 2253 form as Java's X500Principal.getName() gives it: the
 * relative names in reverse order (most specific first), a multi-valued one's values joined by
 * '+' in their encoded order.
 */
export function rfc2253Name(nameDer: Buffer): string {
  return derChildren(derAt(nameDer, 0))
    .map(rdn => derChildren(rdn).map(rfc2253Ava).join('+'))
    .reverse()
    .join(',');
}

/** The subject of a certificate in RFC 2253 form, as Kafka sees it (X500Principal.getName()). */
export function subjectName(cert: tls.PeerCertificate | X509Certificate): string {
  const raw = cert.raw;
  if (!Buffer.isBuffer(raw) || raw.length === 0) throw new Error('no certificate');
  const tbs = derChildren(derChildren(derAt(raw, 0))[0]!);
  // version [0] is optional; then serial, signature, issuer, validity, subject
  const subject = tbs[tbs[0]!.tag === 0xa0 ? 5 : 4];
  if (subject === undefined) throw new Error('the certificate has no subject');
  return rfc2253Name(subject.raw);
}

const mappers = new Map<string, SslPrincipalMapper>();

/**
 * The principal of a client certificate, as Kafka's DefaultKafkaPrincipalBuilder makes it for SSL:
 * User:<subject in RFC 2253 form>, mapped by ssl.principal.mapping.rules. Throws when no rule applies.
 */
export function certificatePrincipal(cert: tls.PeerCertificate | X509Certificate, rules: string): KafkaPrincipal {
  let mapper = mappers.get(rules);
  if (mapper === undefined) {
    mapper = SslPrincipalMapper.fromRules(rules);
    mappers.set(rules, mapper);
  }
  const dn = subjectName(cert);
  try {
    return userPrincipal(mapper.name(dn));
  } catch (err) {
    throw new Error(`Failed to map name for '${dn}' based on SSL principal mapping rules: ${errorText(err)}`);
  }
}

/**
 * The principal of an established TLS connection: ANONYMOUS without a client certificate (or
 * when none was asked for), the certificate's principal when it verified, and null when a
 * certificate was presented that did not verify: Java fails such a handshake even with
 * ssl.client.auth=requested, so the caller closes the connection.
 */
export function tlsPeerPrincipal(socket: tls.TLSSocket, rules: string): KafkaPrincipal | null {
  const cert = socket.getPeerX509Certificate();
  if (cert === undefined) return ANONYMOUS;
  if (!socket.authorized) return null;
  return certificatePrincipal(cert, rules);
}

// Kafka's SslPrincipalMapper. The rule grammar, as Java regular expressions, which JavaScript's
// read the same way here; \s is spelled out as Java's (ASCII) whitespace.
const WS = '[ \\t\\n\\x0B\\f\\r]';
const RULE_PATTERN = String.raw`(DEFAULT)|RULE:((\\.|[^\\/])*)/((\\.|[^\\/])*)/([LU]?).*?|(.*?)`;

interface MappingRule {
  /** null: DEFAULT, the distinguished name itself. */
  pattern: string | null;
  replacement: string;
  toLowerCase: boolean;
  toUpperCase: boolean;
  full: RegExp | null;
  global: RegExp | null;
  groups: number;
}

/**
 * ssl.principal.mapping.rules: a comma-separated list of DEFAULT and RULE:pattern/replacement/[LU]
 * (pattern and replacement in Java's regular expression syntax, "\" escaping a "/"), the first
 * rule whose pattern matches the whole name giving it.
 */
export class SslPrincipalMapper {
  private constructor(private readonly rules: MappingRule[]) {}

  static fromRules(text: string | null): SslPrincipalMapper {
    const splitter = new RegExp(`${WS}*(${RULE_PATTERN})${WS}*(,${WS}*|$)`, 'g');
    const parser = new RegExp(`^(?:${RULE_PATTERN})`);
    const source = (text ?? 'DEFAULT').trim();
    const rules: MappingRule[] = [];
    for (let m = splitter.exec(source); m !== null; m = splitter.exec(source)) {
      if (m[0].length === 0) splitter.lastIndex++;
      const rule = m[1]!;
      const p = parser.exec(rule)!;
      if (p[0].length !== rule.length) {
        throw new Error(p[0].length === 0 ? `Invalid rule: ${rule}` : `Invalid rule: \`${rule}\`, unmatched substring: \`${rule.slice(p[0].length)}\``);
      }
      if (p[1] !== undefined) rules.push({ pattern: null, replacement: '', toLowerCase: false, toUpperCase: false, full: null, global: null, groups: 0 });
      else if (p[2] !== undefined) rules.push(compileRule(p[2], p[4]!, p[6] === 'L', p[6] === 'U'));
      // anything else is an empty rule, which Kafka ignores
    }
    return new SslPrincipalMapper(rules);
  }

  /** The principal name of a distinguished name; throws when no rule applies. */
  name(distinguishedName: string): string {
    for (const r of this.rules) {
      const name = applyRule(r, distinguishedName);
      if (name !== null) return name;
    }
    throw new Error(`No rules apply to ${distinguishedName}, rules ${this.toString().slice('SslPrincipalMapper(rules = '.length, -1)}`);
  }

  /** As Kafka's toString, which its tests use to show how rules were split. */
  toString(): string {
    const shown = this.rules.map(r =>
      r.pattern === null ? 'DEFAULT' : `RULE:${r.pattern}/${r.replacement}${r.toLowerCase ? '/L' : r.toUpperCase ? '/U' : ''}`,
    );
    return `SslPrincipalMapper(rules = [${shown.join(', ')}])`;
  }
}

function compileRule(pattern: string, replacement: string, toLowerCase: boolean, toUpperCase: boolean): MappingRule {
  // Java's leading (?i) becomes a flag: Node 20's RegExp has no inline modifiers
  let source = pattern;
  let flags = '';
  const inline = /^\(\?([imsx]+)\)/.exec(source);
  if (inline) {
    if (inline[1]!.includes('x')) throw new Error(`Invalid rule pattern ${pattern}: the (?x) flag is not supported`);
    flags = inline[1]!.replace(/[^ims]/g, '');
    source = source.slice(inline[0].length);
  }
  try {
    const full = new RegExp(`^(?:${source})$`, flags);
    const global = new RegExp(source, `${flags}g`);
    const groups = new RegExp(`${source}|`, flags).exec('')!.length - 1;
    return { pattern, replacement, toLowerCase, toUpperCase, full, global, groups };
  } catch (err) {
    throw new Error(`Invalid rule pattern ${pattern}: ${errorText(err)}`);
  }
}

function applyRule(rule: MappingRule, dn: string): string | null {
  if (rule.pattern === null) return dn;
  if (!rule.full!.test(dn)) return null;
  const result = javaReplaceAll(dn, rule.global!, escapeLiteralBackReferences(rule.replacement, rule.groups), rule.groups);
  if (rule.toLowerCase) return result.toLowerCase();
  if (rule.toUpperCase) return result.toUpperCase();
  return result;
}

/**
 * Kafka treats a back reference beyond the pattern's groups as literal text ($4 with 3 groups;
 * $12 with 1 group is $1 then "2"), escaping its '$'. The insertions are placed by positions in the
 * original replacement, as Kafka places them.
 */
function escapeLiteralBackReferences(replacement: string, groups: number): string {
  if (groups === 0) return replacement;
  let value = replacement;
  const refs = /\$(\d+)/g;
  for (let m = refs.exec(replacement); m !== null; m = refs.exec(replacement)) {
    if (m[1]!.startsWith('0')) continue;
    let ref = Number(m[1]);
    while (ref > groups && ref >= 10) ref = Math.floor(ref / 10);
    if (ref > groups) {
      const at = m.index;
      value = `${value.slice(0, at)}\\${value.slice(at)}`;
    }
  }
  return value;
}

/** String.replaceAll with a Java replacement string: $n (the longest valid group number), ${name}, and \ escapes. */
function javaReplaceAll(input: string, regex: RegExp, replacement: string, groups: number): string {
  let out = '';
  let last = 0;
  regex.lastIndex = 0;
  for (let m = regex.exec(input); m !== null; m = regex.exec(input)) {
    out += input.slice(last, m.index) + expandReplacement(replacement, m, groups);
    last = m.index + m[0].length;
    if (m[0].length === 0) {
      if (regex.lastIndex >= input.length) break;
      regex.lastIndex++;
    }
  }
  return out + input.slice(last);
}

function expandReplacement(replacement: string, m: RegExpExecArray, groups: number): string {
  let out = '';
  for (let i = 0; i < replacement.length; ) {
    const c = replacement[i]!;
    if (c === '\\') {
      if (i + 1 >= replacement.length) throw new Error('character to be escaped is missing');
      out += replacement[i + 1];
      i += 2;
    } else if (c === '$') {
      i++;
      if (i >= replacement.length) throw new Error('Illegal group reference: group index is missing');
      if (replacement[i] === '{') {
        const end = replacement.indexOf('}', i);
        const name = end < 0 ? '' : replacement.slice(i + 1, end);
        if (!/^[a-zA-Z][a-zA-Z0-9]*$/.test(name)) throw new Error('named capturing group is missing trailing \'}\'');
        if (m.groups === undefined || !(name in m.groups)) throw new Error(`No group with name {${name}}`);
        out += m.groups[name] ?? '';
        i = end + 1;
      } else {
        let ref = replacement.charCodeAt(i) - 48;
        if (ref < 0 || ref > 9) throw new Error('Illegal group reference');
        i++;
        if (ref > groups) throw new Error(`No group ${ref}`);
        while (i < replacement.length) {
          const d = replacement.charCodeAt(i) - 48;
          if (d < 0 || d > 9 || ref * 10 + d > groups) break;
          ref = ref * 10 + d;
          i++;
        }
        out += m[ref] ?? '';
      }
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Cipher suites

const TLS13_SUITES = new Set(['TLS_AES_128_GCM_SHA256', 'TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256', 'TLS_AES_128_CCM_SHA256', 'TLS_AES_128_CCM_8_SHA256']);

/**
 * A cipher suite as OpenSSL names it. Kafka takes Java's names, which for TLS 1.2 are IANA's
 * (TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 is OpenSSL's ECDHE-RSA-AES128-GCM-SHA256); TLS 1.3 names
 * are the same in both; an OpenSSL name is taken as it is. Throws for a suite Node does not know.
 */
export function openSslCipherName(suite: string): string {
  const name = suite.trim();
  if (TLS13_SUITES.has(name.toUpperCase())) return name.toUpperCase();
  const known = new Set(tls.getCiphers());
  if (known.has(name.toLowerCase())) return name;
  const m = /^(?:TLS|SSL)_(ECDHE_RSA|ECDHE_ECDSA|DHE_RSA|DHE_DSS|RSA)_WITH_(AES_128_GCM|AES_256_GCM|AES_128_CBC|AES_256_CBC|CHACHA20_POLY1305)_(SHA|SHA256|SHA384)$/i.exec(name);
  if (m) {
    const kx = m[1]!.toUpperCase() === 'RSA' ? '' : `${m[1]!.toUpperCase().replace('_', '-')}-`;
    const cipher = m[2]!.toUpperCase();
    const mac = m[3]!.toUpperCase();
    const body =
      cipher === 'CHACHA20_POLY1305' ? 'CHACHA20-POLY1305'
      : cipher.endsWith('_GCM') ? `AES${cipher.slice(4, 7)}-GCM-${mac}`
      : `AES${cipher.slice(4, 7)}-${mac}`;
    const openssl = `${kx}${body}`;
    if (known.has(openssl.toLowerCase())) return openssl;
  }
  throw new Error(`ssl.cipher.suites: ${name} is not a cipher suite this TLS library knows`);
}
