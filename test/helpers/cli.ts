// Runs the `scratchnet` command as a user would (bin/scratchnet.js in a child process) and
// collects its output: the CLI suites' one way of spawning it.
import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';

export const bin = path.resolve(__dirname, '..', '..', '..', 'bin', 'scratchnet.js');

export interface CliRun { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }

export interface CliOptions {
  cwd: string;
  /** Called with all stdout so far after each chunk of it. */
  onStdout?: (stdout: string, child: ChildProcess) => void;
  /** Called with all stdout + stderr so far after each chunk of either. */
  onOutput?: (all: string, child: ChildProcess) => void;
  timeoutMs?: number;
  /** Runs bin/scratchnet.js through this command line (default: this Node). */
  command?: string[];
  /** Extra environment variables for the child. */
  env?: Record<string, string>;
}

export function runCli(args: string[], opts: CliOptions): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const [cmd, ...pre] = opts.command ?? [process.execPath];
    const child = spawn(cmd, [...pre, bin, ...args], {
      cwd: opts.cwd, env: { ...process.env, SCRATCHNET_DEBUG: '', SCRATCHNET_SILENT: '1', ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    const timeoutMs = opts.timeoutMs ?? 90000;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`scratchnet ${args.join(' ')} did not finish within ${timeoutMs} ms\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, timeoutMs);
    child.stdout!.on('data', (c) => {
      stdout += c;
      opts.onStdout?.(stdout, child);
      opts.onOutput?.(stdout + stderr, child);
    });
    child.stderr!.on('data', (c) => {
      stderr += c;
      opts.onOutput?.(stdout + stderr, child);
    });
    // 'close' waits for every holder of the pipes, also a re-run child that outlived its parent.
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}
