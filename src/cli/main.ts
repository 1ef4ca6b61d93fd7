/**
 * The `brook` command line. Every command works through a BrookBackend (context.ts): the
 * in-process broker over --data-dir, or with --broker host:port the Kafka protocol to a running
 * `brook serve` (or any Kafka broker).
 */
import { Command, Option } from 'commander';
import { DATA_DIR_DEFAULT } from '../embedded/brook.js';
import { consumeCommand } from './commands/consume.js';
import { demoCommand } from './commands/demo.js';
import { groupsCommand } from './commands/groups.js';
import { produceCommand } from './commands/produce.js';
import { topicsCommand } from './commands/topics.js';
import { mirrorCommand } from './commands/mirror.js';
import { registerServeCommand } from './commands/serve.js';
import { registerBenchCommand } from './commands/bench.js';
import { registerUsersCommand } from '../server/security/users-command.js';
import { topCommand } from './commands/top.js';

export function buildProgram(): Command {
  const program = new Command('brook')
    .description('Brook: a single-host, Kafka-compatible event streaming engine')
    .version('0.1.0')
    .addOption(new Option('-d, --data-dir <dir>', 'data directory').env('BROOK_DATA_DIR').default(DATA_DIR_DEFAULT))
    .addOption(new Option('-b, --broker <host:port>', 'work through a running `brook serve` (or Kafka broker) instead of --data-dir')
      .env('BROOK_BROKER'))
    .showSuggestionAfterError(true)
    .configureOutput({
      // Flag errors follow the CLI's rule: one line, "brook: <message>".
      outputError: (message, write) => write(`brook: ${message.replace(/^error: /, '').trim().replace(/\s*\n\s*/g, ' ')}\n`),
    });
  program.addCommand(topicsCommand());
  program.addCommand(produceCommand());
  program.addCommand(consumeCommand());
  program.addCommand(groupsCommand());
  program.addCommand(demoCommand());
  program.addCommand(mirrorCommand());
  program.addCommand(topCommand());
  registerServeCommand(program);
  registerUsersCommand(program);
  registerBenchCommand(program);
  for (const command of allCommands(program)) {
    command.configureOutput(program.configureOutput());
    command.showSuggestionAfterError(true);
  }
  return program;
}

function allCommands(command: Command): Command[] {
  return command.commands.flatMap((c) => [c, ...allCommands(c)]);
}

await buildProgram().parseAsync(process.argv);
