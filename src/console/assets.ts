/**
 * The console's static files (src/console/static: one stylesheet, one ES module of small Web
 * Components), served by Brook itself: no build step, no CDN. They ship in the npm package as
 * they are in the repository and are read once, at first request. Main thread.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const TYPES: Record<string, string> = { '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8', '.svg': 'image/svg+xml' };

/** The package root: the nearest directory above this module with a package.json (src/ or dist/src/ both work). */
function packageRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!fs.existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('the console cannot find its package root');
    dir = parent;
  }
  return dir;
}

const STATIC_DIR = path.join(packageRoot(), 'src', 'console', 'static');
const cache = new Map<string, { body: Buffer; type: string }>();

/** The asset named `name` (a bare file name in the static dir), or null. */
export function asset(name: string): { body: Buffer; type: string } | null {
  const type = TYPES[path.extname(name)];
  if (type === undefined || name.includes('/') || name.includes('\\') || name.startsWith('.')) return null;
  let found = cache.get(name);
  if (found === undefined) {
    try {
      found = { body: fs.readFileSync(path.join(STATIC_DIR, name)), type };
    } catch {
      return null;
    }
    cache.set(name, found);
  }
  return found;
}
