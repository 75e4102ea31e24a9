// bench-floor's PyTorch side runs at scratchnet's ISA when SCRATCHNET_SIMD forces a narrower path.
import test from 'ava';
import { torchIsaCaps } from '../../scripts/bench-floor/torch';

test('PyTorch is capped at AVX2 when scratchnet is forced to AVX2 on an AVX-512 CPU', (t) => {
  t.deepEqual(torchIsaCaps('avx2', 'avx512', false, {}),
    { ONEDNN_MAX_CPU_ISA: 'AVX2', DNNL_MAX_CPU_ISA: 'AVX2', ATEN_CPU_CAPABILITY: 'avx2' });
  t.deepEqual(torchIsaCaps('sse2', 'avx2', false, {}),
    { ONEDNN_MAX_CPU_ISA: 'SSE41', DNNL_MAX_CPU_ISA: 'SSE41', ATEN_CPU_CAPABILITY: 'default' });
});

test('PyTorch keeps the CPU\'s widest ISA on the widest path, with --torch-full-isa, and on arm64', (t) => {
  t.deepEqual(torchIsaCaps('avx512', 'avx512', false, {}), {});
  t.deepEqual(torchIsaCaps('avx2', 'avx2', false, {}), {});
  t.deepEqual(torchIsaCaps('avx2', 'avx512', true, {}), {});
  t.deepEqual(torchIsaCaps('neon', 'neon', false, {}), {});
});

test('a cap the user set in the environment is left as it is', (t) => {
  t.deepEqual(torchIsaCaps('avx2', 'avx512', false, { ONEDNN_MAX_CPU_ISA: 'AVX512_CORE' }),
    { DNNL_MAX_CPU_ISA: 'AVX2', ATEN_CPU_CAPABILITY: 'avx2' });
});
