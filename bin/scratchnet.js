#!/usr/bin/env node
'use strict';
// The `scratchnet` command; the implementation is compiled TypeScript in dist/ (npm run build:ts).

// Node 20 can deadlock while exiting when a concurrent TurboFan compile job is waiting for a
// garbage collection that only the (already exiting) main thread could run
// (nodejs/node#54918): the command printed its result and then never returned, about once in
// 150 runs here. The CLI therefore runs itself in a child Node with concurrent recompilation
// off (that flag only works on the command line), and this small parent just waits for it.
const NO_CONCURRENT = '--no-concurrent-recompilation';
if (!process.execArgv.includes(NO_CONCURRENT) && process.env.SCRATCHNET_NO_REEXEC !== '1') {
  const { spawn } = require('node:child_process');
  // The child gets a process group of its own, so a terminal's Ctrl-C reaches it exactly once:
  // through this parent, which passes every stop signal on (train saves a checkpoint on the
  // first SIGINT and quits without saving on a second).
  const child = spawn(process.execPath, [...process.execArgv, NO_CONCURRENT, __filename, ...process.argv.slice(2)], {
    stdio: 'inherit',
    detached: true,
  });
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, () => child.kill(sig));
  child.on('error', (e) => {
    process.stderr.write(`scratchnet: could not start ${process.execPath}: ${e.message}\n`);
    process.exitCode = 1;
  });
  child.on('exit', (code, signal) => {
    process.exitCode = code === null ? 128 + (require('node:os').constants.signals[signal] || 1) : code;
  });
  return;
}

// `scratchnet info | head -3`: a reader that stops early is not an error.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e) => {
    if (e && e.code === 'EPIPE') process.exit(process.exitCode || 0);
    throw e;
  });
}

let cli;
try {
  cli = require('../dist/lib/cli/main.js');
} catch (e) {
  if (e && e.code === 'MODULE_NOT_FOUND' && /dist[\\/]lib[\\/]cli[\\/]main/.test(String(e.message))) {
    process.stderr.write('scratchnet: the compiled code is missing (dist/lib/cli/main.js). Fix: run `npm run build:ts` in the scratchnet package.\n');
    process.exit(1);
  }
  throw e;
}
cli.run(process.argv.slice(2));
