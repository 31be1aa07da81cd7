// `samsa dev-cert`: a self-signed certificate for trying TLS listeners on a laptop or in CI. The
// certificate is its own CA (basicConstraints CA:true), so clients take the same file as the
// certificate authority they trust. Made here with a small DER encoder: no openssl or keytool needed.
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { Command } from 'commander';

export interface DevCertificateOptions {
  /** The subject's common name; default "localhost". */
  commonName?: string;
  /** Host names and IP addresses the certificate is valid for (subjectAltName); default localhost, 127.0.0.1, ::1. */
  hosts?: string[];
  /** Days of validity from now; default 365. */
  days?: number;
}

export const DEFAULT_DEV_CERT_HOSTS: readonly string[] = ['localhost', '127.0.0.1', '::1'];

// DER (X.690), just what a certificate needs
function tlv(tag: number, ...content: Buffer[]): Buffer {
  const value = Buffer.concat(content);
  const n = value.length;
  const length = n < 0x80 ? Buffer.from([n]) : n < 0x100 ? Buffer.from([0x81, n]) : n < 0x10000 ? Buffer.from([0x82, n >> 8, n & 0xff]) : Buffer.from([0x83, n >> 16, (n >> 8) & 0xff, n & 0xff]);
  return Buffer.concat([Buffer.from([tag]), length, value]);
}
const sequence = (...items: Buffer[]) => tlv(0x30, ...items);
const set = (...items: Buffer[]) => tlv(0x31, ...items);
const utf8String = (s: string) => tlv(0x0c, Buffer.from(s, 'utf8'));
const octetString = (b: Buffer) => tlv(0x04, b);
const bitString = (b: Buffer, unusedBits = 0) => tlv(0x03, Buffer.from([unusedBits]), b);
const boolean = (v: boolean) => tlv(0x01, Buffer.from([v ? 0xff : 0]));
const explicit = (n: number, content: Buffer) => tlv(0xa0 | n, content);

/** A non-negative INTEGER from big-endian bytes (minimal, with a 0 byte when the top bit is set). */
function integer(bytes: Buffer): Buffer {
  let b = bytes;
  while (b.length > 1 && b[0] === 0 && (b[1]! & 0x80) === 0) b = b.subarray(1);
  if (b[0]! & 0x80) b = Buffer.concat([Buffer.from([0]), b]);
  return tlv(0x02, b);
}

function objectIdentifier(oid: string): Buffer {
  const arcs = oid.split('.').map(Number);
  const out = [40 * arcs[0]! + arcs[1]!];
  for (const arc of arcs.slice(2)) {
    const base128 = [arc & 0x7f];
    for (let v = Math.floor(arc / 128); v > 0; v = Math.floor(v / 128)) base128.unshift((v & 0x7f) | 0x80);
    out.push(...base128);
  }
  return tlv(0x06, Buffer.from(out));
}

/** UTCTime through 2049, GeneralizedTime after (RFC 5280 4.1.2.5). */
function time(d: Date): Buffer {
  const iso = d.toISOString(); // YYYY-MM-DDTHH:MM:SS.sssZ
  const digits = `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}Z`;
  return d.getUTCFullYear() < 2050 ? tlv(0x17, Buffer.from(digits.slice(2), 'ascii')) : tlv(0x18, Buffer.from(digits, 'ascii'));
}

const extension = (oid: string, critical: boolean, value: Buffer) =>
  sequence(objectIdentifier(oid), ...(critical ? [boolean(true)] : []), octetString(value));

