// The tracker is a sink too: sticky comments and pull-request bodies are public text built from attempt
// reasons and the agent's own summary, either of which may quote a secret. This wrapper masks every text
// swarm writes to the tracker or code host, whichever adapter is behind it; reads pass through untouched.
import type { Appearance, CodeHost, Tracker } from './types.js';


/** `obj` with its writes masked; every other property and method is the original (bound). */
export function redactWrites<T extends object>(obj: T, redact: (text: string) => string): T {
  return new Proxy(obj, {
    get(target, prop) {
      const value: unknown = Reflect.get(target, prop, target);
      if (typeof value !== 'function') return value;
      const fn = value as (...args: unknown[]) => unknown;
      if (prop === 'show') {
        return (ticket: unknown, app: Appearance) => fn.call(target, ticket, { ...app, sticky: app.sticky === null ? null : redact(app.sticky) });
      }
      if (prop === 'openPullRequest') {
        return (req: { title: string; body: string } & Record<string, unknown>, ...rest: unknown[]) =>
          fn.call(target, { ...req, title: redact(req.title), body: redact(req.body) }, ...rest);
      }
      return fn.bind(target);
    },
  });
}

/** Services whose tracker and code host never receive a secret. */
export function redactServices<S extends { tracker: Tracker; codeHost: CodeHost }>(svc: S, redact: (text: string) => string): S {
  return { ...svc, tracker: redactWrites(svc.tracker, redact), codeHost: redactWrites(svc.codeHost, redact) };
}
