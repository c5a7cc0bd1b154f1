// Shapes of the portal's own routes (sign-in, accounts, connection changes), taken from the
// generated schema like the rest; see portal/README.md "Signing in" for the contract.
import type { paths } from './schema';

type SessionAnswer = paths['/v1/session']['get']['responses'][200]['content']['application/json'];

/** `{id, email, name, role, orgId, createdAt}`; admins have an orgId, operators null. */
export type Account = SessionAnswer['account'];
export type NewAccount = paths['/v1/accounts']['post']['requestBody']['content']['application/json'];
/** `{name?, hep?: {captureId, authKey?} | null}`; an absent authKey keeps the one set before. */
export type ConnectionPatch = paths['/v1/orgs/{orgId}/connections/{connectionId}']['patch']['requestBody']['content']['application/json'];
