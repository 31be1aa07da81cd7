// A TCP proxy in front of a broker that loses Produce responses: it reads the request frames a
// client sends (int32 size, int16 API key, int16 version, int32 correlation id), forwards every
// request, and for the Produce requests its `dropWhen` picks, cuts the connection (both sockets)
// when the broker's response arrives instead of passing it on. The broker has appended the
// records; the client never learns it and retries on a new connection, as after a network
// failure between the append and the answer. Listens on 127.0.0.1 only.
import net from 'node:net';

const PRODUCE = 0;

/** Decides, for the nth Produce request forwarded (counted from 1 over the proxy's life), whether to lose its response. */
export type DropRule = (n: number) => boolean;

/** Every kth Produce request. */
export const everyKth =
  (k: number): DropRule =>
  n =>
    n % k === 0;

/**
 * Produce requests with probability `p`, from a seeded generator (mulberry32), so a run can be
 * repeated; never two in a row, so a retry of a dropped request always gets through.
 */
export function seeded(seed: number, p: number): DropRule {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let x = state;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
  let last = -2;
  return n => {
    const drop = n !== last + 1 && next() < p;
    if (drop) last = n;
    return drop;
  };
}

interface Teardown {
  teardown(fn: () => unknown): void;
}

export class DropProxy {
  /** Produce requests forwarded to the broker. */
  produces = 0;
  /** Produce responses lost (each one cut a connection). */
  dropped = 0;
  /** Client connections accepted. */
  connections = 0;
  /** Which Produce requests lose their response; may be replaced at any time. */
  dropWhen: DropRule;
  private target: { host: string; port: number } | null = null;
  private readonly sockets = new Set<net.Socket>();

  private constructor(
    private readonly server: net.Server,
    readonly port: number,
    dropWhen: DropRule,
  ) {
    this.dropWhen = dropWhen;
  }

  /** Listens on 127.0.0.1 on a free port; closed (with every connection) when the test ends. */
  static async start(t: Teardown, dropWhen: DropRule = () => false): Promise<DropProxy> {
    const server = net.createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const proxy = new DropProxy(server, (server.address() as net.AddressInfo).port, dropWhen);
    server.on('connection', client => proxy.accept(client));
    t.teardown(() => proxy.close());
    return proxy;
  }

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** Where connections go; set once the broker runs (it is started knowing the proxy's port). */
  forwardTo(bootstrap: string): void {
    const i = bootstrap.lastIndexOf(':');
    this.target = { host: bootstrap.slice(0, i), port: Number(bootstrap.slice(i + 1)) };
  }

  close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    return new Promise(resolve => this.server.close(() => resolve()));
  }

  private accept(client: net.Socket): void {
    if (this.target === null) {
      client.destroy();
      return;
    }
    this.connections++;
    const broker = net.connect(this.target.port, this.target.host);
    client.setNoDelay(true);
    broker.setNoDelay(true);
    this.sockets.add(client);
    this.sockets.add(broker);
    let cut = false;
    /** Closes both sides; `flush`: the answers already passed to the client reach it first (FIN, not RST). */
    const cutBoth = (flush = false) => {
      if (cut) return;
      cut = true;
      broker.destroy();
      if (flush) client.end(() => client.destroy());
      else client.destroy();
    };
    for (const s of [client, broker]) {
      s.on('error', () => cutBoth());
      s.on('close', () => {
        this.sockets.delete(s);
        cutBoth();
      });
    }

    /** Correlation ids of the Produce requests whose responses are to be lost. */
    const doomed = new Set<number>();
    let requests = Buffer.alloc(0);
    client.on('data', chunk => {
      // only observed here: the bytes go on unchanged
      requests = requests.length === 0 ? chunk : Buffer.concat([requests, chunk]);
      while (requests.length >= 4 && requests.length >= 4 + requests.readInt32BE(0)) {
        const size = requests.readInt32BE(0);
        if (size >= 8 && requests.readInt16BE(4) === PRODUCE) {
          this.produces++;
          if (this.dropWhen(this.produces)) doomed.add(requests.readInt32BE(8));
        }
        requests = requests.subarray(4 + size);
      }
      if (!cut) broker.write(chunk);
    });

    let responses = Buffer.alloc(0);
    broker.on('data', chunk => {
      responses = responses.length === 0 ? chunk : Buffer.concat([responses, chunk]);
      while (!cut && responses.length >= 4 && responses.length >= 4 + responses.readInt32BE(0)) {
        const size = responses.readInt32BE(0);
        const frame = responses.subarray(0, 4 + size);
        responses = responses.subarray(4 + size);
        if (size >= 4 && doomed.has(frame.readInt32BE(4))) {
          // the broker has answered (so it appended): the client must not hear it
          this.dropped++;
          cutBoth(true);
          return;
        }
        client.write(frame);
      }
    });
  }
}
