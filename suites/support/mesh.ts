// Helpers shared by the suites: Mbed's expected event sequences and a clean
// starting state per case.
import { expect } from 'chai';
import type { Board, MeshEventRecord } from '../../harness/suite-api/index.ts';

export const NSAPI_OK = 0;
export const upStatuses = ['LOCAL_UP', 'GLOBAL_UP'];

/** Resets boards through the rig (a clean stack each case, as a lab resets its DUTs). */
export async function freshBoards(boards: Board[]): Promise<void> {
  await Promise.all(boards.map((b) => b.reset()));
}

/**
 * What an app's status callback sees from connect() to up: CONNECTING first,
 * the final up status last, and never DISCONNECTED in between (reference §2–§3).
 */
export function expectConnectSequence(events: MeshEventRecord[], finalStatus: string): void {
  const callbacks = events.filter((e) => e.callback).map((e) => e.status);
  expect(callbacks[0], `first status callback (saw ${callbacks.join(' → ')})`).to.equal('CONNECTING');
  expect(callbacks[callbacks.length - 1], `last status callback (saw ${callbacks.join(' → ')})`).to.equal(finalStatus);
  expect(callbacks, 'no DISCONNECTED while connecting').to.not.include('DISCONNECTED');
  expect(events[0]?.event, 'first mesh event').to.equal('MESH_BOOTSTRAP_STARTED');
}
