// The validation flags of `scratchnet train` (lib/train/validation.ts does the work): a split
// held out of the training images, early stopping on it, and which epoch's parameters to keep.
import type { TrainerOptions } from '../train/trainer';
import { CliError, type OptionTable, type ParsedValues, flag, num, oneOf, str } from './options';

export const validationOptions: OptionTable = {
  validation: {
    type: 'string', arg: '<n|share>',
    help: 'hold out n training images (or a share, e.g. 0.1), drawn from --seed, to measure each epoch on; the test set is then evaluated once, at the end, on the kept parameters (best.safetensors)',
  },
  patience: { type: 'string', arg: '<epochs>', help: 'early stopping: stop after this many epochs without a better validation metric', def: 'never' },
  monitor: { type: 'string', arg: '<accuracy|loss>', help: 'the validation metric for the best epoch and early stopping', def: 'accuracy' },
  'min-delta': { type: 'string', arg: '<x>', help: 'the least change of the metric that counts as better', def: '0' },
  'keep-last': { type: 'boolean', help: "keep and test the last epoch's parameters instead of the best validation epoch's" },
};

/** True when any validation flag was given. */
export function validationFlagsGiven(v: ParsedValues): boolean {
  return Object.keys(validationOptions).some((k) => v[k] !== undefined);
}

/** The Trainer options the flags ask for ({} when none). */
export function parseValidation(cmd: string, v: ParsedValues): Pick<TrainerOptions, 'validation' | 'patience' | 'validationMetric' | 'minDelta' | 'keepBest'> {
  const validation = num(cmd, v, 'validation', { min: 0, exclusiveMin: true });
  const others = ['patience', 'monitor', 'min-delta', 'keep-last'].filter((k) => v[k] !== undefined);
  if (validation === undefined) {
    if (others.length) {
      throw new CliError(`scratchnet ${cmd}: --${others[0]} needs a validation split to watch. Fix: add --validation <n> (e.g. --validation 5000) to hold out training images; the test set must not choose the epoch.`);
    }
    return {};
  }
  if (validation >= 1 && !Number.isInteger(validation)) {
    throw new CliError(`scratchnet ${cmd}: --validation must be a number of images (an integer, e.g. 5000) or a share below 1 (e.g. 0.1), received '${str(v, 'validation')}'.`);
  }
  const out: ReturnType<typeof parseValidation> = { validation };
  const patience = num(cmd, v, 'patience', { int: true, min: 1 });
  if (patience !== undefined) out.patience = patience;
  const metric = oneOf(cmd, v, 'monitor', ['accuracy', 'loss'] as const);
  if (metric !== undefined) out.validationMetric = metric;
  const minDelta = num(cmd, v, 'min-delta', { min: 0 });
  if (minDelta !== undefined) out.minDelta = minDelta;
  if (flag(v, 'keep-last')) out.keepBest = false;
  return out;
}
