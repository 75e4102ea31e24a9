// The book's optimizers (ch. 6): update(params, grads) on name-keyed parameters (W1, b1, …),
// with per-parameter state (v, h, m) created on first sight of each name. The arithmetic runs in
// the backend's *Update kernels, in place.
import type { Backend, BackendName, FloatArray } from '../backend/types';
import { resolveBackend } from '../backend/index';
import { backendForDType, checkNumber, checkOptionKeys } from '../check';
import { formatShape } from '../tensor/shape';
import { Tensor } from '../tensor/tensor';

export interface OptimizerOptions {
  lr?: number;
  /** L2 weight decay λ: the gradient used is g + λ·param (0 = the book's plain update). */
  weightDecay?: number;
  /** Defaults to getBackend() at the first update (reference for Float64Array parameters). */
  backend?: Backend | BackendName;
}

/** Everything needed to resume: the optimizer, its settings, its step count and its state tensors. */
export interface OptimizerState {
  name: string;
  config: Record<string, number>;
  t: number;
  /** Named '<slot>.<param>', e.g. 'v.W1', 'm.W1', 'h.b2'. */
  tensors: Record<string, Tensor>;
}

/** One number option: its default and the range it must lie in. */
export interface NumberOption { default: number; lo: number; hi: number; hiOpen?: boolean; }

export abstract class Optimizer {
  /** The book's class name, e.g. 'Adam'. */
  abstract readonly name: string;
  /** Updates done so far (Adam's iter; kept by every optimizer for checkpoints). */
  t = 0;
  /** The settings, e.g. { lr, momentum, weightDecay }; may be changed between updates (schedules). */
  readonly config: Record<string, number>;
  protected backend: Backend | null = null;
  /** Per parameter name, one tensor per slot (slots() order). */
  private readonly state = new Map<string, Tensor[]>();

  protected constructor(options: object | undefined, spec: Record<string, NumberOption>) {
    const owner = this.constructor.name;
    checkOptionKeys(owner, options ?? undefined, [...Object.keys(spec), 'backend']);
    const o = (options ?? {}) as Record<string, unknown>;
    this.config = {};
    for (const [k, s] of Object.entries(spec)) {
      this.config[k] = checkNumber(owner, k, o[k] === undefined ? s.default : o[k], s.lo, s.hi, s.hiOpen);
    }
    this.spec = spec;
    if (o.backend !== undefined) this.backend = resolveBackend(o.backend as Backend | BackendName);
  }

  private readonly spec: Record<string, NumberOption>;

  /** Slot names of the per-parameter state, e.g. ['m', 'v'] for Adam. */
  protected abstract slots(): readonly string[];

  /** One parameter's in-place update; state holds the slot tensors' data in slots() order. */
  protected abstract step(backend: Backend, param: FloatArray, grad: FloatArray, state: FloatArray[], len: number): void;

  get lr(): number {
    return this.config.lr;
  }

  set lr(v: number) {
    this.config.lr = checkNumber(this.name, 'lr', v, this.spec.lr.lo, this.spec.lr.hi);
  }

  /** The book's update(params, grads): every entry of params is updated from grads of the same name. */
  update(params: Record<string, Tensor>, grads: Record<string, Tensor>): void {
    if (!params || typeof params !== 'object' || !grads || typeof grads !== 'object') {
      throw new TypeError(`${this.name}.update: expected (params, grads) as objects of Tensors keyed by name (W1, b1, …).`);
    }
    let backend = this.backend;
    this.t++;
    // for…in, not Object.keys: no array allocated per step.
    for (const key in params) {
      const p = params[key];
      const g = grads[key];
      if (!g) {
        throw new Error(`${this.name}.update: no gradient for parameter '${key}' ${formatShape(p.shape)}. Fix: run backward before update and pass grads with the same names as params.`);
      }
      if (!sameShape(p.shape, g.shape) || p.size !== g.size) {
        throw new Error(`${this.name}.update: parameter '${key}' is ${formatShape(p.shape)} but its gradient is ${formatShape(g.shape)}. Fix: pass the grads of the network these params belong to.`);
      }
      if (p.data.constructor !== g.data.constructor) {
        throw new TypeError(`${this.name}.update: parameter '${key}' is ${p.dtype} but its gradient is ${g.dtype}; they must match.`);
      }
      // The message is built only for float64 parameters (gradient checks), not per training step.
      if (!backend || p.data instanceof Float64Array) {
        backend = this.backend = backendForDType(`${this.name}.update`, `parameter '${key}' is`, p.dtype, backend);
      }
      this.step(backend, p.data, g.data, this.slotData(key, p), p.size);
    }
  }

