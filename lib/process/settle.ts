/**
 * The first step to fail, as soon as it fails (undefined once every step succeeded). The caller
 * then stops what the other steps wait on; their later rejections are handled here, never unhandled.
 */
export function firstFailure(steps: Promise<unknown>[]): Promise<unknown> {
  return new Promise((resolve) => {
    let left = steps.length;
    if (left === 0) { resolve(undefined); return; }
    for (const step of steps) {
      step.then(() => { if (--left === 0) resolve(undefined); }, (err: unknown) => resolve(err ?? new Error('a start step failed')));
    }
  });
}
