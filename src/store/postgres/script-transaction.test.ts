// Script transactions (PgDatabase.scriptTransaction) on a real PostgreSQL: every value written into
// the text as a literal reads back as itself, whatever standard_conforming_strings says; a failure
// in either message writes nothing and leaves the connection usable; statements are prepared once
// per connection, in the message that first uses them, also when that message failed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { POSTGRES_URL, type TestDatabase, createTestDatabase } from '../../../test/helpers/postgres.ts';
import { PgDatabase } from './database.ts';
import { inline, literal } from './inline-sql.ts';
import { type ParserOf, RowShapes, ScriptQuery } from './script-query.ts';

/** Values that break naive quoting: quotes, backslashes, what looks like a parameter or a comment, array syntax. */
const TEXTS = [
  '', "'", "''", "O'Brien", '\\', '\\\\', "\\'", "'\\", 'a\\nb', 'line\nbreak', 'tab\there', '$1', '$$', 'E\'x\'', '-- not a comment',
  '/* nor this */', ';', "'); DROP TABLE x; --", '{}', '{"a","b"}', '"', '""', 'NULL', 'null', ',', ' spaced ', 'ü€', JSON.stringify({ a: 'b"c\\d', e: "f'g" }),
  '$q$', 'a$q$b', '$q', 'q$', '$', 'a$', '$$q$$', 'ends in $q', 'q$q', '$q$$',
];
/** Each array takes its own path in inline-sql.ts: JSON's text, or element by element (control characters, next to backslashes or not). */
const ARRAYS = [
  [...TEXTS, null], [...TEXTS, 'ctrl\u0001', 'tab\u0009', null], ['\\\n', '\n\\', '\\\\\t', '\\u0041'], ['\\\\n'], ['𝄞 clef', 'x'], [undefined, 'after undefined'], [],
  // Long texts: each element a literal of its own (ARRAY[…]), the short ones beside them too.
  [...TEXTS.map((text) => text.padEnd(300, text || 'x')), ...TEXTS, null, undefined, `ctrl\u0001 ${'\\'.repeat(200)}`, `${'x'.repeat(250)}$q`],
];
const NUMBERS = [0, 1, -1, 42.5, -0.25, 1_796_470_375_548, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER];

