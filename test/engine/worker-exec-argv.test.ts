import { describe, expect, it } from 'vitest';
import { workerExecArgv } from '../../src/engine/worker-exec-argv.js';

describe('workerExecArgv', () => {
  it('drops main-script-only flags (regression: `node --input-type=module -e` stopped every worker from starting)', () => {
    expect(workerExecArgv(['--input-type=module', '-e', 'await main()'])).toEqual([]);
    expect(workerExecArgv(['--input-type', 'module', '--eval', 'x', '-p', 'y', '--print=z'])).toEqual([]);
  });

  it('keeps flags that matter to workers too', () => {
    expect(workerExecArgv(['--enable-source-maps', '--max-old-space-size=512', '--input-type=module', '-e', 's'])).toEqual([
      '--enable-source-maps',
      '--max-old-space-size=512',
    ]);
  });
});
