// Kafka principals: who a connection is, as authentication established it and as ACLs name it.

export interface KafkaPrincipal {
  /** The principal type; Kafka's built-in authenticators all make "User". */
  readonly type: string;
  readonly name: string;
}

export const USER_TYPE = 'User';

/** The principal of a PLAINTEXT connection, or an SSL one without a client certificate. */
export const ANONYMOUS: KafkaPrincipal = Object.freeze({ type: USER_TYPE, name: 'ANONYMOUS' });

export const userPrincipal = (name: string): KafkaPrincipal => ({ type: USER_TYPE, name });

/** "User:alice", the form ACLs and super.users use. */
export function principalString(p: KafkaPrincipal): string {
  return `${p.type}:${p.name}`;
}

/** Parses "Type:name" (the name may contain ':'); null when there is no type. */
export function parsePrincipal(text: string): KafkaPrincipal | null {
  const i = text.indexOf(':');
  if (i <= 0) return null;
  return { type: text.slice(0, i), name: text.slice(i + 1) };
}

export const samePrincipal = (a: KafkaPrincipal, b: KafkaPrincipal): boolean => a.type === b.type && a.name === b.name;

/** Kafka's security protocols, which a listener name maps to (listener.security.protocol.map). */
export type SecurityProtocol = 'PLAINTEXT' | 'SSL' | 'SASL_PLAINTEXT' | 'SASL_SSL';
export const SECURITY_PROTOCOLS: readonly SecurityProtocol[] = ['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL'];
export const usesTls = (p: SecurityProtocol): boolean => p === 'SSL' || p === 'SASL_SSL';
export const usesSasl = (p: SecurityProtocol): boolean => p === 'SASL_PLAINTEXT' || p === 'SASL_SSL';
