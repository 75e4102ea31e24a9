// Learning-rate schedules: the learning rate of every training step as a closed-form function of
// the step's index, so a checkpoint needs only the schedule's settings (and the iteration it
// already stores) to continue the same sequence to the bit. The formulas are PyTorch's
// (torch.optim.lr_scheduler), stepped the way its documentation steps each one:
//   step      StepLR / MultiStepLR, stepped once per epoch:  lr·γ^⌊epoch/stepSize⌋, lr·γ^(milestones passed)
//   cosine    CosineAnnealingLR, stepped once per batch over the run (T_max = its steps):
//             η_min + (lr − η_min)(1 + cos(π t/T))/2
//   onecycle  OneCycleLR (anneal 'cos' or 'linear', three_phase=False, cycle_momentum=False),
//             stepped once per batch, total_steps = the run's steps, max_lr = the optimizer's lr
//   warm-up   LinearLR(start_factor, end_factor=1, total_iters = warm-up steps) chained before
//             constant, step or cosine as SequentialLR does: the main schedule starts from its
//             own step 0 when the warm-up ends (step milestones stay in run epochs).
// Where PyTorch would go on past its horizon (cosine rises again after T_max, OneCycleLR throws),
// a run whose epochs were raised on resume keeps the schedule's final learning rate.

export type LrScheduleType = 'constant' | 'step' | 'cosine' | 'onecycle';

/** What the user asks for (TrainerOptions.lrSchedule); every field but type has a default. */
export interface LrScheduleSpec {
  type: LrScheduleType;
  /** step: decay every stepSize epochs (StepLR's step_size). */
  stepSize?: number;
  /** step: decay at these epochs instead (MultiStepLR's milestones). */
  milestones?: number[];
  /** step: the factor per decay (default 0.1, PyTorch's). */
  gamma?: number;
  /** cosine: the final learning rate η_min (default 0). */
  etaMin?: number;
  /** onecycle: the share of the steps spent rising (default 0.3). */
  pctStart?: number;
  /** onecycle: the first learning rate is maxLr/divFactor (default 25). */
  divFactor?: number;
  /** onecycle: the last is maxLr/(divFactor·finalDivFactor) (default 1e4). */
  finalDivFactor?: number;
  /** onecycle: 'cos' (default) or 'linear'. */
  anneal?: 'cos' | 'linear';
  /** Linear warm-up over this many epochs (may be fractional; constant, step and cosine). */
  warmupEpochs?: number;
  /** The warm-up's first factor of the learning rate (default 1/3, LinearLR's). */
  warmupStartFactor?: number;
}

/** A schedule fixed to one run: what a checkpoint stores (meta.lrSchedule). */
export interface LrScheduleState {
  spec: LrScheduleSpec;
  /** The optimizer's lr the factors multiply (onecycle: max_lr). */
  baseLr: number;
  /** The run's steps (the horizon of cosine and onecycle). */
  totalSteps: number;
  /** Steps per epoch (fractional with random sampling: the book's iter_per_epoch). */
  iterPerEpoch: number;
}

const TYPES: readonly LrScheduleType[] = ['constant', 'step', 'cosine', 'onecycle'];
const KEYS: Record<LrScheduleType, readonly string[]> = {
  constant: ['type', 'warmupEpochs', 'warmupStartFactor'],
  step: ['type', 'stepSize', 'milestones', 'gamma', 'warmupEpochs', 'warmupStartFactor'],
  cosine: ['type', 'etaMin', 'warmupEpochs', 'warmupStartFactor'],
  onecycle: ['type', 'pctStart', 'divFactor', 'finalDivFactor', 'anneal'],
};

function bad(what: string, expected: string, v: unknown, fix = ''): never {
  throw new RangeError(`lrSchedule: ${what} must be ${expected}, received ${JSON.stringify(v)}.${fix ? ` ${fix}` : ''}`);
}

function number(o: Record<string, unknown>, key: string, expected: string, ok: (x: number) => boolean, fix = ''): void {
  const v = o[key];
  if (v === undefined) return;
  if (typeof v !== 'number' || !Number.isFinite(v) || !ok(v)) bad(key, expected, v, fix);
}

/**
 * Checks a schedule given as a name ('cosine') or a spec object and returns the spec with its
 * defaults filled in. Every mistake is named: an unknown type or key, a value out of range, a
 * field that belongs to another schedule, a step schedule with neither stepSize nor milestones.
 */
