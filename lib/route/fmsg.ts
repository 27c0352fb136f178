/**
 * The static request Kamailio's core (fmsg.c) gives a route that runs without a SIP message,
 * as rtimer's routes do. Each execution gets its own frozen copy with the next `id`.
 */
export const FAKED_SIP_MSG =
  'OPTIONS sip:kamailio.org SIP/2.0\r\n' +
  'Via: SIP/2.0/UDP 127.0.0.1\r\n' +
  'From: <sip:server@kamailio.org>;tag=xyz\r\n' +
  'To: <sip:server@kamailio.org>\r\n' +
  'Call-ID: aaa-bbb-ccc-ddd\r\n' +
  'CSeq: 1 OPTIONS\r\n' +
  'Content-Length: 0\r\n' +
  '\r\n';

export interface Endpoint { readonly ip: string; readonly port: number; readonly proto: 'udp' }

export interface FakedMessage {
  /** Increases by one on every route execution in this process. */
  readonly id: number;
  readonly pid: number;
  readonly raw: string;
  readonly method: 'OPTIONS';
  readonly ruri: string;
  readonly via: string;
  readonly from: string;
  readonly fromTag: string;
  readonly to: string;
  readonly callId: string;
  readonly cseq: string;
  readonly source: Endpoint;
  readonly destination: Endpoint;
}

const ENDPOINT: Endpoint = Object.freeze({ ip: '127.0.0.1', port: 5060, proto: 'udp' });
let lastId = 0;

/** The id of the next route execution's message; the message itself can be built later. */
export function nextFakedId(): number {
  return ++lastId;
}

/** A fresh frozen faked message with `id` (from nextFakedId()). */
export function fakedMessage(id: number): FakedMessage {
  return Object.freeze({
    id,
    pid: process.pid,
    raw: FAKED_SIP_MSG,
    method: 'OPTIONS',
    ruri: 'sip:kamailio.org',
    via: 'SIP/2.0/UDP 127.0.0.1',
    from: '<sip:server@kamailio.org>;tag=xyz',
    fromTag: 'xyz',
    to: '<sip:server@kamailio.org>',
    callId: 'aaa-bbb-ccc-ddd',
    cseq: '1 OPTIONS',
    source: ENDPOINT,
    destination: ENDPOINT,
  });
}

export function nextFakedMessage(): FakedMessage {
  return fakedMessage(nextFakedId());
}
