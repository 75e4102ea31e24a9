#!/usr/bin/env node
'use strict';
// The `scratchnet` command; the implementation is compiled TypeScript in dist/ (npm run build:ts).
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
