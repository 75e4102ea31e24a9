// Inference through consecutive fused blocks (DeepConvNet's six, LeNet5's two) as one kernel
// call, image by image (Backend.convChainForward): each image's maps pass from one layer to the
// next in the core's cache. Run block by block, every layer wrote its output for the whole batch
// (DeepConvNet's first: 20 MB at batch 400) and the next layer stalled reading it back. Training
// keeps running the blocks one by one: the backward needs each block's output and winners.
import { MAX_CHAIN_LAYERS, type Backend, type ChainLayer } from '../backend/types';
import { BatchCache, type Layer } from '../layers/layer';
import type { Tensor } from '../tensor/tensor';
import { isFusedBlock, type FusedBlock } from './fusion';

export class ConvChain {
  /** Per batch size, the layers' arguments (refilled each call with the current weights). */
  private readonly layers: BatchCache<ChainLayer[]>;

  constructor(readonly blocks: readonly FusedBlock[], private readonly backend: Backend) {
    this.layers = new BatchCache(() => blocks.map(() => ({}) as ChainLayer));
  }

  get label(): string {
    return this.blocks.map((b) => b.label).join(', ');
  }

  /** Inference only (train must be false): the last block's output, its own buffer, overwritten by its next forward. */
  forward(x: Tensor, train = false): Tensor {
    if (train) throw new Error(`${this.label}: a chain runs inference only. Fix: run each block's forward(x, true) for training (Sequential.gradient does).`);
    const n = this.blocks[0].conv.checkInput(x);
    const layers = this.layers.get(n);
    let out: Tensor | null = null;
    for (let s = 0; s < this.blocks.length; s++) out = this.blocks[s].chainLayer(n, layers[s]);
    this.backend.convChainForward(x.data, layers, out!.data);
    for (const block of this.blocks) block.ranForInference();
    return out!;
  }
}

/**
 * What inference runs: the training plan with each run of two or more consecutive fused blocks
 * as one ConvChain (longer runs in pieces of MAX_CHAIN_LAYERS). Only on the native backend, where
 * the image-by-image kernel keeps the maps in cache; the reference one would only allocate the
 * maps between the layers on every call.
 */
export function planInference(plan: ReadonlyArray<Layer | FusedBlock>, backend: Backend): Array<Layer | FusedBlock | ConvChain> {
  // An addon built before the chain existed has no such export: bench-ab loads such a baseline
  // build beside the current library, whose blocks then run one by one on it.
  if (backend.name !== 'native' || typeof backend.convChainForward !== 'function') return [...plan];
  const out: Array<Layer | FusedBlock | ConvChain> = [];
  for (let i = 0; i < plan.length;) {
    let j = i;
    while (j < plan.length && j - i < MAX_CHAIN_LAYERS && isFusedBlock(plan[j])) j++;
    if (j - i >= 2) {
      out.push(new ConvChain(plan.slice(i, j) as FusedBlock[], backend));
      i = j;
    } else {
      out.push(plan[i]);
      i++;
    }
  }
  return out;
}
