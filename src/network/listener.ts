// A listener of one broker node: a TCP or TLS server by its security protocol, which hands each
// accepted connection to a Connection - within the node's connection limits, with the principal
// of a client certificate (SSL), and with a SASL authenticator on SASL listeners.
import net from 'node:net';
import type tls from 'node:tls';
import type { Logger } from 'pino';
import type { Broker } from '../broker/broker.js';
import { ANONYMOUS, usesSasl, usesTls, type KafkaPrincipal, type SecurityProtocol } from '../security/principal.js';
import { Connection } from './connection.js';
import type { ConnectionLimits } from './limits.js';
import type { SaslAuthenticator } from './sasl-authenticator.js';

export interface ListenerOptions {
  /** The listener name (Kafka's listeners syntax NAME://host:port). */
  name: string;
  securityProtocol: SecurityProtocol;
  host: string;
  port: number;
  /** The TLS module and its server options, for SSL and SASL_SSL listeners. */
  tls?: { module: typeof tls; options: tls.TlsOptions; principalOf: (cert: import('node:crypto').X509Certificate) => KafkaPrincipal };
  limits: ConnectionLimits;
  /** SASL listeners: the class authenticating each connection (loaded only where a listener needs it). */
  sasl?: { Authenticator: typeof SaslAuthenticator };
}

export class Listener {
  private server: net.Server | null = null;
  private readonly connections = new Set<Connection>();
  /** The TCP sockets of a TLS listener, which may still be in their handshake when the listener closes. */
  private readonly tcpSockets = new Set<net.Socket>();
  private nextId = 1;
  readonly name: string;
  readonly host: string;

  constructor(
    private readonly broker: Broker,
    private readonly log: Logger,
    private readonly opts: ListenerOptions,
  ) {
    this.name = opts.name;
    this.host = opts.host;
    if (usesTls(opts.securityProtocol) && opts.tls === undefined) throw new Error(`listener ${opts.name} (${opts.securityProtocol}) has no TLS options`);
    if (usesSasl(opts.securityProtocol) && opts.sasl === undefined) throw new Error(`listener ${opts.name} (${opts.securityProtocol}) has no SASL authenticator`);
  }

  /** Starts listening; resolves with the bound port (useful with port 0). */
  listen(): Promise<number> {
    const { limits, securityProtocol } = this.opts;
    const maxRequestSize = this.broker.config.int('socket.request.max.bytes');
    const idleMs = Number(this.broker.config.get('connections.max.idle.ms'));
    const accept = (socket: net.Socket, principal: KafkaPrincipal) => {
      const conn = new Connection(this.nextId++, socket, this.broker, this.log, {
        maxRequestSize,
        listenerName: this.name,
        securityProtocol,
        principal,
        limits,
        idleMs,
        onClosed: c => this.connections.delete(c),
      });
      const sasl = this.opts.sasl;
      if (sasl !== undefined && usesSasl(securityProtocol)) conn.authenticator = new sasl.Authenticator(conn, this.broker);
      this.connections.add(conn);
    };
    // the connection limits apply as TCP accepts, before any TLS handshake
    const admit = (socket: net.Socket): boolean => {
      const address = (socket.remoteAddress ?? '').replace(/^::ffff:/, '');
      const refused = limits.acquire(this.name, address);
      if (refused !== null) {
        this.log.info({ listener: this.name, client: address }, refused);
        socket.destroy();
        return false;
      }
      socket.once('close', () => {
        limits.release(this.name, address);
        this.tcpSockets.delete(socket);
      });
      return true;
    };
    let server: net.Server;
    const tlsOpts = this.opts.tls;
    if (tlsOpts !== undefined) {
      const tlsServer = tlsOpts.module.createServer(tlsOpts.options, socket => {
        let principal = ANONYMOUS;
        if (securityProtocol === 'SSL') {
          const cert = socket.getPeerX509Certificate();
          if (cert !== undefined) {
            // ssl.client.auth=requested: a certificate that does not verify fails the handshake, as in Java
            if (!socket.authorized) {
              this.log.info({ listener: this.name, client: socket.remoteAddress, reason: String(socket.authorizationError) }, 'client certificate refused');
              socket.destroy();
              return;
            }
            try {
              principal = tlsOpts.principalOf(cert);
            } catch (err) {
              // e.g. no ssl.principal.mapping.rules rule applies: Kafka fails the connection
              this.log.info({ listener: this.name, client: socket.remoteAddress, reason: err instanceof Error ? err.message : String(err) }, 'no principal for the client certificate');
              socket.destroy();
              return;
            }
          }
        }
        accept(socket, principal);
      });
      tlsServer.on('connection', (socket: net.Socket) => {
        if (admit(socket)) this.tcpSockets.add(socket);
      });
      tlsServer.on('tlsClientError', (err, socket) => {
        this.log.debug({ err, listener: this.name, client: socket.remoteAddress }, 'TLS handshake failed');
      });
      server = tlsServer;
    } else {
      server = net.createServer(socket => {
        if (admit(socket)) accept(socket, ANONYMOUS);
      });
    }
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.opts.port, this.opts.host, () => {
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
    // a TLS handshake in progress would hold the server open: cut those once the connections had their moment to flush
    const cut = this.tcpSockets.size === 0 ? null : setTimeout(() => {
      for (const s of this.tcpSockets) s.destroy();
    }, 200);
    await closed;
    if (cut !== null) clearTimeout(cut);
  }
}
