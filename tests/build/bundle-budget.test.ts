/**
 * The JavaScript budget of the playground page: all of dist/'s JavaScript —
 * page, training worker, grader sandbox, the lazily loaded editor and lessons,
 * the service worker — at most 300 kB (300,000 bytes) gzipped, so the page loads fast from a
 * teacher's USB stick or a slow school network. Measures the dist/ that
 * `npm test` builds first.
 */
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { JS_BUDGET_BYTES, measureJs } from '../../bench/bundle.ts';

describe('production build', () => {
  it('ships at most 300 kB of gzipped JavaScript in total, with code splitting intact', () => {
    if (!existsSync('dist/index.html')) throw new Error('dist/ is missing: run `npm run build` first');
    const { files, totalGzipped } = measureJs('dist');
    const listing = files.map((f) => `${f.path} ${f.gzipped} B (${f.when})`).join('\n');
    expect(totalGzipped, listing).toBeLessThanOrEqual(JS_BUDGET_BYTES);
    // The heavy, optional parts stay out of the first load: the editor only for custom JS, the lessons when opened,
    // the real-model export and its zip writer when asked for.
    expect(files.filter((f) => f.when === 'on demand').map((f) => f.path.replace(/-[\w-]{8}\.js$/, ''))).toEqual(
      expect.arrayContaining(['assets/code-editor', 'assets/LessonsPanel', 'assets/export', 'assets/zip']),
    );
    const start = files.filter((f) => f.when === 'start');
    expect(start.some((f) => /code-editor/i.test(f.path)), listing).toBe(false);
  });
});
