// A TCP listener of one broker node: accepts connections and hands each to a Connection.
import net from 'node:net';
import type { Logger } from 'pino';
import type { Broker } from '../broker/broker.js';
import { Connection } from './connection.js';

export class Listener {
  private server: net.Server | null = null;
  private readonly connections = new Set<Connection>();
  private nextId = 1;

  constructor(
    private readonly broker: Broker,
    private readonly log: Logger,
    readonly host: string,
    private readonly requestedPort: number,
    /** The listener name (Kafka's listeners syntax NAME://host:port). */
    readonly name = 'PLAINTEXT',
  ) {}

  /** Starts listening; resolves with the bound port (useful with port 0). */
  listen(): Promise<number> {
    const maxRequestSize = this.broker.config.int('socket.request.max.bytes');
    const server = net.createServer(socket => {
      const conn = new Connection(this.nextId++, socket, this.broker, this.log, maxRequestSize, c => this.connections.delete(c));
      conn.listenerName = this.name;
      this.connections.add(conn);
    });
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.requestedPort, this.host, () => {
        server.off('error', reject);
        server.on('error', err => this.log.error({ err }, 'listener error'));
        resolve((server.address() as net.AddressInfo).port);
      });
    });
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  /** Stops accepting and closes every open connection. */
  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = null;
    const closed = new Promise<void>(resolve => server.close(() => resolve()));
    for (const c of this.connections) c.close('broker shutting down');
    await closed;
  }
}
