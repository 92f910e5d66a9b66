/**
 * Build-time WGSL slimming: comments and white space are half of the shaders' bytes, and the page has a
 * 300 KB gzipped budget. Every run of white space goes, except a single space between two word characters
 * (`var x`, `fn f`) or where removing it would make one token out of two (`a - -b`, `& &x`). A compile
 * error in a built page then points at line 1; read the source in shaders/ (the Node tests and the dev
 * server load it unstripped).
 */

import type { Plugin } from 'vite';

/** Operator characters whose neighbours need no space; pairs that would fuse into another token keep one. */
const OPERATOR = /[{}()[\];,.=<>+\-*/%:&|^!~@]/;
const FUSES = new Set(['--', '++', '&&', '||', '//', '/*', '*/', '<<', '>>', '->', '<=', '>=', '==', '!=', '+=', '-=', '*=', '/=', '%=', '&=', '|=', '^=']);

export function stripWgsl(source: string): string {
  // WGSL has no string literals, so "//" always starts a comment.
  const noComments = source.replace(/\/\*[\s\S]*?\*\//g, ' ').replace(/\/\/[^\n]*/g, ' ');
  return noComments.trim().replace(/\s+/g, (_run, at: number, text: string) => {
    const before = text[at - 1];
    const after = text[at + _run.length];
    if (!(OPERATOR.test(before) || OPERATOR.test(after))) return ' ';
    return FUSES.has(before + after) ? ' ' : '';
  });
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
