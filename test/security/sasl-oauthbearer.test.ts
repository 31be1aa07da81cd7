// SASL/OAUTHBEARER (src/security/sasl/oauthbearer.ts): Kafka's unsecured-JWT validation with the
// listener's unsecuredValidator* options, the two-step failure (a JSON error as the challenge,
// then ^A from the client), an embedding validator in its place, and the client message's grammar.
import t, { type Test } from 'tap';
import { BrokerConfig } from '../../src/cluster/configs.js';
import { ScramCredentialStore } from '../../src/security/scram-credentials.js';
import { createSaslServer, type OAuthBearerValidator, type SaslServer, type SaslServerContext } from '../../src/security/sasl/mechanism.js';
import { OAUTHBEARER_LOGIN_MODULE } from '../../src/security/sasl/jaas.js';

const NOW = 1_700_000_000_000;
const b64url = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');
const jwt = (claims: Record<string, unknown>, header: Record<string, unknown> = { alg: 'none' }, signature = '') => `${b64url(header)}.${b64url(claims)}.${signature}`;
const valid = (extra: Record<string, unknown> = {}) => jwt({ sub: 'alice', iat: NOW / 1000, exp: NOW / 1000 + 3600, ...extra });
const message = (token: string, authzid = '', extensions = '') => Buffer.from(`n,${authzid ? `a=${authzid}` : ''},\x01auth=Bearer ${token}\x01${extensions}\x01`);

const ctx = (jaasOptions = '', extra: Partial<SaslServerContext> = {}): SaslServerContext => ({
  listenerName: 'SASL_SSL',
  config: new BrokerConfig({
    'sasl.enabled.mechanisms': 'OAUTHBEARER',
    ...(jaasOptions ? { 'listener.name.sasl_ssl.oauthbearer.sasl.jaas.config': `${OAUTHBEARER_LOGIN_MODULE} required ${jaasOptions};` } : {}),
  }),
  scram: new ScramCredentialStore(),
  now: () => NOW,
  ...extra,
});

const INVALID_TOKEN = '{"status":"invalid_token"}';
const GENERIC = { name: 'SaslAuthenticationError', message: 'Authentication failed during authentication due to invalid credentials with SASL mechanism OAUTHBEARER' };

/** The JSON challenge a refused token gets, after checking that the client's ^A then fails the exchange with it. */
function refusal(t: Test, server: SaslServer, token: Buffer): string {
  const challenge = server.evaluate(token).toString();
  t.notOk(server.complete);
  t.throws(() => server.evaluate(Buffer.from([1])), { name: 'SaslAuthenticationError', message: challenge }, 'the client acknowledges; the exchange fails with the JSON text');
  return challenge;
}

t.test('a valid unsecured token authenticates; the session may last until its exp', async t => {
  const server = createSaslServer('OAUTHBEARER', ctx());
  t.equal(server.mechanism, 'OAUTHBEARER');
  t.same(server.evaluate(message(valid())), Buffer.alloc(0));
  t.ok(server.complete);
  t.equal(server.authorizationId(), 'alice');
  t.equal(server.credentialExpiresAtMs(), NOW + 3600_000);

  const decimal = createSaslServer('OAUTHBEARER', ctx());
  decimal.evaluate(message(jwt({ sub: 'bob', exp: NOW / 1000 + 10.2567 })));
  t.equal(decimal.credentialExpiresAtMs(), NOW + 10257, 'exp in seconds with a fraction, rounded to ms');

  const withAuthzid = createSaslServer('OAUTHBEARER', ctx());
  withAuthzid.evaluate(message(valid(), 'alice', 'traceId=abc 123\x01'));
  t.ok(withAuthzid.complete, 'the same authorization id, and an extension');

  const lower = createSaslServer('OAUTHBEARER', ctx());
  lower.evaluate(Buffer.from(`n,,\x01auth=bearer ${valid()}\x01\x01`));
  t.ok(lower.complete, 'the scheme in any case');
  // the standard alphabet too ('+' and '/'; the grammar allows padding only at the end of the token)
  let sub = '';
  for (let i = 0; !/[+/]/.test(Buffer.from(JSON.stringify({ sub, exp: NOW / 1000 + 5 })).toString('base64')); i++) sub = `~${'>'.repeat(i % 7)}?${i}`;
  const standard = createSaslServer('OAUTHBEARER', ctx());
  standard.evaluate(message(`${Buffer.from('{"alg":"none"}').toString('base64').replace(/=+$/, '')}.${Buffer.from(JSON.stringify({ sub, exp: NOW / 1000 + 5 })).toString('base64').replace(/=+$/, '')}.`));
  t.equal(standard.authorizationId(), sub, 'standard base64');
});

