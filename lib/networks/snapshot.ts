// A diagnostic forward pass (a gradient check, a search for the first non-finite layer) must
// leave the network as it found it: a training-mode forward draws new dropout masks and moves
// batch normalisation's running averages, and the next real step would see a different network.
import type { Layer } from '../layers/layer';

/** A layer with a random state it can hand out and take back (Dropout's mask seed and position). */
interface Stateful {
  getState(): unknown;
  setState(s: unknown): void;
}

function isStateful(l: Layer): l is Layer & Stateful {
  const s = l as Partial<Stateful>;
  return typeof s.getState === 'function' && typeof s.setState === 'function';
}

/**
 * Saves the layers' random states and buffers (batch-norm running averages); `dropout()` puts
 * the random states back (so the next forward replays the same masks), `all()` both.
 */
export function snapshotState(layers: readonly Layer[]): { dropout: () => void; all: () => void } {
  const drops = layers.filter(isStateful).map((layer) => ({ layer, state: layer.getState() }));
  const bufs = layers.flatMap((l) => Object.values(l.buffers).map((t) => ({ t, copy: t.data.slice() })));
  const dropout = () => {
    for (const d of drops) d.layer.setState(d.state);
  };
  return {
    dropout,
    all: () => {
      dropout();
      for (const b of bufs) b.t.data.set(b.copy);
    },
  };
}
