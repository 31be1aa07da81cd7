// JAAS login module configuration as Kafka's sasl.jaas.config carries it:
//   <LoginModuleClass> <required|requisite|sufficient|optional> key="value" key2=value2;
// read token by token as Kafka's JaasConfig reads it with java.io.StreamTokenizer, so what Kafka
// accepts is accepted here and what it refuses is refused with its message. On a broker the
// config of a SASL mechanism is listener.name.<listener>.<mechanism>.sasl.jaas.config (Kafka's
// only source besides a JAAS file); Samsa, having no JAAS file, also takes the unprefixed
// sasl.jaas.config - which may list several modules, as a JAAS file's KafkaServer section does.
import type { BrokerConfig } from '../../cluster/configs.js';

export const PLAIN_LOGIN_MODULE = 'org.apache.kafka.common.security.plain.PlainLoginModule';
export const SCRAM_LOGIN_MODULE = 'org.apache.kafka.common.security.scram.ScramLoginModule';
export const OAUTHBEARER_LOGIN_MODULE = 'org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule';

export type JaasControlFlag = 'required' | 'requisite' | 'sufficient' | 'optional';

export interface JaasEntry {
  readonly loginModule: string;
  readonly controlFlag: JaasControlFlag;
  /** The options; a key given twice keeps its last value. */
  readonly options: ReadonlyMap<string, string>;
}

/** A JAAS config Kafka would refuse; the message is Kafka's. */
export class JaasConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'JaasConfigError';
  }
}

// --- java.io.StreamTokenizer, as JaasConfig sets it up ------------------------------------------

const TT_EOF = -1;
const TT_NUMBER = -2;
const TT_WORD = -3;

const CT_WHITESPACE = 1;
const CT_DIGIT = 2;
const CT_ALPHA = 4;
const CT_QUOTE = 8;
const CT_COMMENT = 16;

/** The character classes: StreamTokenizer's defaults plus JaasConfig's word chars '-', '_', '$'. */
const CT: Uint8Array = (() => {
  const ct = new Uint8Array(256);
  for (let c = 0; c <= 32; c++) ct[c] = CT_WHITESPACE;
  for (let c = 'a'.charCodeAt(0); c <= 'z'.charCodeAt(0); c++) ct[c]! |= CT_ALPHA;
  for (let c = 'A'.charCodeAt(0); c <= 'Z'.charCodeAt(0); c++) ct[c]! |= CT_ALPHA;
  for (let c = 160; c <= 255; c++) ct[c]! |= CT_ALPHA;
  ct['/'.charCodeAt(0)] = CT_COMMENT;
  ct['"'.charCodeAt(0)] = CT_QUOTE;
  ct["'".charCodeAt(0)] = CT_QUOTE;
  for (const c of '0123456789.-') ct[c.charCodeAt(0)]! |= CT_DIGIT;
  for (const c of '-_$') ct[c.charCodeAt(0)]! |= CT_ALPHA;
  return ct;
})();

const ctypeOf = (c: number): number => (c < 0 ? CT_WHITESPACE : c < 256 ? CT[c]! : CT_ALPHA);

const NEED_CHAR = -4;

class Tokenizer {
  private pos = 0;
  private peekc = NEED_CHAR;
  ttype = TT_EOF;
  /** The text of a word or quoted string; null for anything else (numbers included). */
  sval: string | null = null;

  constructor(private readonly text: string) {}

  private read(): number {
    return this.pos < this.text.length ? this.text.charCodeAt(this.pos++) : -1;
  }

