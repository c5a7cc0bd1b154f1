// `callhook recordings rotate-link-secret`: a new secret signs recording links from now on. Links
// already sent (signed with the current secret) keep working until they expire; those signed with
// the one before it stop. Every process picks the change up within a minute.
import { parseArgs } from 'node:util';
import { systemClock } from '../clock.ts';
import { ConfigError, loadConfig } from '../config/load.ts';
import { createLinkSigner } from '../recordings/link-signer.ts';
import { describeDatabase, openStore } from '../store/open.ts';

const USAGE = `Usage: callhook recordings rotate-link-secret [--data-dir DIR] [--database-url URL]

  rotate-link-secret   sign recording links with a new secret; links signed with the current one
                       keep working until they expire, older ones stop
`;

export async function runRecordings(argv: string[], out: NodeJS.WritableStream, env: Record<string, string | undefined>): Promise<number> {
  const [command, ...rest] = argv;
  if (command !== 'rotate-link-secret') {
    out.write(USAGE);
    return command === undefined || command === '--help' ? 0 : 2;
  }
  const { values } = parseArgs({ args: rest, options: { 'data-dir': { type: 'string' }, 'database-url': { type: 'string' }, config: { type: 'string' } }, strict: true });
  let config;
  try {
    config = loadConfig({ env, flags: { 'data-dir': values['data-dir'], 'database-url': values['database-url'] }, file: values.config });
  } catch (error) {
    if (error instanceof ConfigError) {
      out.write(`callhook recordings: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
  const store = await openStore(config.database);
  try {
    await createLinkSigner({ meta: store.meta, clock: systemClock, publicUrl: config.http.publicUrl, linkMs: config.recordings.linkMs }).rotate();
    out.write(`recording links are signed with a new secret (${describeDatabase(config.database)}); links sent before keep working until they expire\n`);
    return 0;
  } finally {
    await store.close();
  }
}
