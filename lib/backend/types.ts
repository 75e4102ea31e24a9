// The kernel contract every backend implements: `native` (C++ addon, OpenBLAS + SIMD) and
// `reference` (plain TypeScript loops, the definition of correct).
//
// Rules that hold for every kernel:
// - JavaScript owns every buffer. A kernel reads its inputs and writes into the output arrays
//   it is handed; it allocates nothing that outlives the call and returns nothing but scalars.
// - Layouts are row-major. Images are NCHW. Geometry objects carry every size, including the
//   output sizes, which callers compute with lib/tensor/shape.ts (so backends never disagree).
// - The native backend accepts Float32Array only. The reference backend also accepts
//   Float64Array (FloatArray), which the double-precision gradient checks use.
// - Outputs are overwritten, never accumulated into, unless a comment says otherwise.
// - Both backends refuse the same values: sizes are whole numbers and geometry output sizes
//   must equal floor((in + 2·pad − k)/stride) + 1 (the book's and PyTorch's: input rows and
//   columns past the last whole window are not read, and get zero gradient); lr and weightDecay ≥ 0; momentum, decayRate
//   and dropout ratio in [0, 1]; Adam's β1, β2 in [0, 1); batch-norm eps > 0; threads 1..256.

export type FloatArray = Float32Array | Float64Array;
export type BackendName = 'native' | 'reference';

/** Convolution geometry. Input x is (n, c, h, w); weights are (f, c, kh, kw); output is (n, f, oh, ow). */
export interface ConvGeometry {
  n: number; c: number; h: number; w: number;
  f: number; kh: number; kw: number;
  stride: number; pad: number;
  oh: number; ow: number;
}

/** Max-pooling geometry. Input (n, c, h, w), window (ph, pw), output (n, c, oh, ow). Padded cells never win the max. */
export interface PoolGeometry {
  n: number; c: number; h: number; w: number;
  ph: number; pw: number;
  stride: number; pad: number;
  oh: number; ow: number;
}

/** Layers one convChainForward call may run (each keeps its derived weights for the call). */
export const MAX_CHAIN_LAYERS = 16;

/** One layer of Backend.convChainForward: relu(conv(x)) with w (f, c, kh, kw) and b (f), then pooled by p unless p is null. */
export interface ChainLayer {
  w: FloatArray;
  b: FloatArray;
  g: ConvGeometry;
  p: PoolGeometry | null;
}

/**
 * Batch-normalisation geometry: x is viewed as (n, c, s) and statistics are per channel c over
 * n·s values. The book's layer (any input flattened to (n, d)) is c = d, s = 1; per-channel
 * normalisation of (n, c, h, w) images is s = h·w.
 */
export interface BatchNormGeometry { n: number; c: number; s: number; }

/**
 * Labels for softmax + cross-entropy: Int32Array of n class indices in [0, k), or a one-hot
 * (any non-negative target distribution) FloatArray of n·k values.
 */
export type Labels = Int32Array | FloatArray;

export interface Backend {
  readonly name: BackendName;

  /** Threads used by the kernels (native: own pool splitting the batch; OpenBLAS runs single-threaded). */
  setNumThreads(n: number): void;
  getNumThreads(): number;

  // --- im2col / col2im ---------------------------------------------------------------------
  // col layout is (n, c·kh·kw, oh·ow): for each image, row r = (ci·kh + ki)·kw + kj holds the
  // input value under kernel tap (ci, ki, kj) at every output position (oi·ow + oj).
  // (This is, per image, the transpose of the book's (oh·ow, c·kh·kw) layout: it lets the
  // convolution be W(f, c·kh·kw) · col_n(c·kh·kw, oh·ow) and land directly in NCHW.)
  // Cells that fall in the padding read as 0.
  im2col(x: FloatArray, g: ConvGeometry, col: FloatArray): void;
  /** The adjoint of im2col: dx is overwritten with the sum of every col entry that maps to each pixel. */
  col2im(col: FloatArray, g: ConvGeometry, dx: FloatArray): void;