describe('inline-sql', () => {
  it('refuses what has no literal rather than writing something else', () => {
    for (const value of [Number.NaN, Number.POSITIVE_INFINITY, {}, () => 1, Symbol('x'), 1n]) expect(() => literal(value)).toThrow(TypeError);
    expect(() => literal([[1]])).toThrow(TypeError);
    expect(() => inline(['SELECT $1, $2', [1]])).toThrow(RangeError);
  });

  it('writes an array with a control character or a lone surrogate element by element: JSON would escape them as the array form misreads', () => {
    for (const text of ['line\nbreak', 'nul\u0000', 'lone \ud800 high', 'lone \udc00 low']) {
      expect(literal(['plain', text])).toBe('$q${"plain","' + text + '"}$q$');
    }
    // A pair of surrogates is one character: JSON writes it as it is, and so does the fast path.
    expect(literal(['𝄞', '"q"'])).toBe('$q${"𝄞","\\"q\\""}$q$');
  });

  it('writes an array holding a long text as one literal per element, so the server never reads it as an array\'s text form', () => {
    const long = `{"body":"${'é\\"'.repeat(100)}"}`;
    expect(literal(['id-1', long, null])).toBe(`ARRAY[$q$id-1$q$, $q$${long}$q$, NULL]`);
    expect(literal(['id-1', 'x'.repeat(199)])).toMatch(/^\$q\$\{/);
    // Not text: the array's text form, whatever the length of its texts.
    expect(literal([long, 1])).toMatch(/^\$q\$\{/);
  });

  it('keeps a negative number one token: `- $1` never becomes a comment', () => {
    expect(inline(['SELECT 5 - $1', [-3]])).toBe('SELECT 5 - (-3)');
    expect(inline(['SELECT 5 -$1', [-3]])).toBe('SELECT 5 -(-3)');
  });
});

describe.skipIf(!POSTGRES_URL)('script transactions on PostgreSQL', () => {
  let database: TestDatabase;
  let db: PgDatabase;
  beforeAll(async () => {
    database = await createTestDatabase();
    db = new PgDatabase({ url: database.url, poolSize: 1, connectTimeoutMs: 5_000, queryTimeoutMs: 10_000 });
    await db.run('CREATE TABLE script_rows (k text PRIMARY KEY, v text NOT NULL)');
  });
  afterAll(async () => {
    await db?.close();
    await database?.drop();
  });

  for (const conforming of ['on', 'off']) {
    it(`reads every literal back as the value it was written from (standard_conforming_strings ${conforming})`, async () => {
      const answers = await db.scriptTransaction(async (tx) => {
        await tx.begin([[`SET LOCAL standard_conforming_strings = ${conforming}`]]);
        return tx.commit([
          ...TEXTS.map((text): [string, unknown[]] => ['SELECT $1::text AS v', [text]]),
          ...NUMBERS.map((n): [string, unknown[]] => ['SELECT $1::float8 AS v', [n]]),
          ...ARRAYS.map((array): [string, unknown[]] => ['SELECT $1::text[] AS v', [array]]),
          ['SELECT $1::bigint[] AS v, $2::boolean[] AS b, $3::boolean AS t', [[1, -2, null], [true, false, null], false]],
          ['SELECT $1::text AS v', [null]],
        ]);
      });
      const values = answers.map((rows) => rows[0]!.v);
      expect(values.slice(0, TEXTS.length)).toEqual(TEXTS);
      expect(values.slice(TEXTS.length, TEXTS.length + NUMBERS.length)).toEqual(NUMBERS);
      const arrays = values.slice(TEXTS.length + NUMBERS.length, TEXTS.length + NUMBERS.length + ARRAYS.length);
      expect(arrays).toEqual(ARRAYS.map((array) => array.map((v) => v ?? null)));
      const [numbers, empty] = values.slice(TEXTS.length + NUMBERS.length + ARRAYS.length);
      expect(numbers).toEqual(['1', '-2', null]);
      expect(answers.at(-2)![0]).toMatchObject({ b: [true, false, null], t: false });
      expect(empty).toBeNull();
    });
  }

  it('writes nothing when a statement of the commit message fails, and the connection goes on', async () => {
    await expect(
      db.scriptTransaction(async (tx) => {
        await tx.begin([['INSERT INTO script_rows (k, v) VALUES ($1, $2)', ['a', 'first']]]);
        return tx.commit([
          ['INSERT INTO script_rows (k, v) VALUES ($1, $2)', ['b', 'second']],
          ['INSERT INTO script_rows (k, v) VALUES ($1, $2)', ['a', 'a duplicate']],
        ]);
      }),
    ).rejects.toMatchObject({ code: '23505' });
    expect(await db.rows('SELECT * FROM script_rows')).toEqual([]);
    // The same statements again, on the same (only) connection: prepared there already.
    await db.scriptTransaction(async (tx) => {
      await tx.begin([['INSERT INTO script_rows (k, v) VALUES ($1, $2)', ['a', "it's"]]]);
      return tx.commit([['INSERT INTO script_rows (k, v) VALUES ($1, $2)', ['b', 'back\\slash']]]);
    });
    expect(await db.rows('SELECT k, v FROM script_rows ORDER BY k')).toEqual([{ k: 'a', v: "it's" }, { k: 'b', v: 'back\\slash' }]);
  });

  it('prepares new statements in the message that first uses them, and knows which ran when that message failed', async () => {
    await db.run('DELETE FROM script_rows');
    const upsert = "INSERT INTO script_rows (k, v) VALUES ($1, $2) ON CONFLICT (k) DO UPDATE SET v = excluded.v || ' again'";
    // The commit message carries the upsert's PREPARE, which runs, then fails on a later statement.
    await expect(
      db.scriptTransaction(async (tx) => {
        await tx.begin([]);
        return tx.commit([[upsert, ['d', 'one']], ['SELECT 1 / $1::int AS x', [0]]]);
      }),
    ).rejects.toMatchObject({ code: '22012' });
    expect(await db.rows('SELECT * FROM script_rows')).toEqual([]);
    // The same connection (the pool has one) uses it again: no second PREPARE of the same name.
    await db.scriptTransaction(async (tx) => {
      await tx.begin([[upsert, ['d', 'two']]]);
      return tx.commit([[upsert, ['d', 'three']]]);
    });
    expect(await db.rows('SELECT k, v FROM script_rows')).toEqual([{ k: 'd', v: 'three again' }]);
  });

  it('answers each statement of a message its own rows, typed, the same columns on every row', async () => {
    const answers = await db.scriptTransaction(async (tx) => {
      await tx.begin([["SET LOCAL application_name = 'script'"]]);
      return tx.commit([
        ["SELECT g AS n, g::bigint AS big, CASE WHEN g = 2 THEN NULL ELSE 't' || g END AS t, g > 1 AS b FROM generate_series(1, 3) g"],
        ['SELECT $1::int AS only WHERE false', [1]],
        ['SELECT $1::text AS a, $2::text AS a', ['first', 'second']],
        ['SELECT $1::text AS a, NULL AS a', ['first']],
      ]);
    });
    expect(answers).toEqual([
      [{ n: 1, big: 1, t: 't1', b: false }, { n: 2, big: 2, t: null, b: true }, { n: 3, big: 3, t: 't3', b: true }],
      [],
      // A name twice: the last column's value (a NULL too), as node-pg answers.
      [{ a: 'second' }],
      [{ a: null }],
    ]);
    expect(Object.keys(answers[0]![1]!)).toEqual(['n', 'big', 't', 'b']);
  });

  it('fails a message whose value its parser refuses once the server has answered all of it, and the connection goes on', async () => {
    const client = await db.pool.connect();
    try {
      const refusing = () => () => {
        throw new Error('refused');
      };
      const run = (text: string, parserOf: ParserOf) =>
        new Promise((resolve, reject) => client.query(new ScriptQuery(text, new RowShapes(parserOf), (error, results) => (error ? reject(error) : resolve(results)))));
      await expect(run('SELECT 1 AS x; SELECT 2 AS y', refusing)).rejects.toThrow('refused');
      await expect(run('SELECT 1 AS x; SELECT 2 AS y', () => Number)).resolves.toEqual([[{ x: 1 }], [{ y: 2 }]]);
    } finally {
      client.release();
    }
  });

  it('rolls back a transaction whose function fails between the messages', async () => {
    await db.run('DELETE FROM script_rows');
    await expect(
      db.scriptTransaction(async (tx) => {
        await tx.begin([['INSERT INTO script_rows (k, v) VALUES ($1, $2)', ['c', 'never']]]);
        throw new Error('the plan failed');
      }),
    ).rejects.toThrow('the plan failed');
    expect(await db.rows('SELECT * FROM script_rows')).toEqual([]);
    expect(await db.rows('SELECT 1 AS ok')).toEqual([{ ok: 1 }]);
  });
  it.each([
    ['the whole transaction', true, 'off'],
    ['its first message alone', 'begin', 'on'],
  ] as const)('runs byKey for %s; a message ending on a generic plan leaves the mode at auto for the next', async (_name, byKey, laterHashJoin) => {
    const answers = await db.scriptTransaction(async (tx) => {
      const first = await tx.begin([['SHOW enable_hashjoin'], ['SHOW enable_seqscan'], ['SELECT $1::text AS v', ['generic'], { genericPlan: true }]]);
      const later = await tx.commit([['SHOW enable_hashjoin'], ['SHOW enable_mergejoin'], ['SHOW enable_seqscan'], ['SHOW plan_cache_mode']]);
      return [...first, ...later];
    }, { byKey });
    // Joins may hash again after a 'begin' transaction's first message; a table is never read whole.
    expect(answers.map((rows) => Object.values(rows[0]!)[0])).toEqual(['off', 'off', 'generic', laterHashJoin, laterHashJoin, 'off', 'auto']);
    // And nothing of it outlives the transaction.
    expect(await db.rows('SHOW enable_seqscan')).toEqual([{ enable_seqscan: 'on' }]);
  });
  it('runs a statement marked genericPlan on its generic plan, answers its rows in their place, and plans the rest as before', async () => {
    await db.run("INSERT INTO script_rows (k, v) VALUES ('g1', 'generic'), ('c1', 'custom')");
    const answers = await db.scriptTransaction(async (tx) => {
      await tx.begin([]);
      return tx.commit([
        ['SELECT $1::text AS v', ['before']],
        ['SELECT v AS generic FROM script_rows WHERE k = $1', ['g1'], { genericPlan: true }],
        // A run of generic ones shares its SETs; the mode is back to auto for what follows.
        ['SELECT $1::text || v AS v FROM script_rows WHERE k = $2', ['also ', 'g1'], { genericPlan: true }],
        ['SELECT $1::text AS v', ['after']],
        ['SELECT v AS custom FROM script_rows WHERE k = $1', ['c1']],
        ['SELECT $1::text AS last', ['last'], { genericPlan: true }],
        ['SHOW plan_cache_mode'],
      ]);
    });
    expect(answers.map((rows) => Object.values(rows[0]!)[0])).toEqual(['before', 'generic', 'also generic', 'after', 'custom', 'last', 'auto']);
    // The pool has one connection: how each statement prepared on it was planned (a statement's
    // text there is the whole message that prepared it, so the two are told apart by their counts).
    const plans = await db.rows<{ generic_plans: number; custom_plans: number }>(
      "SELECT generic_plans::int, custom_plans::int FROM pg_prepared_statements WHERE name LIKE 'x%' AND statement LIKE '%AS generic FROM script_rows%'",
    );
    expect(plans).toEqual(expect.arrayContaining([{ generic_plans: 1, custom_plans: 0 }, { generic_plans: 0, custom_plans: 1 }]));
  });
});
