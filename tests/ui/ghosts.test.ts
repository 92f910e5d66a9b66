/** Ghosts: earlier runs kept on the charts — labels, eviction, pinning, the page's hook on Reset and presets, chart lines, exports. */
import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../../src/engine/config.ts';
import { CURRENT_RUN, metricsToCsv, metricsToJson } from '../../src/share/export.ts';
import { ghostLines, sharedCharts } from '../../src/ui/chart-specs.ts';
import { addGhost, clearGhosts, diffLabel, GHOST_DASHES, type Ghost, ghostLabel, hasRecords, MAX_GHOSTS, removeGhost, updateGhost } from '../../src/ui/ghosts.ts';
import { MetricHistory } from '../../src/ui/metric-history.ts';
import { Playground } from '../../src/ui/playground.svelte.ts';
import { EVAL_DASH, LANE_STYLE } from '../../src/ui/chart-specs.ts';
import type { LaneRecord, RunDefinition, RunInfo } from '../../src/worker/protocol.ts';
import { EXACT_MATCH_SPEC } from '../../src/lessons/content/graders.ts';

const lanes = { rft: true, dpo: true, sft: true };
const def = (patch: Record<string, unknown> = {}, l = lanes): RunDefinition => ({ config: { ...defaultConfig(), ...patch } as RunDefinition['config'], lanes: l });
const rec = (step: number, reward: number, extra: Record<string, number> = {}): LaneRecord =>
  ({ step, loss: 1 - reward, reward, kl: 0.1 * step, entropy: 1, samples_drawn: step * 10, labelled_examples: step, ...extra }) as unknown as LaneRecord;
const ghost = (id: number, patch: Partial<Ghost> = {}): Omit<Ghost, 'slot'> => ({ id, label: `g${id}`, definition: def(), records: { rft: [rec(1, 0.1), rec(2, 0.3)] }, hidden: false, pinned: false, ...patch });

describe('ghost labels say what differed', () => {
  it('names a changed knob with the ghost’s value', () => {
    const before = def({ rft: { ...defaultConfig().rft, beta: 0.5 } });
    expect(diffLabel(before, def())).toBe('KL β 0.5');
  });
  it('names a grader swap by the ghost’s grader, whole, not leaf by leaf', () => {
    expect(diffLabel(def({ grader: EXACT_MATCH_SPEC }), def())).toBe('grader: exact match');
    expect(diffLabel(def(), def({ grader: EXACT_MATCH_SPEC }))).toBe('grader: task default');
  });
  it('names the task, the lanes, and cuts a long list short', () => {
    expect(diffLabel(def({ task: 'add' }), def())).toBe('task: add');
    expect(diffLabel(def({}, { rft: true, dpo: false, sft: false }), def())).toBe('lanes: RFT only');
    const many = def({ seed: 3, steps: 50, temperature: 0.5, num_generations: 4 });
    expect(diffLabel(many, def())).toMatch(/ \+ 1 more$/);
  });
  it('ignores what only says where the maths ran', () => {
    expect(diffLabel(def({ backend: 'cpu' }), def({ backend: 'webgpu' }))).toBeNull();
  });
  it('prefers the preset’s name; the same settings again read “run N”', () => {
    expect(ghostLabel(def({ seed: 1 }), def(), 'Grader: contains the answer', 1)).toBe('Grader: contains the answer');
    expect(ghostLabel(def(), def(), null, 2)).toBe('run 2 (same settings)');
    expect(ghostLabel(def(), def(), 'x'.repeat(200), 1)).toHaveLength(80);
  });
});

describe('the ghost list', () => {
  it(`keeps at most ${MAX_GHOSTS}: the oldest unpinned one makes room`, () => {
    let list: Ghost[] = [];
    for (let i = 1; i <= MAX_GHOSTS; i++) list = addGhost(list, ghost(i, { pinned: i === 1 })).ghosts;
    const r = addGhost(list, ghost(6));
    expect(r.ghosts.map((g) => g.id)).toEqual([1, 3, 4, 5, 6]);
    expect(r.evicted?.id).toBe(2);
    // The newcomer takes the evicted one's dash: no two ghosts on a chart share one.
    expect(new Set(r.ghosts.map((g) => g.slot)).size).toBe(MAX_GHOSTS);
    expect(r.ghosts.find((g) => g.id === 6)?.slot).toBe(1);
  });
  it('refuses a new ghost, with a reason, when every kept one is pinned', () => {
    let list: Ghost[] = [];
    for (let i = 1; i <= MAX_GHOSTS; i++) list = addGhost(list, ghost(i, { pinned: true })).ghosts;
    const r = addGhost(list, ghost(6, { label: 'β 0.5' }));
    expect(r.ghosts.map((g) => g.id)).toEqual([1, 2, 3, 4, 5]);
    expect(r.refused).toMatch(/“β 0.5” was not kept.*all 5 ghosts are pinned/);
  });
  it('hides, pins, removes and clears (pinned ones survive “clear unpinned”)', () => {
    let list = addGhost([], ghost(1)).ghosts;
    list = addGhost(list, ghost(2)).ghosts;
    list = updateGhost(list, 1, { hidden: true });
    list = updateGhost(list, 2, { pinned: true });
    expect(list.map((g) => [g.hidden, g.pinned])).toEqual([[true, false], [false, true]]);
    expect(clearGhosts(list, true).map((g) => g.id)).toEqual([2]);
    expect(clearGhosts(list)).toEqual([]);
    expect(removeGhost(list, 1).map((g) => g.id)).toEqual([2]);
  });
});

