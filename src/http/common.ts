// Schemas and helpers shared by the routes: ids, times, pagination, the problem document.
import { Type, type TSchema } from 'typebox';
import { Nullable } from '../json-schema.ts';

export { Enum, Nullable } from '../json-schema.ts';

export const iso = (ms: number): string => new Date(ms).toISOString();
export const isoOrNull = (ms: number | null): string | null => (ms === null ? null : iso(ms));

export const Time = Type.String({ format: 'date-time', description: 'ISO 8601, UTC' });

export const OrgParams = Type.Object({ orgId: Type.String({ description: 'Organization id (`org_…`).' }) });
export const pageFields = {
  limit: Type.Integer({ minimum: 1, maximum: 200, default: 50, description: 'Page size.' }),
  after: Type.Optional(Type.String({ description: 'Cursor: `nextCursor` of the previous page.' })),
};
export const PageQuery = Type.Object(pageFields);

export const Page = <T extends TSchema>(item: T) =>
  Type.Object({
    data: Type.Array(item),
    nextCursor: Nullable(Type.String({ description: 'Pass as `after` for the next page; null on the last page.' })),
  });

export const ProblemSchema = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.String(),
    field: Type.Optional(Type.String({ description: 'The offending field, e.g. `steps[1].topics`.' })),
    errors: Type.Optional(Type.Array(Type.Object({ field: Type.String(), detail: Type.String() }))),
  },
  { $id: 'Problem', title: 'Problem (application/problem+json)' },
);

/** Rinkel's error document, which the Rinkel-compatible routes answer instead of a problem. */
export const RinkelErrorsSchema = Type.Object(
  { errors: Type.Array(Type.Object({ code: Type.String(), message: Type.String(), detail: Type.String() })) },
  { $id: 'RinkelErrors', title: 'Rinkel errors' },
);

/**
 * The error answers only the route knows of (409, 429…), for the OpenAPI document; those that
 * follow from its shape and credentials are added for every route (http/documented-errors.ts).
 */
export const problems = (...statuses: number[]) =>
  Object.fromEntries(statuses.map((status) => [status, Type.Ref('Problem')]));

export const NoContent = Type.Null({ description: 'No content' });