t.test('an authorization id other than the principal is refused by name', async t => {
  const server = createSaslServer('OAUTHBEARER', ctx());
  t.throws(() => server.evaluate(message(valid(), 'bob')), {
    name: 'SaslAuthenticationError',
    message: "Authentication failed: Client requested an authorization id (bob) that is different from the token's principal name (alice)",
  });
});

t.test('invalid tokens get {"status":"invalid_token"} and fail on the ^A', async t => {
  const hour = NOW / 1000 + 3600;
  const cases: [string, string][] = [
    ['expired', jwt({ sub: 'alice', exp: NOW / 1000 })],
    ['no exp', jwt({ sub: 'alice' })],
    ['exp not a number', jwt({ sub: 'alice', exp: 'soon' })],
    ['no sub', jwt({ exp: hour })],
    ['a blank sub', jwt({ sub: '  ', exp: hour })],
    ['sub not a string', jwt({ sub: 7, exp: hour })],
    ['issued in the future', jwt({ sub: 'alice', iat: NOW / 1000 + 1, exp: hour })],
    ['exp before iat', jwt({ sub: 'alice', iat: NOW / 1000 - 10, exp: NOW / 1000 - 20 })],
    ['alg not none', jwt({ sub: 'alice', exp: hour }, { alg: 'HS256' })],
    ['no alg', jwt({ sub: 'alice', exp: hour }, {})],
    ['a signature', jwt({ sub: 'alice', exp: hour }, { alg: 'none' }, 'c2ln')],
    ['two parts', `${b64url({ alg: 'none' })}.${b64url({ sub: 'alice', exp: hour })}`],
    ['four parts', `${jwt({ sub: 'alice', exp: hour })}.x`],
    ["'..'", `${b64url({ alg: 'none' })}..`],
    ['malformed base64', `${b64url({ alg: 'none' })}.A.`],
    ['malformed JSON', `${b64url({ alg: 'none' })}.${b64url('{not json')}.`],
  ];
  for (const [what, token] of cases) {
    t.equal(refusal(t, createSaslServer('OAUTHBEARER', ctx()), message(token)), INVALID_TOKEN, what);
  }
});

t.test('the unsecuredValidator* options of the JAAS config', async t => {
  const required = 'unsecuredValidatorRequiredScope="LOGIN_TO_KAFKA other"';
  t.equal(
    refusal(t, createSaslServer('OAUTHBEARER', ctx(required)), message(valid({ scope: ['LOGIN_TO_KAFKA'] }))),
    '{"status":"insufficient_scope", "scope":"[LOGIN_TO_KAFKA, other]"}',
    'a missing scope',
  );
  const scoped = createSaslServer('OAUTHBEARER', ctx(required));
  scoped.evaluate(message(valid({ scope: [' other ', 'LOGIN_TO_KAFKA', 'more'] })));
  t.ok(scoped.complete, 'a list holding every required scope');
  const oneScope = createSaslServer('OAUTHBEARER', ctx('unsecuredValidatorRequiredScope="LOGIN_TO_KAFKA"'));
  oneScope.evaluate(message(valid({ scope: 'LOGIN_TO_KAFKA' })));
  t.ok(oneScope.complete, 'a string scope claim');
  t.equal(
    refusal(t, createSaslServer('OAUTHBEARER', ctx(required)), message(valid({ scope: 'LOGIN_TO_KAFKA other' }))),
    '{"status":"insufficient_scope", "scope":"[LOGIN_TO_KAFKA, other]"}',
    "a string scope claim is one item, as in Kafka",
  );
  const renamed = createSaslServer('OAUTHBEARER', ctx('unsecuredValidatorRequiredScope="x" unsecuredValidatorScopeClaimName="roles" unsecuredValidatorPrincipalClaimName="email"'));
  renamed.evaluate(message(jwt({ email: 'carol@example.com', roles: ['x'], exp: NOW / 1000 + 60 })));
  t.equal(renamed.authorizationId(), 'carol@example.com', 'another principal claim and scope claim');

  t.equal(refusal(t, createSaslServer('OAUTHBEARER', ctx()), message(jwt({ sub: 'a', exp: NOW / 1000 - 1 }))), INVALID_TOKEN);
  const skewed = createSaslServer('OAUTHBEARER', ctx('unsecuredValidatorAllowableClockSkewMs="3000"'));
  skewed.evaluate(message(jwt({ sub: 'a', iat: NOW / 1000 + 2, exp: NOW / 1000 - 1 + 10 })));
  t.ok(skewed.complete, 'an iat a little ahead is within the allowed skew');
  const lateButSkewed = createSaslServer('OAUTHBEARER', ctx('unsecuredValidatorAllowableClockSkewMs="3000"'));
  lateButSkewed.evaluate(message(jwt({ sub: 'a', exp: NOW / 1000 - 2 })));
  t.ok(lateButSkewed.complete, 'an exp a little behind too');
  t.throws(() => createSaslServer('OAUTHBEARER', ctx('unsecuredValidatorAllowableClockSkewMs="-1"')).evaluate(message(valid())), GENERIC, 'a bad option fails the exchange');
});

