import { describe, expect, it } from 'vitest';
import { loadAllCaptures, loadCapture } from '../../../test/fixtures/sip/captures.ts';
import { decodeHep } from './hep-packet.ts';
import type { SipMessage } from './sip-message.ts';
import { parseNameAddr, parseSip, userOf } from './sip-parse.ts';

function parsed(payload: Buffer | string): SipMessage {
  const result = parseSip(payload);
  if (!result.ok) throw new Error(`expected a SIP message, got: ${result.reason}`);
  return result.message;
}

function payloadOf(record: { raw: Buffer }): Buffer {
  const result = decodeHep(record.raw);
  if (!result.ok) throw new Error(result.detail);
  return result.packet.payload;
}

/** A message from lines joined with CRLF, ending with the blank line. */
function sip(...lines: string[]): string {
  return `${lines.join('\r\n')}\r\n\r\n`;
}

const BASE = [
  'Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK-1',
  'From: <sip:100@pbx.example>;tag=a1',
  'To: <sip:200@pbx.example>',
  'Call-ID: c-1@10.0.0.1',
  'CSeq: 1 INVITE',
];

describe('parseSip on the kamailio captures', () => {
  it('parses every payload in agreement with the capture’s own SIP view', () => {
    for (const { name, record } of loadAllCaptures()) {
      const where = `${name} #${record.seq}`;
      const message = parsed(payloadOf(record));
      const ref = record.sip;
      expect(message.kind, where).toBe(ref.kind);
      if (message.kind === 'request') {
        expect(message.method, where).toBe(ref.method);
        expect(message.requestUri, where).toBe(ref.ruri);
      } else {
        expect(message.status, where).toBe(ref.status);
        expect(message.reasonPhrase, where).toBe(ref.reason);
      }
      expect(message.callId, where).toBe(ref.call_id);
      expect(message.cseq, where).toEqual({ seq: ref.cseq_num, method: ref.cseq_method });
      expect(message.from.user, where).toBe(ref.from_user);
      expect(message.to.user, where).toBe(ref.to_user);
      expect(message.from.tag, where).toBe(ref.from_tag);
      expect(message.to.tag, where).toBe(ref.to_tag);
      expect(message.headers.get('from'), where).toEqual([ref.from]);
      expect(message.headers.get('to'), where).toEqual([ref.to]);
    }
  });

  it('reads the caller’s INVITE in full', () => {
    const message = parsed(payloadOf(loadCapture('answered-caller-bye')[0]!));
    expect(message.from).toEqual({
      displayName: 'Caller One',
      uri: 'sip:+31850609001@127.0.0.1',
      user: '+31850609001',
      tag: '30645SIPpTag001',
      params: {},
    });
    expect(message.to).toEqual({ displayName: null, uri: 'sip:500@127.0.0.1', user: '500', tag: null, params: {} });
    expect(message.contact).toEqual({
      displayName: null,
      uri: 'sip:+31850609001@127.0.0.1:5070;transport=UDP',
      user: '+31850609001',
      tag: null,
      params: {},
    });
    expect(message.via).toEqual([{ protocol: 'SIP/2.0/UDP', sentBy: '127.0.0.1:5070', branch: 'z9hG4bK-30645-1-0', params: {} }]);
    expect(message.headers.get('content-length')).toEqual(['172']);
    expect(message.body.startsWith('v=0\r\n')).toBe(true);
    expect(Buffer.byteLength(message.body)).toBe(172);
    expect(message.reason).toBeNull();
  });

  it('splits sipp’s comma-separated Via line into the topmost-first list', () => {
    const ringing = parsed(payloadOf(loadCapture('answered-caller-bye')[3]!));
    expect(ringing.headers.get('via')).toHaveLength(1);
    expect(ringing.via.map((via) => [via.sentBy, via.branch])).toEqual([
      ['127.0.0.1', 'z9hG4bKda0a.e77bbb060f1c5eb3bfa16c43de9ce251.0'],
      ['127.0.0.1:5070', 'z9hG4bK-30645-1-0'],
    ]);
    const forwarded = parsed(payloadOf(loadCapture('answered-caller-bye')[2]!));
    expect(forwarded.headers.get('via')).toHaveLength(2);
    expect(forwarded.via.map((via) => via.sentBy)).toEqual(['127.0.0.1', '127.0.0.1:5070']);
  });

  it('accepts the relayed 487 that has no Via at all (sipp answered the CANCEL’s Via)', () => {
    const relayed = parsed(payloadOf(loadCapture('unanswered-caller-cancel')[11]!));
    expect(relayed).toMatchObject({ kind: 'response', status: 487, via: [] });
  });

  it('keeps kamailio’s long reason phrase', () => {
    const trying = parsed(payloadOf(loadCapture('busy-486')[1]!));
    expect(trying).toMatchObject({ status: 100, reasonPhrase: 'trying -- your call is important to us', body: '' });
  });
});

