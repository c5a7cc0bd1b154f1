// docs/configuration.md, rendered from the settings list so the two cannot drift apart
// (`npm run docs` writes it; a test checks it is current).
import { DEFAULT_PLANS, renderSettingsTable } from './settings.ts';

export function renderConfigDoc(): string {
  return `# Configuration

callhook reads its configuration once at start-up, in this order (later wins):
defaults → a JSON config file (\`--config <file>\` or \`CALLHOOK_CONFIG\`, settings by name, e.g.
\`{"port": 8080, "plans": {…}}\`) → \`CALLHOOK_*\` environment variables → \`callhook serve\` flags.
\`callhook serve --help\` prints the same table.

${renderSettingsTable()}

## Plans

Plans decide which organizations get webhooks. The default:

\`\`\`json
${JSON.stringify(DEFAULT_PLANS, null, 2)}
\`\`\`

An organization on a plan without webhooks keeps its calls and events recorded, but its webhook
routes answer 403 and nothing is delivered. Set your own with \`CALLHOOK_PLANS\` (JSON) or
\`"plans"\` in the config file, and \`CALLHOOK_DEFAULT_PLAN\` for new organizations.

## Roles and PostgreSQL

One process on the embedded SQLite store does everything. When one machine is not enough, point
several processes at one PostgreSQL with \`CALLHOOK_DATABASE_URL=postgres://…\`; the event, its
fan-out and its deliveries commit in one transaction, workers claim due work with
\`FOR UPDATE SKIP LOCKED\` and wake on \`LISTEN/NOTIFY\`. \`--role api\` processes take the API and the
ingest and leave sending to \`--role worker\` processes (which serve only \`/healthz\`, \`/readyz\`,
\`/metrics\`); \`--role all\` (the default) does both. Migrations run on start and with
\`callhook migrate\`.

## Development mode

\`npm start\` runs \`callhook serve --dev\`: webhooks may then target \`http://\` and loopback or
private addresses, so a receiver on your own machine (\`callhook listen\`) works. The banner says so
at start. In production run \`callhook serve\` without \`--dev\`: targets must be HTTPS on public
addresses, checked when a webhook is saved and again when each connection is made. To reach an
on-premises CRM on a private network deliberately, set \`CALLHOOK_ALLOW_PRIVATE_TARGETS=1\`.
`;
}
