import { BrookError } from '../common/errors.js';

/** A read asked for an offset outside [logStartOffset, logEndOffset]. Maps to OFFSET_OUT_OF_RANGE. */
export class OffsetOutOfRangeError extends BrookError {
  constructor(
    readonly offset: number,
    readonly logStartOffset: number,
    readonly logEndOffset: number,
  ) {
    super('OFFSET_OUT_OF_RANGE', `offset ${offset} is outside [${logStartOffset}, ${logEndOffset}]`);
  }
}
