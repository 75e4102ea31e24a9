// Learning-rate schedules: each against its closed form and against PyTorch's own recursions,
// against torch.optim.lr_scheduler itself when python3-torch is installed, the Trainer feeding
// the optimizer exactly those rates, the flags' errors, and the curves' learning-rate panel.
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { createOptimizer } from '../../lib/optimizers';
import { trainingCurvesScene } from '../../lib/plot/curves';
import { LrSchedule, normalizeLrSchedule, type LrScheduleSpec } from '../../lib/train/schedule';
import { mnistSubset, smallConvNet, backend } from '../helpers/train-fixtures';
import { Trainer } from '../../lib/train';
import { findTorch } from '../../scripts/bench-floor/torch';

const close = (a: number, b: number, rel = 1e-12) => Math.abs(a - b) <= rel * Math.max(Math.abs(a), Math.abs(b), 1e-300);

function rates(spec: LrScheduleSpec | LrScheduleSpec['type'], baseLr: number, totalSteps: number, iterPerEpoch: number): number[] {
  const s = new LrSchedule({ spec: normalizeLrSchedule(spec), baseLr, totalSteps, iterPerEpoch });
  return Array.from({ length: totalSteps }, (_, i) => s.lrAt(i));
}

test('step: StepLR (×γ every stepSize epochs) and MultiStepLR (×γ at each milestone), per epoch', (t) => {
  const r = rates({ type: 'step', stepSize: 2, gamma: 0.5 }, 0.1, 60, 10);
  for (let i = 0; i < 60; i++) t.true(close(r[i], 0.1 * 0.5 ** Math.floor(Math.floor(i / 10) / 2)), `step ${i}`);
  const m = rates({ type: 'step', milestones: [1, 4], gamma: 0.1 }, 1, 50, 10);
  t.deepEqual([m[0], m[9]], [1, 1]);
  t.true(close(m[10], 0.1) && close(m[39], 0.1));
  t.true(close(m[40], 0.01) && close(m[49], 0.01));
  // Random sampling: 600 images in batches of 100 → 6 steps an epoch, but 550/100 gives 5.5.
  const frac = rates({ type: 'step', stepSize: 1 }, 1, 11, 5.5);
  t.deepEqual(frac.map((x) => Math.round(Math.log10(x))), [0, 0, 0, 0, 0, 0, -1, -1, -1, -1, -1]);
});

test('cosine: the closed form equals PyTorch\'s chainable recursion of CosineAnnealingLR, step by step', (t) => {
  const T = 37;
  const base = 0.05;
  const etaMin = 0.001;
  const r = rates({ type: 'cosine', etaMin }, base, T, 7);
  // torch/optim/lr_scheduler.py CosineAnnealingLR.get_lr (the recursive form it steps with).
  let lr = base;
  for (let i = 0; i < T; i++) {
    t.true(close(r[i], lr, 1e-10), `step ${i}: ${r[i]} vs ${lr}`);
    const next = i + 1;
    lr = etaMin + ((lr - etaMin) * (1 + Math.cos((Math.PI * next) / T))) / (1 + Math.cos((Math.PI * (next - 1)) / T));
  }
  t.is(r[0], base);
  // Past its horizon (epochs raised on resume) the rate stays at the end, not back up.
  const s = new LrSchedule({ spec: normalizeLrSchedule('cosine'), baseLr: 1, totalSteps: 10, iterPerEpoch: 5 });
  t.is(s.lrAt(10), 0);
  t.is(s.lrAt(25), 0);
});

test('linear warm-up: LinearLR from startFactor to 1, then the main schedule from its own step 0 (SequentialLR)', (t) => {
  const W = 8;
  const r = rates({ type: 'cosine', warmupEpochs: 2, warmupStartFactor: 0.25 }, 0.4, 40, 4);
  for (let i = 0; i < W; i++) t.true(close(r[i], 0.4 * (0.25 + (0.75 * i) / W)), `warm-up step ${i}`);
  for (let i = W; i < 40; i++) t.true(close(r[i], (0.4 * (1 + Math.cos((Math.PI * (i - W)) / (40 - W)))) / 2), `cosine step ${i}`);
  const c = rates({ type: 'constant', warmupEpochs: 0.5 }, 0.3, 20, 10);
  t.true(close(c[0], 0.1));
  t.deepEqual(c.slice(5), new Array(15).fill(0.3));
  // Step milestones stay in run epochs, warm-up or not.
  const st = rates({ type: 'step', stepSize: 3, warmupEpochs: 1 }, 1, 40, 10);
  t.is(st[29], 1);
  t.true(close(st[30], 0.1));
});

