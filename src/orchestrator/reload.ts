// WORKFLOW.md at the start of each poll: re-read (parsed only when its bytes changed), checked against what
// the containment can take, and applied whole — new services first when tracker or workspace settings
// changed, so a setting the tracker rejects leaves the whole last good configuration in force. A
// configuration error is logged once and shown by `swarm status` (the daemon's view) until it is fixed.
import type { Workflow } from '../config/types.js';
import { reloadWorkflowSettled } from '../config/workflow.js';
import { saveLastGood } from '../config/last-good.js';
import { budgetZoneFor, setBudgetZone } from '../core/budget-day.js';
import { reloadProblem } from '../containment/containment.js';
import type { DaemonInfo } from '../core/types.js';
import type { Runtime, ServiceFactory, Settings } from './runtime.js';

export interface ReloadDeps {
  rt: Runtime;
  settings: Settings;
  makeServices: ServiceFactory;
  workflowPath: string;
  /** Settings that need new services when they change (the orchestrator's serviceKey). */
  serviceKey: (wf: Workflow) => string;
  /** The daemon's view: its config_error. */
  daemon: DaemonInfo;
  /** A new agent.max_concurrent in force. */
  setConcurrency: (n: number) => void;
}

export class WorkflowReloader {
  private servicesKey: string;
  private lastConfigError: string | null = null;
  /** WORKFLOW.md warnings already logged (start logs the first file's): each is said once per daemon. */
  private readonly warned: Set<string>;

  constructor(private readonly d: ReloadDeps) {
    this.servicesKey = d.serviceKey(d.settings.wf);
    this.warned = new Set(d.settings.wf.warnings);
  }

  async reload(): Promise<void> {
    const { rt, settings } = this.d;
    const current = settings.wf;
    // An edit an unconfined agent could have made is not applied until the operator vouches for it.
    const held = (await rt.containment?.workflow.check()) ?? null;
    const loaded = held ? { workflow: current, error: held } : await reloadWorkflowSettled(this.d.workflowPath, rt.env, current);
    const { workflow } = loaded;
    // Checked every poll, changed file or not: what the containment can take depends on more than the file.
    let error = loaded.error ?? (await reloadProblem(rt.containment, rt.isRoot, workflow));
    const key = error ? this.servicesKey : this.d.serviceKey(workflow);
    if (!error && key !== this.servicesKey) {
      // Build the new tracker first: a setting it rejects (e.g. an unknown Linear state) must leave the
      // whole last good configuration in force, not new policy over old services.
      try {
        settings.svc = await this.d.makeServices(workflow);
        this.servicesKey = key;
      } catch (err) {
        rt.log.setSecrets([...settings.svc.secrets, ...current.secrets, ...workflow.secrets]);
        error = `tracker settings changed but could not be applied: ${(err as Error).message}`;
      }
    }
    this.d.daemon.config_error = error;
    if (error) {
      if (error !== this.lastConfigError) rt.log.event({ type: 'config_error', error });
      this.lastConfigError = error;
      return;
    }
    if (this.lastConfigError) rt.log.event({ type: 'config_ok', file: this.d.workflowPath });
    this.lastConfigError = null;
    if (workflow === current) return;
    settings.wf = workflow;
    saveLastGood(rt.paths.dir, workflow);
    for (const w of workflow.warnings) {
      if (this.warned.has(w)) continue;
      this.warned.add(w);
      rt.log.warn(w);
    }
    setBudgetZone(budgetZoneFor(workflow.config));
    this.d.setConcurrency(workflow.config.agent.max_concurrent);
    if (key === this.servicesKey) settings.svc.tracker.setConfig?.(workflow.config);
    rt.log.setSecrets([...settings.svc.secrets, ...workflow.secrets]);
  }
}