  // --- Convolution (im2col + GEMM) ---------------------------------------------------------
  /** out(n,f,oh,ow) = W · im2col(x) + b. col (n·c·kh·kw·oh·ow) receives im2col(x) and is kept for backward. */
  convForward(x: FloatArray, w: FloatArray, b: FloatArray, g: ConvGeometry, out: FloatArray, col: FloatArray): void;
  /**
   * From dout (n,f,oh,ow) and the col that convForward wrote: dw (f,c,kh,kw), db (f) are
   * overwritten; dx (n,c,h,w) is overwritten when given, or skipped when null (the first layer
   * needs no input gradient). When dx is computed, col is used as scratch and its contents are
   * undefined afterwards.
   */
  convBackward(dout: FloatArray, w: FloatArray, col: FloatArray, g: ConvGeometry,
    dw: FloatArray, db: FloatArray, dx: FloatArray | null): void;

  // --- Convolution → Relu → max Pooling, fused ---------------------------------------------
  // The block every convolutional network of the book repeats, as one kernel that never stores
  // the convolution's output (Sequential uses it for each Convolution, Relu, Pooling run).
  // p is the pooling of the convolution output: p.n = g.n, p.c = g.f, p.h = g.oh, p.w = g.ow.
  /**
   * out (n,f,p.oh,p.ow) = relu(maxpool(conv(x))) — equal to Pooling(Relu(Convolution(x))), relu
   * being monotone. argmax receives each window's winner as a flat index in the (g.oh, g.ow)
   * convolution plane; first maximum wins ties. argmax null is inference: the same out, no
   * winners kept (so no backward can follow), and less work.
   */
  convReluPoolForward(x: FloatArray, w: FloatArray, b: FloatArray, g: ConvGeometry, p: PoolGeometry,
    out: FloatArray, argmax: Int32Array | null): void;
  /**
   * From dout and the forward's out and argmax (all (n,f,p.oh,p.ow)), the same x and w: dw and db
   * are overwritten, dx (n,c,h,w) too when given. A window passes dout to its winner only where
   * its out is positive.
   */
  convReluPoolBackward(dout: FloatArray, out: FloatArray, argmax: Int32Array, x: FloatArray, w: FloatArray,
    g: ConvGeometry, p: PoolGeometry, dw: FloatArray, db: FloatArray, dx: FloatArray | null): void;

  // --- Convolution → Relu, fused -------------------------------------------------------------
  // The block the deeper networks repeat between poolings (DeepConvNet's Conv → Relu → Conv →
  // Relu → Pool), as one kernel that keeps no im2col buffer: backward recomputes it from x.
  /** out (n,f,oh,ow) = relu(conv(x)) — equal to Relu(Convolution(x)). */
  convReluForward(x: FloatArray, w: FloatArray, b: FloatArray, g: ConvGeometry, out: FloatArray): void;
  /**
   * From dout and the forward's out (both (n,f,oh,ow)), the same x and w: dw and db are
   * overwritten, dx (n,c,h,w) too when given. dout passes where out is positive.
   */
  convReluBackward(dout: FloatArray, out: FloatArray, x: FloatArray, w: FloatArray, g: ConvGeometry,
    dw: FloatArray, db: FloatArray, dx: FloatArray | null): void;

  // --- A run of fused blocks, image by image (inference) ---------------------------------------
  /**
   * Inference through consecutive fused blocks (each a Convolution → Relu, then a max Pooling
   * where its p is given): x (n, c, h, w) is the first layer's input, out the last layer's output.
   * The same values as convReluForward and convReluPoolForward (argmax null) called one after
   * another, computed image by image so each image's maps pass between the layers in cache.
   * Each layer's g must read exactly the previous layer's output.
   */
  convChainForward(x: FloatArray, layers: readonly ChainLayer[], out: FloatArray): void;

