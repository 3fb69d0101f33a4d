// Locations the bench needs: the checkout root, the built CLI, the fake claude.
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const BIN = path.join(ROOT, 'bin', 'swarm.js');
export const DIST = path.join(ROOT, 'dist');
export const FAKE_CLAUDE = path.join(ROOT, 'test', 'helpers', 'fake-claude.mjs');
export const EL_MONITOR = path.join(ROOT, 'bench', 'lib', 'el-monitor.mjs');
