// The work on the logs that no request starts: retention (log.retention.check.interval.ms) and
// the log cleaner. One per cluster, not per node: there is one copy of the data, and it is
// looked after whichever nodes are running.
import type { Logger } from 'pino';
import type { Cluster } from '../cluster/cluster.js';
import type { BrokerConfig } from '../cluster/configs.js';
import { LogCleaner } from '../storage/cleaner.js';
import type { Clock, Timer } from './clock.js';

export class LogTasks {
  private retentionTimer: Timer | null = null;
  private cleaner: LogCleaner | null = null;

  constructor(
    private readonly cluster: Cluster,
    private readonly config: BrokerConfig,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {}

  start(): void {
    if (this.config.bool('log.cleaner.enable')) {
      this.cleaner = new LogCleaner({
        backoffMs: Math.min(this.config.int('log.cleaner.backoff.ms'), 2 ** 31 - 1),
        // Kafka's offset map holds 24-byte entries at a load factor of 0.9
        maxKeys: Math.max(1, Math.floor((this.config.int('log.cleaner.dedupe.buffer.size') / 24) * 0.9)),
        clock: this.clock,
        log: this.log,
        logs: () => this.cluster.compactedLogs(),
      });
      this.cleaner.start();
    }
    const interval = this.config.int('log.retention.check.interval.ms');
    if (interval >= 2 ** 31) return;
    const tick = () => {
      this.cluster
        .applyRetention(this.clock.now())
        .catch(err => this.log.error({ err }, 'retention check failed'))
        .finally(() => {
          if (this.retentionTimer !== null) this.retentionTimer = this.clock.setTimeout(tick, interval);
        });
    };
    this.retentionTimer = this.clock.setTimeout(tick, interval);
  }

  async stop(): Promise<void> {
    this.retentionTimer?.cancel();
    this.retentionTimer = null;
    await this.cleaner?.stop();
    this.cleaner = null;
  }
}
