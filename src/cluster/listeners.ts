// Kafka's listener syntax: NAME://host:port.

import type { SecurityProtocol } from '../security/principal.js';

export interface ListenerAddress {
  name: string;
  host: string;
  port: number;
  /** From listener.security.protocol.map; PLAINTEXT when not resolved (advertised addresses need none). */
  securityProtocol?: SecurityProtocol;
}

/** Parses one listener (NAME://host:port; an IPv6 host in brackets; an empty host means all interfaces). */
export function parseListener(value: string): ListenerAddress {
  const m = /^([A-Za-z0-9_]+):\/\/(\[[^\]]*\]|[^:]*):(\d+)$/.exec(value.trim());
  if (!m) throw new Error(`listener "${value}" is not of the form NAME://host:port`);
  return { name: m[1]!, host: m[2]!.replace(/^\[|\]$/g, ''), port: Number(m[3]) };
}
