// What the disk engine keeps of the cluster's metadata between runs: the cluster id and node id
// (in Kafka's meta.properties) and every topic with its id, partitions and configs (in
// samsa-metadata.json). Both are written atomically on every change.
import fs from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../storage/checkpoint.js';
import { parseProperties } from './configs.js';
import type { TopicRecord } from './cluster.js';

export const META_PROPERTIES = 'meta.properties';
export const METADATA_FILE = 'samsa-metadata.json';

export interface StoredMetadata {
  clusterId: string;
  nodeId: number;
  topics: TopicRecord[];
}

export class MetadataStore {
  constructor(readonly dataDir: string) {}

  /** The stored metadata, or null for a data directory never used. Throws when it is unreadable. */
  load(): StoredMetadata | null {
    const metaFile = path.join(this.dataDir, META_PROPERTIES);
    if (!fs.existsSync(metaFile)) return null;
    const props = parseProperties(fs.readFileSync(metaFile, 'utf8'));
    const clusterId = props.get('cluster.id');
    const nodeId = Number(props.get('node.id'));
    if (!clusterId || !Number.isInteger(nodeId)) throw new Error(`${metaFile} lacks cluster.id or node.id`);
    const file = path.join(this.dataDir, METADATA_FILE);
    const parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as { version: number; topics: TopicRecord[] };
    if (parsed.version !== 1) throw new Error(`${file}: unknown version ${parsed.version}`);
    return { clusterId, nodeId, topics: parsed.topics };
  }

  saveIdentity(clusterId: string, nodeId: number): void {
    writeFileAtomic(path.join(this.dataDir, META_PROPERTIES), `#\n#Written by Samsa\nversion=1\ncluster.id=${clusterId}\nnode.id=${nodeId}\n`);
  }

  saveTopics(topics: TopicRecord[]): void {
    writeFileAtomic(path.join(this.dataDir, METADATA_FILE), `${JSON.stringify({ version: 1, topics }, null, 1)}\n`);
  }
}
