/**
 * Producer ids for InitProducerId (idempotent, non-transactional producers). Owned by the Broker
 * (which holds the data dir lock), so the Kafka server's InitProducerId handler and the embedded
 * producer draw from one sequence; main thread only.
 *
 * Kafka hands out producer ids in blocks from the controller; we do the single-host analogue: the
 * file `<dataDir>/.producer-ids` holds the first id NOT yet handed out to any block, written and
 * fsynced (write to a temp file, fsync, rename) BEFORE any id of the new block is used. A crash
 * therefore loses at most the unused rest of a block, and an id is never handed out twice across
 * restarts. The data dir lock (taken by the Broker) makes this process the file's only writer.
 *
 *   .producer-ids   one line of ASCII decimal: the next block's first producerId, e.g. "2000\n"
 *
 * The file name cannot clash with a partition directory, which always ends in "-<digits>".
 */
import fs from 'node:fs';
import path from 'node:path';
import { BrookError } from '../common/errors.js';
import { nodeIo, writeFileAtomic } from '../storage/io.js';

export const PRODUCER_ID_FILE_NAME = '.producer-ids';
export const PRODUCER_ID_BLOCK_COUNT = 1000;

export class ProducerIdAllocator {
  private nextProducerId: number;
  private blockEndProducerId: number;

  private constructor(
    private readonly filePath: string,
    firstUnreservedProducerId: number,
    private readonly blockCount: number,
  ) {
    this.nextProducerId = firstUnreservedProducerId;
    this.blockEndProducerId = firstUnreservedProducerId;
  }

  static open(dataDir: string, blockCount = PRODUCER_ID_BLOCK_COUNT): ProducerIdAllocator {
    const filePath = path.join(dataDir, PRODUCER_ID_FILE_NAME);
    let first = 0;
    try {
      const text = fs.readFileSync(filePath, 'utf8').trim();
      first = Number(text);
      if (!/^\d+$/.test(text) || !Number.isSafeInteger(first)) {
        throw new BrookError('PRODUCER_ID_FILE_CORRUPT', `${filePath} does not hold a producer id: "${text.slice(0, 40)}"`);
      }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    return new ProducerIdAllocator(filePath, first, blockCount);
  }

  /** The next producer id; reserves (durably) a new block when the current one is used up. */
  allocate(): number {
    if (this.nextProducerId >= this.blockEndProducerId) {
      const blockEnd = this.nextProducerId + this.blockCount;
      this.persist(blockEnd);
      this.blockEndProducerId = blockEnd;
    }
    return this.nextProducerId++;
  }

  private persist(firstUnreservedProducerId: number): void {
    writeFileAtomic(nodeIo, path.dirname(this.filePath), path.basename(this.filePath), Buffer.from(`${firstUnreservedProducerId}\n`));
  }

}
