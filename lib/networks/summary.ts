// Sequential.summary(): the table Keras and tfjs print (layer, output shape, parameter count),
// with what scratchnet adds for a reader of the book — each layer's settings, the fused blocks,
// inputs a layer never reads (the book's and PyTorch's output size floors them away) and the
// book's parameter names. Kept apart from the model, as tfjs keeps printSummary: the table
// changes with what a reader wants to see, the model with how it computes.
import { thousands } from '../format';
import { formatShape } from '../tensor/shape';
import type { Sequential } from './sequential';

export function summaryTable(net: Sequential): string {
  const rows: string[][] = [['Layer', 'Kind (settings)', 'Output shape', 'Params']];
  rows.push(['Input', '', formatShape(net.inputShape), '0']);
  let total = 0;
  for (const l of net.layers) {
    const c = l.paramCount();
    total += c;
    const d = l.describe();
    rows.push([l.label, d ? `${l.kind} (${d})` : l.kind, formatShape(l.outputShape), thousands(c)]);
  }
  rows.push(['Loss', 'SoftmaxWithLoss', '(1)', '0']);
  const widths = rows[0].map((_, j) => Math.max(...rows.map((r) => r[j].length)));
  const line = (r: string[]) =>
    r.map((c, j) => (j === 3 ? c.padStart(widths[j]) : c.padEnd(widths[j]))).join('  ').trimEnd();
  const sep = widths.map((w) => '-'.repeat(w)).join('  ');
  const names = Object.entries(net.params).map(([k, v]) => `${k} ${formatShape(v.shape)}`).join(', ');
  return [
    `Sequential: input ${formatShape(net.inputShape)} → ${formatShape(net.outputShape)}, backend ${net.backend.name}, ${net.dtype}`,
    line(rows[0]),
    sep,
    ...rows.slice(1).map(line),
    sep,
    `Total params: ${thousands(total)}`,
    ...net.fusedBlocks().map((b) => `Fused: ${b} run as one kernel`),
    ...net.layers.flatMap((l) => {
      const u = l.unusedInput();
      return u ? [`Unused input: ${l.label} ${u} (as the book and PyTorch compute it)`] : [];
    }),
    `Parameters: ${names || '(none)'}`,
  ].join('\n');
}
