export interface CliArgs {
  command: string | undefined;
  positional: string[];
  flags: Map<string, string | true>;
}

/** `--name value`, `--name=value` and bare `--flag`; everything else is positional. */
export function parseArgs(argv: string[], withValue: readonly string[]): CliArgs {
  const flags = new Map<string, string | true>();
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) { positional.push(a); continue; }
    const eq = a.indexOf('=');
    const name = a.slice(2, eq < 0 ? undefined : eq);
    if (eq >= 0) flags.set(name, a.slice(eq + 1));
    else if (withValue.includes(name)) {
      if (i + 1 >= argv.length) throw new Error(`--${name} needs a value`);
      flags.set(name, argv[++i]);
    } else flags.set(name, true);
  }
  return { command: positional.shift(), positional, flags };
}
