// Values written into SQL text as literals, for statements sent together as one simple-protocol
// message (PgDatabase.scriptTransaction): node-pg sends a parameterized statement only once the one
// before it has answered, so a transaction of N statements costs N round trips; a script costs one.
// Only for our own statement texts, whose `$n` never stand inside a quoted string.

/**
 * A statement as the pool takes it: text with `$1…$n`, and their values. `genericPlan`
 * (script transactions): run on its generic plan from the first time, never planned for its values
 * — for a statement whose custom plans cost more than running it, and whose generic plan is
 * checked as made on a young table and run on a grown one (query-plans.test.ts,
 * young-plans.test.ts): one that finds its rows by a whole key, in a `byKey` transaction, or one
 * shaped so that no plan can walk.
 */
export type Statement = readonly [text: string, params?: readonly unknown[], options?: { genericPlan?: boolean }];

/** A statement's options when it runs on its generic plan (above). */
export const GENERIC_PLAN = { genericPlan: true } as const;

/** `text` with each `$n` replaced by the literal of `params[n - 1]`. */
export function inline([text, params = []]: Statement): string {
  return text.replace(/\$(\d+)/g, (_, n: string) => {
    const index = Number(n) - 1;
    if (index >= params.length) throw new RangeError(`$${n} has no value (${params.length} given)`);
    return literal(params[index]);
  });
}

/**
 * A literal PostgreSQL reads back as exactly `value`, whatever standard_conforming_strings says.
 * Text is dollar-quoted (nothing inside is escaped, so it costs one search), or when the tag would
 * end it early, written E'…' with backslashes and quotes doubled.
 */
export function literal(value: unknown): string {
  if (value === null || value === undefined) return 'NULL';
  if (typeof value === 'string') return quote(value);
  if (typeof value === 'number') return numberText(value, true);
  if (typeof value === 'boolean') return value ? 'TRUE' : 'FALSE';
  if (Array.isArray(value)) return holdsLongText(value) ? arrayOfLiterals(value) : quote(arrayText(value));
  throw new TypeError(`a ${typeof value} cannot be written as an SQL literal`);
}

const TAG = '$q$';

function quote(text: string): string {
  // PostgreSQL ends the literal at the first tag after the opening one: one inside the text, or
  // one the closing tag makes with a text ending in `$q`. Asked of the text itself, which is flat
  // (a search of `text + TAG` first copied every body into one string more).
  if (!text.includes(TAG) && !text.endsWith('$q')) return TAG + text + TAG;
  return `E'${text.replaceAll('\\', '\\\\').replaceAll("'", "''")}'`;
}

function numberText(value: number, bracketNegative: boolean): string {
  if (!Number.isFinite(value)) throw new TypeError(`${value} cannot be written as an SQL literal`);
  // In brackets when negative: `- $1` must not become the comment `--1`.
  return bracketNegative && value < 0 ? `(${value})` : String(value);
}

/**
 * Text from this many characters on (bodies, headers, responses) goes into an array as a literal of
 * its own (`ARRAY[…]`) rather than inside the array's text form: the server then reads it as it
 * reads any literal, where array_in went through it character by character, undoing the escapes
 * JSON had put in for it; each element costs a node of the parse tree instead, which is why short
 * texts (ids, types) stay in the text form. npm run bench --store postgres: ~4 % of callhook +
 * PostgreSQL per delivery.
 */
const LONG_TEXT = 200;

function holdsLongText(values: readonly unknown[]): boolean {
  let long = false;
  for (const value of values) {
    if (value === null || value === undefined) continue;
    // Anything but text keeps the text form. ARRAY[…] of text literals is a text[]: bound to a
    // parameter of another array type (jsonb[], uuid[]) it would not be coerced, where the text
    // form is read by that type's own input. Every array parameter of the store's statements is a
    // text[] (`$n::text[]`, or `= ANY($n)` on a text column); script-transaction.test.ts reads them back.
    if (typeof value !== 'string') return false;
    if (value.length >= LONG_TEXT) long = true;
  }
  return long;
}

/** `ARRAY[$q$…$q$, NULL, …]`: each element quoted as a text on its own. */
function arrayOfLiterals(values: readonly unknown[]): string {
  return `ARRAY[${joined(values, (value) => (value === null || value === undefined ? 'NULL' : quote(value as string)))}]`;
}

/**
 * The literals of `values`, comma-separated (an EXECUTE's arguments). Joined by concatenation: the
 * message's one join then copies each literal (a body, a batch's array) once, where a join here
 * copied them once more.
 */
export function literals(values: readonly unknown[]): string {
  return joined(values, literal);
}

function joined(values: readonly unknown[], write: (value: unknown) => string): string {
  let text = '';
  for (let i = 0; i < values.length; i++) text += (i === 0 ? '' : ', ') + write(values[i]);
  return text;
}

/**
 * What JSON writes as an escape an array literal would misread (\\n, \\u0000…, read as the letter
 * after the backslash): control characters, and lone surrogates (isWellFormed). Asked of each
 * string rather than of JSON's text, where a search for an odd run of backslashes before b, f, n, r,
 * t or u was the costliest line of an ingest on PostgreSQL (JSON inside JSON is mostly backslashes).
 * CONTROL is "below U+0020", written as its complement so no control character stands in the pattern.
 */
const CONTROL = /[^\u0020-\uffff]/;
const escapedByJson = (value: string) => CONTROL.test(value) || !value.isWellFormed();

/**
 * A one-dimensional array's text form (`{"a",NULL,3}`), as its `::text[]`-style cast reads it. For
 * the usual flat array of plain strings, numbers, booleans and nulls it is JSON's text with braces
 * (JSON escapes `"` and `\\` as the array form does, and its `null`, `true`, `false` read the same):
 * one native pass instead of one escape per element.
 */
function arrayText(values: readonly unknown[]): string {
  let plain = true;
  for (const value of values) {
    if (typeof value === 'string') {
      if (plain && escapedByJson(value)) plain = false;
      continue;
    }
    if (value === null || value === undefined || typeof value === 'boolean') continue;
    if (typeof value === 'number') {
      numberText(value, false);
      continue;
    }
    throw new TypeError(`a ${Array.isArray(value) ? 'nested array' : typeof value} cannot be written in an SQL array literal`);
  }
  if (plain) return `{${JSON.stringify(values).slice(1, -1)}}`;
  const parts = values.map((value) => {
    if (value === null || value === undefined) return 'NULL';
    if (typeof value === 'string') return `"${value.replace(/[\\"]/g, '\\$&')}"`;
    return String(value);
  });
  return `{${parts.join(',')}}`;
}
