// resolveModel: the one answer to "which network?" for createPreset, trainInWorker and the CLI —
// both spellings of every preset, preset options over the caller's defaults, configs, and the
// errors for a name it does not know or a description that is none.
import test from 'ava';
import { referenceBackend } from '../../lib/backend';
import { createOptimizer, optimizerClassNames, optimizerNames } from '../../lib/optimizers';
import { DeepConvNet, LeNet5, MultiLayerNet, Sequential, SimpleConvNet, TwoLayerNet } from '../../lib/networks';
import { createPreset, isPresetName, presetNames, resolveModel } from '../../lib/networks/resolve';

const owner = { owner: 'test' };

test('both spellings of a preset build the same network; a config builds a Sequential', (t) => {
  for (const [cli, book, Class] of [['lenet5', 'LeNet5', LeNet5], ['simple-convnet', 'SimpleConvNet', SimpleConvNet], ['deep-convnet', 'DeepConvNet', DeepConvNet], ['two-layer-net', 'TwoLayerNet', TwoLayerNet]] as const) {
    const a = resolveModel(cli, owner);
    const b = resolveModel({ preset: book }, owner);
    t.is(a.kind, 'preset');
    t.is(a.name, cli);
    t.is(b.name, book);
    const na = a.build({ backend: referenceBackend, seed: 3 });
    const nb = b.build({ backend: referenceBackend, seed: 3 });
    t.true(na instanceof Class);
    t.deepEqual(na.toConfig(), nb.toConfig());
    t.deepEqual(Array.from(na.params.W1.data.subarray(0, 8)), Array.from(nb.params.W1.data.subarray(0, 8)));
  }
  const config = new LeNet5({ backend: referenceBackend }).toConfig();
  const c = resolveModel(config, owner);
  t.is(c.kind, 'config');
  t.is(c.name, 'model');
  const net = c.build({ backend: referenceBackend, seed: 1 });
  t.true(net instanceof Sequential);
  t.deepEqual(net.toConfig(), config);
  t.true(presetNames.every((n) => isPresetName(n)));
  t.true(isPresetName('MultiLayerNetExtend'));
  t.false(isPresetName('constructor'));
});

test("a preset's own options win over the caller's defaults (backend, seed)", (t) => {
  const m = resolveModel({ preset: 'MultiLayerNet', options: { inputSize: 784, hiddenSizeList: [20], outputSize: 10, seed: 5, backend: 'reference', dtype: undefined } }, owner);
  const net = m.build({ seed: 9, backend: undefined });
  t.true(net instanceof MultiLayerNet);
  t.is(net.backend, referenceBackend);
  const same = new MultiLayerNet({ inputSize: 784, hiddenSizeList: [20], outputSize: 10, seed: 5, backend: 'reference' });
  t.deepEqual(Array.from(net.params.W1.data.subarray(0, 8)), Array.from(same.params.W1.data.subarray(0, 8)));
  // createPreset takes the class names too, and its options as given.
  t.deepEqual(createPreset('LeNet5', { backend: referenceBackend, seed: 2 }).toConfig(), createPreset('lenet5', { backend: referenceBackend, seed: 2 }).toConfig());
});

test('an unknown name is refused naming the caller, a near miss, every known model and what else the caller takes', (t) => {
  const e = t.throws(() => resolveModel('lenet', { owner: 'scratchnet train', otherwise: 'a JSON file describing a Sequential stack' }), { instanceOf: TypeError });
  t.is(e!.message,
    "scratchnet train: unknown model 'lenet'. Did you mean 'lenet5'? Known models: simple-convnet, conv-1fc, lenet5, deep-convnet, two-layer-net " +
      "(or the book's class names SimpleConvNet, ConvNet1FC, LeNet5, DeepConvNet, TwoLayerNet, MultiLayerNet, MultiLayerNetExtend), or a JSON file describing a Sequential stack.");
  t.throws(() => resolveModel({ preset: 'alexnet' }, { owner: 'trainInWorker' }), { message: /^trainInWorker: unknown model 'alexnet'\. Known models: simple-convnet, .*MultiLayerNetExtend\)\.$/ });
  // Object's own keys are no presets.
  t.throws(() => resolveModel('constructor', owner), { message: /unknown model 'constructor'/ });
  t.throws(() => resolveModel('toString', owner), { message: /unknown model 'toString'/ });
  t.throws(() => createPreset('alexnet'), { message: /^createPreset: unknown model 'alexnet'\..*, or a JSON model file for Sequential\.fromConfig\.$/ });
});

test('a description that is neither a name, a preset nor a config is refused saying what would be', (t) => {
  for (const bad of [42, null, { model: 'lenet5' }, { preset: 5 }]) {
    t.throws(() => resolveModel(bad as never, { owner: 'trainInWorker' }), {
      instanceOf: TypeError, message: /^trainInWorker: model must be a preset name \(simple-convnet, .*\), \{ preset, options \}, or a Sequential config \{ inputShape, layers \}; received /,
    });
  }
  t.throws(() => createPreset(7 as never), { message: /^createPreset: the name must be a string such as 'lenet5'/ });
});

test("the CLI's optimizer names and the book's spellings come from lib/optimizers and match each optimizer's name", (t) => {
  t.deepEqual(Object.keys(optimizerClassNames), [...optimizerNames]);
  for (const n of optimizerNames) t.is(createOptimizer(n).name, optimizerClassNames[n]);
});
