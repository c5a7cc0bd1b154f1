// No input text may hold U+0000: PostgreSQL's text cannot store it, so it would fail deep in a
// query (a 500) instead of being refused up front. One check for every route's path, query and
// body, before validation, naming the field like any other validation error.
import type { FastifyRequest } from 'fastify';
import { AppError } from '../errors.ts';

/** Where in `value` a string holds U+0000 (`steps[1].callId`), or null. */
export function nulAt(value: unknown, path: string): string | null {
  if (typeof value === 'string') return value.includes('\u0000') ? path : null;
  if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) {
      const found = nulAt(item, `${path}[${i}]`);
      if (found !== null) return found;
    }
    return null;
  }
  if (value && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      const found = nulAt(key, path ? `${path}.${key}` : key) ?? nulAt(item, path ? `${path}.${key}` : key);
      if (found !== null) return found;
    }
  }
  return null;
}

/** A preValidation hook. */
export async function refuseNul(request: FastifyRequest): Promise<void> {
  const field = nulAt(request.params, 'path') ?? nulAt(request.query, 'query') ?? nulAt(request.body, '');
  if (field !== null) {
    throw new AppError('VALIDATION_FAILED', `${field || '(body)'} must not contain the character U+0000`, { field: field || '(body)' });
  }
}