test('onecycle: OneCycleLR\'s two phases (cos and linear), its first, peak and last rates', (t) => {
  const total = 100;
  const max = 0.01;
  const r = rates('onecycle', max, total, 10);
  const initial = max / 25;
  const min = initial / 1e4;
  const end1 = 0.3 * total - 1;
  t.true(close(r[0], initial));
  t.true(close(r[29], max), 'peak at pct_start·total − 1');
  t.true(close(r[total - 1], min), 'last step at max/(div·final_div)');
  for (let i = 0; i < total; i++) {
    const expected = i <= end1
      ? max + ((initial - max) / 2) * (Math.cos((Math.PI * i) / end1) + 1)
      : min + ((max - min) / 2) * (Math.cos((Math.PI * (i - end1)) / (total - 1 - end1)) + 1);
    t.true(close(r[i], expected), `step ${i}`);
  }
  const lin = rates({ type: 'onecycle', anneal: 'linear', pctStart: 0.5, divFactor: 10, finalDivFactor: 100 }, 1, 21, 7);
  // end1 = 9.5: the rise is linear from 0.1 to 1 over 9.5 steps, the fall from 1 to 0.001.
  t.true(close(lin[0], 0.1));
  t.true(close(lin[5], 0.1 + (0.9 * 5) / 9.5));
  t.true(close(lin[15], 1 + ((0.001 - 1) * (15 - 9.5)) / (20 - 9.5)));
  t.true(close(lin[20], 0.001));
});

// The real thing when it is installed (python3-torch): every scheduler stepped as scratchnet steps it.
const torchScript = `
import json, sys, torch
cfg = json.loads(sys.argv[1])
def run(make, steps, per_epoch=None):
    p = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([p], lr=cfg['lr'])
    sched = make(opt)
    out = []
    for i in range(steps):
        out.append(opt.param_groups[0]['lr'])
        opt.step()
        if per_epoch is None: sched.step()
        elif (i + 1) % per_epoch == 0: sched.step()
    return out
L = torch.optim.lr_scheduler
T, E = cfg['total'], cfg['ipe']
res = {
  'cosine': run(lambda o: L.CosineAnnealingLR(o, T_max=T, eta_min=0.001), T),
  'onecycle': run(lambda o: L.OneCycleLR(o, max_lr=cfg['lr'], total_steps=T, cycle_momentum=False), T),
  'onecycle_linear': run(lambda o: L.OneCycleLR(o, max_lr=cfg['lr'], total_steps=T, pct_start=0.4, anneal_strategy='linear', div_factor=10, final_div_factor=100, cycle_momentum=False), T),
  'step': run(lambda o: L.StepLR(o, step_size=2, gamma=0.3), T, E),
  'multistep': run(lambda o: L.MultiStepLR(o, milestones=[3, 5], gamma=0.5), T, E),
  'warmup_cosine': run(lambda o: L.SequentialLR(o, [L.LinearLR(o, start_factor=0.2, total_iters=2 * E), L.CosineAnnealingLR(o, T_max=T - 2 * E)], milestones=[2 * E]), T),
}
print(json.dumps(res))
`;
// The interpreter with torch (a pyenv python3 first on the PATH can hide Debian's).
const torchPython = findTorch(process.env.SCRATCHNET_PYTHON);
const python = 'python' in torchPython ? torchPython.python : null;
(python ? test : test.skip)('PyTorch\'s schedulers give the same rates (CosineAnnealingLR, OneCycleLR, StepLR, MultiStepLR, LinearLR→cosine)', (t) => {
  const cfg = { lr: 0.02, total: 80, ipe: 10 };
  const r = spawnSync(python!, ['-c', torchScript, JSON.stringify(cfg)], { encoding: 'utf8' });
  t.is(r.status, 0, r.stderr);
  const torch = JSON.parse(r.stdout) as Record<string, number[]>;
  const ours: Record<string, number[]> = {
    cosine: rates({ type: 'cosine', etaMin: 0.001 }, cfg.lr, cfg.total, cfg.ipe),
    onecycle: rates('onecycle', cfg.lr, cfg.total, cfg.ipe),
    onecycle_linear: rates({ type: 'onecycle', pctStart: 0.4, anneal: 'linear', divFactor: 10, finalDivFactor: 100 }, cfg.lr, cfg.total, cfg.ipe),
    step: rates({ type: 'step', stepSize: 2, gamma: 0.3 }, cfg.lr, cfg.total, cfg.ipe),
    multistep: rates({ type: 'step', milestones: [3, 5], gamma: 0.5 }, cfg.lr, cfg.total, cfg.ipe),
    warmup_cosine: rates({ type: 'cosine', warmupEpochs: 2, warmupStartFactor: 0.2 }, cfg.lr, cfg.total, cfg.ipe),
  };
  for (const [name, list] of Object.entries(ours)) {
    let worst = 0;
    for (let i = 0; i < list.length; i++) worst = Math.max(worst, Math.abs(list[i] - torch[name][i]) / torch[name][i]);
    t.true(worst < 1e-9, `${name}: largest relative difference ${worst}`);
  }
});

