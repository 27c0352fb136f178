// What a candidate's callback records. Every candidate takes `process.hrtime.bigint()` on its
// callback's first line and hands it here with its own ideal time for that call; everything after
// the timestamp (subtraction, store, the RTP send) is outside the measured span.
const NO_ENGINE = Number.NaN;

export class Recorder {
  #ticks: Float64Array;
  #late: Float64Array;
  #engine: Float64Array;
  #n = 0;
  #hasEngine = false;
  /** Scenario 3 sends a packet per call; it gets the ideal time, not the (late) call time. */
  onTick: ((tick: number, dueNs: bigint) => void) | null = null;

  /** `capacity`: the calls expected, so recording is a store into preallocated arrays, not an allocation. */
  constructor(capacity: number) {
    const n = Math.max(1024, Math.ceil(capacity * 1.25));
    this.#ticks = new Float64Array(n);
    this.#late = new Float64Array(n);
    this.#engine = new Float64Array(n);
  }

  /**
   * One call: `now` is the timestamp from the callback's first line, `due` the candidate's own ideal
   * time for it, `started` (node-rtimer only) when the engine says it started the call.
   */
  record(tick: number, now: bigint, due: bigint, started?: bigint): void {
    this.push(tick, Number(now - due), started === undefined ? NO_ENGINE : Number(started - due));
    this.onTick?.(tick, due);
  }

  /** A call measured elsewhere (the dedicated worker process): lateness figures in ns. */
  push(tick: number, lateNs: number, engineNs = NO_ENGINE): void {
    if (this.#n === this.#late.length) this.#grow();
    this.#ticks[this.#n] = tick;
    this.#late[this.#n] = lateNs;
    this.#engine[this.#n] = engineNs;
    if (!Number.isNaN(engineNs)) this.#hasEngine = true;
    this.#n++;
  }

  get count(): number { return this.#n; }
  get ticks(): number[] { return Array.from(this.#ticks.subarray(0, this.#n)); }
  get late(): number[] { return Array.from(this.#late.subarray(0, this.#n)); }
  /** The engine's own lateness per call (`ctx.started − ctx.scheduled`), when the candidate has one. */
  get engine(): number[] | undefined { return this.#hasEngine ? Array.from(this.#engine.subarray(0, this.#n)) : undefined; }

  #grow(): void {
    const more = (a: Float64Array) => { const b = new Float64Array(a.length * 2); b.set(a); return b; };
    this.#ticks = more(this.#ticks);
    this.#late = more(this.#late);
    this.#engine = more(this.#engine);
  }
}
