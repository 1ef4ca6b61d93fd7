/** Which Kafka code a group request gets when the groups service throws instead of answering. */
import { describe, expect, it } from 'vitest';
import { groupsErrorCode } from '../../src/server/handlers/groups/groups-of.js';
import { CoordinatorUnavailableError } from '../../src/engine/coordinator/coordinator-handle.js';
import { BrookError, KafkaCodeError, StorageError } from '../../src/common/errors.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';

describe('groupsErrorCode', () => {
  it('keeps a Kafka code, answers COORDINATOR_NOT_AVAILABLE when the coordinator cannot answer now, UNKNOWN_SERVER_ERROR otherwise', () => {
    expect(groupsErrorCode(new KafkaCodeError(ErrorCode.UNSUPPORTED_VERSION, 'not a group api'))).toBe(ErrorCode.UNSUPPORTED_VERSION);
    expect(groupsErrorCode(new CoordinatorUnavailableError('restarting'))).toBe(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    expect(groupsErrorCode(new BrookError('BROKER_CLOSED', 'closed'))).toBe(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    expect(groupsErrorCode(new StorageError('disk', new Error('EIO')))).toBe(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    expect(groupsErrorCode(new BrookError('DATA_DIR_LOCKED', 'not retriable'))).toBe(ErrorCode.UNKNOWN_SERVER_ERROR);
    expect(groupsErrorCode(new TypeError('x is undefined'))).toBe(ErrorCode.UNKNOWN_SERVER_ERROR);
  });
});
