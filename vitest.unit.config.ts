// `npm run test:unit`: the pure unit tests beside the modules (and the test helpers' own), for the
// edit loop — seconds, no services. test/unit-guard.ts makes any I/O in them fail loudly, so the
// list below (files beside their modules that do need I/O) is the only way one gets in or out.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/helpers/*.test.ts'],
    exclude: [
      'src/store/sqlite/sqlite.contract.test.ts', // a database file per test
      'src/store/postgres/postgres.contract.test.ts', // PostgreSQL
      'src/sources/hep/hep-listener.test.ts', // UDP and TCP sockets
      'src/sources/hep/call-direction.test.ts', // a SQLite store
      'src/config/load.test.ts', // config files in a temporary folder
      'src/http/routes/portal.test.ts', // a portal build in a temporary folder
    ],
    setupFiles: ['test/unit-guard.ts'],
    reporters: ['default', './test/reporters/summary.ts'],
    pool: 'threads',
    // Pure modules hold no state between files: one module graph per worker, loaded once.
    isolate: false,
  },
});
