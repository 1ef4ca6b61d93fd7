/** Topic and partition directory naming, by Kafka's rules (Topic.java). */
import { InvalidTopicError } from '../common/errors.js';
import { TOPIC_NAME_MAX_CHARS } from '../common/limits.js';

const LEGAL = /^[a-zA-Z0-9._-]+$/;

/** Throws InvalidTopicError unless `name` is 1-249 characters of [a-zA-Z0-9._-], not "." or "..". */
export function validateTopicName(name: string): void {
  if (typeof name !== 'string' || name.length === 0) throw new InvalidTopicError('topic name is empty');
  if (name === '.' || name === '..') throw new InvalidTopicError(`topic name cannot be '${name}'`);
  if (name.length > TOPIC_NAME_MAX_CHARS) {
    throw new InvalidTopicError(`topic name is ${name.length} characters, the limit is ${TOPIC_NAME_MAX_CHARS}`);
  }
  if (!LEGAL.test(name)) {
    throw new InvalidTopicError(`topic name '${name}' has characters outside [a-zA-Z0-9._-]`);
  }
}

/** "<topic>-<partition>", the partition's directory under the data dir. */
export function partitionDirName(topic: string, partition: number): string {
  return `${topic}-${partition}`;
}
