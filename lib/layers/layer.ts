// The book's layer: forward / backward with cached state, parameters and gradients by name.
// scratchnet adds one step before the first forward: build(inputShape), which works out every
// shape from the incoming one, creates the parameters, and fails there (not mid-training)
// when the layer cannot fit.
import type { Backend, FloatArray } from '../backend/types';
import { backendForDType } from '../check';
import { Rng } from '../tensor/rng';
import { bufferTooLarge, formatBytes, isAllocationFailure } from '../tensor/memory';
import { formatShape, sizeOf } from '../tensor/shape';
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
  /** Set by build(); forward refuses to run before it. */
  protected built = false;

  /** The name used in messages: the network's name for this layer ('Conv1'), else its kind. */
  get label(): string {
    return this.name || this.kind;
  }

  /** The backend the layer was built with (undefined before build). */
  getBackend(): Backend | undefined {
    return this.built ? this.backend : undefined;
  }

  /** A zeroed typed array of the layer's dtype. */
  protected alloc(length: number): FloatArray {
    return this.allocating(length, () => (this.dtype === 'float64' ? new Float64Array(length) : new Float32Array(length)));
  }

  /** A zeroed tensor of the layer's dtype. */
  protected zeros(shape: readonly number[]): Tensor {
    return this.allocating(sizeOf(shape), () => Tensor.zeros(shape, this.dtype));
  }

  /**
   * Every buffer of a layer goes through here, so a size beyond the machine is refused naming
   * the layer and the size, before Linux overcommit lets it through and the OOM killer ends the
   * process while the weights are initialised; V8's own failure is given the same message.
   */
  private allocating<T>(length: number, make: () => T): T {
    const bytesPer = this.dtype === 'float64' ? 8 : 4;
    let why = bufferTooLarge(length, bytesPer);
    if (why === null) {
      try {
        return make();
      } catch (e) {
        if (!isAllocationFailure(e)) throw e;
        why = `${length.toLocaleString('en-US')} values (${formatBytes(length * bytesPer)}) could not be allocated (${(e as Error).message})`;
      }
    }
    throw new RangeError(
      `${this.label} (${this.kind}${this.describe() ? `: ${this.describe()}` : ''}): cannot allocate a buffer: ${why}. ` +
        `Fix: make this layer smaller (fewer filters or units, a larger stride, pooling before it), or use a smaller batch size.`,
    );
  }

  /**
   * Checks x against (batch, ...inputShape) and the layer's dtype and returns the batch size.
   * A wrong shape here would otherwise surface as an opaque kernel length error (or, worse, a
   * silently wrong reinterpretation of the data), so the message names both shapes.
   */
  checkInput(x: Tensor): number {
    if (!this.built) {
      throw new Error(
        `${this.label}: forward was called before build. ` +
          `Fix: call layer.build(inputShape, { backend, rng, dtype }) first (a network does this when it is created).`,
      );
    }
    const s = x.shape;
    let ok = s.length === this.inputShape.length + 1 && Number.isInteger(s[0]) && s[0] >= 1;
    for (let i = 0; ok && i < this.inputShape.length; i++) ok = s[i + 1] === this.inputShape[i];
    if (!ok) {
      throw new Error(
        `${this.label} (${this.describe()}): expected input shaped (batch, ${this.inputShape.join(', ')}), ` +
          `received ${formatShape(s)}. Fix: feed data shaped like the inputShape the layer was built with ` +
          (this.inputShape.length === 1
            ? `(flatten images to (batch, ${this.inputShape[0]}), e.g. load data with flatten: true).`
            : `(e.g. load data with flatten: false, or reshape to (batch, ${this.inputShape.join(', ')})).`),
      );
    }
    checkArrayType(this.label, 'input', x.data, this.dtype);
    return s[0];
  }

  /** Checks that dout has the shape of the last forward's output. */
  checkDout(dout: Tensor, expected: readonly number[]): void {
    const s = dout.shape;
    let ok = s.length === expected.length;
    for (let i = 0; ok && i < s.length; i++) ok = s[i] === expected[i];
    if (!ok) {
      throw new Error(
        `${this.label}: backward expected dout shaped like the last forward's output ${formatShape(expected)}, ` +
          `received ${formatShape(s)}. Fix: call backward with the gradient of this layer's most recent forward output.`,
      );
    }
    checkArrayType(this.label, 'dout', dout.data, this.dtype);
  }

  /** Thrown when backward runs before any forward. */
  protected noForward(): Error {
    return new Error(`${this.label}: backward was called before forward. Fix: run forward(x, true) first.`);
  }

  /**
   * Works out the output shape from the per-sample input shape, creates parameters, and throws
   * a ShapeError naming this layer when it cannot fit. Returns the per-sample output shape.
   */
  build(inputShape: readonly number[], ctx: BuildContext): number[] {
    checkDType(this.label, ctx);
    for (const d of inputShape) {
      if (!Number.isInteger(d) || d < 1) {
        throw new Error(
          `${this.label}: the per-sample input shape ${formatShape(inputShape)} must hold positive integers ` +
            `(no batch axis). Fix: pass e.g. [1, 28, 28] for MNIST images or [784] for flattened ones.`,
        );
      }
    }
    this.backend = ctx.backend;
    this.dtype = ctx.dtype;
    this.inputShape = [...inputShape];
    this.outputShape = this.buildShapes(this.inputShape, ctx);
    // A batch of one must fit, or the first forward would fail far from here.
    const tooLarge = bufferTooLarge(sizeOf(this.outputShape), ctx.dtype === 'float64' ? 8 : 4);
    if (tooLarge !== null) {
      throw new RangeError(
        `${this.label} (${this.kind}${this.describe() ? `: ${this.describe()}` : ''}): its output for ONE sample, ${formatShape(this.outputShape)}, ` +
          `cannot be allocated: ${tooLarge}. Fix: make this layer smaller (fewer filters or units, a larger stride, pooling before it).`,
      );
    }
    this.built = true;
    return [...this.outputShape];
  }

  protected abstract buildShapes(inputShape: number[], ctx: BuildContext): number[];

  /** x has shape (batch, ...inputShape). Returns a buffer the layer owns and reuses. */
  abstract forward(x: Tensor, train?: boolean): Tensor;

  /** dout has the shape of forward's output. Returns dx (a reused buffer), or null when needInputGrad is false. */
  abstract backward(dout: Tensor): Tensor | null;

  /** The layer's own settings for summaries and errors, e.g. '30 filters 5×5, stride 1, pad 0'. */
  abstract describe(): string;

  /**
   * Bytes forward allocates per sample for a batch size it has not seen (its output and any
   * scratch its kernel needs); backward's buffers are not counted, as inference never makes them.
   * Sequential sizes its evaluation batches from the sum over the layers.
   */
  forwardBytesPerSample(): number {
    return sizeOf(this.outputShape) * this.bytesPerValue();
  }

  /** Bytes per value of the layer's dtype. */
  protected bytesPerValue(): number {
    return this.dtype === 'float64' ? 8 : 4;
  }

  /**
   * For summaries: which input rows or columns the layer never reads (a window geometry whose
   * last window stops short of the input's end, or whose stride skips rows), or null.
   */
  unusedInput(): string | null {
    return null;
  }

  /** Parameter count. */
  paramCount(): number {
    let n = 0;
    for (const p of Object.values(this.params)) n += p.size;
    return n;
  }

  /** A JSON-able description that recreates the layer (used by model files and checkpoints). */
  abstract toConfig(): { type: string } & Record<string, unknown>;
}

