// What one API key's handler module provides to dispatch. Handlers decode nothing and encode
// nothing themselves: dispatch hands them the decoded request and encodes what they return.
/* eslint-disable @typescript-eslint/no-explicit-any -- the boundary of generated code */
import type { Logger } from 'pino';
import type { Broker } from './broker.js';
import type { KafkaPrincipal, SecurityProtocol } from '../security/principal.js';

/** The connection a request arrived on, as handlers may need it. */
export interface ConnectionInfo {
  readonly id: number;
  /** Address and port of this broker's socket the client connected to (what Metadata advertises). */
  readonly localAddress: string;
  readonly localPort: number;
  readonly remoteAddress: string;
  readonly remotePort: number;
  /** The name of the listener the client connected through (PLAINTEXT, ...): Metadata advertises the same listener of every node. */
  readonly listenerName: string;
  /** The security protocol of that listener. */
  readonly securityProtocol: SecurityProtocol;
  /** Who the client is: User:ANONYMOUS until SSL or SASL authentication says otherwise. */
  readonly principal: KafkaPrincipal;
  /** The client software name and version of its ApiVersions v3+ request (KIP-511); null until then. */
  clientSoftware: { name: string; version: string } | null;
  /** Closes the connection after this request (Kafka does so for acks=0 produce errors). */
  close(reason: string): void;
}

export interface RequestContext {
  readonly broker: Broker;
  readonly log: Logger;
  readonly connection: ConnectionInfo;
  readonly apiKey: number;
  readonly apiVersion: number;
  readonly correlationId: number;
  readonly clientId: string | null;
  /** The request frame, without its size prefix. */
  readonly frame: Buffer;
  /** When the frame arrived in several reads and was joined: those reads' pieces, prefix included. */
  readonly framePieces: readonly Buffer[] | null;
  /** Run once the response has been written to the socket (e.g. giving read buffers back to their pool). */
  afterWrite?: (() => void)[];
}

/**
 * The bytes of `view`, a slice of the request frame, as they arrived: null when the frame came
 * in one read (the view itself is that memory), else the pieces of the reads it spans. A log
 * keeps these rather than the joined copy, so data that straddled two reads is held once.
 */
export function arrivedAs(ctx: RequestContext, view: Buffer): Buffer[] | null {
  const pieces = ctx.framePieces;
  const frame = ctx.frame;
  // small buffers share Node's pool: a view of the frame must also lie within it
  if (pieces === null || view.buffer !== frame.buffer || view.byteOffset < frame.byteOffset || view.byteOffset + view.length > frame.byteOffset + frame.length) {
    return null;
  }
  const start = view.byteOffset - frame.byteOffset + 4;
  const end = start + view.length;
  const out: Buffer[] = [];
  let pos = 0;
  for (const piece of pieces) {
    const next = pos + piece.length;
    if (start < next && end > pos) out.push(piece.subarray(Math.max(0, start - pos), Math.min(piece.length, end - pos)));
    pos = next;
  }
  return out;
}

/** Returned by a handler when Kafka sends no response (Produce with acks=0). */
export const NO_RESPONSE: unique symbol = Symbol('no response');
export type HandlerResult<Resp> = Resp | typeof NO_RESPONSE;

export interface Handler<Req = any, Resp = any> {
  readonly apiKey: number;
  /**
   * The response to `req` when the request fails as a whole: every error site Kafka's
   * getErrorResponse fills for this API carries `code` (and `message` where the response has an
   * error message field), mirroring the request's topics/partitions/groups/resources.
   */
  errorResponse(req: Req, version: number, code: number, message?: string): Resp;
  /** Absent until the API is built: dispatch then answers errorResponse(UNSUPPORTED_VERSION). */
  handle?(ctx: RequestContext, req: Req): HandlerResult<Resp> | Promise<HandlerResult<Resp>>;
}
