// Every argument check of the TypeScript API, in one place (sharp's lib/is.js and
// invalidParameterError are the model): one sentence shape for every bad value — who, which
// option, what was expected, what was received, and the way out — and one answer for the names
// a reader of the book types (filter_num, pool_h, weight_init_std …), so that none of the layers,
// networks, optimizers or the Trainer word these on its own.
import type { Backend, BackendName } from './backend/types';
import { getBackend, referenceBackend, resolveBackend } from './backend/index';

/** A value as a message shows it: JSON where that reads well, else its kind. */
export function describeValue(v: unknown): string {
  if (v === undefined) return 'undefined';
  if (typeof v === 'number' && !Number.isFinite(v)) return String(v);
  if (typeof v === 'function') return `a function${v.name ? ` (${v.name})` : ''}`;
  if (typeof v === 'bigint') return `${v}n (a BigInt)`;
  if (v !== null && typeof v === 'object' && !Array.isArray(v) && Object.getPrototypeOf(v) !== Object.prototype) {
    return `a ${(v as object).constructor?.name ?? 'object'}`;
  }
  try {
    const s = JSON.stringify(v);
    return s === undefined ? String(v) : s.length > 80 ? `${s.slice(0, 77)}…` : s;
  } catch {
    return typeof v;
  }
}

/**
 * "Convolution: stride must be an integer ≥ 1, received 0." A value of the right type but out of
 * range is a RangeError, a value of the wrong type a TypeError (as JavaScript's own built-ins).
 */
export function invalidParameterError(owner: string, name: string, expected: string, actual: unknown, fix?: string): TypeError | RangeError {
  const msg = `${owner}: ${name} must be ${expected}, received ${describeValue(actual)}.${fix ? ` Fix: ${fix}` : ''}`;
  return typeof actual === 'number' ? new RangeError(msg) : new TypeError(msg);
}

/** v, unless it is not an integer in [min, max]. */
export function checkInt(owner: string, name: string, v: unknown, min: number, max = Infinity): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    const expected = max === Infinity ? `an integer ≥ ${min}` : `an integer in [${min}, ${max}]`;
    // Historically a RangeError whatever the type: tests and users catch it as one.
    throw new RangeError(invalidParameterError(owner, name, expected, v).message);
  }
  return v;
}

/** v, unless it is not a finite number in [lo, hi] (or [lo, hi) when hiOpen). */
export function checkNumber(owner: string, name: string, v: unknown, lo: number, hi: number, hiOpen = false): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < lo || (hiOpen ? v >= hi : v > hi)) {
    const range = `[${lo}, ${hi === Infinity ? '∞' : hi}${hiOpen ? ')' : ']'}`;
    throw new RangeError(invalidParameterError(owner, name, `a number in ${range}`, v).message);
  }
  return v;
}

/** A seed: an integer in [0, 2³²), as the generator takes. */
export function checkSeed(owner: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 0xffffffff) {
    throw new RangeError(invalidParameterError(owner, 'seed', 'an integer in [0, 2³²)', v).message);
  }
  return v;
}

/** v, unless it is not true or false. */
export function checkBoolean(owner: string, name: string, v: unknown): boolean {
  if (typeof v !== 'boolean') throw invalidParameterError(owner, name, 'true or false', v);
  return v;
}

/**
 * v, unless it is not one of `allowed`; `meaning` says in words what each choice does, so the
 * error is also the documentation ("'random' (the book: …) or 'shuffle' (…)").
 */
export function checkOneOf<T extends string>(owner: string, name: string, v: unknown, allowed: readonly T[], meaning?: Partial<Record<T, string>>): T {
  if (typeof v === 'string' && (allowed as readonly string[]).includes(v)) return v as T;
  const list = allowed.map((a) => `'${a}'${meaning?.[a] ? ` (${meaning[a]})` : ''}`);
  const expected = list.length === 1 ? list[0] : `${list.slice(0, -1).join(', ')} or ${list[list.length - 1]}`;
  const near = typeof v === 'string' ? suggest(v, [...allowed]) : '';
  throw new TypeError(invalidParameterError(owner, name, expected, v).message + (near ? ` Did you mean '${near}'?` : ''));
}

