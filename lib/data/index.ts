export { readIdx, parseIdx, writeIdx, encodeIdx, isGzip } from './idx';
export type { IdxArray, ReadIdxOptions, WriteIdxOptions } from './idx';
export { ImageSet, LabelSet } from './dataset';
export { loadMnist, loadIdxDataset, findMnistFiles, defaultMnistDir, clearIdxCache } from './mnist';
export type { MnistOptions, MnistData, IdxDatasetOptions } from './mnist';
export { Augmenter, checkAugmentOptions, parseAugmentSpec, formatAugment, gaussianTaps } from './augment';
export type { AugmentOptions, AugmentSettings, ElasticOptions } from './augment';
export { loadMnistSubset } from './subset';
export type { MnistSubsetOptions, SubsetNames } from './subset';
