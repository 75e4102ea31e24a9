// Seeded random numbers. Everything random in scratchnet (weight init, shuffling, dropout)
// comes from here, so a seed makes a run reproducible and a checkpoint can save the state.

/** A 32-bit integer hash (lowbias32): the same bits in TypeScript and in native/kernels. */
export function mix32(x: number): number {
  x >>>= 0;
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d);
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b);
  x ^= x >>> 16;
  return x >>> 0;
}

/** The per-call key of the dropout hash; both backends compute it the same way. */
export function dropoutKey(seed: number, counter: number): number {
  return mix32(mix32(seed >>> 0) ^ (counter >>> 0));
}

/**
 * Uniform in [0, 1) for element i of dropout call (seed, counter): counter-based, so the mask of
 * any step can be recomputed without replaying the generator, identically in both backends.
 */
export function dropoutUniform(key: number, i: number): number {
  return (mix32(key ^ (i >>> 0)) >>> 8) / 16777216;
}

/** xoshiro128** seeded by splitmix32: fast, small state, serialisable for checkpoints. */
export class Rng {
  private s = new Uint32Array(4);
  /** Box–Muller yields normals in pairs; the spare is part of the state. */
  private spare: number | null = null;

  constructor(seed = 0) {
    this.seed(seed);
  }

  seed(seed: number): void {
    let z = seed >>> 0;
    for (let i = 0; i < 4; i++) {
      z = (z + 0x9e3779b9) >>> 0;
      let t = z;
      t = Math.imul(t ^ (t >>> 16), 0x21f0aaad);
      t = Math.imul(t ^ (t >>> 15), 0x735a2d97);
      this.s[i] = (t ^ (t >>> 15)) >>> 0;
    }
    if ((this.s[0] | this.s[1] | this.s[2] | this.s[3]) === 0) this.s[0] = 1;
    this.spare = null;
  }

  /** Uniform 32-bit unsigned integer. */
  nextU32(): number {
    const s = this.s;
    const result = Math.imul(rotl(Math.imul(s[1], 5), 7), 9) >>> 0;
    const t = s[1] << 9;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return result;
  }

  /** Uniform in [0, 1) with 32 bits of resolution. */
  uniform(): number {
    return this.nextU32() / 4294967296;
  }

  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.uniform() * n);
  }

  /** Standard normal (Box–Muller). */
  normal(): number {
    if (this.spare !== null) {
      const v = this.spare;
      this.spare = null;
      return v;
    }
    let u = 0;
    while (u === 0) u = this.uniform();
    const v = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** Fisher–Yates shuffle in place. */
  shuffle<T extends { length: number; [i: number]: any }>(a: T): T {
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
    return a;
  }

  /** Serialisable state: four u32 words plus the spare normal (or null). */
  getState(): { s: number[]; spare: number | null } {
    return { s: Array.from(this.s), spare: this.spare };
  }

  setState(state: { s: number[]; spare: number | null }): void {
    if (!Array.isArray(state.s) || state.s.length !== 4) {
      throw new TypeError(`Rng.setState: expected 4 state words, received ${JSON.stringify(state.s)}`);
    }
    this.s.set(state.s.map((x) => x >>> 0));
    this.spare = state.spare ?? null;
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}