  nextToken(): number {
    this.sval = null;
    let c = this.peekc === NEED_CHAR ? this.read() : this.peekc;
    this.peekc = NEED_CHAR;
    if (c < 0) return (this.ttype = TT_EOF);
    let ctype = ctypeOf(c);
    while (ctype & CT_WHITESPACE) {
      c = this.read();
      if (c < 0) return (this.ttype = TT_EOF);
      ctype = ctypeOf(c);
    }
    if (ctype & CT_DIGIT) {
      if (c === 0x2d /* - */) {
        c = this.read();
        if (c !== 0x2e && (c < 0x30 || c > 0x39)) {
          this.peekc = c;
          return (this.ttype = 0x2d);
        }
      }
      let seenDot = false;
      for (;;) {
        if (c === 0x2e && !seenDot) seenDot = true;
        else if (!(c >= 0x30 && c <= 0x39)) break;
        c = this.read();
      }
      this.peekc = c;
      return (this.ttype = TT_NUMBER);
    }
    if (ctype & CT_ALPHA) {
      const start = this.pos - 1;
      do {
        c = this.read();
        ctype = ctypeOf(c);
      } while (ctype & (CT_ALPHA | CT_DIGIT));
      this.peekc = c;
      this.sval = this.text.slice(start, c < 0 ? this.pos : this.pos - 1);
      return (this.ttype = TT_WORD);
    }
    if (ctype & CT_QUOTE) {
      return this.quoted(c);
    }
    if (c === 0x2f /* / */) {
      c = this.read();
      if (c === 0x2a /* * */) {
        let prev = 0;
        while ((c = this.read()) !== 0x2f || prev !== 0x2a) {
          if (c < 0) return (this.ttype = TT_EOF);
          prev = c;
        }
        return this.nextToken();
      }
      // '//' and, '/' being a comment character, a lone '/' too: a comment to the end of the line,
      // looked for after the character that followed the '/' (which Java skips, even a line end)
      while ((c = this.read()) !== 0x0a && c !== 0x0d && c >= 0);
      this.peekc = c;
      return this.nextToken();
    }
    return (this.ttype = c);
  }

  /** A quoted string: up to the same quote or the end of the line, with C-like escapes. */
  private quoted(quote: number): number {
    this.ttype = quote;
    let out = '';
    let d = this.read();
    while (d >= 0 && d !== quote && d !== 0x0a && d !== 0x0d) {
      let c: number;
      if (d === 0x5c /* \ */) {
        c = this.read();
        const first = c;
        if (c >= 0x30 && c <= 0x37) {
          c -= 0x30;
          let c2 = this.read();
          if (c2 >= 0x30 && c2 <= 0x37) {
            c = (c << 3) + (c2 - 0x30);
            c2 = this.read();
            if (c2 >= 0x30 && c2 <= 0x37 && first <= 0x33) {
              c = (c << 3) + (c2 - 0x30);
              d = this.read();
            } else d = c2;
          } else d = c2;
        } else {
          switch (c) {
            case 0x61: c = 0x07; break; // \a
            case 0x62: c = 0x08; break; // \b
            case 0x66: c = 0x0c; break; // \f
            case 0x6e: c = 0x0a; break; // \n
            case 0x72: c = 0x0d; break; // \r
            case 0x74: c = 0x09; break; // \t
            case 0x76: c = 0x0b; break; // \v
          }
          d = this.read();
        }
      } else {
        c = d;
        d = this.read();
      }
      // a backslash at the very end: Java appends (char) -1
      out += String.fromCharCode(c < 0 ? 0xffff : c);
    }
    this.peekc = d === quote ? NEED_CHAR : d;
    this.sval = out;
    return this.ttype;
  }
}

function controlFlag(flag: string | null): JaasControlFlag {
  if (flag === null) throw new JaasConfigError('Login module control flag is not available in the JAAS config');
  // Java's toUpperCase(Locale.ROOT), compared with the four flag names
  const upper = flag.toUpperCase();
  if (upper === 'REQUIRED' || upper === 'REQUISITE' || upper === 'SUFFICIENT' || upper === 'OPTIONAL') return upper.toLowerCase() as JaasControlFlag;
  throw new JaasConfigError(`Invalid login module control flag '${flag}' in JAAS config`);
}