export function normalizeLrSchedule(input: unknown): LrScheduleSpec {
  const raw = typeof input === 'string' ? { type: input } : input;
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    bad('the option', `one of ${TYPES.map((t) => `'${t}'`).join(', ')} or an object { type, … }`, raw);
  }
  const o = raw as Record<string, unknown>;
  const type = o.type as LrScheduleType;
  if (!TYPES.includes(type)) bad('type', `one of ${TYPES.join(', ')}`, o.type);
  for (const k of Object.keys(o)) {
    if (KEYS[type].includes(k)) continue;
    const owner = TYPES.find((t) => KEYS[t].includes(k));
    throw new TypeError(
      `lrSchedule: '${k}' does not apply to the ${type} schedule` +
        (owner ? ` (it is a setting of ${type === 'onecycle' && k.startsWith('warmup') ? 'constant, step and cosine: onecycle has its own warm-up, pctStart' : owner})` : '') +
        `. The ${type} schedule takes ${KEYS[type].filter((x) => x !== 'type').join(', ') || 'nothing else'}.`,
    );
  }
  number(o, 'stepSize', 'a number of epochs > 0', (x) => x > 0);
  number(o, 'gamma', 'a factor in (0, 1]', (x) => x > 0 && x <= 1);
  number(o, 'etaMin', 'a learning rate ≥ 0', (x) => x >= 0);
  number(o, 'pctStart', 'a share in (0, 1)', (x) => x > 0 && x < 1);
  number(o, 'divFactor', 'a number ≥ 1', (x) => x >= 1);
  number(o, 'finalDivFactor', 'a number ≥ 1', (x) => x >= 1);
  number(o, 'warmupEpochs', 'a number of epochs ≥ 0', (x) => x >= 0);
  number(o, 'warmupStartFactor', 'a factor in [0, 1]', (x) => x >= 0 && x <= 1);
  if (o.anneal !== undefined && o.anneal !== 'cos' && o.anneal !== 'linear') bad('anneal', "'cos' or 'linear'", o.anneal);
  const spec: LrScheduleSpec = { type };
  if (type === 'step') {
    if (o.milestones !== undefined) {
      const m = o.milestones;
      if (!Array.isArray(m) || m.length === 0 || m.some((x, i) => typeof x !== 'number' || !Number.isFinite(x) || x <= 0 || (i > 0 && x <= (m[i - 1] as number)))) {
        bad('milestones', 'a non-empty list of increasing epochs > 0', m, 'Example: milestones: [10, 15] (--lr-milestones 10,15).');
      }
      if (o.stepSize !== undefined) throw new TypeError('lrSchedule: the step schedule takes stepSize (decay every n epochs) or milestones (decay at these epochs), not both.');
      spec.milestones = [...(m as number[])];
    } else if (o.stepSize === undefined) {
      throw new TypeError('lrSchedule: the step schedule needs stepSize (decay every n epochs, as StepLR) or milestones (the epochs to decay at, as MultiStepLR). Example: { type: \'step\', stepSize: 5 } (--lr-schedule step --lr-step 5).');
    } else {
      spec.stepSize = o.stepSize as number;
    }
    spec.gamma = (o.gamma as number | undefined) ?? 0.1;
  } else if (type === 'cosine') {
    spec.etaMin = (o.etaMin as number | undefined) ?? 0;
  } else if (type === 'onecycle') {
    spec.pctStart = (o.pctStart as number | undefined) ?? 0.3;
    spec.divFactor = (o.divFactor as number | undefined) ?? 25;
    spec.finalDivFactor = (o.finalDivFactor as number | undefined) ?? 1e4;
    spec.anneal = (o.anneal as 'cos' | 'linear' | undefined) ?? 'cos';
  }
  if (type !== 'onecycle') {
    spec.warmupEpochs = (o.warmupEpochs as number | undefined) ?? 0;
    spec.warmupStartFactor = (o.warmupStartFactor as number | undefined) ?? 1 / 3;
  }
  return spec;
}

/** PyTorch's _annealing_cos and _annealing_linear: from start (pct 0) to end (pct 1). */
function anneal(kind: 'cos' | 'linear', start: number, end: number, pct: number): number {
  if (kind === 'linear') return (end - start) * pct + start;
  return end + ((start - end) / 2) * (Math.cos(Math.PI * pct) + 1);
}

/** A schedule fixed to a run's base learning rate and length. lrAt(i) is the learning rate of step i (from 0). */
export class LrSchedule {
  readonly spec: LrScheduleSpec;
  readonly baseLr: number;
  readonly totalSteps: number;
  readonly iterPerEpoch: number;
  /** Steps of linear warm-up (0 for none and for onecycle). */
  readonly warmupSteps: number;

