// The learned numbers of a network, apart from its description: the book's pickle of params
// (W1, b1, … and batch normalisation's running averages) as a safetensors file, readable from
// PyTorch. A file that does not fit the network is refused as a whole, naming every tensor that
// does not fit and both shapes, before a single value is copied; a file from a diverged run is
// refused too, since its network would predict nonsense without an error.
import { thousands } from '../format';
import { formatShape } from '../tensor/shape';
import { Tensor } from '../tensor/tensor';
import { loadSafetensors, saveSafetensors, storedDtype } from '../io/safetensors';
import { describeNonFinite } from './finite';
import type { Sequential } from './sequential';

/** Sequential.setParams: copies tensors into the network's parameters and buffers once every name, shape and dtype has been checked. */
export function copyParams(net: Sequential, tensors: Record<string, Tensor>, source: string): void {
  const expected = net.namedTensors();
  const problems: string[] = [];
  for (const [name, t] of Object.entries(expected)) {
    const got = tensors[name];
    if (got === undefined) {
      problems.push(`tensor '${name}' ${formatShape(t.shape)} is missing`);
      continue;
    }
    if (!(got instanceof Tensor)) {
      problems.push(`'${name}' is not a Tensor`);
      continue;
    }
    const stored = storedDtype(got);
    if (stored !== undefined && stored !== 'F32' && stored !== 'F64') {
      problems.push(`tensor '${name}' is stored as ${stored} (integers) but parameters are floating point; save it as F32 (saveParams does)`);
      continue;
    }
    if (!(got.data instanceof Float32Array) && !(got.data instanceof Float64Array)) {
      problems.push(`tensor '${name}' has dtype ${(got.data as object).constructor.name}; expected float32 (F32)`);
      continue;
    }
    if (got.data instanceof Float64Array && net.dtype !== 'float64') {
      problems.push(`tensor '${name}' is float64 (F64) but the network is float32; save it as F32 (saveParams does)`);
      continue;
    }
    const same = got.shape.length === t.shape.length && got.shape.every((d, i) => d === t.shape[i]);
    if (!same) problems.push(`tensor '${name}' has shape ${formatShape(got.shape)} but the network's ${name} is ${formatShape(t.shape)}`);
  }
  const extra = Object.keys(tensors).filter((k) => !(k in expected));
  if (extra.length) {
    // A file of 200,000 stray names must not become a 3 MB message: the first few say enough.
    const shown = extra.slice(0, 8).map((k) => `'${k}' ${formatShape(tensors[k].shape)}`).join(', ');
    const more = extra.length > 8 ? ` and ${thousands(extra.length - 8)} more` : '';
    problems.push(`unexpected tensor${extra.length > 1 ? 's' : ''} ${shown}${more} (not in this network)`);
  }
  if (problems.length) {
    throw new Error(
      `Sequential.loadParams: ${source} does not fit this network (${net.layers.map((l) => l.label).join('–')}): ` +
        `${problems.join('; ')}. Fix: load parameters saved from the same model (same layers, sizes and input shape); ` +
        `the network expects ${Object.entries(expected).map(([k, v]) => `${k} ${formatShape(v.shape)}`).join(', ')}.`,
    );
  }
  const given: Record<string, Tensor> = {};
  for (const name of Object.keys(expected)) given[name] = tensors[name];
  const bad = describeNonFinite(given);
  if (bad) {
    throw new RangeError(
      `Sequential.loadParams: ${source} holds NaN or ±Infinity in ${bad}: the run it comes from diverged, and such a network ` +
        `predicts nonsense without any error (Relu and max pooling hide NaN). Fix: use an earlier checkpoint or parameter file, or retrain with a smaller learning rate.`,
    );
  }
  for (const [name, t] of Object.entries(expected)) t.data.set(tensors[name].data);
}

/** Sequential.saveParams: parameters and buffers as float32 under the book's names, the model description in the metadata (atomic). */
export function writeParamsFile(net: Sequential, path: string): void {
  const out: Record<string, Tensor> = {};
  for (const [name, t] of Object.entries(net.namedTensors())) {
    out[name] = t.data instanceof Float32Array ? t : Tensor.from(t.data, t.shape, 'float32');
  }
  saveSafetensors(path, out, { format: 'scratchnet-params', model: JSON.stringify(net.toConfig()) });
}

/** Sequential.loadParams: a saveParams file, checked as setParams checks. */
export function readParamsFile(net: Sequential, path: string): void {
  const { tensors } = loadSafetensors(path);
  copyParams(net, tensors, `the file ${path}`);
}
