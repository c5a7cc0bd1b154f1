// The webhook formats and content types, and the JSON-like value every renderer produces.

export const FORMATS = ['ringotel', 'rinkel', 'standard'] as const;
export type Format = (typeof FORMATS)[number];

export const CONTENT_TYPES = ['application/json', 'application/x-www-form-urlencoded'] as const;
export type ContentType = (typeof CONTENT_TYPES)[number];

export type WireValue = string | number | boolean | null | WireValue[] | { [k: string]: WireValue };
export type WireBody = { [k: string]: WireValue };

export interface RenderOptions {
  /** The webhook's Ringotel `api_token`; other formats ignore it. */
  apiToken: string | null;
}
