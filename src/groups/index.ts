/** Public surface of Brook's group logic, for the coordinator worker and the embedded consumer. */
export { GroupCoordinator, type GroupCoordinatorOptions } from './group-coordinator.js';
export { Group, type GroupState, type GroupOptions } from './group.js';
export { DEFAULT_GROUP_CONFIG, type GroupConfig } from './group-rules.js';
export {
  encodeGroupRecord,
  decodeGroupRecord,
  type GroupRecord,
  type GroupStore,
  type GroupValue,
  type GroupMemberValue,
  type OffsetValue,
} from './group-record.js';
export { rangeAssignor, roundRobinAssignor, ASSIGNORS, type Assignor, type Assignment } from './assignors.js';
export * from './consumer-protocol.js';
export { coordinatorIndexFor, javaStringHashCode } from './group-id-hash.js';
export type * from './types.js';
