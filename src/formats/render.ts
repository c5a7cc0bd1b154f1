// One place that turns an event into the bytes a webhook receives: format, then content type.
import type { CallEvent } from '../events/event.ts';
import { encodeForm, encodeJson } from './encode.ts';
import type { ContentType, Format, RenderOptions, WireBody } from './format.ts';
import { renderRingotel } from './ringotel.ts';
import { renderRinkel } from './rinkel.ts';
import { renderStandard } from './standard.ts';

/** The body for an event, or null when the event has no form in the format (it is then not sent). */
export function renderBody(
  format: Format,
  contentType: ContentType,
  event: CallEvent,
  options: RenderOptions,
): string | null {
  const body = renderWire(format, event, options);
  if (body === null) return null;
  return contentType === 'application/json' ? encodeJson(body) : encodeForm(body);
}

export function renderWire(format: Format, event: CallEvent, options: RenderOptions): WireBody | null {
  switch (format) {
    case 'ringotel':
      return renderRingotel(event, options);
    case 'rinkel':
      return renderRinkel(event);
    case 'standard':
      return renderStandard(event);
  }
}

/** The Content-Type header value; the seeds show no charset parameter, so none is added. */
export function contentTypeHeader(contentType: ContentType): string {
  return contentType;
}
