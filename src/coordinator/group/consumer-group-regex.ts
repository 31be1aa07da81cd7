// KIP-848 regex subscriptions (ConsumerGroupHeartbeat v1's SubscribedTopicRegex). Kafka compiles
// them with Google's RE2/J and resolves them on the broker, matching each topic name as a WHOLE
// (Matcher.matches(), not find()): `orders` names the topic `orders` only, `orders-.*` every topic
// starting with `orders-`. Node has no RE2, so the pattern is translated to a JavaScript RegExp
// (unicode mode, anchored at both ends) that accepts the same topic names.
//
// What the translation does, so RE2 patterns mean the same thing here:
//   - RE2 has no lookaround and no backreferences: `(?=`, `(?!`, `(?<=`, `(?<!`, `\1`..`\9` and
//     `(?P=name)` are refused, as RE2/J refuses them;
//   - escaped punctuation (`\-`, `\.`, `\/`, ...) is valid in RE2 but not always in a unicode-mode
//     JS RegExp: it becomes a hex escape; `\a`, `\0oo` (octal), `\x{h..}`, `\pL`, `\A`, `\z` and
//     `\Q...\E` are rewritten to their JS forms; other unknown escapes are refused, as in RE2;
//   - `{` and `}` that do not form a repetition are literals, as in RE2; repetition counts above
//     1000 are refused, as in RE2;
//   - a `]` right after `[` or `[^` is a literal, and POSIX classes (`[[:digit:]]`) are expanded;
//   - `(?P<name>` becomes `(?<name>`.
// Known differences (documented, not emulated):
//   - inline flags are accepted only as one group at the very start (`(?i)orders.*`, flags i, m,
//     s); `(?U)`, flag groups later in the pattern and `(?i:...)` are refused although RE2 accepts
//     them (Node 20's RegExp has no pattern modifiers);
//   - octal escapes `\1`..`\7` followed by digits (RE2 reads `\12` as octal) are refused as
//     backreferences;
//   - `\p{Name}` is passed to JS as a general category when Name looks like one (`L`, `Lu`),
//     otherwise as `Script=Name`; RE2's \s excludes \v and JS's \s is Unicode whitespace. Topic
//     names are ASCII [a-zA-Z0-9._-], so none of the Unicode differences can change a match.

export class TopicRegexError extends Error {
  override name = 'TopicRegexError';
}

const PUNCTUATION = new Set('!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~');
const POSIX_CLASSES: Record<string, string> = {
  alnum: '0-9A-Za-z',
  alpha: 'A-Za-z',
  ascii: '\\x00-\\x7f',
  blank: '\\t ',
  cntrl: '\\x00-\\x1f\\x7f',
  digit: '0-9',
  graph: '!-~',
  lower: 'a-z',
  print: ' -~',
  punct: '!-\\/:-@\\[-`{-~',
  space: '\\t\\n\\v\\f\\r ',
  upper: 'A-Z',
  word: '0-9A-Za-z_',
  xdigit: '0-9A-Fa-f',
};
const MAX_REPEAT = 1000;

function hex(ch: string): string {
  const cp = ch.codePointAt(0)!;
  return cp <= 0xff ? `\\x${cp.toString(16).padStart(2, '0')}` : `\\u{${cp.toString(16)}}`;
}

function bad(pattern: string, why: string): never {
  throw new TopicRegexError(`SubscribedTopicRegex \`${pattern}\` is not a valid regular expression: ${why}.`);
}

/** Matches `{n}`, `{n,}` or `{n,m}` at `i`; returns the text and counts, or null. */
function repetition(p: string, i: number): { text: string; min: number; max: number | null } | null {
  const m = /^\{(\d+)(,(\d*))?\}/.exec(p.slice(i));
  if (m === null) return null;
  const min = Number(m[1]);
  const max = m[2] === undefined ? min : m[3] === '' ? null : Number(m[3]);
  return { text: m[0], min, max };
}

/** Translates one RE2 escape starting at p[i] === '\\'; returns [JS text, next index]. */
function escape(pattern: string, p: string, i: number, inClass: boolean): [string, number] {
  const c = p[i + 1];
  if (c === undefined) bad(pattern, 'trailing backslash at end of expression');
  if (PUNCTUATION.has(c)) return [hex(c), i + 2];
  switch (c) {
    case 'd': case 'D': case 's': case 'S': case 'w': case 'W':
    case 'f': case 'n': case 'r': case 't': case 'v':
      return [`\\${c}`, i + 2];
    case 'b': case 'B':
      if (inClass) bad(pattern, `invalid escape sequence: \`\\${c}\``);
      return [`\\${c}`, i + 2];
    case 'a':
      return ['\\x07', i + 2];
    case 'A':
      if (inClass) bad(pattern, 'invalid escape sequence: `\\A`');
      return ['(?<![\\s\\S])', i + 2];
    case 'z':
      if (inClass) bad(pattern, 'invalid escape sequence: `\\z`');
      return ['(?![\\s\\S])', i + 2];
    case '0': {
      const m = /^[0-7]{0,2}/.exec(p.slice(i + 2))![0];
      return [hex(String.fromCharCode(parseInt(`0${m}`, 8))), i + 2 + m.length];
    }
    case 'x': {
      if (p[i + 2] === '{') {
        const m = /^\{([0-9A-Fa-f]{1,6})\}/.exec(p.slice(i + 2));
        if (m === null || parseInt(m[1]!, 16) > 0x10ffff) bad(pattern, 'invalid escape sequence: `\\x{`');
        return [`\\u{${m[1]}}`, i + 2 + m[0].length];
      }
      const m = /^[0-9A-Fa-f]{2}/.exec(p.slice(i + 2));
      if (m === null) bad(pattern, 'invalid escape sequence: `\\x`');
      return [`\\x${m[0]}`, i + 4];
    }
    case 'p': case 'P': {
      let name: string;
      let end: number;
      if (p[i + 2] === '{') {
        const close = p.indexOf('}', i + 3);
        if (close < 0) bad(pattern, 'invalid character class range: missing `}`');
        name = p.slice(i + 3, close);
        end = close + 1;
      } else {
        name = p[i + 2] ?? '';
        end = i + 3;
      }
      let negate = c === 'P';
      if (name.startsWith('^')) {
        negate = !negate;
        name = name.slice(1);
      }
      if (!/^[A-Za-z_]+$/.test(name)) bad(pattern, `invalid character class range: \`\\${c}{${name}}\``);
      const property = name === 'Any' ? null : /^[A-Z][a-z]?$/.test(name) ? name : `Script=${name}`;
      if (property === null) return [negate ? '[^\\s\\S]' : '[\\s\\S]', end];
      return [`\\${negate ? 'P' : 'p'}{${property}}`, end];
    }
    case 'Q': {
      const close = p.indexOf('\\E', i + 2);
      const literal = close < 0 ? p.slice(i + 2) : p.slice(i + 2, close);
      return [[...literal].map(hex).join(''), close < 0 ? p.length : close + 2];
    }
    case 'E':
      // A \E without \Q is ignored by RE2.
      return ['', i + 2];
    default:
      if (c >= '1' && c <= '9') bad(pattern, `invalid escape sequence: \`\\${c}\` (backreferences are not supported)`);
      bad(pattern, `invalid escape sequence: \`\\${c}\``);
  }
}

