// The one checking module: its sentence shape, and the answer every constructor gives to the
// book's names (filter_num, pool_h, weight_init_std …) and to the book's positional calls.
import test from 'ava';
import {
  backendForDType, checkInt, checkNumber, checkOneOf, checkOptionKeys, checkSeed, invalidParameterError, renameHint, suggest,
} from '../lib/check';
import { referenceBackend } from '../lib/backend/index';
import { Affine, BatchNormalization, Convolution, Dropout, Pooling } from '../lib/layers';
import { Adam, SGD } from '../lib/optimizers';
import { DeepConvNet, MultiLayerNetExtend, Sequential, SimpleConvNet } from '../lib/networks';
import { Trainer } from '../lib/train/trainer';
import { Tensor } from '../lib/tensor/tensor';

test('invalidParameterError: who, which option, expected, received, the way out; RangeError for a number', (t) => {
  const e = invalidParameterError('Pooling', 'stride', 'an integer ≥ 1', 0, 'use stride 2 for the book’s 2×2 pooling.');
  t.true(e instanceof RangeError);
  t.is(e.message, 'Pooling: stride must be an integer ≥ 1, received 0. Fix: use stride 2 for the book’s 2×2 pooling.');
  t.true(invalidParameterError('X', 'y', 'a number', '3') instanceof TypeError);
  t.regex(invalidParameterError('X', 'y', 'a number', NaN).message, /received NaN\.$/);
  t.regex(invalidParameterError('X', 'y', 'a number', () => 1).message, /received a function/);
  t.regex(invalidParameterError('X', 'y', 'a number', new Float32Array(2)).message, /received a Float32Array/);
});

test('checkInt, checkNumber, checkSeed, checkOneOf accept what they describe and refuse the rest', (t) => {
  t.is(checkInt('L', 'n', 3, 1), 3);
  t.throws(() => checkInt('L', 'n', 2.5, 1), { instanceOf: RangeError, message: 'L: n must be an integer ≥ 1, received 2.5.' });
  t.throws(() => checkInt('L', 'n', 9, 1, 8), { message: /an integer in \[1, 8\], received 9/ });
  t.is(checkNumber('D', 'ratio', 0.5, 0, 1, true), 0.5);
  t.throws(() => checkNumber('D', 'ratio', 1, 0, 1, true), { message: 'D: ratio must be a number in [0, 1), received 1.' });
  t.throws(() => checkNumber('D', 'eps', Infinity, 0, Infinity), { message: /\[0, ∞\], received Infinity/ });
  t.is(checkSeed('T', 0xffffffff), 0xffffffff);
  t.throws(() => checkSeed('T', -1), { message: 'T: seed must be an integer in [0, 2³²), received -1.' });
  t.is(checkOneOf('T', 'mode', 'b', ['a', 'b'] as const), 'b');
  t.throws(() => checkOneOf('T', 'mode', 'shufle', ['random', 'shuffle'] as const, { random: 'with replacement' }),
    { message: "T: mode must be 'random' (with replacement) or 'shuffle', received \"shufle\". Did you mean 'shuffle'?" });
});

test('checkOptionKeys: unknown keys named with the allowed ones; undefined values may be let through', (t) => {
  t.notThrows(() => checkOptionKeys('L', undefined, ['a']));
  t.throws(() => checkOptionKeys('L', { b: 1 }, ['a']), { message: "L: unknown option 'b'. Allowed options: a." });
  t.throws(() => checkOptionKeys('L', { b: 1 }, []), { message: "L: unknown option 'b'. Allowed options: (none)." });
  t.notThrows(() => checkOptionKeys('L', { b: undefined }, ['a'], true));
  t.throws(() => checkOptionKeys('L', { b: undefined }, ['a']), { message: /unknown option 'b'/ });
  t.throws(() => checkOptionKeys('L', [1] as never, ['a']), { message: /L: options must be an object, received \[1\]/ });
  t.throws(() => checkOptionKeys('L', null as never, ['a']), { message: /options must be an object, received null/ });
  t.notThrows(() => checkOptionKeys('L', Object.create(null), ['a']));
  t.throws(() => checkOptionKeys('L', new Map() as never, ['a']), { message: /options must be an object, received a Map/ });
});

test('suggest: near misses (case ignored), nothing for a different word', (t) => {
  t.is(suggest('epoch', ['epochs', 'seed']), 'epochs');
  t.is(suggest('inputshape', ['inputShape', 'layers']), 'inputShape');
  t.is(suggest('xyz', ['epochs', 'seed']), '');
});

