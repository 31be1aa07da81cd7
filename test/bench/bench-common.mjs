// What the raw-protocol benchmarks (run.mjs, transactions.mjs) share: request frames, a pipelined
// connection, medians, and running the baseline and a measured child process.
import { execFileSync } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const BASELINE = process.env.BASELINE ?? path.resolve(ROOT, '../shared/bench/baseline.mjs');
export const dist = await import(path.join(ROOT, 'dist/index.js'));

export const median = xs => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export const spec = key => dist.API_SPECS.find(s => s.key === key);

/** One request frame: size, header v1/v2 with client id "bench", body. */
export function frame(key, version, correlationId, body) {
  const s = spec(key);
  const w = new dist.Writer(1024);
  w.int32(0);
  w.int16(key);
  w.int16(version);
  w.int32(correlationId);
  w.nullableString('bench');
  if (version >= s.flexibleMin) w.uvarint(0);
  s.encodeRequest(w, version, body);
  w.patchInt32(0, w.length - 4);
  return w.toBuffer();
}

/**
 * Sends `requests` requests over one connection with `depth` in flight, refilling the window
 * once per read (as a client does); `onResponse` sees each response frame. Resolves with seconds.
 */
export function pipeline(port, requests, requestAt, onResponse, depth) {
  return new Promise((resolve, reject) => {
    let sent = 0;
    let answered = 0;
    let t0 = 0n;
    // reads of an incomplete response frame, joined once the frame is whole
    let pending = [];
    let pendingBytes = 0;
    let need = 4;
    const sock = net.connect(port, '127.0.0.1', () => {
      t0 = process.hrtime.bigint();
      pump();
    });
    sock.setNoDelay(true);
    sock.once('error', reject);
    const pump = () => {
      while (sent < requests && sent - answered < depth) sock.write(requestAt(sent++));
    };
    sock.on('data', chunk => {
      pending.push(chunk);
      pendingBytes += chunk.length;
      if (pendingBytes < need) return;
      let buf = pending.length === 1 ? pending[0] : Buffer.concat(pending, pendingBytes);
      let pos = 0;
      while (buf.length - pos >= 4) {
        const size = buf.readInt32BE(pos);
        if (buf.length - pos - 4 < size) break;
        onResponse(buf.subarray(pos + 4, pos + 4 + size));
        answered++;
        pos += 4 + size;
      }
      buf = buf.subarray(pos);
      pending = buf.length ? [buf] : [];
      pendingBytes = buf.length;
      need = buf.length >= 4 ? 4 + buf.readInt32BE(0) : 4;
      if (answered === requests) {
        sock.destroy();
        resolve(Number(process.hrtime.bigint() - t0) / 1e9);
      } else pump();
    });
  });
}

/** The last line of a process's output, as JSON. */
export const lastJson = out => JSON.parse(out.trim().split('\n').pop());

/** ../shared/bench/baseline.mjs in `mode` (ingest, egress) with `sink` (memory, file): its MB/s. */
export function runBaseline(mode, sink, totalMb) {
  return lastJson(execFileSync(process.execPath, [BASELINE, mode], { env: { ...process.env, TOTAL_MB: String(totalMb), SINK: sink }, encoding: 'utf8' })).MBps;
}
