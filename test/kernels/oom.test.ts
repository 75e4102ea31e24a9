// A kernel that cannot get its scratch memory must throw a RangeError naming the kernel and
// the size — not abort the process with std::bad_alloc (SIGABRT). Runs the call in a child
// that limits its own address space (test/helpers/oom-child.ts).
import test from 'ava';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { loadNative } from '../../lib/backend/native';
import { emulated } from '../helpers/node-command';

const haveNative = loadNative().backend !== null;
const havePrlimit = spawnSync('prlimit', ['--version']).status === 0;

// Under qemu-user (scripts/test-arm64.sh) an address-space limit on the child would limit the
// emulator, not the emulated Node: that run skips this test.

(haveNative && havePrlimit && process.platform === 'linux' && !emulated ? test : test.skip)('out of memory in a native kernel is a RangeError naming the kernel and size, not an abort', (t) => {
  const r = spawnSync(process.execPath, [path.join(__dirname, '..', 'helpers', 'oom-child.js')], {
    encoding: 'utf8', timeout: 60000,
  });
  t.is(r.signal, null, `the child was killed by ${r.signal}: ${r.stderr}`);
  t.is(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout.trim().split('\n').pop()!);
  t.is(out.name, 'RangeError', JSON.stringify(out));
  t.regex(out.message, /^convBackward: out of memory: .* arguments totalling \d+(\.\d)? MB\. Fix: use a smaller batch size/);
});