/** The bytes of an IP address: 4 for IPv4, 16 for IPv6. */
function ipBytes(ip: string): Buffer {
  if (net.isIPv4(ip)) return Buffer.from(ip.split('.').map(Number));
  // expand "::" and an embedded IPv4 tail, then eight groups of 16 bits
  let text = ip.replace(/%.*$/, '');
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    const [a, b, c, d] = v4[1]!.split('.').map(Number) as [number, number, number, number];
    text = `${text.slice(0, -v4[1]!.length)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? text.split('::') as [string, string] : [text, null];
  const headGroups = head === '' ? [] : head.split(':');
  const tailGroups = tail === null || tail === '' ? [] : tail.split(':');
  const groups = tail === null ? headGroups : [...headGroups, ...Array<string>(8 - headGroups.length - tailGroups.length).fill('0'), ...tailGroups];
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), i * 2));
  return out;
}

/**
 * A self-signed X.509 v3 certificate and its private key (EC P-256, ecdsa-with-SHA256), as PEM.
 * It is valid for the given hosts (subjectAltName DNS and IP entries), usable by a server and by a
 * client, and is its own CA (basicConstraints CA:true), valid from an hour ago (clock skew) for `days`.
 */
export function generateDevCertificate(opts: DevCertificateOptions = {}): { keyPem: string; certPem: string } {
  const commonName = opts.commonName ?? 'localhost';
  const hosts = opts.hosts === undefined || opts.hosts.length === 0 ? DEFAULT_DEV_CERT_HOSTS : opts.hosts;
  const days = opts.days ?? 365;
  if (!(days > 0) || !Number.isFinite(days)) throw new Error(`days must be a positive number, not ${days}`);
  const { privateKey, publicKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const spki = publicKey.export({ type: 'spki', format: 'der' });

  // a positive serial of 16 random bytes (RFC 5280 allows up to 20)
  const serial = crypto.randomBytes(16);
  serial[0] = (serial[0]! & 0x7f) | 0x01;
  const ecdsaWithSha256 = sequence(objectIdentifier('1.2.840.10045.4.3.2'));
  const name = sequence(set(sequence(objectIdentifier('2.5.4.3'), utf8String(commonName))));
  const now = Date.now();
  const validity = sequence(time(new Date(now - 3600_000)), time(new Date(now + days * 86400_000)));
  // subjectKeyIdentifier: SHA-1 of the public key bits (RFC 5280 4.2.1.2, method 1)
  const publicKeyBits = spki.subarray(spki.length - 65);
  const altNames = hosts.map(h => (net.isIP(h) ? tlv(0x87, ipBytes(h)) : tlv(0x82, Buffer.from(h, 'ascii'))));
  const extensions = sequence(
    extension('2.5.29.19', true, sequence(boolean(true))), // basicConstraints CA:true
    // keyUsage digitalSignature (bit 0) and keyCertSign (bit 5): 0b100001, two unused bits
    extension('2.5.29.15', true, bitString(Buffer.from([0x84]), 2)),
    extension('2.5.29.37', false, sequence(objectIdentifier('1.3.6.1.5.5.7.3.1'), objectIdentifier('1.3.6.1.5.5.7.3.2'))), // serverAuth, clientAuth
    extension('2.5.29.17', false, sequence(...altNames)),
    extension('2.5.29.14', false, octetString(crypto.createHash('sha1').update(publicKeyBits).digest())),
  );
  const tbs = sequence(explicit(0, integer(Buffer.from([2]))), integer(serial), ecdsaWithSha256, name, validity, name, spki, explicit(3, extensions));
  const signature = crypto.sign('sha256', tbs, privateKey);
  const der = sequence(tbs, ecdsaWithSha256, bitString(signature));
  const body = der.toString('base64').replace(/.{1,64}/g, '$&\n');
  return {
    keyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
    certPem: `-----BEGIN CERTIFICATE-----\n${body}-----END CERTIFICATE-----\n`,
  };
}

export interface DevCertificateFiles {
  /** samsa-dev.key: the private key (PKCS#8 PEM), readable by its owner only. */
  keyFile: string;
  /** samsa-dev.crt: the certificate, which clients trust as their CA. */
  certFile: string;
  /** samsa-dev.pem: key then certificate, what ssl.keystore.location takes with ssl.keystore.type=PEM. */
  pemFile: string;
}

/** Writes a new dev certificate into `dir` (created if missing): samsa-dev.key, samsa-dev.crt and samsa-dev.pem. */
export function writeDevCertificate(dir: string, opts: DevCertificateOptions = {}): DevCertificateFiles {
  const { keyPem, certPem } = generateDevCertificate(opts);
  fs.mkdirSync(dir, { recursive: true });
  const keyFile = path.resolve(dir, 'samsa-dev.key');
  const certFile = path.resolve(dir, 'samsa-dev.crt');
  const pemFile = path.resolve(dir, 'samsa-dev.pem');
  // the mode is set again: writeFileSync's mode applies only to a file it creates
  const secret = (file: string, text: string) => {
    fs.writeFileSync(file, text, { mode: 0o600 });
    fs.chmodSync(file, 0o600);
  };
  secret(keyFile, keyPem);
  secret(pemFile, keyPem + certPem);
  fs.writeFileSync(certFile, certPem);
  return { keyFile, certFile, pemFile };
}

/** Adds `dev-cert` to the program. */
export function addDevCertCommand(program: Command): void {
  program
    .command('dev-cert')
    .description('write a self-signed certificate and key for trying SSL listeners (not for production)')
    .option('--dir <dir>', 'directory to write samsa-dev.key, samsa-dev.crt and samsa-dev.pem to', '.')
    .option('--cn <name>', "the certificate's common name (default localhost)")
    .option('--host <name...>', `a host name or IP address the certificate is valid for; repeatable (default ${DEFAULT_DEV_CERT_HOSTS.join(', ')})`)
    .option('--days <n>', 'days of validity', '365')
    .action((opts: { dir: string; cn?: string; host?: string[]; days: string }) => {
      const days = Number(opts.days);
      if (!Number.isInteger(days) || days < 1) throw new Error(`--days ${opts.days}: not a whole number of days`);
      const hosts = opts.host?.flatMap(h => h.split(',')).map(h => h.trim()).filter(h => h !== '');
      const files = writeDevCertificate(opts.dir, { commonName: opts.cn, hosts, days });
      process.stdout.write(
        [
          `wrote ${files.keyFile} (private key)`,
          `wrote ${files.certFile} (certificate; clients trust it as their CA)`,
          `wrote ${files.pemFile} (key and certificate, for the broker)`,
          '',
          'broker configs (server.properties, or --override key=value):',
          '  listeners=PLAINTEXT://127.0.0.1:9092,SSL://127.0.0.1:9093',
          '  ssl.keystore.type=PEM',
          `  ssl.keystore.location=${files.pemFile}`,
          '',
          'clients:',
          `  Java:        ssl.truststore.type=PEM  ssl.truststore.location=${files.certFile}`,
          `  librdkafka:  ssl.ca.location=${files.certFile}`,
          `  Node:        ssl: { ca: [fs.readFileSync('${files.certFile}')] }`,
          '',
        ].join('\n'),
      );
    });
}
