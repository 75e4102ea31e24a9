// `scratchnet sweep` and the train flags it builds on, spawned as a user runs them, on small real
// MNIST subsets: trials as ordinary run directories, the results table, JSON and scatter plot; a
// sweep killed mid-trial continues (done trials untouched, the interrupted one resumed to the
// bit); --print-commands | xargs -P then --collect; and the errors that keep a sweep honest.
import test from 'ava';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { PNG } from 'pngjs';
import { loadSafetensors } from '../../lib/io/safetensors';
import { suiteTempDir } from '../helpers/tmpdir';
import { bin, runCli, type CliOptions, type CliRun } from '../helpers/cli';

const tmp = suiteTempDir('scratchnet-sweep-');

// OpenBLAS and the built-in SGEMM round differently and each process picks one by timing them
// at load: every process here is pinned to the built-in one, so a resumed trial can equal a
// whole run to the bit.
function cli(args: string[], opts: Omit<CliOptions, 'cwd'> = {}): Promise<CliRun> {
  return runCli(args, { cwd: tmp, timeoutMs: 300000, ...opts, env: { SCRATCHNET_GEMM: 'builtin', ...opts.env } });
}

const readJson = (file: string) => JSON.parse(fs.readFileSync(file, 'utf8'));
const SMALL = ['--train-size', '600', '--test-size', '100', '--validation', '100', '--no-plots'];

/** The tensors of two safetensors files that differ (by name, with the largest difference); [] when bit-identical. */
function differences(fileA: string, fileB: string): string[] {
  const a = loadSafetensors(fileA).tensors;
  const b = loadSafetensors(fileB).tensors;
  const out: string[] = [];
  for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
    if (!a[k] || !b[k] || a[k].size !== b[k].size) { out.push(`${k}: missing or another size`); continue; }
    let d = 0;
    for (let i = 0; i < a[k].size; i++) if (!Object.is(a[k].data[i], b[k].data[i])) d = Math.max(d, Math.abs(a[k].data[i] - b[k].data[i]) || Infinity);
    if (d > 0) out.push(`${k}: differs by up to ${d}`);
  }
  return out;
}

test('random search: every trial an ordinary run directory with its drawn values; table, JSON and scatter from them', async (t) => {
  const dir = path.join(tmp, 'random');
  const r = await cli(['sweep', '--dir', dir, '--trials', '3', '--epochs', '2', '--seed', '4',
    '--param', 'lr=log:1e-4:1e-2', '--param', 'weight-decay=log:1e-8:1e-4', '--', '--optimizer', 'sgd', ...SMALL]);
  t.is(r.code, 0, r.stderr);
  const plan = readJson(path.join(dir, 'sweep.json'));
  t.is(plan.trials.length, 3);
  const lrs = plan.trials.map((x: { values: { lr: number } }) => x.values.lr);
  t.is(new Set(lrs).size, 3);
  for (const trial of plan.trials) {
    const { lr, 'weight-decay': wd } = trial.values;
    t.true(lr >= 1e-4 && lr <= 1e-2 && wd >= 1e-8 && wd <= 1e-4, JSON.stringify(trial.values));
    const d = path.join(dir, trial.name);
    for (const f of ['params.safetensors', 'best.safetensors', 'checkpoint.safetensors', 'history.json', 'run.json', 'model.json', 'trial.json']) t.true(fs.existsSync(path.join(d, f)), `${trial.name}/${f}`);
    const run = readJson(path.join(d, 'run.json'));
    t.is(run.trainer.optimizerParam.lr, lr);
    t.is(run.trainer.optimizerParam.weightDecay, wd);
    t.is(run.trainer.validation, 100);
    t.is(run.trainer.epochs, 2);
  }
  const results = readJson(path.join(dir, 'results.json'));
  t.deepEqual(results.counts, { done: 3, failed: 0, interrupted: 0, pending: 0 });
  const accs = results.trials.map((x: { valAccuracy: number }) => x.valAccuracy);
  t.deepEqual(accs, [...accs].sort((a, b) => b - a), 'ranked by validation accuracy');
  for (const row of results.trials) {
    const h = readJson(path.join(dir, row.trial, 'history.json'));
    t.is(row.keptEpoch, h.bestEpoch);
    t.is(row.valAccuracy, h.valAccList[h.bestEpoch - 1]);
    t.deepEqual(differences(path.join(dir, row.trial, 'params.safetensors'), path.join(dir, row.trial, 'best.safetensors')), [], 'params are the kept ones');
  }
  const text = fs.readFileSync(path.join(dir, 'results.txt'), 'utf8');
  t.regex(text, /rank\s+trial\s+lr\s+weight-decay\s+val acc\s+val loss\s+epoch/);
  t.regex(text, new RegExp(`\\s1\\s+${results.trials[0].trial}\\s`));
  t.regex(r.stdout, /^Best-1 \(val acc: 0\.\d{4}\) \| lr: [\d.e-]+, weight-decay: [\d.e-]+ \|/m);
  t.notRegex(r.stdout + r.stderr, /test accuracy/, 'the sweep shows no test accuracy');
  const png = PNG.sync.read(fs.readFileSync(path.join(dir, 'scatter.png')));
  t.is(png.width, 3 * 520, 'acc vs lr, acc vs weight decay, weight decay vs lr');
  // A trial is a run like any other: scratchnet eval reads it.
  const ev = await cli(['eval', '--run', path.join(dir, 'trial-000'), '--test-size', '100', '--json']);
  t.is(ev.code, 0, ev.stderr);
});