  // --- Affine ------------------------------------------------------------------------------
  /** out(n,m) = x(n,d) · W(d,m) + b(m). */
  affineForward(x: FloatArray, w: FloatArray, b: FloatArray, n: number, d: number, m: number, out: FloatArray): void;
  /** dw = xᵀ·dout, db = Σ_rows dout, dx = dout·Wᵀ (skipped when dx is null). */
  affineBackward(dout: FloatArray, x: FloatArray, w: FloatArray, n: number, d: number, m: number,
    dw: FloatArray, db: FloatArray, dx: FloatArray | null): void;

  // --- Max pooling -------------------------------------------------------------------------
  /** out = window maxima; argmax receives, per output cell, the flat index (within its own (h,w) plane) of the winner. First maximum wins ties. */
  poolForward(x: FloatArray, g: PoolGeometry, out: FloatArray, argmax: Int32Array): void;
  /** dx is overwritten: zero everywhere, plus dout routed to each window's winner (summed when windows overlap). */
  poolBackward(dout: FloatArray, argmax: Int32Array, g: PoolGeometry, dx: FloatArray): void;

  // --- Activations (len elements) ----------------------------------------------------------
  reluForward(x: FloatArray, len: number, out: FloatArray): void;
  /** dx = dout where out > 0, else 0 (out is reluForward's output). */
  reluBackward(dout: FloatArray, out: FloatArray, len: number, dx: FloatArray): void;
  sigmoidForward(x: FloatArray, len: number, out: FloatArray): void;
  /** dx = dout · out · (1 − out). */
  sigmoidBackward(dout: FloatArray, out: FloatArray, len: number, dx: FloatArray): void;

  // --- Softmax + cross-entropy -------------------------------------------------------------
  /**
   * probs(n,k) = softmax(x) row-wise (max-subtracted); returns the mean over rows of
   * −Σ t·log(p + 1e-7) (the book's cross_entropy_error), as a double.
   */
  softmaxCrossEntropyForward(x: FloatArray, labels: Labels, n: number, k: number, probs: FloatArray): number;
  /** dx = (probs − t) · scale, where scale is dout / n (the book: dout = 1). */
  softmaxCrossEntropyBackward(probs: FloatArray, labels: Labels, n: number, k: number, scale: number, dx: FloatArray): void;

  // --- Dropout (the book's, not inverted) --------------------------------------------------
  /**
   * Training: mask[i] = 1 if u(seed, counter, i) > ratio else 0, out = x · mask, where u is
   * lib/tensor/rng.ts's dropoutUniform (a counter-based hash, identical in both backends).
   * Inference is x · (1 − ratio) and needs no kernel beyond scale.
   */
  dropoutForward(x: FloatArray, len: number, ratio: number, seed: number, counter: number,
    out: FloatArray, mask: Uint8Array): void;
  /** dx = dout · mask. */
  dropoutBackward(dout: FloatArray, mask: Uint8Array, len: number, dx: FloatArray): void;

  // --- Batch normalisation -----------------------------------------------------------------
  /**
   * train = true: per channel, mean μ and biased variance σ² over the batch; xhat = (x − μ)/√(σ²+eps);
   * out = γ·xhat + β; runningMean = momentum·runningMean + (1−momentum)·μ (same for runningVar
   * with σ²); xhat (n·c·s) and invStd (c) are saved for backward.
   * train = false: uses runningMean / runningVar; xhat and invStd are still written.
   */
  batchNormForward(x: FloatArray, gamma: FloatArray, beta: FloatArray, g: BatchNormGeometry,
    train: boolean, momentum: number, eps: number,
    runningMean: FloatArray, runningVar: FloatArray,
    out: FloatArray, xhat: FloatArray, invStd: FloatArray): void;
  /** Training-mode backward: dgamma = Σ dout·xhat, dbeta = Σ dout, dx by the batch-statistics chain rule. */
  batchNormBackward(dout: FloatArray, xhat: FloatArray, gamma: FloatArray, invStd: FloatArray,
    g: BatchNormGeometry, dx: FloatArray, dgamma: FloatArray, dbeta: FloatArray): void;

