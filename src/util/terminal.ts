// Text for a human's terminal. Ticket titles, reasons and agent output are a stranger's words, and a
// terminal obeys control characters: OSC 52 writes the clipboard, OSC 8 plants hyperlinks, CSI moves the
// cursor and erases lines, a bare CR overwrites what was printed. Every human renderer (`swarm logs`,
// `status`, `explain`, the daemon's event lines, CLI errors) passes its finished text through
// terminalSafe(): C0 and C1 control characters go, except tab and newline, and whole escape sequences go
// with their payload (an OSC's base64 would otherwise remain as noise). When the renderer coloured its
// own text, the few SGR colour codes swarm's palette emits stay; nothing else does.

/** Escape sequences (7-bit ESC-introduced and 8-bit C1-introduced), then any other control character. */
const CONTROL = new RegExp(
  [
    // CSI: ESC [ (or 0x9B) parameters, intermediates, final byte.
    '(?:\\x1b\\[|\\x9b)[0-?]*[ -/]*[@-~]?',
    // OSC, DCS, SOS, PM, APC (ESC ] P X ^ _, or 0x9D 0x90 0x98 0x9E 0x9F) up to BEL / ST, or to the line's end.
    '(?:\\x1b[\\]PX^_]|[\\x9d\\x90\\x98\\x9e\\x9f])[^\\x07\\x1b\\x9c\\n]*(?:\\x07|\\x1b\\\\|\\x9c)?',
    // Other ESC sequences: intermediates then a final byte (charset selection, ESC c reset, ESC 7/8…).
    '\\x1b[ -/]*[0-~]?',
    // Whatever control character is left (not tab, not newline), DEL included.
    '[\\x00-\\x08\\x0b-\\x1f\\x7f-\\x9f]',
  ].join('|'),
  'g',
);

/** The SGR codes swarm's own palette (chalk, 16 colours) emits: bold, dim, red, green, yellow, cyan, gray, resets. */
const OWN_SGR = /^\x1b\[(?:0|1|2|22|31|32|33|36|39|90)?m$/;

/**
 * `text` safe to print on a terminal: no control characters but tab and newline, no escape sequences —
 * except, with `colour`, swarm's own SGR colour codes (which can colour text, never hide it or run anything).
 */
export function terminalSafe(text: string, colour = false): string {
  CONTROL.lastIndex = 0;
  if (!CONTROL.test(text)) return text;
  CONTROL.lastIndex = 0;
  return text.replace(CONTROL, (m) => (colour && OWN_SGR.test(m) ? m : ''));
}
