// One client connection: length-prefixed framing, requests handled one at a time in arrival
// order (as Kafka does, so two produces on a connection append in order), responses written in
// that same order, and back-pressure when the client reads slower than it asks.
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import type { Broker, Outcome } from '../broker/broker.js';
import type { Timer } from '../broker/clock.js';
import type { ConnectionInfo } from '../broker/handler.js';
import type { KafkaPrincipal, SecurityProtocol } from '../security/principal.js';
import type { ConnectionLimits } from './limits.js';
import type { SaslAuthenticator } from './sasl-authenticator.js';

/** Stop reading while this many response bytes wait in the socket for a slow reader. */
const WRITE_HIGH_WATER = 8 * 1024 * 1024;
/** Responses of a loop turn totalling at most this are joined into one buffer before writing. */
const JOIN_LIMIT = 16 * 1024;
/** Stop reading while this many request bytes are framed but not yet handled. */
const QUEUED_HIGH_WATER = 16 * 1024 * 1024;

const unmapIPv4 = (addr: string | undefined): string => (addr ?? '').replace(/^::ffff:/, '');

export interface ConnectionOptions {
  /** socket.request.max.bytes */
  maxRequestSize: number;
  listenerName: string;
  securityProtocol: SecurityProtocol;
  /** User:ANONYMOUS, or the client certificate's principal on SSL listeners. */
  principal: KafkaPrincipal;
  /** The node's connection limits and its bound on unhandled request bytes. */
  limits: ConnectionLimits;
  /** connections.max.idle.ms: a connection with no traffic this long is closed (<= 0: never). */
  idleMs: number;
  onClosed: (c: Connection) => void;
}

export class Connection implements ConnectionInfo {
  readonly localAddress: string;
  readonly localPort: number;
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly listenerName: string;
  readonly securityProtocol: SecurityProtocol;
  /** Set again when SASL authentication completes. */
  principal: KafkaPrincipal;
  clientSoftware: { name: string; version: string } | null = null;
  /** On SASL listeners: authentication, and re-authentication (KIP-368), of this connection. */
  authenticator: SaslAuthenticator | null = null;

  /** Bytes of an incomplete frame, and the size of that frame once its prefix is known. */
  private partial: Buffer[] = [];
  private partialBytes = 0;
  private frames: Buffer[] = [];
  /** Frames joined from several reads, with the pieces of those reads they were joined from. */
  private joined: Map<Buffer, Buffer[]> | null = null;
  private queuedBytes = 0;
  private busy = false;
  /** Set while a client quota mutes the connection (KIP-219). */
  private throttled: Timer | null = null;
  private closed = false;
  private paused = false;
  /** Responses finished in this turn of the event loop, sent together at its end. */
  private out: Buffer[] = [];
  private outBytes = 0;
  /** What those responses run once written (Outcome.afterWrite). */
  private outWritten: (() => void)[] | null = null;
  private flushScheduled = false;
  private readonly flush = () => {
    this.flushScheduled = false;
    const out = this.out;
    if (out.length === 0 || this.closed) return;
    this.out = [];
    const written = this.outWritten;
    this.outWritten = null;
    // run once the socket has taken the last write (writes complete in order); not after a failed one
    const done =
      written === null
        ? undefined
        : (err?: Error | null) => {
            if (!err) for (const fn of written) fn();
          };
    // small responses are joined into one write; large ones (fetched data) go out as they are
    if (out.length === 1) this.socket.write(out[0]!, done);
    else if (this.outBytes <= JOIN_LIMIT) this.socket.write(Buffer.concat(out, this.outBytes), done);
    else {
      this.socket.cork();
      for (let i = 0; i < out.length - 1; i++) this.socket.write(out[i]!);
      this.socket.write(out[out.length - 1]!, done);
      this.socket.uncork();
    }
    this.outBytes = 0;
    // a pause for output waiting here ends when the socket took it all at once (no 'drain' follows)
    this.maybeResume();
  };

  private readonly maxRequestSize: number;
  private readonly limits: ConnectionLimits;
  private readonly resumeFromNode = () => this.maybeResume();

