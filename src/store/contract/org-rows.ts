// Every row an organization owns, read straight from the database (for the isolation contract).
// Which tables hold such rows is derived from the schema, so a new table is covered the day it is
// added: a table with an `org_id` column, or a foreign key to such a table, belongs to organizations;
// any other table must be named in GLOBAL_TABLES, or the dump refuses to run.

/** Tables that belong to no organization, and why. */
export const GLOBAL_TABLES: Readonly<Record<string, string>> = {
  schema_migrations: 'which migrations ran',
  meta: 'instance-wide settings',
  workers: 'live processes',
  webhook_settings_version: 'the counter webhook settings versions are drawn from',
};

export interface TableShape {
  name: string;
  columns: string[];
  /** Single-column foreign keys: `column` references `parent(parentColumn)`. */
  foreignKeys: Array<{ column: string; parent: string; parentColumn: string }>;
}

/** An organization's rows per table, each table's rows in a stable order. */
export type OrgRows = Record<string, unknown[]>;

export interface OrgRowsReader {
  /** The rows owned by `orgId`, table by table. */
  rows(orgId: string): Promise<OrgRows>;
  close(): Promise<void>;
}

/**
 * The WHERE clause that picks an organization's rows of each table, with `placeholder` where the
 * organization id goes (once). Throws for a table with no way to an organization.
 */
export function ownershipPredicates(tables: TableShape[], placeholder: string): Map<string, string> {
  const byName = new Map(tables.map((t) => [t.name, t]));
  const done = new Map<string, string | null>(); // null: global
  const visit = (name: string, path: string[]): string | null => {
    if (done.has(name)) return done.get(name)!;
    const table = byName.get(name);
    if (!table) throw new Error(`foreign key to unknown table ${name}`);
    let found: string | null | undefined;
    if (name in GLOBAL_TABLES) found = null;
    else if (name === 'orgs') found = `id = ${placeholder}`;
    else if (table.columns.includes('org_id')) found = `org_id = ${placeholder}`;
    else {
      for (const fk of table.foreignKeys) {
        if (path.includes(fk.parent)) continue;
        const parent = visit(fk.parent, [...path, name]);
        if (parent === null) continue;
        found = `${fk.column} IN (SELECT ${fk.parentColumn} FROM ${fk.parent} WHERE ${parent})`;
        break;
      }
    }
    if (found === undefined) {
      throw new Error(
        `Table ${name} has no org_id column and no foreign key to a table of an organization: give it one, or name it in GLOBAL_TABLES (src/store/contract/org-rows.ts) with the reason it belongs to no organization`,
      );
    }
    done.set(name, found);
    return found;
  };
  const result = new Map<string, string>();
  for (const table of tables) {
    const where = visit(table.name, []);
    if (where !== null) result.set(table.name, where);
  }
  return result;
}

/** Rows in an order that does not depend on how the database happened to return them. */
export function stableOrder(rows: Array<Record<string, unknown>>): unknown[] {
  const normal = rows.map((row) => Object.fromEntries(Object.entries(row).map(([k, v]) => [k, typeof v === 'bigint' ? Number(v) : v])));
  return normal.map((row) => [JSON.stringify(row), row] as const).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, row]) => row);
}
