// Routes for examples/kamailio.cfg: each export is a route named in an `exec` line.
// A route is called as route('rtimer', ctx), like a Kamailio KEMI function.

const us = (ns) => (Number(ns) / 1000).toFixed(0);

export function HEARTBEAT(module, ctx) {
  console.log(`[${ctx.timer} #${ctx.tick}] HEARTBEAT  msg ${ctx.msg.id} (${ctx.msg.method} ${ctx.msg.ruri}) ` +
    `late ${us(ctx.started - ctx.scheduled)} µs, worker ${ctx.worker}, pid ${ctx.msg.pid}`);
}

export function ksr_rtimer(module) {
  // KEMI routes receive the module name, "rtimer".
  console.log(`           ksr_rtimer called by ${module}`);
}

export async function CLEANUP(module, ctx) {
  await new Promise((resolve) => setTimeout(resolve, 5)); // async routes are awaited, never overlapped
  console.log(`[${ctx.timer} #${ctx.tick}] CLEANUP    done`);
}

// Runs in two dedicated processes (mode=2); ctx.worker says which one.
export function MEDIA(module, ctx) {
  console.log(`[${ctx.timer} #${ctx.tick}] MEDIA      worker ${ctx.worker} pid ${ctx.msg.pid}, late ${us(ctx.started - ctx.scheduled)} µs`);
}

// Optional per-process hooks of a mode=N timer: open and close a worker's own resources here.
export function onWorkerStart({ timer, worker, pid }) {
  console.log(`           ${timer} worker ${worker} started in pid ${pid}`);
}
