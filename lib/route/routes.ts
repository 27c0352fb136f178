import { isAbsolute, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describeThrown, didYouMean, RTimerError } from '../errors.js';
import type { RouteHook } from '../config/types.js';
import type { FakedMessage } from './fmsg.js';

/** What a route keeps in `ctx.state`; name your own shape with the generic (`RouteContext<MyState>`). */
export type RouteState = Record<string, unknown>;

export interface RouteContext<S extends object = RouteState> {
  /** The timer's name as declared. */
  readonly timer: string;
  readonly route: string;
  /** 0..N-1 for a mode=N timer's processes; 0 in the parent. Kamailio's `$rtimer_worker`. */
  readonly worker: number;
  /** Deadline number: the k in `start + k*interval`, from 1; 0 in start, end and a triggered tick. */
  readonly tick: number;
  /** Ideal start, ns on the monotonic clock (comparable with process.hrtime.bigint()). */
  readonly scheduled: bigint;
  /** When this route was called, ns on the same clock. */
  readonly started: bigint;
  readonly msg: FakedMessage;
  /** Which routes run: `'start'` once before the first tick, `'tick'`, or `'end'` once at the end. */
  readonly on: RouteHook;
  /** One plain object per worker (per timer in mode 0 and inline), from start through every tick to end. */
  readonly state: S;
  /**
   * This tick's slice, 0..nslices-1 (ptimer's slice). In `start` (only there) the route may set
   * `slice`, `nslices` and `ntasks` for its worker; they are checked when start returns.
   */
  slice: number;
  nslices: number;
  ntasks: number;
  /** How many tasks this slice holds: taskRange[1] - taskRange[0]. */
  readonly tasks: number;
  /** The task indexes of this slice, [first, end): over nslices ticks every index 0..ntasks-1 comes once. */
  readonly taskRange: readonly [number, number];
  /**
   * Makes the route take `d` (ms, or `'5ms'`, `'250us'`): in a real run it busy-waits, on a
   * VirtualClock (node-rtimer/testing) it moves virtual time on, as a busy route would.
   */
  spend(d: number | string): void;
  /**
   * Cluster timers only (`cluster: 'once'` or `'slices'`): this node's name, its role for the timer,
   * and for `once` the leadership's term (the election key's create revision in etcd; it grows with
   * every change of leader), to pass to a database as a fencing token. `tick` is then the global
   * tick number on the wall-clock grid, the same on every node.
   */
  readonly cluster?: { readonly node: string; readonly role: 'leader' | 'member'; readonly term: number };
  /** The tasks of `taskRange` this node runs: all of them, but in a `slices` cluster timer. Built on first access. */
  readonly ownTasks: readonly number[];
  /** Whether this node runs `task` this tick (a task of `taskRange` it owns). */
  owns(task: number): boolean;
}

/**
 * A route: called as `route('rtimer', ctx)`, like a KEMI function. May return a promise (or -1, to end
 * a ptimer loop). `S` types `ctx.state`, which starts as `{}`: fill it in the start route.
 */
export type Route<S extends object = RouteState> = (module: 'rtimer', ctx: RouteContext<S>) => unknown;
export type Routes<S extends object = RouteState> = Readonly<Record<string, Route<S>>>;
export type RoutesSource<S extends object = RouteState> = Routes<S> | string | URL;

/** What `onWorkerStart`/`onWorkerStop` of a routes module receive (mode=N). */
export interface WorkerHookInfo {
  timer: string;
  /** 0..workers-1 (Kamailio's `$rtimer_worker`). */
  worker: number;
  workers: number;
  pid: number;
}

/**
 * The shape of a routes module for mode=N (or any) timers: its exported functions are the routes,
 * plus the optional worker hooks. Check one with `satisfies RoutesModule<MyState>` on its default
 * export, or type each export (`export const MEDIA: Route<MyState> = ...`).
 */
