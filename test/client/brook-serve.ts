/**
 * A real `brook serve` process with a temp data dir for the client tests (the shared starter in
 * test/helpers/server-process.ts); stop() also removes the data dir. Not a test file itself.
 */
import fs from 'node:fs';
import { start } from '../helpers/server-process.js';

export interface RunningServe {
  address: string;
  dataDir: string;
  stop(): Promise<void>;
}

export async function startBrookServe(extraArgs: string[] = []): Promise<RunningServe> {
  const server = await start({ args: extraArgs });
  return {
    address: server.address,
    dataDir: server.dataDir,
    async stop() {
      await server.stop();
      fs.rmSync(server.dataDir, { recursive: true, force: true });
    },
  };
}
