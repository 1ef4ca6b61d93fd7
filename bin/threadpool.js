'use strict';
/**
 * libuv's threadpool size for Brook's processes (bin/brook sets it before anything starts the
 * pool, which reads UV_THREADPOOL_SIZE once). Fetches read segment files on that pool; libuv's
 * default of 4 threads on a 2-core machine fought the event loop for the cores and cost a quarter
 * of consume throughput at 16 partitions (measured with `brook bench` on tmpfs: 0.72-0.80 of the
 * single-thread read with 4 threads, 0.92-1.02 with 2). So: one thread per core, at least 2 and
 * never more than libuv's own 4; a value the user set is kept.
 */
function threadpoolSize(env, cores) {
  if (env.UV_THREADPOOL_SIZE !== undefined) return env.UV_THREADPOOL_SIZE;
  return String(Math.max(2, Math.min(4, cores)));
}

module.exports = { threadpoolSize };
