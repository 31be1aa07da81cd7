// `samsa` on the command line. Thin: parses arguments and calls the embedding API.
import fs from 'node:fs';
import { Command, Option } from 'commander';
import pino from 'pino';
import { parseProperties } from './cluster/configs.js';
import { KAFKA_VERSIONS } from './cluster/kafka-versions.js';
import { addCtlCommand } from './control/ctl.js';
import { addDevCertCommand } from './security/dev-cert.js';
import { startBroker, type RunningBroker } from './index.js';

const collect = (value: string, previous: string[]) => previous.concat([value]);

/** Runs the CLI; bin/samsa passes the package version. */
export async function main(argv: string[], version: string): Promise<void> {
  const program = new Command();
  program.name('samsa').description('A Kafka-wire-compatible broker for tests, CI and laptops').version(version);

  program
    .command('start')
    .description('start a broker and serve until SIGINT/SIGTERM')
    .option('-p, --port <port>', 'TCP port (0 picks a free one); default: from listeners, else 9092', v => Number(v))
    .option('--host <host>', 'interface to listen on; default: from listeners, else 127.0.0.1')
    .option('--nodes <n>', 'broker nodes in this process, ids node.id … node.id+n-1 (default 1)', v => Number(v))
    .option('--ports <list>', "each node's port, comma-separated (default: consecutive from --port)", v => v.split(',').map(x => Number(x.trim())))
    .addOption(new Option('--memory', 'keep data in memory (the default)').conflicts('dataDir'))
    .option('--data-dir <dir>', "keep data in this directory (Kafka's log.dirs); reopened on the next start")
    .option('--config <file>', 'broker configs in Kafka server.properties format')
    .option('--override <key=value>', 'a broker config under its Kafka name; repeatable, wins over --config', collect, [])
    .option('--log-level <level>', 'trace, debug, info, warn, error, fatal or silent', 'info')
    .option('--control-port <port>', 'serve the HTTP control endpoint (samsa ctl) on this port; 0 picks a free one; default: off', v => Number(v))
    .option('--control-host <host>', 'interface of the control endpoint (default 127.0.0.1)')
    .option('--add-scram <spec>', "a SCRAM credential to create at start, as kafka-storage takes it: 'SCRAM-SHA-256=[name=alice,password=alice-secret]'; repeatable", collect, [])
    .option('--kafka-version <version>', `advertise what this Apache Kafka release's broker did (${KAFKA_VERSIONS[0]} … ${KAFKA_VERSIONS[KAFKA_VERSIONS.length - 1]})`)
    .action(async (opts: { port?: number; host?: string; nodes?: number; ports?: number[]; dataDir?: string; config?: string; override: string[]; logLevel: string; kafkaVersion?: string; controlPort?: number; controlHost?: string; addScram: string[] }) => {
      const config: Record<string, string> = {};
      if (opts.config) for (const [k, v] of parseProperties(fs.readFileSync(opts.config, 'utf8'))) config[k] = v;
      for (const o of opts.override) {
        const eq = o.indexOf('=');
        if (eq <= 0) throw new Error(`--override ${o}: expected key=value`);
        config[o.slice(0, eq).trim()] = o.slice(eq + 1).trim();
      }
      const isPort = (p: number) => Number.isInteger(p) && p >= 0 && p < 65536;
      if (opts.port !== undefined && !isPort(opts.port)) throw new Error(`--port ${opts.port}: not a port number`);
      if (opts.ports !== undefined && !opts.ports.every(isPort)) throw new Error(`--ports ${opts.ports.join(',')}: not a list of port numbers`);
      if (opts.nodes !== undefined && !(Number.isInteger(opts.nodes) && opts.nodes >= 1)) throw new Error(`--nodes ${opts.nodes}: not a number of nodes`);
      if (opts.controlPort !== undefined && !isPort(opts.controlPort)) throw new Error(`--control-port ${opts.controlPort}: not a port number`);
      const logger = pino({ level: opts.logLevel });
      // Handlers go in before the broker starts: "broker started" tells a supervisor it may send
      // a signal, and one arriving before a handler exists would kill the process uncleanly.
      let broker: RunningBroker | null = null;
      let stopping = false;
      const close = (running: RunningBroker) =>
        running.close().then(
          () => process.exit(0),
          err => {
            logger.error({ err }, 'shutdown failed');
            process.exit(1);
          },
        );
      const stop = (signal: string) => {
        if (stopping) return;
        stopping = true;
        logger.info({ signal }, 'shutting down');
        if (broker !== null) close(broker);
      };
      process.on('SIGINT', () => stop('SIGINT'));
      process.on('SIGTERM', () => stop('SIGTERM'));
      const nodes = opts.nodes ?? opts.ports?.length;
      broker = await startBroker({ port: opts.port, host: opts.host, nodes, ports: opts.ports, dataDir: opts.dataDir, config, logger, kafkaVersion: opts.kafkaVersion, controlPort: opts.controlPort, controlHost: opts.controlHost, addScram: opts.addScram });
      // a signal during startup is acted on once the broker can be closed
      if (stopping) close(broker);
    });

  addCtlCommand(program);
  addDevCertCommand(program);
  await program.parseAsync(argv);
}
