// Phone-number handling: what the ingest API accepts, and the E.164 reading the Rinkel dialect needs.
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
