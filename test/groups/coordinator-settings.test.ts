/** The coordinator's environment settings: Kafka config names mapped, bad values refused whole. */
import { describe, expect, it } from 'vitest';
import { coordinatorSettingsFromEnv } from '../../src/engine/coordinator/coordinator-config.js';
import { InvalidConfigError } from '../../src/common/errors.js';

describe('coordinatorSettingsFromEnv', () => {
  it('maps offsets.retention.minutes and the check interval into the group config', () => {
    const settings = coordinatorSettingsFromEnv({ BROOK_OFFSETS_RETENTION_MINUTES: '2', BROOK_OFFSETS_RETENTION_CHECK_INTERVAL_MS: '500', BROOK_GROUP_INITIAL_REBALANCE_DELAY_MS: '0' });
    expect(settings.groupConfig).toEqual({ offsetsRetentionMs: 120_000, offsetsRetentionCheckIntervalMs: 500, initialRebalanceDelayMs: 0 });
    expect(coordinatorSettingsFromEnv({}).groupConfig).toEqual({});
  });

  it('refuses a value that is not a positive integer', () => {
    expect(() => coordinatorSettingsFromEnv({ BROOK_OFFSETS_RETENTION_MINUTES: '0' })).toThrow(InvalidConfigError);
    expect(() => coordinatorSettingsFromEnv({ BROOK_OFFSETS_RETENTION_CHECK_INTERVAL_MS: 'soon' })).toThrow(InvalidConfigError);
  });
});
