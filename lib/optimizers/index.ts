// The book's optimizers, and lookup by name as the book's Trainer does.
import { AdaGrad } from './adagrad';
import { Adam } from './adam';
import { Momentum } from './momentum';
import { Nesterov } from './nesterov';
import type { Optimizer, OptimizerState } from './optimizer';
import { RMSprop } from './rmsprop';
import { SGD } from './sgd';

export { Optimizer } from './optimizer';
export type { OptimizerOptions, OptimizerState } from './optimizer';
export { SGD } from './sgd';
export type { SGDOptions } from './sgd';
export { Momentum } from './momentum';
export type { MomentumOptions } from './momentum';
export { Nesterov } from './nesterov';
export type { NesterovOptions } from './nesterov';
export { AdaGrad } from './adagrad';
export type { AdaGradOptions } from './adagrad';
export { RMSprop } from './rmsprop';
export type { RMSpropOptions } from './rmsprop';
export { Adam } from './adam';
export type { AdamOptions } from './adam';

const OPTIMIZERS: Record<string, (options?: object) => Optimizer> = {
  sgd: (o) => new SGD(o),
  momentum: (o) => new Momentum(o),
  nesterov: (o) => new Nesterov(o),
  adagrad: (o) => new AdaGrad(o),
  rmsprop: (o) => new RMSprop(o),
  // The book's Trainer spells it 'rmsprpo'; code ported from it keeps working.
  rmsprpo: (o) => new RMSprop(o),
  adam: (o) => new Adam(o),
};

/** Optimizer names createOptimizer accepts (case-insensitive), as the CLI spells them. */
export const optimizerNames = ['sgd', 'momentum', 'nesterov', 'adagrad', 'rmsprop', 'adam'] as const;
export type OptimizerName = (typeof optimizerNames)[number];

/** The book's spelling of each (its class name, and each optimizer's `name`): adagrad → 'AdaGrad'. */
export const optimizerClassNames: Readonly<Record<OptimizerName, string>> = {
  sgd: 'SGD', momentum: 'Momentum', nesterov: 'Nesterov', adagrad: 'AdaGrad', rmsprop: 'RMSprop', adam: 'Adam',
};

/** The book's Trainer lookup: createOptimizer('Adam', { lr: 0.001 }). Options are checked by the class. */
export function createOptimizer(name: string, params: object = {}): Optimizer {
  const make = typeof name === 'string' ? OPTIMIZERS[name.toLowerCase()] : undefined;
  if (!make) {
    throw new TypeError(`createOptimizer: unknown optimizer ${JSON.stringify(name)}. Valid names (any case): ${optimizerNames.join(', ')}.`);
  }
  return make(params);
}

/** Recreates an optimizer from getState() and restores it (checkpoints). */
export function optimizerFromState(state: OptimizerState): Optimizer {
  const opt = createOptimizer(state?.name);
  opt.setState(state);
  return opt;
}
