import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RTimer, type RouteContext, type TimerSpec } from '../../lib/index.js';

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Blocks the event loop, as a slow synchronous route does. */
export function busy(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) { /* spin */ }
}

/** Runs one inline timer for `ms` with `route`, stops it, and returns what it saw. */
export async function runInline(spec: Omit<TimerSpec, 'name' | 'mode'>, route: (ctx: RouteContext) => unknown, ms: number) {
  const seen: RouteContext[] = [];
  const rt = new RTimer({ routes: { R: (_m: string, ctx: RouteContext) => { seen.push(ctx); return route(ctx); } } });
  rt.timer({ name: 't', mode: 'inline', ...spec }).exec('timer=t;route=R');
  const errors: Error[] = [];
  rt.on('error', (e) => errors.push(e));
  await rt.start();
  await sleep(ms);
  await rt.stop();
  return { seen, stats: rt.stats()[0], errors, rt };
}

/** Open file descriptors of this process (Linux). */
export const openFds = () => readdirSync('/proc/self/fd').length;
/** Threads of this process (Linux). */
export const threadCount = () => readdirSync('/proc/self/task').length;

/** Runs `body` (an ES module using RTimer, Worker, sleep, vmLocked) in a child Node process. */
export function childScript(body: string): string[] {
  return ['--input-type=module', '-e', `
import { RTimer } from './dist/index.js';
import { Worker } from 'node:worker_threads';
import { readFileSync } from 'node:fs';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const vmLocked = () => Number(readFileSync('/proc/self/status', 'utf8').match(/VmLck:\\s*(\\d+)/)[1]);
${body}`];
}

// Fails timerfd_settime() or poll() (RTIMER_TEST_WAIT_FAULT=settime|poll) on rtimer's own
// threads only (their names start with "rtimer:"), so Node's own threads are untouched.
const WAIT_FAULT_SHIM = `
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/timerfd.h>
static int ours(const char* what) {
  char name[17] = {0};
  const char* f = getenv("RTIMER_TEST_WAIT_FAULT");
  prctl(PR_GET_NAME, name, 0, 0, 0);
  return f && strcmp(f, what) == 0 && strncmp(name, "rtimer:", 7) == 0;
}
int timerfd_settime(int fd, int flags, const struct itimerspec* n, struct itimerspec* o) {
  static int (*real)(int, int, const struct itimerspec*, struct itimerspec*);
  if (ours("settime")) { errno = EINVAL; return -1; }
  if (!real) real = dlsym(RTLD_NEXT, "timerfd_settime");
  return real(fd, flags, n, o);
}
int poll(struct pollfd* fds, nfds_t n, int timeout) {
  static int (*real)(struct pollfd*, nfds_t, int);
  if (ours("poll")) { errno = ENOMEM; return -1; }
  if (!real) real = dlsym(RTLD_NEXT, "poll");
  return real(fds, n, timeout);
}
`;

/** Compiles the wait-fault shim (LD_PRELOAD); null when there is no C compiler. */
export function buildWaitFaultShim(): string | null {
  const dir = mkdtempSync(join(tmpdir(), 'rtimer-shim-'));
  writeFileSync(join(dir, 'shim.c'), WAIT_FAULT_SHIM);
  const r = spawnSync('cc', ['-shared', '-fPIC', '-O1', '-o', join(dir, 'shim.so'), join(dir, 'shim.c'), '-ldl'], { encoding: 'utf8' });
  return r.status === 0 ? join(dir, 'shim.so') : null;
}
