// Colours for human output. Commands decide whether to colour (useColor: a TTY, no NO_COLOR, not
// TERM=dumb); when they do, chalk is forced on at 16 colours rather than guessing from the environment.
import { Chalk } from 'chalk';
import type { Paint } from '../report/status.js';

export function chalkPaint(): Paint {
  const c = new Chalk({ level: 1 });
  return { sgr: true, bold: c.bold, dim: c.dim, red: c.red, green: c.green, yellow: c.yellow, cyan: c.cyan };
}
