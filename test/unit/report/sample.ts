// A run with one case of every kind the writer must handle, and helpers to validate
// output with xmllint against fixtures/junit/junit-10.xsd (the Jenkins xunit-plugin's
// schema, plus properties on a testcase).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import type { EnsureResult } from '../../../scripts/ensure-tool.ts';
import { ensureTool } from '../../support/tools.ts';
import type { Run, TestCase } from '../../../harness/report/model.ts';
import { runProperties } from '../../../harness/report/model.ts';

export const SCHEMA = resolve(import.meta.dirname, '../../../fixtures/junit/junit-10.xsd');

export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'meshbench-report-'));
}

function tc(name: string, rest: Partial<TestCase> & Pick<TestCase, 'outcome'>): TestCase {
  return {
    name,
    classname: 'suites.join',
    file: 'suites/join.test.ts',
    time: 1.25,
    attempts: [],
    properties: [],
    attachments: [],
    ...rest,
  };
}

/** `dir` is where the run's artifacts (serial logs, captures) live. */
export function sampleRun(dir: string): Run {
  return {
    runId: 'run-7f3a',
    name: 'meshbench',
    startedAt: '2024-05-01T10:00:00.250Z',
    hostname: 'lab-runner-1',
    properties: runProperties({
      rig: 'sim-3-boards',
      seed: 42,
      boards: [
        { id: 'A', firmwareKind: 'meshbench-agent', firmwareVersion: '0.1.0' },
        { id: 'B', firmwareKind: 'meshbench-agent', firmwareVersion: '0.1.0' },
      ],
      simLagMs: 3,
    }),
    suites: [
      {
        name: 'join',
        file: 'suites/join.test.ts',
        timestamp: '2024-05-01T10:00:01.000Z',
        properties: [{ name: 'spec', value: 'Mbed Mesh API connect()' }],
        cases: [
          tc('JOIN-001 joins a 6LoWPAN-ND network', {
            outcome: { verdict: 'passed' },
            properties: [
              { name: 'board', value: 'A' },
              { name: 'board', value: 'B' },
              { name: 'join_time_s', value: '4.2' },
            ],
            attachments: [join(dir, 'serial', 'A.log'), join(dir, 'capture.pcap')],
            systemOut: 'connected\n',
          }),
          tc('JOIN-002 gets a global address', {
            outcome: {
              verdict: 'failed',
              message: 'expected 0 to equal 1',
              type: 'AssertionError',
              details: 'AssertionError: expected 0 to equal 1\n    at Context.<anonymous> (suites/join.test.ts:40:7)',
              expected: '1',
              actual: '0',
            },
          }),
          tc('JOIN-003 reconnects after reset', {
            outcome: {
              verdict: 'error',
              message: 'board B: serial port closed',
              type: 'BoardDisconnectedError',
              details: 'BoardDisconnectedError: board B: serial port closed',
            },
          }),
          tc('JOIN-004 joins a Thread network', {
            time: 0,
            outcome: { verdict: 'skipped', message: 'rig has no Thread firmware' },
          }),
          tc('JOIN-005 survives a busy channel', {
            outcome: { verdict: 'passed' },
            attempts: [
              {
                kind: 'failure',
                message: 'no ACK within 2 s',
                type: 'AssertionError',
                details: 'AssertionError: no ACK within 2 s',
                systemOut: 'attempt 1 log\n',
              },
            ],
          }),
          tc('JOIN-006 rejects a wrong PSKd', {
            outcome: {
              verdict: 'failed',
              message: 'joined with a wrong PSKd',
              type: 'AssertionError',
              details: 'AssertionError: joined with a wrong PSKd',
            },
            attempts: [
              { kind: 'failure', message: 'joined with a wrong PSKd', type: 'AssertionError' },
              { kind: 'error', message: 'board A: flash failed', type: 'FlashError' },
            ],
          }),
        ],
      },
    ],
  };
}

/** Installs xmllint if it can; the reason it cannot otherwise. Call from a `before` hook. */
export const haveXmllint = (): Promise<EnsureResult> => ensureTool('xmllint', 'libxml2-utils');

/** Runs xmllint against fixtures/junit/junit-10.xsd; returns its complaints (empty when valid). */
export async function xmllint(file: string): Promise<string> {
  const r = await execa('xmllint', ['--noout', '--schema', SCHEMA, file], { reject: false, all: true });
  return r.exitCode === 0 ? '' : String(r.all ?? `exit ${r.exitCode}`);
}
