/**
 * The differential corpus: configurations that both Kamailio and node-rtimer read. Three sets:
 * `stock` (Debian's /etc/kamailio/kamailio.cfg with rtimer lines appended inside its own #!ifdef blocks,
 * under several -A sets, with and without a version block), `rules` (one minimized case per rule of
 * issue 19) and `generated` (a fixed seed; written to reach the corners: preprocessor directives, joined
 * strings, defines in values, odd keys and values, modparamx, module-name regexps).
 */
export interface Case { set: string; id: string; files: Record<string, string>; defines: string[] }

const LOAD = 'loadmodule "rtimer.so"\n';
const TAIL = 'request_route { exit; }\n';
const T = (v: string) => `modparam("rtimer", "timer", "${v}")`;
const E = (v: string) => `modparam("rtimer", "exec", "${v}")`;

/** -A sets under which Debian's stock file is accepted by Kamailio 5.6.3 as shipped (no db_mysql, tls, presence). */
export const STOCK_SETS: string[][] = [
  [], ['WITH_NAT'], ['WITH_DEBUG'], ['WITH_ANTIFLOOD'], ['WITH_IPAUTH'], ['WITH_PSTN'], ['WITH_NAT', 'WITH_DEBUG'],
  ['WITH_JSONRPC'], ['WITH_NAT', 'WITH_NATSIPPING'], ['WITH_NAT', 'WITH_RTPENGINE'], ['WITH_VOICEMAIL', 'WITH_BLOCK3XX'],
];

const STOCK_LINES = `
####### node-rtimer differential lines #######
loadmodule "rtimer.so"
modparam("rtimer", "default_interval", 30)
${T('name=base;interval=10;mode=0')}
${E('timer=base;route=BASE')}
#!ifdef WITH_NAT
${T('name=nat;interval=500000u;mode=2')}
${E('timer=nat;route=NATKEEP')}
${E('timer=nat;route=NATLOG')}
#!else
${T('name=nonat;mode=1')}
#!endif
#!ifdef WITH_DEBUG
${T('name=dbg;interval=' + '1')}
${E('timer=dbg;route=DBG')}
#!ifdef WITH_NAT
${E('timer=nat;route=DBGNAT')}
#!endif
#!endif
#!ifndef WITH_ANTIFLOOD
modparam("rtimer", "timer", "name=flood;" "interval=" "7")
#!else
${T('name=flood;interval=70u')}
#!endif
#!ifdef WITH_PSTN
#!define PSTN_TIMER "name=pstn;"
modparam("rtimer", "timer", PSTN_TIMER "interval=3")
#!endif
#!ifdef WITH_JSONRPC
${E('timer=base;route=JSON')}
#!endif
`;

const VERSION_LINES = `
#!ifdef KAMAILIO_5
${T('name=k5;interval=5')}
#!ifdef KAMAILIO_5_6
${E('timer=k5;route=K56')}
#!endif
#!else
${T('name=k6;interval=6')}
#!endif
`;

export function stockCases(stock: string): Case[] {
  const out: Case[] = [];
  for (const defines of STOCK_SETS) {
    for (const version of [false, true]) {
      out.push({
        set: 'stock', id: `stock[${defines.join(',') || '-'}]${version ? '+version' : ''}`, defines,
        files: { 'main.cfg': stock + STOCK_LINES + (version ? VERSION_LINES : '') },
      });
    }
  }
  return out;
}

