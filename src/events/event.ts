// One step of a call as a stored, canonical event: the call as it stood right after the step.
// Formats render from this alone, so a body can be built without reading anything else.
import type { Call } from '../calls/call.ts';
import type { EventType } from './catalogue.ts';

export interface CallEvent {
  /** `evt_…` */
  id: string;
  type: EventType;
  /** When the step happened on the call (epoch ms): ringing, answer, hang-up; arrival for recording/insights. */
  occurredAt: number;
  call: Call;
}
