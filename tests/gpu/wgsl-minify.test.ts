import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { stripWgsl } from '../../src/gpu/wgsl-minify.ts';

/** WGSL's tokens, longest match first (numbers with suffixes, multi-character operators): what the compiler reads. */
const TOKEN = /[A-Za-z_][A-Za-z0-9_]*|0[xX][0-9a-fA-F]+[iu]?|(?:\d+\.\d*|\.\d+|\d+)(?:[eE][+-]?\d+)?[iuhf]?|<<=|>>=|->|&&|\|\||\+\+|--|<<|>>|[<>=!+\-*/%&|^]=|\S/g;
const tokens = (text: string) => text.replace(/\/\*[\s\S]*?\*\//g, ' ').replace(/\/\/[^\n]*/g, ' ').match(TOKEN) ?? [];

describe('stripWgsl (production shader slimming)', () => {
  const files = readdirSync('shaders', { recursive: true }).map(String).filter((f) => f.endsWith('.wgsl'));

  it('every shader reads as the same tokens, without comments and with at most single spaces', () => {
    expect(files.length).toBeGreaterThan(10);
    for (const file of files) {
      const source = readFileSync(`shaders/${file}`, 'utf8');
      const stripped = stripWgsl(source);
      expect(tokens(stripped), file).toEqual(tokens(source));
      expect(stripped, file).not.toMatch(/\/\/|\/\*|\s\s|\n/);
      expect(stripped.length, file).toBeLessThan(source.length * 0.8);
    }
  });

  it('keeps a space where two tokens would otherwise fuse into one', () => {
    expect(stripWgsl('let a = b - -c; // note\nlet d = e & &f;')).toBe('let a=b- -c;let d=e& &f;');
    expect(stripWgsl('var x: array<vec4<f32> > = y;')).toBe('var x:array<vec4<f32> > =y;');
    expect(stripWgsl('fn f() -> f32 { return a / *p; }')).toBe('fn f()->f32{return a/ *p;}');
    expect(stripWgsl('@compute @workgroup_size(64)\nfn main() {}')).toBe('@compute@workgroup_size(64)fn main(){}');
  });
});