test('a sweep killed inside a trial continues: done trials are not re-run, the killed one resumes from its checkpoint to the bit', async (t) => {
  const dir = path.join(tmp, 'killed');
  const args = ['--trials', '3', '--epochs', '3', '--param', 'lr=log:1e-3:1e-2', '--', '--train-size', '1500', '--test-size', '100', '--validation', '300', '--no-plots'];
  const p = await cli(['sweep', '--dir', dir, '--print-commands', ...args]);
  t.is(p.code, 0, p.stderr);
  t.is(p.stdout.trim().split('\n').length, 3);
  t.is((await cli(['sweep', '--dir', dir, '--trial', '0'])).code, 0);
  const done = path.join(dir, 'trial-000', 'params.safetensors');
  const doneStat = fs.statSync(done).mtimeMs;
  // Trial 1 killed with SIGKILL (no chance to save) once its first epoch's checkpoint is on disk.
  // Run without the re-exec wrapper (bin/scratchnet.js), so the kill reaches the training process itself.
  let sent = false;
  const killed = await cli(['sweep', '--dir', dir, '--trial', '1', '--verbose'], {
    command: [process.execPath, '--no-concurrent-recompilation'],
    onStdout: (out, child) => { if (!sent && /epoch 1\/3/.test(out)) { sent = true; child.kill('SIGKILL'); } },
  });
  t.is(killed.signal, 'SIGKILL', `${killed.stdout}\n${killed.stderr}`);
  t.true(fs.existsSync(path.join(dir, 'trial-001', 'checkpoint.safetensors')));
  t.false(fs.existsSync(path.join(dir, 'trial-001', 'params.safetensors')));
  // What is left to do, as --print-commands sees it.
  const left = await cli(['sweep', '--dir', dir, '--print-commands']);
  t.deepEqual(left.stdout.trim().split('\n').map((l) => l.split(' ').pop()), ['1', '2']);

  const r = await cli(['sweep', '--dir', dir]);
  t.is(r.code, 0, r.stderr);
  t.regex(r.stderr, /trial-000 \(1\/3, already done\)/);
  t.regex(r.stderr, /trial-001 \(2\/3, resumed from its checkpoint\)/);
  t.regex(r.stderr, /trial-002 \(3\/3\): lr/);
  t.is(fs.statSync(done).mtimeMs, doneStat, 'trial 0 was not touched');
  t.truthy(readJson(path.join(dir, 'trial-001', 'run.json')).resumedFrom);
  t.deepEqual(readJson(path.join(dir, 'results.json')).counts, { done: 3, failed: 0, interrupted: 0, pending: 0 });

  // The resumed trial equals the same train command run without a kill.
  const cmd: string[] = readJson(path.join(dir, 'trial-001', 'trial.json')).command;
  const outIdx = cmd.indexOf('--out');
  const whole = path.join(tmp, 'killed-whole');
  const w = await cli([...cmd.slice(1, outIdx), '--out', whole, ...cmd.slice(outIdx + 2), '--quiet']);
  t.is(w.code, 0, w.stderr);
  t.deepEqual(differences(path.join(dir, 'trial-001', 'params.safetensors'), path.join(whole, 'params.safetensors')), []);
  t.deepEqual(readJson(path.join(dir, 'trial-001', 'history.json')).valAccList, readJson(path.join(whole, 'history.json')).valAccList);
});

