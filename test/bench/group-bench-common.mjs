// What the rebalance benchmarks share: the group's size from the environment, the built broker,
// and the median of the runs. Env: MEMBERS (10), PARTITIONS (100), RUNS (3).
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const MEMBERS = Number(process.env.MEMBERS ?? 10);
export const PARTITIONS = Number(process.env.PARTITIONS ?? 100);
export const RUNS = Number(process.env.RUNS ?? 3);
export const { startBroker } = await import(path.join(ROOT, 'dist/index.js'));
export const median = xs => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