t.test("a malformed client message fails with the broker's generic text", async t => {
  const bad = [
    Buffer.from(`n,,auth=Bearer ${valid()}\x01\x01`),
    Buffer.from(`n,,\x01auth=Bearer ${valid()}\x01`),
    Buffer.from('n,,\x01\x01'),
    Buffer.from('n,,\x01other=x\x01\x01'),
    Buffer.from(`n,,\x01auth=Basic ${valid()}\x01\x01`),
    Buffer.from(`n,,\x01auth=Bearer${valid()}\x01\x01`),
    Buffer.from([1]),
  ];
  for (const token of bad) t.throws(() => createSaslServer('OAUTHBEARER', ctx()).evaluate(token), GENERIC, JSON.stringify(token.toString()));
  t.throws(() => createSaslServer('OAUTHBEARER', ctx('', { reauthentication: true })).evaluate(Buffer.from([1])), {
    message: 'Authentication failed during re-authentication due to invalid credentials with SASL mechanism OAUTHBEARER',
  });
});

t.test('after an error challenge the client may try again with a new message', async t => {
  const server = createSaslServer('OAUTHBEARER', ctx());
  t.equal(server.evaluate(message(jwt({ sub: 'a' }))).toString(), INVALID_TOKEN);
  server.evaluate(message(valid()));
  t.ok(server.complete);
});

t.test("the embedding API's validator replaces the unsecured one", async t => {
  const seen: string[] = [];
  const validator: OAuthBearerValidator = token => {
    seen.push(token);
    if (token === 'good') return { principal: 'svc', expiresAtMs: NOW + 5000, scope: ['a'] };
    if (token === 'forever') return { principal: 'svc', expiresAtMs: null };
    if (token === 'throws') throw new Error('signature mismatch');
    return null;
  };
  const server = createSaslServer('OAUTHBEARER', ctx('', { oauthBearerValidator: validator }));
  server.evaluate(message('good'));
  t.equal(server.authorizationId(), 'svc');
  t.equal(server.credentialExpiresAtMs(), NOW + 5000);
  const forever = createSaslServer('OAUTHBEARER', ctx('', { oauthBearerValidator: validator }));
  forever.evaluate(message('forever'));
  t.equal(forever.credentialExpiresAtMs(), null);
  t.equal(refusal(t, createSaslServer('OAUTHBEARER', ctx('', { oauthBearerValidator: validator })), message('bad')), INVALID_TOKEN, 'null refuses');
  t.equal(refusal(t, createSaslServer('OAUTHBEARER', ctx('', { oauthBearerValidator: validator })), message('throws')), INVALID_TOKEN, 'a throw refuses');
  t.equal(refusal(t, createSaslServer('OAUTHBEARER', ctx('', { oauthBearerValidator: validator })), message(valid())), INVALID_TOKEN, 'an unsecured token is not accepted by it');
  t.same(seen, ['good', 'forever', 'bad', 'throws', valid()]);
  t.throws(() => createSaslServer('OAUTHBEARER', ctx('', { oauthBearerValidator: validator })).evaluate(message('good', 'other')), {
    message: "Authentication failed: Client requested an authorization id (other) that is different from the token's principal name (svc)",
  });
});
