#!/usr/bin/env node
'use strict';
// The package's `install` script. When the prebuilt addon shipped for this platform loads, there
// is nothing to compile: say so in one line and stop. Otherwise (another platform, musl, an old
// libstdc++, or a clone without prebuilds) build from source with scripts/build-native.js, which
// never fails the install (it records why and scratchnet falls back to the reference backend).
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const platform = `${process.platform}-${process.arch}`;
const prebuilt = path.join(root, 'prebuilds', platform, 'scratchnet.node');

function prebuiltLoads() {
  if (process.env.SCRATCHNET_SKIP_NATIVE === '1' || !fs.existsSync(prebuilt)) return null;
  try {
    const addon = require(prebuilt);
    return addon.supportedTargets.length > 0 ? addon : null;
  } catch (e) {
    process.stdout.write(`scratchnet: the prebuilt addon for ${platform} does not load here (${e.message.split('\n')[0]}); building from source.\n`);
    return null;
  }
}

const addon = prebuiltLoads();
if (addon) {
  process.stdout.write(`scratchnet: prebuilt native addon for ${platform} loads (SIMD ${addon.defaultTarget}, ` +
    `${addon.openblasFound ? 'OpenBLAS found' : 'no OpenBLAS: built-in GEMM'}); nothing to compile.\n`);
} else {
  require('./build-native.js');
}
