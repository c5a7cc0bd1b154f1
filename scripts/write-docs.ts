// `npm run docs`: writes docs/configuration.md from the settings list, and the OpenAPI document the
// portal's typed client is generated from (portal/src/api/openapi.json, then schema.d.ts).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderConfigDoc } from '../src/config/config-doc.ts';
import { loadConfig } from '../src/config/load.ts';
import { portalOpenApi } from '../src/http/routes/docs.ts';
import { silentLogger } from '../src/observability/logger.ts';
import { startService } from '../src/service.ts';

writeFileSync(new URL('../docs/configuration.md', import.meta.url), renderConfigDoc());

const dataDir = mkdtempSync(join(tmpdir(), 'callhook-docs-'));
try {
  const config = loadConfig({ env: { CALLHOOK_DATA_DIR: dataDir, CALLHOOK_PORT: '0', CALLHOOK_ADMIN_TOKEN: 'cho_docs', CALLHOOK_PORTAL_PASSWORD: 'docs-only-password' } });
  const service = await startService(config, { log: silentLogger(), background: false });
  try {
    const doc = (await service.app.inject({ url: '/openapi.json' })).json() as Record<string, unknown>;
    writeFileSync(new URL('../portal/src/api/openapi.json', import.meta.url), portalOpenApi(doc));
  } finally {
    await service.stop();
  }
} finally {
  rmSync(dataDir, { recursive: true, force: true });
}
execFileSync('npm', ['run', '--silent', 'api-types', '-w', 'portal'], { stdio: 'inherit', cwd: new URL('..', import.meta.url) });
