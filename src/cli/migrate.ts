// `callhook migrate`: apply pending schema migrations and exit (they also run on every start).
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../config/load.ts';
import { describeDatabase, migrateStore } from '../store/open.ts';

export async function runMigrate(argv: string[], out: NodeJS.WritableStream, env: Record<string, string | undefined>): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { 'data-dir': { type: 'string' }, 'database-url': { type: 'string' }, config: { type: 'string' } }, strict: true });
  try {
    const config = loadConfig({ env, flags: { 'data-dir': values['data-dir'], 'database-url': values['database-url'] }, file: values.config });
    const applied = await migrateStore(config.database);
    const where = describeDatabase(config.database);
    out.write(applied.length ? `applied ${applied.join(', ')} to ${where}\n` : `${where} is up to date\n`);
    return 0;
  } catch (error) {
    if (error instanceof ConfigError) {
      out.write(`callhook migrate: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
}
