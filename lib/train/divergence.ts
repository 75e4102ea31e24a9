// The Trainer's guards against a diverged run: a non-finite loss is reported with the layer whose
// output first went non-finite, and non-finite parameters (which the loss cannot always see) stop
// training before they are evaluated or saved over the last good checkpoint.
import type { Sequential } from '../networks/sequential';
import { describeNonFinite } from '../networks/finite';
import type { Optimizer } from '../optimizers/index';
import type { Tensor } from '../tensor/tensor';

function smallerLr(lr: number): number {
  return Number((lr / 10).toPrecision(3));
}

/**
 * The loss alone cannot see every divergence: Relu and max pooling turn NaN into 0, so a
 * network whose W1 is all NaN still has a finite loss. The Trainer checks the parameters
 * themselves at each epoch end and before any checkpoint is written (a scan is ~1 ms; per step
 * it would cost a tenth of the step). `optimizer` is absent while the Trainer is being built.
 */
export function checkFiniteParams(network: Sequential, optimizer: Optimizer | undefined, when: string): void {
  const bad = describeNonFinite(network.params);
  if (!bad) return;
  const lr = optimizer?.config?.lr;
  const err = new Error(
    `Trainer: the parameters hold NaN or ±Infinity ${when}: ${bad}, although the loss stayed finite ` +
      `(Relu and max pooling hide NaN from it). Training stops here and saves nothing over the last good checkpoint. ` +
      `Fix: use a smaller learning rate${typeof lr === 'number' ? ` (${optimizer!.name} lr ${lr} → try ${smallerLr(lr)})` : ''} or a smaller weight initialisation.`,
  );
  err.name = 'NonFiniteParametersError';
  throw err;
}

/** Which step of the run went wrong, in the words of the error. */
export interface StepPosition { epoch: number; stepInEpoch: number; stepsPerEpoch: number; iteration: number }

/**
 * The NaN guard's message for a step whose loss is not finite: when (`at`, the step that ran)
 * and where the forward pass first went non-finite (the batch re-run layer by layer), and what to do.
 */
export function nonFiniteLossError(loss: number, network: Sequential, optimizer: Optimizer, x: Tensor, t: Int32Array, at: StepPosition): Error {
  let where: string;
  try {
    const r = network.findNonFinite(x, { t, train: true });
    where = r ? r.message : 'every layer output is finite when the batch is re-run, so the loss computation itself overflowed';
  } catch (e) {
    where = `the layer-by-layer re-run failed too (${(e as Error).message})`;
  }
  const lr = optimizer.config?.lr;
  const lrText = typeof lr === 'number' ? `${optimizer.name} lr ${lr}` : 'the learning rate';
  const err = new Error(
    `Trainer: the training loss became ${loss} at epoch ${at.epoch}, step ${at.stepInEpoch} of ${at.stepsPerEpoch} ` +
      `(iteration ${at.iteration}): ${where}. ` +
      `Fix: use a smaller learning rate (${lrText}${typeof lr === 'number' ? ` → try ${smallerLr(lr)}` : ''}), ` +
      `or a smaller weight initialisation; check the inputs are scaled to [0, 1].`,
  );
  err.name = 'NonFiniteLossError';
  return err;
}
