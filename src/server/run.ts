/**
 * `brook serve` as a function: open the Broker, listen, print the ready line, shut down gracefully
 * on SIGINT/SIGTERM (stop accepting, finish in-flight requests, close the Broker). Shared by the
 * CLI command (src/cli/commands/serve.ts) and the stand-alone entry (src/server/main.ts).
 */
import { Broker } from '../engine/broker.js';
import { faultSpecFromEnv } from '../engine/fault-injection.js';
import { coordinatorSettingsFromEnv } from '../engine/coordinator/coordinator-config.js';
import { BrookServer } from './server.js';
import { exposureWarning, serverSecurityFrom } from './security/config.js';
import type { ServeCommandOptions } from './options.js';
import { HttpListener } from '../http/listener.js';
import { recordKafkaAddress } from '../storage/data-dir.js';
import { httpRoutes } from '../http/routes.js';
import { prepareServeInputs, startServeInputs } from '../inputs/serve-inputs.js';
import type { InputSet } from '../inputs/input-set.js';

export interface RunningServer {
  server: BrookServer;
  /** The `--http` listener, when asked for. */
  http: HttpListener | null;
  /** The log inputs (--syslog, --tail), when asked for. */
  inputs: InputSet | null;
  /** Settles once the server and the Broker are closed (after a signal or `stop()`). */
  closed: Promise<void>;
  stop(): Promise<void>;
}

export async function runServe(options: ServeCommandOptions, write: (line: string) => void = (line) => process.stdout.write(line)): Promise<RunningServer> {
  // Security files are read first: a bad one stops us before the data dir is opened.
  const startedMs = performance.now();
  const security = serverSecurityFrom(options);
  const inputsConfig = prepareServeInputs(options.inputs, options.dataDir, security.tls);
  const warning = exposureWarning(options.host, security);
  if (warning !== null) process.stderr.write(`brook: ${warning}`);
  const broker = await Broker.open({
    dataDir: options.dataDir,
    ...(options.workers === undefined ? {} : { workers: options.workers }),
    // Listen at once; partitions open (and recover) in the background, or on first use.
    openPartitions: 'background',
    coordinators: coordinatorSettingsFromEnv(),
    // Process-level fault tests (test/sim/) arm seeded I/O faults in the workers this way.
    faults: faultSpecFromEnv(),
  });
  const server = new BrookServer(broker, {
    host: options.host,
    port: options.port,
    advertisedHost: options.advertisedHost,
    autoCreateTopics: options.autoCreateTopics,
    numPartitions: options.numPartitions,
    dataDir: options.dataDir,
    ...security,
  });
  let http: HttpListener | null = null;
  let inputs: InputSet | null = null;
  try {
    await server.listen();
    if (options.http !== undefined) {
      const users = security.security?.users ?? null;
      const connections = (): Record<string, number> => ({ kafka: server.connectionCount, http: http?.connectionCount ?? 0 });
      const ingest = { autoCreateTopics: options.autoCreateTopics, numPartitions: options.numPartitions };
      http = await HttpListener.listen(httpRoutes({ broker, security: security.security, requestMetrics: server.requestMetrics, connections, ...ingest }), {
        ...options.http,
        tls: security.tls,
        authenticate: users === null ? undefined : (username, password) => users.checkPassword(username, password),
      });
    }
    if (inputsConfig !== null) inputs = await startServeInputs(broker, inputsConfig, options, (line) => process.stderr.write(`brook: ${line}\n`));
  } catch (error) {
    await Promise.allSettled([server.close(), http?.close()]);
    await broker.close();
    throw error;
  }
  let resolveClosed!: () => void;
  let rejectClosed!: (error: unknown) => void;
  const closed = new Promise<void>((resolve, reject) => {
    resolveClosed = resolve;
    rejectClosed = reject;
  });
  let stopping = false;
  const stop = (): Promise<void> => {
    if (!stopping) {
      stopping = true;
      // Inputs first: what they read is acknowledged (and checkpointed) while the broker is open.
      Promise.allSettled([inputs?.close()])
        .then(() => Promise.all([server.close(), http?.close()]))
        .finally(() => broker.close())
        .then(resolveClosed, rejectClosed);
    }
    return closed;
  };
  let signalCount = 0;
  function onSignal(): void {
    // A second signal while draining means "now": exit without waiting.
    if (++signalCount > 1) process.exit(130);
    void stop();
  }
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const removeSignalHandlers = (): void => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  };
  closed.then(removeSignalHandlers, removeSignalHandlers);
  // Other commands on this data dir work through this server (cli/context.ts reads the lock).
  recordKafkaAddress(broker.dataDir, localAddress(server.host, server.port), security.tls !== undefined || security.security !== undefined);
  write(`listening on ${server.host}:${server.port}\n`);
  if (http !== null) write(`http on ${http.url}\n`);
  for (const input of inputs?.syslog ?? []) write(`syslog on ${input.url}\n`);
  // Partitions open (and recover) in the background; say when they all have.
  void broker.whenOpened().then(() => {
    if (stopping) return;
    const { partitionsOpen, partitionsTotal, partitionsOffline } = broker.readiness();
    const offline = partitionsOffline > 0 ? `, ${partitionsOffline} offline (see the log and /readyz)` : '';
    write(`ready: ${partitionsOpen} of ${partitionsTotal} partitions open${offline} after ${((performance.now() - startedMs) / 1000).toFixed(1)} s\n`);
  });
  return { server, http, inputs, closed, stop };
}

/** Where a client on this host reaches a listener bound to `host` (any-address binds: loopback). */
function localAddress(host: string, port: number): string {
  if (host === '0.0.0.0' || host === '') return `127.0.0.1:${port}`;
  if (host === '::') return `[::1]:${port}`;
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
