// The report room's public API: the model the runner fills, the writers it calls after
// every finished case (junit.xml, results.json, report.html), and what `meshbench merge`
// and `meshbench compare` read them back with.
export type { Attempt, Outcome, Problem, Property, Run, RunFacts, Suite, TestCase, Totals, Verdict } from './model.ts';
export { INTERRUPTED, interruptedOutcome, isInterrupted, runProperties, runTotals, suiteTotals } from './model.ts';
export type { JUnitOptions, WriteIo } from './junit.ts';
export { buildJUnit, writeFileAtomic, writeJUnit } from './junit.ts';
export { mergeJUnitFiles, mergeRuns, parseJUnit, readJUnit } from './merge.ts';
export { checkJUnit } from './check.ts';
export { REDACTED, redactor, xmlSafe } from './sanitize.ts';
export type { CaseResult, MeshSnapshot, Results, RunExtras, Series } from './results.ts';
export { buildResults, readResults, RESULTS_FILE, RESULTS_VERSION, writeResults } from './results.ts';
export { buildHtml, REPORT_HTML, writeHtml } from './html.ts';
export { compareResults, formatComparison } from './compare.ts';
export { mergeResults, mergeRunDirs } from './merge-dirs.ts';
