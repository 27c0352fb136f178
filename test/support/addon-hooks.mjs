// Module hooks for addon-override.mjs: every import of lib/binding or dist/binding resolves to a
// module that loads the addon under test directly with createRequire.
let source = '';

export function initialize({ addon }) {
  source = `import { createRequire } from 'node:module';
export const binding = createRequire(${JSON.stringify(addon)})(${JSON.stringify(addon)});`;
}

export async function resolve(specifier, context, next) {
  if (context.parentURL && /\/binding\.(js|ts)$/.test(specifier)) {
    const target = new URL(specifier, context.parentURL).href;
    if (/\/(lib|dist)\/binding\.(js|ts)$/.test(target)) {
      return { url: `data:text/javascript,${encodeURIComponent(source)}`, shortCircuit: true };
    }
  }
  return next(specifier, context);
}
