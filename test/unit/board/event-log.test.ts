// What a board keeps of its events: marks keep their meaning after old events are let
// go, a read before what is kept fails clearly, and a wait in progress keeps its events.
import { expect } from 'chai';
import type { BenchClock } from '../../../harness/bench/clock.ts';
import type { RigControls } from '../../../harness/bench/controls.ts';
import { Board } from '../../../harness/board/board.ts';
import type { BoardDriver, MeshEventRecord } from '../../../harness/board/driver.ts';
import { EventLog, ForgottenEventsError } from '../../../harness/board/event-log.ts';
import type { Logger } from '../../../harness/log/logger.ts';

describe('EventLog', () => {
  it('keeps indexes after letting go: length counts every event, slice and at read by the old indexes', () => {
    const log = new EventLog<string>();
    for (const e of ['a', 'b', 'c', 'd']) log.push(e);
    const mark = log.length;
    log.push('e');
    log.forget(3);
    expect(log.first).to.equal(3);
    expect(log.length).to.equal(5);
    expect(log.slice(mark)).to.deep.equal(['e']);
    expect(log.slice()).to.deep.equal(['d', 'e']);
    expect(log.slice(3, 4)).to.deep.equal(['d']);
    expect(log.at(4)).to.equal('e');
    expect(log.at(-1)).to.equal('e');
    expect(log.at(1)).to.equal(undefined);
    expect(log.indexOf('d')).to.equal(3);
    expect(log.indexOf('a')).to.equal(-1);
    expect([...log]).to.deep.equal(['d', 'e']);
    expect(log.filter((e) => e !== 'd')).to.deep.equal(['e']);
  });

  it('fails a read from before what it keeps, naming both indexes', () => {
    const log = new EventLog<number>();
    for (let i = 0; i < 10; i++) log.push(i);
    log.forget(6);
    expect(() => log.slice(5)).to.throw(ForgottenEventsError, /#5.*#6/);
  });

  it('never lets go past its length, nor what a reader holds', () => {
    const log = new EventLog<number>();
    for (let i = 0; i < 5; i++) log.push(i);
    log.forget(99);
    expect(log.first).to.equal(5);
    for (let i = 5; i < 10; i++) log.push(i);
    const release = log.hold(7);
    log.forget(10);
    expect(log.first).to.equal(7);
    expect(log.slice(7)).to.deep.equal([7, 8, 9]);
    release();
    release(); // twice is once
    log.forget(10);
    expect(log.first).to.equal(10);
  });
});

/** A board driver that only reports the events a test gives it. */
function eventDriver(): { driver: BoardDriver; emit(e: MeshEventRecord): void } {
  let onMesh: (e: MeshEventRecord) => void = () => undefined;
  const driver = {
    kind: 'test',
    onMeshEvent: (cb: (e: MeshEventRecord) => void) => (onMesh = cb),
    onAppEvent: () => undefined,
    onBoot: () => undefined,
    boardTime: () => Promise.resolve(0),
    close: () => Promise.resolve(),
  } as unknown as BoardDriver;
  return { driver, emit: (e) => onMesh(e) };
}

/** A bench clock whose deadlines are never reached: waits end by events only. */
const stillClock: BenchClock = {
  speed: 1,
  now: () => Promise.resolve(0),
  sleepUntil: (_t, opts) => new Promise((_resolve, reject) => opts?.signal?.addEventListener('abort', () => reject(new Error('aborted')))),
  cancelSleeps: () => Promise.resolve(),
};

const quietLog = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined } as unknown as Logger;

function boardWithEvents() {
  const { driver, emit } = eventDriver();
  const board = new Board({ id: 'b1', firmware: 'test', stacks: {} }, driver, stillClock, {} as RigControls, quietLog, () => Promise.resolve(driver));
  let t = 0;
  const up = (status: string) => emit({ t: (t += 1000), event: status === 'GLOBAL_UP' ? 'MESH_CONNECTED_GLOBAL' : 'MESH_BOOTSTRAP_STARTED', status } as MeshEventRecord);
  return { board, up };
}

describe('Board events over a long run', () => {
  it('a mark taken before forgetEvents() still finds what came after it', async () => {
    const { board, up } = boardWithEvents();
    up('CONNECTING');
    up('GLOBAL_UP');
    const mark = board.mark();
    up('CONNECTING');
    board.forgetEvents({ events: mark });
    up('GLOBAL_UP');
    const e = await board.waitForStatus('GLOBAL_UP', { withinS: 10, fromIndex: mark });
    expect(board.events.indexOf(e)).to.equal(3);
    expect(board.events.first).to.equal(2);
  });

  it('a wait from an index let go fails with why, not with a wrong event', async () => {
    const { board, up } = boardWithEvents();
    up('GLOBAL_UP');
    board.forgetEvents();
    let err: unknown;
    await board.waitForStatus('GLOBAL_UP', { withinS: 10, fromIndex: 0 }).catch((e: unknown) => (err = e));
    expect(err).to.be.instanceOf(ForgottenEventsError);
  });

  it('a wait in progress keeps its events across forgetEvents()', async () => {
    const { board, up } = boardWithEvents();
    const mark = board.mark();
    const waiting = board.waitForStatus('GLOBAL_UP', { withinS: 10, fromIndex: mark });
    await new Promise((r) => setImmediate(r));
    up('CONNECTING');
    board.forgetEvents();
    expect(board.events.first).to.equal(mark);
    up('GLOBAL_UP');
    const e = await waiting;
    expect(e.status).to.equal('GLOBAL_UP');
    board.forgetEvents();
    expect(board.events.first).to.equal(2);
  });
});