/** One minimized case per rule of issue 19 (and per row of the README's table of differences). */
export function ruleCases(): Case[] {
  const c = (id: string, body: string, extra: Record<string, string> = {}, defines: string[] = []): Case =>
    ({ set: 'rules', id, defines, files: { 'main.cfg': body, ...extra } });
  const m = (id: string, lines: string, defines: string[] = []) => c(id, LOAD + lines + '\n' + TAIL, {}, defines);
  return [
    // Version predefines
    m('version KAMAILIO_5', `#!ifdef KAMAILIO_5\n${T('name=v5')}\n#!endif`),
    m('version KAMAILIO_5_6', `#!ifdef KAMAILIO_5_6\n${T('name=v56')}\n#!endif`),
    m('version KAMAILIO_5_6_3', `#!ifdef KAMAILIO_5_6_3\n${T('name=v563')}\n#!endif`),
    m('version KAMAILIO_6', `#!ifdef KAMAILIO_6\n${T('name=v6')}\n#!endif`),
    m('version KAMAILIO_VERSION', `#!ifdef KAMAILIO_VERSION\n${T('name=vv')}\n#!endif`),
    m('version OS_NAME', `#!ifdef OS_NAME\n${T('name=os')}\n#!endif`),
    m('MOD_rtimer after loadmodule', `#!ifdef MOD_rtimer\n${T('name=mod')}\n#!endif`),
    // #!undef
    m('undef keeps the define', `#!define X\n#!undef X\n#!ifdef X\n${T('name=still')}\n#!endif`),
    m('undefine keeps the value', `#!define X "name=val"\n#!undefine X\nmodparam("rtimer", "timer", X)`),
    m('tryundef keeps the define', `#!define X\n#!tryundef X\n#!ifndef X\n${T('name=gone')}\n#!endif`),
    m('undef of an undefined name', `#!undef NEVER\n${T('name=a')}`),
    // A directive after text on a line
    m('define after text', `${T('name=a')} #!define X\n#!ifdef X\n${T('name=b')}\n#!endif`),
    m('ifdef after text', `${T('name=a')} #!ifdef NOPE\n${T('name=b')}\n#!endif`),
    // #!subst on joined strings
    m('subst on the joined value', `#!subst "/ame=a/ame=b/"\nmodparam("rtimer", "timer", "na" "me=a")`),
    m('subst across pieces', `#!subst "/ame/xme/"\nmodparam("rtimer", "timer", "na" "me=a")`),
    m('subst anchored at a piece', `#!subst "/^me/ME/"\nmodparam("rtimer", "timer", "na" "me=a")`),
    m('subst end of the first piece', `#!subst "/a$/b/"\nmodparam("rtimer", "timer", "name=a" ";mode=1")`),
    m('strings joined over lines', `modparam("rtimer", "timer", "name=a;"\n   "mode=2")`),
    // modparamx, module-name regexps
    m('modparamx', `modparamx("rtimer", "timer", "name=x")`),
    m('modparamx with $env', `modparamx("rtimer", "timer", "name=$env(RTIMER_DIFF_NAME)")`),
    m('module regex rtim.*', `modparam("rtim.*", "timer", "name=re")`),
    m('module regex case', `modparam("RTIMER", "timer", "name=up")`),
    m('module regex matching xlog too', `loadmodule "xlog.so"\nmodparam("rtimer|xlog", "timer", "name=two")`),
    m('module regex matching nothing', `modparam("rtimerx", "timer", "name=none")`),
    m('parameter name case', `modparam("rtimer", "TIMER", "name=a")`),
    // Kamailio refuses
    m('comment between joined strings', `modparam("rtimer", "timer", "na" /* c */ "me=a")`),
    m('string then string define', `#!define X "me=a"\nmodparam("rtimer", "timer", "na" X)`),
    m('string define then string', `#!define X "na"\nmodparam("rtimer", "timer", X "me=a")`),
    m('single-quoted piece', `modparam("rtimer", "timer", "na" 'me=a')`),
    m('exec before its timer', `${E('timer=a;route=R')}\n${T('name=a')}`),
    c('no loadmodule', `${T('name=a')}\n${TAIL}`),
    m('loaded twice', `loadmodule "rtimer.so"\n${T('name=a')}`),
    m('blank before a key', T(' name=a')),
    m('blank after the last ;', T('name=a; ')),
    m('empty value in the middle', T('name=a;mode=;interval=3')),
    m('key case', `${T('Name=a;MODE=2;Interval=7')}`),
    m('route name of 63 characters', `${T('name=a')}\n${E(`timer=a;route=${'R'.repeat(63)}`)}`),
    m('route name of 62 characters', `${T('name=a')}\n${E(`timer=a;route=${'R'.repeat(62)}`)}`),
    m('default_interval as a string', `modparam("rtimer", "default_interval", "10")\n${T('name=a')}`),
    m('timer as a number', 'modparam("rtimer", "timer", 5)'),
    c('CRLF inside a define continuation', `${LOAD}#!define X "name=a;\\\r\nmode=1"\r\nmodparam("rtimer", "timer", X)\n${TAIL}`),
    c('LF define continuation', `${LOAD}#!define X "name=a;\\\nmode=1"\nmodparam("rtimer", "timer", X)\n${TAIL}`),
    // Kamailio accepts
    m('interval=+5', T('name=a;interval=+5')),
    m(';;', T('name=a;;interval=3')),
    m('name with /', T('name=a/b;interval=5')),
    m('one trailing ;', T('name=a;interval=5;')),
    m('quoted values', T("name='q';interval=\\\"4\\\"")),
    m('key duplicates', T('name=a;name=b;mode=0;mode=3;mode=2;interval=4;interval=6')),
    m('mode before a u interval', T('name=a;mode=3;interval=10u')),
    m('u interval before mode', T('name=a;interval=10u;mode=3')),
    m('exec twice', `${T('name=a')}\n${E('timer=a;route=R1')}\n${E('timer=A;route=R2')}\n${E('timer=a;route=R1')}`),
    m('default_interval', `modparam("rtimer", "default_interval", 9)\n${T('name=a')}\n${T('name=b;interval=0')}`),
    // Kamailio reads something else than meant
    m('#!else with text', `#!ifdef NOPE\n#!else # text\n${T('name=a')}\n#!endif`),
    m('name with a comma', T('name=a,mode=2')),
    m('exec without a route', `${T('name=a')}\n${E('timer=a')}`),
    m('interval=0u', T('name=a;interval=0u')),
    m('default_interval=0', `modparam("rtimer", "default_interval", 0)\n${T('name=a')}`),
    m('unknown key', T('name=a;intrval=10')),
    m('empty name', T('name=;interval=3')),
    m('ms interval', T('name=a;interval=10ms')),
    m('mode inline', T('name=a;mode=inline')),
    m('interval over 32 bits', T('name=a;interval=4294967296')),
    // ptimer: no such module in 5.6
    m('ptimer', `loadmodule "ptimer.so"\nmodparam("ptimer", "timer", "name=p;interval=1")\nmodparam("ptimer", "loop", "timer=p;route=P")`),
    // Includes
    c('include_file', `${LOAD}include_file "inc.cfg"\n${TAIL}`, { 'inc.cfg': `${T('name=inc')}\n` }),
    c('import_file missing', `${LOAD}import_file "none.cfg"\n${T('name=a')}\n${TAIL}`),
  ];
}