  constructor(
    readonly id: number,
    private readonly socket: Socket,
    private readonly broker: Broker,
    private readonly log: Logger,
    opts: ConnectionOptions,
  ) {
    this.maxRequestSize = opts.maxRequestSize;
    this.listenerName = opts.listenerName;
    this.securityProtocol = opts.securityProtocol;
    this.principal = opts.principal;
    this.limits = opts.limits;
    this.localAddress = unmapIPv4(socket.localAddress);
    this.localPort = socket.localPort ?? 0;
    this.remoteAddress = unmapIPv4(socket.remoteAddress);
    this.remotePort = socket.remotePort ?? 0;
    socket.setNoDelay(true);
    socket.on('data', chunk => this.onData(chunk));
    socket.on('drain', () => this.maybeResume());
    socket.on('error', err => this.log.debug({ err, conn: this.describe() }, 'connection error'));
    if (opts.idleMs > 0) {
      socket.setTimeout(opts.idleMs, () => this.close(`idle for connections.max.idle.ms (${opts.idleMs} ms)`));
    }
    socket.on('close', () => {
      this.closed = true;
      this.throttled?.cancel();
      this.dropQueued();
      this.joined = null;
      this.limits.cancelWait(this.resumeFromNode);
      opts.onClosed(this);
    });
  }

  /**
   * Client quota throttling (KIP-219): the responses already handled go out, but for `ms` nothing
   * more is read from the client, nor are the requests it already sent handled.
   */
  throttle(ms: number): void {
    if (this.closed || ms <= 0) return;
    this.throttled?.cancel();
    this.pause();
    this.throttled = this.broker.clock.setTimeout(() => {
      this.throttled = null;
      this.maybeResume();
      if (!this.busy) this.pump();
    }, ms);
  }

  describe(): string {
    return `${this.remoteAddress}:${this.remotePort}`;
  }

  /** Closes after the responses already written are flushed; requests not yet handled are dropped. */
  close(reason: string): void {
    if (this.closed) return;
    this.log.debug({ conn: this.describe(), reason }, 'closing connection');
    this.flush();
    this.closed = true;
    this.dropQueued();
    this.socket.destroySoon();
  }

  /** Closes the connection with a warning: the client broke the protocol. */
  private reject(reason: string): void {
    if (this.closed) return;
    this.log.warn({ conn: this.describe(), reason }, 'closing connection after a protocol error');
    this.close(reason);
  }

  /** Frames requests out of socket reads: views of the read buffer, copying only frames that straddle reads. */
  private onData(chunk: Buffer): void {
    if (this.closed) return;
    let pos = 0;
    while (pos < chunk.length) {
      if (this.partialBytes === 0) {
        while (chunk.length - pos >= 4) {
          const size = chunk.readInt32BE(pos);
          if (!this.acceptSize(size)) return;
          if (chunk.length - pos - 4 < size) break;
          this.frames.push(chunk.subarray(pos + 4, pos + 4 + size));
          this.queue(size);
          pos += 4 + size;
        }
        if (pos < chunk.length) {
          this.partial = [chunk.subarray(pos)];
          this.partialBytes = chunk.length - pos;
        }
        break;
      }
      if (this.partialBytes < 4) {
        // the size prefix itself straddles reads: join it first
        const take = Math.min(4 - this.partialBytes, chunk.length - pos);
        this.partial.push(chunk.subarray(pos, pos + take));
        this.partialBytes += take;
        pos += take;
        if (this.partialBytes < 4) break;
        this.partial = [Buffer.concat(this.partial, 4)];
      }
      const size = this.partial[0]!.readInt32BE(0);
      if (!this.acceptSize(size)) return;
      const take = Math.min(4 + size - this.partialBytes, chunk.length - pos);
      this.partial.push(chunk.subarray(pos, pos + take));
      this.partialBytes += take;
      pos += take;
      if (this.partialBytes === 4 + size) {
        const frame = Buffer.concat(this.partial, this.partialBytes).subarray(4);
        (this.joined ??= new Map()).set(frame, this.partial);
        this.frames.push(frame);
        this.queue(size);
        this.partial = [];
        this.partialBytes = 0;
      }
    }
    this.pump();
  }

