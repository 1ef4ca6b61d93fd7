/**
 * DescribeLogDirs (api key 35), v0-v4 (KIP-113): one host has one log dir, the data dir; per
 * partition its size on disk and offset lag 0 (there is no future replica being moved). v4 adds the
 * volume's total and usable bytes (KIP-827), from statfs. topics null describes every topic; a
 * named topic or partition that does not exist is left out, as Kafka does. Needs DESCRIBE on the
 * cluster: else CLUSTER_AUTHORIZATION_FAILED (top level from v3; below that, no log dirs).
 */
import fs from 'node:fs';
import path from 'node:path';
import * as api from '../../protocol/apis/describe-log-dirs.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import { allowed } from '../security/session.js';
import { defineHandler, type RequestContext } from '../handler.js';
import { CLUSTER_RESOURCE_NAME } from './cluster.js';

export const describeLogDirsHandler = defineHandler<api.DescribeLogDirsRequest, api.DescribeLogDirsResponse>({
  codec: api,
  exclusive: false,
  handle(request, context: RequestContext): api.DescribeLogDirsResponse {
    if (!allowed(context, 'describe', 'cluster', CLUSTER_RESOURCE_NAME)) {
      return { ...api.defaultDescribeLogDirsResponse(), errorCode: context.apiVersion >= 3 ? ErrorCode.CLUSTER_AUTHORIZATION_FAILED : 0 };
    }
    const { broker } = context.server;
    const wanted = request.topics ?? broker.topics().map((t) => ({ topic: t.name, partitions: Array.from({ length: t.partitionCount }, (_, p) => p) }));
    const topics: api.DescribeLogDirsTopic[] = [];
    for (const { topic, partitions } of wanted) {
      const described = partitions.flatMap((partitionIndex) => {
        const state = broker.partitionState(topic, partitionIndex);
        if (state === undefined) return [];
        return [{ ...api.defaultDescribeLogDirsPartition(), partitionIndex, partitionSize: state.sizeBytes, offsetLag: 0 }];
      });
      if (described.length > 0) topics.push({ ...api.defaultDescribeLogDirsTopic(), name: topic, partitions: described });
    }
    const logDir = path.resolve(context.server.dataDir ?? '.');
    return { ...api.defaultDescribeLogDirsResponse(), results: [{ ...api.defaultDescribeLogDirsResult(), logDir, topics, ...volumeBytes(logDir) }] };
  },
  errorResponse: (errorCode, version) => ({ ...api.defaultDescribeLogDirsResponse(), errorCode: version >= 3 ? errorCode : 0 }),
});

/** The volume's size and free space, or Kafka's -1 when they cannot be read. */
function volumeBytes(dir: string): { totalBytes: number; usableBytes: number } {
  try {
    const stats = fs.statfsSync(dir);
    return { totalBytes: stats.blocks * stats.bsize, usableBytes: stats.bavail * stats.bsize };
  } catch {
    return { totalBytes: -1, usableBytes: -1 };
  }
}
