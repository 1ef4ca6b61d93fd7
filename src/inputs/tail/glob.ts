/**
 * The files `brook tail PATH|GLOB...` follows: shell-style patterns, matched per path segment —
 * `*` (any characters but '/'), `?` (one), `[abc]` / `[a-z]` / `[!abc]` (a set), and `**` as a
 * whole segment (any depth of directories, at most DEPTH_MAX). Names starting with '.' match only
 * patterns that start with '.', as in the shell. Only regular files are returned, sorted, as
 * absolute paths. (Node 20 has no fs.glob; this is the small part of it tailing needs.)
 */
import fs from 'node:fs/promises';
import path from 'node:path';

const DEPTH_MAX = 16;

export function hasMagic(segment: string): boolean {
  return /[*?[]/.test(segment);
}

/** The directories to watch for a pattern: its longest literal prefix (its parent if literal). */
export function watchRoot(pattern: string): string {
  const absolute = path.resolve(pattern);
  const segments = absolute.split(path.sep);
  const firstMagic = segments.findIndex(hasMagic);
  if (firstMagic === -1) return path.dirname(absolute);
  return segments.slice(0, firstMagic).join(path.sep) || path.sep;
}

export function segmentRegExp(segment: string): RegExp {
  let source = '';
  for (let i = 0; i < segment.length; i++) {
    const c = segment[i]!;
    if (c === '*') source += '[^/]*';
    else if (c === '?') source += '[^/]';
    else if (c === '[') {
      const close = segment.indexOf(']', i + 2);
      if (close === -1) {
        source += '\\[';
        continue;
      }
      let set = segment.slice(i + 1, close);
      if (set.startsWith('!')) set = `^${set.slice(1)}`;
      source += `[${set.replace(/\\/g, '\\\\')}]`;
      i = close;
    } else source += c.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(`^${source}$`);
}

/** Every regular file matching one of `patterns` (relative ones from the current directory). */
export async function expandGlobs(patterns: readonly string[]): Promise<string[]> {
  const found = new Set<string>();
  for (const pattern of patterns) {
    const absolute = path.resolve(pattern);
    const segments = absolute.split(path.sep).slice(1);
    await walk(path.sep, segments, found, 0);
  }
  return [...found].sort();
}

async function walk(dir: string, segments: string[], found: Set<string>, depth: number): Promise<void> {
  if (segments.length === 0) {
    if (await isFile(dir)) found.add(dir);
    return;
  }
  const [segment, ...rest] = segments as [string, ...string[]];
  if (segment === '**') {
    await walk(dir, rest, found, depth); // zero directories
    if (depth >= DEPTH_MAX) return;
    for (const entry of await listDir(dir)) {
      if (entry.isDirectory() && !entry.name.startsWith('.')) await walk(path.join(dir, entry.name), segments, found, depth + 1);
    }
    return;
  }
  if (!hasMagic(segment)) {
    await walk(path.join(dir, segment), rest, found, depth);
    return;
  }
  const matcher = segmentRegExp(segment);
  for (const entry of await listDir(dir)) {
    if (entry.name.startsWith('.') && !segment.startsWith('.')) continue;
    if (matcher.test(entry.name)) await walk(path.join(dir, entry.name), rest, found, depth);
  }
}

async function listDir(dir: string): Promise<import('node:fs').Dirent[]> {
  try {
    return await fs.readdir(dir, { withFileTypes: true });
  } catch {
    return []; // gone or unreadable: nothing to follow there (yet)
  }
}

async function isFile(file: string): Promise<boolean> {
  try {
    return (await fs.stat(file)).isFile();
  } catch {
    return false;
  }
}
