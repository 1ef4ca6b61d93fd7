/** Brook's embedded API: everything `import { ... } from 'brook'` offers. */
export { Brook, DATA_DIR_DEFAULT, type BrookOptions, type BrookHttpOptions } from './embedded/brook.js';
export { Admin, type CreateTopicOptions } from './embedded/admin.js';
export { Producer, type ProducerOptions, type RecordMetadata } from './embedded/producer.js';
export { Consumer, type ConsumerOptions, type ConsumerRecord, type StartPosition } from './embedded/consumer.js';
export type { SendRecord, HeadersInput, BytesInput } from './embedded/record-input.js';
export { KafkaError } from './embedded/kafka-error.js';
export { NetworkBackend, type NetworkBackendOptions } from './embedded/network-backend.js';
export { GroupConsumer, type GroupConsumerOptions } from './embedded/group-consumer.js';
export type {
  BrookBackend,
  TopicDescription,
  TopicDetails,
  PartitionDescription,
  Acks,
} from './embedded/backend.js';
export {
  BrookError,
  DataDirLockedError,
  InvalidConfigError,
  InvalidTopicError,
  KafkaCodeError,
  StorageError,
} from './common/errors.js';
export { ErrorCode, errorName } from './protocol/error-codes.js';
