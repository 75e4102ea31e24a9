// AVA's settings (here rather than in package.json so that scripts/test-arm64.sh can switch one).
//
// Test files run in child processes started with --no-concurrent-recompilation (Node 20's
// exit deadlock, nodejs/node#54918; see bin/scratchnet.js). Under qemu-user there is no way to
// start a child arm64 process (no binfmt_misc in a container), so the arm64 run sets
// SCRATCHNET_AVA_WORKER_THREADS=1: the files then run in worker threads of the one emulated
// process, without the flag (a worker refuses V8 flags, and inherits its process's: so that
// process runs without it too; an exit deadlock there shows as a hang, not a wrong result).
const workerThreads = process.env.SCRATCHNET_AVA_WORKER_THREADS === '1';

export default {
  files: ['dist/test/**/*.test.js'],
  timeout: '10m',
  workerThreads,
  concurrency: 2,
  nodeArguments: workerThreads ? [] : ['--no-concurrent-recompilation'],
};
