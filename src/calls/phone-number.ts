// Phone-number handling: what the ingest API accepts, and the E.164 reading the Rinkel dialect needs.
// toE164 is the lenient reading (outcome-rule matching: never fails); readNumber the strict one
// (ingest and the call's E.164 parties: a number is E.164, an extension, withheld, or refused).
//
// toE164(raw, defaultCountry) rules, first match wins:
//   withheld word (anonymous, private, …)  → `anonymous`
//   `+digits`                              → E.164 when libphonenumber can parse it, else `+digits`
//   ≤ 6 digits, no `+` (an extension)      → as given (`500`)
//   `00digits` (international prefix)      → as `+digits`
//   `0digits` (national trunk prefix)      → national number of defaultCountry; as given without one
//   other digits (PBXs often drop the `+`) → international when valid (`353212028252` → `+353…`),
//                                            else a valid national number of defaultCountry, else `+digits`
//   anything else (SIP URIs, names)        → as given
// Visual separators (spaces, dashes, dots, parentheses) are ignored when reading digits.
import { parsePhoneNumberFromString, isSupportedCountry, type CountryCode } from 'libphonenumber-js/max';

const WITHHELD = new Set(['anonymous', 'withheld', 'restricted', 'private', 'unavailable', 'unknown']);
const PHONE_LIKE = /^\+?[0-9*#]+$/;
const MAX_PHONE_CHARS = 32;
const MAX_EXTENSION_DIGITS = 6;
const SEPARATORS = /[\s\-.()]/g;

export function isWithheld(raw: string): boolean {
  return WITHHELD.has(raw.trim().toLowerCase());
}

/** Strict: digits (and `*`, `#` for feature codes) with an optional leading `+`, or a withheld word. */
export function isPhoneNumberLike(raw: string): boolean {
  if (WITHHELD.has(raw.toLowerCase())) return true;
  return raw.length >= 1 && raw.length <= MAX_PHONE_CHARS && PHONE_LIKE.test(raw);
}

export function toE164(raw: string, defaultCountry: string | null): string {
  if (isWithheld(raw)) return 'anonymous';
  const compact = raw.trim().replace(SEPARATORS, '');
  const country = countryCode(defaultCountry);

  if (/^\+\d+$/.test(compact)) return international(compact.slice(1));
  if (!/^\d+$/.test(compact)) return raw;
  if (compact.length <= MAX_EXTENSION_DIGITS) return compact;
  if (compact.startsWith('00')) return international(compact.slice(2));
  if (compact.startsWith('0')) {
    if (country === null) return raw;
    return parsePhoneNumberFromString(compact, country)?.number ?? raw;
  }

  const asInternational = parsePhoneNumberFromString(`+${compact}`);
  if (asInternational?.isValid()) return asInternational.number;
  if (country !== null) {
    const asNational = parsePhoneNumberFromString(compact, country);
    if (asNational?.isValid()) return asNational.number;
  }
  return `+${compact}`;
}

function international(digits: string): string {
  return parsePhoneNumberFromString(`+${digits}`)?.number ?? `+${digits}`;
}

function countryCode(value: string | null): CountryCode | null {
  if (value === null) return null;
  const upper = value.toUpperCase();
  return isSupportedCountry(upper) ? upper : null;
}

/** A party of a call as the strict reading sees it. */
export type NumberReading =
  | { kind: 'e164'; number: string }
  | { kind: 'anonymous' }
  /** An extension or feature code: internal, with no E.164 form of its own. */
  | { kind: 'extension' }
  /** Looks like a public number but cannot be written in E.164 (refused at ingest rather than sent wrong). */
  | { kind: 'invalid'; reason: string };

/**
 * The strict reading, first match wins:
 *   withheld word                       → anonymous
 *   ≤ 6 digits, or digits with * or #   → extension
 *   `+digits` / `00digits`              → E.164 when the length is possible for its country code
 *   `0digits`                           → a possible national number of defaultCountry (none: invalid)
 *   other digits (a PBX dropped the +)  → a valid international number, else a valid national one
 *   anything else                       → invalid
 */
export function readNumber(raw: string, defaultCountry: string | null): NumberReading {
  // A pure function of its input, asked about the same few numbers on every step of every call:
  // libphonenumber's parse was ~3 % of the CPU of an ingest at full speed.
  const key = `${defaultCountry ?? ''} ${raw}`;
  let reading = readings.get(key);
  if (reading === undefined) {
    if (readings.size >= MAX_READINGS_KEPT) readings.clear();
    reading = Object.freeze(readAfresh(raw, defaultCountry));
    readings.set(key, reading);
  }
  return reading;
}

/** Readings kept (each a few dozen bytes); past this many, they are forgotten all at once. */
const MAX_READINGS_KEPT = 10_000;
const readings = new Map<string, NumberReading>();

function readAfresh(raw: string, defaultCountry: string | null): NumberReading {
  if (isWithheld(raw)) return { kind: 'anonymous' };
  const compact = raw.trim().replace(SEPARATORS, '');
  if (/^[0-9*#]+$/.test(compact) && (/[*#]/.test(compact) || compact.length <= MAX_EXTENSION_DIGITS)) return { kind: 'extension' };
  const country = countryCode(defaultCountry);
  const international = /^\+\d+$/.test(compact) ? compact.slice(1) : /^00\d+$/.test(compact) ? compact.slice(2) : null;
  if (international !== null) {
    const parsed = parsePhoneNumberFromString(`+${international}`);
    if (parsed?.isPossible()) return { kind: 'e164', number: parsed.number };
    return { kind: 'invalid', reason: `"${raw}" is not a possible international number` };
  }
  if (!/^\d+$/.test(compact)) return { kind: 'invalid', reason: `"${raw}" is not a phone number` };
  if (compact.startsWith('0')) {
    if (country === null) {
      return { kind: 'invalid', reason: `"${raw}" is a national number and the organization has no defaultCountry to read it in; send it in E.164 (+…) or set the organization's defaultCountry` };
    }
    const parsed = parsePhoneNumberFromString(compact, country);
    if (parsed?.isPossible()) return { kind: 'e164', number: parsed.number };
    return { kind: 'invalid', reason: `"${raw}" is not a possible national number of ${country}` };
  }
  const asInternational = parsePhoneNumberFromString(`+${compact}`);
  if (asInternational?.isValid()) return { kind: 'e164', number: asInternational.number };
  if (country !== null) {
    const asNational = parsePhoneNumberFromString(compact, country);
    if (asNational?.isValid()) return { kind: 'e164', number: asNational.number };
  }
  return {
    kind: 'invalid',
    reason: `"${raw}" is neither a valid international number without its + nor a valid national number${country ? ` of ${country}` : ''}; send it in E.164 (+…)`,
  };
}

/** The E.164 form of a party (or `anonymous`), or null when it has none (an extension, or unreadable). */
export function e164OrNull(raw: string, defaultCountry: string | null): string | null {
  const reading = readNumber(raw, defaultCountry);
  return reading.kind === 'e164' ? reading.number : reading.kind === 'anonymous' ? 'anonymous' : null;
}
