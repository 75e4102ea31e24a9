// Changing the native thread count between kernels, as the comparison suites (and users tuning
// setNumThreads) do. Run in a child process with a deadline, so a deadlock in the pool fails
// this test in seconds with a clear message instead of stalling the whole suite.
import test from 'ava';
import { loadedAddonPath } from '../../lib/backend/native';
import { spawnNodeSync } from '../helpers/node-command';
import { nativeBackend, nativeSkipReason } from '../helpers/backends';

// The file the loader picked (a local build, the prebuilt one, or SCRATCHNET_NATIVE_ADDON).
const addonPath = loadedAddonPath() ?? '';

const script = `
const addon = require(${JSON.stringify(addonPath)});
const nb = { ...addon, ...addon.targets[addon.defaultTarget] };
const len = 1 << 18;
const x = new Float32Array(len), out = new Float32Array(len);
for (let i = 0; i < len; i++) x[i] = i % 7 - 3;
for (let i = 0; i < 300; i++) {
  nb.setNumThreads(1 + (i % 3));
  // Dispatch immediately after the resize: new workers must not miss the first job.
  nb.reluForward(x, len, out);
  if (out[4] !== 1) throw new Error('reluForward wrote ' + out[4] + ' at [4] after setNumThreads(' + (1 + (i % 3)) + ')');
}
nb.setNumThreads(2);
process.stdout.write('ok');
`;

if (!nativeBackend) {
  test.skip(`native setNumThreads 1 ↔ 2 ↔ 3 followed at once by kernels — SKIPPED, ${nativeSkipReason}`, () => undefined);
} else {
  test('native setNumThreads 1 ↔ 2 ↔ 3 followed at once by kernels neither deadlocks nor loses work', (t) => {
    const r = spawnNodeSync(['-e', script], { encoding: 'utf8', timeout: 30_000 });
    const timedOut = r.signal === 'SIGTERM' || (r.error as NodeJS.ErrnoException | undefined)?.code === 'ETIMEDOUT';
    t.false(timedOut, 'the child did not finish 300 resize-then-reluForward rounds within 30 s: the native thread pool ' +
      'deadlocks when a job is dispatched right after setNumThreads grows the pool (see native/kernels/threadpool.cc)');
    t.is(r.status, 0, `child exited with status ${r.status}, signal ${r.signal}; stderr:\n${r.stderr}`);
    t.is(r.stdout, 'ok');
  });
}