  constructor(state: LrScheduleState) {
    this.spec = normalizeLrSchedule(state.spec);
    if (typeof state.baseLr !== 'number' || !(state.baseLr > 0) || !Number.isFinite(state.baseLr)) {
      throw new RangeError(`lrSchedule: the optimizer's learning rate must be a finite number > 0 for a schedule to scale it, received ${JSON.stringify(state.baseLr)}.`);
    }
    if (!Number.isSafeInteger(state.totalSteps) || state.totalSteps < 1) throw new RangeError(`lrSchedule: totalSteps must be an integer ≥ 1, received ${JSON.stringify(state.totalSteps)}.`);
    if (!(state.iterPerEpoch >= 1) || !Number.isFinite(state.iterPerEpoch)) throw new RangeError(`lrSchedule: iterPerEpoch must be ≥ 1, received ${JSON.stringify(state.iterPerEpoch)}.`);
    this.baseLr = state.baseLr;
    this.totalSteps = state.totalSteps;
    this.iterPerEpoch = state.iterPerEpoch;
    const s = this.spec;
    if (s.type === 'cosine' && s.etaMin! > this.baseLr) {
      throw new RangeError(`lrSchedule: cosine's etaMin ${s.etaMin} is above the learning rate ${this.baseLr}; it is the rate the schedule ends at. Fix: give an etaMin below lr (e.g. 0).`);
    }
    this.warmupSteps = s.type === 'onecycle' ? 0 : Math.round((s.warmupEpochs ?? 0) * this.iterPerEpoch);
    if (this.warmupSteps >= this.totalSteps && s.type !== 'constant') {
      throw new RangeError(
        `lrSchedule: the warm-up (${s.warmupEpochs} epochs = ${this.warmupSteps} steps) takes the whole run (${this.totalSteps} steps), leaving nothing for the ${s.type} schedule. ` +
          `Fix: a shorter warm-up or more epochs.`,
      );
    }
    if (s.type === 'onecycle' && s.pctStart! * this.totalSteps - 1 <= 0) {
      throw new RangeError(`lrSchedule: onecycle needs at least ${Math.ceil(1 / s.pctStart! + 1e-9) + 1} steps to rise with pctStart ${s.pctStart}, the run has ${this.totalSteps}. Fix: more epochs or steps per epoch, or a larger pctStart.`);
    }
  }

  /** The settings a checkpoint stores; new LrSchedule(state) rebuilds the same schedule. */
  get state(): LrScheduleState {
    return { spec: this.spec, baseLr: this.baseLr, totalSteps: this.totalSteps, iterPerEpoch: this.iterPerEpoch };
  }

  /** The learning rate of step i (0-based: the i-th update of the run). */
  lrAt(i: number): number {
    const s = this.spec;
    const base = this.baseLr;
    if (s.type === 'onecycle') {
      // OneCycleLR.get_lr with step_num = i, clamped at its last step.
      const initial = base / s.divFactor!;
      const min = initial / s.finalDivFactor!;
      const end1 = s.pctStart! * this.totalSteps - 1;
      const end2 = this.totalSteps - 1;
      const t = Math.min(i, end2);
      if (t <= end1) return anneal(s.anneal!, initial, base, t / end1);
      return anneal(s.anneal!, base, min, (t - end1) / (end2 - end1));
    }
    const w = this.warmupSteps;
    if (i < w) {
      // LinearLR: factor = start + (1 − start)·i/total_iters.
      const f = s.warmupStartFactor!;
      return base * (f + ((1 - f) * i) / w);
    }
    if (s.type === 'constant') return base;
    if (s.type === 'step') {
      // The epoch the step belongs to (the epsilon keeps 3·(10/3) from flooring to 2).
      const epoch = Math.floor(i / this.iterPerEpoch + 1e-9);
      let k: number;
      if (s.milestones) {
        k = 0;
        while (k < s.milestones.length && s.milestones[k] <= epoch) k++;
      } else {
        k = Math.floor(epoch / s.stepSize! + 1e-9);
      }
      return base * s.gamma! ** k;
    }
    // cosine over the steps after the warm-up
    const T = this.totalSteps - w;
    const t = Math.min(i - w, T);
    return s.etaMin! + ((base - s.etaMin!) * (1 + Math.cos((Math.PI * t) / T))) / 2;
  }

  /** One line for logs: 'cosine to 0 over 6000 steps after 600 warm-up steps from 1/3'. */
  describe(): string {
    const s = this.spec;
    const warm = this.warmupSteps > 0 ? `, after ${this.warmupSteps} linear warm-up steps from ${fmt(s.warmupStartFactor!)}·lr` : '';
    switch (s.type) {
      case 'constant': return `constant lr ${fmt(this.baseLr)}${warm}`;
      case 'step': return s.milestones
        ? `lr ${fmt(this.baseLr)} × ${fmt(s.gamma!)} at epochs ${s.milestones.join(', ')}${warm}`
        : `lr ${fmt(this.baseLr)} × ${fmt(s.gamma!)} every ${fmt(s.stepSize!)} epochs${warm}`;
      case 'cosine': return `cosine from ${fmt(this.baseLr)} to ${fmt(s.etaMin!)} over ${this.totalSteps - this.warmupSteps} steps${warm}`;
      case 'onecycle': return `one-cycle (${s.anneal}) ${fmt(this.baseLr / s.divFactor!)} → ${fmt(this.baseLr)} over ${Math.round(s.pctStart! * 100)}% of ${this.totalSteps} steps → ${fmt(this.baseLr / s.divFactor! / s.finalDivFactor!)}`;
    }
  }
}

function fmt(x: number): string {
  return Number(x.toPrecision(4)).toString();
}