describe('ghost lines on the charts', () => {
  it('shadow each live line in the lane colour with a dash of their own, named “RFT reward — ghost: …”', () => {
    const g: Ghost = { ...ghost(1, { label: 'KL β 0.5', records: { rft: [rec(1, 0.2, { 'rewards/exact_match': 0 })], dpo: [rec(1, 0.4)] } }), slot: 0 };
    const [reward] = sharedCharts(['rft', 'dpo', 'sft'], ['exact_match']);
    const lines = ghostLines(reward, [g]);
    expect(lines.map((l) => l.label)).toEqual(['RFT reward — ghost: KL β 0.5', 'DPO reward — ghost: KL β 0.5', 'RFT · exact_match — ghost: KL β 0.5']);
    expect(lines[0].color).toBe(LANE_STYLE.rft.color);
    // The evaluation grader's ghost line shares the lane's colour with the reward's, so its dash differs.
    expect(lines[2].dash).not.toEqual(lines[0].dash);
    const used = [...Object.values(LANE_STYLE).map((s) => s.dash.join()), EVAL_DASH.join()];
    for (const d of GHOST_DASHES) expect(used).not.toContain(d.join());
  });
  it('draw a ghost’s points on every budget axis, computed once, and leave hidden ghosts out', () => {
    const h = new MetricHistory();
    const g: Ghost = { ...ghost(1), slot: 0 };
    h.ghosts = [g, { ...ghost(2, { hidden: true }), slot: 1 }];
    expect(h.visibleGhosts().map((x) => x.id)).toEqual([1]);
    expect(h.ghostPoints(g, 'rft', 'reward', 'steps')).toEqual([{ x: 1, y: 0.1 }, { x: 2, y: 0.3 }]);
    expect(h.ghostPoints(g, 'rft', 'reward', 'samples')).toEqual([{ x: 10, y: 0.1 }, { x: 20, y: 0.3 }]);
    expect(h.ghostPoints(g, 'rft', 'reward', 'steps')).toBe(h.ghostPoints(g, 'rft', 'reward', 'steps'));
    expect(h.ghostPoints(g, 'rft', 'reward', 'steps', 0.5)[1].y).toBeCloseTo((0.5 * 0.1 * 0.5 + 0.5 * 0.3) / (1 - 0.25));
    expect(h.ghostPoints(g, 'dpo', 'reward', 'steps')).toEqual([]);
  });
});

describe('what is worth keeping as a ghost', () => {
  it('a run that trained, not one that only has its step-0 held-out evaluation', () => {
    const start = { step: 0, eval_reward: 0.3, samples_drawn: 0, labelled_examples: 0 };
    expect(hasRecords({ rft: [start], sft: [start] })).toBe(false);
    expect(hasRecords({ rft: [start, rec(1, 0.5)] })).toBe(true);
    expect(hasRecords({})).toBe(false);
  });
});

/** A worker stand-in that builds a run from whatever definition it is given. */
function fakeClient() {
  const info = (d: RunDefinition): RunInfo =>
    ({ definition: d, prompts: ['abc'], demos: [], pairs: [], tokens: [], maxLen: 4, taskTitle: '', taskDescription: '', graderName: '', taskGraderName: '', backendBadge: 'CPU', backendKind: 'cpu', laneNotes: {}, importedFiles: [], heldOutFrom: 1, model: { kind: 'tabular', parameters: 12, base: null } }) as RunInfo;
  return {
    reset: async (d?: RunDefinition) => ({ ok: true, needsReset: [], run: info(d ?? def()) }),
    progress: async () => ({ step: 0, steps: 300, stepsPerSecond: 0, samplesPerSecond: 0, playing: false }),
    selectPrompt: async () => undefined,
    rerun: async (d: RunDefinition) =>
      (d.config as { seed: number }).seed === 99 ? { ok: false, error: 'the grader failed on every sample' } : { ok: true, definition: d, records: { rft: [rec(1, 0.5), rec(2, 0.9)] } },
  };
}

