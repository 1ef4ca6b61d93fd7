/**
 * A record the source serdes cannot read follows deserializationExceptionHandler: fail (default),
 * log and skip, or a dead-letter topic with the original bytes and __streams.errors.* headers.
 */
import { describe, expect, it } from 'vitest';
import { StreamsBuilder, Serdes, SerializationError } from '../../src/streams/index.js';
import { driverFor } from './helpers.js';

const S = Serdes.String();

function topology() {
  const builder = new StreamsBuilder();
  builder.stream('events', { valueSerde: Serdes.JSON<{ n: number }>() }).mapValues((v) => String(v.n * 10)).to('out');
  return builder.build();
}

function pipeMixed(driver: ReturnType<typeof driverFor>) {
  const raw = driver.createInputTopic('events', S, S);
  raw.pipeInput('a', '{"n":1}', 1);
  raw.pipeInput('b', '{not json', 2);
  raw.pipeInput('c', '{"n":3}', 3);
}

describe('deserialization exception handler', () => {
  it('logAndFail (the default) stops with an error naming the topic, partition and offset', () => {
    const driver = driverFor(topology());
    const raw = driver.createInputTopic('events', S, S);
    raw.pipeInput('a', '{"n":1}', 1);
    expect(() => raw.pipeInput('b', '{not json', 2)).toThrow(SerializationError);
    expect(() => raw.pipeInput('b', '{not json', 2)).toThrow(/events-0 offset 2: the JSON serde cannot deserialize/);
  });

  it('logAndContinue skips the record with a log line and goes on', () => {
    const driver = driverFor(topology(), { deserializationExceptionHandler: 'logAndContinue' });
    pipeMixed(driver);
    expect(driver.createOutputTopic('out', S, S).readKeyValuesToList()).toEqual([['a', '10'], ['c', '30']]);
    expect(driver.skippedRecordLogs()).toHaveLength(1);
    expect(driver.skippedRecordLogs()[0]).toMatch(/skipped the record at events-0 offset 1/);
  });

  it('a dead-letter topic receives the original bytes with headers naming the failure', () => {
    const driver = driverFor(topology(), { deserializationExceptionHandler: { deadLetterTopic: 'events-dlq' } });
    pipeMixed(driver);
    expect(driver.createOutputTopic('out', S, S).readKeyValuesToList()).toEqual([['a', '10'], ['c', '30']]);
    const [dead] = driver.capturedRecords('events-dlq');
    expect(dead!.key!.toString()).toBe('b');
    expect(dead!.value!.toString()).toBe('{not json');
    const headers = Object.fromEntries(dead!.headers.map((h) => [h.key, h.value!.toString()]));
    expect(headers).toMatchObject({ '__streams.errors.topic': 'events', '__streams.errors.partition': '0', '__streams.errors.offset': '1' });
    expect(headers['__streams.errors.message']).toMatch(/JSON serde cannot deserialize/);
  });
});
