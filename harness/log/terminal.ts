// Text from a board (or a file) on our terminal is data: escape sequences and
// control bytes are shown as visible escapes, the same way the JUnit shows them
// (report/sanitize.ts), so a board can never set a title, clear the screen or
// move the cursor of the person reading the output.
import { xmlSafe } from '../report/sanitize.ts';

/** xmlSafe (C0 but tab and newline, DEL, C1, lone surrogates) and CR, which moves the cursor back over a line. */
export function terminalSafe(text: string): string {
  return xmlSafe(text).replace(/\r/g, '\\x0d');
}
