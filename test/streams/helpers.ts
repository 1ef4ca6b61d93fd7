/**
 * Shared by the streams tests: a TopologyTestDriver over a temp state dir, closed after the test.
 */
import { afterEach } from 'vitest';
import { TopologyTestDriver } from '../../src/streams/test-driver.js';
import type { Topology } from '../../src/streams/dsl/topology.js';
import type { StreamsConfig } from '../../src/streams/config.js';
import { tempDir } from '../helpers/temp-dir.js';

const drivers: TopologyTestDriver[] = [];

afterEach(async () => {
  for (const driver of drivers.splice(0)) await driver.close();
});

export function driverFor(topology: Topology, config: Partial<StreamsConfig> & { autoCommit?: boolean } = {}): TopologyTestDriver {
  const driver = new TopologyTestDriver(topology, { applicationId: 'test-app', stateDir: tempDir('brook-streams-test-'), ...config });
  drivers.push(driver);
  return driver;
}
