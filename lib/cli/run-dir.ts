// The --out directory of scratchnet train. At every instant it must describe one run that
// exists: never parameters of one model beside the model.json of another, never a history of
// epochs whose parameters were not saved. Hence (1) a run that replaces another first removes
// the old run's files, parameters first (from then on the directory claims no finished run),
// and (2) the command writes a description only after what it describes (params, then
// history.json; checkpoint, then history.json). Stale temp files of killed writers go too.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { removeStaleTemps } from '../io/atomic';
import { makeDirectory } from '../io/directory';

export interface RunFiles {
  params: string;
  checkpoint: string;
  /** The kept (best validation epoch's) parameters of a run with --validation. */
  best: string;
  history: string;
  model: string;
  run: string;
  curvesPng: string;
  curvesSvg: string;
  filtersBefore: string;
  filtersAfter: string;
  misclassified: string;
}

const NAMES: Record<keyof RunFiles, string> = {
  // The order is the removal order: the claim of a finished run goes first.
  params: 'params.safetensors',
  checkpoint: 'checkpoint.safetensors',
  best: 'best.safetensors',
  history: 'history.json',
  model: 'model.json',
  run: 'run.json',
  curvesPng: 'curves.png',
  curvesSvg: 'curves.svg',
  filtersBefore: 'filters-before.png',
  filtersAfter: 'filters-after.png',
  misclassified: 'misclassified.png',
};

export function runFiles(outDir: string): RunFiles {
  const files = {} as RunFiles;
  for (const [k, name] of Object.entries(NAMES)) files[k as keyof RunFiles] = path.join(outDir, name);
  return files;
}

/**
 * Creates `outDir`, removes temp files left by killed writers, and — unless the run continues
 * the one already there — removes every file of an earlier run, parameters first. Throws with
 * the file-system reason (read-only, permission, /proc …) on failure.
 */
export function prepareRunDir(outDir: string, continuing: boolean): void {
  makeDirectory(outDir);
  removeStaleTemps(outDir);
  if (continuing) return;
  for (const file of Object.values(runFiles(outDir))) {
    try {
      fs.unlinkSync(file);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
  }
}