  // --- Element-wise helpers ----------------------------------------------------------------
  /** y += alpha · x (len elements). */
  axpy(alpha: number, x: FloatArray, y: FloatArray, len: number): void;
  /** out = x · alpha (len elements; out may be x). */
  scale(x: FloatArray, alpha: number, len: number, out: FloatArray): void;

  // --- Data -------------------------------------------------------------------------------
  /**
   * Byte rows (images kept as bytes) to a float batch: for s in [0, end − start), out row s =
   * src row (rows ? rows[start + s] : start + s) / divisor, rowLength values a row; src holds whole
   * rows, out exactly (end − start)·rowLength values. Each value is byte / divisor computed in
   * double and rounded once, so both backends give the same bits.
   */
  gatherBytes(src: Uint8Array, rowLength: number, rows: Int32Array | null, start: number, end: number,
    divisor: number, out: FloatArray): void;
  /**
   * gatherBytes with each image warped on the way (data augmentation; forward only). src holds
   * images of c·h·w bytes; out image s is source image (rows ? rows[start + s] : start + s) read
   * at sx = a·x + b·y + e, sy = c'·x + d·y + f for every output pixel (x, y) (pixel centres at
   * integers; affine row s = a, b, e, c', d, f, 6 per image), plus alpha times an elastic
   * displacement when taps (2r + 1 values, odd) is not empty: uniform noise in [−1, 1) hashed
   * from (key, s, component, pixel), smoothed by taps along x then y, the noise reaching r pixels
   * past the borders. Bilinear, zero outside the image, in double, then / divisor: an identity
   * row (1, 0, 0, 0, 1, 0) without taps gives gatherBytes's bits, and both backends give the
   * same bits for any input. Every channel shares the coordinates.
   */
  augmentBytes(src: Uint8Array, c: number, h: number, w: number, rows: Int32Array | null, start: number, end: number,
    divisor: number, affine: FloatArray, taps: FloatArray, alpha: number, key: number, out: FloatArray): void;

  // --- Optimizer updates (the book's formulas, in place on param and state) -----------------
  // Each takes weightDecay ≥ 0: the gradient used is g + weightDecay · param (L2 decay);
  // 0 means the plain book update. eps is 1e-7 as in the book.
  sgdUpdate(param: FloatArray, grad: FloatArray, len: number, lr: number, weightDecay: number): void;
  /** v = momentum·v − lr·g; p += v. */
  momentumUpdate(param: FloatArray, grad: FloatArray, v: FloatArray, len: number, lr: number, momentum: number, weightDecay: number): void;
  /** The book's Nesterov: v = m·v − lr·g; p += m·m·v − (1+m)·lr·g. */
  nesterovUpdate(param: FloatArray, grad: FloatArray, v: FloatArray, len: number, lr: number, momentum: number, weightDecay: number): void;
  /** h += g²; p −= lr·g/(√h + 1e-7). */
  adaGradUpdate(param: FloatArray, grad: FloatArray, h: FloatArray, len: number, lr: number, weightDecay: number): void;
  /** h = decay·h + (1−decay)·g²; p −= lr·g/(√h + 1e-7). */
  rmspropUpdate(param: FloatArray, grad: FloatArray, h: FloatArray, len: number, lr: number, decayRate: number, weightDecay: number): void;
  /**
   * The book's Adam at step t ≥ 1 (t counts updates, the caller increments it):
   * lrT = lr·√(1−β2^t)/(1−β1^t); m += (1−β1)(g−m); v += (1−β2)(g²−v); p −= lrT·m/(√v + 1e-7).
   */
  adamUpdate(param: FloatArray, grad: FloatArray, m: FloatArray, v: FloatArray, len: number,
    lr: number, beta1: number, beta2: number, t: number, weightDecay: number): void;
}
