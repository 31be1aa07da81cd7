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

/** Bytes of a response frame passed to `onResponse` when the frame straddles reads. */
export const HEAD_BYTES = 512;

/**
 * Sends `requests` requests over one connection with `depth` in flight, refilling the window
 * once per read (as a client does). `onResponse(head, size)` sees each response frame of `size`
 * bytes: `head` is the whole frame when it lies in one read, else its first HEAD_BYTES bytes (a
 * 1 MiB fetch response arrives in many reads; joining them would be a copy of every fetched byte
 * in the measured process, which the baseline's client does not make). Resolves with seconds.
 */
export function pipeline(port, requests, requestAt, onResponse, depth) {
  return new Promise((resolve, reject) => {
    let sent = 0;
    let answered = 0;
    let t0 = 0n;
    // the frame being read: its size once the prefix is known, its first bytes, bytes still due
    let prefix = Buffer.alloc(0);
    let size = -1;
    let head = [];
    let headBytes = 0;
    let due = 0;
    const sock = net.connect(port, '127.0.0.1', () => {
      t0 = process.hrtime.bigint();
      pump();
    });
    sock.setNoDelay(true);
    sock.once('error', reject);
    const pump = () => {
      while (sent < requests && sent - answered < depth) sock.write(requestAt(sent++));
    };
    const done = () => {
      onResponse(head.length === 1 ? head[0] : Buffer.concat(head, headBytes), size);
      answered++;
      size = -1;
      head = [];
      headBytes = 0;
    };
    sock.on('data', chunk => {
      let pos = 0;
      while (pos < chunk.length) {
        if (size < 0) {
          if (prefix.length + chunk.length - pos < 4) {
            prefix = Buffer.concat([prefix, chunk.subarray(pos)]);
            break;
          }
          if (prefix.length === 0) {
            size = chunk.readInt32BE(pos);
            pos += 4;
          } else {
            const take = 4 - prefix.length;
            size = Buffer.concat([prefix, chunk.subarray(pos, pos + take)]).readInt32BE(0);
            prefix = Buffer.alloc(0);
            pos += take;
          }
          due = size;
          // a frame wholly inside this read is passed as a view
          if (chunk.length - pos >= size) {
            head = [chunk.subarray(pos, pos + size)];
            headBytes = size;
            pos += size;
            done();
            continue;
          }
        }
        const n = Math.min(due, chunk.length - pos);
        if (headBytes < HEAD_BYTES) {
          const keep = Math.min(n, HEAD_BYTES - headBytes);
          head.push(chunk.subarray(pos, pos + keep));
          headBytes += keep;
        }
        due -= n;
        pos += n;
        if (due === 0) done();
      }
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
