/**
 * The benchmark's topologies as a module (bench/macro/streams.ts), so that they can also run on
 * stream worker threads, which load their topology from a module. BENCH_TOPOLOGY picks one.
 */
import { TimeWindows, type StreamsBuilder } from '../../src/streams/index.js';

export const keep = (value: string): boolean => value.startsWith('ERROR') || value.startsWith('WARN');
export const reshape = (key: string, value: string): [string, string] => [key, value.slice(0, 40)];

export function windowedCount(builder: StreamsBuilder, input = 'input'): void {
  builder.stream(input).groupByKey().windowedBy(TimeWindows.ofSizeWithNoGrace(60_000)).count();
}

export function filterMapTo(builder: StreamsBuilder, input = 'input'): void {
  builder.stream(input).filter((_k, v) => keep(v)).map((k, v) => reshape(k, v)).to('out-streams');
}

export function topology(builder: StreamsBuilder): void {
  (process.env.BENCH_TOPOLOGY === 'stateless' ? filterMapTo : windowedCount)(builder);
}
