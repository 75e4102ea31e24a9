// How numbers read in messages and reports: a count with its noun ("1 epoch", "2 threads"), and
// shares that never round up to 100% (or 1.0000) unless they are exactly that — a 99.95%
// classifier printed as "100.0%" claims what it did not do.

/** "1 epoch", "20 epochs", "1,000 images" (other plurals given: plural(1, 'batch', 'batches')). */
export function plural(n: number, noun: string, nounPlural = `${noun}s`): string {
  return `${thousands(n)} ${n === 1 ? noun : nounPlural}`;
}

/** 1234567 → "1,234,567" (parameter counts, table cells). */
export function thousands(n: number): string {
  return n.toLocaleString('en-US');
}

/**
 * v.toFixed(digits), except that a value below `cap` never prints as the cap: it is cut (not
 * rounded) to the digits instead, so 0.99996 is "0.9999", not "1.0000".
 */
export function fixedBelow(v: number, digits: number, cap: number): string {
  const s = v.toFixed(digits);
  if (v >= cap || Number(s) < cap) return s;
  const f = 10 ** digits;
  return (Math.floor(v * f) / f).toFixed(digits);
}

/** A share (0..1) as a percentage: 0.9995 → "99.95%", 0.99996 → "99.99%" at 2 digits, 1 → "100.00%". */
export function percent(share: number, digits = 2): string {
  return `${fixedBelow(share * 100, digits, 100)}%`;
}

/** A share (0..1) as a fraction with `digits` decimals (accuracies in logs): never "1.0000" below 1. */
export function fraction(share: number, digits = 4): string {
  return fixedBelow(share, digits, 1);
}
