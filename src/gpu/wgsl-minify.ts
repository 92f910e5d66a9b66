/**
 * Build-time WGSL slimming: comments and indentation are a third of the
 * shaders' bytes, and the page has a 300 KB gzipped budget. Line breaks are
 * kept, so a compile error still points at the right line of shaders/*.wgsl.
 */
import type { Plugin } from 'vite';

export function stripWgsl(source: string): string {
  // Block comments may span lines: keep their newlines. WGSL has no string literals, so "//" always starts a comment.
  const noBlocks = source.replace(/\/\*[\s\S]*?\*\//g, (c) => c.replace(/[^\n]/g, ''));
  return noBlocks
    .split('\n')
    .map((line) => line.replace(/\/\/.*$/, '').trim())
    .join('\n');
}

/** Vite plugin: `*.wgsl?raw` imports get the stripped text (production builds only). */
export function wgslMinify(): Plugin {
  return {
    name: 'rft-playground-wgsl-minify',
    apply: 'build',
    enforce: 'pre',
    async load(id) {
      if (!/\.wgsl\?raw$/.test(id)) return null;
      const { readFile } = await import('node:fs/promises');
      const text = await readFile(id.replace(/\?raw$/, ''), 'utf8');
      return `export default ${JSON.stringify(stripWgsl(text))};`;
    },
  };
}
