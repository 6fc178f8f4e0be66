// Which of the loaded cases a run runs: mocha's grep (or its inverse) and this
// shard's part. `run` and `list-cases` select through here, so a shard lists
// exactly what it runs.
import type Mocha from 'mocha';
import { caseOf } from '../suite-api/index.ts';
import { shardCases, type Shard } from './shard.ts';

/** The tests mocha will run, in order: those grep selects (or, inverted, those it does not). */
export function selectedTests(mocha: Mocha): Mocha.Test[] {
  const grep = mocha.options.grep as RegExp | undefined;
  const invert = mocha.options.invert === true;
  const out: Mocha.Test[] = [];
  const walk = (s: Mocha.Suite) => {
    for (const t of s.tests) if (!grep || grep.test(t.fullTitle()) !== invert) out.push(t);
    s.suites.forEach(walk);
  };
  walk(mocha.suite);
  return out;
}

/** The key a case is sharded by: its stable id, or its full title when it has none. */
export function shardKey(t: Mocha.Test): string {
  return caseOf(t).id ?? t.fullTitle();
}

/** Drops the selected tests that are not this shard's from mocha's tree. */
export function keepShard(mocha: Mocha, shard: Shard, durations?: ReadonlyMap<string, number>): void {
  const mine = shardCases(selectedTests(mocha).map(shardKey), shard, durations);
  const walk = (s: Mocha.Suite) => {
    s.tests = s.tests.filter((t) => mine.has(shardKey(t)));
    s.suites.forEach(walk);
  };
  walk(mocha.suite);
}

