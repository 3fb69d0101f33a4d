// Ticket priority from labels (GitHub, local files): `P0`–`P3` or `priority:critical|high|medium|low`
// map onto Linear's scale 0 (urgent) … 3 (low); anything else is 4 (none). The most urgent label wins.

export const NO_PRIORITY = 4;

const NAMED: Record<string, number> = { critical: 0, urgent: 0, high: 1, medium: 2, low: 3 };

/** Priority of one label, or null when the label is not a priority label. Case-insensitive. */
export function priorityOfLabel(label: string): number | null {
  const name = label.trim().toLowerCase();
  const p = /^p([0-3])$/.exec(name);
  if (p) return Number(p[1]);
  const named = /^priority\s*:\s*(\w+)$/.exec(name);
  if (named && named[1] !== undefined && named[1] in NAMED) return NAMED[named[1]] ?? null;
  return null;
}

/** 0 urgent … 3 low; 4 when no priority label is present. */
export function priorityFromLabels(labels: readonly string[]): number {
  let best = NO_PRIORITY;
  for (const label of labels) {
    const p = priorityOfLabel(label);
    if (p !== null && p < best) best = p;
  }
  return best;
}
