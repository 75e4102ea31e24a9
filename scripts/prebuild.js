#!/usr/bin/env node
'use strict';
// Builds the prebuilt addons that ship in the npm package (the prebuildify layout the loader
// reads first: prebuilds/<platform>-<arch>/scratchnet.node), so `npm install scratchnet` needs
// no compiler. Runs at `npm pack` / `npm publish` (prepack); `--clean` (postpack) removes
// prebuilds/ again, so a clone keeps running its own build/Release and never a stale prebuilt.
//
//   node scripts/prebuild.js [--only linux-x64|linux-arm64] [--clean]
//
// linux-x64: one binary for every x86-64 CPU (kernels for avx512, avx2 and sse2, picked at
// load). linux-arm64: cross-compiled with Debian's g++-aarch64-linux-gnu (neon kernels).
// Neither links OpenBLAS (it is loaded at run time when present), so both run on any glibc
// Linux of their architecture with a libstdc++ at least as new as the build machine's.
// The host's own platform is built in build/ with exactly the arguments of npm run build:native
// (so after a build:native it is a no-op: CI and the pack test do not compile the x64 kernels
// twice); a cross-compiled one keeps its CMake folder in build/prebuild-<platform>. Either way
// packing again after a small change recompiles only what changed. The copies are stripped.
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const prebuildsDir = path.join(root, 'prebuilds');

// ELF e_machine values, to check that each binary is really for its architecture.
const PLATFORMS = {
  'linux-x64': { arch: 'x64', elfMachine: 0x3e, toolchain: null, compiler: 'g++', strip: 'strip', fix: 'sudo apt-get install -y cmake g++' },
  'linux-arm64': {
    arch: 'arm64',
    elfMachine: 0xb7,
    toolchain: path.join(root, 'cmake', 'aarch64-linux-gnu.cmake'),
    compiler: 'aarch64-linux-gnu-g++',
    strip: 'aarch64-linux-gnu-strip',
    fix: 'sudo apt-get install -y g++-aarch64-linux-gnu',
  },
};

function die(message) {
  process.stderr.write(`scratchnet prebuild: ${message}\n`);
  process.exit(1);
}

function has(cmd) {
  return spawnSync(cmd, ['--version'], { stdio: 'ignore' }).status === 0;
}

function elfMachine(file) {
  const fd = fs.openSync(file, 'r');
  try {
    const head = Buffer.alloc(20);
    fs.readSync(fd, head, 0, 20, 0);
    if (head.readUInt32BE(0) !== 0x7f454c46) return -1;
    return head.readUInt16LE(18);
  } finally {
    fs.closeSync(fd);
  }
}

function build(name) {
  const p = PLATFORMS[name];
  // A build for the host's own architecture uses its compiler; any other needs a cross toolchain.
  const cross = p.arch !== process.arch;
  if (cross && !p.toolchain) die(`${name} can only be built on an ${p.arch} machine (no cross toolchain file for it); run with --only linux-${process.arch}`);
  if (!has('cmake')) die(`CMake was not found on PATH. Fix: sudo apt-get install -y cmake`);
  const compiler = cross ? p.compiler : 'g++';
  if (!has(compiler)) die(`${compiler} was not found on PATH (needed for ${name}). Fix: ${p.fix}`);

  const out = cross ? path.join(root, 'build', `prebuild-${name}`) : path.join(root, 'build');
  const cmakeJs = require.resolve('cmake-js/bin/cmake-js', { paths: [root] });
  const jobs = String(Math.max(1, os.availableParallelism?.() ?? os.cpus().length));
  // The same arguments as scripts/build-native.js (all SIMD targets), plus the toolchain.
  const args = [cmakeJs, 'compile', '--directory', root, '--out', out, '--parallel', jobs, '--CDSCRATCHNET_TARGETS=default'];
  if (cross) args.push(`--CDCMAKE_TOOLCHAIN_FILE=${p.toolchain}`);
  process.stdout.write(`scratchnet prebuild: ${name}${cross ? ` (cross-compiled with ${compiler})` : ''} in ${path.relative(root, out)}/\n`);
  const r = spawnSync(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  if (r.status !== 0) {
    const log = path.join(out, 'prebuild.log');
    fs.mkdirSync(out, { recursive: true });
    fs.writeFileSync(log, `${r.stdout}\n${r.stderr}`);
    const tail = `${r.stderr}${r.stdout}`.trim().split('\n').slice(-15).join('\n');
    die(`the ${name} build failed (full log: ${log}):\n${tail}`);
  }
  const built = path.join(out, 'Release', 'scratchnet_native.node');
  if (elfMachine(built) !== p.elfMachine) die(`${built} is not an ${p.arch} ELF binary (e_machine ${elfMachine(built)}); remove ${out} and try again`);
  const dest = path.join(prebuildsDir, name, 'scratchnet.node');
  fs.mkdirSync(path.dirname(dest), { recursive: true });
  fs.copyFileSync(built, dest);
  // Stripped: the symbols are of no use to users and double the package's size.
  const strip = cross ? p.strip : 'strip';
  const st = spawnSync(strip, ['--strip-unneeded', dest], { encoding: 'utf8' });
  if (st.status !== 0) die(`${strip} failed on ${dest}: ${st.error?.message ?? st.stderr}. Fix: sudo apt-get install -y binutils${cross ? '-aarch64-linux-gnu' : ''}`);
  process.stdout.write(`scratchnet prebuild: ${path.relative(root, dest)} (${(fs.statSync(dest).size / 1e6).toFixed(1)} MB)\n`);
}

const argv = process.argv.slice(2);
if (argv.includes('--clean')) {
  fs.rmSync(prebuildsDir, { recursive: true, force: true });
  process.exit(0);
}
const only = argv.includes('--only') ? argv[argv.indexOf('--only') + 1] : null;
if (only !== null && !PLATFORMS[only]) die(`unknown platform '${only}'; expected one of ${Object.keys(PLATFORMS).join(', ')}`);
if (process.platform !== 'linux') die(`prebuilt addons are built on Linux (this is ${process.platform}); build from source with npm run build:native`);
for (const name of only ? [only] : Object.keys(PLATFORMS)) build(name);
