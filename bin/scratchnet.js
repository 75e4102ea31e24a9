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
  // first one and quits without saving on a second). The IPC channel is the child's lifeline:
  // when this parent dies — even by kill -9, which it cannot forward — the channel closes and
  // the child stops as for SIGTERM (see below), so it never trains on as an orphan.
  const child = spawn(process.execPath, [...process.execArgv, NO_CONCURRENT, __filename, ...process.argv.slice(2)], {
    stdio: ['inherit', 'inherit', 'inherit', 'ipc'],
    detached: true,
  });
  // SIGUSR1 is left alone: Node uses it to start the inspector.
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR2']) {
    process.on(sig, () => { if (child.exitCode === null && child.signalCode === null) child.kill(sig); });
  }
  child.on('error', (e) => {
    process.stderr.write(`scratchnet: could not start ${process.execPath}: ${e.message}\n`);
    process.exitCode = 1;
  });
  child.on('exit', (code, signal) => {
    process.exitCode = code === null ? 128 + (require('node:os').constants.signals[signal] || 1) : code;
    // The channel must not keep this parent waiting once the child is gone.
    if (child.connected) child.disconnect();
  });
  return;
}

// Run by the parent above: its death closes the IPC channel, which stops this process like
// SIGTERM (train: finish the batch, save the checkpoint, exit 143; other commands: exit).
// unref: the channel alone must not keep this process alive.
if (typeof process.send === 'function' && process.channel) {
  process.channel.unref();
  process.on('disconnect', () => process.kill(process.pid, 'SIGTERM'));
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