  /** The state of one parameter, created zeroed on first sight (once), or adopted from setState. */
  private slotData(key: string, p: Tensor): FloatArray[] {
    const slots = this.slots();
    if (slots.length === 0) return NO_STATE;
    let s = this.state.get(key);
    if (!s) {
      s = slots.map(() => Tensor.zeros(p.shape, p.dtype));
      this.state.set(key, s);
      this.scratch.set(key, s.map((t) => t.data));
    } else if (s[0].size !== p.size || s[0].data.constructor !== p.data.constructor) {
      if (s[0].size !== p.size) {
        throw new Error(`${this.name}.update: the saved state '${slots[0]}.${key}' has ${s[0].size} values but parameter '${key}' ${formatShape(p.shape)} has ${p.size}. Fix: restore the optimizer state saved with this network, or start a fresh optimizer.`);
      }
      // A checkpoint written in another precision: convert once, then train on.
      s = s.map((t) => Tensor.from(t.data, p.shape, p.dtype));
      this.state.set(key, s);
      this.scratch.set(key, s.map((t) => t.data));
    }
    return this.scratch.get(key)!;
  }

  /** The slot arrays per parameter, kept so update hands them to step without building an array. */
  private readonly scratch = new Map<string, FloatArray[]>();

  /** A copy of the state, safe to save while training goes on. */
  getState(): OptimizerState {
    const tensors: Record<string, Tensor> = {};
    const slots = this.slots();
    for (const [key, s] of this.state) s.forEach((t, i) => { tensors[`${slots[i]}.${key}`] = t.clone(); });
    return { name: this.name, config: { ...this.config }, t: this.t, tensors };
  }

  /** Restores getState()'s result (settings, step count and tensors) so training resumes exactly. */
  setState(state: OptimizerState): void {
    if (!state || typeof state !== 'object') throw new TypeError(`${this.name}.setState: expected { name, config, t, tensors }, received ${JSON.stringify(state)}.`);
    if (typeof state.name !== 'string' || state.name.toLowerCase() !== this.name.toLowerCase()) {
      throw new Error(`${this.name}.setState: the state was saved by optimizer '${state.name}', not ${this.name}. Fix: createOptimizer('${state.name}') and restore into that.`);
    }
    if (!Number.isInteger(state.t) || state.t < 0) throw new RangeError(`${this.name}.setState: t must be an integer ≥ 0, received ${JSON.stringify(state.t)}.`);
    const config: Record<string, number> = {};
    for (const [k, v] of Object.entries(state.config ?? {})) {
      if (!this.spec[k]) throw new TypeError(`${this.name}.setState: unknown config key '${k}'. Allowed: ${Object.keys(this.spec).join(', ')}.`);
      config[k] = checkNumber(this.name, k, v, this.spec[k].lo, this.spec[k].hi, this.spec[k].hiOpen);
    }
    const slots = this.slots();
    const byParam = new Map<string, Tensor[]>();
    for (const [name, t] of Object.entries(state.tensors ?? {})) {
      const dot = name.indexOf('.');
      const slot = dot < 0 ? '' : name.slice(0, dot);
      const key = name.slice(dot + 1);
      const i = slots.indexOf(slot);
      if (dot < 0 || i < 0) {
        throw new Error(`${this.name}.setState: unexpected state tensor '${name}'; ${this.name} keeps ${slots.length ? slots.map((s) => `'${s}.<param>'`).join(' and ') : 'no tensors'}.`);
      }
      if (!(t instanceof Tensor)) throw new TypeError(`${this.name}.setState: state tensor '${name}' is not a Tensor.`);
      let arr = byParam.get(key);
      if (!arr) byParam.set(key, (arr = new Array(slots.length)));
      arr[i] = t.clone();
    }
    for (const [key, arr] of byParam) {
      for (let i = 0; i < slots.length; i++) {
        if (!arr[i]) throw new Error(`${this.name}.setState: state tensor '${slots[i]}.${key}' is missing (found ${slots.filter((_, j) => arr[j]).map((s) => `${s}.${key}`).join(', ')}).`);
        if (arr[i].size !== arr[0].size) throw new Error(`${this.name}.setState: '${slots[i]}.${key}' ${formatShape(arr[i].shape)} and '${slots[0]}.${key}' ${formatShape(arr[0].shape)} differ in size.`);
      }
    }
    Object.assign(this.config, config);
    this.t = state.t;
    this.state.clear();
    this.scratch.clear();
    for (const [key, arr] of byParam) {
      this.state.set(key, arr);
      this.scratch.set(key, arr.map((t) => t.data));
    }
  }
}

const NO_STATE: FloatArray[] = [];

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Options every optimizer shares. */
export const LR = (lr: number): NumberOption => ({ default: lr, lo: 0, hi: Infinity });
export const WEIGHT_DECAY: NumberOption = { default: 0, lo: 0, hi: Infinity };
/** Momentum-like factors: 1 would never forget, so [0, 1). */
export const FACTOR = (d: number): NumberOption => ({ default: d, lo: 0, hi: 1, hiOpen: true });
