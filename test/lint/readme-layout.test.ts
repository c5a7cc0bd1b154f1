// The README's Layout names every folder of src (a new folder, or a backend promised "later",
// shows up here until the picture is true again). Migrations are data of their backend.
import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

function folders(path: string): string[] {
  return readdirSync(join(ROOT, path), { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && entry.name !== 'migrations')
    .flatMap((entry) => {
      const folder = relative(ROOT, join(ROOT, path, entry.name));
      return [folder, ...folders(folder)];
    });
}

describe('README layout', () => {
  it('names every folder of src by its path (or a file in it)', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const layout = readme.slice(readme.indexOf('## Layout'));
    expect(layout.length).toBeLessThan(readme.length);
    const named = (folder: string) => layout.includes(`\`${folder}\``) || layout.includes(`\`${folder}/`);
    expect(folders('src').filter((folder) => !named(folder))).toEqual([]);
  });
});
