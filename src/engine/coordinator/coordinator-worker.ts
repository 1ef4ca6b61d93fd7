/**
 * A coordinator worker: a worker_thread that owns some partitions of `__consumer_offsets` (DESIGN.md
 * rules 1 and 7). For each owned partition it opens the PartitionLog itself (the only writer of
 * that directory), replays it into a GroupCoordinator at start, and runs the group state machines
 * of the groups that hash to that partition (coordinatorIndexFor(groupId, partitionCount)).
 *
 * The main thread (coordinator-handle.ts) sends one `call` per group request by postMessage and
 * gets one `reply`, possibly much later: a JoinGroup is answered when its rebalance completes.
 * A setInterval drives GroupCoordinator.tick() and also keeps this worker's event loop alive
 * while it is open; `shutdown` clears it, closes the logs and closes the port, and the thread ends.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { BrookError } from '../../common/errors.js';
import { systemClock } from '../../common/clock.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import { decodeRecords, iterateBatches } from '../../protocol/record-batch.js';
import { appendGroupRecords } from './offsets-store.js';
import { PartitionLog } from '../../storage/partition-log.js';
import { decodeGroupRecord, GroupCoordinator, type GroupRecord } from '../../groups/index.js';
import type * as G from '../../groups/types.js';
import { rebuffer, type CoordinatorEvent, type CoordinatorRequest, type CoordinatorWorkerData, type OffsetToCommit } from './coordinator-messages.js';
import { toWire } from '../worker-protocol.js';
import { workerFaultsFor } from '../fault-injection.js';

/** Bytes read per step while replaying a partition at start. */
const REPLAY_READ_BYTES = 4 * 1024 * 1024;

const data = workerData as CoordinatorWorkerData;
const port = parentPort!;
const topics = new Map<string, number>(data.topics);
const owned = new Map<number, { log: PartitionLog; coordinator: GroupCoordinator }>();
let ticker: NodeJS.Timeout | null = null;
/** Null unless started with a FaultSpec: then every offsets log goes through one FaultyIo. */
const faults = workerFaultsFor(data.faults, 'coordinators', `coordinator-${data.workerIndex}`);

function send(event: CoordinatorEvent): void {
  port.postMessage(event);
}

/** Every group record in the log, oldest first (GroupCoordinator.load keeps the last per key). */
function* replay(log: PartitionLog): Generator<GroupRecord> {
  let offset = log.logStartOffset;
  while (offset < log.logEndOffset) {
    const buf = log.read(offset, REPLAY_READ_BYTES);
    let advanced = false;
    for (const { pos, sizeBytes, header } of iterateBatches(buf)) {
      for (const record of decodeRecords(buf.subarray(pos, pos + sizeBytes))) {
        if (record.offset < offset) continue;
        offset = record.offset + 1;
        advanced = true;
        // A key we do not understand (e.g. a future record type) is skipped, not fatal.
        if (record.key === null) continue;
        try {
          yield decodeGroupRecord(record.key, record.value);
        } catch {
          continue;
        }
      }
      // Past the batch's last offset, not just its last record: the cleaner keeps batches whose
      // tail (or every record) it removed, and a read from inside such a batch at the end of a
      // segment returns nothing newer; stopping there would skip every later segment.
      const batchEnd = header.baseOffset + header.lastOffsetDelta + 1;
      if (batchEnd > offset) {
        offset = batchEnd;
        advanced = true;
      }
    }
    if (!advanced) break; // nothing readable past this point (read limit smaller than a batch)
  }
}

function openPartition(partition: number, dir: string): void {
  const log = PartitionLog.open(dir, data.logConfig, faults === null ? {} : { io: faults.io });
  const coordinator = new GroupCoordinator({
    clock: systemClock,
    config: data.groupConfig,
    topicExists: (topic, p) => p >= 0 && p < (topics.get(topic) ?? 0),
    store: {
      // Appended (page cache) before the answer: a process crash loses no acknowledged commit.
      write: async (records) => appendGroupRecords(log, data.logConfig, records),
    },
    maxWriteBytes: data.logConfig.segmentBytes,
  });
  coordinator.load(replay(log));
  owned.set(partition, { log, coordinator });
}

type Call = Extract<CoordinatorRequest, { type: 'call' }>;

