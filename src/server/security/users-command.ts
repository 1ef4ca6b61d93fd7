/**
 * `users add <name> --mechanism SCRAM-SHA-256 --password-stdin --file users.json`: writes a SASL
 * user into the file `--sasl-users` reads (SCRAM: salted credentials only; PLAIN: the password).
 * Registered by users-main.ts (`node dist/src/server/security/users-main.js users add ...`) and
 * ready for the CLI (`registerUsersCommand(program)` gives `brook users add`).
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { addUser, isSaslMechanism, SASL_MECHANISMS, type SaslMechanism } from './credentials.js';
import { SCRAM_ITERATIONS_DEFAULT, SCRAM_ITERATIONS_MIN } from './scram.js';

function parseIterations(raw: string): number {
  const count = Number(raw);
  if (!/^\d+$/.test(raw) || count < SCRAM_ITERATIONS_MIN) throw new InvalidArgumentError(`must be an integer >= ${SCRAM_ITERATIONS_MIN}`);
  return count;
}

async function readFirstLine(stream: NodeJS.ReadableStream): Promise<string> {
  let text = '';
  for await (const chunk of stream) text += String(chunk);
  return text.split(/\r?\n/)[0] ?? '';
}

export function registerUsersCommand(program: Command): Command {
  const users = new Command('users').description('manage the SASL users file read by serve --sasl-users');
  users
    .command('add <name>')
    .description('add or replace a user (one entry per mechanism)')
    .addOption(new Option('--mechanism <mechanism>', 'SASL mechanism').choices([...SASL_MECHANISMS]).default('SCRAM-SHA-256'))
    .option('--password-stdin', 'read the password from the first line of stdin')
    .option('--password <password>', 'the password (visible in the process list: prefer --password-stdin)')
    .addOption(new Option('--iterations <n>', 'SCRAM iterations').default(SCRAM_ITERATIONS_DEFAULT).argParser(parseIterations))
    .requiredOption('--file <file>', 'users file (created with mode 0600 when missing)')
    .action(async (name: string, opts: { mechanism: string; passwordStdin?: boolean; password?: string; iterations: number; file: string }) => {
      if (opts.passwordStdin === true && opts.password !== undefined) throw new InvalidArgumentError('give --password or --password-stdin, not both');
      const password = opts.passwordStdin === true ? await readFirstLine(process.stdin) : opts.password;
      if (password === undefined || password.length === 0) {
        process.stderr.write('brook: a non-empty password is needed (--password-stdin or --password)\n');
        process.exitCode = 1;
        return;
      }
      if (!isSaslMechanism(opts.mechanism)) throw new InvalidArgumentError(`unknown mechanism ${opts.mechanism}`);
      addUser(opts.file, name, opts.mechanism as SaslMechanism, password, opts.iterations);
      process.stdout.write(`added ${opts.mechanism} user '${name}' to ${opts.file}\n`);
    });
  program.addCommand(users);
  return users;
}
