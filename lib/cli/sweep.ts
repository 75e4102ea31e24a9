// scratchnet sweep: the book's ch. 6 hyperparameter search (random lr and weight decay, judged
// on a validation split) as a command, for any train option, random or grid. Every trial is an
// ordinary `scratchnet train --out <dir>/trial-NNN` run, so the sweep is only bookkeeping over
// directories: the plan (sweep.json) is fixed before the first trial; a trial is done when its
// directory holds a finished run, continued from its checkpoint when it holds one; the table and
// the picture are built from the directories. That is also what lets the trials fan out: each
// has its own command line (`scratchnet sweep --dir D --trial 7`) and writes only its own
// directory, so GNU parallel, xargs -P or a Slurm array runs them, and --collect sums up.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomic } from '../io/atomic';
import { plotSweepToFile, type SweepPoint } from '../plot/sweep';
import { CliError, type CommandSpec, flag, helpText, num, oneOf, parseCommand, str, strs } from './options';
import { formatSeconds, io, oneLine, table } from './common';
import { parseParam, planTrials, type ParamSpec, type SearchKind, type TrialPlan } from './sweep-plan';
import { trainCommand, trainSpec } from './train';

export const SWEEP_FORMAT = 'scratchnet-sweep';
const SWEEP_VERSION = 1;

export const sweepSpec: CommandSpec = {
  name: 'sweep',
  summary: 'hyperparameter search: many train runs over random or grid values, judged on a validation split',
  usage: 'scratchnet sweep --dir <dir> --param <name=values> … [--trials n] [--epochs n] [-- <train options>]\n' +
    '       scratchnet sweep --dir <dir> --print-commands | parallel      (then: scratchnet sweep --dir <dir> --collect)\n' +
    '       scratchnet sweep --dir <dir> --trial <i>',
  options: {
    dir: { type: 'string', arg: '<dir>', help: 'the sweep directory: sweep.json (the plan), trial-NNN/ (one train run each), results.json, results.txt, scatter.png' },
    param: {
      type: 'string', arg: '<name=values>', multiple: true,
      help: 'a train option to vary, repeatable: lr=log:1e-6:1e-2 (10^uniform), lin:LO:HI, int:LO:HI, or a list a,b,c; grid: log:LO:HI:N, lin:LO:HI:N',
    },
    search: { type: 'string', arg: '<random|grid>', help: 'random draws --trials values; grid runs every combination', def: 'random' },
    trials: { type: 'string', arg: '<n>', help: 'random search: the number of trials (the book: 100)', def: '20' },
    epochs: { type: 'string', arg: '<n>', help: 'the budget of each trial in epochs (early stopping may end it sooner)', def: '5' },
    seed: { type: 'string', arg: '<n>', help: 'seed of the random values (each trial trains with the train options\' --seed)', def: '0' },
    'print-commands': { type: 'boolean', help: 'write the plan and print one command line per unfinished trial, for parallel, xargs -P or a job array; runs nothing' },
    trial: { type: 'string', arg: '<i>', help: 'run (or continue) trial i of the plan in --dir and nothing else' },
    collect: { type: 'boolean', help: 'only build results.json, results.txt and scatter.png from the trial directories' },
    launcher: { type: 'string', arg: '<cmd>', help: 'how --print-commands starts scratchnet', def: 'this node and this scratchnet, by absolute path' },
    verbose: { type: 'boolean', help: "show each trial's epoch lines (otherwise one line per trial)" },
  },
  examples: [
    'scratchnet sweep --dir runs/search --trials 100 --epochs 5 --param lr=log:1e-6:1e-2 --param weight-decay=log:1e-8:1e-4 -- --optimizer sgd --validation 5000',
    'scratchnet sweep --dir runs/grid --search grid --param lr=log:1e-4:1e-2:3 --param batch-size=50,100 -- --validation 0.1',
    'scratchnet sweep --dir runs/search --print-commands | parallel -j 4 && scratchnet sweep --dir runs/search --collect',
  ],
};

/** sweep.json: everything a trial needs, fixed before the first one runs. */
export interface SweepPlanFile {
  format: typeof SWEEP_FORMAT;
  version: number;
  search: SearchKind;
  seed: number;
  epochs: number;
  params: ParamSpec[];
  /** The options every trial's train command line gets (after `--`). */
  trainArgs: string[];
  trials: TrialPlan[];
}

/** Train options a sweep sets itself, or that would break the one-directory-per-trial rule. */
const RESERVED = ['out', 'resume', 'overwrite', 'json', 'quiet', 'epochs', 'help'];

type Status = 'done' | 'failed' | 'interrupted' | 'pending';

