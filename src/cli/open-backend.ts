/**
 * The backend a command works through. With --broker: the Kafka protocol to that address. Without
 * it: the data dir in this process; but a data dir is owned by one process (its lock), so when a
 * `brook serve` holds it the command goes through that server instead (its address is in the lock
 * file), and when another command holds it the error says how to share it: run `brook serve`.
 */
import { DataDirLockedError } from '../common/errors.js';
import type { BrookBackend } from '../embedded/backend.js';
import { BrokerBackend } from '../embedded/broker-backend.js';
import { UserError } from './user-error.js';

export interface BackendChoice {
  autoCreateTopics?: boolean;
  numPartitions?: number;
  groups?: boolean;
}

export async function openBackend(dataDir: string, broker: string | undefined, options: BackendChoice): Promise<BrookBackend> {
  if (broker !== undefined) return connect(broker, options);
  try {
    // A command opens only the partitions it touches: `topics list` opens none.
    return await BrokerBackend.open({ dataDir, openPartitions: 'lazy', ...options });
  } catch (err) {
    if (!(err instanceof DataDirLockedError) || err.holder === null) throw err;
    const { pid, kafkaAddress, secured } = err.holder;
    if (kafkaAddress !== null && !secured) return connect(kafkaAddress, options);
    if (kafkaAddress !== null) {
      throw new UserError(`data dir ${dataDir} is served by \`brook serve\` (process ${pid}) at ${kafkaAddress} with TLS or SASL, which the CLI does not speak: use a Kafka client with the credentials`);
    }
    throw new UserError(`data dir ${dataDir} is in use by another brook command (process ${pid}). To use it from several commands at once, ` +
      `run \`brook --data-dir ${dataDir} serve\`: commands on the data dir then go through the server (or pass --broker host:port)`);
  }
}

/** The Kafka-protocol backend, loaded only when used: its client and codecs are many modules. */
async function connect(address: string, options: BackendChoice): Promise<BrookBackend> {
  const { NetworkBackend } = await import('../embedded/network-backend.js');
  return NetworkBackend.connect(address, options);
}
