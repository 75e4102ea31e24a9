// Training in a worker thread while the main thread stays free: a timer keeps ticking (here it
// draws a clock and the latest progress), and Ctrl-C cancels at the next batch boundary and
// still returns the parameters trained so far.
//   node dist/scripts/examples/worker-training.js [--epochs 3] [--train-size n] [--test-size n]
import { trainInWorker } from '../../lib/train/worker';
import { Sequential } from '../../lib/networks/sequential';
import { loadMnistSubset } from '../../lib/data/subset';
import { exampleArgs } from './args';

async function main(): Promise<void> {
  const args = exampleArgs({ epochs: 3, out: '' });
  const data = { trainSize: args.trainSize ?? undefined, testSize: args.testSize ?? undefined };
  const job = trainInWorker({
    model: { preset: 'SimpleConvNet', options: { seed: 1 } },
    data,
    trainer: { epochs: args.epochs, optimizer: 'Adam', optimizerParam: { lr: 0.001 }, sampling: 'shuffle' },
    batchEvery: 10,
  });
  let status = 'loading data…';
  job.on('batch', (b) => { status = `epoch ${b.epoch}/${b.epochs} batch ${b.stepInEpoch}/${b.stepsPerEpoch} loss ${b.loss.toFixed(3)}`; });
  job.on('epoch', (e) => {
    process.stdout.write(`\repoch ${e.epoch}: train acc ${e.trainAcc.toFixed(4)}, ${e.testAcc !== null ? `test acc ${e.testAcc.toFixed(4)}` : `validation acc ${e.valAcc!.toFixed(4)}`}${' '.repeat(30)}\n`);
  });
  process.once('SIGINT', () => {
    status = 'cancelling after this batch…';
    job.cancel();
  });

  // The proof that the main thread is free: this timer fires every 100 ms throughout.
  const start = Date.now();
  let ticks = 0;
  let longest = 0;
  let last = start;
  const timer = setInterval(() => {
    const now = Date.now();
    longest = Math.max(longest, now - last);
    last = now;
    ticks++;
    if (process.stdout.isTTY) process.stdout.write(`\r${((now - start) / 1000).toFixed(1)} s  ${status}   `);
  }, 100);

  const r = await job.result;
  clearInterval(timer);
  console.log(`\n${r.cancelled ? 'cancelled' : 'finished'} after ${r.history.iterations} steps; the timer ticked ${ticks} times, longest gap ${longest} ms`);

  // Recreate the trained network here from its description and parameters.
  const net = Sequential.fromConfig(r.model);
  net.setParams(r.params);
  const { xTest, tTest } = loadMnistSubset({ testSize: data.testSize });
  console.log(`rebuilt in the main thread: test accuracy ${(net.accuracy(xTest, tTest) * 100).toFixed(2)}%` +
    (r.history.testAccuracy !== null ? ` (the worker reported ${(r.history.testAccuracy * 100).toFixed(2)}%)` : ''));
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exitCode = 1;
});
