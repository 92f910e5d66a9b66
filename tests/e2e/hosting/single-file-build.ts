/**
 * Makes sure dist-single/index.html is built from the current sources: the
 * single-file build is not part of `npm run build`, so its test builds it when
 * it is missing or older than anything it is made from (~5 s).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

export const SINGLE_FILE = 'dist-single/index.html';
const INPUTS = ['src', 'shaders', 'public', 'index.html', 'vite.single.config.ts', 'package.json', 'svelte.config.js'];

function newestChange(path: string): number {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(stat.mtimeMs, ...readdirSync(path).map((name) => newestChange(join(path, name))));
}

export function ensureSingleFileBuild(): void {
  if (existsSync(SINGLE_FILE) && statSync(SINGLE_FILE).mtimeMs > Math.max(...INPUTS.map(newestChange))) return;
  try {
    execFileSync('npx', ['vite', 'build', '-c', 'vite.single.config.ts', '--logLevel', 'warn'], { stdio: 'pipe', encoding: 'utf8' });
  } catch (e) {
    const failure = e as { stdout?: string; stderr?: string; message: string };
    throw new Error(`the single-file build failed (npx vite build -c vite.single.config.ts):\n${failure.stderr || failure.stdout || failure.message}`);
  }
}
