/**
 * A real `node dist/src/server/main.js` process for the group tests, started with a short
 * group.initial.rebalance.delay.ms (BROOK_GROUP_INITIAL_REBALANCE_DELAY_MS) so rebalances in tests
 * take well under a second. Tests must run `npx tsc -p tsconfig.json` first.
 */
import { makeTempDir, start, type ServerProcess } from '../helpers/server-process.js';

export { makeTempDir };

export interface GroupServer extends ServerProcess {
  /** `127.0.0.1:<port>`. */
  broker: string;
}

export async function startGroupServer(dataDir: string, env: Record<string, string> = {}): Promise<GroupServer> {
  const server = await start({ dataDir, env: { BROOK_GROUP_INITIAL_REBALANCE_DELAY_MS: '300', ...env } });
  return { ...server, broker: server.address };
}

/** Polls `check` until it returns true; throws with `what` after `timeoutMs`. */
export async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
