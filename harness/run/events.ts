// The run's event contract (after mocha's Runner.constants and Playwright's
// ReporterV2): reporters only subscribe to these; they never reach into the
// runner or mocha.
import type { Run, Suite, TestCase } from '../report/model.ts';

export interface RunListener {
  runBegin?(run: Run, info: { rig: string; seed: number; runDir: string; cases: number; waitingFor?: () => string | undefined }): void;
  suiteBegin?(suite: Suite): void;
  /** A case begins; `index` of `total` selected (a retry is the same case). */
  caseBegin?(title: string, suite: Suite, position?: { index: number; total: number }): void;
  /** A case finished (all its attempts). The run model already contains it. */
  caseEnd?(tc: TestCase, suite: Suite, run: Run): void;
  /** A case failed an attempt and will run again. */
  caseRetry?(title: string, attempt: number, error: string): void;
  runEnd?(run: Run, result: RunResult, info?: RunEndInfo): void;
  /** Something outside any case went wrong (bench, hooks). */
  problem?(message: string): void;
}

/** What a reporter needs beyond the result to say how the run ended. */
export interface RunEndInfo {
  /** The report could not be written (result `report-failed`): the file, the errno code, the system's words. */
  reportError?: { path: string; code?: string; message: string };
}

/** How a run ended; `bench-down` also when the bench went away mid-run (the sim died). */
export type RunResult = 'passed' | 'failed' | 'interrupted' | 'bench-down' | 'nothing-selected' | 'report-failed';

export const EXIT_CODES = {
  passed: 0,
  failed: 1,
  usage: 2,
  'bench-down': 3,
  interrupted: 4,
  'nothing-selected': 5,
  /** The report (junit.xml) could not be written: a full disk, a read-only directory. */
  'report-failed': 6,
} as const;
