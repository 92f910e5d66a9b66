import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { stripWgsl } from '../../src/gpu/wgsl-minify.ts';

describe('stripWgsl (production shader slimming)', () => {
  it('drops comments and indentation but keeps every line, so compile errors still point at the right line', () => {
    const files = readdirSync('shaders', { recursive: true }).map(String).filter((f) => f.endsWith('.wgsl'));
    expect(files.length).toBeGreaterThan(10);
    for (const file of files) {
      const source = readFileSync(`shaders/${file}`, 'utf8');
      const stripped = stripWgsl(source);
      expect(stripped.split('\n').length, file).toBe(source.split('\n').length);
      expect(stripped, file).not.toMatch(/\/\/|\/\*/);
      expect(stripped.length, file).toBeLessThan(source.length);
      // Code survives: every identifier of the original's first code line is still there.
      const code = source.split('\n').find((l) => /^\s*(fn|const|struct|var|@)/.test(l));
      if (code) expect(stripped).toContain(code.replace(/\/\/.*$/, '').trim());
    }
  });

  it('keeps the newlines of a block comment', () => {
    expect(stripWgsl('a /* one\ntwo */ b // c\n  d')).toBe('a\nb\nd');
  });
});
