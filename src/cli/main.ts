// The `callhook` command: serve, simulate, listen, migrate, users, recordings.
import { VERSION } from '../version.ts';
import { runListen } from './listen.ts';
import { runMigrate } from './migrate.ts';
import { runRecordings } from './recordings.ts';
import { runServe } from './serve.ts';
import { runSimulate } from './simulate.ts';
import { runUsers } from './users.ts';

const USAGE = `callhook ${VERSION} — phone calls in, reliable webhooks out

Usage: callhook <command> [flags]     (callhook <command> --help for its flags)

  serve      run the service (what npm start runs, with --dev)
  listen     a local webhook receiver that prints each request and checks its signature
  simulate   post realistic calls to the ingest API (demo and load generator)
  migrate    apply database migrations and exit
  users      portal accounts: add (e.g. the first operator), list, remove
  recordings rotate-link-secret: sign recording links with a new secret
`;

export async function main(argv: string[], env: Record<string, string | undefined>): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'serve':
      return runServe(rest, process.stdout, env);
    case 'listen':
      return runListen(rest, process.stdout, env);
    case 'simulate':
      return runSimulate(rest, process.stdout, env);
    case 'migrate':
      return runMigrate(rest, process.stdout, env);
    case 'users':
      return runUsers(rest, process.stdout, env);
    case 'recordings':
      return runRecordings(rest, process.stdout, env);
    case '--version':
    case 'version':
      process.stdout.write(`${VERSION}\n`);
      return 0;
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(USAGE);
      return command === undefined ? 2 : 0;
    default:
      process.stdout.write(`callhook: unknown command "${command}"\n\n${USAGE}`);
      return 2;
  }
}
