// The sim's half of lockstep bench time: advances that stop at the quantum after a
// board printed, whatever the wall clock did, and serial input held and handed over
// by count, in board order.
import { expect } from 'chai';
import { LockstepSerial } from '../../../sim/control-lockstep.ts';
import { Scheduler } from '../../../sim/medium/scheduler.ts';
import { Pacer } from '../../../sim/pacer.ts';

const bytes = (s: string) => new Uint8Array(Buffer.from(s, 'latin1'));

describe('sim/pacer: lockstep advance', () => {
  it('runs bench time to the deadline, or with wake to the first quantum boundary after output, at any speed', async () => {
    const stops: number[][] = [];
    for (const speed of ['max', 1000, 20] as const) {
      const scheduler = new Scheduler();
      const pacer = new Pacer(scheduler, { speed });
      const at: number[] = [];
      // A board prints at 12.3456 ms and 40.0001 ms; another event at 12.9 ms still runs before the stop.
      scheduler.at(12_345.6, () => pacer.noteOutput());
      scheduler.at(12_900, () => at.push(scheduler.now()));
      scheduler.at(13_100, () => at.push(scheduler.now()));
      scheduler.at(40_000.1, () => pacer.noteOutput());
      const got: number[] = [];
      got.push(await pacer.advance(100_000, { wake: true, quantumUs: 1000 })); // stops at 13 ms
      expect(at).to.deep.equal([12_900]);
      got.push(await pacer.advance(100_000, { wake: false, quantumUs: 1000 })); // output does not stop it
      got.push(await pacer.advance(100_000, { wake: true, quantumUs: 1000 })); // nothing due: stands
      got.push(await pacer.advance(150_250, { wake: true, quantumUs: 1000, originUs: 100_250 }));
      expect(at).to.deep.equal([12_900, 13_100]);
      stops.push(got);
      pacer.stop();
    }
    expect(stops).to.deep.equal([
      [13_000, 100_000, 100_000, 150_250],
      [13_000, 100_000, 100_000, 150_250],
      [13_000, 100_000, 100_000, 150_250],
    ]);
  });

  it('counts the quantum grid from the origin it is given', async () => {
    const scheduler = new Scheduler();
    const pacer = new Pacer(scheduler, { speed: 'max' });
    scheduler.at(5_100, () => pacer.noteOutput());
    expect(await pacer.advance(50_000, { wake: true, quantumUs: 1000, originUs: 250 })).to.equal(5_250);
    pacer.stop();
  });

  it('halt ends an advance where bench time has got to, and the next advance runs on from there', async () => {
    const scheduler = new Scheduler();
    const pacer = new Pacer(scheduler, { speed: 100 }); // an hour of bench time is 36 s of wall time
    const hour = pacer.advance(3600e6, { wake: false, quantumUs: 1000 });
    await new Promise((r) => setTimeout(r, 50));
    pacer.halt();
    const stoppedAt = await hour;
    expect(stoppedAt).to.be.above(0).and.below(60e6);
    pacer.halt(); // nothing under way: nothing happens
    expect(await pacer.advance(stoppedAt + 1000, { wake: false, quantumUs: 1000 })).to.equal(stoppedAt + 1000);
    pacer.stop();
  });

  it('is refused on a pacer that runs free, and fails when the bench stops under it', async () => {
    const scheduler = new Scheduler();
    const free = new Pacer(scheduler, { speed: 'max' });
    free.start();
    expect(() => free.advance(1000, { wake: false, quantumUs: 1000 })).to.throw(/runs free/);
    free.stop();
    const pacer = new Pacer(new Scheduler(), { speed: 1 });
    const p = pacer.advance(10_000_000, { wake: false, quantumUs: 1000 });
    pacer.stop();
    let error: unknown;
    await p.catch((e: unknown) => (error = e));
    expect(String(error)).to.match(/stopped/);
  });
});

describe('sim/control-lockstep: serial by count', () => {
  function twoBoards() {
    const received: string[] = [];
    const warnings: string[] = [];
    let outputs = 0;
    const serial = new LockstepSerial(['zz', 'aa'], () => outputs++, 100, (m) => warnings.push(m));
    for (const b of ['zz', 'aa']) {
      serial.opened(b);
      serial.attach(b);
    }
    const deliver = (board: string) => (b: Uint8Array) => {
      received.push(`${board}:${Buffer.from(b).toString('latin1')}`);
    };
    return { serial, received, warnings, outputs: () => outputs, deliver };
  }

  it('holds input until a sync point, then delivers exactly the counted bytes, in board order', async () => {
    const { serial, received, deliver } = twoBoards();
    serial.input('zz', bytes('hello\nwor'), deliver('zz'));
    serial.input('aa', bytes('ping\n'), deliver('aa'));
    expect(received).to.deep.equal([]);
    await serial.sync({ zz: 6, aa: 5 });
    expect(received).to.deep.equal(['aa:ping\n', 'zz:hello\n']);
    serial.input('zz', bytes('ld\n'), deliver('zz'));
    await serial.sync({ zz: 12 });
    expect(received.slice(2)).to.deep.equal(['zz:wor', 'zz:ld\n']);
  });

  it('a board that answers from a process of its own has handled its bytes before the next board gets any', async () => {
    const { serial, received, deliver } = twoBoards();
    let handled: () => void = () => undefined;
    serial.input('aa', bytes('state\n'), (b) => {
      deliver('aa')(b);
      return new Promise<void>((resolve) => (handled = resolve));
    });
    serial.input('zz', bytes('x\n'), deliver('zz'));
    let synced = false;
    const sync = serial.sync({ aa: 6, zz: 2 }).then(() => (synced = true));
    await new Promise((r) => setTimeout(r, 20));
    expect(received).to.deep.equal(['aa:state\n']);
    expect(synced).to.equal(false);
    handled();
    await sync;
    expect(received).to.deep.equal(['aa:state\n', 'zz:x\n']);
  });

  it('waits for bytes said to be written, and goes on with a warning when they never come', async () => {
    const { serial, received, warnings, deliver } = twoBoards();
    const sync = serial.sync({ aa: 4 });
    setTimeout(() => serial.input('aa', bytes('late'), deliver('aa')), 10);
    await sync;
    expect(received).to.deep.equal(['aa:late']);
    await serial.sync({ zz: 3 });
    expect(warnings.join()).to.match(/3 byte\(s\) .* zz did not arrive/);
  });

  it('counts output of attached boards only, and reports each count once it changed', () => {
    const { serial, outputs } = twoBoards();
    expect(serial.output('aa', 'abc')).to.equal(true);
    expect(serial.output('aa', 'de')).to.equal(true);
    expect(serial.takeOut()).to.deep.equal({ aa: 5 });
    expect(serial.takeOut()).to.equal(undefined);
    serial.closed('zz');
    expect(serial.output('zz', 'lost')).to.equal(false);
    serial.opened('zz');
    expect(serial.output('zz', 'banner'), 'nobody has the new port open yet').to.equal(false);
    serial.attach('zz');
    expect(serial.output('zz', 'x')).to.equal(true);
    expect(serial.takeOut()).to.deep.equal({ zz: 1 });
    expect(outputs()).to.equal(3);
    expect(() => {
      serial.closed('aa');
      serial.attach('aa');
    }).to.throw(/powered off/);
  });
});
