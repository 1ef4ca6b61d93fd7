/**
 * The Broker's groups facade over real coordinator workers (compiled from dist/; run tsc first):
 * the CLI helpers, the offsets topic guard, a coordinator worker crash and a reopen from disk.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Broker } from '../../src/engine/broker.js';
import { KafkaCodeError } from '../../src/common/errors.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { encodeRecordBatch } from '../../src/protocol/record-batch.js';
import { encodeSubscription } from '../../src/groups/index.js';
import { CoordinatorUnavailableError } from '../../src/engine/coordinator/coordinator-groups.js';
import { makeTempDir, waitFor } from './helpers.js';

// Two tests park a join in group.initial.rebalance.delay.ms and inspect the group meanwhile; the
// default 3 s could run out on a loaded machine, so the delay here outlives any test (a closing
// broker or a crashed worker answers the parked join).
const openBroker = (dataDir: string): Promise<Broker> =>
  Broker.open({ dataDir, coordinators: { groupConfig: { initialRebalanceDelayMs: 600_000 } } });

let broker: Broker | null = null;
afterEach(async () => {
  await broker?.close();
  broker = null;
});

const CTX = { clientId: 'test', clientHost: '' };

function joinRequest(groupId: string) {
  return {
    groupId, sessionTimeoutMs: 30_000, rebalanceTimeoutMs: 30_000, memberId: '', groupInstanceId: null, protocolType: 'consumer',
    protocols: [{ name: 'range', metadata: encodeSubscription({ version: 0, topics: ['t'], userData: null }) }],
  };
}

describe('broker.groups', () => {
  it('sets, lists and describes committed offsets of a group without members', async () => {
    broker = await openBroker(makeTempDir('brook-groups-svc-'));
    await broker.createTopic('t', { partitions: 2 });
    await broker.groups.resetOffsets('idle', [{ topic: 't', partition: 0, offset: 5 }, { topic: 't', partition: 1, offset: 7 }]);
    expect(await broker.groups.committedOffsets('idle')).toEqual([
      { topic: 't', partition: 0, offset: 5, metadata: '' },
      { topic: 't', partition: 1, offset: 7, metadata: '' },
    ]);
    expect(await broker.groups.listGroups()).toEqual([{ groupId: 'idle', protocolType: '', state: 'Empty' }]);
    const described = await broker.groups.describeGroup('idle');
    expect(described.state).toBe('Empty');
    expect(described.offsets.map((o) => o.offset)).toEqual([5, 7]);
    await expect(broker.groups.resetOffsets('idle', [{ topic: 'nope', partition: 0, offset: 1 }])).rejects.toMatchObject({ errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION });
  });

  it('refuses to reset the offsets of a group with members, and describes their assignment', async () => {
    broker = await openBroker(makeTempDir('brook-groups-svc-'));
    await broker.createTopic('t', { partitions: 1 });
    // JoinGroup v3 (no MEMBER_ID_REQUIRED round): the member is in the group while its join waits
    // for group.initial.rebalance.delay.ms (set above to outlive this test).
    const pendingJoin = broker.groups.handle(11, 3, joinRequest('busy'), CTX).catch(() => null);
    await waitFor('the member to be in the group', async () => (await broker!.groups.describeGroup('busy')).members.length === 1);
    const error = await broker.groups.resetOffsets('busy', [{ topic: 't', partition: 0, offset: 1 }]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KafkaCodeError);
    expect((error as KafkaCodeError).errorCode).toBe(ErrorCode.NON_EMPTY_GROUP);
    await expect(broker.groups.deleteGroup('busy')).rejects.toMatchObject({ errorCode: ErrorCode.NON_EMPTY_GROUP });
    const described = await broker.groups.describeGroup('busy');
    expect(described.state).toBe('PreparingRebalance');
    expect(described.members[0]!.clientId).toBe('test');
    await broker.close();
    expect(await pendingJoin).toBeNull(); // closing answers the parked join with an error, not silence
  });

  it('deletes an empty group with its offsets', async () => {
    broker = await openBroker(makeTempDir('brook-groups-svc-'));
    await broker.createTopic('t', { partitions: 1 });
    await broker.groups.resetOffsets('old', [{ topic: 't', partition: 0, offset: 3 }]);
    await broker.groups.deleteGroup('old');
    expect(await broker.groups.committedOffsets('old')).toEqual([]);
    await expect(broker.groups.deleteGroup('old')).rejects.toMatchObject({ errorCode: ErrorCode.GROUP_ID_NOT_FOUND });
  });

  it('commits, reloads and deletes a group whose offsets fill more than one batch under max.message.bytes', async () => {
    const dataDir = makeTempDir('brook-groups-svc-');
    broker = await openBroker(dataDir);
    await broker.createTopic('t', { partitions: 34 });
    // Each offset record's key holds the group id: 34 of them with a 32,000-character id are ~1.09 MB,
    // more than the offsets topic's max.message.bytes (1,048,588) allows in one batch.
    const groupId = 'g'.repeat(32_000);
    const offsets = Array.from({ length: 34 }, (_, p) => ({ topic: 't', partition: p, offset: p + 1 }));
    await broker.groups.resetOffsets(groupId, offsets);
    await broker.close();
    broker = await openBroker(dataDir);
    expect((await broker.groups.committedOffsets(groupId)).map((o) => o.offset)).toEqual(offsets.map((o) => o.offset));
    await broker.groups.deleteGroup(groupId);
    await broker.close();
    broker = await openBroker(dataDir);
    expect(await broker.groups.committedOffsets(groupId)).toEqual([]);
    expect(await broker.groups.listGroups()).toEqual([]);
  });

  it('refuses produce to and deletion of __consumer_offsets, and hides it from the topic list', async () => {
    broker = await openBroker(makeTempDir('brook-groups-svc-'));
    const result = await broker.produce('__consumer_offsets', 0, encodeRecordBatch([{ value: Buffer.from('x') }]));
    expect(result.errorCode).toBe(ErrorCode.INVALID_TOPIC_EXCEPTION);
    await expect(broker.deleteTopic('__consumer_offsets')).rejects.toMatchObject({ errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED });
    await expect(broker.createTopic('__consumer_offsets', { partitions: 1 })).rejects.toMatchObject({ errorCode: ErrorCode.TOPIC_ALREADY_EXISTS });
    expect(broker.topics().map((t) => t.name)).toEqual([]);
  });

  it('restarts a crashed coordinator worker, which reloads the committed offsets', async () => {
    broker = await openBroker(makeTempDir('brook-groups-svc-'));
    await broker.createTopic('t', { partitions: 1 });
    await broker.groups.resetOffsets('survivor', [{ topic: 't', partition: 0, offset: 42 }]);
    // A join waits for the rebalance delay: it is in flight when the worker dies.
    const inflight = broker.groups.handle(11, 3, joinRequest('survivor'), CTX).catch((e: unknown) => e);
    await waitFor('the join to be parked', async () => (await broker!.groups.describeGroup('survivor')).members.length === 1);
    broker.groups.crashWorkerOf(broker.groups.partitionFor('survivor'));
    const outcome = await inflight;
    expect(outcome).toBeInstanceOf(CoordinatorUnavailableError);
    let offsets: unknown = null;
    await waitFor('the restarted coordinator to answer', async () => {
      offsets = await broker!.groups.committedOffsets('survivor').catch(() => null);
      return offsets !== null;
    });
    expect(offsets).toEqual([{ topic: 't', partition: 0, offset: 42, metadata: '' }]);
  });

  it('reloads groups and offsets from __consumer_offsets when the broker reopens', async () => {
    const dataDir = makeTempDir('brook-groups-svc-');
    broker = await openBroker(dataDir);
    await broker.createTopic('t', { partitions: 3 });
    await broker.groups.resetOffsets('kept', [{ topic: 't', partition: 2, offset: 9 }]);
    await broker.close();
    broker = await openBroker(dataDir);
    expect(await broker.groups.committedOffsets('kept')).toEqual([{ topic: 't', partition: 2, offset: 9, metadata: '' }]);
    expect(broker.groups.offsetsPartitionCount).toBe(4);
  });
});