  /**
   * Frames larger than socket.request.max.bytes (or negative) close the connection; before a
   * SASL client has authenticated, so do frames larger than sasl.server.max.receive.size.
   */
  private acceptSize(size: number): boolean {
    const auth = this.authenticator;
    if (auth !== null && !auth.authenticated && (size < 0 || size > auth.maxReceiveSize)) {
      this.reject(`frame of ${size} bytes before authentication is outside 0..sasl.server.max.receive.size (${auth.maxReceiveSize})`);
      return false;
    }
    if (size >= 0 && size <= this.maxRequestSize) return true;
    this.reject(`request frame of ${size} bytes is outside 0..socket.request.max.bytes (${this.maxRequestSize})`);
    return false;
  }

  /** Counts a framed request, on this connection and against the node's bound. */
  private queue(size: number): void {
    this.queuedBytes += size;
    this.limits.addQueued(size);
  }

  private dropQueued(): void {
    this.frames = [];
    if (this.queuedBytes !== 0) this.limits.releaseQueued(this.queuedBytes);
    this.queuedBytes = 0;
  }

  /** Handles queued frames one after another until one must wait (async handler or a full socket). */
  private pump(): void {
    while (!this.busy && !this.closed && this.throttled === null && this.frames.length > 0) {
      if (this.socket.writableLength + this.outBytes > WRITE_HIGH_WATER) {
        this.pause();
        return;
      }
      const frame = this.frames.shift()!;
      this.queuedBytes -= frame.length;
      this.limits.releaseQueued(frame.length);
      let pieces: Buffer[] | null = null;
      if (this.joined !== null && (pieces = this.joined.get(frame) ?? null) !== null) this.joined.delete(frame);
      let outcome: Outcome | Promise<Outcome>;
      try {
        const auth = this.authenticator;
        outcome = auth !== null && auth.intercepts(frame) ? auth.receive(frame) : this.broker.dispatch(this, frame, pieces);
      } catch (err) {
        this.log.error({ err, conn: this.describe() }, 'request dispatch failed');
        this.close('dispatch failed');
        return;
      }
      if (outcome instanceof Promise) {
        this.busy = true;
        outcome.then(
          o => {
            this.busy = false;
            this.finish(o);
            this.pump();
          },
          err => {
            this.busy = false;
            this.log.error({ err, conn: this.describe() }, 'request dispatch failed');
            this.close('dispatch failed');
          },
        );
        return;
      }
      this.finish(outcome);
    }
    if (this.queuedBytes > QUEUED_HIGH_WATER) this.pause();
    else if (this.limits.overQueued) {
      this.pause();
      this.limits.waitForQueue(this.resumeFromNode);
    } else this.maybeResume();
  }

  private finish(outcome: Outcome): void {
    if (this.closed) return;
    if (outcome.kind === 'close') {
      this.reject(outcome.reason);
      return;
    }
    if (outcome.kind === 'respond') {
      if (outcome.thenClose !== undefined) {
        // e.g. a failed authentication: the answer goes out, then the connection closes
        this.log.info({ conn: this.describe(), listener: this.listenerName, reason: outcome.thenClose }, 'closing connection');
        for (const c of outcome.chunks) {
          this.out.push(c);
          this.outBytes += c.length;
        }
        this.close(outcome.thenClose);
        return;
      }
      for (const c of outcome.chunks) {
        this.out.push(c);
        this.outBytes += c.length;
      }
      if (outcome.afterWrite !== undefined) (this.outWritten ??= []).push(...outcome.afterWrite);
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(this.flush);
      }
    }
  }

  private pause(): void {
    if (!this.paused) {
      this.paused = true;
      this.socket.pause();
    }
  }

  private maybeResume(): void {
    if (
      this.paused &&
      !this.closed &&
      this.throttled === null &&
      this.socket.writableLength + this.outBytes <= WRITE_HIGH_WATER &&
      this.queuedBytes <= QUEUED_HIGH_WATER &&
      !this.limits.overQueued
    ) {
      this.paused = false;
      this.socket.resume();
      if (!this.busy) this.pump();
    }
  }
}
