/**
 * What the console's routes share: the broker (its public methods only), the security settings
 * (the Kafka listener's ACLs apply to console users), and the console's own bounded state.
 */
import type { OffsetToCommit } from '../engine/coordinator/coordinator-groups.js';
import type { SecurityConfig } from '../server/security/session.js';
import type { GroupsSource } from '../metrics/source.js';
import type { BrowseBroker } from './messages.js';
import type { LagHistory } from './lag-history.js';
import type { RateSampler } from './rates.js';

export interface ConsoleBroker extends BrowseBroker {
  createTopic(name: string, options: { partitions: number; configs?: Record<string, string> }): Promise<void>;
  deleteTopic(name: string): Promise<void>;
  readonly groups: GroupsSource & { resetOffsets(groupId: string, offsets: OffsetToCommit[]): Promise<void> };
}

export interface ConsoleContext {
  broker: ConsoleBroker;
  security?: SecurityConfig;
  rates: RateSampler;
  lagHistory: LagHistory;
}
