/**
 * Kafka API keys Brook speaks, and the registry from key to its generated codec module.
 * Header versions follow Kafka's rule: a flexible (KIP-482) API version uses request header v2
 * and response header v1; older versions use request header v1 and response header v0. The one
 * exception is ApiVersions, whose response header is v0 at every version, because a client must
 * be able to read the answer before it knows which versions the broker speaks (KIP-511).
 */
import type { Reader } from './reader.js';
import type { Writer } from './writer.js';
import * as produce from './apis/produce.js';
import * as fetch from './apis/fetch.js';
import * as listOffsets from './apis/list-offsets.js';
import * as metadata from './apis/metadata.js';
import * as offsetCommit from './apis/offset-commit.js';
import * as offsetFetch from './apis/offset-fetch.js';
import * as findCoordinator from './apis/find-coordinator.js';
import * as joinGroup from './apis/join-group.js';
import * as heartbeat from './apis/heartbeat.js';
import * as leaveGroup from './apis/leave-group.js';
import * as syncGroup from './apis/sync-group.js';
import * as describeGroups from './apis/describe-groups.js';
import * as listGroups from './apis/list-groups.js';
import * as saslHandshake from './apis/sasl-handshake.js';
import * as apiVersions from './apis/api-versions.js';
import * as createTopics from './apis/create-topics.js';
import * as deleteTopics from './apis/delete-topics.js';
import * as deleteRecords from './apis/delete-records.js';
import * as initProducerId from './apis/init-producer-id.js';
import * as describeConfigs from './apis/describe-configs.js';
import * as alterConfigs from './apis/alter-configs.js';
import * as saslAuthenticate from './apis/sasl-authenticate.js';
import * as createPartitions from './apis/create-partitions.js';
import * as deleteGroups from './apis/delete-groups.js';
import * as incrementalAlterConfigs from './apis/incremental-alter-configs.js';
import * as offsetDelete from './apis/offset-delete.js';
import * as offsetForLeaderEpoch from './apis/offset-for-leader-epoch.js';
import * as describeAcls from './apis/describe-acls.js';
import * as createAcls from './apis/create-acls.js';
import * as deleteAcls from './apis/delete-acls.js';
import * as describeLogDirs from './apis/describe-log-dirs.js';
import * as describeUserScramCredentials from './apis/describe-user-scram-credentials.js';
import * as alterUserScramCredentials from './apis/alter-user-scram-credentials.js';
import * as describeCluster from './apis/describe-cluster.js';
import * as describeProducers from './apis/describe-producers.js';

export const ApiKey = {
  Produce: 0,
  Fetch: 1,
  ListOffsets: 2,
  Metadata: 3,
  OffsetCommit: 8,
  OffsetFetch: 9,
  FindCoordinator: 10,
  JoinGroup: 11,
  Heartbeat: 12,
  LeaveGroup: 13,
  SyncGroup: 14,
  DescribeGroups: 15,
  ListGroups: 16,
  SaslHandshake: 17,
  ApiVersions: 18,
  CreateTopics: 19,
  DeleteTopics: 20,
  DeleteRecords: 21,
  InitProducerId: 22,
  OffsetForLeaderEpoch: 23,
  DescribeAcls: 29,
  CreateAcls: 30,
  DeleteAcls: 31,
  DescribeConfigs: 32,
  AlterConfigs: 33,
  DescribeLogDirs: 35,
  SaslAuthenticate: 36,
  CreatePartitions: 37,
  DeleteGroups: 42,
  IncrementalAlterConfigs: 44,
  OffsetDelete: 47,
  DescribeUserScramCredentials: 50,
  AlterUserScramCredentials: 51,
  DescribeCluster: 60,
  DescribeProducers: 61,
} as const;

/** What every generated API module exports (bodies are typed in the module itself). */
export interface ApiModule {
  readonly API_KEY: number;
  readonly API_NAME: string;
  /** Served and advertised through ApiVersions (Kafka 3.9's range). */
  readonly MIN_VERSION: number;
  readonly MAX_VERSION: number;
  /** Implemented by the codec (the whole schema range). */
  readonly CODEC_MIN_VERSION: number;
  readonly CODEC_MAX_VERSION: number;
  readonly FLEXIBLE_VERSIONS_FROM: number | null;
  decodeRequest(reader: Reader, version: number): unknown;
  encodeRequest(writer: Writer, version: number, body: unknown): void;
  decodeResponse(reader: Reader, version: number): unknown;
  encodeResponse(writer: Writer, version: number, body: unknown): void;
  defaultRequest(): unknown;
  defaultResponse(): unknown;
}

const MODULES: ApiModule[] = [
  produce, fetch, listOffsets, metadata, offsetCommit, offsetFetch, findCoordinator, joinGroup,
  heartbeat, leaveGroup, syncGroup, describeGroups, listGroups, saslHandshake, apiVersions,
  createTopics, deleteTopics, deleteRecords, initProducerId, describeConfigs, alterConfigs,
  saslAuthenticate, createPartitions, deleteGroups, incrementalAlterConfigs, offsetDelete,
  offsetForLeaderEpoch, describeAcls, createAcls, deleteAcls, describeLogDirs,
  describeUserScramCredentials, alterUserScramCredentials, describeCluster, describeProducers,
];

export const API_BY_KEY: ReadonlyMap<number, ApiModule> = new Map(MODULES.map((m) => [m.API_KEY, m]));

function isFlexible(apiKey: number, apiVersion: number): boolean {
  const flexibleFrom = API_BY_KEY.get(apiKey)?.FLEXIBLE_VERSIONS_FROM ?? null;
  return flexibleFrom !== null && apiVersion >= flexibleFrom;
}

/** Request header version (1 or 2) for a request; unknown keys get 1, which has no tagged fields. */
export function requestHeaderVersion(apiKey: number, apiVersion: number): number {
  return isFlexible(apiKey, apiVersion) ? 2 : 1;
}

/** Response header version (0 or 1); ApiVersions is always 0. */
export function responseHeaderVersion(apiKey: number, apiVersion: number): number {
  if (apiKey === ApiKey.ApiVersions) return 0;
  return isFlexible(apiKey, apiVersion) ? 1 : 0;
}
