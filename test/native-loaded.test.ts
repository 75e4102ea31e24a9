// Whether the native addon loaded. On CI (CI=true) a missing addon is a failure with the
// loader's reason; elsewhere it is a visible skip, since scratchnet still works on the reference
// backend. When loaded, the addon must provide every kernel of the Backend contract.
import test from 'ava';
import { loadNative } from '../lib/backend/native';
import { referenceBackend } from '../lib/backend/reference';

const r = loadNative();

if (r.backend) {
  const nb = r.backend;
  test('the native backend loaded and implements every kernel of the contract', (t) => {
    t.is(nb.name, 'native');
    const missing = Object.keys(referenceBackend).filter(
      (k) => k !== 'name' && typeof (nb as unknown as Record<string, unknown>)[k] !== 'function');
    t.deepEqual(missing, [], `the addon lacks: ${missing.join(', ')}`);
  });
} else if (process.env.CI === 'true') {
  test('the native backend loaded (required on CI)', (t) => {
    t.fail(`CI=true but the native backend did not load:\n${r.error}`);
  });
} else {
  test.skip(`the native backend loaded — SKIPPED (set CI=true to make this fail): ${r.error?.split('\n').join(' ')}`, () => undefined);
}
