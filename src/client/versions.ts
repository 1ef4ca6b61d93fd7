/**
 * The newest version of each API that Brook's own client code (the CLI, the embedded network
 * backend, `brook mirror`) builds requests for. The codecs cover every version and the server
 * serves Kafka 3.9's whole range, but a caller written for Fetch v11 names topics, which Fetch v13+
 * replaces with topic ids: raising a value here means checking every caller of that API first.
 * A connection sends min(this, the broker's max).
 */
import { ApiKey } from '../protocol/api-keys.js';

const CLIENT_MAX_VERSION: ReadonlyMap<number, number> = new Map([
  [ApiKey.Produce, 7], [ApiKey.Fetch, 11], [ApiKey.ListOffsets, 2], [ApiKey.Metadata, 4],
  [ApiKey.OffsetCommit, 5], [ApiKey.OffsetFetch, 4], [ApiKey.FindCoordinator, 2], [ApiKey.JoinGroup, 5],
  [ApiKey.Heartbeat, 3], [ApiKey.LeaveGroup, 1], [ApiKey.SyncGroup, 3], [ApiKey.DescribeGroups, 2],
  [ApiKey.ListGroups, 2], [ApiKey.SaslHandshake, 1], [ApiKey.ApiVersions, 3], [ApiKey.CreateTopics, 3],
  [ApiKey.DeleteTopics, 1], [ApiKey.DeleteRecords, 1], [ApiKey.InitProducerId, 1], [ApiKey.DescribeConfigs, 1],
  [ApiKey.AlterConfigs, 1], [ApiKey.SaslAuthenticate, 1], [ApiKey.CreatePartitions, 1], [ApiKey.DeleteGroups, 1],
  [ApiKey.IncrementalAlterConfigs, 0], [ApiKey.OffsetDelete, 0], [ApiKey.DescribeLogDirs, 1],
]);

/** The newest version of `apiKey` this client sends (the codec's newest for APIs not listed). */
export function clientMaxVersion(apiKey: number, codecMaxVersion: number): number {
  return CLIENT_MAX_VERSION.get(apiKey) ?? codecMaxVersion;
}