/** The body of a character class starting after `[` (or `[^`) at `i`; returns [JS text, index after `]`]. */
function characterClass(pattern: string, p: string, i: number): [string, number] {
  let out = '';
  let first = true;
  while (i < p.length) {
    const ch = p[i]!;
    if (ch === ']' && !first) return [out, i + 1];
    first = false;
    if (ch === ']') {
      out += '\\]';
      i++;
    } else if (ch === '[' && p[i + 1] === ':') {
      const m = /^\[:(\^?)([a-z]+):\]/.exec(p.slice(i));
      if (m === null) {
        out += '\\[';
        i++;
        continue;
      }
      const ranges = POSIX_CLASSES[m[2]!];
      if (ranges === undefined) bad(pattern, `invalid character class range: \`${m[0]}\``);
      if (m[1] === '^') bad(pattern, `negated POSIX class \`${m[0]}\` is not supported by Samsa`);
      out += ranges;
      i += m[0].length;
    } else if (ch === '[') {
      out += '\\[';
      i++;
    } else if (ch === '\\') {
      const [text, next] = escape(pattern, p, i, true);
      out += text;
      i = next;
    } else {
      out += ch;
      i++;
    }
  }
  bad(pattern, 'missing closing ]');
}

/**
 * Compiles a topic regex in RE2/J syntax into a RegExp that matches a whole topic name; throws
 * TopicRegexError with a message in Kafka's wording when RE2/J (or this translation) refuses it.
 */
export function compileTopicRegex(pattern: string): RegExp {
  let p = pattern;
  let flags = 'u';
  const leading = /^\(\?([A-Za-z]+)\)/.exec(p);
  if (leading !== null) {
    for (const f of leading[1]!) {
      if (f !== 'i' && f !== 'm' && f !== 's') bad(pattern, `flag \`${f}\` is not supported by Samsa`);
      if (!flags.includes(f)) flags += f;
    }
    p = p.slice(leading[0].length);
  }
  let out = '';
  let i = 0;
  while (i < p.length) {
    const ch = p[i]!;
    if (ch === '\\') {
      const [text, next] = escape(pattern, p, i, false);
      out += text;
      i = next;
    } else if (ch === '[') {
      const negated = p[i + 1] === '^';
      const [body, next] = characterClass(pattern, p, i + (negated ? 2 : 1));
      out += `[${negated ? '^' : ''}${body}]`;
      i = next;
    } else if (ch === '(' && p[i + 1] === '?') {
      const rest = p.slice(i + 2);
      if (rest.startsWith(':')) {
        out += '(?:';
        i += 3;
      } else if (rest.startsWith('P<') || (rest.startsWith('<') && !rest.startsWith('<=') && !rest.startsWith('<!'))) {
        const m = /^P?<([A-Za-z_][A-Za-z0-9_]*)>/.exec(rest);
        if (m === null) bad(pattern, 'invalid named capture');
        out += `(?<${m[1]}>`;
        i += 2 + m[0].length;
      } else if (/^(=|!|<=|<!)/.test(rest)) {
        bad(pattern, 'invalid or unsupported Perl syntax: lookaround is not supported');
      } else if (rest.startsWith('P=')) {
        bad(pattern, 'invalid or unsupported Perl syntax: backreferences are not supported');
      } else {
        bad(pattern, 'inline flags are only supported as one group at the start of the expression by Samsa');
      }
    } else if (ch === '{') {
      const rep = repetition(p, i);
      if (rep === null) {
        out += '\\{';
        i++;
        continue;
      }
      if (rep.min > MAX_REPEAT || (rep.max !== null && rep.max > MAX_REPEAT)) bad(pattern, `invalid repeat count: \`${rep.text}\``);
      if (rep.max !== null && rep.max < rep.min) bad(pattern, `invalid repeat count: \`${rep.text}\``);
      out += rep.text;
      i += rep.text.length;
    } else if (ch === '}') {
      out += '\\}';
      i++;
    } else {
      out += ch;
      i++;
    }
  }
  try {
    return new RegExp(`^(?:${out})$`, flags);
  } catch (err) {
    bad(pattern, (err as Error).message.replace(/^Invalid regular expression: /, ''));
  }
}
