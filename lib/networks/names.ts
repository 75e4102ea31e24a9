// The book's names, so that a reader maps each tensor 1:1: layers Conv1, Relu1, Pool1, Affine1 …
// (each kind counted on its own), parameters W1, b1, W2 … (counted over every layer that has
// weights, as SimpleConvNet and MultiLayerNet number them) and gamma1, beta1, runningMean1 …
// (counted over the batch normalisations, as MultiLayerNetExtend does). Parameter files, the
// optimizers' state and the exports are keyed by these names.
import type { Layer } from '../layers/layer';

/** A network name ↔ the layer tensor it refers to. */
export interface Slot {
  name: string;
  layer: Layer;
  key: string;
}

const PREFIX: Record<string, string> = {
  Convolution: 'Conv',
  Pooling: 'Pool',
  Affine: 'Affine',
  Relu: 'Relu',
  Sigmoid: 'Sigmoid',
  Dropout: 'Dropout',
  BatchNormalization: 'BatchNorm',
  Flatten: 'Flatten',
};

/** The counters of one network: each name is handed out once, in the order layers are added. */
export class BookNames {
  private counters: Record<string, number> = {};
  private wCount = 0;
  private bnCount = 0;

  /** The next automatic name for a layer of this kind: Conv1, Conv2, Relu1 … */
  layerName(kind: string): string {
    const prefix = PREFIX[kind] ?? kind;
    this.counters[prefix] = (this.counters[prefix] ?? 0) + 1;
    return `${prefix}${this.counters[prefix]}`;
  }

  /** The names of a built (and named) layer's parameters and buffers; counts it as the next weight / batch-norm layer. */
  slots(layer: Layer): { params: Slot[]; buffers: Slot[] } {
    const p = layer.params;
    const params: Slot[] = [];
    const buffers: Slot[] = [];
    if ('W' in p || 'b' in p) {
      const i = ++this.wCount;
      if ('W' in p) params.push({ name: `W${i}`, layer, key: 'W' });
      if ('b' in p) params.push({ name: `b${i}`, layer, key: 'b' });
    }
    if ('gamma' in p || 'beta' in p) {
      const i = ++this.bnCount;
      if ('gamma' in p) params.push({ name: `gamma${i}`, layer, key: 'gamma' });
      if ('beta' in p) params.push({ name: `beta${i}`, layer, key: 'beta' });
      for (const k of Object.keys(layer.buffers)) buffers.push({ name: `${k}${i}`, layer, key: k });
    } else {
      for (const k of Object.keys(layer.buffers)) buffers.push({ name: `${layer.name}.${k}`, layer, key: k });
    }
    for (const k of Object.keys(p)) {
      if (k !== 'W' && k !== 'b' && k !== 'gamma' && k !== 'beta') params.push({ name: `${layer.name}.${k}`, layer, key: k });
    }
    return { params, buffers };
  }
}
