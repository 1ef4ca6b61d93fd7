/**
 * Stand-alone entry for the users file: `node dist/src/server/security/users-main.js users add
 * alice --mechanism SCRAM-SHA-512 --password-stdin --file users.json` (exit 1 on a bad file).
 */
import { Command } from 'commander';
import { registerUsersCommand } from './users-command.js';

const program = new Command('brook-users');
registerUsersCommand(program);
try {
  await program.parseAsync(process.argv);
} catch (error) {
  process.stderr.write(`brook: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
}
