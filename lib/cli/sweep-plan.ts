// The plan of a hyperparameter sweep: what each --param ranges over, and the values of every
// trial, drawn once from the sweep's seed (random search, the book's ch. 6: lr = 10^U(-6,-2))
// or enumerated (grid). The plan is written to <dir>/sweep.json before any trial runs, so every
// trial — on this machine or on another one — reads the same values, and a resumed sweep
// never draws again.
import { Rng } from '../tensor/rng';
import { CliError } from './options';

export type SearchKind = 'random' | 'grid';

/** One --param: the train flag it sets and the values it takes. */
export type ParamSpec =
  | { name: string; kind: 'log' | 'lin'; lo: number; hi: number; count?: number }
  | { name: string; kind: 'int'; lo: number; hi: number }
  | { name: string; kind: 'list'; values: string[] };

export interface TrialPlan {
  index: number;
  /** The trial's directory name inside the sweep directory. */
  name: string;
  /** Flag name → value, as passed on the trial's train command line. */
  values: Record<string, string | number>;
}

const SYNTAX = 'name=log:LO:HI (10^uniform), name=lin:LO:HI (uniform), name=int:LO:HI, or name=a,b,c (a list); for --search grid, log:LO:HI:N and lin:LO:HI:N give N points';

/** Parses one --param argument, e.g. 'lr=log:1e-6:1e-2', 'batch-size=50,100', 'lr=lin:0.001:0.01:4'. */
export function parseParam(arg: string, search: SearchKind): ParamSpec {
  const eq = arg.indexOf('=');
  if (eq <= 0 || eq === arg.length - 1) {
    throw new CliError(`scratchnet sweep: --param '${arg}' is not name=values. Write ${SYNTAX}.`);
  }
  const name = arg.slice(0, eq).replace(/^--/, '');
  const body = arg.slice(eq + 1);
  const m = /^(log|lin|int):(.*)$/.exec(body);
  if (!m) {
    const values = body.split(',').map((x) => x.trim());
    if (values.some((x) => x === '')) throw new CliError(`scratchnet sweep: --param ${name}: the list '${body}' has an empty entry.`);
    return { name, kind: 'list', values };
  }
  const kind = m[1] as 'log' | 'lin' | 'int';
  const parts = m[2].split(':');
  const nums = parts.map(Number);
  const want = kind === 'int' ? 2 : search === 'grid' ? 3 : 2;
  if (parts.length !== want || nums.some((x) => !Number.isFinite(x)) || parts.some((x) => x.trim() === '')) {
    const example = kind === 'int' ? `${name}=int:1:8` : search === 'grid' ? `${name}=${kind}:1e-4:1e-2:5` : `${name}=${kind}:1e-4:1e-2`;
    const why = kind !== 'int' && search === 'grid' && parts.length === 2 ? ' (a grid needs the number of points: LO:HI:N)'
      : kind !== 'int' && search === 'random' && parts.length === 3 ? ' (the :N count is for --search grid; random search draws from the whole range)' : '';
    throw new CliError(`scratchnet sweep: --param ${name}=${body}: expected ${kind}:${want === 3 ? 'LO:HI:N' : 'LO:HI'} with numbers${why}, e.g. ${example}.`);
  }
  const [lo, hi] = nums;
  if (!(hi > lo)) throw new CliError(`scratchnet sweep: --param ${name}=${body}: HI (${hi}) must be above LO (${lo}).`);
  if (kind === 'log' && !(lo > 0)) throw new CliError(`scratchnet sweep: --param ${name}=${body}: a log range needs LO > 0 (10^U(log LO, log HI)); received ${lo}.`);
  if (kind === 'int') {
    if (!Number.isInteger(lo) || !Number.isInteger(hi)) throw new CliError(`scratchnet sweep: --param ${name}=${body}: int:LO:HI takes integers.`);
    return { name, kind, lo, hi };
  }
  if (parts.length === 3) {
    const count = nums[2];
    if (!Number.isInteger(count) || count < 2) throw new CliError(`scratchnet sweep: --param ${name}=${body}: the number of grid points must be an integer ≥ 2, received ${parts[2]}.`);
    return { name, kind, lo, hi, count };
  }
  return { name, kind, lo, hi };
}

/** Six significant digits: clean command lines, the same value on every machine. */
function round(x: number): number {
  return Number(x.toPrecision(6));
}

/** The values a parameter takes in a grid. */
function gridValues(p: ParamSpec): (string | number)[] {
  if (p.kind === 'list') return p.values;
  if (p.kind === 'int') return Array.from({ length: p.hi - p.lo + 1 }, (_, i) => p.lo + i);
  const n = p.count!;
  return Array.from({ length: n }, (_, i) => {
    const f = i / (n - 1);
    return round(p.kind === 'log' ? 10 ** (Math.log10(p.lo) + f * (Math.log10(p.hi) - Math.log10(p.lo))) : p.lo + f * (p.hi - p.lo));
  });
}

/** One random draw (the rng's stream is consumed in parameter order, trial after trial). */
function draw(p: ParamSpec, rng: Rng): string | number {
  switch (p.kind) {
    case 'list': return p.values[rng.int(p.values.length)];
    case 'int': return p.lo + rng.int(p.hi - p.lo + 1);
    case 'log': return round(10 ** (Math.log10(p.lo) + rng.uniform() * (Math.log10(p.hi) - Math.log10(p.lo))));
    case 'lin': return round(p.lo + rng.uniform() * (p.hi - p.lo));
  }
}

export function trialName(index: number, total: number): string {
  return `trial-${String(index).padStart(Math.max(3, String(total - 1).length), '0')}`;
}

/** Every trial's values: `trials` random draws from `seed`, or the grid's every combination (the first parameter varies slowest). */
export function planTrials(params: ParamSpec[], search: SearchKind, trials: number | undefined, seed: number): TrialPlan[] {
  const out: TrialPlan[] = [];
  if (search === 'grid') {
    const lists = params.map(gridValues);
    const total = lists.reduce((n, l) => n * l.length, 1);
    if (trials !== undefined && trials !== total) {
      throw new CliError(`scratchnet sweep: a grid search runs every combination, ${lists.map((l) => l.length).join(' × ')} = ${total} trials; drop --trials ${trials} (or use --search random).`);
    }
    for (let i = 0; i < total; i++) {
      const values: Record<string, string | number> = {};
      let rest = i;
      for (let j = params.length - 1; j >= 0; j--) {
        values[params[j].name] = lists[j][rest % lists[j].length];
        rest = Math.floor(rest / lists[j].length);
      }
      const ordered: Record<string, string | number> = {};
      for (const p of params) ordered[p.name] = values[p.name];
      out.push({ index: i, name: trialName(i, total), values: ordered });
    }
    return out;
  }
  const n = trials ?? 20;
  const rng = new Rng(seed);
  for (let i = 0; i < n; i++) {
    const values: Record<string, string | number> = {};
    for (const p of params) values[p.name] = draw(p, rng);
    out.push({ index: i, name: trialName(i, n), values });
  }
  return out;
}
