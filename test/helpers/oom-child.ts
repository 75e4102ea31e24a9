// Run as a child process by test/kernels/oom.test.ts: calls a native kernel whose scratch memory
// cannot be allocated under the address-space limit this process sets on itself (prlimit), and
// prints what happened as one JSON line. Without the bindings' bad_alloc guard the process
// aborts (SIGABRT) instead.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import { loadNative } from '../../lib/backend/native';

const native = loadNative().backend;
if (!native) {
  process.stdout.write(JSON.stringify({ skipped: 'no native backend' }) + '\n');
  process.exit(0);
}
native.setNumThreads(1); // one image, one thread: the scratch is the calling thread's
// A 50×50 kernel on 200×200 images: col (and the dcol scratch) is 2500 · 151² floats ≈ 228 MB,
// while x, dout and the weights are small.
const g = { n: 1, c: 1, h: 200, w: 200, f: 1, kh: 50, kw: 50, stride: 1, pad: 0, oh: 151, ow: 151 };
const ckk = g.c * g.kh * g.kw;
const ohw = g.oh * g.ow;
const dout = new Float32Array(g.n * g.f * ohw);
const w = new Float32Array(g.f * ckk);
const col = new Float32Array(g.n * ckk * ohw).fill(1); // touched, so it is really there
const dw = new Float32Array(g.f * ckk);
const db = new Float32Array(g.f);
const dx = new Float32Array(g.n * g.c * g.h * g.w);
const vm = /VmSize:\s+(\d+) kB/.exec(fs.readFileSync('/proc/self/status', 'utf8'));
const current = Number(vm![1]) * 1024;
// 128 MB of headroom: enough for V8 to build an error, far too little for another 228 MB.
execFileSync('prlimit', ['--pid', String(process.pid), `--as=${current + 128 * 1024 * 1024}`]);
try {
  native.convBackward(dout, w, col, g, dw, db, dx);
  process.stdout.write(JSON.stringify({ ok: true }) + '\n');
} catch (e) {
  process.stdout.write(JSON.stringify({ name: (e as Error).name, message: (e as Error).message }) + '\n');
}
