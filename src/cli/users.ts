// `callhook users add|list|remove`: portal accounts from the command line — the first operator on
// a fresh install, or a way back in when every operator's password is lost.
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../config/load.ts';
import { AppError } from '../errors.ts';
import { newId } from '../ids.ts';
import { openStore } from '../store/open.ts';
import { normalizeEmail } from '../tenancy/account.ts';
import { hashPassword, passwordProblem } from '../tenancy/password.ts';

const USAGE = `Usage:
  callhook users add --email <e-mail> [--name <name>] [--role operator|admin] [--org <org id>] [--password <p>]
      a portal account; without --password one is generated and printed once (an admin needs --org)
  callhook users list
  callhook users remove --email <e-mail>
  (store flags as for serve: --data-dir, --database-url, --config)
`;

export async function runUsers(argv: string[], out: NodeJS.WritableStream, env: Record<string, string | undefined>): Promise<number> {
  const [action, ...rest] = argv;
  let values;
  try {
    ({ values } = parseArgs({
      args: rest,
      strict: true,
      options: {
        email: { type: 'string' }, name: { type: 'string' }, role: { type: 'string', default: 'operator' }, org: { type: 'string' }, password: { type: 'string' },
        'data-dir': { type: 'string' }, 'database-url': { type: 'string' }, config: { type: 'string' }, help: { type: 'boolean', default: false },
      },
    }));
  } catch (error) {
    out.write(`callhook users: ${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (values.help || !['add', 'list', 'remove'].includes(action ?? '')) {
    out.write(USAGE);
    return values.help ? 0 : 2;
  }
  const fail = (message: string) => {
    out.write(`callhook users ${action}: ${message}\n`);
    return 2;
  };
  let config;
  try {
    config = loadConfig({ env, flags: { 'data-dir': values['data-dir'], 'database-url': values['database-url'] }, file: values.config });
  } catch (error) {
    if (error instanceof ConfigError) return fail(error.message);
    throw error;
  }
  const store = await openStore(config.database);
  try {
    if (action === 'list') {
      let after: string | undefined;
      do {
        const page = await store.accounts.list({ limit: 200, after });
        for (const a of page.data) out.write(`${a.email}\t${a.role}\t${a.orgId ?? '-'}\t${a.name}\n`);
        after = page.nextCursor ?? undefined;
      } while (after);
      return 0;
    }
    if (!values.email) return fail('--email is required');
    const email = normalizeEmail(values.email);
    if (action === 'remove') {
      const found = await store.accounts.findByEmail(email);
      if (!found) return fail(`there is no account ${email}`);
      await store.accounts.delete(found.account.id);
      out.write(`removed ${email}\n`);
      return 0;
    }
    if (!/^[^\s@]+@[^\s@]+$/.test(email)) return fail(`--email ${values.email} is not an e-mail address`);
    const role = values.role;
    if (role !== 'operator' && role !== 'admin') return fail(`--role ${role}: expected operator or admin`);
    if (role === 'admin' && !values.org) return fail('an admin needs --org <org id>: the organization they manage');
    if (role === 'operator' && values.org) return fail('an operator belongs to no organization; leave --org out');
    if (values.org && !(await store.orgs.get(values.org))) return fail(`there is no organization ${values.org}`);
    const password = values.password ?? randomBytes(12).toString('base64url');
    const weak = passwordProblem(password, [email, values.name ?? '']);
    if (weak) return fail(`--password ${weak}`);
    const account = { id: newId('acct'), email, name: values.name ?? email, role, orgId: values.org ?? null, createdAt: Date.now() } as const;
    try {
      await store.accounts.create(account, await hashPassword(password));
    } catch (error) {
      if (error instanceof AppError && error.code === 'CONFLICT') return fail(`an account ${email} already exists`);
      throw error;
    }
    out.write(`added ${role} ${email}${values.org ? ` (${values.org})` : ''}\n`);
    if (!values.password) out.write(`password: ${password}   (shown once)\n`);
    return 0;
  } finally {
    await store.close();
  }
}
