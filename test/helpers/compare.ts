// Array comparison that reports the largest difference, so a failing kernel says by how much
// and where, not just "not equal".
import type { ExecutionContext } from 'ava';

type Numeric = ArrayLike<number>;

export interface Diff {
  /** Largest |a − b| over the arrays. */
  maxAbs: number;
  /** Index of the largest violation of the tolerance (or of maxAbs when none). */
  worstIndex: number;
  /** Elements with |a − b| > tol·(1 + |b|). */
  violations: number;
}

/** Compares actual a with expected b under |a − b| ≤ tol·(1 + |b|); NaN anywhere is a violation. */
export function diff(a: Numeric, b: Numeric, tol: number): Diff {
  let maxAbs = 0;
  let worstIndex = 0;
  let worstRatio = -1;
  let violations = 0;
  for (let i = 0; i < b.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    const bad = !(d <= tol * (1 + Math.abs(b[i])));
    if (bad) violations++;
    if (d > maxAbs || Number.isNaN(d)) maxAbs = Number.isNaN(d) ? NaN : Math.max(maxAbs, d);
    const ratio = Number.isNaN(d) ? Infinity : d / (1 + Math.abs(b[i]));
    if (ratio > worstRatio) {
      worstRatio = ratio;
      worstIndex = i;
    }
  }
  return { maxAbs, worstIndex, violations };
}

/**
 * Asserts that `actual` matches `expected` element-wise within tol·(1 + |expected|), and that
 * the lengths agree. The failure message names the array, the case, the max abs difference
 * and the worst element.
 */
export function assertClose(t: ExecutionContext, name: string, actual: Numeric, expected: Numeric, tol: number,
  context = ''): boolean {
  if (actual.length !== expected.length) {
    t.fail(`${name}${context ? ` (${context})` : ''}: length ${actual.length}, expected ${expected.length}`);
    return false;
  }
  const d = diff(actual, expected, tol);
  const ok = d.violations === 0;
  t.true(ok, ok ? `${name}: max abs diff ${d.maxAbs}` :
    `${name}${context ? ` (${context})` : ''}: ${d.violations} of ${expected.length} elements differ by more than ` +
    `${tol}·(1+|expected|); max abs diff ${d.maxAbs}; worst at [${d.worstIndex}]: ` +
    `got ${actual[d.worstIndex]}, expected ${expected[d.worstIndex]}`);
  return ok;
}

/** Exact equality, with the count of differing elements and the first one in the message. */
export function assertEqualArrays(t: ExecutionContext, name: string, actual: Numeric, expected: Numeric,
  context = ''): boolean {
  if (actual.length !== expected.length) {
    t.fail(`${name}${context ? ` (${context})` : ''}: length ${actual.length}, expected ${expected.length}`);
    return false;
  }
  let first = -1;
  let count = 0;
  for (let i = 0; i < expected.length; i++) {
    if (!Object.is(actual[i] === 0 ? 0 : actual[i], expected[i] === 0 ? 0 : expected[i])) {
      if (first < 0) first = i;
      count++;
    }
  }
  t.true(count === 0, count === 0 ? `${name}: equal` :
    `${name}${context ? ` (${context})` : ''}: ${count} of ${expected.length} elements differ; first at [${first}]: ` +
    `got ${actual[first]}, expected ${expected[first]}`);
  return count === 0;
}

/** Scalar version of assertClose. */
export function assertCloseScalar(t: ExecutionContext, name: string, actual: number, expected: number, tol: number,
  context = ''): void {
  const d = Math.abs(actual - expected);
  t.true(d <= tol * (1 + Math.abs(expected)),
    `${name}${context ? ` (${context})` : ''}: got ${actual}, expected ${expected}, abs diff ${d} > ${tol}·(1+|expected|)`);
}
