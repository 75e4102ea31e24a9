// What the benchmark scripts share: flag checks that exit naming the script, medians, and the
// native backend every timing needs.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { loadNative, type NativeBackend } from '../lib/backend/native';

/** Prints "<script>: message" to stderr and exits with status 2 (a usage error). */
export type Fail = (message: string) => never;

export function failFor(script: string): Fail {
  return (message: string): never => {
    process.stderr.write(`${script}: ${message}\n`);
    process.exit(2);
  };
}

/**
 * node:util's parseArgs, strict: an unknown flag or a missing value ends the script with `usage`;
 * `--help` / `-h` (added to every script's flags) prints `usage` and exits 0.
 */
export function parseFlags<O extends NonNullable<ParseArgsConfig['options']>>(fail: Fail, options: O, usage: string):
  ReturnType<typeof parseArgs<{ options: O; strict: true }>>['values'] {
  let values: Record<string, unknown>;
  try {
    values = parseArgs({ options: { ...options, help: { type: 'boolean', short: 'h' } }, strict: true }).values;
  } catch (e) {
    return fail(`${(e as Error).message}.\n${usage}`);
  }
  if (values.help) {
    process.stdout.write(usage.endsWith('\n') ? usage : `${usage}\n`);
    process.exit(0);
  }
  return values as ReturnType<typeof parseArgs<{ options: O; strict: true }>>['values'];
}

export function median(a: readonly number[]): number {
  if (a.length === 0) return NaN;
  const s = [...a].sort((x, y) => x - y);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** An integer flag ≥ min, or undefined when not given. */
export function intFlag(fail: Fail, name: string, v: string | undefined, min = 1): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v.trim() === '' || !Number.isInteger(n) || n < min) fail(`--${name} must be an integer ≥ ${min}, received '${v}'.`);
  return n;
}

/** --seeds a,b,c as integers ≥ 0. */
export function seedList(fail: Fail, text: string): number[] {
  return text.split(',').map((s) => {
    const n = Number(s.trim());
    if (s.trim() === '' || !Number.isInteger(n) || n < 0) fail(`--seeds must be comma-separated integers ≥ 0, received '${text}'.`);
    return n;
  });
}

/** The native backend (with `threads` kernel threads when given); exits with the loader's reason when it is missing. */
export function requireNative(fail: Fail, threads?: number): NativeBackend {
  const { backend, error } = loadNative();
  if (!backend) return fail(`the native backend is required for this benchmark and did not load:\n${error}`);
  if (threads !== undefined) backend.setNumThreads(threads);
  return backend;
}
