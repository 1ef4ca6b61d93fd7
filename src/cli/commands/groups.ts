/**
 * `brook groups list|describe|reset-offsets|delete`: consumer group administration (Kafka's
 * kafka-consumer-groups.sh). Everything goes through the backend's GroupTransport as Kafka
 * request bodies, so it works the same on a data dir and with --broker.
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { decodeAssignment } from '../../groups/consumer-protocol.js';
import { ErrorCode, errorName } from '../../protocol/error-codes.js';
import { EARLIEST_TIMESTAMP, LATEST_TIMESTAMP, offsetAt, type BrookBackend, type GroupTransport } from '../../embedded/backend.js';
import { action, parseNonNegativeInteger, type CommandContext } from '../context.js';
import { UserError } from '../user-error.js';
import { printTable } from './topics.js';

interface MemberRow {
  memberId: string;
  clientId: string;
  clientHost: string;
  assignment: { topic: string; partitions: number[] }[];
}

interface OffsetRow {
  topic: string;
  partition: number;
  /** -1: nothing committed. */
  committedOffset: number;
  logEndOffset: number;
  /** null when nothing is committed. */
  lag: number | null;
  memberId: string | null;
}

interface GroupReport {
  groupId: string;
  state: string;
  protocolType: string;
  protocol: string;
  members: MemberRow[];
  offsets: OffsetRow[];
}

async function groupsOf(ctx: CommandContext): Promise<{ backend: BrookBackend; groups: GroupTransport }> {
  const backend = await ctx.backend({ autoCreateTopics: false });
  if (backend.groups === undefined) throw new UserError('this broker has no group coordinator');
  return { backend, groups: backend.groups };
}

function check(errorCode: number, what: string): void {
  if (errorCode !== ErrorCode.NONE) throw new UserError(`${what}: ${errorName(errorCode)}`);
}

export function groupsCommand(): Command {
  const groups = new Command('groups').description('list, describe, reset offsets of and delete consumer groups');

  groups
    .command('list')
    .description('list consumer groups with their state')
    .option('--json', 'print a JSON array')
    .action(action(async (ctx, opts: { json?: boolean }) => {
      const { groups: transport } = await groupsOf(ctx);
      const response = await transport.listGroups({});
      check(response.errorCode, 'cannot list groups');
      const states = await groupStates(transport, response.groups);
      const rows = response.groups
        .map((g) => ({ groupId: g.groupId, state: states.get(g.groupId) ?? '', protocolType: g.protocolType }))
        .sort((a, b) => (a.groupId < b.groupId ? -1 : a.groupId > b.groupId ? 1 : 0));
      if (opts.json) process.stdout.write(JSON.stringify(rows) + '\n');
      else printTable(['GROUP', 'STATE', 'PROTOCOL-TYPE'], rows.map((r) => [r.groupId, r.state, r.protocolType || '-']));
    }));

  groups
    .command('describe <group>')
    .description('show a group: state, members with their partitions, and per partition the committed offset, log end offset and lag')
    .option('--json', 'print JSON')
    .action(action(async (ctx, groupId: string, opts: { json?: boolean }) => {
      const { backend, groups: transport } = await groupsOf(ctx);
      const report = await describeGroup(backend, transport, groupId);
      if (opts.json) process.stdout.write(JSON.stringify(report) + '\n');
      else printReport(report);
    }));

  groups
    .command('reset-offsets <group>')
    .description("set a group's committed offsets for a topic (only while the group has no members)")
    .requiredOption('-t, --topic <topic>', 'the topic whose offsets to set (all its partitions)')
    .addOption(new Option('--to-earliest', 'each partition\'s log start offset'))
    .addOption(new Option('--to-latest', 'each partition\'s log end offset (skip everything there now)'))
    .addOption(new Option('--to-offset <n>', 'this offset, moved into [log start, log end] where outside').argParser(parseNonNegativeInteger))
    .addOption(new Option('--to-datetime <iso>', 'the first offset with a timestamp at or after this time, e.g. 2024-05-01T12:00:00Z').argParser(parseDatetime))
    .addHelpText('after', `
Exactly one --to-... option. Refused while the group has members (stop its consumers first), as
Kafka's kafka-consumer-groups --reset-offsets is.`)
    .action(action(async (ctx, groupId: string, opts: ResetOptions) => {
      const { backend, groups: transport } = await groupsOf(ctx);
      const rows = await resetOffsets(backend, transport, groupId, opts);
      printTable(['TOPIC', 'PARTITION', 'NEW-OFFSET'], rows.map((r) => [opts.topic, String(r.partition), String(r.offset)]));
    }));

  groups
    .command('delete <group>')
    .description('delete a group and its committed offsets (only while it has no members)')
    .action(action(async (ctx, groupId: string) => {
      const response = await (await groupsOf(ctx)).groups.deleteGroups({ groupsNames: [groupId] });
      const errorCode = response.results[0]?.errorCode ?? ErrorCode.UNKNOWN_SERVER_ERROR;
      if (errorCode === ErrorCode.GROUP_ID_NOT_FOUND) throw new UserError(`group '${groupId}' does not exist`);
      if (errorCode === ErrorCode.NON_EMPTY_GROUP) throw new UserError(`group '${groupId}' has active members; stop its consumers first`);
      check(errorCode, `cannot delete group '${groupId}'`);
      process.stdout.write(`deleted group '${groupId}'\n`);
    }));

  return groups;
}