function runCall(coordinator: GroupCoordinator, request: Call): unknown {
  const { apiVersion, ctx } = request;
  const body = rebuffer(request.body) as never;
  switch (request.call) {
    case 'joinGroup': return coordinator.joinGroup(apiVersion, body as G.JoinGroupRequest, ctx);
    case 'syncGroup': return coordinator.syncGroup(apiVersion, body);
    case 'heartbeat': return coordinator.heartbeat(apiVersion, body);
    case 'leaveGroup': return coordinator.leaveGroup(apiVersion, body);
    case 'offsetCommit': return coordinator.offsetCommit(apiVersion, body);
    case 'offsetFetch': return coordinator.offsetFetch(apiVersion, body);
    case 'listGroups': return coordinator.listGroups(apiVersion, body);
    case 'describeGroups': return coordinator.describeGroups(apiVersion, body);
    case 'deleteGroups': return coordinator.deleteGroups(apiVersion, body);
    case 'offsetDelete': return coordinator.offsetDelete(apiVersion, body);
  }
}

/** Kafka's reset-offsets rule: only a group without members may have its offsets set by hand. */
function resetOffsets(coordinator: GroupCoordinator, groupId: string, offsets: OffsetToCommit[]): Promise<G.OffsetCommitResponse> | number {
  const group = coordinator.group(groupId);
  if (group !== undefined && group.state !== 'Empty' && group.state !== 'Dead') return ErrorCode.NON_EMPTY_GROUP;
  const byTopic = new Map<string, G.OffsetCommitRequest['topics'][number]>();
  for (const o of offsets) {
    let topic = byTopic.get(o.topic);
    if (topic === undefined) byTopic.set(o.topic, (topic = { name: o.topic, partitions: [] }));
    topic.partitions.push({ partitionIndex: o.partition, committedOffset: o.offset, committedMetadata: o.metadata ?? '' });
  }
  // Checked and started in one synchronous step: no join can slip in between.
  return coordinator.offsetCommit(5, { groupId, generationIdOrMemberEpoch: -1, memberId: '', topics: [...byTopic.values()] });
}

function answer(requestId: number, run: () => unknown): void {
  let result: unknown;
  try {
    result = run();
  } catch (err) {
    send({ type: 'reply', requestId, error: toWire(err) });
    return;
  }
  Promise.resolve(result).then(
    (value) => send({ type: 'reply', requestId, result: value }),
    (err: unknown) => send({ type: 'reply', requestId, error: toWire(err) }),
  );
}

function coordinatorOf(partition: number): GroupCoordinator {
  const entry = owned.get(partition);
  if (entry === undefined) throw new BrookError('NOT_COORDINATOR', `offsets partition ${partition} is not owned by coordinator worker ${data.workerIndex}`);
  return entry.coordinator;
}

function shutdown(requestId: number): void {
  if (ticker !== null) clearInterval(ticker);
  ticker = null;
  answer(requestId, () => {
    for (const { log } of owned.values()) log.close();
    owned.clear();
  });
  setImmediate(() => port.close());
}

port.on('message', (request: CoordinatorRequest) => {
  switch (request.type) {
    case 'call':
      return answer(request.requestId, () => runCall(coordinatorOf(request.partition), request));
    case 'callEach': {
      const { partitions, ...call } = request;
      return answer(request.requestId, () => Promise.all(partitions.map((partition) => runCall(coordinatorOf(partition), { ...call, type: 'call', partition }))));
    }
    case 'resetOffsets':
      return answer(request.requestId, () => resetOffsets(coordinatorOf(request.partition), request.groupId, request.offsets));
    case 'topics':
      for (const [name, count] of request.changes) {
        if (count === 0) topics.delete(name);
        else topics.set(name, count);
      }
      return;
    case 'shutdown':
      return shutdown(request.requestId);
    case 'crash':
      // A power loss writes nothing more: no close(), the unsynced tails are gone.
      if (request.powerLoss === true) faults?.io.simulateCrash();
      process.exit(70);
  }
});

try {
  for (const { partition, dir } of data.partitionDirs) openPartition(partition, dir);
  ticker = setInterval(() => {
    for (const { coordinator, log } of owned.values()) {
      coordinator.tick();
      log.tick();
    }
  }, data.tickIntervalMs);
  send({ type: 'ready' });
} catch (err) {
  for (const { log } of owned.values()) log.close();
  send({ type: 'fatal', error: toWire(err) });
  port.close();
}
