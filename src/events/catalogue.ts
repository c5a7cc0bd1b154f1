// The canonical call events, and their names in the two foreign dialects.

export const EVENT_TYPES = [
  'call.incoming',
  'call.outgoing',
  'call.answered',
  'call.ended',
  'call.recording',
  'call.insights',
] as const;

export type EventType = (typeof EVENT_TYPES)[number];

export function isEventType(value: string): value is EventType {
  return (EVENT_TYPES as readonly string[]).includes(value);
}

/** Ringotel `method` per canonical event; events without one are not sent to ringotel webhooks. */
export const RINGOTEL_METHOD: Partial<Record<EventType, string>> = {
  'call.incoming': 'StartCallActivity',
  'call.outgoing': 'StartCallActivity',
  'call.ended': 'StopCallActivity',
  'call.recording': 'UpdateCallRecording',
};

/** The Rinkel API's event names (`/rinkel/v1/webhooks/{event}`). */
export const RINKEL_EVENTS = ['incomingCall', 'outgoingCall', 'callStart', 'callEnd', 'callInsights'] as const;
export type RinkelEvent = (typeof RINKEL_EVENTS)[number];

export const RINKEL_EVENT_TO_CANONICAL: Record<RinkelEvent, EventType> = {
  incomingCall: 'call.incoming',
  outgoingCall: 'call.outgoing',
  callStart: 'call.answered',
  callEnd: 'call.ended',
  callInsights: 'call.insights',
};

export const CANONICAL_TO_RINKEL_EVENT: Partial<Record<EventType, RinkelEvent>> = Object.fromEntries(
  Object.entries(RINKEL_EVENT_TO_CANONICAL).map(([rinkel, canonical]) => [canonical, rinkel]),
) as Partial<Record<EventType, RinkelEvent>>;

export function isRinkelEvent(value: string): value is RinkelEvent {
  return (RINKEL_EVENTS as readonly string[]).includes(value);
}
