// One simple-protocol message of several statements, answered as each statement's rows: a
// node-pg Submittable in place of its Query, which built each result's row shape from an object in
// dictionary mode and spread it into every row (~5 µs for a row of a delivery's 23 columns, most
// of the driver's share of a script at a steady pace). Here a shape is made once per set of columns
// and rows are copies of it.
import type pg from 'pg';
import type { Row } from '../rows.ts';

/** The text a column's value arrives as → its value (database.ts: bigint as number, the rest as node-pg reads them). */
export type ParserOf = (dataTypeID: number) => (text: string) => unknown;

interface Shape {
  names: string[];
  parsers: Array<(text: string) => unknown>;
  /** A row of nulls in fast mode (from JSON.parse): a spread of it copies its hidden class. */
  empty: Row;
}

const MAX_SHAPES = 1_000;

/** Row shapes by their columns' names and types, each with the parsers of its columns; statements are few, so their shapes are. */
export class RowShapes {
  private readonly shapes = new Map<string, Shape>();
  private readonly parserOf: ParserOf;

  constructor(parserOf: ParserOf) {
    this.parserOf = parserOf;
  }

  of(fields: readonly pg.FieldDef[]): Shape {
    let key = '';
    for (const field of fields) key += `${field.dataTypeID}:${field.name}\u0000`;
    let shape = this.shapes.get(key);
    if (!shape) {
      const names = fields.map((field) => field.name);
      shape = {
        names,
        parsers: fields.map((field) => this.parserOf(field.dataTypeID)),
        empty: JSON.parse(`{${names.map((name) => `${JSON.stringify(name)}:null`).join(',')}}`) as Row,
      };
      if (this.shapes.size >= MAX_SHAPES) this.shapes.clear();
      this.shapes.set(key, shape);
    }
    return shape;
  }
}

export class ScriptQuery {
  /** Called once: with every statement's rows in order, or with the first error. node-pg wraps it with its read timeout. */
  callback: (error: Error | null, results?: Row[][]) => void;
  private readonly text: string;
  private readonly shapes: RowShapes;
  private readonly results: Row[][] = [];
  private rows: Row[] | null = null;
  private shape: Shape | null = null;
  /** A value its parser refused: reported once the server is ready again, as node-pg does. */
  private refused: Error | null = null;

  constructor(text: string, shapes: RowShapes, callback: (error: Error | null, results?: Row[][]) => void) {
    this.text = text;
    this.shapes = shapes;
    this.callback = callback;
  }

  submit(connection: pg.Connection): null {
    connection.query(this.text);
    return null;
  }

  handleRowDescription(message: { fields: pg.FieldDef[] }): void {
    this.shape = this.shapes.of(message.fields);
    this.rows = [];
  }

  handleDataRow(message: { fields: Array<string | null> }): void {
    if (this.refused || !this.shape) return;
    const { names, parsers, empty } = this.shape;
    const row: Row = { ...empty };
    const values = message.fields;
    try {
      // Every column assigned, nulls too: a name twice answers its last column, as node-pg does.
      for (let i = 0; i < values.length; i++) {
        const value = values[i];
        row[names[i]!] = value === null || value === undefined ? null : parsers[i]!(value);
      }
    } catch (error) {
      this.refused = error as Error;
      return;
    }
    this.rows!.push(row);
  }

  /** Every statement ends with one: its rows, or none for a statement that returns none (SET, BEGIN, an INSERT). */
  handleCommandComplete(): void {
    this.results.push(this.rows ?? []);
    this.rows = null;
    this.shape = null;
  }

  handleEmptyQuery(): void {}

  // Scripts never copy nor keep a portal open; node-pg calls these on such messages, and a missing
  // handler would throw outside any promise (the process's end). A COPY is refused.
  handleCopyInResponse(connection: pg.Connection & { sendCopyFail(message: string): void }): void {
    connection.sendCopyFail('a script transaction does not copy');
  }

  handleCopyData(): void {}

  handlePortalSuspended(): void {}

  handleError(error: Error): void {
    this.callback(this.refused ?? error);
  }

  handleReadyForQuery(): void {
    if (this.refused) this.callback(this.refused);
    else this.callback(null, this.results);
  }
}
