/**
 * `brook serve`: runs the Kafka protocol server (src/server/) over the --data-dir. Registered by
 * src/cli/main.ts with `registerServeCommand(program)`.
 */
import { Command } from 'commander';
import { addServeOptions, serveOptionsFrom } from '../../server/options.js';

export function registerServeCommand(program: Command): Command {
  const command = addServeOptions(
    new Command('serve').description('serve the Kafka protocol (kcat, kafkajs, librdkafka, Java clients) on --host:--port'),
    false,
  ).action(async (_opts: unknown, self: Command) => {
    const options = serveOptionsFrom(self.optsWithGlobals());
    try {
      // Loaded here, not at the top: every other `brook` command (and --help) starts without the engine.
      const { runServe } = await import('../../server/run.js');
      const running = await runServe(options);
      await running.closed;
    } catch (error) {
      process.stderr.write(`brook: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    }
    // Flushed and closed; a long-poll timer of a cut connection must not keep the process alive.
    process.exit(0);
  });
  program.addCommand(command);
  return command;
}
