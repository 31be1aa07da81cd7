// The shape of a generated API codec, as the registry in messages/index.ts lists them.
import type { Reader, Writer } from './wire.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- the boundary of generated code */
export interface ApiSpec<Req = any, Resp = any> {
  key: number;
  name: string;
  /** Lowest and highest version the broker decodes. */
  minVersion: number;
  maxVersion: number;
  /** First flexible version (KIP-482), 0x7fff when the API has none. */
  flexibleMin: number;
  decodeRequest(r: Reader, version: number): Req;
  encodeRequest(w: Writer, version: number, m: Req): void;
  decodeResponse(r: Reader, version: number): Resp;
  encodeResponse(w: Writer, version: number, m: Resp): void;
  defaultRequest(): Req;
  defaultResponse(): Resp;
}
