/**
 * Records the golden files from the CLI itself (a child process, as a user
 * runs it): `npx tsx tests/golden/make.ts`. Run it only when a change of
 * output is intended, and say so in the commit.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { goldenCases } from './cases.ts';

const tmp = mkdtempSync(join(tmpdir(), 'rft-golden-'));
for (const c of goldenCases()) {
  let configPath = typeof c.config === 'string' ? c.config : join(tmp, `${c.name}.json`);
  if (typeof c.config !== 'string') writeFileSync(configPath, JSON.stringify(c.config));
  const out = join('tests/golden', `${c.name}.jsonl`);
  const args = ['--import', 'tsx', 'src/cli/train.ts', '--config', configPath, '--backend', 'cpu', '--steps', String(c.steps), '--out', out];
  if (c.dump) args.push('--dump-policy', join('tests/golden', `${c.name}.policy.json`));
  const r = spawnSync(process.execPath, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${c.name}: exit ${r.status}: ${r.stderr}`);
  process.stdout.write(`${c.name}: ${readFileSync(out, 'utf8').length} bytes\n`);
}
