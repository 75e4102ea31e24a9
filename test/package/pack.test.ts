// The npm package as a registry user gets it: `npm pack` (which builds the linux-x64 and
// linux-arm64 prebuilt addons, scripts/prebuild.js), the tarball's contents, then installs of
// the tarball into fresh projects whose PATH has node and npm but no compiler, cmake or make:
// with --ignore-scripts the native backend must still load (the prebuilt addon); with scripts,
// the install script must say that there is nothing to compile. Also: the shipped example runs,
// the published types compile in a TypeScript project, and OpenBLAS is optional at run time.
//
// Slow-ish (a pack, two installs): one test, serial steps, each failure naming its step.
import test from 'ava';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { tempDir } from '../helpers/tmpdir';

const root = path.resolve(__dirname, '..', '..', '..');
const hostPlatform = `${process.platform}-${process.arch}`;
const PREBUILT_PLATFORMS = ['linux-x64', 'linux-arm64'];

interface Run { status: number | null; stdout: string; stderr: string }

function run(cmd: string, args: string[], opts: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs: number }): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs);
    child.stdout.on('data', (c) => { stdout += c; });
    child.stderr.on('data', (c) => { stderr += c; });
    child.on('error', (e) => { stderr += `\nspawn ${cmd}: ${e.message}`; });
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

function describe(what: string, r: Run): string {
  return `${what} exited with ${r.status}\n--- stdout (end) ---\n${r.stdout.slice(-3000)}\n--- stderr (end) ---\n${r.stderr.slice(-3000)}`;
}

/** The environment without npm's per-run variables (this test itself runs under `npm test`). */
function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^npm_/i.test(k)) env[k] = v;
  return { ...env, SCRATCHNET_SILENT: '1', SCRATCHNET_NATIVE_ADDON: '', ...extra };
}

/** A bin folder with node, npm, npx and sh (npx runs bins through it) only: no g++, cc, c++, cmake or make. */
function bareBin(dir: string): string {
  const bin = path.join(dir, 'bare-bin');
  fs.mkdirSync(bin, { recursive: true });
  fs.symlinkSync(process.execPath, path.join(bin, 'node'));
  fs.symlinkSync('/bin/sh', path.join(bin, 'sh'));
  for (const tool of ['npm', 'npx']) {
    const found = spawnSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).stdout.trim();
    if (!found) throw new Error(`${tool} is not on PATH`);
    fs.symlinkSync(fs.realpathSync(found), path.join(bin, tool));
  }
  return bin;
}

/** The shared libraries an ELF file needs (readelf -d), to check that OpenBLAS is not one. */
function needed(file: string): string[] {
  const r = spawnSync('readelf', ['-d', file], { encoding: 'utf8' });
  if (r.error || r.status !== 0) throw new Error(`readelf -d ${file} failed (${r.error?.message ?? r.stderr}); fix: sudo apt-get install -y binutils`);
  return [...r.stdout.matchAll(/\(NEEDED\)\s+Shared library: \[([^\]]+)\]/g)].map((m) => m[1]);
}

function elfMachine(file: string): number {
  const head = fs.readFileSync(file).subarray(0, 20);
  return head.readUInt32BE(0) === 0x7f454c46 ? head.readUInt16LE(18) : -1;
}

const crossCompiler = spawnSync('aarch64-linux-gnu-g++', ['--version'], { stdio: 'ignore' }).status === 0;