describe('the page keeps the replaced run as a ghost', () => {
  async function page() {
    const pg = new Playground(fakeClient() as never);
    await pg.loadRun(def());
    return pg;
  }
  const train = (pg: Playground, n = 3) => pg.history.append({ rft: Array.from({ length: n }, (_, i) => rec(i + 1, i / n)), dpo: [rec(1, 0.2)] });

  it('on Reset after a knob change, labelled by the knob and the old value', async () => {
    const pg = await page();
    train(pg);
    pg.definition = def({ rft: { ...defaultConfig().rft, beta: 0.2 } });
    await pg.reset();
    expect(pg.ghosts.map((g) => g.label)).toEqual(['KL β 0']);
    expect(pg.ghosts[0].records.rft).toHaveLength(3);
    expect(pg.history.of('rft')).toEqual([]);
    expect(pg.history.ghosts).toBe(pg.ghosts);
  });
  it('not for a run that never trained', async () => {
    const pg = await page();
    await pg.reset();
    expect(pg.ghosts).toEqual([]);
  });
  it('named by the preset it was when a lesson loads the next preset', async () => {
    const pg = await page();
    await pg.borrow('the lesson', def({ task: 'add-contains' }), { name: 'Grader: contains the answer', origin: { lesson: 'reward-hacking', run: 'lenient' } });
    train(pg);
    await pg.borrow('the lesson', def({ task: 'add-contains', grader: EXACT_MATCH_SPEC }), { name: 'Grader fixed: exact match' });
    train(pg, 2);
    // A plain Reset of the same preset keeps its name for the next ghost.
    await pg.reset();
    expect(pg.ghosts.map((g) => g.label)).toEqual(['Grader: contains the answer', 'Grader fixed: exact match']);
    expect(pg.ghosts[0].origin).toEqual({ lesson: 'reward-hacking', run: 'lenient' });
  });
  it('rebuilds ghosts from definitions (a link’s), reporting one that fails and keeping the rest', async () => {
    const pg = await page();
    const problems = await pg.rebuildGhosts([
      { label: 'β 0.5', definition: def({ seed: 1 }) },
      { label: 'broken', definition: def({ seed: 99 }) },
    ]);
    expect(pg.ghosts.map((g) => g.label)).toEqual(['β 0.5']);
    expect(problems).toEqual(['ghost “broken”: the grader failed on every sample']);
    expect(pg.ghostNote).toBeNull();
  });
  it('hide, pin, remove and clear bump the charts', async () => {
    const pg = await page();
    await pg.rebuildGhosts([{ label: 'a', definition: def() }, { label: 'b', definition: def() }]);
    const v = pg.version;
    pg.setGhostHidden(pg.ghosts[0].id, true);
    pg.setGhostPinned(pg.ghosts[1].id, true);
    expect(pg.history.visibleGhosts().map((g) => g.label)).toEqual(['b']);
    pg.clearGhosts(true);
    expect(pg.ghosts.map((g) => g.label)).toEqual(['b']);
    pg.removeGhost(pg.ghosts[0].id);
    expect(pg.ghosts).toEqual([]);
    expect(pg.version).toBeGreaterThan(v);
  });
});

describe('exports carry the ghosts', () => {
  const current = { rft: [rec(1, 0.5)] };
  const ghosts = [{ label: '=β 0.5, lenient', config: def({ seed: 2 }).config, lanes: { rft: [rec(1, 0.1), rec(2, 0.2)] } }];
  it('CSV: a run column names each row’s run (a label with commas stays one quoted field)', () => {
    const csv = metricsToCsv(current, ghosts).trim().split('\r\n');
    expect(csv[0].startsWith('run,lane,step,')).toBe(true);
    expect(csv.slice(1).map((r) => r.split(',')[0])).toEqual([CURRENT_RUN, '"ghost: =β 0.5', '"ghost: =β 0.5']);
    expect(csv[2]).toContain('"ghost: =β 0.5, lenient",rft,1,');
    expect(csv).toHaveLength(4);
  });
  it('CSV without ghosts is unchanged', () => {
    expect(metricsToCsv(current, [])).toBe(metricsToCsv(current));
    expect(metricsToCsv(current).startsWith('lane,step,')).toBe(true);
  });
  it('JSON: each ghost with its label, config and records', () => {
    const json = JSON.parse(metricsToJson(current, def().config, ghosts));
    expect(json.ghosts).toHaveLength(1);
    expect(json.ghosts[0].label).toBe('=β 0.5, lenient');
    expect(json.ghosts[0].config.seed).toBe(2);
    expect(json.ghosts[0].lanes.rft).toHaveLength(2);
    expect(JSON.parse(metricsToJson(current)).ghosts).toBeUndefined();
  });
});
