/**
 * The Node flags Brook's worker threads start with. A Worker inherits `process.execArgv`, and
 * some flags are meaningful only for the main script: an application started with
 * `node --input-type=module -e '...'` would otherwise give every worker `--input-type`, which Node
 * refuses for a file ("--input-type can only be used with string input"), and no worker would
 * start. Those flags (and the eval/print script that follows them) are dropped; the rest
 * (--enable-source-maps, --max-old-space-size, ...) is kept.
 */
const WITH_VALUE = new Set(['-e', '--eval', '-p', '--print', '--input-type']);

export function workerExecArgv(execArgv: readonly string[] = process.execArgv): string[] {
  const kept: string[] = [];
  for (let i = 0; i < execArgv.length; i++) {
    const arg = execArgv[i]!;
    if (WITH_VALUE.has(arg)) {
      i++; // and its value
      continue;
    }
    if (arg.startsWith('--input-type=') || arg.startsWith('--eval=') || arg.startsWith('--print=')) continue;
    kept.push(arg);
  }
  return kept;
}