test('grid search through --print-commands | xargs -P 2, then --collect', async (t) => {
  const dir = path.join(tmp, 'grid');
  const plan = ['sweep', '--dir', dir, '--print-commands', '--search', 'grid', '--epochs', '1', '--param', 'lr=0.001,0.01', '--param', 'batch-size=50,100', '--', ...SMALL];
  const quoted = [process.execPath, bin, ...plan].map((a) => `'${a}'`).join(' ');
  const r = spawnSync('sh', ['-c', `${quoted} | xargs -P 2 -I CMD sh -c CMD`], {
    cwd: tmp, encoding: 'utf8', env: { ...process.env, SCRATCHNET_SILENT: '1' }, timeout: 300000,
  });
  t.is(r.status, 0, r.stderr);
  const trials = readJson(path.join(dir, 'sweep.json')).trials;
  t.deepEqual(trials.map((x: { values: unknown }) => x.values), [
    { lr: '0.001', 'batch-size': '50' }, { lr: '0.001', 'batch-size': '100' }, { lr: '0.01', 'batch-size': '50' }, { lr: '0.01', 'batch-size': '100' },
  ]);
  t.false(fs.existsSync(path.join(dir, 'results.json')), 'the trials alone write no table');
  const c = await cli(['sweep', '--dir', dir, '--collect']);
  t.is(c.code, 0, c.stderr);
  const results = readJson(path.join(dir, 'results.json'));
  t.is(results.counts.done, 4);
  for (const x of trials) t.is(readJson(path.join(dir, x.name, 'run.json')).trainer.miniBatchSize, Number(x.values['batch-size']));
  t.is((await cli(['sweep', '--dir', dir, '--print-commands'])).stdout, '', 'nothing left to run');
});

