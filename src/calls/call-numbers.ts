// Which numbers a call carries in E.164: the organization's side is the number the call came in on
// (inbound `to`) or presents (outbound `from`): the step's own value when it is a number, else the
// user's direct number, else the organization's main number. The other party is its own number in
// E.164 (national numbers read in the organization's default country), `anonymous`, or none.
import type { Call, CallParties, CallRecording, CallUser, Direction } from './call.ts';
import { e164OrNull } from './phone-number.ts';

/** The organization's numbers a call can fall back to (E.164 each). */
export interface OrgNumbers {
  main: string | null;
  /** User id → that user's direct number. */
  direct: ReadonlyMap<string, string>;
}

export const NO_NUMBERS: OrgNumbers = { main: null, direct: new Map() };

interface PartiesInput {
  direction: Direction;
  from: string;
  to: string;
  user: Pick<CallUser, 'id'> | null;
}

export function callParties(call: PartiesInput, numbers: OrgNumbers, defaultCountry: string | null): CallParties {
  const inbound = call.direction === 'inbound';
  const ours = orgSide(inbound ? call.to : call.from, call.user, numbers, defaultCountry);
  const theirs = e164OrNull(inbound ? call.from : call.to, defaultCountry);
  return inbound ? { from: theirs, to: ours } : { from: ours, to: theirs };
}

/** Whether the organization's side of a started call needs the directory of numbers to resolve. */
export function needsOrgNumbers(call: Pick<PartiesInput, 'direction' | 'from' | 'to'>, defaultCountry: string | null): boolean {
  const ours = call.direction === 'inbound' ? call.to : call.from;
  const reading = e164OrNull(ours, defaultCountry);
  return reading === null || reading === 'anonymous';
}

function orgSide(raw: string, user: Pick<CallUser, 'id'> | null, numbers: OrgNumbers, country: string | null): string | null {
  const own = e164OrNull(raw, country);
  if (own !== null && own !== 'anonymous') return own;
  return (user !== null ? numbers.direct.get(user.id) : undefined) ?? numbers.main;
}

/** A call stored before its parties were resolved at ingest (or before callhook kept recordings), read as it would have been then. */
export function withParties(call: Omit<Call, 'e164' | 'recording'> & { e164?: CallParties | undefined; recording?: CallRecording | null | undefined }): Call {
  // Calls stored before recordings were kept by callhook have no `recording`.
  const withRecording = call.recording === undefined ? { ...call, recording: null } : (call as Omit<Call, 'e164'> & { e164?: CallParties | undefined });
  if (withRecording.e164 !== undefined) return withRecording as Call;
  return { ...withRecording, e164: callParties(withRecording, NO_NUMBERS, call.org.defaultCountry) };
}
