// Runs the qkeras-wasm command line as users run it: a child process, never throwing; the exit
// code, stdout and stderr come back for the test to check.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

export const cliPath = fileURLToPath(new URL('../../../web/cli.js', import.meta.url));
const run = promisify(execFile);

/** @returns {Promise<{code: number, stdout: string, stderr: string}>} */
export async function qkw(...args) {
  try {
    const { stdout, stderr } = await run(process.execPath, [cliPath, ...args], { maxBuffer: 1 << 26, env: { ...process.env, NO_COLOR: '1' } });
    return { code: 0, stdout, stderr };
  } catch (error) {
    return { code: error.code, stdout: error.stdout, stderr: error.stderr };
  }
}