test('sweep errors: no validation split, a reserved or unknown option, a grid with --trials, another sweep in the directory', async (t) => {
  const dir = path.join(tmp, 'errors');
  const line = async (args: string[]) => {
    const r = await cli(['sweep', '--dir', dir, ...args]);
    t.is(r.code, 2, r.stdout);
    return r.stderr.trim();
  };
  t.regex(await line(['--param', 'lr=log:1e-6:1e-2']), /the trials need a validation split: add --validation <n> after --.*tuned to the test set/);
  t.regex(await line(['--param', 'epochs=1,2', '--', '--validation', '10']), /--param epochs cannot be varied \(the budget of every trial is the sweep's --epochs\)/);
  t.regex(await line(['--param', 'learning-rate=log:1e-6:1e-2', '--', '--validation', '10']), /--param learning-rate cannot be varied \(scratchnet train has no --learning-rate\)/);
  t.regex(await line(['--param', 'lr=log:1e-6', '--', '--validation', '10']), /expected log:LO:HI with numbers, e.g. lr=log:1e-4:1e-2/);
  t.regex(await line(['--search', 'grid', '--param', 'lr=log:1e-4:1e-2', '--', '--validation', '10']), /a grid needs the number of points: LO:HI:N/);
  t.regex(await line(['--search', 'grid', '--trials', '5', '--param', 'lr=1,2', '--', '--validation', '10']), /a grid search runs every combination, 2 = 2 trials; drop --trials 5/);
  t.regex(await line(['--param', 'lr=log:1e-4:1e-2', '--', '--validation', '10', '--out', 'x']), /--out cannot be among the train options after --/);
  t.regex(await line(['--param', 'lr=log:1e-4:1e-2', '--', '--validation', '10', '--lr', '0.1']), /--lr is both varied \(--param lr=…\) and fixed after --/);
  t.regex(await line(['--param', 'lr=log:1e-4:1e-2', '--', '--validaton', '10']), /unknown option --validaton \(did you mean --validation\?\)/);
  t.is((await cli(['sweep', '--dir', dir, '--print-commands', '--trials', '2', '--param', 'lr=log:1e-4:1e-2', '--', '--validation', '10'])).code, 0);
  t.regex(await line(['--trials', '3', '--param', 'lr=log:1e-4:1e-2', '--', '--validation', '10']), /already holds a different sweep .*Fix: continue it with scratchnet sweep --dir/);
  t.regex(await line(['--trial', '2']), /--trial 2: the sweep in .* has trials 0 to 1/);
  t.regex(await line(['--collect', '--print-commands']), /--print-commands and --collect do different things; give one/);
});

test('train: schedule and validation flags, their errors, best.safetensors and a test evaluated once', async (t) => {
  const out = path.join(tmp, 'train-val');
  const r = await cli(['train', '--train-size', '800', '--test-size', '200', '--epochs', '3', '--validation', '0.25', '--patience', '5',
    '--lr-schedule', 'cosine', '--warmup', '0.5', '--json', '--out', out]);
  t.is(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
  const epochs = lines.filter((l) => l.event === 'epoch');
  t.is(epochs.length, 3);
  t.true(epochs.every((e) => e.testAcc === null && typeof e.valAcc === 'number' && typeof e.lr === 'number'));
  const done = lines[lines.length - 1];
  t.is(done.event, 'done');
  t.is(done.keptEpoch, done.bestEpoch);
  t.is(done.files.best, path.join(out, 'best.safetensors'));
  t.deepEqual(differences(path.join(out, 'params.safetensors'), path.join(out, 'best.safetensors')), []);
  const h = readJson(path.join(out, 'history.json'));
  t.is(h.lrList.length, h.iterations);
  t.true(h.lrList[0] < h.lrList[3], 'warm-up rises');
  t.true(h.lrList[h.lrList.length - 1] < 0.02 * Math.max(...h.lrList), 'cosine ends near 0');
  t.is(readJson(path.join(out, 'run.json')).trainer.validation, 200);
  t.deepEqual(readJson(path.join(out, 'run.json')).trainer.lrSchedule, { type: 'cosine', etaMin: 0, warmupEpochs: 0.5, warmupStartFactor: 1 / 3 });
  const text = await cli(['train', '--train-size', '400', '--test-size', '100', '--epochs', '1', '--validation', '100', '--no-plots', '--out', path.join(tmp, 'train-text')]);
  t.regex(text.stdout, /test accuracy \d+\.\d\d% \(100 images, evaluated once, on the parameters of epoch 1 \(the best validation accuracy: 0\.\d{4}\)\)/);
  const err = async (args: string[], re: RegExp) => {
    const e = await cli(['train', ...args, '--out', path.join(tmp, 'never')]);
    t.is(e.code, 2);
    t.regex(e.stderr, re);
  };
  await err(['--lr-schedule', 'step'], /--lr-schedule step needs --lr-step <epochs> .* or --lr-milestones/);
  await err(['--lr-min', '0.0001'], /--lr-min applies to the cosine schedule, but the schedule is constant \(no --lr-schedule given\)\. Fix: add --lr-schedule cosine/);
  await err(['--lr-schedule', 'onecycle', '--warmup', '1'], /--warmup applies to the constant\/step\/cosine schedules, but the schedule is onecycle/);
  await err(['--patience', '3'], /--patience needs a validation split to watch\. Fix: add --validation <n>/);
  await err(['--validation', '2.5'], /--validation must be a number of images \(an integer, e\.g\. 5000\) or a share below 1/);
  await err(['--validation', '60000'], /would hold out 60000 of the 60000 training images/);
});