/** xorshift32: a small, fixed-seed generator, so the corpus is the same on every run. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => { x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0; return x / 0x1_0000_0000; };
}

export function generatedCases(count: number, seed = 19): Case[] {
  const r = rng(seed);
  const pick = <X>(xs: readonly X[]): X => xs[Math.floor(r() * xs.length)];
  const chance = (p: number) => r() < p;
  const names = ['ta', 'tb', 'Tc', 'td', 'a/b', 'x.y', 'n-1'];
  const routes = ['R1', 'R2', 'ONTIMER', 'r_3'];
  const defs = ['WITH_A', 'WITH_B', 'KAMAILIO_5', 'KAMAILIO_6', 'KAMAILIO_5_6', 'MOD_rtimer', 'OS_NAME'];
  const interval = () => pick(['10', '1', '0', '5u', '250000u', '+5', '', '07', '10U', '0u', '3s', '10ms', 'x']);
  const mode = () => pick(['0', '1', '2', '', 'inline', '3']);
  const key = (k: string) => (chance(0.15) ? k.toUpperCase() : chance(0.1) ? k[0].toUpperCase() + k.slice(1) : k);
  const timerText = (name: string) => {
    const parts = [`${key('name')}=${name}`];
    if (chance(0.7)) parts.push(`${key('interval')}=${interval()}`);
    if (chance(0.5)) parts.push(`${key('mode')}=${mode()}`);
    if (chance(0.08)) parts.push(`${key('name')}=${pick(names)}`);
    if (chance(0.08)) parts.push(`interval=${interval()}`);
    if (chance(0.05)) parts.push('foo=1');
    if (chance(0.3)) parts.sort(() => r() - 0.5);
    let text = parts.join(pick([';', ';', ';', '; ', ';;']));
    if (chance(0.2)) text += ';';
    if (chance(0.04)) text = ' ' + text;
    return text;
  };
  const execText = (name: string) => {
    let text = `${key('timer')}=${name};${key('route')}=${pick(routes)}`;
    if (chance(0.2)) text = `route=${pick(routes)};timer=${name}`;
    if (chance(0.04)) text = `timer=${name}`;
    return text;
  };
  /** A modparam, its string written in one of several ways (joined pieces, defines, quotes). */
  const modparam = (param: string, value: string, preamble: string[]): string => {
    const fn = chance(0.06) ? 'modparamx' : 'modparam';
    const mod = chance(0.05) ? pick(['rtim.*', 'RTIMER', 'rtimer|xlog', 'rt']) : 'rtimer';
    const prm = chance(0.03) ? param.toUpperCase() : param;
    const roll = r();
    let arg: string;
    if (roll < 0.55 || value.length < 4) arg = `"${value}"`;
    else if (roll < 0.7) { const cut = 1 + Math.floor(r() * (value.length - 2)); arg = `"${value.slice(0, cut)}"${pick([' ', '  ', '\n    '])}"${value.slice(cut)}"`; }
    else if (roll < 0.8) { const d = `V${Math.floor(r() * 1e6)}`; preamble.push(`#!define ${d} "${value}"`); arg = d; }
    else if (roll < 0.86) { const cut = 1 + Math.floor(r() * (value.length - 2)); const d = `P${Math.floor(r() * 1e6)}`; preamble.push(`#!define ${d} "${value.slice(cut)}"`); arg = `"${value.slice(0, cut)}" ${d}`; }
    else if (roll < 0.9) { const cut = 1 + Math.floor(r() * (value.length - 2)); const d = `Q${Math.floor(r() * 1e6)}`; preamble.push(`#!define ${d} "${value.slice(0, cut)}"`); arg = `${d} "${value.slice(cut)}"`; }
    else if (roll < 0.94) arg = `'${value}'`;
    else { const cut = 1 + Math.floor(r() * (value.length - 2)); arg = `"${value.slice(0, cut)}" /* c */ "${value.slice(cut)}"`; }
    return `${fn}("${mod}", "${prm}", ${arg})`;
  };

  const out: Case[] = [];
  for (let n = 0; n < count; n++) {
    const lines: string[] = [];
    const preamble: string[] = [];
    const declared: string[] = [];
    const defines = defs.filter(() => chance(0.25)).filter((d) => d.startsWith('WITH_'));
    let depth = 0;
    const steps = 3 + Math.floor(r() * 9);
    if (chance(0.03)) lines.push('loadmodule "ptimer.so"');
    if (chance(0.08)) lines.push('modparam("rtimer", "default_interval", ' + pick(['30', '0', '"15"', '2']) + ')');
    for (let s = 0; s < steps; s++) {
      const roll = r();
      if (roll < 0.35 || declared.length === 0) {
        const name = pick(names);
        declared.push(name);
        lines.push(modparam('timer', timerText(name), preamble));
      } else if (roll < 0.6) {
        lines.push(modparam('exec', execText(chance(0.9) ? pick(declared) : pick(names)), preamble));
      } else if (roll < 0.7) {
        lines.push(`#!${pick(['ifdef', 'ifdef', 'ifndef'])} ${pick(defs)}`); depth++;
      } else if (roll < 0.75 && depth > 0) {
        lines.push(pick(['#!else', '#!else', '#!else # note'])); 
      } else if (roll < 0.82 && depth > 0) {
        lines.push('#!endif'); depth--;
      } else if (roll < 0.88) {
        const d = pick(['WITH_A', 'WITH_B', 'KAMAILIO_5', 'FOO']);
        lines.push(pick([`#!define ${d}`, `#!undef ${d}`, `#!trydef ${d}`, `#!redefine ${d}`, `#!tryundef ${d}`,
          `${modparam('timer', timerText(pick(names)), preamble)} #!define ${d}`]));
      } else if (roll < 0.93) {
        lines.push(`#!subst "${pick(['/ame=ta/ame=tz/', '/interval=10/interval=20/', '/^na/na/', '/a$/b/', '/R1/R2/g', '/ta;/ta;mode=2;/'])}"`);
      } else {
        lines.push(pick(['# a comment', '// note', '/* block */', '']));
      }
    }
    while (depth-- > 0) lines.push('#!endif');
    const body = [...preamble, ...lines].join('\n');
    out.push({ set: 'generated', id: `gen#${n}`, defines, files: { 'main.cfg': LOAD + body + '\n' + TAIL } });
  }
  return out;
}
