// SoftmaxWithLoss: the book's loss (with its 1e-7 inside the log) and dx = (y − t)·dout/n.
import test from 'ava';
import { referenceBackend } from '../../lib/backend/reference';
import { SoftmaxWithLoss } from '../../lib/layers';
import { Tensor } from '../../lib/tensor/tensor';

function softmax(row: number[]): number[] {
  const m = Math.max(...row);
  const e = row.map((v) => Math.exp(v - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}

test('loss, y and dx on a hand-computed batch (class indices and one-hot agree)', (t) => {
  const rows = [[1, 2, 3], [0.5, -1, 2]];
  const labels = new Int32Array([2, 0]);
  const y = rows.map(softmax);
  const loss = -(Math.log(y[0][2] + 1e-7) + Math.log(y[1][0] + 1e-7)) / 2;
  const x = Tensor.from(rows.flat(), [2, 3], 'float64');
  const l = new SoftmaxWithLoss({ backend: referenceBackend });
  t.true(Math.abs(l.forward(x, labels) - loss) < 1e-12);
  t.is(l.loss, l.forward(x, labels));
  t.true([...l.y.data].every((v, i) => Math.abs(v - y.flat()[i]) < 1e-12));
  const dx = l.backward(2);
  const expected = y.flat().map((v, i) => (v - (i === 2 || i === 3 ? 1 : 0)) * 2 / 2);
  t.true([...dx.data].every((v, i) => Math.abs(v - expected[i]) < 1e-12), `dx ${[...dx.data]}`);
  const oneHot = Tensor.from([0, 0, 1, 1, 0, 0], [2, 3], 'float64');
  t.true(Math.abs(l.forward(x, oneHot) - loss) < 1e-12);
  t.true([...l.backward().data].every((v, i) => Math.abs(v - expected[i] / 2) < 1e-12));
});

test('label and shape errors name the layer, the values and the fix', (t) => {
  const l = new SoftmaxWithLoss({ backend: referenceBackend });
  const x = Tensor.zeros([2, 3]);
  t.throws(() => l.forward(x, new Int32Array([0, 3])), { message: /label 3 at row 1 is outside \[0, 3\).*one unit per class/ });
  t.throws(() => l.forward(x, new Int32Array([0])), { message: /expected 2 labels.*received 1/ });
  t.throws(() => l.forward(x, Tensor.zeros([2, 4])), { message: /one-hot labels must be shaped like x \(2, 3\), received \(2, 4\)/ });
  t.throws(() => l.forward(Tensor.zeros([6]), new Int32Array(6)), { message: /\(batch, classes\), received \(6\)/ });
  t.throws(() => new SoftmaxWithLoss().backward(), { message: /before forward/ });
  t.throws(() => new SoftmaxWithLoss().y, { message: /after forward/ });
});

test('buffers are reused per batch size', (t) => {
  const l = new SoftmaxWithLoss({ backend: referenceBackend });
  l.forward(Tensor.zeros([2, 3]), new Int32Array([0, 1]));
  const y2 = l.y;
  const d2 = l.backward();
  l.forward(Tensor.zeros([5, 3]), new Int32Array(5));
  t.not(l.y, y2);
  l.forward(Tensor.zeros([2, 3]), new Int32Array([0, 1]));
  t.is(l.y, y2);
  t.is(l.backward(), d2);
});
