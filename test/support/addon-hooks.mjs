// ES module hooks for addon-override.mjs: this package's binding module resolves to the shim.
let targets = [];
let shim = '';

export function initialize(data) {
  ({ targets, shim } = data);
}

export async function resolve(specifier, context, next) {
  const found = await next(specifier, context);
  return targets.includes(found.url) ? { ...found, url: shim, format: 'commonjs' } : found;
}
