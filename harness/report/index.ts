// The report room's public API: the model the runner fills, the writer it calls after
// every finished case, and the reader/merger behind `meshbench merge`.
export type { Attempt, Outcome, Problem, Property, Run, RunFacts, Suite, TestCase, Totals, Verdict } from './model.ts';
export { INTERRUPTED, interruptedOutcome, isInterrupted, runProperties, runTotals, suiteTotals } from './model.ts';
export type { JUnitOptions, WriteIo } from './junit.ts';
export { buildJUnit, writeFileAtomic, writeJUnit } from './junit.ts';
export { mergeJUnitFiles, mergeRuns, parseJUnit, readJUnit } from './merge.ts';
export { checkJUnit } from './check.ts';
export { REDACTED, redactor, xmlSafe } from './sanitize.ts';
