/**
 * Sinks: serialize and hand records to the task's record collector (Kafka's SinkNode). Keyed
 * records are placed by the producer's murmur2 partitioner, exactly where Kafka's default
 * partitioner puts them, which is what makes a repartition topic co-partitioned with everything
 * else keyed the same way.
 */
import type { Serde } from '../serdes.js';
import type { Create } from './stateless.js';

export interface SinkOptions {
  topic: string;
  keySerde: Serde<unknown>;
  valueSerde: Serde<unknown>;
  /** Repartition sinks drop null keys (they could not be grouped anyway), as Kafka does. */
  dropNullKeys: boolean;
}

export function sinkNode(options: SinkOptions): Create {
  return (context) => {
    // A repartition topic's name is known only per application: resolved once per task.
    const topic = options.dropNullKeys ? `${context.applicationId}-${options.topic}` : options.topic;
    return {
      process(record) {
        if (options.dropNullKeys && (record.key === null || record.key === undefined)) {
          context.recordDropped('null key before repartitioning');
          return;
        }
        const key = options.keySerde.serialize(record.key ?? null, topic);
        const value = options.valueSerde.serialize(record.value ?? null, topic);
        context.send(topic, undefined, key, value, record.timestamp, record.headers);
      },
    };
  };
}
