// bin/samsa as a child process, as a user runs it: its pino lines parsed as they arrive, waits
// for a log line or the exit, and SIGKILL for whatever a test leaves running.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const BIN = path.join(ROOT, 'bin/samsa');

interface Teardown {
  teardown(fn: () => unknown): void;
}

export interface LogLine {
  level: number;
  msg: string;
  [k: string]: unknown;
}

export class SamsaProcess {
  readonly proc: ChildProcess;
  stdout = '';
  stderr = '';
  readonly logs: LogLine[] = [];
  /** Lines of stdout that are not JSON (commander's --help and --version output). */
  readonly text: string[] = [];
  exitCode: number | null = null;
  signal: NodeJS.Signals | null = null;
  private readonly exited: Promise<number | null>;
  private listeners: (() => void)[] = [];

  /** With `t`, the process is SIGKILLed when the test ends if it still runs. */
  constructor(
    args: string[],
    t?: Teardown,
    private readonly waitMs = 15_000,
  ) {
    // As a user runs it: without the test runner's loaders, which tap's spawn wrapper puts in
    // NODE_OPTIONS whatever env we pass; env(1) drops the variable and execs node, so the PID is node's.
    this.proc = spawn('env', ['-u', 'NODE_OPTIONS', process.execPath, BIN, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let partial = '';
    this.proc.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      this.stdout += chunk;
      partial += chunk;
      const lines = partial.split('\n');
      partial = lines.pop()!;
      for (const line of lines) {
        try {
          this.logs.push(JSON.parse(line));
        } catch {
          this.text.push(line);
        }
      }
      this.notify();
    });
    this.proc.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      this.stderr += chunk;
      this.notify();
    });
    this.exited = new Promise(resolve => {
      this.proc.on('exit', (code, signal) => {
        this.exitCode = code;
        this.signal = signal;
        this.notify();
        resolve(code);
      });
    });
    t?.teardown(() => this.kill());
  }

  get running(): boolean {
    return this.exitCode === null && this.signal === null;
  }

  /** SIGKILLs the process if it still runs. */
  kill(): void {
    if (this.running && this.proc.pid !== undefined) {
      try {
        process.kill(this.proc.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }

  private notify(): void {
    for (const fn of this.listeners.splice(0)) fn();
  }

  /** Resolves when `check` holds (re-checked on every output or exit); rejects after the timeout. */
  until<T>(check: () => T | undefined | null | false, what: string, timeoutMs = this.waitMs): Promise<T> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}\nstdout: ${this.stdout}\nstderr: ${this.stderr}`)), timeoutMs);
      const attempt = () => {
        const v = check();
        if (v) {
          clearTimeout(timer);
          resolve(v);
        } else if (!this.running) {
          clearTimeout(timer);
          reject(new Error(`samsa exited (${this.exitCode ?? this.signal}) before ${what}\nstdout: ${this.stdout}\nstderr: ${this.stderr}`));
        } else this.listeners.push(attempt);
      };
      attempt();
    });
  }

  log(msg: string, timeoutMs = this.waitMs): Promise<LogLine> {
    return this.until(() => this.logs.find(l => l.msg === msg), `log "${msg}"`, timeoutMs);
  }

  /** Waits for "broker started" and returns its bootstrap address. */
  async started(): Promise<string> {
    const line = await this.log('broker started');
    return line.bootstrap as string;
  }

  /** Resolves with the exit code; rejects if the process still runs after the timeout. */
  exit(timeoutMs = this.waitMs): Promise<number | null> {
    return Promise.race([
      this.exited,
      new Promise<never>((_, reject) =>
        setTimeout(() => reject(new Error(`samsa still running after ${timeoutMs} ms\nstdout: ${this.stdout}\nstderr: ${this.stderr}`)), timeoutMs).unref(),
      ),
    ]);
  }
}
