// `samsa ctl ...`: the control endpoint's operations from the command line, against a broker
// started with --control-port. Each command prints one short line (status: a summary; --json:
// the endpoint's JSON answer); a refused request exits 1 with the endpoint's message.
import type { Command } from 'commander';
import { ControlClient, DEFAULT_CONTROL } from './client.js';
import type { ClusterStatus } from './control.js';
import type { FaultRule } from './faults.js';

/** Numbers stay numbers; anything else goes to the endpoint as written, which names what is wrong with it. */
const value = (v: string): number | string => (/^-?\d+$/.test(v) ? Number(v) : v);

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** One line for a fault rule. */
export function describeRule(r: FaultRule): string {
  const api = r.api === null ? '' : ` ${r.api}`;
  const requests = r.remaining === null ? `every${api} request` : r.remaining === 1 ? `the next${api} request` : `the next ${r.remaining}${api} requests`;
  const where = `${r.topic === null ? '' : ` for ${r.topic}${r.partition === null ? '' : `-${r.partition}`}`}${r.nodeId === null ? '' : ` on node ${r.nodeId}`}`;
  if (r.type === 'error') return `rule ${r.id}: fail ${requests}${where} with ${r.error} (${r.errorCode})`;
  if (r.type === 'delay') return `rule ${r.id}: delay the responses of ${requests}${where} by ${r.delayMs} ms`;
  return `rule ${r.id}: drop the connection of ${requests}${where} instead of answering`;
}

/** The status as a few lines: nodes, topics with their leaders, fault rules. */
export function formatStatus(s: ClusterStatus): string {
  const lines = [`cluster ${s.clusterId}, controller ${s.controllerId}`];
  for (const n of s.nodes) lines.push(`node ${n.nodeId}  ${n.running ? 'running' : 'stopped'}  ${n.bootstrap}`);
  if (s.topics.length === 0) lines.push('no topics');
  for (const t of s.topics) {
    const leaders = t.partitions.map(p => `${p.partition}:${p.leader}`).join(' ');
    lines.push(`topic ${t.name}${t.internal ? ' (internal)' : ''}  ${plural(t.partitions.length, 'partition')}  leaders ${leaders}`);
  }
  if (s.faults.length === 0) lines.push('no fault rules');
  for (const r of s.faults) lines.push(describeRule(r));
  return lines.join('\n');
}

/** Adds `ctl` and its commands to the program. */
export function addCtlCommand(program: Command): void {
  const ctl = program
    .command('ctl')
    .description('control a running broker through its control endpoint (start it with --control-port)')
    .option('--control <host:port>', 'the control endpoint', DEFAULT_CONTROL)
    .option('--json', "print the endpoint's JSON answer");

  /** Runs one command: `text` turns the answer into the line printed without --json. */
  const run = async <T>(cmd: Command, call: (c: ControlClient) => Promise<T>, text: (answer: T) => string) => {
    const opts = cmd.optsWithGlobals() as { control: string; json?: boolean };
    const answer = await call(new ControlClient(opts.control));
    process.stdout.write(`${opts.json ? JSON.stringify(answer, null, 2) : text(answer)}\n`);
  };

  ctl
    .command('status')
    .description('nodes (running or stopped), topics with their leaders, and the fault rules')
    .action((_opts, cmd: Command) => run(cmd, c => c.status(), formatStatus));

  ctl
    .command('stop-node <id>')
    .description('stop a node: its listeners refuse connections, leadership moves to the surviving replicas')
    .action((id: string, _opts, cmd: Command) => run(cmd, c => c.stopNode(value(id) as number), n => `node ${n.nodeId} stopped`));

  ctl
    .command('start-node <id>')
    .description('start a stopped node again on the same ports')
    .action((id: string, _opts, cmd: Command) => run(cmd, c => c.startNode(value(id) as number), n => `node ${n.nodeId} running at ${n.bootstrap}`));

  ctl
    .command('move-leader <topic> <partition> <node>')
    .description("move a partition's leadership to a live in-sync replica")
    .action((topic: string, partition: string, node: string, _opts, cmd: Command) =>
      run(cmd, c => c.moveLeader(topic, value(partition) as number, value(node) as number), p => `${topic}-${p.partition}: leader ${p.leader} (leader epoch ${p.leaderEpoch})`),
    );

  ctl
    .command('fail <api>')
    .description('fail the next requests of an API (key or name, e.g. 0 or Produce) with an error code')
    .requiredOption('--error <code>', "Kafka's error code, by number or name (e.g. 6 or NOT_LEADER_OR_FOLLOWER)")
    .option('--count <n>', 'how many requests (default 1)')
    .option('--topic <topic>', "only this topic's partitions (Produce, Fetch, ListOffsets, DeleteRecords, OffsetForLeaderEpoch)")
    .option('--partition <p>', 'only this partition of --topic')
    .option('--node <id>', 'only requests to this node')
    .action((api: string, o: { error: string; count?: string; topic?: string; partition?: string; node?: string }, cmd: Command) =>
      run(
        cmd,
        c =>
          c.injectError({
            apiKey: value(api),
            errorCode: value(o.error),
            ...(o.count === undefined ? {} : { count: value(o.count) as number }),
            ...(o.topic === undefined ? {} : { topic: o.topic }),
            ...(o.partition === undefined ? {} : { partition: value(o.partition) as number }),
            ...(o.node === undefined ? {} : { nodeId: value(o.node) as number }),
          }),
        describeRule,
      ),
    );

  ctl
    .command('delay <ms>')
    .description('hold the responses of the next requests for <ms> milliseconds (default: every request until clear-faults)')
    .option('--api <api>', 'only this API (key or name)')
    .option('--count <n>', 'how many requests')
    .option('--node <id>', 'only requests to this node')
    .action((ms: string, o: { api?: string; count?: string; node?: string }, cmd: Command) =>
      run(
        cmd,
        c =>
          c.delay({
            delayMs: value(ms) as number,
            ...(o.api === undefined ? {} : { apiKey: value(o.api) }),
            ...(o.count === undefined ? {} : { count: value(o.count) as number }),
            ...(o.node === undefined ? {} : { nodeId: value(o.node) as number }),
          }),
        describeRule,
      ),
    );

  ctl
    .command('drop')
    .description('close the connection of the next requests once handled, instead of answering (default: one request)')
    .option('--api <api>', 'only this API (key or name)')
    .option('--count <n>', 'how many requests (default 1)')
    .option('--node <id>', 'only requests to this node')
    .action((o: { api?: string; count?: string; node?: string }, cmd: Command) =>
      run(
        cmd,
        c =>
          c.dropConnections({
            ...(o.api === undefined ? {} : { apiKey: value(o.api) }),
            ...(o.count === undefined ? {} : { count: value(o.count) as number }),
            ...(o.node === undefined ? {} : { nodeId: value(o.node) as number }),
          }),
        describeRule,
      ),
    );

  ctl
    .command('clear-faults')
    .description('remove every fault rule')
    .action((_opts, cmd: Command) => run(cmd, c => c.clearFaults(), r => `cleared ${plural(r.cleared, 'fault rule')}`));

  ctl
    .command('reset')
    .description('delete every topic, group and transaction')
    .action((_opts, cmd: Command) =>
      run(cmd, c => c.reset(), r => `deleted ${plural(r.topics, 'topic')}, ${plural(r.groups, 'group')}, ${plural(r.transactions, 'transaction')}`),
    );
}
