#!/usr/bin/env node
// Generates src/protocol/apis/<api>.ts from Apache Kafka's JSON message schemas.
//
//   node scripts/gen-protocol.mjs [schemaDir]     (default ../shared/kafka-protocol)
//
// The output is committed, so building Brook never needs the schema folder. Each module holds
// every version the schema defines (inline version guards, one function per struct), the
// advertised range from COMPATIBILITY.md, and TypeScript interfaces for the bodies. It also
// writes test/protocol/fixtures/schemas.json (the parsed schemas) for the round-trip tests.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const schemaDir = path.resolve(process.argv[2] ?? path.join(root, '..', 'shared', 'kafka-protocol'));
const outDir = path.join(root, 'src', 'protocol', 'apis');

// Every API Brook serves, at Apache Kafka 3.9's full range (what a 3.9 broker answers in
// ApiVersions): from v0 where 3.9 still has it up to its latest version. The schema snapshot is a
// little newer than 3.9 (4.0.0-SNAPSHOT): where it has a version 3.9 lacks (ListOffsets v10,
// marked latestVersionUnstable) the range stops at 3.9's. Codecs cover the whole schema range;
// ApiVersions announces exactly these ranges, and each handler serves all of them.
const APIS = [
  ['Produce', 0, 11], ['Fetch', 0, 17], ['ListOffsets', 0, 9], ['Metadata', 0, 12],
  ['OffsetCommit', 0, 9], ['OffsetFetch', 0, 9], ['FindCoordinator', 0, 6], ['JoinGroup', 0, 9],
  ['Heartbeat', 0, 4], ['LeaveGroup', 0, 5], ['SyncGroup', 0, 5], ['DescribeGroups', 0, 5],
  ['ListGroups', 0, 5], ['SaslHandshake', 0, 1], ['ApiVersions', 0, 4], ['CreateTopics', 0, 7],
  ['DeleteTopics', 0, 6], ['DeleteRecords', 0, 2], ['InitProducerId', 0, 5],
  ['OffsetForLeaderEpoch', 0, 4], ['DescribeAcls', 0, 3], ['CreateAcls', 0, 3], ['DeleteAcls', 0, 3],
  ['DescribeConfigs', 0, 4], ['AlterConfigs', 0, 2], ['DescribeLogDirs', 0, 4],
  ['SaslAuthenticate', 0, 2], ['CreatePartitions', 0, 3], ['DeleteGroups', 0, 2],
  ['IncrementalAlterConfigs', 0, 1], ['OffsetDelete', 0, 0], ['DescribeUserScramCredentials', 0, 0],
  ['AlterUserScramCredentials', 0, 0], ['DescribeCluster', 0, 1], ['DescribeProducers', 0, 0],
];
const DATA = ['RequestHeader', 'ResponseHeader', 'ConsumerProtocolSubscription', 'ConsumerProtocolAssignment'];

const INT_TYPES = { int8: 'Int8', int16: 'Int16', int32: 'Int32', int64: 'Int64', uint16: 'Uint16', uint32: 'Uint32', float64: 'Float64' };

