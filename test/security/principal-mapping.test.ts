// The principal of a client certificate (src/security/tls.ts): the subject in RFC 2253 form as
// Java's X500Principal.getName() writes it (the expected names below were printed by OpenJDK 17
// for the same bytes), and ssl.principal.mapping.rules as Kafka's SslPrincipalMapper applies them
// (the cases of Kafka's SslPrincipalMapperTest).
import t from 'tap';
import { X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type tls from 'node:tls';
import { fileURLToPath } from 'node:url';
import { SslPrincipalMapper, certificatePrincipal, rfc2253Name, subjectName } from '../../src/security/tls.js';

const FIX = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/tls');
const pem = (name: string) => fs.readFileSync(path.join(FIX, name), 'utf8');
const certificates = (text: string) => text.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g)!.map(c => new X509Certificate(c));

t.test('subjects of real certificates, as X500Principal.getName()', async t => {
  t.equal(subjectName(new X509Certificate(pem('client.crt'))), 'CN=alice,OU=eng,O=acme,L=Stockholm,ST=Unknown,C=SE', 'most specific first: the reverse of the certificate\'s order');
  t.equal(subjectName(new X509Certificate(pem('ca.crt'))), 'CN=Samsa Test CA,O=Samsa Test,C=SE');
  // dn-samples.pem, in the order its README lists them
  const expected = [
    'CN=Bob Smith+UID=bob,OU=Users,DC=example,DC=com',
    'CN=Tkac\\, Adam,OU=ITZ,DC=geodis,DC=cz',
    'CN=\\ \\ \\#x\\, y\\=z\\+w\\<a\\>b\\;c\\"q\\\\\\ \\ ,O=acme',
    '1.2.840.113549.1.9.1=#16116361726f6c406578616d706c652e636f6d,CN=carol',
    'CN=Jürgen,O=Zürich AG,C=DE',
    '2.5.4.4=#0c034c6565,2.5.4.42=#0c03416e6e,STREET=Main St 1,2.5.4.5=#13023432,2.5.4.12=#0c024472,CN=x',
  ];
  const samples = certificates(pem('dn-samples.pem'));
  t.equal(samples.length, expected.length);
  samples.forEach((c, i) => t.equal(subjectName(c), expected[i], expected[i]));
  // a peer certificate object (socket.getPeerCertificate()) works the same, through its raw bytes
  const peer = { raw: samples[1]!.raw } as tls.PeerCertificate;
  t.equal(subjectName(peer), expected[1]);
  t.throws(() => subjectName({} as tls.PeerCertificate), /no certificate/);
});

t.test('RFC 2253 names of hand-made Names (value types, control characters, multi-valued RDNs)', async t => {
  const cases: [string, string, string][] = [
    // Java reads every directory string's content as UTF-8, whatever its type: a T61String's
    // Latin-1 "é" becomes U+FFFD, a BMPString's NULs come out as \00
    ['T61String and BMPString', '3037310b300906035504061302534531193017060355040a1e1003a9006d0065006700610020002b0031310d300b06035504031404636166e9', 'CN=caf\ufffd,O=\u0003\ufffd\\00m\\00e\\00g\\00a\\00 \\00\\+\\001,C=SE'],
    ['UniversalString is no directory string for Java: hex', '30133111300f06035504031c080000006100000062', 'CN=#1c080000006100000062'],
    ['NUL, and leading/trailing spaces and CRs, escaped one by one', '302b310c300a06035504070c030d2078310c300a060355040b0c03202020310d300b06035504030c046100620d', 'CN=a\\00b\\\r,OU=\\ \\ \\ ,L=\\\r\\ x'],
    ['DC, UID, and a non-string value under a keyword', '303931173015060a0992268993f22c64011916076578616d706c6531123010060a0992268993f22c6401010c027531310a30080603550403020105', 'CN=#020105,UID=u1,DC=example'],
    ['a multi-valued RDN keeps its encoded order', '3035310d300b060355040a0c0461636d653124300a060355040b0c03656e67300a06035504030c037a6564300a060355040a0c03612c62', 'OU=eng+CN=zed+O=a\\,b,O=acme'],
    ['types without an RFC 2253 keyword: OID and hex', '301a310a300806032a03040c0178310c300a06035504051303313233', '2.5.4.5=#1303313233,1.2.3.4=#0c0178'],
    ['the empty name', '3000', ''],
  ];
  for (const [what, hex, name] of cases) t.equal(rfc2253Name(Buffer.from(hex, 'hex')), name, what);
});

