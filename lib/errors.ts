/** Base class of every error node-rtimer throws or emits; `code` is stable, the message is not. */
export class RTimerError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RTimerError';
    this.code = code;
  }
}

export interface ConfigErrorSource {
  /** The parameter text (or part of it) that is wrong, as the user wrote it. */
  text?: string;
  file?: string;
  line?: number;
}

/** A `timer`, `exec` or `default_interval` parameter, or a config file, that cannot be accepted. */
export class RTimerConfigError extends RTimerError {
  readonly text?: string;
  readonly file?: string;
  readonly line?: number;
  /** The reason alone, without the file and line prefix. */
  readonly reason: string;
  constructor(code: string, reason: string, source: ConfigErrorSource = {}) {
    const where = source.line !== undefined ? `${source.file ?? '<config>'}:${source.line}: ` : '';
    super(code, where + reason);
    this.name = 'RTimerConfigError';
    this.reason = reason;
    this.text = source.text;
    this.file = source.file;
    this.line = source.line;
  }
}

/** A route that threw or rejected; emitted as `'error'`, never thrown out of the timer. */
export class RTimerRouteError extends RTimerError {
  readonly timer: string;
  readonly route: string;
  readonly worker: number;
  constructor(timer: string, route: string, worker: number, cause: unknown) {
    const detail = cause instanceof Error ? cause.message : String(cause);
    super('ERR_RTIMER_ROUTE_FAILED', `route "${route}" of timer "${timer}" failed: ${detail}`, { cause });
    this.name = 'RTimerRouteError';
    this.timer = timer;
    this.route = route;
    this.worker = worker;
  }
}
