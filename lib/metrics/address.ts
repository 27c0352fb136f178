import { isIP } from 'node:net';
import { RTimerError } from '../errors.js';

export interface MetricsAddress { host: string; port: number }

export const DEFAULT_METRICS_HOST = '127.0.0.1';
export const DEFAULT_METRICS_PORT = 9464;

const bad = (text: string, why: string) =>
  new RTimerError('ERR_RTIMER_BAD_METRICS_ADDRESS', `metrics address "${text}": ${why} (e.g. 127.0.0.1:9464, [::1]:9464 or :9464)`);

/** Reads `--metrics` text: `host:port`, `[ipv6]:port`, `:port` (loopback) or a bare port. */
export function parseMetricsAddress(text: string): MetricsAddress {
  if (typeof text !== 'string') throw bad(String(text), 'not a string');
  const s = text.trim();
  let host: string;
  let port: string;
  if (/^\d+$/.test(s)) {
    host = DEFAULT_METRICS_HOST;
    port = s;
  } else if (s.startsWith('[')) {
    const m = /^\[([^\]]*)\](?::(.*))?$/.exec(s);
    if (!m) throw bad(text, 'an IPv6 address in brackets must be followed by :port');
    if (isIP(m[1]) !== 6) throw bad(text, `"${m[1]}" is not an IPv6 address`);
    if (m[2] === undefined) throw bad(text, 'the port is missing');
    [host, port] = [m[1], m[2]];
  } else {
    const colon = s.lastIndexOf(':');
    if (colon < 0) throw bad(text, 'the port is missing');
    host = s.slice(0, colon);
    port = s.slice(colon + 1);
    if (host.includes(':')) throw bad(text, 'put an IPv6 address in brackets');
    if (host === '') host = DEFAULT_METRICS_HOST;
    else if (!/^[A-Za-z0-9.-]+$/.test(host)) throw bad(text, `"${host}" is not a host name or address`);
  }
  if (!/^\d{1,5}$/.test(port) || Number(port) > 65535) throw bad(text, `port "${port}" is not a number from 0 to 65535`);
  return { host, port: Number(port) };
}

/** True for addresses only this machine can reach: 127.0.0.0/8, ::1, ::ffff:127.0.0.0/104 and localhost. */
export function isLoopback(host: string): boolean {
  const h = host.toLowerCase();
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  if (isIP(h) !== 6) return false;
  let canonical: string;
  try {
    canonical = new URL(`http://[${h}]/`).hostname.slice(1, -1); // compressed form: ::1, ::ffff:7f00:1
  } catch {
    return false; // a scoped address (fe80::1%eth0) is a link, not loopback
  }
  return canonical === '::1' || /^::ffff:7f[0-9a-f]{2}:/.test(canonical);
}