t.test('SslPrincipalMapper: valid and invalid rules (SslPrincipalMapperTest)', async t => {
  for (const rules of [
    'DEFAULT',
    'RULE:^CN=(.*?),OU=ServiceUsers.*$/$1/',
    'RULE:^CN=(.*?),OU=ServiceUsers.*$/$1/L, DEFAULT',
    'RULE:^CN=(.*?),OU=(.*?),O=(.*?),L=(.*?),ST=(.*?),C=(.*?)$/$1@$2/',
    'RULE:^.*[Cc][Nn]=([a-zA-Z0-9.]*).*$/$1/L',
    'RULE:^cn=(.?),ou=(.?),dc=(.?),dc=(.?)$/$1@$2/U',
    'RULE:^CN=([^,ADEFLTU,]+)(,.*|$)/$1/',
    'RULE:^CN=([^,DEFAULT,]+)(,.*|$)/$1/',
  ]) {
    t.doesNotThrow(() => SslPrincipalMapper.fromRules(rules), rules);
  }
  for (const rules of [
    'default',
    'DEFAUL',
    'DEFAULT/L',
    'DEFAULT/U',
    'RULE:CN=(.*?),OU=ServiceUsers.*/$1',
    'rule:^CN=(.*?),OU=ServiceUsers.*$/$1/',
    'RULE:^CN=(.*?),OU=ServiceUsers.*$/$1/L/U',
    'RULE:^CN=(.*?),OU=ServiceUsers.*$/L',
    'RULE:^CN=(.*?),OU=ServiceUsers.*$/U',
    'RULE:^CN=(.*?),OU=ServiceUsers.*$/LU',
  ]) {
    t.throws(() => SslPrincipalMapper.fromRules(rules), /Invalid rule/, rules);
  }
});

t.test('SslPrincipalMapper: first matching rule wins, with case conversion (SslPrincipalMapperTest)', async t => {
  const mapper = SslPrincipalMapper.fromRules(
    [
      'RULE:^CN=(.*?),OU=ServiceUsers.*$/$1/L',
      'RULE:^CN=(.*?),OU=(.*?),O=(.*?),L=(.*?),ST=(.*?),C=(.*?)$/$1@$2/L',
      'RULE:^cn=(.*?),ou=(.*?),dc=(.*?),dc=(.*?)$/$1@$2/U',
      'RULE:^.*[Cc][Nn]=([a-zA-Z0-9.]*).*$/$1/U',
      'DEFAULT',
    ].join(', '),
  );
  t.equal(mapper.name('CN=Duke,OU=ServiceUsers,O=Org,C=US'), 'duke');
  t.equal(mapper.name('CN=Duke,OU=SME,O=mycp,L=Fulton,ST=MD,C=US'), 'duke@sme');
  t.equal(mapper.name('cn=duke,ou=sme,dc=mycp,dc=com'), 'DUKE@SME');
  t.equal(mapper.name('cN=duke,OU=JavaSoft,O=Sun Microsystems'), 'DUKE');
  t.equal(mapper.name('OU=JavaSoft,O=Sun Microsystems,C=US'), 'OU=JavaSoft,O=Sun Microsystems,C=US');

  // testCommaWithWhitespace: an escaped comma inside the CN
  t.equal(SslPrincipalMapper.fromRules(String.raw`RULE:^CN=((\\, *|\w)+)(,.*|$)/$1/,DEFAULT`).name(String.raw`CN=Tkac\, Adam,OU=ITZ,DC=geodis,DC=cz`), String.raw`Tkac\, Adam`);

  // no rule applies: an error (Kafka fails the authentication)
  const strict = SslPrincipalMapper.fromRules('RULE:^CN=(.*?),OU=eng.*$/$1/');
  t.throws(() => strict.name('CN=bob,OU=ops'), /No rules apply to CN=bob,OU=ops, rules \[RULE:\^CN=\(\.\*\?\),OU=eng\.\*\$\/\$1\]/);
  t.throws(() => SslPrincipalMapper.fromRules('').name('CN=x'), /No rules apply/, 'an empty list has no rule');
});

