/**
 * Stand-alone entry: `node dist/src/server/main.js [--host H] [--port P] [--data-dir D] ...` runs
 * the Kafka protocol server without the CLI, printing `listening on <host>:<port>` on stdout once
 * it accepts connections (tests start real server processes this way). Exit codes: 0 after a
 * graceful shutdown, 1 when it cannot start (e.g. the data dir is locked, the port is taken).
 */
import { Command } from 'commander';
import { addServeOptions, serveOptionsFrom } from './options.js';
import { runServe } from './run.js';

const program = addServeOptions(new Command('brook-server').description('Kafka protocol server over a Brook data dir'), true);
program.parse(process.argv);

try {
  const running = await runServe(serveOptionsFrom(program.opts()));
  await running.closed;
  // Everything is flushed and closed; a long-poll timer left by a cut connection must not keep
  // the process alive.
  process.exit(0);
} catch (error) {
  process.stderr.write(`brook: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
}
