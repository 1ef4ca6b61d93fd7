/**
 * The processor graph the DSL builds (Kafka's InternalTopologyBuilder) and the finished Topology:
 * nodes named as Kafka names them (KSTREAM-FILTER-0000000001), state stores, and the split into
 * sub-topologies. A sub-topology is a connected part of the graph: nodes linked as parent and
 * child, or sharing a state store. Repartition topics cut the graph: a sink writes to
 * `<applicationId>-<name>-repartition` in one sub-topology, a source reads it in another.
 *
 * Each sub-topology runs as one task per partition of its source topics (task id
 * `<subtopology>_<partition>`, as Kafka's), so its sources must be co-partitioned when it joins.
 */
import type { NodeDef, ProcessorContext, Forward, Processor } from '../processors/api.js';
import type { StoreDef } from '../state/store.js';
import type { Serde } from '../serdes.js';
import { TopologyError } from '../errors.js';

export class TopologyNode implements NodeDef {
  readonly children: TopologyNode[] = [];
  /**
   * False for a node whose processor never reads a record's value, only whether it is null (a
   * count): a source feeding only such nodes need not decode values (deserialize.ts).
   */
  readsValue = true;
  constructor(
    readonly name: string,
    readonly stores: readonly string[],
    readonly create: (context: ProcessorContext, forward: Forward, forwardTo: Forward[]) => Processor,
  ) {}
}

/** A record's time (Kafka's TimestampExtractor); the record's own timestamp by default. */
export type TimestampExtractor = (record: { key: unknown; value: unknown; timestamp: number; topic: string; partition: number; offset: number }) => number;

export interface SourceDef {
  node: TopologyNode;
  topics: string[];
  keySerde: Serde<unknown>;
  valueSerde: Serde<unknown>;
  timestampExtractor?: TimestampExtractor;
  /** Reads an internal repartition topic (name without the application id prefix). */
  repartition: boolean;
}

export interface Subtopology {
  id: number;
  /** Source topics; internal ones as `<name>-repartition` without the application id. */
  sourceTopics: string[];
  /** Repartition topics this sub-topology writes (names without the application id). */
  repartitionSinks: string[];
  stores: string[];
  /** Sources whose partitions must line up (joins): checked when the application starts. */
  copartitioned: boolean;
}

/** Kafka's node naming: PREFIX-<10-digit index>, one counter per builder. */
export class Names {
  private next = 0;
  make(prefix: string): string {
    return `${prefix}-${String(this.next++).padStart(10, '0')}`;
  }
}

export class GraphBuilder {
  readonly names = new Names();
  readonly nodes: TopologyNode[] = [];
  readonly sources: SourceDef[] = [];
  readonly stores = new Map<string, StoreDef>();
  /** Repartition topic names (without the application id) -> partitions asked for (null: as the sources). */
  readonly repartitionTopics = new Map<string, number | null>();
  /** Nodes whose sources must be co-partitioned (join processors). */
  readonly copartitionNodes = new Set<TopologyNode>();
  private readonly parents = new Map<TopologyNode, TopologyNode[]>();
  private readonly sinkTopics = new Map<TopologyNode, string>();

  addNode(node: TopologyNode, parents: TopologyNode[]): TopologyNode {
    this.nodes.push(node);
    this.parents.set(node, parents);
    for (const parent of parents) parent.children.push(node);
    return node;
  }

  addSource(source: SourceDef): void {
    this.nodes.push(source.node);
    this.parents.set(source.node, []);
    this.sources.push(source);
  }

  markSink(node: TopologyNode, repartitionTopic: string | null): void {
    if (repartitionTopic !== null) this.sinkTopics.set(node, repartitionTopic);
  }

  addStore(def: StoreDef): void {
    if (this.stores.has(def.name)) throw new TopologyError(`a state store named '${def.name}' already exists in this topology`);
    this.stores.set(def.name, def);
  }

