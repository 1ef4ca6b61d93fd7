/** The launcher's threadpool size: one thread per core between 2 and libuv's 4, a user's setting kept. */
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';

const { threadpoolSize } = createRequire(import.meta.url)('../../bin/threadpool.js') as { threadpoolSize: (env: NodeJS.ProcessEnv, cores: number) => string };

describe('bin/brook threadpool size', () => {
  it('is one thread per core, at least 2 and at most 4', () => {
    expect([1, 2, 3, 4, 64].map((cores) => threadpoolSize({}, cores))).toEqual(['2', '2', '3', '4', '4']);
  });

  it('keeps what the user set', () => {
    expect(threadpoolSize({ UV_THREADPOOL_SIZE: '16' }, 2)).toBe('16');
  });
});