export interface RoutesModule<S extends object = RouteState> {
  /** Awaited in each worker before its first tick (e.g. to open the worker's own connections). */
  onWorkerStart?: (info: WorkerHookInfo) => unknown;
  /** After the worker's last tick and its end route. */
  onWorkerStop?: (info: WorkerHookInfo) => unknown;
  [route: string]: Route<S> | ((info: WorkerHookInfo) => unknown) | undefined;
}

const FORBIDDEN = new Set(['__proto__', 'constructor', 'prototype']);

/** A URL object, also one from another realm or URL implementation (as Node's own isURL tells them). */
export function isUrl(value: unknown): value is URL {
  if (value instanceof URL) return true;
  const v = value as { href?: unknown; protocol?: unknown } | null;
  return v !== null && typeof v === 'object' && typeof v.href === 'string' && typeof v.protocol === 'string';
}

/** A routes source naming a module (a path or a URL) rather than an object of functions. */
export function isModuleSource(source: RoutesSource | undefined): source is string | URL {
  return typeof source === 'string' || isUrl(source);
}

// Schemes import() takes for a routes module; URL schemes are case-insensitive.
const URL_STRING = /^(file|data):/i;

/**
 * A routes module's URL: a URL object or a `file:`/`data:` string as is; a path from the working
 * directory (not from the caller's file: pass `new URL('./routes.mjs', import.meta.url)` for that).
 */
export function moduleUrl(source: string | URL): string {
  if (isUrl(source)) return source.href;
  return URL_STRING.test(source) ? source : pathToFileURL(isAbsolute(source) ? source : resolve(source)).href;
}

/** For a routes path given relative: where it was looked for, and how to name a file next to the caller's; else ''. */
export function relativeHint(source: RoutesSource | undefined): string {
  if (typeof source !== 'string' || URL_STRING.test(source) || isAbsolute(source)) return '';
  return `a relative path is taken from the working directory, here ${fileURLToPath(moduleUrl(source))}; ` +
    "to name a file next to yours, pass new URL('./routes.mjs', import.meta.url)";
}

/** Loads a routes module (path relative to cwd, absolute path or URL), or returns the object. */
export async function loadRoutes(source: RoutesSource): Promise<{ routes: object; from: string }> {
  if (isModuleSource(source)) {
    const name = typeof source === 'string' ? source : source.href;
    const url = moduleUrl(source);
    try {
      return { routes: await import(url), from: name };
    } catch (err) {
      const hint = relativeHint(source);
      throw new RTimerError('ERR_RTIMER_ROUTES_LOAD', `cannot load routes module "${name}"${hint && ` (${hint})`}: ${describeThrown(err)}`,
        { cause: err });
    }
  }
  if (source === null || typeof source !== 'object') {
    throw new RTimerError('ERR_RTIMER_ROUTES_INVALID', 'routes must be an object of functions, a module path or a URL');
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

/** The functions a routes object or module offers (its own and its default export's), for suggestions. */
function routeNames(routes: object): string[] {
  const names = (o: unknown) => (o !== null && (typeof o === 'object' || typeof o === 'function')
    ? Object.keys(o).filter((k) => typeof (o as Record<string, unknown>)[k] === 'function') : []);
  try {
    return [...names(routes), ...names((routes as { default?: unknown }).default)];
  } catch {
    return []; // a hostile module (throwing getters): no suggestion
  }
}

/** Throws one error that names every missing route with its timer (and the nearest name, if any). */
export function resolveRoutes(routes: object, from: string,
  timers: { name: string; routes: string[]; start?: string; end?: string }[]): Map<string, Route> {
  const found = new Map<string, Route>();
  const missing: string[] = [];
  for (const t of timers) {
    const names = [...(t.start !== undefined ? [t.start] : []), ...t.routes, ...(t.end !== undefined ? [t.end] : [])];
    for (const r of names) {
      const fn = findRoute(routes, r);
      if (fn) found.set(r, fn);
      else missing.push(`route "${r}" of timer "${t.name}"${didYouMean(r, routeNames(routes))}`);
    }
  }
  if (missing.length) {
    throw new RTimerError('ERR_RTIMER_ROUTE_MISSING', `${missing.join(', ')} not found in ${from} (or not a function)`);
  }
  return found;
}