  build(): Topology {
    const usedBy = new Map<string, TopologyNode[]>();
    for (const node of this.nodes) for (const store of node.stores) usedBy.set(store, [...(usedBy.get(store) ?? []), node]);
    for (const store of usedBy.keys()) if (!this.stores.has(store)) throw new TopologyError(`a processor uses state store '${store}', which is not defined`);
    // Union-find over nodes: parent-child edges and shared stores join components.
    const root = new Map<TopologyNode, TopologyNode>(this.nodes.map((n) => [n, n]));
    const find = (n: TopologyNode): TopologyNode => {
      let r = n;
      while (root.get(r) !== r) r = root.get(r)!;
      root.set(n, r);
      return r;
    };
    const union = (a: TopologyNode, b: TopologyNode): void => void root.set(find(a), find(b));
    for (const [node, parents] of this.parents) for (const parent of parents) union(node, parent);
    for (const nodes of usedBy.values()) for (const node of nodes.slice(1)) union(nodes[0]!, node);
    // Number sub-topologies in the order of their first source, as Kafka does.
    const ids = new Map<TopologyNode, number>();
    const subtopologies: Subtopology[] = [];
    for (const source of this.sources) {
      const r = find(source.node);
      if (!ids.has(r)) {
        ids.set(r, subtopologies.length);
        subtopologies.push({ id: subtopologies.length, sourceTopics: [], repartitionSinks: [], stores: [], copartitioned: false });
      }
      const sub = subtopologies[ids.get(r)!]!;
      for (const topic of source.topics) if (!sub.sourceTopics.includes(topic)) sub.sourceTopics.push(topic);
    }
    const subtopologyOf = (node: TopologyNode): Subtopology => {
      const id = ids.get(find(node));
      if (id === undefined) throw new TopologyError(`processor ${node.name} is not connected to any source topic`);
      return subtopologies[id]!;
    };
    for (const [store, nodes] of usedBy) subtopologyOf(nodes[0]!).stores.push(store);
    for (const [node, topic] of this.sinkTopics) subtopologyOf(node).repartitionSinks.push(topic);
    for (const node of this.copartitionNodes) subtopologyOf(node).copartitioned = true;
    const seenTopics = new Map<string, number>();
    for (const sub of subtopologies) {
      for (const topic of sub.sourceTopics) {
        const other = seenTopics.get(topic);
        if (other !== undefined && other !== sub.id) throw new TopologyError(`topic '${topic}' is read by two unconnected parts of the topology (sub-topologies ${other} and ${sub.id}); read it once and reuse the stream`);
        seenTopics.set(topic, sub.id);
      }
    }
    return new Topology(this, subtopologies, new Map([...this.nodes].map((n) => [n.name, subtopologyOf(n).id])));
  }
}

export class Topology {
  constructor(
    readonly graph: GraphBuilder,
    readonly subtopologies: Subtopology[],
    readonly subtopologyOfNode: Map<string, number>,
  ) {}

  get stores(): Map<string, StoreDef> {
    return this.graph.stores;
  }

  /** Sources of a sub-topology. */
  sourcesOf(subtopology: number): SourceDef[] {
    return this.graph.sources.filter((s) => this.subtopologyOfNode.get(s.node.name) === subtopology);
  }

  subtopologyOfStore(store: string): Subtopology | undefined {
    return this.subtopologies.find((s) => s.stores.includes(store));
  }

  /** Kafka's TopologyDescription, as text. */
  describe(): string {
    const lines = ['Topologies:'];
    for (const sub of this.subtopologies) {
      lines.push(`   Sub-topology: ${sub.id}`);
      const seen = new Set<string>();
      const walk = (node: TopologyNode, depth: number): void => {
        if (seen.has(node.name)) return;
        seen.add(node.name);
        const stores = node.stores.length > 0 ? ` (stores: [${node.stores.join(', ')}])` : '';
        lines.push(`${' '.repeat(4 + 2 * depth)}${node.name}${stores} --> ${node.children.map((c) => c.name).join(', ') || 'none'}`);
        for (const child of node.children) walk(child, depth + 1);
      };
      for (const source of this.sourcesOf(sub.id)) {
        lines.push(`    Source: ${source.node.name} (topics: [${source.topics.join(', ')}])`);
        for (const child of source.node.children) walk(child, 1);
      }
    }
    return lines.join('\n');
  }
}
