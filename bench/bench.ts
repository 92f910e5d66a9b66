/**
 * `npm run bench`: prints throughput tables. Each section lives in its own
 * file and exports run(); a section whose backend is missing says why and the
 * others still run.
 */
import { existsSync } from 'node:fs';

const sections = ['bundle', 'cpu', 'webgpu', 'transformer', 'graders'];
for (const name of sections) {
  const file = new URL(`./${name}.ts`, import.meta.url);
  if (!existsSync(file)) continue;
  const mod = (await import(file.href)) as { run(): Promise<void> };
  await mod.run();
  console.log();
}
process.exit(0);
