// Shared option handling for every `scratchnet` command: util.parseArgs with strict checking,
// our own message for unknown or malformed flags (naming the valid ones), typed number
// parsing, and --help text generated from the same table so they cannot drift apart.
import { parseArgs } from 'node:util';
import { suggest } from '../check';

/** An error meant for the user: printed as one line, no stack, with this exit code. */
export class CliError extends Error {
  constructor(message: string, readonly exitCode = 2) {
    super(message);
    this.name = 'CliError';
  }
}

export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  /** Shown in --help after the flag, e.g. '<dir>'. */
  arg?: string;
  help: string;
  /** Shown in --help as "(default: …)". */
  def?: string;
  /** May be given several times (the values are collected in order; see strs()). */
  multiple?: boolean;
}

export type OptionTable = Record<string, OptionSpec>;

export interface CommandSpec {
  name: string;
  summary: string;
  usage: string;
  options: OptionTable;
  /** Whether positional arguments are allowed (predict takes input files). */
  positionals?: boolean;
  examples?: string[];
}

export const HELP_OPTION: OptionTable = { help: { type: 'boolean', short: 'h', help: 'show this help' } };

export type ParsedValues = Record<string, string | boolean | string[] | undefined>;

export function helpText(spec: CommandSpec): string {
  const lines = [`scratchnet ${spec.name} — ${spec.summary}`, '', `Usage: ${spec.usage}`, '', 'Options:'];
  const entries = Object.entries({ ...spec.options, ...HELP_OPTION });
  const left = entries.map(([k, o]) => `${o.short ? `-${o.short}, ` : '    '}--${k}${o.arg ? ` ${o.arg}` : ''}`);
  const w = Math.max(...left.map((s) => s.length));
  entries.forEach(([, o], i) => lines.push(`  ${left[i].padEnd(w)}  ${o.help}${o.def !== undefined ? ` (default: ${o.def})` : ''}`));
  if (spec.examples?.length) lines.push('', 'Examples:', ...spec.examples.map((e) => `  ${e}`));
  return lines.join('\n');
}

/**
 * parseArgs reads the "-5" of `--epochs -5` as an option of its own and reports "--epochs needs
 * a value"; a value option followed by a negative number is joined (`--epochs=-5`) so the
 * number reaches the range check, which says what is allowed.
 */
function joinNegativeValues(argv: string[], options: OptionTable): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = argv[i + 1];
    const o = a.startsWith('--') && !a.includes('=') ? options[a.slice(2)] : undefined;
    if (o?.type === 'string' && next !== undefined && /^-(\d|\.\d|Infinity\b)/.test(next)) {
      out.push(`${a}=${next}`);
      i++;
    } else {
      out.push(a);
    }
  }
  return out;
}

/** Parses argv for a command; unknown flags and missing values become a CliError naming the valid flags. */
export function parseCommand(spec: CommandSpec, argv: string[]): { values: ParsedValues; positionals: string[] } {
  const all = { ...spec.options, ...HELP_OPTION };
  argv = joinNegativeValues(argv, all);
  const options: Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }> = {};
  for (const [k, o] of Object.entries(all)) {
    options[k] = o.short ? { type: o.type, short: o.short } : { type: o.type };
    if (o.multiple) options[k].multiple = true;
  }
  const valid = Object.keys(all).map((k) => `--${k}`).join(', ');
  try {
    const r = parseArgs({ args: argv, options, strict: true, allowPositionals: true });
    if (!spec.positionals && r.positionals.length > 0 && !r.values.help) {
      throw new CliError(`scratchnet ${spec.name}: unexpected argument '${r.positionals[0]}' (this command takes only options). Valid options: ${valid}.`);
    }
    return { values: r.values as ParsedValues, positionals: r.positionals };
  } catch (e) {
    if (e instanceof CliError) throw e;
    const err = e as NodeJS.ErrnoException;
    const msg = err.message ?? String(e);
    if (err.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
      const m = /Unknown option '([^']+)'/.exec(msg);
      const flag = m ? m[1] : '?';
      const near = suggest(flag.replace(/^-+/, ''), Object.keys(all));
      throw new CliError(`scratchnet ${spec.name}: unknown option ${flag}${near ? ` (did you mean --${near}?)` : ''}. Valid options: ${valid}.`);
    }
    if (err.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
      const m = /Option '(?:-\w, )?(--[\w-]+)[^']*'/.exec(msg);
      const flag = m ? m[1] : '';
      const o = all[flag.replace(/^--/, '')];
      if (o && o.type === 'boolean') throw new CliError(`scratchnet ${spec.name}: ${flag} is a switch and takes no value; write ${flag} alone.`);
      throw new CliError(`scratchnet ${spec.name}: ${flag || 'an option'} needs a value${o?.arg ? `, e.g. ${flag} ${o.arg}` : ''}.`);
    }
    if (err.code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') {
      throw new CliError(`scratchnet ${spec.name}: unexpected argument (${msg}). Valid options: ${valid}.`);
    }
    throw new CliError(`scratchnet ${spec.name}: ${msg}`);
  }
}

export function str(v: ParsedValues, key: string): string | undefined {
  const x = v[key];
  return typeof x === 'string' ? x : undefined;
}

/** Every value of an option declared with multiple: true, in the order given. */
export function strs(v: ParsedValues, key: string): string[] {
  const x = v[key];
  return Array.isArray(x) ? x : typeof x === 'string' ? [x] : [];
}

export function flag(v: ParsedValues, key: string): boolean {
  return v[key] === true;
}

/** A number option; `int` requires an integer; min/max bound it (inclusive). */
export function num(cmd: string, v: ParsedValues, key: string, o: { int?: boolean; min?: number; max?: number; exclusiveMin?: boolean } = {}): number | undefined {
  const s = str(v, key);
  if (s === undefined) return undefined;
  const x = Number(s);
  const what = o.int ? 'an integer' : 'a number';
  const range = o.min !== undefined ? (o.exclusiveMin ? ` > ${o.min}` : ` ≥ ${o.min}`) + (o.max !== undefined ? ` and ≤ ${o.max}` : '') : '';
  if (s.trim() === '' || !Number.isFinite(x) || (o.int && !Number.isInteger(x)) ||
    (o.min !== undefined && (o.exclusiveMin ? x <= o.min : x < o.min)) || (o.max !== undefined && x > o.max)) {
    throw new CliError(`scratchnet ${cmd}: --${key} must be ${what}${range}, received '${s}'.`);
  }
  return x;
}

export function oneOf<T extends string>(cmd: string, v: ParsedValues, key: string, allowed: readonly T[]): T | undefined {
  const s = str(v, key);
  if (s === undefined) return undefined;
  if (!allowed.includes(s as T)) {
    const near = suggest(s, [...allowed]);
    throw new CliError(`scratchnet ${cmd}: --${key} must be one of ${allowed.join(', ')}, received '${s}'${near ? ` (did you mean ${near}?)` : ''}.`);
  }
  return s as T;
}
