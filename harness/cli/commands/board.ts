// `meshbench board`: our agent and stack as a board of its own, on an 802.15.4
// radio co-processor (docs/rcp.md). Run by host/main.ts in a child process.
import { runHostBoard } from '../../host/launcher.ts';
export const BOARD_SUMMARY = 'run our agent and stack as a board whose radio is an RCP (ot-rcp over Spinel)';
export const BOARD_USAGE = 'meshbench board [--time-speed N] [--id ID] [--seed N] [--baud N] [--no-spinel-log] [--probe | --sniff CHANNEL] --radio <DEVICE | usb:SERIAL | spawn:COMMAND ARG...>';
export const BOARD_HELP = [
  'The agent protocol on stdin/stdout (a lab rig runs it as a `process` board); the radio an RCP,',
  'reached on a serial port or as a child process speaking Spinel on its stdio. Time is the wall',
  'clock times --time-speed (a simulated ot-rcp is started with the same --time-speed).',
  '',
  '  --radio DEVICE          a serial port: /dev/ttyACM0, /dev/serial/by-id/...',
  '  --radio usb:SERIAL      the serial port of the USB device with this serial number (its /dev/serial/by-id link)',
  '  --radio spawn:CMD ARG…  a child process; every word after it is its argument (put --radio last)',
  '  --time-speed N          run N times faster than real time (a simulated RCP only)',
  '  --id ID                 the board id it reports (identify, boot banner)',
  '  --baud N                serial rate (default 115200)',
  '  --no-spinel-log         do not log every Spinel frame on the serial output',
  '  --probe                 print the RCP\'s version, capabilities and channel as JSON, then exit (3: no RCP answered)',
  '  --sniff CHANNEL         promiscuous capture: a pcap stream (LINKTYPE 283) on stdout',
  '',
  'exit codes: 0 stopped, 2 usage, 3 the radio could not be set up or went away',
].join('\n');

/** Its words after `--radio spawn:COMMAND` are that command's, so they are passed on untouched (no option parsing here). */
export function boardCommand(args: string[]): Promise<number> {
  if (args.length === 0 || args[0] === '--help' || args[0] === '-h') {
    console.log(`usage: ${BOARD_USAGE}\n\n${BOARD_HELP}`);
    return Promise.resolve(args.length ? 0 : 2);
  }
  return runHostBoard(args);
}
