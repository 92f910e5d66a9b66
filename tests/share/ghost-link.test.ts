/** Share links that name ghosts: the settings travel (not the curves), each ghost is checked on its own, and a bad one costs only itself. */
import LZString from 'lz-string';
import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../../src/engine/config.ts';
import { decodeShareHash, defaultShareState, encodeShareHash, linkLimitations, shareDiff } from '../../src/share/hash-codec.ts';
import type { ShareState } from '../../src/share/run-state.ts';

const hashOf = (obj: unknown) => 'v1=' + LZString.compressToEncodedURIComponent(JSON.stringify(obj));
const withGhosts = (ghosts: ShareState['ghosts']): ShareState => ({ ...defaultShareState(), config: { ...defaultConfig(), task: 'add' }, ghosts });
const ghost = (label: string, patch: Record<string, unknown> = {}) => ({ label, config: { ...defaultConfig(), ...patch } as ShareState['config'], lanes: { rft: true, dpo: false, sft: false } });

describe('ghosts in a share link', () => {
  it('round-trip as label, config and lanes; only what differs from the defaults travels', () => {
    const state = withGhosts([ghost('KL β 0.5', { rft: { ...defaultConfig().rft, beta: 0.5 } }), ghost('seed 3', { seed: 3 })]);
    const diff = shareDiff(state) as { ghosts: unknown[] };
    expect(diff.ghosts).toEqual([
      { label: 'KL β 0.5', config: { rft: { beta: 0.5 } }, lanes: { dpo: false, sft: false } },
      { label: 'seed 3', config: { seed: 3 }, lanes: { dpo: false, sft: false } },
    ]);
    const back = decodeShareHash(encodeShareHash(state));
    expect(back.problems).toEqual([]);
    expect(back.state).toEqual(state);
  });

  it('a malformed ghost is left out with a message naming it; the other ghosts and the rest of the link load', () => {
    const d = decodeShareHash(
      hashOf({
        config: { task: 'add' },
        ghosts: [{ label: 'good', config: { seed: 4 } }, { label: 'bad β', config: { rft: { beta: -1 } } }, 7, { config: { seed: 1 } }, { label: '<img src=x onerror=alert(1)>' }],
      }),
    );
    expect(d.state.config.task).toBe('add');
    expect(d.state.ghosts?.map((g) => g.label)).toEqual(['good']);
    expect(d.state.ghosts?.[0].config.seed).toBe(4);
    expect(d.problems).toHaveLength(4);
    expect(d.problems[0]).toMatch(/^ghosts\.1 \(“bad β”\) is left out: ghosts\.1\.config\.rft\.beta/);
    expect(d.problems[1]).toMatch(/^ghosts\.2 = 7: must be an object with label, config, lanes, not a number; this ghost is left out$/);
    expect(d.problems[2]).toMatch(/^ghosts\.3 \(ghost 4\) is left out: ghosts\.3\.label = .*must be a non-empty string/);
    expect(d.problems[3]).toMatch(/^ghosts\.4 \(ghost 5\) is left out: ghosts\.4\.label: the name/);
    expect(d.problems.join(' ')).not.toContain('<img');
  });

  it('refuses ghosts that are not a list, too many ghosts, and a ghost whose grader is code', () => {
    expect(decodeShareHash(hashOf({ ghosts: { a: 1 } })).problems).toEqual([expect.stringMatching(/^ghosts = .*must be an array of earlier runs.*no ghosts are rebuilt$/)]);
    const many = decodeShareHash(hashOf({ ghosts: Array.from({ length: 7 }, (_, i) => ({ label: `g${i}` })) }));
    expect(many.state.ghosts).toHaveLength(5);
    expect(many.problems).toEqual([expect.stringMatching(/7 ghosts is more than the 5 .* the first 5 are rebuilt/)]);
    const code = decodeShareHash(hashOf({ ghosts: [{ label: 'js', config: { grader: { type: 'js', name: 'x', source: 'export function grade(){return 1}' } } }] }));
    expect(code.state.ghosts).toBeUndefined();
    expect(code.needsConsent).toBe(false);
    expect(code.problems[0]).toMatch(/ghosts\.0 \(“js”\) is left out: .*a ghost's grader may not be code/);
  });

  it('tells the sender what the ghosts cost and which cannot travel', () => {
    const state = withGhosts([ghost('a', { steps: 100 }), { ...ghost('imported'), config: { ...defaultConfig(), task: { rft_file: 'x.jsonl' } } as ShareState['config'] }]);
    const notes = linkLimitations(state);
    expect(notes).toContainEqual(expect.stringMatching(/ghost “imported” trained on imported data.*left out of the link/));
    expect(notes).toContainEqual(expect.stringMatching(/carries the ghost’s settings, not their curves.*trains it again \(100 steps in all\)/));
    expect((shareDiff(state) as { ghosts: unknown[] }).ghosts).toHaveLength(1);
  });
});
