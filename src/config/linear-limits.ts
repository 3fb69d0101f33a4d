// Linear's numbers the configuration needs without loading the adapter (no @linear/sdk import here).

/** tracker.page_size's default: the candidates query then costs ~3,700 points (Linear refuses > 10,000). */
export const LINEAR_DEFAULT_PAGE_SIZE = 50;

/**
 * The largest tracker.page_size Linear accepts the candidates query at: Linear refuses any document above
 * 10,000 complexity points, and the query costs ~74 points per issue (135 → 9,99x, 136 → 10,07x; scored in
 * test/unit/linear-complexity.test.ts with the model that reproduces Linear's own reported scores). Below
 * Linear's own `first` maximum of 250 (n8n-io/n8n#9273: 251 or more returns no data).
 */
export const LINEAR_MAX_PAGE_SIZE = 135;

/** tracker.full_sweep's default: a full listing of the candidates this often, incremental polls between. */
export const LINEAR_DEFAULT_FULL_SWEEP_MS = 10 * 60_000;
