// Other programs a test drives (the Python clients, kcat): always with a timeout, killed by their
// PID when they overrun or when the test process exits, and never anything this process did not
// start.
import { spawn } from 'node:child_process';

/** The system's Python: the cross-client libraries are Debian packages (python3-confluent-kafka, python3-kafka). */
export const PYTHON = '/usr/bin/python3';

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** stdout split into lines (the last, unterminated one included). */
  lines: string[];
}

export interface RunOptions {
  /** Written to stdin, which is then closed (unless `onLine` may still write). */
  input?: string;
  timeoutMs?: number;
  /** Called with each line of stdout as it arrives; `write` sends text to the child's stdin. */
  onLine?: (line: string, write: (text: string) => void) => void;
}

const live = new Set<number>();
process.once('exit', () => {
  for (const pid of live) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone already
    }
  }
});

/** Runs `cmd`; resolves with its exit code and output, rejects when it does not finish in time (it is killed). */
export function runProcess(cmd: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
  const timeoutMs = opts.timeoutMs ?? 60_000;
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' } });
    const pid = child.pid;
    if (pid !== undefined) live.add(pid);
    let stdout = '';
    let stderr = '';
    let pending = '';
    const lines: string[] = [];
    const write = (text: string) => void child.stdin.write(text);
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
      pending += d;
      let nl;
      while ((nl = pending.indexOf('\n')) >= 0) {
        const line = pending.slice(0, nl);
        pending = pending.slice(nl + 1);
        lines.push(line);
        opts.onLine?.(line, write);
      }
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.stdin.on('error', () => {}); // a program that exits early closes its stdin
    if (opts.input !== undefined) child.stdin.write(opts.input);
    if (opts.onLine === undefined) child.stdin.end();
    const timer = setTimeout(() => {
      if (pid !== undefined) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // exited meanwhile
        }
      }
      reject(new Error(`${cmd} ${args.join(' ')} did not finish within ${timeoutMs} ms\nstdout:\n${stdout}\nstderr:\n${stderr}`));
    }, timeoutMs);
    child.on('error', err => {
      clearTimeout(timer);
      if (pid !== undefined) live.delete(pid);
      reject(err);
    });
    child.on('close', code => {
      clearTimeout(timer);
      if (pid !== undefined) live.delete(pid);
      if (pending !== '') lines.push(pending);
      resolve({ code, stdout, stderr, lines });
    });
  });
}

/** Why `cmd args` cannot be used here (it fails or cannot start), or null when it can. */
export async function unavailable(cmd: string, args: string[]): Promise<string | null> {
  try {
    const r = await runProcess(cmd, args, { timeoutMs: 10_000 });
    return r.code === 0 ? null : `\`${cmd} ${args.join(' ')}\` exited with ${r.code}: ${r.stderr.trim().split('\n').pop()}`;
  } catch (err) {
    return `\`${cmd}\` cannot run: ${(err as Error).message}`;
  }
}

/** Why the system's Python cannot import `module`, or null when it can. */
export const pythonModuleMissing = (module: string): Promise<string | null> => unavailable(PYTHON, ['-c', `import ${module}`]);