/** The typed-array constructor name a dtype uses. */
function arrayTypeName(dtype: DType): string {
  return dtype === 'float64' ? 'Float64Array' : 'Float32Array';
}

/** Throws when data is not the typed array of the layer's dtype. */
export function checkArrayType(layer: string, what: string, data: unknown, dtype: DType): void {
  const ok = dtype === 'float64' ? data instanceof Float64Array : data instanceof Float32Array;
  if (!ok) {
    const got = (data as object | null)?.constructor?.name ?? typeof data;
    throw new TypeError(
      `${layer}: ${what} must be a ${arrayTypeName(dtype)} (the layer was built with dtype '${dtype}'), received ${got}. ` +
        `Fix: build the network with the dtype of your data, or convert the data (e.g. Float32Array.from(values)).`,
    );
  }
}

/**
 * float64 is for gradient checks on the reference backend; the native kernels take Float32Array
 * only, so the combination is refused at build time rather than at the first kernel call.
 */
export function checkDType(layer: string, ctx: BuildContext): void {
  if (ctx.dtype !== 'float32' && ctx.dtype !== 'float64') {
    throw new TypeError(`${layer}: dtype must be 'float32' or 'float64', received ${JSON.stringify(ctx.dtype)}.`);
  }
  if (!ctx.backend || typeof ctx.backend.name !== 'string') {
    throw new TypeError(`${layer}: build needs ctx.backend (a Backend, e.g. getBackend()); received ${String(ctx.backend)}.`);
  }
  backendForDType(layer, 'dtype is', ctx.dtype, ctx.backend);
}

/**
 * Buffers per batch size. Training (e.g. 100 images) and evaluation (e.g. 1000) alternate, so
 * each keeps its own buffers instead of reallocating at every switch; the least recently used
 * size is dropped beyond `capacity` so odd batch sizes (a last partial batch) cannot grow memory
 * without bound.
 */
export class BatchCache<T> {
  private readonly map = new Map<number, T>();
  private lastKey = -1;

  constructor(private readonly create: (batch: number) => T, private readonly capacity = 4) {}

  get(batch: number): T {
    let v = this.map.get(batch);
    if (v !== undefined) {
      if (this.lastKey !== batch) {
        // Re-insert to mark as most recently used (Map keeps insertion order).
        this.map.delete(batch);
        this.map.set(batch, v);
        this.lastKey = batch;
      }
      return v;
    }
    if (this.map.size >= this.capacity) {
      const oldest = this.map.keys().next().value as number;
      this.map.delete(oldest);
    }
    v = this.create(batch);
    this.map.set(batch, v);
    this.lastKey = batch;
    return v;
  }

  /** Batch sizes currently holding buffers. */
  sizes(): number[] {
    return [...this.map.keys()];
  }

  clear(): void {
    this.map.clear();
    this.lastKey = -1;
  }
}

/**
 * A buffer made on its first use. Backward's buffers (dx, dropout masks) are wrapped in it, so a
 * batch size that only ever runs inference (evaluation at 1000 images, say) never allocates them.
 */
export class Lazy<T> {
  private value: T | null = null;

  constructor(private readonly create: () => T) {}

  get(): T {
    if (this.value === null) this.value = this.create();
    return this.value;
  }

  /** Whether get() has made the buffer. */
  get made(): boolean {
    return this.value !== null;
  }
}
