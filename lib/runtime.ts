/** The JavaScript runtime this process runs on, and what it lets the engine use. */
export type JsRuntime = 'node' | 'bun' | 'deno';

export function jsRuntime(): JsRuntime {
  const versions = process.versions as Record<string, string | undefined>;
  if (versions.bun !== undefined) return 'bun';
  if (versions.deno !== undefined || 'Deno' in globalThis) return 'deno';
  return 'node';
}

/**
 * Whether default timers may be woken by the event loop polling a timerfd (libuv's uv_poll). Bun has
 * no uv_poll_init (the addon panics there) and Deno's poll fires once and never again, so both get
 * the thread wake, as does `RTIMER_WAKE=thread` anywhere.
 */
export function loopWakeUsable(env: NodeJS.ProcessEnv = process.env, runtime: JsRuntime = jsRuntime()): boolean {
  return env.RTIMER_WAKE !== 'thread' && runtime === 'node';
}