test('settings are checked, naming the setting, the schedule and the way out', (t) => {
  t.throws(() => normalizeLrSchedule('exponential'), { message: /type must be one of constant, step, cosine, onecycle/ });
  t.throws(() => normalizeLrSchedule('step'), { message: /needs stepSize .* or milestones/ });
  t.throws(() => normalizeLrSchedule({ type: 'cosine', gamma: 0.5 }), { message: /'gamma' does not apply to the cosine schedule \(it is a setting of step\)/ });
  t.throws(() => normalizeLrSchedule({ type: 'onecycle', warmupEpochs: 1 }), { message: /onecycle has its own warm-up, pctStart/ });
  t.throws(() => normalizeLrSchedule({ type: 'step', milestones: [5, 3] }), { message: /milestones must be a non-empty list of increasing epochs/ });
  t.throws(() => normalizeLrSchedule({ type: 'onecycle', pctStart: 1 }), { message: /pctStart must be a share in \(0, 1\)/ });
  t.throws(() => new LrSchedule({ spec: normalizeLrSchedule({ type: 'cosine', warmupEpochs: 5 }), baseLr: 0.1, totalSteps: 50, iterPerEpoch: 10 }), { message: /warm-up .* takes the whole run/ });
  t.throws(() => new LrSchedule({ spec: normalizeLrSchedule({ type: 'cosine', etaMin: 1 }), baseLr: 0.1, totalSteps: 50, iterPerEpoch: 10 }), { message: /etaMin 1 is above the learning rate 0.1/ });
});

const { xTrain, tTrain, xTest, tTest } = mnistSubset(400, 100);
const smallNet = smallConvNet;

test('the Trainer gives the optimizer the schedule\'s rate at every step: same parameters as setting lr by hand', (t) => {
  const spec: LrScheduleSpec = { type: 'cosine', warmupEpochs: 1, etaMin: 0.0001 };
  const scheduled = smallNet(3);
  const trainer = new Trainer(scheduled, xTrain, tTrain, xTest, tTest, {
    epochs: 3, miniBatchSize: 50, optimizer: 'Momentum', optimizerParam: { lr: 0.05 }, sampling: 'shuffle', seed: 2, verbose: false, lrSchedule: spec,
  });
  const h = trainer.train();
  const expected = rates(spec, 0.05, 24, 8);
  t.deepEqual(h.lrList, expected);

  // By hand: the same trainer without a schedule, lr set before every step.
  const manual = smallNet(3);
  const opt = createOptimizer('Momentum', { lr: 0.05, backend });
  const plain = new Trainer(manual, xTrain, tTrain, xTest, tTest, {
    epochs: 3, miniBatchSize: 50, optimizer: opt, sampling: 'shuffle', seed: 2, verbose: false,
  });
  for (let i = 0; i < 24; i++) {
    opt.lr = expected[i];
    plain.step();
  }
  for (const [k, v] of Object.entries(scheduled.params)) t.deepEqual(Array.from(v.data), Array.from(manual.params[k].data), k);
  t.deepEqual(plain.history.lrList, expected);
});

test('without a schedule the optimizer\'s lr is left alone and recorded per step', (t) => {
  const trainer = new Trainer(smallNet(), xTrain, tTrain, xTest, tTest, { epochs: 1, miniBatchSize: 100, optimizer: 'SGD', optimizerParam: { lr: 0.03 }, verbose: false });
  t.is(trainer.schedule, null);
  trainer.train();
  t.deepEqual(trainer.history.lrList, [0.03, 0.03, 0.03, 0.03]);
});

test('the curves get a learning-rate panel when the rate changed, none when constant', (t) => {
  const base = { trainLossList: [1, 0.8, 0.7, 0.6], trainAccList: [0.5, 0.6], testAccList: [0.5, 0.6] };
  const texts = (s: ReturnType<typeof trainingCurvesScene>) => s.items.filter((i) => i.type === 'text').map((i) => (i as { text: string }).text);
  t.false(texts(trainingCurvesScene({ ...base, lrList: [0.1, 0.1, 0.1, 0.1] })).includes('learning rate'));
  const scene = trainingCurvesScene({ ...base, lrList: [0.1, 0.05, 0.02, 0.01] });
  t.true(texts(scene).includes('learning rate'));
  t.is(scene.width, 1500);
});
