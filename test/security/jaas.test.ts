// JAAS config parsing (src/security/sasl/jaas.ts) as Kafka's JaasConfig reads sasl.jaas.config with
// java.io.StreamTokenizer: quoted and unquoted values, escapes, comments, several modules, Kafka's
// messages for what it refuses; PlainLoginModule's users; where a listener's config comes from.
import t from 'tap';
import { BrokerConfig } from '../../src/cluster/configs.js';
import {
  JaasConfigError, OAUTHBEARER_LOGIN_MODULE, PLAIN_LOGIN_MODULE, SCRAM_LOGIN_MODULE,
  configEntryOption, parseJaasConfig, plainUsers, serverJaasEntries, serverJaasSource,
} from '../../src/security/sasl/jaas.js';

const optionsOf = (text: string) => Object.fromEntries(parseJaasConfig(text)[0]!.options);

t.test('a PlainLoginModule config with quoted users', async t => {
  const entries = parseJaasConfig(`${PLAIN_LOGIN_MODULE} required username="admin" password="admin-secret" user_admin="admin-secret" user_alice="alice-secret";`);
  t.equal(entries.length, 1);
  t.equal(entries[0]!.loginModule, PLAIN_LOGIN_MODULE);
  t.equal(entries[0]!.controlFlag, 'required');
  t.same(Object.fromEntries(entries[0]!.options), { username: 'admin', password: 'admin-secret', user_admin: 'admin-secret', user_alice: 'alice-secret' });
  t.same([...plainUsers(entries)], [['admin', 'admin-secret'], ['alice', 'alice-secret']]);
  t.equal(configEntryOption(entries, 'user_alice', PLAIN_LOGIN_MODULE), 'alice-secret');
  t.equal(configEntryOption(entries, 'user_alice', SCRAM_LOGIN_MODULE), undefined, 'another module does not have it');
  t.equal(configEntryOption(entries, 'user_bob', null), undefined);
});

t.test('control flags in any case, unquoted words, both quotes, escapes', async t => {
  for (const flag of ['required', 'REQUISITE', 'Sufficient', 'optional']) {
    t.equal(parseJaasConfig(`a.B ${flag};`)[0]!.controlFlag, flag.toLowerCase());
  }
  t.same(optionsOf(`m required a=word b='single quoted' c="with \\"escaped\\" quote" d="tab\\there" e="octal\\101\\0619" f=$x-y_z.1;`), {
    a: 'word',
    b: 'single quoted',
    c: 'with "escaped" quote',
    d: 'tab\there',
    e: 'octalA19',
    f: '$x-y_z.1',
  });
  t.same(optionsOf('m required k="";'), { k: '' }, 'an empty quoted value');
  t.same(optionsOf('m required k="a"\n k="b";'), { k: 'b' }, 'a key given twice keeps its last value');
  t.same(optionsOf('m required k="unterminated\nnext="x";'), { k: 'unterminated', next: 'x' }, 'a quoted string ends at the end of the line');
  t.same(optionsOf('m required k="é ü 日本";'), { k: 'é ü 日本' }, 'non-ASCII text');
  t.same(optionsOf('m required k=日本;'), { k: '日本' }, 'non-ASCII unquoted words');
});

t.test('comments and several modules', async t => {
  const entries = parseJaasConfig(`
    // the PLAIN users
    ${PLAIN_LOGIN_MODULE} required /* inline */ user_a="x";
    ${SCRAM_LOGIN_MODULE} optional;
    ${OAUTHBEARER_LOGIN_MODULE} sufficient unsecuredValidatorAllowableClockSkewMs="3000";`);
  t.same(entries.map(e => [e.loginModule, e.controlFlag, Object.fromEntries(e.options)]), [
    [PLAIN_LOGIN_MODULE, 'required', { user_a: 'x' }],
    [SCRAM_LOGIN_MODULE, 'optional', {}],
    [OAUTHBEARER_LOGIN_MODULE, 'sufficient', { unsecuredValidatorAllowableClockSkewMs: '3000' }],
  ]);
  t.same(optionsOf('m required a=x/this is a comment\n b=y;'), { a: 'x', b: 'y' }, "a lone '/' starts a comment too");
});

t.test("what Kafka refuses, with Kafka's messages", async t => {
  const refused: [string, string][] = [
    ['', 'Login module not specified in JAAS config'],
    ['   // only a comment', 'Login module not specified in JAAS config'],
    ['m', 'Login module control flag not specified in JAAS config'],
    ['m bogus;', "Invalid login module control flag 'bogus' in JAAS config"],
    ['m 1;', 'Login module control flag is not available in the JAAS config'],
    ['m required k;', "Value not specified for key 'k' in JAAS config"],
    ['m required k=;', "Value not specified for key 'k' in JAAS config"],
    ['m required k=123;', "Value not specified for key 'k' in JAAS config"],
    ['m required k=v', 'JAAS config entry not terminated by semi-colon'],
    ['m required k="v"', 'JAAS config entry not terminated by semi-colon'],
  ];
  for (const [text, message] of refused) {
    t.throws(() => parseJaasConfig(text), { message }, JSON.stringify(text));
    t.throws(() => parseJaasConfig(text), JaasConfigError);
  }
});

t.test("a listener's JAAS config: per listener and mechanism, else sasl.jaas.config", async t => {
  const plain = `${PLAIN_LOGIN_MODULE} required user_alice="a";`;
  const config = new BrokerConfig({
    'listener.name.sasl_plaintext.plain.sasl.jaas.config': plain,
    'sasl.jaas.config': `${PLAIN_LOGIN_MODULE} required user_bob="b"; ${SCRAM_LOGIN_MODULE} required;`,
  });
  t.same(serverJaasSource(config, 'SASL_PLAINTEXT', 'PLAIN'), { key: 'listener.name.sasl_plaintext.plain.sasl.jaas.config', text: plain, perMechanism: true });
  t.same([...plainUsers(serverJaasEntries(config, 'SASL_PLAINTEXT', 'PLAIN'))], [['alice', 'a']]);
  t.equal(serverJaasSource(config, 'OTHER', 'PLAIN')?.key, 'sasl.jaas.config');
  t.same([...plainUsers(serverJaasEntries(config, 'OTHER', 'PLAIN'))], [['bob', 'b']], 'sasl.jaas.config may list several modules');
  t.same(serverJaasEntries(new BrokerConfig({}), 'SASL_PLAINTEXT', 'PLAIN'), [], 'none configured');

  const two = new BrokerConfig({ 'listener.name.x.scram-sha-256.sasl.jaas.config': `${SCRAM_LOGIN_MODULE} required; ${SCRAM_LOGIN_MODULE} required;` });
  t.throws(() => serverJaasEntries(two, 'X', 'SCRAM-SHA-256'), {
    message: 'listener.name.x.scram-sha-256.sasl.jaas.config: JAAS config property contains 2 login modules, should be 1 module',
  });
  const bad = new BrokerConfig({ 'listener.name.x.plain.sasl.jaas.config': 'm required k=1;' });
  t.throws(() => serverJaasEntries(bad, 'X', 'PLAIN'), { message: "listener.name.x.plain.sasl.jaas.config: Value not specified for key 'k' in JAAS config" });
});
