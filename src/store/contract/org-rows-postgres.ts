// Reads every row an organization owns from PostgreSQL, on a connection of its own (the isolation
// contract compares them before and after a call; contract/org-rows.ts says which).
import pg from 'pg';
import { type OrgRowsReader, type TableShape, ownershipPredicates, stableOrder } from './org-rows.ts';

const SHAPES = new Map<string, Promise<TableShape[]>>();

export async function postgresOrgRows(url: string): Promise<OrgRowsReader> {
  // Connected on first use: most contract tests never read rows this way, and a connection costs
  // PostgreSQL a process.
  let connected: Promise<pg.Client> | null = null;
  const connection = () =>
    (connected ??= (async () => {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      return client;
    })());
  const shapes = async (): Promise<TableShape[]> => {
    // A database's schema does not change under its tests: read once per database.
    const known = SHAPES.get(url) ?? readShapes(await connection());
    SHAPES.set(url, known);
    return known;
  };
  return {
    async rows(orgId) {
      const client = await connection();
      const rows: Record<string, unknown[]> = {};
      for (const [table, where] of ownershipPredicates(await shapes(), '$1')) {
        rows[table] = stableOrder((await client.query(`SELECT * FROM ${table} WHERE ${where}`, [orgId])).rows);
      }
      return rows;
    },
    async close() {
      if (connected) await (await connected).end();
    },
  };
}

/** Every table's columns and single-column foreign keys. */
async function readShapes(client: pg.Client): Promise<TableShape[]> {
  const columns = await client.query<{ table_name: string; column_name: string }>(
    `SELECT c.table_name, c.column_name FROM information_schema.columns c
     JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
     WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE' ORDER BY c.table_name, c.ordinal_position`,
  );
  const keys = await client.query<{ table_name: string; column_name: string; parent: string; parent_column: string }>(
    `SELECT c.conrelid::regclass::text AS table_name, a.attname AS column_name, c.confrelid::regclass::text AS parent, p.attname AS parent_column
     FROM pg_constraint c
     JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
     JOIN pg_attribute p ON p.attrelid = c.confrelid AND p.attnum = c.confkey[1]
     WHERE c.contype = 'f' AND cardinality(c.conkey) = 1 AND c.connamespace = current_schema()::regnamespace`,
  );
  const tables = new Map<string, TableShape>();
  for (const row of columns.rows) {
    const table = tables.get(row.table_name) ?? { name: row.table_name, columns: [], foreignKeys: [] };
    table.columns.push(row.column_name);
    tables.set(row.table_name, table);
  }
  for (const key of keys.rows) tables.get(key.table_name)?.foreignKeys.push({ column: key.column_name, parent: key.parent, parentColumn: key.parent_column });
  return [...tables.values()];
}
