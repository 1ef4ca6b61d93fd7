/**
 * A coordinator worker replaying a compacted __consumer_offsets partition at start (compiled from
 * dist/; run tsc first). The cleaner keeps a batch it emptied when it is the last of a cleaned
 * segment, so replay meets batches with no records past its position and must step over them.
 */
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeRecordBatch, RECORDS_COUNT_OFFSET } from '../../src/protocol/record-batch.js';
import { encodeGroupRecord, type GroupRecord } from '../../src/groups/index.js';
import { PartitionLog } from '../../src/storage/partition-log.js';
import { partitionDirName } from '../../src/storage/topic-names.js';
import { offsetsLogConfig, OFFSETS_TOPIC, OFFSETS_TOPIC_CONFIGS } from '../../src/engine/coordinator/coordinator-config.js';
import { GroupsService } from '../../src/engine/coordinator/coordinator-groups.js';
import type { TopicMetadata } from '../../src/storage/metadata-log.js';
import { tempDir } from '../helpers/temp-dir.js';

let service: GroupsService | null = null;
afterEach(async () => {
  await service?.close();
  service = null;
});

function commit(groupId: string, partition: number, offset: number): GroupRecord {
  return { type: 'offset', groupId, topic: 't', partition, value: { offset, leaderEpoch: -1, metadata: '', commitTimestampMs: 1 } };
}

describe('coordinator replay', () => {
  it('replays the segments after a cleaned segment that ends with an emptied batch', async () => {
    const dataDir = tempDir('brook-coord-replay-');
    const offsetsTopic: TopicMetadata = { name: OFFSETS_TOPIC, topicId: '00000000-0000-0000-0000-000000000001', partitionCount: 1, configs: { ...OFFSETS_TOPIC_CONFIGS } };
    const log = PartitionLog.open(path.join(dataDir, partitionDirName(OFFSETS_TOPIC, 0)), offsetsLogConfig(offsetsTopic));
    log.append(encodeRecordBatch([encodeGroupRecord(commit('g', 0, 5))]));
    // Superseded by the next segment's commit of the same partition: the cleaner empties this
    // batch, which ends the cleaned segment. (A keyless record would be refused: compacted topic.)
    log.append(encodeRecordBatch([encodeGroupRecord(commit('g', 1, 3))]));
    const firstSegmentBytes = log.sizeBytes;
    log.roll();
    log.append(encodeRecordBatch([encodeGroupRecord(commit('g', 1, 7))]));
    log.roll();
    // segment.bytes no larger than the first segment: the cleaner rewrites the two apart.
    log.updateConfig({ ...offsetsLogConfig(offsetsTopic), segmentBytes: firstSegmentBytes });
    log.clean();
    // The cleaned segment still ends at offset 1, in a batch with no records.
    expect(log.read(1, 1 << 20).readInt32BE(RECORDS_COUNT_OFFSET)).toBe(0);
    log.close();

    service = await GroupsService.start({ dataDir, offsetsTopic, workerCount: 1, groupConfig: {}, topics: [['t', 2]] });
    expect((await service.committedOffsets('g')).map((o) => [o.partition, o.offset])).toEqual([[0, 5], [1, 7]]);
  });
});