t.test('SslPrincipalMapper: how rules are split (SslPrincipalMapperTest.testRulesSplitting)', async t => {
  const cases: [string, string][] = [
    ['[]', ''],
    ['[DEFAULT]', 'DEFAULT'],
    ['[RULE:/]', 'RULE://'],
    ['[RULE:/.*]', 'RULE:/.*/'],
    ['[RULE:/.*/L]', 'RULE:/.*/L'],
    ['[RULE:/, DEFAULT]', 'RULE://,DEFAULT'],
    ['[RULE:/, DEFAULT]', '  RULE:// ,  DEFAULT  '],
    ['[RULE:   /     , DEFAULT]', '  RULE:   /     / ,  DEFAULT  '],
    ['[RULE:  /     /U, DEFAULT]', '  RULE:  /     /U   ,DEFAULT  '],
    ['[RULE:([A-Z]*)/$1/U, RULE:([a-z]+)/$1, DEFAULT]', '  RULE:([A-Z]*)/$1/U   ,RULE:([a-z]+)/$1/,   DEFAULT  '],
    // empty rules are ignored
    ['[]', ',   , , ,      , , ,   '],
    ['[RULE:/, DEFAULT]', ',,RULE://,,,DEFAULT,,'],
    ['[RULE: /   , DEFAULT]', ',  , RULE: /   /    ,,,   DEFAULT, ,   '],
    ['[RULE:   /  /U, DEFAULT]', '     ,  , RULE:   /  /U    ,,  ,DEFAULT, ,'],
    // escape sequences
    [String.raw`[RULE:\/\\\(\)\n\t/\/\/]`, String.raw`RULE:\/\\\(\)\n\t/\/\//`],
    [String.raw`[RULE:\**\/+/*/L, RULE:\/*\**/**]`, String.raw`RULE:\**\/+/*/L,RULE:\/*\**/**/`],
    // rules rule
    [
      String.raw`[RULE:,RULE:,/,RULE:,\//U, RULE:,/RULE:,, RULE:,RULE:,/L,RULE:,/L, RULE:, DEFAULT, /DEFAULT, DEFAULT]`,
      String.raw`RULE:,RULE:,/,RULE:,\//U,RULE:,/RULE:,/,RULE:,RULE:,/L,RULE:,/L,RULE:, DEFAULT, /DEFAULT/,DEFAULT`,
    ],
  ];
  for (const [expected, rules] of cases) t.equal(SslPrincipalMapper.fromRules(rules).toString(), `SslPrincipalMapper(rules = ${expected})`, JSON.stringify(rules));
});

t.test('replacements: Java\'s syntax, and back references beyond the groups taken literally', async t => {
  const name = (rules: string, dn: string) => SslPrincipalMapper.fromRules(rules).name(dn);
  t.equal(name('RULE:^CN=([a-z]+),OU=([a-z]+)$/$2-$1/', 'CN=ann,OU=ops'), 'ops-ann');
  t.equal(name('RULE:^CN=([a-z]+)$/$4@x/', 'CN=ann'), '$4@x', '$4 with one group is text');
  t.equal(name('RULE:^CN=([a-z]+)$/$12/', 'CN=ann'), 'ann2', '$12 with one group is $1 then "2"');
  t.equal(name('RULE:^CN=([a-z]+)$/\\$1/', 'CN=ann'), '$1', 'an escaped $');
  t.equal(name('RULE:^CN=(?<user>[a-z]+)$/${user}!/', 'CN=ann'), 'ann!', 'a named group');
  t.equal(name('RULE:^CN=ann$/fixed/', 'CN=ann'), 'fixed', 'no groups');
  t.equal(name('RULE:^CN=([a-z]+)(,OU=x)?$/$1$2/', 'CN=ann'), 'ann', 'a group that did not take part is empty');
  t.equal(name('RULE:(?i)^cn=([a-z]+)$/$1/U', 'CN=Ann'), 'ANN', 'a leading (?i)');
});

t.test('certificatePrincipal: User:<DN>, mapped', async t => {
  const alice = new X509Certificate(pem('client.crt'));
  t.same(certificatePrincipal(alice, 'DEFAULT'), { type: 'User', name: 'CN=alice,OU=eng,O=acme,L=Stockholm,ST=Unknown,C=SE' });
  t.same(certificatePrincipal(alice, 'RULE:^CN=(.*?),OU=.*$/$1/L'), { type: 'User', name: 'alice' });
  t.same(certificatePrincipal(alice, 'RULE:^CN=(.*?),OU=(.*?),.*$/$2:$1/U,DEFAULT'), { type: 'User', name: 'ENG:ALICE' });
  t.throws(() => certificatePrincipal(alice, 'RULE:^CN=bob.*$/bob/'), /Failed to map name for 'CN=alice,OU=eng,O=acme,L=Stockholm,ST=Unknown,C=SE' based on SSL principal mapping rules/);
});