/** ListGroups carries the state only from v4; older brokers' answers are completed by DescribeGroups. */
async function groupStates(transport: GroupTransport, listed: { groupId: string; groupState: string }[]): Promise<Map<string, string>> {
  const states = new Map(listed.map((g) => [g.groupId, g.groupState]));
  const unknown = listed.filter((g) => g.groupState === '').map((g) => g.groupId);
  if (unknown.length > 0) {
    for (const g of (await transport.describeGroups({ groups: unknown })).groups) states.set(g.groupId, g.groupState);
  }
  return states;
}

function parseDatetime(value: string): number {
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new InvalidArgumentError('must be an ISO 8601 date-time, e.g. 2024-05-01T12:00:00Z');
  return ms;
}

interface ResetOptions {
  topic: string;
  toEarliest?: boolean;
  toLatest?: boolean;
  toOffset?: number;
  toDatetime?: number;
}

async function targetOffset(backend: BrookBackend, opts: ResetOptions, partition: number): Promise<number> {
  const { topic } = opts;
  if (opts.toEarliest) return offsetAt(backend, topic, partition, EARLIEST_TIMESTAMP);
  if (opts.toLatest) return offsetAt(backend, topic, partition, LATEST_TIMESTAMP);
  if (opts.toDatetime !== undefined) {
    const offset = await offsetAt(backend, topic, partition, opts.toDatetime);
    return offset >= 0 ? offset : offsetAt(backend, topic, partition, LATEST_TIMESTAMP);
  }
  const earliest = await offsetAt(backend, topic, partition, EARLIEST_TIMESTAMP);
  const latest = await offsetAt(backend, topic, partition, LATEST_TIMESTAMP);
  return Math.min(Math.max(opts.toOffset!, earliest), latest);
}

async function resetOffsets(backend: BrookBackend, transport: GroupTransport, groupId: string, opts: ResetOptions): Promise<{ partition: number; offset: number }[]> {
  const chosen = [opts.toEarliest, opts.toLatest, opts.toOffset !== undefined, opts.toDatetime !== undefined].filter(Boolean).length;
  if (chosen !== 1) throw new UserError('give exactly one of --to-earliest, --to-latest, --to-offset <n>, --to-datetime <iso>');
  const described = await transport.describeGroups({ groups: [groupId] });
  const group = described.groups[0];
  if (group !== undefined && group.members.length > 0) {
    throw new UserError(`group '${groupId}' has ${group.members.length} active member(s); stop its consumers before resetting offsets`);
  }
  const details = await backend.describeTopic(opts.topic);
  if (details === undefined) throw new UserError(`topic '${opts.topic}' does not exist`);
  const rows = [];
  for (let partition = 0; partition < details.partitionCount; partition++) rows.push({ partition, offset: await targetOffset(backend, opts, partition) });
  // generationId -1 with no member id: Kafka's commit from outside group management, which the
  // coordinator accepts only while the group is empty (so a member joining meanwhile wins).
  const response = await transport.offsetCommit({
    groupId, generationIdOrMemberEpoch: -1, memberId: '', groupInstanceId: null, retentionTimeMs: -1,
    topics: [{ name: opts.topic, partitions: rows.map((r) => ({ partitionIndex: r.partition, committedOffset: r.offset, committedLeaderEpoch: -1, committedMetadata: '' })) }],
  });
  for (const t of response.topics) {
    for (const p of t.partitions) {
      if (p.errorCode === ErrorCode.UNKNOWN_MEMBER_ID || p.errorCode === ErrorCode.ILLEGAL_GENERATION || p.errorCode === ErrorCode.NON_EMPTY_GROUP) {
        throw new UserError(`group '${groupId}' has active members; stop its consumers before resetting offsets`);
      }
      check(p.errorCode, `cannot reset ${t.name}-${p.partitionIndex}`);
    }
  }
  return rows;
}

