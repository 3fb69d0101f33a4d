// After tsc: the numbered SQL migrations sit beside their migrator in src/backend/postgres/migrations/, and
// tsc copies only .ts, so the build copies them to the same place under dist/ (where MIGRATIONS_DIR,
// resolved from the module's own URL, finds them in the installed package). A stale file in dist/ that is
// no longer in src/ is removed, so dist/ never applies a migration the source no longer has.
import { copyFileSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const from = join(root, 'src', 'backend', 'postgres', 'migrations');
const to = join(root, 'dist', 'backend', 'postgres', 'migrations');

const sql = readdirSync(from).filter((n) => n.endsWith('.sql'));
if (sql.length === 0) throw new Error(`no migrations found in ${from}`);
rmSync(to, { recursive: true, force: true });
mkdirSync(to, { recursive: true });
for (const name of sql) copyFileSync(join(from, name), join(to, name));