describe('parseSip', () => {
  it('joins folded header lines', () => {
    const message = parsed(sip('INVITE sip:200@pbx.example SIP/2.0', ...BASE, 'Subject: a long', ' \t subject line', '\tacross three'));
    expect(message.headers.get('subject')).toEqual(['a long subject line across three']);
  });

  it('folds a multi-line From and Via', () => {
    const message = parsed(
      sip(
        'BYE sip:200@pbx.example SIP/2.0',
        'Via: SIP/2.0/UDP 10.0.0.1:5060',
        '  ;branch=z9hG4bK-9',
        'From: "Folded"',
        ' <sip:100@pbx.example>;tag=f',
        'To: <sip:200@pbx.example>;tag=t',
        'Call-ID: x',
        'CSeq: 2 BYE',
      ),
    );
    expect(message.via[0]).toMatchObject({ sentBy: '10.0.0.1:5060', branch: 'z9hG4bK-9' });
    expect(message.from).toMatchObject({ displayName: 'Folded', user: '100', tag: 'f' });
  });

  it('expands compact header names and matches names case-insensitively', () => {
    const message = parsed(
      sip(
        'INVITE sip:200@pbx.example SIP/2.0',
        'v: SIP/2.0/TCP 10.0.0.1;branch=z9hG4bK-c',
        'f: <sip:100@pbx.example>;tag=c1',
        't: <sip:200@pbx.example>',
        'i: compact@10.0.0.1',
        'CSEQ: 7 INVITE',
        'm: <sip:100@10.0.0.1>',
        'c: application/sdp',
        'k: timer',
        's: hello',
        'e: gzip',
        'o: refer',
        'r: <sip:300@pbx.example>',
        'x: 1800',
        'u: talk',
        'l: 4',
        '',
        'body-and-more',
      ).slice(0, -4),
    );
    expect(message.callId).toBe('compact@10.0.0.1');
    expect(message.cseq).toEqual({ seq: 7, method: 'INVITE' });
    expect(message.from.tag).toBe('c1');
    expect(message.via[0]?.protocol).toBe('SIP/2.0/TCP');
    expect(message.contact?.user).toBe('100');
    expect([...message.headers.keys()]).toEqual([
      'via', 'from', 'to', 'call-id', 'cseq', 'contact', 'content-type', 'supported', 'subject',
      'content-encoding', 'event', 'refer-to', 'session-expires', 'allow-events', 'content-length',
    ]);
    expect(message.body).toBe('body');
  });

  it('parses quoted display names containing commas, < and escaped quotes', () => {
    const message = parsed(
      sip(
        'INVITE sip:200@pbx.example SIP/2.0',
        ...BASE.slice(0, 1),
        'From: "Doe, John <Sales> \\"JD\\"" <sip:100@pbx.example>;tag=q',
        'To: Bare Name <sip:200@pbx.example>',
        'Call-ID: q',
        'CSeq: 1 INVITE',
        'Contact: "A, B" <sip:100@10.0.0.1>;expires=60;+sip.instance="<urn:uuid:1;2>", <sip:100@10.0.0.2>;q=0.5',
      ),
    );
    expect(message.from).toMatchObject({ displayName: 'Doe, John <Sales> "JD"', user: '100', tag: 'q' });
    expect(message.to).toMatchObject({ displayName: 'Bare Name', user: '200', tag: null });
    expect(message.contact).toEqual({
      displayName: 'A, B',
      uri: 'sip:100@10.0.0.1',
      user: '100',
      tag: null,
      params: { expires: '60', '+sip.instance': '<urn:uuid:1;2>' },
    });
  });

  it('gives a bare addr-spec’s ;params to the header, not the URI', () => {
    const message = parsed(
      sip('INVITE sip:200@pbx.example SIP/2.0', 'From: sip:100@pbx.example;tag=bare;x=1', 'To: sip:200@pbx.example', 'Call-ID: b', 'CSeq: 1 INVITE'),
    );
    expect(message.from).toEqual({ displayName: null, uri: 'sip:100@pbx.example', user: '100', tag: 'bare', params: { x: '1' } });
  });

  it('reads the user of tel: and sip: URIs without URI parameters', () => {
    expect(userOf('tel:+31850609001')).toBe('+31850609001');
    expect(userOf('tel:+31850609001;phone-context=example.com')).toBe('+31850609001');
    expect(userOf('sip:+31850609001@gw.example;user=phone')).toBe('+31850609001');
    expect(userOf('sip:+31850609001;npdi;rn=+31850000000@gw.example;user=phone')).toBe('+31850609001');
    expect(userOf('SIPS:alice:secret@example.com:5061')).toBe('alice');
    expect(userOf('sip:%2B31850609001@gw.example')).toBe('+31850609001');
    expect(userOf('sip:%zz@gw.example')).toBe('%zz');
    expect(userOf('sip:127.0.0.1;lr')).toBeNull();
    expect(userOf('urn:service:sos')).toBeNull();
    expect(userOf('anonymous')).toBeNull();
    expect(parseNameAddr('"Anonymous" <sip:anonymous@anonymous.invalid>;tag=z')).toMatchObject({ user: 'anonymous', tag: 'z' });
    expect(parseNameAddr('<tel:+31850609001;phone-context=+31>;tag=t')).toMatchObject({ uri: 'tel:+31850609001;phone-context=+31', user: '+31850609001', tag: 't' });
  });

  it('parses a Reason header (RFC 3326), preferring the SIP one', () => {
    const cancel = parsed(sip('CANCEL sip:200@pbx.example SIP/2.0', ...BASE.slice(0, 4), 'CSeq: 1 CANCEL', 'Reason: SIP;cause=200;text="Call completed elsewhere"'));
    expect(cancel.reason).toEqual({ protocol: 'SIP', cause: 200, text: 'Call completed elsewhere' });
    const both = parsed(sip('CANCEL sip:200@pbx.example SIP/2.0', ...BASE, 'Reason: Q.850;cause=16;text="NORMAL_CLEARING", SIP ;cause=200 ;text="Call completed elsewhere"'));
    expect(both.reason).toEqual({ protocol: 'SIP', cause: 200, text: 'Call completed elsewhere' });
    const q850 = parsed(sip('BYE sip:200@pbx.example SIP/2.0', ...BASE, 'Reason: Q.850;cause=16'));
    expect(q850.reason).toEqual({ protocol: 'Q.850', cause: 16, text: null });
  });

  it('parses a response with no reason phrase, and other status lines', () => {
    expect(parsed(sip('SIP/2.0 200', ...BASE))).toMatchObject({ kind: 'response', status: 200, reasonPhrase: '' });
    expect(parsed(sip('SIP/2.0 486 ', ...BASE))).toMatchObject({ status: 486, reasonPhrase: '' });
    expect(parsed(sip('SIP/2.0 603 Décliné  ', ...BASE))).toMatchObject({ status: 603, reasonPhrase: 'Décliné' });
  });

  it('tolerates bare LF line endings, leading CRLFs, and a message without the final blank line', () => {
    const lf = ['INVITE sip:200@pbx.example SIP/2.0', ...BASE, 'Content-Length: 5', '', 'v=0\n'].join('\n');
    expect(parsed(lf)).toMatchObject({ kind: 'request', method: 'INVITE', callId: 'c-1@10.0.0.1', body: 'v=0\n' });
    expect(parsed(`\r\n\r\n${sip('OPTIONS sip:pbx.example SIP/2.0', ...BASE)}`)).toMatchObject({ method: 'OPTIONS' });
    expect(parsed(['ACK sip:200@pbx.example SIP/2.0', ...BASE].join('\r\n'))).toMatchObject({ method: 'ACK', body: '' });
  });

  it('reads the body by Content-Length in bytes, else to the end', () => {
    const body = 'é=1\r\n';
    const exact = parsed(`${sip('MESSAGE sip:200@pbx.example SIP/2.0', ...BASE, `Content-Length: ${Buffer.byteLength(body)}`)}${body}junk`);
    expect(exact.body).toBe(body);
    expect(parsed(`${sip('MESSAGE sip:200@pbx.example SIP/2.0', ...BASE)}${body}`).body).toBe(body);
    expect(parsed(`${sip('MESSAGE sip:200@pbx.example SIP/2.0', ...BASE, 'Content-Length: 999')}${body}`).body).toBe(body);
    expect(parsed(`${sip('MESSAGE sip:200@pbx.example SIP/2.0', ...BASE, 'Content-Length: ten')}${body}`).body).toBe(body);
  });

  it('parses Via params and tolerates spaces inside the sent-protocol', () => {
    const message = parsed(sip('OPTIONS sip:x SIP/2.0', 'Via: SIP / 2.0 / tls [2001:db8::1] : 5061 ;branch=z9hG4bK-v;rport;received=192.0.2.1', ...BASE.slice(1)));
    expect(message.via).toEqual([
      { protocol: 'SIP/2.0/TLS', sentBy: '[2001:db8::1]:5061', branch: 'z9hG4bK-v', params: { rport: null, received: '192.0.2.1' } },
    ]);
  });

  it('says what is missing or malformed, never throws', () => {
    const without = (name: string): string => sip('INVITE sip:200@pbx.example SIP/2.0', ...BASE.filter((line) => !line.startsWith(name)));
    const cases: Array<[string, string | Buffer, RegExp]> = [
      ['empty', '', /empty/],
      ['only CRLFs (a keep-alive)', '\r\n\r\n', /empty/],
      ['garbage', Buffer.from([0xff, 0x00, 0x13, 0x37, 0x0a]), /status line/],
      ['HTTP', 'HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n', /status line/],
      ['no SIP version', 'INVITE sip:200@pbx.example\r\n\r\n', /status line/],
      ['status out of range', sip('SIP/2.0 999 Nope', ...BASE), /status line/],
      ['missing Call-ID', without('Call-ID'), /Call-ID/],
      ['missing CSeq', without('CSeq'), /CSeq/],
      ['missing From', without('From'), /From/],
      ['missing To', without('To'), /To/],
      ['bad CSeq', sip('INVITE sip:200@pbx.example SIP/2.0', ...BASE.slice(0, 4), 'CSeq: INVITE 1'), /CSeq/],
      ['unterminated From', sip('INVITE sip:200@pbx.example SIP/2.0', 'From: "Open <sip:1@x>', ...BASE.slice(2)), /From/],
      ['From without >', sip('INVITE sip:200@pbx.example SIP/2.0', 'From: <sip:1@x;tag=1', ...BASE.slice(2)), /From/],
      ['NUL in a display name', sip('INVITE sip:200@pbx.example SIP/2.0', 'From: "Ann\u0000" <sip:1@x>;tag=1', ...BASE.slice(1)), /NUL/],
      ['NUL in the Call-ID', sip('INVITE sip:200@pbx.example SIP/2.0', ...BASE.filter((line) => !line.startsWith('Call-ID')), 'Call-ID: a\u0000b'), /NUL/],
    ];
    for (const [name, payload, reason] of cases) {
      const result = parseSip(payload);
      expect(result.ok, name).toBe(false);
      if (!result.ok) expect(result.reason, name).toMatch(reason);
    }
  });

  it('never throws on 2,000 random mutations of real payloads, and stays fast on hostile whitespace', () => {
    const payloads = loadAllCaptures().map(({ record }) => payloadOf(record));
    let seed = 0x5060;
    const random = (n: number): number => {
      seed = (seed * 1_103_515_245 + 12_345) >>> 0;
      return seed % n;
    };
    const alphabet = Buffer.from(' \t\r\n:;,<>"\\@=/%');
    let ok = 0;
    for (let round = 0; round < 2_000; round++) {
      let bytes = Buffer.from(payloads[random(payloads.length)]!);
      for (let i = random(12); i >= 0; i--) {
        bytes[random(bytes.length)] = random(2) === 0 ? alphabet[random(alphabet.length)]! : random(256);
      }
      if (random(3) === 0) bytes = bytes.subarray(0, random(bytes.length + 1));
      if (parseSip(bytes).ok) ok++;
    }
    expect(ok).toBeGreaterThan(100);

    const started = performance.now();
    const spaces = ' '.repeat(60_000);
    parseSip(`SIP/2.0 200${spaces}x\r\nVia: SIP/2.0/UDP${spaces}h${spaces}\r\n${BASE.slice(1).join('\r\n')}\r\n\r\n`);
    parseSip(sip('INVITE sip:x SIP/2.0', ...BASE, `Reason: ${'"'.repeat(30_000)}`, `Contact: ${'<'.repeat(30_000)}`));
    expect(performance.now() - started).toBeLessThan(500);
  });
});
