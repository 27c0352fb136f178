import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { RTimerError } from '../errors.js';
import type { FakedMessage } from './fmsg.js';

export interface RouteContext {
  /** The timer's name as declared. */
  readonly timer: string;
  readonly route: string;
  /** 0..N-1 for a mode=N timer's processes; 0 in the parent. Kamailio's `$rtimer_worker`. */
  readonly worker: number;
  /** Deadline number: the k in `start + k*interval`, from 1. */
  readonly tick: number;
  /** Ideal start, ns on the monotonic clock (comparable with process.hrtime.bigint()). */
  readonly scheduled: bigint;
  /** When this route was called, ns on the same clock. */
  readonly started: bigint;
  readonly msg: FakedMessage;
}

/** A route: called as `route('rtimer', ctx)`, like a KEMI function. May return a promise. */
export type Route = (module: 'rtimer', ctx: RouteContext) => unknown;
export type Routes = Readonly<Record<string, Route>>;
export type RoutesSource = Routes | string | URL;

const FORBIDDEN = new Set(['__proto__', 'constructor', 'prototype']);

/** A routes module's file URL: from a path relative to cwd, an absolute path, or a URL. */
export function moduleUrl(source: string | URL): string {
  if (source instanceof URL) return source.href;
  return /^file:/.test(source) ? source : pathToFileURL(isAbsolute(source) ? source : resolve(source)).href;
}

/** Loads a routes module (path relative to cwd, absolute path or file URL), or returns the object. */
export async function loadRoutes(source: RoutesSource): Promise<{ routes: object; from: string }> {
  if (typeof source === 'string' || source instanceof URL) {
    try {
      return { routes: await import(moduleUrl(source)), from: String(source) };
    } catch (err) {
      throw new RTimerError('ERR_RTIMER_ROUTES_LOAD', `cannot load routes module "${String(source)}": ${(err as Error).message}`,
        { cause: err });
    }
  }
  if (source === null || typeof source !== 'object') {
    throw new RTimerError('ERR_RTIMER_ROUTES_INVALID', 'routes must be an object of functions or a module path');
  }
  return { routes: source, from: 'routes object' };
}

/**
 * Finds a route by name among the module's own exports (or its default export's own properties,
 * for CommonJS). Inherited names and `__proto__`/`constructor` are never routes.
 */
export function findRoute(routes: object, name: string): Route | undefined {
  if (FORBIDDEN.has(name)) return undefined;
  const own = (o: unknown, key: string): unknown =>
    (o !== null && (typeof o === 'object' || typeof o === 'function') && Object.prototype.hasOwnProperty.call(o, key)
      ? (o as Record<string, unknown>)[key] : undefined);
  const fn = own(routes, name) ?? own(own(routes, 'default'), name);
  return typeof fn === 'function' ? (fn as Route) : undefined;
}

/** Throws one error that names every missing route with its timer. */
export function resolveRoutes(routes: object, from: string, timers: { name: string; routes: string[] }[]): Map<string, Route> {
  const found = new Map<string, Route>();
  const missing: string[] = [];
  for (const t of timers) {
    for (const r of t.routes) {
      const fn = findRoute(routes, r);
      if (fn) found.set(r, fn);
      else missing.push(`route "${r}" of timer "${t.name}"`);
    }
  }
  if (missing.length) {
    throw new RTimerError('ERR_RTIMER_ROUTE_MISSING', `${missing.join(', ')} not found in ${from} (or not a function)`);
  }
  return found;
}
