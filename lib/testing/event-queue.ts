/** Something due at a virtual time. */
export interface VirtualEvent {
  readonly at: bigint;
  /** Within one time: libuv's order of phases (timers, poll, check), then first come first served. */
  readonly phase: number;
  readonly seq: number;
  readonly fn: () => void;
  cancelled: boolean;
}

const before = (a: VirtualEvent, b: VirtualEvent): boolean =>
  a.at !== b.at ? a.at < b.at : a.phase !== b.phase ? a.phase < b.phase : a.seq < b.seq;

/** A binary heap of events, earliest first; cancelled ones are dropped when they reach the top. */
export class EventQueue {
  readonly #heap: VirtualEvent[] = [];
  #seq = 0;

  add(at: bigint, phase: number, fn: () => void): VirtualEvent {
    const e: VirtualEvent = { at, phase, seq: this.#seq++, fn, cancelled: false };
    const h = this.#heap;
    h.push(e);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!before(h[i], h[p])) break;
      [h[i], h[p]] = [h[p], h[i]];
      i = p;
    }
    return e;
  }

  /** The earliest live event, left in place. */
  peek(): VirtualEvent | undefined {
    while (this.#heap.length && this.#heap[0].cancelled) this.#pop();
    return this.#heap[0];
  }

  /** Takes the earliest live event out. */
  take(): VirtualEvent | undefined {
    return this.peek() === undefined ? undefined : this.#pop();
  }

  get size(): number { return this.#heap.filter((e) => !e.cancelled).length; }

  #pop(): VirtualEvent {
    const h = this.#heap;
    const top = h[0];
    const last = h.pop()!;
    if (h.length) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1, r = l + 1;
        let m = i;
        if (l < h.length && before(h[l], h[m])) m = l;
        if (r < h.length && before(h[r], h[m])) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m], h[i]];
        i = m;
      }
    }
    return top;
  }
}
