// A client of the HTTP control endpoint (src/control/http.ts), for `samsa ctl` and for programs
// that drive a broker running in another process.
import type { ClusterStatus, NodeStatus, PartitionStatus, ResetResult } from './control.js';
import type { DelayRuleSpec, DropRuleSpec, ErrorRuleSpec, FaultRule } from './faults.js';

/** The port `samsa ctl` tries when --control is not given (start the broker with --control-port 9699). */
export const DEFAULT_CONTROL_PORT = 9699;
export const DEFAULT_CONTROL = `127.0.0.1:${DEFAULT_CONTROL_PORT}`;

/** An answer of the control endpoint other than 200: its status and its message. */
export class ControlRequestError extends Error {
  override name = 'ControlRequestError';
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export class ControlClient {
  readonly host: string;
  readonly port: number;

  /** `address`: host:port of the control endpoint ([v6]:port for an IPv6 address). */
  constructor(address: string) {
    const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(address.trim());
    if (m === null || Number(m[3]) > 65535) throw new Error(`--control ${address}: expected host:port`);
    this.host = m[1] ?? m[2]!;
    this.port = Number(m[3]);
  }

  /** Sends a request; resolves with the JSON answer, rejects with ControlRequestError (the server's message) or a connection error. */
  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const text = body === undefined ? '' : JSON.stringify(body);
    // node:http costs the broker process memory at start; only `samsa ctl` needs it
    const { default: http } = await import('node:http');
    return new Promise<T>((resolve, reject) => {
      const req = http.request(
        { host: this.host, port: this.port, method, path, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) } },
        res => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', reject);
          res.on('end', () => {
            const raw = Buffer.concat(chunks).toString('utf8');
            let parsed: unknown;
            try {
              parsed = JSON.parse(raw);
            } catch {
              parsed = undefined;
            }
            if (res.statusCode === 200) {
              if (parsed === undefined) reject(new Error(`the control endpoint answered ${method} ${path} with something other than JSON`));
              else resolve(parsed as T);
              return;
            }
            const message = typeof (parsed as { error?: unknown } | undefined)?.error === 'string' ? (parsed as { error: string }).error : raw.trim() || `HTTP ${res.statusCode}`;
            reject(new ControlRequestError(res.statusCode ?? 0, message));
          });
        },
      );
      req.on('error', err => reject(new Error(`cannot reach the control endpoint at ${this.host}:${this.port}: ${(err as NodeJS.ErrnoException).code ?? err.message}`)));
      req.end(text);
    });
  }

  status(): Promise<ClusterStatus> {
    return this.request('GET', '/cluster');
  }

  stopNode(nodeId: number): Promise<NodeStatus> {
    return this.request('POST', `/nodes/${nodeId}/stop`);
  }

  startNode(nodeId: number): Promise<NodeStatus> {
    return this.request('POST', `/nodes/${nodeId}/start`);
  }

  moveLeader(topic: string, partition: number, nodeId: number): Promise<PartitionStatus> {
    return this.request('POST', '/partitions/move-leader', { topic, partition, nodeId });
  }

  injectError(rule: ErrorRuleSpec): Promise<FaultRule> {
    return this.request('POST', '/faults/errors', rule);
  }

  delay(rule: DelayRuleSpec): Promise<FaultRule> {
    return this.request('POST', '/faults/delays', rule);
  }

  dropConnections(rule: DropRuleSpec): Promise<FaultRule> {
    return this.request('POST', '/faults/drops', rule);
  }

  faults(): Promise<{ faults: FaultRule[] }> {
    return this.request('GET', '/faults');
  }

  clearFaults(): Promise<{ cleared: number }> {
    return this.request('DELETE', '/faults');
  }

  reset(): Promise<ResetResult> {
    return this.request('POST', '/reset');
  }
}