function loadSchema(name) {
  const text = fs.readFileSync(path.join(schemaDir, `${name}.json`), 'utf8');
  // Kafka's schema files carry `//` line comments; no string value contains "//" at a line start.
  return JSON.parse(text.split('\n').filter((line) => !/^\s*\/\//.test(line)).join('\n'));
}

/** "0+", "1-3", "5", "none" -> { min, max } or null. */
function parseRange(spec) {
  if (spec === undefined || spec === 'none') return null;
  if (spec.endsWith('+')) return { min: Number(spec.slice(0, -1)), max: Infinity };
  const [a, b] = spec.split('-');
  return { min: Number(a), max: Number(b ?? a) };
}

function intersect(a, b) {
  if (a === null || b === null) return null;
  const r = { min: Math.max(a.min, b.min), max: Math.min(a.max, b.max) };
  return r.min > r.max ? null : r;
}

/** A boolean TS expression for `version` in `range`, simplified knowing version is in `within`. */
function guard(range, within) {
  const r = intersect(range, within);
  if (r === null) return 'false';
  const above = r.min > within.min;
  const below = r.max < within.max;
  if (!above && !below) return 'true';
  if (above && below) return r.min === r.max ? `version === ${r.min}` : `version >= ${r.min} && version <= ${r.max}`;
  return above ? `version >= ${r.min}` : `version <= ${r.max}`;
}

const pick = (cond, a, b) => (cond === 'true' ? a : cond === 'false' ? b : `(${cond} ? ${a} : ${b})`);
const lowerFirst = (s) => s[0].toLowerCase() + s.slice(1);
const kebab = (s) => s.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();

/** Per-message generation state: the struct definitions found, in dependency order. */
class MessageGen {
  constructor(schema, structNames) {
    this.schema = schema;
    this.valid = parseRange(schema.validVersions);
    this.flexible = parseRange(schema.flexibleVersions);
    this.structs = [];
    this.structNames = structNames;
    this.collect(schema.name, schema.fields);
  }

  collect(name, fields) {
    if (this.structNames.has(name)) throw new Error(`struct name ${name} used twice in one module`);
    this.structNames.add(name);
    for (const f of fields) {
      if (f.fields) this.collect(f.type.replace(/^\[\]/, ''), f.fields);
      else if (!isPrimitive(f.type.replace(/^\[\]/, ''))) throw new Error(`unknown type ${f.type} (common structs unsupported)`);
    }
    this.structs.push({ name, fields });
  }

  fieldInfo(f) {
    const versions = intersect(parseRange(f.versions), this.valid);
    const tagged = f.taggedVersions ? intersect(parseRange(f.taggedVersions), versions) : null;
    let regular = versions;
    if (tagged !== null) regular = tagged.min > versions.min ? { min: versions.min, max: tagged.min - 1 } : null;
    const within = versions ?? this.valid;
    const flexRange = f.flexibleVersions !== undefined ? parseRange(f.flexibleVersions) : this.flexible;
    const nullable = parseRange(f.nullableVersions);
    return { versions, tagged, regular, flexRange, nullable, within };
  }
}

const isPrimitive = (t) => t in INT_TYPES || ['bool', 'string', 'bytes', 'records', 'uuid'].includes(t);

function tsType(f) {
  const nullable = f.nullableVersions !== undefined;
  const array = f.type.startsWith('[]');
  const inner = f.type.replace(/^\[\]/, '');
  let t;
  if (inner in INT_TYPES) t = 'number';
  else if (inner === 'bool') t = 'boolean';
  else if (inner === 'string' || inner === 'uuid') t = 'string';
  else if (inner === 'bytes' || inner === 'records') t = 'Buffer';
  else t = inner;
  if (array) return nullable ? `${t}[] | null` : `${t}[]`;
  if (nullable || f.type === 'records') return `${t} | null`;
  return t;
}

function defaultExpr(f) {
  const d = f.default;
  if (f.type.startsWith('[]')) return d === 'null' ? 'null' : '[]';
  if (f.type in INT_TYPES) return d === undefined ? '0' : String(Number(d));
  switch (f.type) {
    case 'bool': return d === 'true' ? 'true' : 'false';
    case 'string': return d === 'null' ? 'null' : `'${(d ?? '').replace(/[\\']/g, '\\$&')}'`;
    case 'uuid': return 'ZERO_UUID';
    case 'bytes': return d === 'null' ? 'null' : 'Buffer.alloc(0)';
    case 'records': return 'null';
    default:
      if (d === 'null') throw new Error(`nullable struct ${f.name} unsupported`);
      return `default${f.type}()`;
  }
}

/** Expression reading one value of `type` from reader `r` for field info `fi`. */
function readValue(gen, f, fi, type, r) {
  const compact = fi.flexRange === gen.flexible ? pickFlex(gen, fi) : guard(fi.flexRange ?? { min: 1, max: 0 }, fi.within);
  const nullable = fi.nullable ? guard(fi.nullable, fi.within) : 'false';
  if (type.startsWith('[]')) {
    const inner = type.slice(2);
    const element = isPrimitive(inner) ? `(r) => ${readValue(gen, f, { ...fi, nullable: null }, inner, 'r')}` : `(r) => read${inner}(r, version)`;
    return pick(nullable, `readNullableArray(${r}, ${compact}, ${element})`, `readArray(${r}, ${compact}, ${element})`);
  }
  if (type in INT_TYPES) return `${r}.read${INT_TYPES[type]}()`;
  if (type === 'bool') return `${r}.readBool()`;
  if (type === 'uuid') return `${r}.readUuid()`;
  if (type === 'string' || type === 'bytes' || type === 'records') {
    const kind = type === 'string' ? 'String' : 'Bytes';
    const nul = type === 'records' && !fi.nullable ? 'false' : nullable;
    const plain = pick(nul, `${r}.readNullable${kind}()`, `${r}.read${kind}()`);
    const comp = pick(nul, `${r}.readCompactNullable${kind}()`, `${r}.readCompact${kind}()`);
    return pick(compact, comp, plain);
  }
  return `read${type}(${r}, version)`;
}

/** The message's own flexibility as seen inside a field's version range: a constant or `flexible`. */
function pickFlex(gen, fi) {
  const g = guard(gen.flexible ?? { min: 1, max: 0 }, fi.within);
  return g === 'true' || g === 'false' ? g : 'flexible';
}

/** Statement writing `value` of `type` with writer `w`. */
function writeValue(gen, f, fi, type, w, value) {
  const compact = fi.flexRange === gen.flexible ? pickFlex(gen, fi) : guard(fi.flexRange ?? { min: 1, max: 0 }, fi.within);
  const nullable = fi.nullable ? guard(fi.nullable, fi.within) : 'false';
  const field = `'${lowerFirst(f.name)}'`;
  if (type.startsWith('[]')) {
    const inner = type.slice(2);
    const element = isPrimitive(inner)
      ? `(w, e) => ${writeValue(gen, f, { ...fi, nullable: null }, inner, 'w', 'e')}`
      : `(w, e) => write${inner}(w, version, e)`;
    const v = nullable === 'true' || !fi.nullable ? value : pick(nullable, value, `required(${value}, ${field}, version)`);
    return `writeArray(${w}, ${compact}, ${v}, ${element})`;
  }
  if (type in INT_TYPES) return `${w}.write${INT_TYPES[type]}(${value})`;
  if (type === 'bool') return `${w}.writeBool(${value})`;
  if (type === 'uuid') return `${w}.writeUuid(${value})`;
  if (type === 'string' || type === 'bytes' || type === 'records') {
    const kind = type === 'string' ? 'String' : 'Bytes';
    const maybeNull = fi.nullable || type === 'records';
    const nul = type === 'records' && !fi.nullable ? 'true' : nullable;
    const req = maybeNull ? `required(${value}, ${field}, version)` : value;
    const plain = pick(nul, `${w}.writeNullable${kind}(${value})`, `${w}.write${kind}(${req})`);
    const comp = pick(nul, `${w}.writeCompactNullable${kind}(${value})`, `${w}.writeCompact${kind}(${req})`);
    return pick(compact, comp, plain);
  }
  return `write${type}(${w}, version, ${value})`;
}

function genStruct(gen, struct) {
  const { name, fields } = struct;
  const out = [];
  const usesFlex = gen.flexible !== null && intersect(gen.flexible, gen.valid) !== null;
  const flexDecl = usesFlex ? [`  const flexible = ${guard(gen.flexible, gen.valid)};`] : [];

  out.push(`export interface ${name} {`);
  for (const f of fields) {
    const doc = f.about ? `  /** ${f.about.replace(/\*\//g, '* /')} (versions ${f.versions}${f.taggedVersions ? `, tagged ${f.tag}` : ''}) */\n` : '';
    out.push(`${doc}  ${lowerFirst(f.name)}: ${tsType(f)};`);
  }
  out.push('}', '');

  out.push(`/** ${name} with every field at its schema default. */`, `export function default${name}(): ${name} {`, '  return {');
  for (const f of fields) out.push(`    ${lowerFirst(f.name)}: ${defaultExpr(f)},`);
  out.push('  };', '}', '');

  // Decoder: regular fields in order inside the object literal (evaluation order is source
  // order), tagged fields afterwards from the tagged section.
  out.push(`function read${name}(r: Reader, version: number): ${name} {`, ...flexDecl);
  out.push(`  const result: ${name} = {`);
  for (const f of fields) {
    const fi = gen.fieldInfo(f);
    const g = fi.regular ? guard(fi.regular, gen.valid) : 'false';
    out.push(`    ${lowerFirst(f.name)}: ${pick(g, fi.regular ? readValue(gen, f, { ...fi, within: fi.regular }, f.type, 'r') : 'undefined', defaultExpr(f))},`);
  }
  out.push('  };');
  const taggedFields = fields.filter((f) => gen.fieldInfo(f).tagged);
  if (usesFlex) {
    if (taggedFields.length === 0) {
      out.push('  if (flexible) r.readTaggedFields();');
    } else {
      out.push('  if (flexible) {', '    r.readTaggedFields((tag, t) => {', '      switch (tag) {');
      for (const f of taggedFields) {
        const fi = gen.fieldInfo(f);
        const g = guard(fi.tagged, gen.valid);
        const read = readValue(gen, f, { ...fi, within: fi.tagged }, f.type, 't');
        out.push(`        case ${f.tag}:`, `          if (${g}) result.${lowerFirst(f.name)} = ${read};`, '          break;');
      }
      out.push('      }', '    });', '  }');
    }
  }
  out.push('  return result;', '}', '');

  out.push(`function write${name}(w: Writer, version: number, v: ${name}): void {`, ...flexDecl);
  for (const f of fields) {
    const fi = gen.fieldInfo(f);
    const key = `v.${lowerFirst(f.name)}`;
    const g = fi.regular ? guard(fi.regular, gen.valid) : 'false';
    // Absent from this version: a non-ignorable field must hold its default (as in Kafka's codec).
    const present = fi.versions ? guard(fi.versions, gen.valid) : 'false';
    const absent = present === 'false' ? '' : `!(${present}) && `;
    const check = f.ignorable || present === 'true'
      ? null
      : `if (${absent}!sameAsDefault(${key}, ${defaultExpr(f)})) unsupported('${lowerFirst(f.name)}', version);`;
    if (g === 'true') out.push(`  ${writeValue(gen, f, { ...fi, within: fi.regular }, f.type, 'w', key)};`);
    else if (g !== 'false') out.push(`  if (${g}) ${writeValue(gen, f, { ...fi, within: fi.regular }, f.type, 'w', key)};`);
    if (check) out.push(`  ${check}`);
  }
  if (usesFlex) {
    if (taggedFields.length === 0) {
      out.push('  if (flexible) w.writeTaggedFields([]);');
    } else {
      out.push('  if (flexible) {', '    const tagged: { tag: number; write: (w: Writer) => void }[] = [];');
      for (const f of [...taggedFields].sort((a, b) => a.tag - b.tag)) {
        const fi = gen.fieldInfo(f);
        const key = `v.${lowerFirst(f.name)}`;
        const g = guard(fi.tagged, gen.valid);
        const write = writeValue(gen, f, { ...fi, within: fi.tagged }, f.type, 'w', key);
        const cond = `${g === 'true' ? '' : `${g} && `}!sameAsDefault(${key}, ${defaultExpr(f)})`;
        out.push(`    if (${cond}) tagged.push({ tag: ${f.tag}, write: (w) => ${write} });`);
      }
      out.push('    w.writeTaggedFields(tagged);', '  }');
    }
  }
  out.push('}', '');
  return out.join('\n');
}

function genMessage(schema, structNames) {
  const gen = new MessageGen(schema, structNames);
  return { gen, code: gen.structs.map((s) => genStruct(gen, s)).join('\n') };
}

const HELPERS = ['checkDecodeVersion', 'checkEncodeVersion', 'readArray', 'readNullableArray', 'required',
  'sameAsDefault', 'unsupported', 'writeArray', 'ZERO_UUID'];

/** The file prologue, importing only the runtime helpers `body` uses. */
function withHeader(sources, body) {
  // Functions by their calls (a schema's "about" text may contain the word), the constant by name.
  const used = HELPERS.filter((h) => new RegExp(h === 'ZERO_UUID' ? `\\b${h}\\b` : `\\b${h}\\(`).test(body));
  return [
    `// GENERATED by scripts/gen-protocol.mjs from Apache Kafka's ${sources.join(' and ')}. Do not edit;`,
    '// change the generator and rerun it. Field names are the schema names with the first letter',
    '// lower-cased; fields absent from a version decode to their default.',
    "import type { Reader } from '../reader.js';",
    "import type { Writer } from '../writer.js';",
    `import { ${used.join(', ')} } from './runtime.js';`,
    '',
    body,
  ].join('\n');
}

function flexFrom(gen) {
  const f = intersect(gen.flexible, gen.valid);
  return f === null ? 'null' : String(f.min);
}

function genApi([api, minAdvertised, maxAdvertised], fixtures) {
  const request = loadSchema(`${api}Request`);
  const response = loadSchema(`${api}Response`);
  fixtures[api] = { request, response };
  const names = new Set();
  const req = genMessage(request, names);
  const res = genMessage(response, names);
  if (request.validVersions !== response.validVersions) throw new Error(`${api}: request/response ranges differ`);
  if (minAdvertised < req.gen.valid.min || maxAdvertised > req.gen.valid.max) throw new Error(`${api}: advertised range outside schema`);
  const [min, max] = [req.gen.valid.min, req.gen.valid.max];
  const code = [
    `export const API_KEY = ${request.apiKey};`,
    `export const API_NAME = '${api}';`,
    "/** The range Brook serves and advertises through ApiVersions (Kafka 3.9's). */",
    `export const MIN_VERSION = ${minAdvertised};`,
    `export const MAX_VERSION = ${maxAdvertised};`,
    '/** The range these codecs implement (the whole schema). */',
    `export const CODEC_MIN_VERSION = ${min};`,
    `export const CODEC_MAX_VERSION = ${max};`,
    '/** First flexible (KIP-482) version, or null when the API has none. */',
    `export const FLEXIBLE_VERSIONS_FROM: number | null = ${flexFrom(req.gen)};`,
    '',
    req.code,
    res.code,
    `export function decodeRequest(reader: Reader, version: number): ${request.name} {`,
    `  checkDecodeVersion('${request.name}', version, ${min}, ${max});`,
    `  return read${request.name}(reader, version);`,
    '}',
    '',
    `export function encodeRequest(writer: Writer, version: number, body: ${request.name}): void {`,
    `  checkEncodeVersion('${request.name}', version, ${min}, ${max});`,
    `  write${request.name}(writer, version, body);`,
    '}',
    '',
    `export function decodeResponse(reader: Reader, version: number): ${response.name} {`,
    `  checkDecodeVersion('${response.name}', version, ${min}, ${max});`,
    `  return read${response.name}(reader, version);`,
    '}',
    '',
    `export function encodeResponse(writer: Writer, version: number, body: ${response.name}): void {`,
    `  checkEncodeVersion('${response.name}', version, ${min}, ${max});`,
    `  write${response.name}(writer, version, body);`,
    '}',
    '',
    `export function defaultRequest(): ${request.name} {`,
    `  return default${request.name}();`,
    '}',
    '',
    `export function defaultResponse(): ${response.name} {`,
    `  return default${response.name}();`,
    '}',
    '',
  ].join('\n');
  return withHeader([`${api}Request.json`, `${api}Response.json`], code);
}

function genData(name, fixtures) {
  const schema = loadSchema(name);
  fixtures[name] = { data: schema };
  const msg = genMessage(schema, new Set());
  const { min, max } = msg.gen.valid;
  const lines = [
    `export const MIN_VERSION = ${min};`,
    `export const MAX_VERSION = ${max};`,
    `export const CODEC_MIN_VERSION = ${min};`,
    `export const CODEC_MAX_VERSION = ${max};`,
    `export const FLEXIBLE_VERSIONS_FROM: number | null = ${flexFrom(msg.gen)};`,
    '',
    msg.code,
    '/** Decodes the body of one version (no version prefix). */',
    `export function decode(reader: Reader, version: number): ${name} {`,
    `  checkDecodeVersion('${name}', version, ${min}, ${max});`,
    `  return read${name}(reader, version);`,
    '}',
    '',
    `export function encode(writer: Writer, version: number, body: ${name}): void {`,
    `  checkEncodeVersion('${name}', version, ${min}, ${max});`,
    `  write${name}(writer, version, body);`,
    '}',
    '',
    `export function defaultValue(): ${name} {`,
    `  return default${name}();`,
    '}',
    '',
  ];
  if (schema.type === 'data') {
    lines.push(
      '/**',
      ' * The embedded consumer-protocol form: int16 version, then the body. A newer version than this',
      ' * codec knows is read as the newest it knows (newer versions only append fields), as Kafka does.',
      ' */',
      `export function decodeVersioned(reader: Reader): { version: number; body: ${name} } {`,
      '  const version = Math.min(reader.readInt16(), MAX_VERSION);',
      `  return { version, body: decode(reader, version) };`,
      '}',
      '',
      `export function encodeVersioned(writer: Writer, version: number, body: ${name}): void {`,
      '  writer.writeInt16(version);',
      '  encode(writer, version, body);',
      '}',
      '',
    );
  }
  return withHeader([`${name}.json`], lines.join('\n'));
}

const fixtures = {};
fs.mkdirSync(outDir, { recursive: true });
for (const api of APIS) fs.writeFileSync(path.join(outDir, `${kebab(api[0])}.ts`), genApi(api, fixtures));
for (const name of DATA) fs.writeFileSync(path.join(outDir, `${kebab(name)}.ts`), genData(name, fixtures));
const fixtureDir = path.join(root, 'test', 'protocol', 'fixtures');
fs.mkdirSync(fixtureDir, { recursive: true });
fs.writeFileSync(path.join(fixtureDir, 'schemas.json'), JSON.stringify({ apis: APIS, data: DATA, schemas: fixtures }, null, 1) + '\n');
console.log(`wrote ${APIS.length + DATA.length} modules to ${path.relative(root, outDir)}`);
