#!/usr/bin/env node
'use strict';
// Builds the C++ addon from source with cmake-js (OpenBLAS is not needed to build: the addon
// loads it at run time when the machine has it).
//
// Runs from the package's `install` script (scripts/install.js) when no prebuilt addon loads,
// so it must never make `npm install` fail: when a
// prerequisite is missing it says which one and the command that fixes it, records the reason
// in build/native-build-failure.txt (the loader repeats it in its warning), and exits 0 so the
// library still works on the reference backend. `--strict` (npm run build:native, npx scratchnet build)
// exits 1 instead.
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const strict = process.argv.includes('--strict');
const failureFile = path.join(root, 'build', 'native-build-failure.txt');
// OpenBLAS is not part of the fix: building needs none, and libopenblas0 is optional at run time.
const FIX_ALL = 'sudo apt-get install -y cmake g++';

function has(cmd, args = ['--version']) {
  const r = spawnSync(cmd, args, { stdio: 'ignore' });
  return r.status === 0;
}

function fail(reason, fix) {
  const text = `${reason}\nFix: ${fix}\nThen rebuild the addon: npm run build:native\n`;
  fs.mkdirSync(path.dirname(failureFile), { recursive: true });
  fs.writeFileSync(failureFile, text);
  const banner = '-'.repeat(78);
  process.stderr.write(
    `\n${banner}\nscratchnet: the native addon was not built.\n${text}` +
      `Until then scratchnet runs on the pure-TypeScript reference backend (correct, but slow).\n${banner}\n\n`,
  );
  process.exit(strict ? 1 : 0);
}

if (process.env.SCRATCHNET_SKIP_NATIVE === '1') {
  fail('SCRATCHNET_SKIP_NATIVE=1 was set, so the build was skipped.', 'unset SCRATCHNET_SKIP_NATIVE');
}
if (!has('cmake')) fail('CMake was not found on PATH.', FIX_ALL);
if (!has('c++') && !has('g++') && !has('clang++')) fail('No C++ compiler (c++, g++ or clang++) was found.', FIX_ALL);

let cmakeJs;
try {
  cmakeJs = require.resolve('cmake-js/bin/cmake-js', { paths: [root] });
} catch {
  fail('The cmake-js package is not installed.', 'npm install (in the scratchnet folder)');
}
// Every kernel file is compiled once per SIMD target: use every core.
const jobs = String(Math.max(1, require('node:os').availableParallelism?.() ?? require('node:os').cpus().length));
const args = [cmakeJs, 'compile', '--directory', root, '--out', path.join(root, 'build'), '--parallel', jobs];
// SCRATCHNET_TARGETS="avx2;sse2" narrows the SIMD targets (a quicker build while working on one).
// cmake-js compile configures only a fresh build/, so a configured one whose cache holds other
// targets is reconfigured first: a narrowed build never stays cached.
const targets = process.env.SCRATCHNET_TARGETS || 'default';
args.push(`--CDSCRATCHNET_TARGETS=${targets}`);
const cache = path.join(root, 'build', 'CMakeCache.txt');
if (fs.existsSync(cache)) {
  const cached = /^SCRATCHNET_TARGETS:[A-Z]+=(.*)$/m.exec(fs.readFileSync(cache, 'utf8'));
  if (cached && cached[1] !== targets) {
    const c = spawnSync('cmake', [`-DSCRATCHNET_TARGETS=${targets}`, path.join(root, 'build')], { cwd: root, stdio: strict ? 'inherit' : 'pipe', encoding: 'utf8' });
    if (c.status !== 0) fail(`cmake could not switch build/ from targets '${cached[1]}' to '${targets}'.\n${(c.stderr || '').trim()}`, 'delete the build folder and build again');
  }
}
const r = spawnSync(process.execPath, args, { cwd: root, stdio: strict ? 'inherit' : ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
if (r.status !== 0) {
  const log = path.join(root, 'build', 'native-build.log');
  fs.mkdirSync(path.dirname(log), { recursive: true });
  fs.writeFileSync(log, `${r.stdout || ''}\n${r.stderr || ''}`);
  const tail = `${r.stderr || ''}${r.stdout || ''}`.trim().split('\n').slice(-15).join('\n');
  fail(`cmake-js failed to compile the addon (full log: ${log}).\n${tail}`, `read the log above; most often: ${FIX_ALL}`);
}
try { fs.unlinkSync(failureFile); } catch { /* there was no earlier failure */ }
process.stdout.write('scratchnet: native addon built (build/Release/scratchnet_native.node)\n');
