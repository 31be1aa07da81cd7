// The HTTP control endpoint: ClusterControl's operations as a small JSON API on a port of its
// own, off unless `controlPort` (--control-port) is given. A request is checked whole before it
// changes anything: bad JSON or a bad field answers 400, an unknown node or topic 404, a change
// Kafka refuses (a leader that is not a live in-sync replica) 409, each with {"error": "..."}.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { errorName, KafkaError } from '../protocol/errors.js';
import { ClusterControl, ControlError } from './control.js';

/** Bodies larger than this are refused (413): every control request is a few fields. */
const MAX_BODY = 64 * 1024;

export interface ControlServer {
  readonly host: string;
  readonly port: number;
  close(): Promise<void>;
}

type Body = Record<string, unknown>;
interface Route {
  method: string;
  pattern: RegExp;
  run(control: ClusterControl, params: string[], body: Body): unknown;
}

const nodeIdParam = (s: string): number => {
  if (!/^-?\d+$/.test(s)) throw new ControlError(400, `${JSON.stringify(s)} is not a node id`);
  return Number(s);
};

/** The fields of a body that must name exactly these (move-leader). */
function exactly(body: Body, names: string[]): void {
  const unknown = Object.keys(body).filter(k => !names.includes(k));
  if (unknown.length > 0) throw new ControlError(400, `unknown field${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')} (known: ${names.join(', ')})`);
}

const ROUTES: Route[] = [
  { method: 'GET', pattern: /^\/cluster$/, run: c => c.status() },
  { method: 'POST', pattern: /^\/nodes\/([^/]+)\/stop$/, run: (c, [id]) => c.stopNode(nodeIdParam(id!)) },
  { method: 'POST', pattern: /^\/nodes\/([^/]+)\/start$/, run: (c, [id]) => c.startNode(nodeIdParam(id!)) },
  {
    method: 'POST',
    pattern: /^\/partitions\/move-leader$/,
    run(c, _, body) {
      exactly(body, ['topic', 'partition', 'nodeId']);
      const { topic, partition, nodeId } = body;
      if (typeof topic !== 'string' || topic === '') throw new ControlError(400, 'topic: expected a topic name');
      if (!Number.isSafeInteger(partition) || (partition as number) < 0) throw new ControlError(400, `partition: ${JSON.stringify(partition)} is not a partition index`);
      if (!Number.isSafeInteger(nodeId)) throw new ControlError(400, `nodeId: ${JSON.stringify(nodeId)} is not a node id`);
      return c.moveLeader(topic, partition as number, nodeId as number);
    },
  },
  { method: 'GET', pattern: /^\/faults$/, run: c => ({ faults: c.faults() }) },
  { method: 'DELETE', pattern: /^\/faults$/, run: c => ({ cleared: c.clearFaults() }) },
  { method: 'POST', pattern: /^\/faults\/errors$/, run: (c, _, body) => c.injectError(body as never) },
  { method: 'POST', pattern: /^\/faults\/delays$/, run: (c, _, body) => c.delay(body as never) },
  { method: 'POST', pattern: /^\/faults\/drops$/, run: (c, _, body) => c.dropConnections(body as never) },
  { method: 'POST', pattern: /^\/reset$/, run: c => c.reset() },
];

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY) {
        reject(new HttpError(413, `the request body is larger than ${MAX_BODY} bytes`));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** The JSON body: {} when empty; anything else but a JSON object is refused before any change. */
function parseBody(text: string): Body {
  if (text.trim() === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new ControlError(400, `the request body is not JSON: ${(err as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ControlError(400, 'the request body must be a JSON object');
  return value as Body;
}

async function serve(control: ClusterControl, log: Logger, req: http.IncomingMessage): Promise<{ status: number; body: unknown; headers?: Record<string, string> }> {
  const path = new URL(req.url ?? '/', 'http://control').pathname.replace(/\/+$/, '') || '/';
  const matching = ROUTES.map(r => ({ r, m: r.pattern.exec(path) })).filter(x => x.m !== null);
  if (matching.length === 0) throw new HttpError(404, `no such control route: ${req.method} ${path}`);
  const hit = matching.find(x => x.r.method === req.method);
  if (hit === undefined) {
    const allow = matching.map(x => x.r.method).join(', ');
    throw new HttpError(405, `${path} answers ${allow}, not ${req.method}`, { allow });
  }
  const body = parseBody(await readBody(req));
  const result = await hit.r.run(control, hit.m!.slice(1), body);
  log.debug({ method: req.method, path }, 'control request');
  return { status: 200, body: result };
}

/** Starts the control endpoint for `control` on host:port (0 picks a free port). */
export function startControlServer(control: ClusterControl, opts: { host: string; port: number; log: Logger }): Promise<ControlServer> {
  const log = opts.log.child({ component: 'control' });
  const server = http.createServer((req, res) => {
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      const text = `${JSON.stringify(body)}\n`;
      res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
      res.end(text);
    };
    serve(control, log, req).then(
      r => send(r.status, r.body, r.headers),
      (err: unknown) => {
        if (err instanceof ControlError || err instanceof HttpError) {
          log.info({ method: req.method, url: req.url, status: err.status, error: err.message }, 'control request refused');
          send(err.status, { error: err.message }, err instanceof HttpError ? err.headers : {});
        } else if (err instanceof KafkaError) {
          log.info({ method: req.method, url: req.url, error: err.message, code: errorName(err.code) }, 'control request refused');
          send(409, { error: err.message, code: errorName(err.code) });
        } else {
          log.error({ err, method: req.method, url: req.url }, 'control request failed');
          send(500, { error: err instanceof Error ? err.message : String(err) });
        }
      },
    );
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      server.on('error', err => log.error({ err }, 'control endpoint error'));
      const address = server.address() as AddressInfo;
      log.info({ host: opts.host, port: address.port }, 'control endpoint listening');
      let closing: Promise<void> | null = null;
      resolve({
        host: opts.host,
        port: address.port,
        close() {
          closing ??= new Promise<void>(done => {
            server.close(() => done());
            server.closeAllConnections();
          });
          return closing;
        },
      });
    });
  });
}
