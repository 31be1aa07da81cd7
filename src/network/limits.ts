// The connection limits of one broker node, shared by its listeners as Kafka's ConnectionQuotas
// and request memory pool are: connections at once (max.connections, and per listener as
// listener.name.<l>.max.connections), connections per client address (max.connections.per.ip
// and its overrides), and the bytes of requests read but not yet handled
// (queued.max.request.bytes), beyond which connections stop reading until the node catches up.
import type { BrokerConfig } from '../cluster/configs.js';

export class ConnectionLimits {
  private total = 0;
  private readonly byListener = new Map<string, number>();
  private readonly byAddress = new Map<string, number>();
  private readonly perIp: number;
  private readonly overrides = new Map<string, number>();
  private readonly maxTotal: number;
  /** -1: no bound. */
  readonly maxQueuedBytes: number;
  private queued = 0;
  /** Connections that stopped reading for the node's bound, resumed as it frees. */
  private readonly waiting = new Set<() => void>();

  constructor(private readonly config: BrokerConfig) {
    this.maxTotal = config.int('max.connections');
    this.perIp = config.int('max.connections.per.ip');
    const text = config.str('max.connections.per.ip.overrides') ?? '';
    for (const entry of text.split(',').map(s => s.trim()).filter(s => s !== '')) {
      const i = entry.lastIndexOf(':');
      const count = Number(entry.slice(i + 1));
      if (i <= 0 || !Number.isInteger(count) || count < 0) throw new Error(`max.connections.per.ip.overrides: "${entry}" is not host:count`);
      this.overrides.set(entry.slice(0, i), count);
    }
    const queued = Number(config.get('queued.max.request.bytes'));
    this.maxQueuedBytes = queued <= 0 ? -1 : queued;
  }

  private listenerLimit(listener: string): number {
    const own = this.config.staticText(`listener.name.${listener.toLowerCase()}.max.connections`);
    const n = own === undefined ? NaN : Number(own);
    return Number.isInteger(n) && n >= 0 ? n : Infinity;
  }

  /** Takes a connection slot for a client at `address` on `listener`; returns why not when a limit is reached. */
  acquire(listener: string, address: string): string | null {
    const perIp = this.overrides.get(address) ?? this.perIp;
    const fromAddress = this.byAddress.get(address) ?? 0;
    if (fromAddress >= perIp) return `Too many connections from ${address} (maximum = ${perIp})`;
    if (this.total >= this.maxTotal) return `Too many connections (max.connections = ${this.maxTotal})`;
    const onListener = this.byListener.get(listener) ?? 0;
    const listenerMax = this.listenerLimit(listener);
    if (onListener >= listenerMax) return `Too many connections on listener ${listener} (maximum = ${listenerMax})`;
    this.total++;
    this.byListener.set(listener, onListener + 1);
    this.byAddress.set(address, fromAddress + 1);
    return null;
  }

  release(listener: string, address: string): void {
    this.total--;
    const l = (this.byListener.get(listener) ?? 1) - 1;
    if (l === 0) this.byListener.delete(listener);
    else this.byListener.set(listener, l);
    const a = (this.byAddress.get(address) ?? 1) - 1;
    if (a === 0) this.byAddress.delete(address);
    else this.byAddress.set(address, a);
  }

  /** Bytes read and not yet handled, across the node's connections. */
  get queuedBytes(): number {
    return this.queued;
  }

  /** True while the node holds more unhandled request bytes than queued.max.request.bytes. */
  get overQueued(): boolean {
    return this.maxQueuedBytes > 0 && this.queued > this.maxQueuedBytes;
  }

  addQueued(bytes: number): void {
    this.queued += bytes;
  }

  releaseQueued(bytes: number): void {
    const wasOver = this.overQueued;
    this.queued -= bytes;
    if (wasOver && !this.overQueued && this.waiting.size > 0) {
      const resume = [...this.waiting];
      this.waiting.clear();
      for (const fn of resume) fn();
    }
  }

  /** `resume` is called once the node is back under its bound. */
  waitForQueue(resume: () => void): void {
    this.waiting.add(resume);
  }

  cancelWait(resume: () => void): void {
    this.waiting.delete(resume);
  }
}
