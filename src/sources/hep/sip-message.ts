// A SIP message as the HEP source sees it (RFC 3261), parsed from a mirrored datagram's payload:
// just what the dialog tracker needs, with header names normalised (compact forms expanded,
// lower-case) and the payload kept for the record.

export interface NameAddr {
  /** `Caller One` in `"Caller One" <sip:+31850609001@127.0.0.1>;tag=x`, or null. */
  displayName: string | null;
  /** The URI as written, e.g. `sip:+31850609001@127.0.0.1`. */
  uri: string;
  /** The user part of the URI (`+31850609001`, `500`), or null (e.g. `sip:127.0.0.1`). */
  user: string | null;
  /** The `tag` parameter, or null. */
  tag: string | null;
  /** Other header parameters, lower-case names. */
  params: Record<string, string | null>;
}

export interface Via {
  /** `SIP/2.0/UDP` */
  protocol: string;
  /** `127.0.0.1:5070` */
  sentBy: string;
  branch: string | null;
  params: Record<string, string | null>;
}

/** `Reason: SIP;cause=200;text="Call completed elsewhere"` (RFC 3326). */
export interface ReasonHeader {
  protocol: string;
  cause: number | null;
  text: string | null;
}

interface SipCommon {
  callId: string;
  cseq: { seq: number; method: string };
  from: NameAddr;
  to: NameAddr;
  /** Topmost first; comma-separated values on one line become several entries. */
  via: Via[];
  contact: NameAddr | null;
  reason: ReasonHeader | null;
  /** Every header by lower-case full name (compact forms expanded), values in order. */
  headers: Map<string, string[]>;
  body: string;
}

export interface SipRequest extends SipCommon {
  kind: 'request';
  method: string;
  requestUri: string;
}

export interface SipResponse extends SipCommon {
  kind: 'response';
  status: number;
  reasonPhrase: string;
}

export type SipMessage = SipRequest | SipResponse;

export type SipParse = { ok: true; message: SipMessage } | { ok: false; reason: string };