/**
 * An options argument: undefined, or a plain object — not an array, nor a number or a Tensor
 * passed where the book's constructor takes positional arguments.
 */
export function checkOptionsObject(owner: string, options: unknown): void {
  if (options === undefined) return;
  const proto = options !== null && typeof options === 'object' ? Object.getPrototypeOf(options) : undefined;
  if (proto !== Object.prototype && proto !== null) {
    const positional = POSITIONAL[owner];
    throw new TypeError(
      `${owner}: options must be an object, received ${describeValue(options)}.` +
        (positional ? ` ${positional}` : ` Fix: pass the options by name, e.g. new ${owner}({ … }).`),
    );
  }
}

/**
 * Rejects option keys `owner` does not know, naming the key, the option meant when it is the
 * book's name or a near miss, and the allowed ones. ignoreUndefined: a key set to undefined is
 * left alone (presets pass their network options through, set or not).
 */
export function checkOptionKeys(owner: string, options: object | undefined, allowed: readonly string[], ignoreUndefined = false): void {
  checkOptionsObject(owner, options);
  if (options === undefined) return;
  // for…in over own keys: a constructor's check allocates no key array.
  for (const k in options) {
    if (!Object.prototype.hasOwnProperty.call(options, k) || allowed.includes(k)) continue;
    if (ignoreUndefined && (options as Record<string, unknown>)[k] === undefined) continue;
    throw new TypeError(
      `${owner}: unknown option '${k}'.${renameHint(k, allowed)} Allowed options: ${allowed.length ? allowed.join(', ') : '(none)'}.`,
    );
  }
}

/** The book's positional constructors, and what they are called here. */
const POSITIONAL: Record<string, string> = {
  Convolution: "The book's Convolution(W, b, stride, pad) is Convolution.fromParams(W, b, stride, pad) here; a new layer is new Convolution({ filters, kernelSize, stride, pad }).",
  Pooling: "The book's Pooling(pool_h, pool_w, stride, pad) is new Pooling({ poolH, poolW, stride, pad }) here.",
  Affine: "The book's Affine(W, b) is Affine.fromParams(W, b) here; a new layer is new Affine({ units }).",
  Dropout: "The book's Dropout(dropout_ratio) is new Dropout({ ratio }) here.",
  BatchNormalization: "The book's BatchNormalization(gamma, beta, momentum) is new BatchNormalization({ momentum, eps }) here (gamma and beta are created at build, sized from the input).",
  Trainer: "The book's Trainer(network, x_train, t_train, x_test, t_test, epochs, mini_batch_size, …) takes its settings as one object here: new Trainer(network, xTrain, tTrain, xTest, tTest, { epochs, miniBatchSize, … }).",
};

/**
 * Names the book (and PyTorch / Keras habits) use for options that are called otherwise here.
 * Each entry: the names a user types, the option they mean, and how the hint says it. Looked up
 * only for the allowed set at hand, so 'filters' in a preset's convParam points to the book's
 * filterNum, and filterNum in a Convolution to filters.
 */
