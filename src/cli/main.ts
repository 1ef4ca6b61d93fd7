/**
 * The `brook` command line. Every command works through a BrookBackend (context.ts): the
 * in-process broker over --data-dir, or with --broker host:port the Kafka protocol to a running
 * `brook serve` (or any Kafka broker).
 *
 * Start-up: each command's module (and what it imports) is loaded only when that command runs.
 * `brook produce ...` registers produce alone; a run naming no known command (`brook --help`, a
 * typo that needs "did you mean") registers them all. Node 20 caches no compiled code, so every
 * module loaded is paid for at each start of a short pipe command.
 */
import { fileURLToPath } from 'node:url';
import { Command, Option } from 'commander';
import { DATA_DIR_DEFAULT } from '../embedded/defaults.js';
import { prestartWorker } from '../engine/worker-prestart.js';

type Register = (program: Command) => void;

/** Every command, by name, with what registers it. */
const COMMANDS: Readonly<Record<string, () => Promise<Register>>> = {
  topics: async () => { const m = await import('./commands/topics.js'); return (p) => p.addCommand(m.topicsCommand()); },
  produce: async () => { const m = await import('./commands/produce.js'); return (p) => p.addCommand(m.produceCommand()); },
  consume: async () => { const m = await import('./commands/consume.js'); return (p) => p.addCommand(m.consumeCommand()); },
  groups: async () => { const m = await import('./commands/groups.js'); return (p) => p.addCommand(m.groupsCommand()); },
  demo: async () => { const m = await import('./commands/demo.js'); return (p) => p.addCommand(m.demoCommand()); },
  mirror: async () => { const m = await import('./commands/mirror.js'); return (p) => p.addCommand(m.mirrorCommand()); },
  tail: async () => { const m = await import('./commands/tail.js'); return (p) => p.addCommand(m.tailCommand()); },
  streams: async () => { const m = await import('./commands/streams.js'); return (p) => p.addCommand(m.streamsCommand()); },
  top: async () => { const m = await import('./commands/top.js'); return (p) => p.addCommand(m.topCommand()); },
  serve: async () => { const m = await import('./commands/serve.js'); return (p) => void m.registerServeCommand(p); },
  users: async () => { const m = await import('../server/security/users-command.js'); return (p) => void m.registerUsersCommand(p); },
  bench: async () => { const m = await import('./commands/bench.js'); return (p) => m.registerBenchCommand(p); },
};

/** Global options that take a value: their value is not the command name. */
const GLOBAL_OPTIONS_WITH_VALUE = new Set(['-d', '--data-dir', '-b', '--broker']);

/** The command `argv` names, if it names a known one before any other word. */
function commandNamed(argv: readonly string[]): string | null {
  for (let i = 2; i < argv.length; i++) {
    const arg = argv[i]!;
    if (GLOBAL_OPTIONS_WITH_VALUE.has(arg)) {
      i++;
      continue;
    }
    if (arg.startsWith('-')) continue; // --data-dir=x, --version, --help: no command yet
    return Object.hasOwn(COMMANDS, arg) ? arg : null;
  }
  return null;
}

export async function buildProgram(argv: readonly string[] = process.argv): Promise<Command> {
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
  const named = commandNamed(argv);
  const names = named === null ? Object.keys(COMMANDS) : [named];
  const registers = await Promise.all(names.map((name) => COMMANDS[name]!()));
  for (const register of registers) register(program);
  for (const command of allCommands(program)) {
    command.configureOutput(program.configureOutput());
    command.showSuggestionAfterError(true);
  }
  return program;
}

/** Commands that append to or read partitions of a data dir in this process (unless --broker). */
const PARTITION_COMMANDS = new Set(['produce', 'consume', 'tail', 'demo']);

/**
 * Starts a partition worker now, to load its modules while this thread loads the command's
 * (worker-prestart.ts): one line through `brook produce` took 0.40 s instead of 0.48 s. Not for
 * --help, --broker, or a command that opens no partition.
 */
function prestartPartitionWorker(argv: readonly string[]): void {
  const named = commandNamed(argv);
  if (named === null || !PARTITION_COMMANDS.has(named)) return;
  if (process.env.BROOK_BROKER !== undefined || argv.some((a) => a === '-b' || a.startsWith('--broker') || a === '-h' || a === '--help')) return;
  if (!import.meta.url.endsWith('.js')) return; // run from sources (tests): no compiled worker beside it
  prestartWorker(fileURLToPath(new URL('../engine/partition/partition-worker.js', import.meta.url)));
}

function allCommands(command: Command): Command[] {
  return command.commands.flatMap((c) => [c, ...allCommands(c)]);
}

prestartPartitionWorker(process.argv);
await (await buildProgram()).parseAsync(process.argv);