function decodeMemberAssignment(bytes: Buffer): { topic: string; partitions: number[] }[] {
  if (bytes.length === 0) return [];
  try {
    return decodeAssignment(bytes).assignedPartitions.map((tp) => ({ topic: tp.topic, partitions: [...tp.partitions].sort((a, b) => a - b) }));
  } catch {
    return []; // a client's own protocol: opaque
  }
}

async function describeGroup(backend: BrookBackend, transport: GroupTransport, groupId: string): Promise<GroupReport> {
  const [described, fetched] = await Promise.all([
    transport.describeGroups({ groups: [groupId] }),
    transport.offsetFetch({ groupId, topics: null }),
  ]);
  const group = described.groups[0];
  if (group === undefined) throw new UserError(`the broker did not describe group '${groupId}'`);
  check(group.errorCode, `cannot describe group '${groupId}'`);
  check(fetched.errorCode, `cannot fetch the offsets of group '${groupId}'`);
  if (group.groupState === 'Dead' && fetched.topics.every((t) => t.partitions.length === 0)) {
    throw new UserError(`group '${groupId}' does not exist`);
  }
  const members: MemberRow[] = group.members.map((m) => ({
    memberId: m.memberId, clientId: m.clientId, clientHost: m.clientHost,
    assignment: group.protocolType === 'consumer' ? decodeMemberAssignment(m.memberAssignment) : [],
  }));
  const owner = new Map<string, string>();
  for (const m of members) for (const a of m.assignment) for (const p of a.partitions) owner.set(`${a.topic}\0${p}`, m.memberId);
  const committed = new Map<string, number>();
  for (const t of fetched.topics) for (const p of t.partitions) if (p.committedOffset >= 0) committed.set(`${t.name}\0${p.partitionIndex}`, p.committedOffset);
  const offsets: OffsetRow[] = [];
  for (const key of [...new Set([...committed.keys(), ...owner.keys()])].sort()) {
    const [topic, partitionText] = key.split('\0') as [string, string];
    const partition = Number(partitionText);
    const logEndOffset = await offsetAt(backend, topic, partition, LATEST_TIMESTAMP).catch(() => -1);
    const committedOffset = committed.get(key) ?? -1;
    const lag = committedOffset >= 0 && logEndOffset >= 0 ? Math.max(0, logEndOffset - committedOffset) : null;
    offsets.push({ topic, partition, committedOffset, logEndOffset, lag, memberId: owner.get(key) ?? null });
  }
  offsets.sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition));
  return { groupId, state: group.groupState, protocolType: group.protocolType, protocol: group.protocolData, members, offsets };
}

function printReport(r: GroupReport): void {
  process.stdout.write(`group ${r.groupId}  state ${r.state}  protocol ${r.protocolType || '-'}/${r.protocol || '-'}  members ${r.members.length}\n`);
  if (r.members.length > 0) {
    printTable(['MEMBER-ID', 'CLIENT-ID', 'HOST', 'ASSIGNMENT'], r.members.map((m) => [
      m.memberId, m.clientId, m.clientHost || '-',
      m.assignment.map((a) => `${a.topic}:${a.partitions.join(',')}`).join(' ') || '-',
    ]));
  }
  if (r.offsets.length > 0) {
    printTable(['TOPIC', 'PARTITION', 'COMMITTED-OFFSET', 'LOG-END-OFFSET', 'LAG', 'MEMBER-ID'], r.offsets.map((o) => [
      o.topic, String(o.partition), o.committedOffset < 0 ? '-' : String(o.committedOffset),
      o.logEndOffset < 0 ? '-' : String(o.logEndOffset), o.lag === null ? '-' : String(o.lag), o.memberId ?? '-',
    ]));
  }
}
