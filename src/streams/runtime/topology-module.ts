/**
 * A topology in a module file: what `brook streams run app.js` runs and what stream worker
 * threads load (a worker cannot receive the functions of a topology built elsewhere, so each
 * builds its own from the module). The module exports `topology(builder)` (or a default
 * function), and optionally `config` (StreamsConfig fields) and `builderOptions` (default serdes).
 */
import { pathToFileURL } from 'node:url';
import { StreamsBuilder, type StreamsBuilderOptions } from '../dsl/builder.js';
import type { Topology } from '../dsl/topology.js';
import type { StreamsConfig } from '../config.js';
import { StreamsConfigError } from '../errors.js';

export interface TopologyModule {
  href: string;
  topology: (builder: StreamsBuilder) => void;
  config: Partial<StreamsConfig>;
  builderOptions: StreamsBuilderOptions;
}

/** A module path or URL as an importable href. */
export function moduleHref(location: string | URL): string {
  if (location instanceof URL) return location.href;
  return /^[a-z]+:\/\//i.test(location) ? location : pathToFileURL(location).href;
}

export async function loadTopologyModule(location: string | URL): Promise<TopologyModule> {
  const href = moduleHref(location);
  let mod: Record<string, unknown>;
  try {
    mod = (await import(href)) as Record<string, unknown>;
  } catch (err) {
    throw new StreamsConfigError(`cannot load the topology module ${href}: ${(err as Error).message}`);
  }
  const topology = (mod.topology ?? mod.default) as unknown;
  if (typeof topology !== 'function') throw new StreamsConfigError(`${href} must export a function topology(builder) (or a default function) that adds streams to the builder`);
  return {
    href,
    topology: topology as (builder: StreamsBuilder) => void,
    config: (mod.config ?? {}) as Partial<StreamsConfig>,
    builderOptions: (mod.builderOptions ?? {}) as StreamsBuilderOptions,
  };
}

export function buildTopology(mod: TopologyModule): Topology {
  const builder = new StreamsBuilder(mod.builderOptions);
  mod.topology(builder);
  return builder.build();
}
