// A number as typed in Settings › Numbers, made E.164 (the API stores only that): international
// as given (+…, or 00…), national read in the organization's default country. libphonenumber-js
// (its small metadata) is loaded when first needed, not with the rest of the portal.
export type Parsed = { ok: true; number: string } | { ok: false; message: string };

type Lib = typeof import('libphonenumber-js/min');
let lib: Promise<Lib> | null = null;
export const loadPhoneLib = (): Promise<Lib> => (lib ??= import('libphonenumber-js/min'));

export function toE164(typed: string, defaultCountry: string | null, phone: Lib): Parsed {
  const compact = typed.trim().replace(/[\s().-]/g, '');
  if (compact === '') return { ok: false, message: 'Enter a phone number' };
  if (compact.startsWith('+')) return { ok: true, number: compact };
  if (compact.startsWith('00')) return { ok: true, number: `+${compact.slice(2)}` };
  const country = defaultCountry?.toUpperCase() ?? null;
  if (!country || !phone.isSupportedCountry(country)) {
    return { ok: false, message: 'Write it with + and the country code (e.g. +31850609000), or set the organization’s default country above to enter national numbers' };
  }
  const parsed = phone.parsePhoneNumberFromString(compact, country);
  if (!parsed || !parsed.isPossible()) return { ok: false, message: `Not a phone number in ${country}: check the digits, or write it with + and the country code` };
  return { ok: true, number: parsed.number };
}
