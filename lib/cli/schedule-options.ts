// The learning-rate schedule flags of `scratchnet train` (lib/train/schedule.ts has the
// formulas): their table for --help and their translation into a Trainer lrSchedule, with every
// flag that belongs to another schedule named as such.
import type { LrScheduleSpec, LrScheduleType } from '../train/schedule';
import { CliError, type OptionTable, type ParsedValues, num, oneOf, str } from './options';

const TYPES = ['constant', 'step', 'cosine', 'onecycle'] as const;

export const scheduleOptions: OptionTable = {
  'lr-schedule': {
    type: 'string', arg: '<name>',
    help: "learning rate per step: constant; step (× --lr-gamma every --lr-step epochs or at --lr-milestones, PyTorch's StepLR/MultiStepLR); " +
      "cosine (to --lr-min over the run, CosineAnnealingLR per batch); onecycle (--lr is the peak, OneCycleLR)",
    def: 'constant',
  },
  'lr-step': { type: 'string', arg: '<epochs>', help: 'step: decay every n epochs' },
  'lr-milestones': { type: 'string', arg: '<e1,e2,…>', help: 'step: decay at these epochs' },
  'lr-gamma': { type: 'string', arg: '<x>', help: 'step: the factor per decay', def: '0.1' },
  'lr-min': { type: 'string', arg: '<x>', help: 'cosine: the final learning rate', def: '0' },
  warmup: { type: 'string', arg: '<epochs>', help: 'linear warm-up before constant, step or cosine (fractions allowed: 0.5)', def: '0' },
  'warmup-start': { type: 'string', arg: '<factor>', help: "the warm-up's first factor of --lr (LinearLR's start_factor)", def: '1/3' },
  'onecycle-pct': { type: 'string', arg: '<x>', help: 'onecycle: share of the steps spent rising', def: '0.3' },
  'onecycle-div': { type: 'string', arg: '<x>', help: 'onecycle: starts at lr/div', def: '25' },
  'onecycle-final-div': { type: 'string', arg: '<x>', help: 'onecycle: ends at lr/(div·final-div)', def: '10000' },
  'onecycle-anneal': { type: 'string', arg: '<cos|linear>', help: 'onecycle: the shape of both phases', def: 'cos' },
};

/** Which schedules take which flag. */
const OWNERS: Record<string, readonly LrScheduleType[]> = {
  'lr-step': ['step'], 'lr-milestones': ['step'], 'lr-gamma': ['step'], 'lr-min': ['cosine'],
  warmup: ['constant', 'step', 'cosine'], 'warmup-start': ['constant', 'step', 'cosine'],
  'onecycle-pct': ['onecycle'], 'onecycle-div': ['onecycle'], 'onecycle-final-div': ['onecycle'], 'onecycle-anneal': ['onecycle'],
};

/** True when any schedule flag was given. */
export function scheduleFlagsGiven(v: ParsedValues): boolean {
  return Object.keys(scheduleOptions).some((k) => str(v, k) !== undefined);
}

/** The Trainer lrSchedule the flags ask for, or undefined when none was given. */
export function parseSchedule(cmd: string, v: ParsedValues): LrScheduleSpec | undefined {
  if (!scheduleFlagsGiven(v)) return undefined;
  const type = oneOf(cmd, v, 'lr-schedule', TYPES) ?? 'constant';
  for (const [flagName, owners] of Object.entries(OWNERS)) {
    if (str(v, flagName) !== undefined && !owners.includes(type)) {
      throw new CliError(
        `scratchnet ${cmd}: --${flagName} applies to the ${owners.join('/')} schedule${owners.length > 1 ? 's' : ''}, but the schedule is ${type}` +
          `${str(v, 'lr-schedule') === undefined ? ' (no --lr-schedule given)' : ''}. Fix: ${owners.length === 1 ? `add --lr-schedule ${owners[0]}` : `use --lr-schedule ${owners.join(' or ')}`}, or drop --${flagName}.`,
      );
    }
  }
  const spec: LrScheduleSpec = { type };
  const stepSize = num(cmd, v, 'lr-step', { min: 0, exclusiveMin: true });
  if (stepSize !== undefined) spec.stepSize = stepSize;
  const milestones = str(v, 'lr-milestones');
  if (milestones !== undefined) {
    const list = milestones.split(',').map((x) => Number(x.trim()));
    if (list.length === 0 || list.some((x, i) => !Number.isFinite(x) || x <= 0 || (i > 0 && x <= list[i - 1]))) {
      throw new CliError(`scratchnet ${cmd}: --lr-milestones must be increasing epochs > 0 separated by commas (e.g. 10,15), received '${milestones}'.`);
    }
    spec.milestones = list;
  }
  if (type === 'step' && stepSize === undefined && milestones === undefined) {
    throw new CliError(`scratchnet ${cmd}: --lr-schedule step needs --lr-step <epochs> (decay every n epochs) or --lr-milestones <e1,e2,…> (decay at these epochs).`);
  }
  if (stepSize !== undefined && milestones !== undefined) {
    throw new CliError(`scratchnet ${cmd}: give --lr-step (decay every n epochs) or --lr-milestones (decay at these epochs), not both.`);
  }
  const set = (flagName: string, key: keyof LrScheduleSpec, o: Parameters<typeof num>[3]) => {
    const x = num(cmd, v, flagName, o);
    if (x !== undefined) (spec as unknown as Record<string, number>)[key] = x;
  };
  set('lr-gamma', 'gamma', { min: 0, exclusiveMin: true, max: 1 });
  set('lr-min', 'etaMin', { min: 0 });
  set('warmup', 'warmupEpochs', { min: 0 });
  set('warmup-start', 'warmupStartFactor', { min: 0, max: 1 });
  set('onecycle-pct', 'pctStart', { min: 0, exclusiveMin: true, max: 0.99 });
  set('onecycle-div', 'divFactor', { min: 1 });
  set('onecycle-final-div', 'finalDivFactor', { min: 1 });
  const annealing = oneOf(cmd, v, 'onecycle-anneal', ['cos', 'linear'] as const);
  if (annealing !== undefined) spec.anneal = annealing;
  return spec;
}
