/**
 * Entry point of a stream worker thread: builds the topology from its module, runs one
 * StreamThread over a RemoteBackend, and answers the main thread's control messages
 * (thread-handle.ts has the protocol).
 */
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { TaskMigratedError } from '../errors.js';
import { RemoteBackend } from './backend-proxy.js';
import type { OffsetToCommit } from './commit.js';
import { StreamThread, type ThreadHost } from './stream-thread.js';
import type { MainToWorker, WorkerData, WorkerToMain } from './thread-handle.js';
import { buildTopology, loadTopologyModule } from './topology-module.js';

const data = workerData as WorkerData & { backendPort: MessagePort };
const port = parentPort!;
const post = (message: WorkerToMain): void => port.postMessage(message);

const commits = new Map<number, { resolve(): void; reject(err: Error): void }>();
let nextCommitId = 0;

const host: ThreadHost = {
  commitOffsets(offsets: OffsetToCommit[]): Promise<void> {
    return new Promise((resolve, reject) => {
      const id = nextCommitId++;
      commits.set(id, { resolve, reject });
      post({ type: 'commit', id, offsets });
    });
  },
  log: (message) => post({ type: 'log', message }),
  fatal: (error) => post({ type: 'fatal', message: error.message }),
};

const topology = buildTopology(await loadTopologyModule(data.topologyHref));
const backend = new RemoteBackend(data.backendPort, data.autoCreateTopics, data.numPartitions);
const thread = new StreamThread(topology, data.config, backend, host, data.index);
thread.start();

async function handle(message: MainToWorker): Promise<unknown> {
  switch (message.type) {
    case 'assign':
      return thread.assign(message.tasks);
    case 'revoke':
      return thread.revoke();
    case 'query':
      return thread.query(message.query);
    case 'status':
      return thread.status();
    case 'close':
      await thread.close();
      await backend.close();
      data.backendPort.close();
      return undefined;
    case 'commitResult':
      return undefined;
  }
}

port.on('message', (message: MainToWorker) => {
  if (message.type === 'commitResult') {
    const call = commits.get(message.id);
    commits.delete(message.id);
    if (message.error === null) call?.resolve();
    else call?.reject(message.error.migrated ? new TaskMigratedError(message.error.message) : new Error(message.error.message));
    return;
  }
  handle(message).then(
    (value) => post({ type: 'result', id: message.id, value }),
    (err: Error) => post({ type: 'result', id: message.id, error: err.message }),
  );
});
post({ type: 'ready' });
