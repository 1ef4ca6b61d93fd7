/**
 * Every API the server answers, registered in one place; ApiVersions advertises exactly these, at
 * their codec module's range (Kafka 3.9's), and each handler serves that whole range.
 */
import { HandlerRegistry } from '../handler.js';
import { alterConfigsHandler } from './alter-configs.js';
import { apiVersionsHandler } from './api-versions.js';
import { createPartitionsHandler } from './create-partitions.js';
import { createTopicsHandler } from './create-topics.js';
import { deleteRecordsHandler } from './delete-records.js';
import { deleteTopicsHandler } from './delete-topics.js';
import { describeConfigsHandler } from './describe-configs.js';
import { fetchHandler } from './fetch.js';
import { incrementalAlterConfigsHandler } from './incremental-alter-configs.js';
import { initProducerIdHandler } from './init-producer-id.js';
import { listOffsetsHandler } from './list-offsets.js';
import { metadataHandler } from './metadata.js';
import { produceHandler } from './produce.js';
import { GROUP_HANDLERS } from './groups/index.js';
import { saslAuthenticateHandler } from './sasl-authenticate.js';
import { saslHandshakeHandler } from './sasl-handshake.js';
import { withGroupAcls } from '../security/group-acls.js';
import { describeClusterHandler } from './cluster.js';
import { offsetForLeaderEpochHandler } from './offset-for-leader-epoch.js';
import { createAclsHandler, deleteAclsHandler, describeAclsHandler } from './acls.js';
import { describeLogDirsHandler } from './log-dirs.js';
import { describeProducersHandler } from './describe-producers.js';
import { alterUserScramCredentialsHandler, describeUserScramCredentialsHandler } from './scram-credentials.js';

export function createDefaultRegistry(): HandlerRegistry {
  const registry = new HandlerRegistry()
    .register(produceHandler)
    .register(fetchHandler)
    .register(listOffsetsHandler)
    .register(metadataHandler)
    .register(apiVersionsHandler)
    .register(createTopicsHandler)
    .register(deleteTopicsHandler)
    .register(deleteRecordsHandler)
    .register(initProducerIdHandler)
    .register(describeConfigsHandler)
    .register(alterConfigsHandler)
    .register(createPartitionsHandler)
    .register(incrementalAlterConfigsHandler)
    .register(saslHandshakeHandler)
    .register(saslAuthenticateHandler)
    .register(offsetForLeaderEpochHandler)
    .register(describeClusterHandler)
    .register(describeAclsHandler)
    .register(createAclsHandler)
    .register(deleteAclsHandler)
    .register(describeLogDirsHandler)
    .register(describeUserScramCredentialsHandler)
    .register(alterUserScramCredentialsHandler)
    .register(describeProducersHandler);
  // Group APIs get their ACL checks from a wrapper, so the group handlers stay about groups.
  for (const handler of GROUP_HANDLERS) registry.register(withGroupAcls(handler));
  return registry;
}
