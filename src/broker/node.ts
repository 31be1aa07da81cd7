// One broker node of a Samsa cluster: its Broker (dispatch, coordinators, replica manager) and
// its listeners. Nodes of one process share the cluster (topics, partitions, the one copy of the
// data) and the producer ids. A node can be stopped and started again: stopped, its listeners
// refuse connections and leadership moves to the other replicas; started, it is a fresh broker
// process that reads its coordinators' state back from the log, as Kafka's would.
import type { Logger } from 'pino';
import type { Cluster } from '../cluster/cluster.js';
import type { BrokerConfig } from '../cluster/configs.js';
import type { ListenerAddress } from '../cluster/listeners.js';
import { Listener, type ListenerOptions } from '../network/listener.js';
import { ConnectionLimits } from '../network/limits.js';
import { usesSasl, usesTls } from '../security/principal.js';
import { Broker, type BrokerSecurity } from './broker.js';
import type { Clock } from './clock.js';
import type { ProducerIdManager } from './producer-ids.js';

export interface NodeShared {
  cluster: Cluster;
  clock: Clock;
  log: Logger;
  dataDir: string | null;
  producerIds: ProducerIdManager;
  peers: Map<number, Broker>;
  security?: BrokerSecurity;
}

export class BrokerNode {
  /** The running broker; null while the node is stopped. */
  broker: Broker | null = null;
  private listeners: Listener[] = [];
  private readonly log: Logger;

  constructor(
    readonly nodeId: number,
    readonly config: BrokerConfig,
    /** The listeners to bind; a port of 0 is replaced by the bound one at the first start, so a restart binds the same. */
    private readonly bind: ListenerAddress[],
    private readonly shared: NodeShared,
  ) {
    this.log = shared.log.child({ node: nodeId });
  }

  get running(): boolean {
    return this.broker !== null;
  }

  /** The bound listeners (host as configured, real ports). */
  get endpoints(): readonly ListenerAddress[] {
    return this.bind;
  }

  /**
   * Starts the node: its broker reads the state of the coordinators it leads, the node is
   * marked alive (leading partitions that had no leader) and its listeners bind.
   */
  async start(): Promise<void> {
    if (this.broker !== null) return;
    const { cluster, clock, dataDir, producerIds, peers, security } = this.shared;
    // a listener's TLS and SASL settings are checked before anything starts
    const listenerOptions = await Promise.all(this.bind.map(l => this.listenerOptions(l)));
    const broker = new Broker({ nodeId: this.nodeId, config: this.config, cluster, log: this.log, clock, dataDir, producerIds, peers, security });
    await broker.groups.load();
    await broker.transactions.load();
    const listeners: Listener[] = [];
    try {
      const limits = new ConnectionLimits(this.config);
      for (const [i, l] of this.bind.entries()) {
        const listener = new Listener(broker, this.log, { ...listenerOptions[i]!, limits });
        listeners.push(listener);
        const port = await listener.listen();
        this.bind[i] = { ...l, port };
      }
    } catch (err) {
      for (const l of listeners) await l.close();
      await broker.close();
      peers.delete(this.nodeId);
      throw err;
    }
    this.listeners = listeners;
    this.broker = broker;
    const node = cluster.node(this.nodeId);
    if (node !== undefined) node.listeners = this.bind.map(l => ({ ...l }));
    cluster.startNode(this.nodeId);
    this.log.info({ nodeId: this.nodeId, listeners: this.bind.map(l => `${l.name}://${l.host}:${l.port}`) }, 'node started');
  }

  /** How a listener serves: its security protocol, and TLS options built from the ssl.* configs. */
  private async listenerOptions(l: ListenerAddress): Promise<Omit<ListenerOptions, 'limits'>> {
    const securityProtocol = l.securityProtocol ?? 'PLAINTEXT';
    const base = { name: l.name, securityProtocol, host: l.host === '' ? '0.0.0.0' : l.host, port: l.port };
    let sasl: ListenerOptions['sasl'];
    if (usesSasl(securityProtocol)) {
      // loaded only for SASL listeners, as TLS is below: the mechanisms cost the process memory
      const [{ checkSaslConfig }, { SaslAuthenticator }] = await Promise.all([import('../security/sasl/mechanism.js'), import('../network/sasl-authenticator.js')]);
      checkSaslConfig(this.config, l.name);
      sasl = { Authenticator: SaslAuthenticator };
    }
    if (!usesTls(securityProtocol)) return { ...base, sasl };
    // loaded only for TLS listeners: node:tls costs the process memory
    const [tlsModule, { tlsServerOptions, certificatePrincipal, principalMappingRules }] = await Promise.all([import('node:tls'), import('../security/tls.js')]);
    const rules = principalMappingRules(this.config, l.name);
    const options = tlsServerOptions(this.config, l.name);
    if (String(options.ciphers ?? '').includes('@SECLEVEL=0')) {
      this.log.warn({ listener: l.name }, 'the key store\'s certificate is signed with a digest OpenSSL calls too weak (e.g. SHA-1); served anyway, as Java does, at OpenSSL security level 0');
    }
    return { ...base, sasl, tls: { module: tlsModule.default, options, principalOf: cert => certificatePrincipal(cert, rules) } };
  }

  /**
   * Stops the node: its connections close, its listeners stop, leadership moves away. At
   * `shutdown` of the whole process leadership stays as it is (and saved), for the next start.
   */
  async stop(shutdown = false): Promise<void> {
    const broker = this.broker;
    if (broker === null) return;
    this.broker = null;
    const listeners = this.listeners;
    this.listeners = [];
    await Promise.all(listeners.map(l => l.close()));
    if (!shutdown) this.shared.cluster.stopNode(this.nodeId);
    await broker.close();
    if (this.shared.peers.get(this.nodeId) === broker) this.shared.peers.delete(this.nodeId);
    this.log.info({ nodeId: this.nodeId }, 'node stopped');
  }
}
