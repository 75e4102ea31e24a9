// Ctrl-C, SIGTERM and SIGHUP all mean "stop, keep the work": servers stop jobs with SIGTERM
// (systemd, containers, schedulers, preemption) and a closed terminal sends SIGHUP, so each of
// them gets what Ctrl-C gets — the current batch finishes, a checkpoint is saved, the resume
// command is printed — and the exit code says which signal it was (128 + its number). A second
// signal of any kind quits at once.
import * as os from 'node:os';

export const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
export type StopSignal = (typeof STOP_SIGNALS)[number];

/** The shell's convention for "ended by this signal": 130 for SIGINT, 143 for SIGTERM, 129 for SIGHUP. */
export function exitCodeFor(signal: NodeJS.Signals): number {
  return 128 + (os.constants.signals[signal] ?? 15);
}

/** How messages name the signal. */
export function signalName(signal: NodeJS.Signals): string {
  return signal === 'SIGINT' ? 'Ctrl-C' : signal;
}

export interface StopWatch {
  /** The first stop signal received, or null. */
  readonly signal: StopSignal | null;
  /** Removes the handlers (the signals' default actions apply again). */
  dispose(): void;
}

/**
 * Calls `stop` on the first stop signal; on a second one prints `say`'s line and exits with
 * that signal's code without saving anything.
 */
export function watchStopSignals(stop: (signal: StopSignal) => void, say: (line: string) => void): StopWatch {
  let got: StopSignal | null = null;
  const handler = (signal: StopSignal) => {
    if (got) {
      say(`second stop signal (${signalName(signal)}): exiting without saving.`);
      process.exit(exitCodeFor(signal));
    }
    got = signal;
    stop(signal);
  };
  for (const s of STOP_SIGNALS) process.on(s, handler);
  return {
    get signal() { return got; },
    dispose() { for (const s of STOP_SIGNALS) process.removeListener(s, handler); },
  };
}
