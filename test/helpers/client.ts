// A raw Kafka protocol client for tests: sends requests encoded by Samsa's generated codecs
// with any version and header, reads responses in order, and can send arbitrary bytes.
import net from 'node:net';
import { API_SPECS } from '../../src/protocol/messages/index.js';
import { Reader, Writer } from '../../src/protocol/wire.js';
import type { ApiSpec } from '../../src/protocol/api.js';

export const specOf = (key: number): ApiSpec => {
  const spec = API_SPECS.find(s => s.key === key);
  if (!spec) throw new Error(`no spec for API key ${key}`);
  return spec;
};

/** Encodes a request frame (size prefix included) the way a client does. */
export function requestFrame(key: number, version: number, correlationId: number, body: unknown, clientId: string | null = 'samsa-test'): Buffer {
  const spec = specOf(key);
  const w = new Writer(256);
  w.int32(0);
  w.int16(key);
  w.int16(version);
  w.int32(correlationId);
  w.nullableString(clientId);
  if (version >= spec.flexibleMin) w.uvarint(0);
  spec.encodeRequest(w, version, body);
  w.patchInt32(0, w.length - 4);
  return w.toBuffer();
}

export class TestClient {
  private buf = Buffer.alloc(0);
  private waiters: ((frame: Buffer | null) => void)[] = [];
  private frames: Buffer[] = [];
  private correlation = 1;
  closed = false;
  private closedWaiters: (() => void)[] = [];

  private constructor(private readonly socket: net.Socket) {
    // as Kafka clients do; also lets tests send a request in many small TCP segments
    socket.setNoDelay(true);
    socket.on('data', chunk => {
      this.buf = Buffer.concat([this.buf, chunk]);
      while (this.buf.length >= 4 && this.buf.length >= 4 + this.buf.readInt32BE(0)) {
        const size = this.buf.readInt32BE(0);
        const frame = this.buf.subarray(4, 4 + size);
        this.buf = this.buf.subarray(4 + size);
        const w = this.waiters.shift();
        if (w) w(frame);
        else this.frames.push(frame);
      }
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      this.closed = true;
      for (const w of this.waiters.splice(0)) w(null);
      for (const w of this.closedWaiters.splice(0)) w();
    });
  }

  static connect(bootstrap: string): Promise<TestClient> {
    const i = bootstrap.lastIndexOf(':');
    const host = bootstrap.slice(0, i);
    const port = Number(bootstrap.slice(i + 1));
    return new Promise((resolve, reject) => {
      const s = net.connect(port, host, () => resolve(new TestClient(s)));
      s.once('error', reject);
    });
  }

  /** The next response frame (without size prefix), or null if the connection closed first. */
  nextFrame(timeoutMs = 10000): Promise<Buffer | null> {
    const ready = this.frames.shift();
    if (ready) return Promise.resolve(ready);
    if (this.closed) return Promise.resolve(null);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no response within ${timeoutMs} ms`)), timeoutMs);
      this.waiters.push(f => {
        clearTimeout(t);
        resolve(f);
      });
    });
  }

  /** Resolves when the broker closes the connection (rejects after timeoutMs). */
  waitClosed(timeoutMs = 5000): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`connection still open after ${timeoutMs} ms`)), timeoutMs);
      this.closedWaiters.push(() => {
        clearTimeout(t);
        resolve();
      });
    });
  }

  /** Response frames received and not yet taken with nextFrame. */
  get buffered(): number {
    return this.frames.length;
  }

  write(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  /** Sends a request without waiting; returns its correlation id. */
  send(key: number, version: number, body: unknown, clientId: string | null = 'samsa-test'): number {
    const id = this.correlation++;
    this.write(requestFrame(key, version, id, body, clientId));
    return id;
  }

  /** Decodes a response frame for the given API and version, checking the correlation id. */
  static decode<T>(frame: Buffer, key: number, version: number, correlationId?: number): T {
    const spec = specOf(key);
    const r = new Reader(frame);
    const id = r.int32();
    if (correlationId !== undefined && id !== correlationId) throw new Error(`correlation id ${id}, expected ${correlationId}`);
    if (version >= spec.flexibleMin && key !== 18) r.skipTaggedFields();
    return spec.decodeResponse(r, version) as T;
  }

  /** Sends a request and decodes its response; throws if the broker closed the connection. */
  async request<T = any>(key: number, version: number, body: unknown): Promise<T> {
    const id = this.send(key, version, body);
    const frame = await this.nextFrame();
    if (frame === null) throw new Error(`connection closed instead of answering API ${key} v${version}`);
    return TestClient.decode<T>(frame, key, version, id);
  }

  /** A request built from the API's defaults with `fields` set. */
  async call<T = any>(key: number, version: number, fields: Record<string, unknown> = {}): Promise<T> {
    return this.request<T>(key, version, { ...specOf(key).defaultRequest(), ...fields });
  }

  /** Stops reading responses (they wait in the socket, then in the broker) until resume(). */
  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }

  close(): void {
    this.socket.destroy();
  }
}
