/**
 * A real `brook serve --http 127.0.0.1:0` process (server-process.ts) with the HTTP listener's URL
 * read from its "http on <url>" line: for the metrics, console and health tests.
 */
import { start, type ServerProcess, type StartOptions } from './server-process.js';

export interface HttpServerProcess extends ServerProcess {
  /** e.g. http://127.0.0.1:41234 */
  httpUrl: string;
}

export async function startWithHttp(options: StartOptions = {}): Promise<HttpServerProcess> {
  const server = await start({ ...options, args: ['--http', '127.0.0.1:0', ...(options.args ?? [])] });
  const deadline = Date.now() + 30_000;
  while (!/http on \S+\n/.test(server.stdout())) {
    if (Date.now() > deadline) {
      await server.stop();
      throw new Error(`no "http on" line from brook serve; stderr: ${server.stderr()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return { ...server, httpUrl: /http on (\S+)\n/.exec(server.stdout())![1]! };
}

/** Polls `check` until it holds (generous deadline; no timing is asserted). */
export async function eventually(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