export interface TrialResult {
  trial: string;
  index: number;
  status: Status;
  values: Record<string, string | number>;
  /** Validation accuracy and loss of the kept epoch (the one params.safetensors holds). */
  valAccuracy: number | null;
  valLoss: number | null;
  keptEpoch: number | null;
  epochs: number | null;
  budget: number;
  earlyStopped: boolean;
  trainSeconds: number | null;
  error?: string;
  dir: string;
}

function readJson<T>(file: string): T | null {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
  } catch {
    return null;
  }
}

function writeJson(file: string, obj: unknown): void {
  writeFileAtomic(file, Buffer.from(JSON.stringify(obj, null, 2) + '\n', 'utf8'));
}

function quote(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** The train command line of one trial (without the program name). */
export function trialArgs(plan: SweepPlanFile, trial: TrialPlan, dir: string): string[] {
  const args = [...plan.trainArgs, '--epochs', String(plan.epochs)];
  for (const [k, v] of Object.entries(trial.values)) args.push(`--${k}`, String(v));
  args.push('--out', path.join(dir, trial.name));
  return args;
}

interface HistoryDoc {
  testAccuracy: number | null; stopped?: boolean; epochs: number; valAccList?: number[]; valLossList?: number[];
  bestEpoch?: number | null; earlyStopped?: boolean; trainSeconds?: number;
}

function trialStatus(trialDir: string): { status: Status; history: HistoryDoc | null; error?: string } {
  const history = readJson<HistoryDoc>(path.join(trialDir, 'history.json'));
  if (history && history.testAccuracy !== null && !history.stopped && fs.existsSync(path.join(trialDir, 'params.safetensors'))) {
    return { status: 'done', history };
  }
  const failed = readJson<{ error: string }>(path.join(trialDir, 'failed.json'));
  if (failed) return { status: 'failed', history, error: failed.error };
  if (fs.existsSync(path.join(trialDir, 'checkpoint.safetensors'))) return { status: 'interrupted', history };
  return { status: 'pending', history };
}

function resultOf(plan: SweepPlanFile, trial: TrialPlan, dir: string): TrialResult {
  const trialDir = path.join(dir, trial.name);
  const { status, history, error } = trialStatus(trialDir);
  const run = readJson<{ trainer?: { keepBest?: boolean } }>(path.join(trialDir, 'run.json'));
  const r: TrialResult = {
    trial: trial.name, index: trial.index, status, values: trial.values, valAccuracy: null, valLoss: null, keptEpoch: null,
    epochs: history?.epochs ?? null, budget: plan.epochs, earlyStopped: history?.earlyStopped ?? false,
    trainSeconds: history?.trainSeconds ?? null, dir: trialDir, ...(error ? { error } : {}),
  };
  if (status === 'done' && history && history.valAccList && history.bestEpoch) {
    const kept = run?.trainer?.keepBest === false ? history.epochs : history.bestEpoch;
    r.keptEpoch = kept;
    r.valAccuracy = history.valAccList[kept - 1] ?? null;
    r.valLoss = history.valLossList?.[kept - 1] ?? null;
  }
  return r;
}

function planPath(dir: string): string {
  return path.join(dir, 'sweep.json');
}

function loadPlan(dir: string): SweepPlanFile | null {
  const file = planPath(dir);
  if (!fs.existsSync(file)) return null;
  const plan = readJson<SweepPlanFile>(file);
  if (!plan || plan.format !== SWEEP_FORMAT || !Array.isArray(plan.trials) || !Array.isArray(plan.trainArgs)) {
    throw new CliError(`scratchnet sweep: ${file} is not a sweep plan written by scratchnet sweep (or it is damaged). Fix: choose another --dir.`);
  }
  if (plan.version !== SWEEP_VERSION) throw new CliError(`scratchnet sweep: ${file} has plan version ${plan.version}; this scratchnet reads version ${SWEEP_VERSION}.`);
  return plan;
}

/** The plan the flags describe, checked against train's own options. */
function planFromFlags(v: ReturnType<typeof parseCommand>['values'], trainArgs: string[]): SweepPlanFile {
  const search = oneOf('sweep', v, 'search', ['random', 'grid'] as const) ?? 'random';
  const params = strs(v, 'param').map((p) => parseParam(p, search));
  if (params.length === 0) {
    throw new CliError(`scratchnet sweep: which options should vary? Give at least one --param, e.g. --param lr=log:1e-6:1e-2 --param weight-decay=log:1e-8:1e-4 (the book's ch. 6 search).`);
  }
  const seen = new Set<string>();
  for (const p of params) {
    const o = trainSpec.options[p.name];
    if (!o || RESERVED.includes(p.name)) {
      const why = RESERVED.includes(p.name)
        ? (p.name === 'epochs' ? ' (the budget of every trial is the sweep\'s --epochs)' : ' (the sweep sets it for every trial)')
        : ` (scratchnet train has no --${p.name})`;
      throw new CliError(`scratchnet sweep: --param ${p.name} cannot be varied${why}. It can vary any train option with a value: ${Object.keys(trainSpec.options).filter((k) => trainSpec.options[k].type === 'string' && !RESERVED.includes(k)).join(', ')}.`);
    }
    if (o.type !== 'string') throw new CliError(`scratchnet sweep: --param ${p.name}: --${p.name} is a switch; a sweep varies options that take a value.`);
    if (seen.has(p.name)) throw new CliError(`scratchnet sweep: --param ${p.name} is given twice.`);
    seen.add(p.name);
  }
  // The fixed options must be valid train options, and must not fight the sweep.
  let fixed;
  try {
    fixed = parseCommand(trainSpec, trainArgs).values;
  } catch (e) {
    throw new CliError(`scratchnet sweep: the train options after -- are not valid: ${oneLine((e as Error).message).replace(/^scratchnet train: /, '')}`);
  }
  for (const k of Object.keys(fixed)) {
    if (RESERVED.includes(k)) throw new CliError(`scratchnet sweep: --${k} cannot be among the train options after --: the sweep sets it${k === 'epochs' ? ' (give the budget as the sweep\'s own --epochs, before --)' : ` (each trial is written to ${'<dir>'}/trial-NNN)`}.`);
    if (seen.has(k)) throw new CliError(`scratchnet sweep: --${k} is both varied (--param ${k}=…) and fixed after --; drop one.`);
  }
  if (fixed.validation === undefined) {
    throw new CliError(
      `scratchnet sweep: the trials need a validation split: add --validation <n> after -- (e.g. -- --validation 5000). ` +
        `As the book says (ch. 6.5), hyperparameters chosen by the test accuracy are tuned to the test set, which then no longer measures anything.`,
    );
  }
  const trials = num('sweep', v, 'trials', { int: true, min: 1 });
  const seed = num('sweep', v, 'seed', { int: true, min: 0, max: 0xffffffff }) ?? 0;
  const epochs = num('sweep', v, 'epochs', { int: true, min: 1 }) ?? 5;
  return {
    format: SWEEP_FORMAT, version: SWEEP_VERSION, search, seed, epochs, params, trainArgs,
    trials: planTrials(params, search, trials, seed),
  };
}

const PLAN_FLAGS = ['param', 'search', 'trials', 'epochs', 'seed'];

/** The plan in --dir, created from the flags on first use; flags that differ from it are refused. */
function resolvePlan(dir: string, v: ReturnType<typeof parseCommand>['values'], trainArgs: string[] | null): SweepPlanFile {
  const existing = loadPlan(dir);
  const given = PLAN_FLAGS.some((k) => v[k] !== undefined) || trainArgs !== null;
  if (!given) {
    if (!existing) {
      throw new CliError(`scratchnet sweep: ${planPath(dir)} does not exist, so there is no sweep to continue there. Start one with --param …, e.g. scratchnet sweep --dir ${dir} --param lr=log:1e-6:1e-2 -- --validation 5000.`);
    }
    return existing;
  }
  const plan = planFromFlags(v, trainArgs ?? []);
  if (existing) {
    const a = JSON.stringify({ ...existing, trials: existing.trials.map((t) => t.values) });
    const b = JSON.stringify({ ...plan, trials: plan.trials.map((t) => t.values) });
    if (a !== b) {
      throw new CliError(
        `scratchnet sweep: ${dir} already holds a different sweep (${describePlan(existing)}); this one would be ${describePlan(plan)}. ` +
          `Fix: continue it with scratchnet sweep --dir ${dir} (no settings), or choose another --dir.`,
      );
    }
    return existing;
  }
  fs.mkdirSync(dir, { recursive: true });
  writeJson(planPath(dir), plan);
  return plan;
}

function describePlan(p: SweepPlanFile): string {
  return `${p.search}, ${p.trials.length} trials of ${p.epochs} epochs over ${p.params.map((x) => x.name).join(', ')}, train options '${p.trainArgs.join(' ')}'`;
}

function formatValue(x: string | number): string {
  return typeof x === 'number' ? String(Number(x.toPrecision(4))) : x;
}

/** Runs (or continues, or skips) one trial in this process; returns its status and an exit code (non-zero: a stop signal). */
async function runTrial(plan: SweepPlanFile, trial: TrialPlan, dir: string, verbose: boolean): Promise<{ result: TrialResult; code: number; ran: 'skipped' | 'resumed' | 'started' }> {
  const trialDir = path.join(dir, trial.name);
  const before = trialStatus(trialDir);
  if (before.status === 'done' || before.status === 'failed') return { result: resultOf(plan, trial, dir), code: 0, ran: 'skipped' };
  fs.mkdirSync(trialDir, { recursive: true });
  const args = trialArgs(plan, trial, dir);
  if (!fs.existsSync(path.join(trialDir, 'trial.json'))) {
    writeJson(path.join(trialDir, 'trial.json'), { sweep: path.resolve(dir), index: trial.index, values: trial.values, command: ['scratchnet', 'train', ...args] });
  }
  const resume = before.status === 'interrupted';
  const argv = resume ? [...args, '--resume', path.join(trialDir, 'checkpoint.safetensors')] : [...args, '--overwrite'];
  if (!verbose) argv.push('--quiet');
  let code = 0;
  // --quiet still prints the trial's test accuracy: not shown, so the sweep is read by validation alone (it stays in history.json).
  const out = io.out;
  if (!verbose) io.out = () => true;
  try {
    code = await trainCommand(argv);
  } catch (e) {
    // A trial that fails (a learning rate that diverges, say) is a result, not the end of the sweep.
    const message = oneLine((e as Error).message);
    writeJson(path.join(trialDir, 'failed.json'), { error: message, at: new Date().toISOString(), command: ['scratchnet', 'train', ...argv] });
  } finally {
    io.out = out;
  }
  return { result: resultOf(plan, trial, dir), code, ran: resume ? 'resumed' : 'started' };
}

function trialLine(r: TrialResult, total: number, ran: string): string {
  const vals = Object.entries(r.values).map(([k, x]) => `${k} ${formatValue(x)}`).join(', ');
  const what = r.status === 'done'
    ? `val acc ${r.valAccuracy?.toFixed(4) ?? '?'} (epoch ${r.keptEpoch}/${r.epochs}${r.earlyStopped ? ', stopped early' : ''}), ${formatSeconds(r.trainSeconds ?? NaN)}`
    : r.status === 'failed' ? `failed: ${r.error}` : r.status;
  return `${r.trial} (${r.index + 1}/${total}${ran === 'skipped' ? ', already done' : ran === 'resumed' ? ', resumed from its checkpoint' : ''}): ${vals} → ${what}`;
}

/** results.json, results.txt and scatter.png from the trial directories. */
export function collect(plan: SweepPlanFile, dir: string): { results: TrialResult[]; files: Record<string, string> } {
  const results = plan.trials.map((t) => resultOf(plan, t, dir));
  const order = (r: TrialResult) => (r.valAccuracy ?? -1);
  const ranked = [...results].sort((a, b) => order(b) - order(a) || a.index - b.index);
  const counts: Record<Status, number> = { done: 0, failed: 0, interrupted: 0, pending: 0 };
  for (const r of results) counts[r.status]++;
  const files = { json: path.join(dir, 'results.json'), text: path.join(dir, 'results.txt'), scatter: path.join(dir, 'scatter.png') };
  writeJson(files.json, {
    sweep: { dir: path.resolve(dir), search: plan.search, seed: plan.seed, epochs: plan.epochs, params: plan.params, trainArgs: plan.trainArgs },
    ranking: 'validation accuracy of the kept epoch (the best validation epoch unless --keep-last), highest first; the test set is not used to rank',
    counts, trials: ranked,
  });
  const names = plan.params.map((p) => p.name);
  const rows = [['rank', 'trial', ...names, 'val acc', 'val loss', 'epoch', 'time', 'status']];
  ranked.forEach((r, i) => rows.push([
    r.valAccuracy !== null ? String(i + 1) : '-', r.trial, ...names.map((n) => formatValue(r.values[n])),
    r.valAccuracy?.toFixed(4) ?? '-', r.valLoss?.toFixed(4) ?? '-',
    r.keptEpoch !== null ? `${r.keptEpoch}/${r.epochs}${r.earlyStopped ? ' (early)' : ''}` : '-',
    r.trainSeconds !== null ? formatSeconds(r.trainSeconds) : '-', r.status === 'failed' ? `failed: ${r.error}` : r.status,
  ]));
  const head = `${plan.search} search, ${plan.trials.length} trials of ≤ ${plan.epochs} epochs: ${counts.done} done, ${counts.failed} failed, ${counts.interrupted} interrupted, ${counts.pending} not started\n` +
    `train options: ${plan.trainArgs.join(' ')}\nranked by the validation accuracy of each trial's kept epoch\n\n`;
  writeFileAtomic(files.text, Buffer.from(head + table(rows, [0, names.length + 2, names.length + 3, names.length + 5]) + '\n', 'utf8'));
  const points: SweepPoint[] = results.map((r) => ({ values: r.values, valAccuracy: r.valAccuracy }));
  const logParams = plan.params.filter((p) => p.kind === 'log').map((p) => p.name);
  const ranges: Record<string, [number, number]> = {};
  for (const p of plan.params) if (p.kind !== 'list') ranges[p.name] = [p.lo, p.hi];
  plotSweepToFile(files.scatter, points, { title: `${plan.search} search: ${counts.done} of ${plan.trials.length} trials`, logParams, ranges });
  return { results: ranked, files };
}

export async function sweepCommand(argv: string[]): Promise<number> {
  const dd = argv.indexOf('--');
  const own = dd < 0 ? argv : argv.slice(0, dd);
  const trainArgs = dd < 0 ? null : argv.slice(dd + 1);
  const { values: v } = parseCommand(sweepSpec, own);
  if (flag(v, 'help')) {
    io.out(helpText(sweepSpec));
    return 0;
  }
  const dir = str(v, 'dir');
  if (!dir) throw new CliError(`scratchnet sweep: --dir <dir> is required: the directory that holds the plan and one run directory per trial.`);
  const modes = ['print-commands', 'trial', 'collect'].filter((k) => v[k] !== undefined);
  if (modes.length > 1) throw new CliError(`scratchnet sweep: --${modes[0]} and --${modes[1]} do different things; give one.`);
  const verbose = flag(v, 'verbose');

  if (flag(v, 'collect')) {
    const plan = loadPlan(dir);
    if (!plan) throw new CliError(`scratchnet sweep: ${planPath(dir)} does not exist; --collect sums up a sweep started there with --param … (or --print-commands).`);
    const { results, files } = collect(plan, dir);
    io.out(summaryText(plan, results, files));
    return 0;
  }

  const plan = resolvePlan(dir, v, trainArgs);
  const trialFlag = str(v, 'trial');
  if (trialFlag !== undefined) {
    const i = num('sweep', v, 'trial', { int: true, min: 0 })!;
    if (i >= plan.trials.length) throw new CliError(`scratchnet sweep: --trial ${i}: the sweep in ${dir} has trials 0 to ${plan.trials.length - 1}.`);
    const { result, code, ran } = await runTrial(plan, plan.trials[i], dir, verbose);
    io.out(trialLine(result, plan.trials.length, ran));
    return code !== 0 ? code : result.status === 'failed' && ran !== 'skipped' ? 1 : 0;
  }

  if (flag(v, 'print-commands')) {
    const launcher = str(v, 'launcher') ?? [process.execPath, path.resolve(process.argv[1] ?? 'scratchnet')].map(quote).join(' ');
    const absDir = path.resolve(dir);
    for (const t of plan.trials) {
      const s = trialStatus(path.join(dir, t.name)).status;
      if (s === 'done' || s === 'failed') continue;
      io.out(`${launcher} sweep --dir ${quote(absDir)} --trial ${t.index}`);
    }
    return 0;
  }

  io.err(`sweep: ${describePlan(plan)} → ${dir}`);
  for (const t of plan.trials) {
    const { result, code, ran } = await runTrial(plan, t, dir, verbose);
    io.err(trialLine(result, plan.trials.length, ran));
    if (code !== 0) {
      io.err(`sweep stopped; continue it with: scratchnet sweep --dir ${dir}`);
      return code;
    }
  }
  const { results, files } = collect(plan, dir);
  io.out(summaryText(plan, results, files));
  return 0;
}

function summaryText(plan: SweepPlanFile, results: TrialResult[], files: Record<string, string>): string {
  const best = results.filter((r) => r.valAccuracy !== null).slice(0, 5);
  const lines = best.map((r, i) => `Best-${i + 1} (val acc: ${r.valAccuracy!.toFixed(4)}) | ${Object.entries(r.values).map(([k, x]) => `${k}: ${formatValue(x)}`).join(', ')} | ${r.dir}`);
  const unfinished = results.filter((r) => r.status !== 'done').length;
  return [
    ...lines,
    ...(best.length === 0 ? ['no trial has finished yet'] : []),
    ...(unfinished ? [`${unfinished} of ${plan.trials.length} trials not finished (${results.filter((r) => r.status === 'failed').length} failed)`] : []),
    `results: ${files.text}, ${files.json}, ${files.scatter}`,
  ].join('\n');
}