const RENAMED: ReadonlyArray<{ from: readonly string[]; to: string; book?: string }> = [
  { from: ['filterNum', 'filter_num', 'numFilters', 'outChannels', 'out_channels'], to: 'filters', book: 'filter_num' },
  { from: ['filterSize', 'filter_size', 'kernel_size', 'filterH', 'filter_h'], to: 'kernelSize', book: 'filter_size' },
  { from: ['filters', 'outChannels', 'out_channels'], to: 'filterNum', book: 'filter_num' },
  { from: ['kernelSize', 'kernel_size'], to: 'filterSize', book: 'filter_size' },
  { from: ['pool_h', 'poolSize', 'pool_size', 'kernelSize', 'kernel_size', 'size'], to: 'poolH', book: 'pool_h' },
  { from: ['pool_w'], to: 'poolW', book: 'pool_w' },
  { from: ['strides'], to: 'stride' },
  { from: ['padding'], to: 'pad' },
  { from: ['weight_init_std', 'weightInitStd', 'kernelInitializer', 'init'], to: 'weightInit', book: 'weight_init_std' },
  { from: ['weightInit', 'weight_init'], to: 'weightInitStd', book: 'weight_init_std' },
  { from: ['hidden_size', 'outputSize', 'output_size', 'outFeatures', 'out_features', 'hiddenSize'], to: 'units' },
  { from: ['dropout_ratio', 'dropoutRatio', 'dropout_ration', 'dropoutRation', 'rate', 'p'], to: 'ratio', book: 'dropout_ratio' },
  { from: ['learning_rate', 'learningRate'], to: 'lr', book: 'lr' },
  { from: ['mini_batch_size', 'batchSize', 'batch_size'], to: 'miniBatchSize', book: 'mini_batch_size' },
  { from: ['epoch', 'numEpochs', 'num_epochs'], to: 'epochs', book: 'epochs' },
  { from: ['optimizer_param', 'optimizerParams', 'optimizerOptions'], to: 'optimizerParam', book: 'optimizer_param' },
  { from: ['evaluate_sample_num_per_epoch'], to: 'evaluateSampleNumPerEpoch', book: 'evaluate_sample_num_per_epoch' },
  { from: ['weight_decay_lambda', 'weightDecay', 'weight_decay'], to: 'weightDecayLambda', book: 'weight_decay_lambda' },
  { from: ['weight_decay', 'weightDecayLambda', 'weight_decay_lambda'], to: 'weightDecay' },
  { from: ['input_dim', 'inputShape', 'input_shape'], to: 'inputDim', book: 'input_dim' },
  { from: ['input_dim', 'inputDim', 'input_shape'], to: 'inputShape', book: 'input_dim' },
];

/** " The book's filter_num is 'filters' here." / " Did you mean 'epochs'?" / ''. */
export function renameHint(key: string, allowed: readonly string[]): string {
  for (const r of RENAMED) {
    if (!r.from.includes(key) || !allowed.includes(r.to)) continue;
    if (r.book && key === r.book) return ` The book's ${r.book} is '${r.to}' here.`;
    if (r.book) return ` '${key}' is called '${r.to}' here (the book's ${r.book}).`;
    return ` '${key}' is called '${r.to}' here.`;
  }
  // The book's snake_case names, written as scratchnet spells every option: camelCase.
  const camel = key.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
  if (camel !== key && allowed.includes(camel)) return ` The book's ${key} is '${camel}' here (options are camelCase).`;
  const near = suggest(key, [...allowed]);
  return near ? ` Did you mean '${near}'?` : '';
}

function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
  }
  return d[a.length][b.length];
}

/** The candidate a near miss meant (case ignored; at most one edit per three letters, or a cut-short name), else ''. */
export function suggest(word: string, candidates: string[]): string {
  const w = word.toLowerCase();
  // 'batch' for batchSize, 'lr' never for 'lrDecay': a prefix of at least four letters.
  if (w.length >= 4) for (const c of candidates) if (c.toLowerCase().startsWith(w)) return c;
  let best = '';
  let bd = Infinity;
  for (const c of candidates) {
    const dist = editDistance(word.toLowerCase(), c.toLowerCase());
    if (dist < bd) { bd = dist; best = c; }
  }
  return bd < word.length && bd <= Math.max(1, Math.floor(word.length / 3)) ? best : '';
}

/**
 * The backend for data of `dtype`: the one given, else the default — except that float64 runs on
 * the reference backend only (the native kernels take Float32Array), so float64 without a
 * backend gets the reference one, and float64 with another backend is refused, naming `what`.
 */
export function backendForDType(owner: string, what: string, dtype: 'float32' | 'float64', backend?: Backend | BackendName | null): Backend {
  if (backend === undefined || backend === null) return dtype === 'float64' ? referenceBackend : getBackend();
  const b = resolveBackend(backend);
  if (dtype === 'float64' && b.name !== 'reference') {
    throw new TypeError(
      `${owner}: ${what} float64, which needs the reference backend, but the backend is '${b.name}' (its kernels take Float32Array only). ` +
        `Fix: use float32, or backend 'reference' for double-precision checks.`,
    );
  }
  return b;
}
