// The book's layer: forward / backward with cached state, parameters and gradients by name.
// scratchnet adds one step before the first forward: build(inputShape), which works out every
// shape from the incoming one, creates the parameters, and fails there (not mid-training)
// when the layer cannot fit.
import type { Backend } from '../backend/types';
import { Rng } from '../tensor/rng';
import { Tensor, type DType } from '../tensor/tensor';

/** What a layer needs at build time. */
export interface BuildContext {
  backend: Backend;
  /** Generator for weight initialisation (seeded by the network). */
  rng: Rng;
  dtype: DType;
}

/** How weights are initialised: a fixed standard deviation (the book's weight_init_std), or scaled by fan-in. */
export type WeightInit = number | 'he' | 'relu' | 'xavier' | 'sigmoid';

/** Standard deviation for a weight init given the fan-in (the book: 'he' = √(2/n), 'xavier' = √(1/n)). */
export function initStd(init: WeightInit, fanIn: number): number {
  if (typeof init === 'number') return init;
  if (init === 'he' || init === 'relu') return Math.sqrt(2 / fanIn);
  if (init === 'xavier' || init === 'sigmoid') return Math.sqrt(1 / fanIn);
  throw new TypeError(`weightInit must be a number (standard deviation), 'he' or 'xavier'; received ${JSON.stringify(init)}.`);
}

export abstract class Layer {
  /** The book's class name, e.g. 'Convolution'. */
  abstract readonly kind: string;
  /** This instance's name in its network, e.g. 'Conv1' (set by the network; kind by default). */
  name = '';
  /** Trainable parameters by their layer-local name (W, b, gamma, beta). */
  params: Record<string, Tensor> = {};
  /** Gradients, same names and shapes as params, filled by backward. */
  grads: Record<string, Tensor> = {};
  /** Saved but not trained (BatchNormalization's running mean and variance). */
  buffers: Record<string, Tensor> = {};
  /** False for the first layer of a network: backward may skip the input gradient and return null. */
  needInputGrad = true;
  /** Per-sample input and output shapes (no batch axis), known after build. */
  inputShape: number[] = [];
  outputShape: number[] = [];
  protected backend!: Backend;
  protected dtype: DType = 'float32';

  /**
   * Works out the output shape from the per-sample input shape, creates parameters, and throws
   * a ShapeError naming this layer when it cannot fit. Returns the per-sample output shape.
   */
  build(inputShape: readonly number[], ctx: BuildContext): number[] {
    this.backend = ctx.backend;
    this.dtype = ctx.dtype;
    this.inputShape = [...inputShape];
    this.outputShape = this.buildShapes(this.inputShape, ctx);
    return [...this.outputShape];
  }

  protected abstract buildShapes(inputShape: number[], ctx: BuildContext): number[];

  /** x has shape (batch, ...inputShape). Returns a buffer the layer owns and reuses. */
  abstract forward(x: Tensor, train?: boolean): Tensor;

  /** dout has the shape of forward's output. Returns dx (a reused buffer), or null when needInputGrad is false. */
  abstract backward(dout: Tensor): Tensor | null;

  /** The layer's own settings for summaries and errors, e.g. '30 filters 5×5, stride 1, pad 0'. */
  abstract describe(): string;

  /** Parameter count. */
  paramCount(): number {
    let n = 0;
    for (const p of Object.values(this.params)) n += p.size;
    return n;
  }

  /** A JSON-able description that recreates the layer (used by model files and checkpoints). */
  abstract toConfig(): { type: string } & Record<string, unknown>;
}
