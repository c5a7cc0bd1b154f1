// `npm run docs`: writes docs/configuration.md from the settings list.
import { writeFileSync } from 'node:fs';
import { renderConfigDoc } from '../src/config/config-doc.ts';

writeFileSync(new URL('../docs/configuration.md', import.meta.url), renderConfigDoc());
