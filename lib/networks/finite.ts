// NaN and ±Infinity in parameters. They must be caught where they enter — initialisation, a
// loaded file, a diverged update — because nothing downstream notices them: Relu and max pooling
// turn NaN into 0 (NaN > 0 is false), so a network with an all-NaN W1 still gives a finite loss
// and a confident, meaningless prediction.
import type { Tensor } from '../tensor/tensor';

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
