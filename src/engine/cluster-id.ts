/**
 * The cluster id, kept in <dataDir>/meta.properties as Kafka does (`cluster.id=...`, `node.id=0`),
 * so clients see the same id across restarts. Kafka's ids are 16 random bytes in base64url (22 chars).
 */
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { nodeIo, writeFileAtomic } from '../storage/io.js';

const META_PROPERTIES_FILE = 'meta.properties';

export function loadClusterId(dataDir: string): string {
  const file = path.join(dataDir, META_PROPERTIES_FILE);
  if (fs.existsSync(file)) {
    const match = /^cluster\.id=(.+)$/m.exec(fs.readFileSync(file, 'utf8'));
    if (match) return match[1]!.trim();
  }
  const clusterId = randomBytes(16).toString('base64url');
  // Atomic and fsynced: a crash must not leave an empty file and so a new cluster id next start.
  writeFileAtomic(nodeIo, dataDir, META_PROPERTIES_FILE, Buffer.from(`version=1\ncluster.id=${clusterId}\nnode.id=0\n`));
  return clusterId;
}