if (!crossCompiler && process.env.CI !== 'true') {
  test.skip('npm pack ships prebuilt addons; installed with --ignore-scripts and no compiler, the native backend loads — ' +
    'SKIPPED: aarch64-linux-gnu-g++ is missing (sudo apt-get install -y g++-aarch64-linux-gnu; CI=true makes this fail)', () => undefined);
} else {
  test('npm pack ships prebuilt addons; installed with --ignore-scripts and no compiler, the native backend loads', async (t) => {
    t.timeout(25 * 60_000);
    const tmp = tempDir(t, 'scratchnet-pack-');

    // 1. npm pack: prepack builds both prebuilt addons (incrementally), postpack removes prebuilds/.
    const pack = await run('npm', ['pack', '--json', '--pack-destination', tmp], { cwd: root, env: cleanEnv(), timeoutMs: 20 * 60_000 });
    t.is(pack.status, 0, describe('npm pack', pack));
    if (pack.status !== 0) return;
    // Lifecycle scripts may print before npm's JSON report, which starts on a line of its own.
    const report = JSON.parse(pack.stdout.slice(Math.max(0, pack.stdout.search(/^\[\s*$/m)))) as
      Array<{ filename: string; files: Array<{ path: string }> }>;
    const tarball = path.join(tmp, report[0].filename);
    const files = report[0].files.map((f) => f.path).sort();

    // 2. What the tarball holds, and what it must not.
    const must = ['LICENSE', 'README.md', 'package.json', 'bin/scratchnet.js', 'dist/lib/index.js', 'dist/lib/index.d.ts',
      'dist/lib/cli/main.js', 'dist/scripts/examples/homework2-lenet.js', 'scripts/install.js', 'scripts/build-native.js',
      'CMakeLists.txt', 'native/blas/openblas.cc', ...PREBUILT_PLATFORMS.map((p) => `prebuilds/${p}/scratchnet.node`)];
    t.deepEqual(must.filter((f) => !files.includes(f)), [], 'files missing from the tarball');
    const forbidden = files.filter((f) => /^(test|dist\/test|\.ci|node_modules|build|\.tmp|runs)\//.test(f) || f.includes('/node_modules/'));
    t.deepEqual(forbidden, [], 'files that must not be published');
    // Compiled files whose TypeScript source is gone are leftovers of an older build (rm -rf dist; npm run build:ts).
    const stale = files.filter((f) => /^dist\/lib\/.*\.js$/.test(f) && !fs.existsSync(path.join(root, f.slice('dist/'.length).replace(/\.js$/, '.ts'))));
    t.deepEqual(stale, [], 'compiled files without a source in lib/ (stale dist/: rm -rf dist && npm run build:ts)');

    const extracted = path.join(tmp, 'extracted');
    fs.mkdirSync(extracted);
    const untar = spawnSync('tar', ['xzf', tarball, '-C', extracted], { encoding: 'utf8' });
    t.is(untar.status, 0, `tar xzf ${tarball}: ${untar.stderr}`);
    const pkg = path.join(extracted, 'package');
    // A source map must come with the sources it points at (the published build has none).
    const maps = files.filter((f) => f.endsWith('.map'));
    const brokenMaps = maps.filter((m) => {
      const map = JSON.parse(fs.readFileSync(path.join(pkg, m), 'utf8')) as { sources: string[] };
      return map.sources.some((s) => !fs.existsSync(path.resolve(path.dirname(path.join(pkg, m)), s)));
    });
    t.deepEqual(brokenMaps, [], 'source maps pointing at files that are not in the package');
    const machines: Record<string, number> = { 'linux-x64': 0x3e, 'linux-arm64': 0xb7 };
    for (const p of PREBUILT_PLATFORMS) {
      const file = path.join(pkg, 'prebuilds', p, 'scratchnet.node');
      t.is(elfMachine(file), machines[p], `prebuilds/${p}/scratchnet.node is not an ELF binary for ${p}`);
      const libs = needed(file);
      t.false(libs.some((l) => /openblas|blas/i.test(l)), `prebuilds/${p} links ${libs.join(', ')}: OpenBLAS must be loaded at run time, not linked`);
    }
    t.false(fs.existsSync(path.join(root, 'prebuilds')), 'postpack left prebuilds/ in the repository');

    // 3. Install with scripts blocked, PATH without any compiler.
    const bin = bareBin(tmp);
    const env = cleanEnv({ PATH: bin, HOME: process.env.HOME });
    for (const tool of ['g++', 'c++', 'cc', 'gcc', 'clang++', 'cmake', 'make']) {
      const probe = spawnSync(tool, ['--version'], { env, stdio: 'ignore' });
      t.truthy(probe.error, `${tool} is still reachable on the test's bare PATH`);
    }
    const install = async (name: string, extraArgs: string[]): Promise<{ dir: string; r: Run }> => {
      const dir = path.join(tmp, name);
      fs.mkdirSync(dir);
      fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name, version: '1.0.0', private: true }));
      // --prefer-offline: the dependencies come from npm's cache (filled by npm ci) where it has them.
      const r = await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', ...extraArgs, tarball], { cwd: dir, env, timeoutMs: 5 * 60_000 });
      return { dir, r };
    };
    const blocked = await install('probe-ignore-scripts', ['--ignore-scripts']);
    t.is(blocked.r.status, 0, describe('npm install --ignore-scripts', blocked.r));
    if (blocked.r.status !== 0) return;

    const info = await run('npx', ['--no-install', 'scratchnet', 'info', '--json'], { cwd: blocked.dir, env, timeoutMs: 120_000 });
    t.is(info.status, 0, describe('npx scratchnet info --json', info));
    const o = JSON.parse(info.stdout) as {
      defaultBackend: string; native: { loaded: boolean; source: string; path: string; error: string | null };
      openblas: { found: boolean } | null; gemm: { inUse: string; reason: string } | null;
    };
    t.is(o.defaultBackend, 'native', `info --json: ${info.stdout}`);
    t.true(o.native.loaded, `native backend not loaded: ${o.native.error}`);
    t.is(o.native.source, 'prebuilt');
    t.is(fs.realpathSync(o.native.path),
      fs.realpathSync(path.join(blocked.dir, 'node_modules', 'scratchnet', 'prebuilds', hostPlatform, 'scratchnet.node')));
    t.truthy(o.openblas && o.gemm, 'info --json must say whether OpenBLAS was found and which GEMM is in use');

    // OpenBLAS optional: with it ruled out the same addon loads and runs the built-in GEMM.
    const noBlas = await run('npx', ['--no-install', 'scratchnet', 'info', '--json'],
      { cwd: blocked.dir, env: { ...env, SCRATCHNET_OPENBLAS: 'none' }, timeoutMs: 120_000 });
    t.is(noBlas.status, 0, describe('SCRATCHNET_OPENBLAS=none npx scratchnet info --json', noBlas));
    const nb = JSON.parse(noBlas.stdout) as typeof o;
    t.true(nb.native.loaded);
    t.deepEqual([nb.openblas?.found, nb.gemm?.inUse, nb.gemm?.reason], [false, 'builtin', 'no OpenBLAS']);

    // A shipped example runs from the package (tiny subset: this checks it runs, not what it learns).
    const example = await run('npx', ['--no-install', 'scratchnet', 'example', 'homework2', '--epochs', '1',
      '--train-size', '200', '--test-size', '100', '--out', path.join(tmp, 'hw2')], { cwd: blocked.dir, env, timeoutMs: 300_000 });
    t.is(example.status, 0, describe('npx scratchnet example homework2', example));

    // The published types compile in a TypeScript project (@types/node comes as a dependency).
    fs.writeFileSync(path.join(blocked.dir, 'use.ts'), [
      "import { Sequential, Convolution, Relu, Pooling, Affine, loadMnist, Trainer, getBackend } from 'scratchnet';",
      'const net = new Sequential({ inputShape: [1, 28, 28], layers: [new Convolution({ filters: 4, kernelSize: 3 }), new Relu(),',
      '  new Pooling({ poolH: 2, stride: 2 }), new Affine({ units: 10 })] });',
      'const data = loadMnist({ flatten: false });',
      'const trainer = new Trainer(net, data.xTrain, data.tTrain, data.xTest, data.tTest, { epochs: 1 });',
      "const name: string = getBackend().name; void trainer; void name;", ''].join('\n'));
    fs.writeFileSync(path.join(blocked.dir, 'tsconfig.json'), JSON.stringify({
      compilerOptions: { strict: true, module: 'commonjs', target: 'ES2022', noEmit: true, esModuleInterop: true }, files: ['use.ts'],
    }));
    const tsc = await run(process.execPath, [require.resolve('typescript/bin/tsc', { paths: [root] }), '-p', blocked.dir],
      { cwd: blocked.dir, env, timeoutMs: 180_000 });
    t.is(tsc.status, 0, describe('tsc on a consumer project', tsc));

    // 4. Install with scripts allowed, still no compiler: the install script finds the prebuilt
    // addon and says so in one line instead of compiling.
    const withScripts = await install('probe-scripts', ['--foreground-scripts']);
    t.is(withScripts.r.status, 0, describe('npm install (scripts allowed)', withScripts.r));
    const said = `${withScripts.r.stdout}\n${withScripts.r.stderr}`;
    t.regex(said, new RegExp(`prebuilt native addon for ${hostPlatform} loads .*nothing to compile`), said.slice(-2000));
    t.notRegex(said, /native addon was not built/, 'the install script tried to compile');
  });
}