/** Parses a JAAS config as Kafka's JaasConfig; throws JaasConfigError with Kafka's message. */
export function parseJaasConfig(text: string): JaasEntry[] {
  const t = new Tokenizer(text);
  const entries: JaasEntry[] = [];
  while (t.nextToken() !== TT_EOF) {
    const loginModule = t.sval;
    if (t.nextToken() === TT_EOF) throw new JaasConfigError('Login module control flag not specified in JAAS config');
    const flag = controlFlag(t.sval);
    const options = new Map<string, string>();
    while (t.nextToken() !== TT_EOF && t.ttype !== 0x3b /* ; */) {
      const key = t.sval;
      if (t.nextToken() !== 0x3d /* = */ || t.nextToken() === TT_EOF || t.sval === null) {
        throw new JaasConfigError(`Value not specified for key '${key}' in JAAS config`);
      }
      // a key that is no word or quoted string is Java's null, which no lookup can name
      if (key !== null) options.set(key, t.sval);
    }
    if (t.ttype !== 0x3b) throw new JaasConfigError('JAAS config entry not terminated by semi-colon');
    // javax.security.auth.login.AppConfigurationEntry refuses a missing or empty module name
    if (loginModule === null || loginModule === '') throw new JaasConfigError('Login module name not specified in JAAS config');
    entries.push({ loginModule, controlFlag: flag, options });
  }
  if (entries.length === 0) throw new JaasConfigError('Login module not specified in JAAS config');
  return entries;
}

/** An option of the first entry having it, among the entries of `loginModule` (any module when null): Kafka's JaasContext.configEntryOption. */
export function configEntryOption(entries: readonly JaasEntry[], key: string, loginModule: string | null): string | undefined {
  for (const e of entries) {
    if (loginModule !== null && e.loginModule !== loginModule) continue;
    const v = e.options.get(key);
    if (v !== undefined) return v;
  }
  return undefined;
}

/** PlainLoginModule's users: the user_<name>="<password>" options of its entries (the first entry naming a user wins). */
export function plainUsers(entries: readonly JaasEntry[]): Map<string, string> {
  const users = new Map<string, string>();
  for (const e of entries) {
    if (e.loginModule !== PLAIN_LOGIN_MODULE) continue;
    for (const [k, v] of e.options) if (k.startsWith('user_') && !users.has(k.slice(5))) users.set(k.slice(5), v);
  }
  return users;
}

/** Where a listener's JAAS config for a mechanism comes from, and its text. */
export interface ServerJaasSource {
  /** The config key it was read from. */
  readonly key: string;
  readonly text: string;
  /** True for listener.name.<l>.<mechanism>.sasl.jaas.config, which must hold exactly one module. */
  readonly perMechanism: boolean;
}

/** The config key of a listener's JAAS config for a mechanism. */
export const listenerJaasKey = (listenerName: string, mechanism: string): string =>
  `listener.name.${listenerName.toLowerCase()}.${mechanism.toLowerCase()}.sasl.jaas.config`;

/** A listener's JAAS config text for a mechanism: the listener-and-mechanism key, else sasl.jaas.config; null when neither is set. */
export function serverJaasSource(config: BrokerConfig, listenerName: string, mechanism: string): ServerJaasSource | null {
  const key = listenerJaasKey(listenerName, mechanism);
  const own = config.staticText(key);
  if (own !== undefined && own.trim() !== '') return { key, text: own.trim(), perMechanism: true };
  const global = config.str('sasl.jaas.config');
  if (global !== null && global.trim() !== '') return { key: 'sasl.jaas.config', text: global.trim(), perMechanism: false };
  return null;
}

// Parsed configs by text: SASL servers are made per connection, the configs rarely change
const parsed = new Map<string, JaasEntry[]>();

/**
 * The login module entries of a listener's JAAS config for a mechanism ([] when there is none).
 * Throws JaasConfigError for a config Kafka refuses, naming the key; a per-mechanism config must
 * hold exactly one module (Kafka's JaasContext).
 */
export function serverJaasEntries(config: BrokerConfig, listenerName: string, mechanism: string): JaasEntry[] {
  const source = serverJaasSource(config, listenerName, mechanism);
  if (source === null) return [];
  let entries = parsed.get(source.text);
  if (entries === undefined) {
    try {
      entries = parseJaasConfig(source.text);
    } catch (err) {
      if (err instanceof JaasConfigError) throw new JaasConfigError(`${source.key}: ${err.message}`);
      throw err;
    }
    if (parsed.size >= 64) parsed.clear();
    parsed.set(source.text, entries);
  }
  if (source.perMechanism && entries.length !== 1) {
    throw new JaasConfigError(`${source.key}: JAAS config property contains ${entries.length} login modules, should be 1 module`);
  }
  return entries;
}
