// NaN and ±Infinity in parameters. They must be caught where they enter — initialisation, a
// loaded file, a diverged update — because nothing downstream notices them: Relu and max pooling
// turn NaN into 0 (NaN > 0 is false), so a network with an all-NaN W1 still gives a finite loss
// and a confident, meaningless prediction. When a loss does go NaN, findNonFinite names the
// first layer whose output did, and whether its own parameters are the cause.
import type { Tensor } from '../tensor/tensor';
import { asInput } from './inputs';
import { labelsFor, type LabelsLike } from './labels';
import type { Sequential } from './sequential';
import { snapshotState } from './snapshot';

/** Which layer output first went NaN/±Infinity, from findNonFinite. */
export interface NonFiniteReport {
  /** Layer name ('Conv1'), 'input' when the data itself is not finite, or the loss layer's name. */
  layer: string;
  kind: string;
  /** Position in the stack (−1 for the input, layers.length for the loss). */
  index: number;
  /** How many values of that output are not finite, and how many there are. */
  count: number;
  total: number;
  /** Network parameter names (W1, gamma2 …) of that layer that hold non-finite values. */
  nonFiniteParams: string[];
  /** One sentence naming all of the above. */
  message: string;
}

export function countNonFinite(a: ArrayLike<number>): number {
  let c = 0;
  for (let i = 0; i < a.length; i++) if (!Number.isFinite(a[i])) c++;
  return c;
}

/** "W1 (750 of 750 values), b1 (3 of 30 values)" for the tensors holding NaN/±Infinity; '' when all are finite. */
export function describeNonFinite(tensors: Record<string, Tensor>): string {
  const parts: string[] = [];
  for (const [name, t] of Object.entries(tensors)) {
    const c = countNonFinite(t.data);
    if (c > 0) parts.push(`${name} (${c} of ${t.size} values)`);
  }
  return parts.join(', ');
}

/**
 * Sequential.findNonFinite: the forward pass on x layer by layer (fused blocks taken apart, so
 * the report names a layer), stopping at the first output holding NaN or ±Infinity; then the
 * loss when t is given. Dropout positions and batch-norm running averages are put back.
 */
export function firstNonFinite(net: Sequential, x: Tensor, options: { t?: LabelsLike; train?: boolean } = {}): NonFiniteReport | null {
  const train = options.train ?? false;
  const input = asInput(x, net.inputShape, 'Sequential.findNonFinite');
  const bad = countNonFinite(input.data);
  if (bad > 0) {
    return report('input', 'data', -1, bad, input.size, [],
      `the input batch itself holds ${bad} non-finite values of ${input.size}; check the data (e.g. divide by 255, no NaN pixels)`);
  }
  const restore = snapshotState(net.layers);
  try {
    let out = input;
    for (let i = 0; i < net.layers.length; i++) {
      const layer = net.layers[i];
      out = layer.forward(out, train);
      const c = countNonFinite(out.data);
      if (c > 0) {
        const own = new Set(Object.values(layer.params));
        const badParams = Object.entries(net.params).filter(([, p]) => own.has(p) && countNonFinite(p.data) > 0).map(([name]) => name);
        return report(layer.label, layer.kind, i, c, out.size, badParams,
          `${layer.label} (${layer.kind}: ${layer.describe()}) is the first layer whose output is not finite ` +
            `(${c} of ${out.size} values)` +
            (badParams.length ? `; its parameters ${badParams.join(', ')} hold non-finite values (a diverged update)` : ''));
      }
    }
    if (options.t !== undefined && net.outputShape.length === 1) {
      const loss = net.lastLayer.forward(out, labelsFor(net, options.t, out.shape[0], 'Sequential.findNonFinite'));
      if (!Number.isFinite(loss)) {
        return report('SoftmaxWithLoss', 'SoftmaxWithLoss', net.layers.length, 1, 1, [],
          `every layer output is finite but the loss is ${loss}`);
      }
    }
    return null;
  } finally {
    restore.all();
  }
}

function report(layer: string, kind: string, index: number, count: number, total: number,
  nonFiniteParams: string[], message: string): NonFiniteReport {
  return { layer, kind, index, count, total, nonFiniteParams, message };
}
