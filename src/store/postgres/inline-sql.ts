// Values written into SQL text as literals, for statements sent together as one simple-protocol
// message (PgDatabase.scriptTransaction): node-pg sends a parameterized statement only once the one
// before it has answered, so a transaction of N statements costs N round trips; a script costs one.
// Only for our own statement texts, whose `$n` never stand inside a quoted string.

/**
 * A statement as the pool takes it: text with `$1…$n`, and their values. `plannedEachTime`: not
 * prepared, for a look-up whose best plan depends on how big a table has grown.
 */
export type Statement = readonly [text: string, params?: readonly unknown[], options?: { plannedEachTime?: boolean }];

/** `text` with each `$n` replaced by the literal of `params[n - 1]`. */
export function inline([text, params = []]: Statement): string {
  return text.replace(/\$(\d+)/g, (_, n: string) => {
    const index = Number(n) - 1;
    if (index >= params.length) throw new RangeError(`$${n} has no value (${params.length} given)`);
    return literal(params[index]);
  });
}

/**
 * A literal PostgreSQL reads back as exactly `value`, whatever standard_conforming_strings says:
 * text with a backslash is written E'…' with backslashes doubled, quotes are always doubled.
 */
export function literal(value: unknown): string {
  if (value === null || value === undefined) return 'NULL';
  if (typeof value === 'string') return quote(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError(`${value} cannot be written as an SQL literal`);
    // In brackets when negative: `- $1` must not become the comment `--1`.
    return value < 0 ? `(${value})` : String(value);
  }
  if (typeof value === 'boolean') return value ? 'TRUE' : 'FALSE';
  if (Array.isArray(value)) return quote(arrayText(value));
  throw new TypeError(`a ${typeof value} cannot be written as an SQL literal`);
}

function quote(text: string): string {
  if (text.includes('\\')) return `E'${text.replaceAll('\\', '\\\\').replaceAll("'", "''")}'`;
  return `'${text.replaceAll("'", "''")}'`;
}

/** A one-dimensional array's text form (`{"a",NULL,3}`), as its `::text[]`-style cast reads it. */
function arrayText(values: readonly unknown[]): string {
  const parts = values.map((value) => {
    if (value === null || value === undefined) return 'NULL';
    if (typeof value === 'string') return `"${value.replace(/[\\"]/g, '\\$&')}"`;
    if (typeof value === 'number') {
      if (!Number.isFinite(value)) throw new TypeError(`${value} cannot be written as an SQL literal`);
      return String(value);
    }
    if (typeof value === 'boolean') return value ? 't' : 'f';
    throw new TypeError(`a ${Array.isArray(value) ? 'nested array' : typeof value} cannot be written in an SQL array literal`);
  });
  return `{${parts.join(',')}}`;
}
