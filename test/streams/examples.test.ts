/**
 * The three example topologies (examples/*.js, loaded as modules the way `brook streams run`
 * loads them) against sample log lines, through the TopologyTestDriver.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Serdes, type TimeKeyedStore } from '../../src/streams/index.js';
import { buildTopology, loadTopologyModule } from '../../src/streams/runtime/topology-module.js';
import { driverFor } from './helpers.js';

const S = Serdes.String();
const J = Serdes.JSON<unknown>();
const example = async (name: string) => buildTopology(await loadTopologyModule(path.resolve(import.meta.dirname, '../../examples', name)));
const at = (hhmmss: string) => Date.parse(`2024-05-01T${hhmmss}.000Z`);

describe('examples', () => {
  it('error-alerts.js sends ERROR and FATAL lines as JSON alerts keyed by service', async () => {
    const driver = driverFor(await example('error-alerts.js'), { applicationId: 'error-alerts' });
    const logs = driver.createInputTopic('logs', S, S);
    logs.pipeInput(null, '2024-05-01T12:00:01.000Z web INFO started', 1);
    logs.pipeInput(null, '2024-05-01T12:00:02.000Z web ERROR upstream timed out', 2);
    logs.pipeInput(null, '2024-05-01T12:00:03.000Z db FATAL disk full', 3);
    expect(driver.createOutputTopic('alerts', S, J).readKeyValuesToList()).toEqual([
      ['web', { time: '2024-05-01T12:00:02.000Z', level: 'ERROR', message: 'upstream timed out' }],
      ['db', { time: '2024-05-01T12:00:03.000Z', level: 'FATAL', message: 'disk full' }],
    ]);
  });

  it('log-level-counts.js emits each service and level count per minute once the minute closes', async () => {
    const driver = driverFor(await example('log-level-counts.js'), { applicationId: 'log-level-counts' });
    const logs = driver.createInputTopic('logs', S, S);
    for (const line of ['12:00:05 web ERROR a', '12:00:07 web ERROR b', '12:00:30 web INFO c', '12:00:50 db ERROR d', '12:01:05 web INFO e']) {
      const [time, ...rest] = line.split(' ');
      logs.pipeInput(null, `2024-05-01T${time}.000Z ${rest.join(' ')}`, 0);
    }
    const out = driver.createOutputTopic('log-level-counts', S, J);
    // 12:01:05 is within the 10 s grace of the 12:00 minute: nothing final yet
    expect(out.readKeyValuesToList()).toEqual([]);
    logs.pipeInput(null, '2024-05-01T12:01:10.000Z web INFO f', 0);
    expect(out.readKeyValuesToList()).toEqual([
      ['web ERROR 2024-05-01T12:00:00.000Z', 2], ['web INFO 2024-05-01T12:00:00.000Z', 1], ['db ERROR 2024-05-01T12:00:00.000Z', 1],
    ]);
  });

  it('user-sessions.js counts requests per user session (30-minute gap) and keeps them queryable', async () => {
    const driver = driverFor(await example('user-sessions.js'), { applicationId: 'user-sessions' });
    const access = driver.createInputTopic('access-logs', S, S);
    for (const [time, user] of [['12:00:00', 'alice'], ['12:05:00', 'bob'], ['12:10:00', 'alice'], ['12:50:00', 'alice']]) {
      access.pipeInput(null, `2024-05-01T${time}.000Z ${user} GET / 200`, 0);
    }
    expect(driver.createOutputTopic('user-sessions', S, J).readKeyValuesToList()).toEqual([
      ['alice', { start: '2024-05-01T12:00:00.000Z', end: '2024-05-01T12:00:00.000Z', requests: 1 }],
      ['bob', { start: '2024-05-01T12:05:00.000Z', end: '2024-05-01T12:05:00.000Z', requests: 1 }],
      ['alice', null], // [12:00, 12:00] merged into [12:00, 12:10]
      ['alice', { start: '2024-05-01T12:00:00.000Z', end: '2024-05-01T12:10:00.000Z', requests: 2 }],
      ['alice', { start: '2024-05-01T12:50:00.000Z', end: '2024-05-01T12:50:00.000Z', requests: 1 }],
    ]);
    const sessions = driver.getStore<TimeKeyedStore>('sessions').fetch('alice', 0, at('23:59:59'));
    expect(sessions.map((s) => [s.suffix, s.time, s.value])).toEqual([[at('12:00:00'), at('12:10:00'), 2], [at('12:50:00'), at('12:50:00'), 1]]);
  });
});