test("the book's names are answered with scratchnet's, in every constructor", (t) => {
  const cases: Array<[string, () => unknown, RegExp]> = [
    ['Convolution filterNum', () => new Convolution({ filterNum: 30, filterSize: 5 } as never),
      /Convolution: unknown option 'filterNum'\. 'filterNum' is called 'filters' here \(the book's filter_num\)\. Allowed options: filters, kernelSize/],
    ['Convolution filter_num', () => new Convolution({ filter_num: 30, kernelSize: 5 } as never),
      /unknown option 'filter_num'\. The book's filter_num is 'filters' here\./],
    ['Convolution filter_size', () => new Convolution({ filters: 30, filter_size: 5 } as never),
      /The book's filter_size is 'kernelSize' here\./],
    ['Convolution weight_init_std', () => new Convolution({ filters: 3, kernelSize: 3, weight_init_std: 0.01 } as never),
      /The book's weight_init_std is 'weightInit' here\./],
    ['Pooling pool_h', () => new Pooling({ pool_h: 2, pool_w: 2, stride: 1 } as never),
      /Pooling: unknown option 'pool_h'\. The book's pool_h is 'poolH' here\. Allowed options: poolH, poolW, stride/],
    ['Pooling poolSize (Keras)', () => new Pooling({ poolSize: 2 } as never), /'poolSize' is called 'poolH' here \(the book's pool_h\)/],
    ['Affine hidden_size', () => new Affine({ hidden_size: 100 } as never), /'hidden_size' is called 'units' here/],
    ['Dropout dropout_ratio', () => new Dropout({ dropout_ratio: 0.5 } as never), /The book's dropout_ratio is 'ratio' here/],
    ['BatchNormalization typo', () => new BatchNormalization({ momentun: 0.9 } as never), /Did you mean 'momentum'\?/],
    ['Adam learning_rate', () => new Adam({ learning_rate: 0.001 } as never), /Adam: unknown option 'learning_rate'\. 'learning_rate' is called 'lr' here/],
    ['SGD weight_decay', () => new SGD({ weight_decay: 0.1 } as never), /'weight_decay' is called 'weightDecay' here/],
    ['SimpleConvNet conv_param', () => new SimpleConvNet({ conv_param: { filterNum: 30 } } as never),
      /SimpleConvNet: unknown option 'conv_param'\. The book's conv_param is 'convParam' here \(options are camelCase\)\./],
    ['SimpleConvNet convParam.filters', () => new SimpleConvNet({ convParam: { filters: 30 } } as never),
      /SimpleConvNet convParam: unknown option 'filters'\. 'filters' is called 'filterNum' here \(the book's filter_num\)/],
    ['SimpleConvNet weight_init_std', () => new SimpleConvNet({ weight_init_std: 0.01 } as never),
      /The book's weight_init_std is 'weightInitStd' here/],
    ['DeepConvNet input_dim', () => new DeepConvNet({ input_dim: [1, 28, 28] } as never), /The book's input_dim is 'inputDim' here/],
    ['MultiLayerNetExtend use_batchnorm', () => new MultiLayerNetExtend({ inputSize: 4, hiddenSizeList: [3], outputSize: 2, use_batchnorm: true } as never),
      /The book's use_batchnorm is 'useBatchnorm' here/],
    ['Sequential input_shape', () => new Sequential({ input_shape: [4] } as never), /'input_shape' is called 'inputShape' here \(the book's input_dim\)/],
  ];
  for (const [what, make, message] of cases) t.throws(make, { instanceOf: TypeError, message }, what);
});

test("the book's Trainer options and positional calls are answered too", (t) => {
  const net = new Sequential({ inputShape: [4], layers: [new Affine({ units: 2 })], backend: 'reference' });
  const x = Tensor.zeros([6, 4]);
  const y = new Int32Array(6);
  t.throws(() => new Trainer(net, x, y, x, y, { mini_batch_size: 2 } as never),
    { message: /Trainer: unknown option 'mini_batch_size'\. The book's mini_batch_size is 'miniBatchSize' here\./ });
  t.throws(() => new Trainer(net, x, y, x, y, { batchSize: 2 } as never), { message: /'batchSize' is called 'miniBatchSize' here/ });
  t.throws(() => new Trainer(net, x, y, x, y, { evaluate_sample_num_per_epoch: 2 } as never),
    { message: /The book's evaluate_sample_num_per_epoch is 'evaluateSampleNumPerEpoch' here/ });
  t.throws(() => new Trainer(net, x, y, x, y, 20 as never), { message: /Trainer: options must be an object, received 20\. The book's Trainer\(network, x_train.*\{ epochs, miniBatchSize/ });
  t.throws(() => new Pooling(2 as never), { message: /The book's Pooling\(pool_h, pool_w, stride, pad\) is new Pooling\(\{ poolH, poolW, stride, pad \}\) here/ });
  t.throws(() => new Convolution(Tensor.zeros([1, 1, 3, 3]) as never), { message: /received a Tensor\. The book's Convolution\(W, b, stride, pad\) is Convolution\.fromParams/ });
});

test('renameHint offers only a name the owner allows', (t) => {
  t.is(renameHint('filterNum', ['filters']), " 'filterNum' is called 'filters' here (the book's filter_num).");
  t.is(renameHint('filterNum', ['units']), '');
  t.is(renameHint('pool_w', ['poolH', 'poolW']), " The book's pool_w is 'poolW' here.");
});

test('float64 runs on the reference backend: chosen when none is given, refused with another', (t) => {
  t.is(backendForDType('X', 'dtype is', 'float64'), referenceBackend);
  t.is(backendForDType('X', 'dtype is', 'float64', 'reference'), referenceBackend);
  const fake = { ...referenceBackend, name: 'native' } as never;
  t.throws(() => backendForDType('X', 'dtype is', 'float64', fake),
    { instanceOf: TypeError, message: /X: dtype is float64, which needs the reference backend, but the backend is 'native'.*Fix: use float32, or backend 'reference'/ });
  t.is(backendForDType('X', 'dtype is', 'float32', fake), fake);
  // Sequential without a backend: float64 picks the reference one by itself.
  t.is(new Sequential({ inputShape: [3], layers: [new Affine({ units: 2 })], dtype: 'float64' }).backend, referenceBackend);
});
