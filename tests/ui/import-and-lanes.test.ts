/**
 * The rules around imports and lane switches, with the page's real wiring:
 * an import during a run waits for Reset (at step 0 it applies at once), a
 * lane switched off for lack of data comes back when the data arrives, and a
 * lane the user switched off stays off.
 */
import { describe, expect, it } from 'vitest';
import type { ImportedFile, RunDefinition, WorkerEvent } from '../../src/worker/protocol.ts';
import { TrainingSession } from '../../src/worker/session.ts';
import { playgroundDeps } from '../../src/worker/session-deps.ts';

const user = (content: string) => ({ role: 'user', content });
const assistant = (content: string) => ({ role: 'assistant', content });
const jsonl = (rows: unknown[]) => rows.map((r) => JSON.stringify(r)).join('\n');
const PROMPTS = ['ab', 'ba', 'aab', 'bba'];
const rev = (p: string) => [...p].reverse().join('');
const SFT: ImportedFile = { name: 'sft.jsonl', text: jsonl(PROMPTS.map((p) => ({ messages: [user(p), assistant(rev(p))] }))) };
const DPO: ImportedFile = {
  name: 'dpo.jsonl',
  text: jsonl(PROMPTS.map((p) => ({ input: { messages: [user(p)] }, preferred_output: [assistant(rev(p))], non_preferred_output: [assistant(p + 'a')] }))),
};
const RFT: ImportedFile = { name: 'rft.jsonl', text: jsonl([...PROMPTS, 'abb'].map((p) => ({ messages: [user(p)], reference: rev(p) }))) };

async function started(lanes?: Partial<RunDefinition['lanes']>) {
  const events: WorkerEvent[] = [];
  const s = new TrainingSession(playgroundDeps(() => {}));
  const info = s.start((e) => events.push(e));
  const r = await s.reset({ ...info.defaults, lanes: { ...info.defaults.lanes, ...lanes } });
  if (!r.ok) throw new Error(r.errors.join('; '));
  return { s, info, run: r.run!, events };
}

describe('importing data', () => {
  it('during a run keeps the run and says the files need a reset; Reset trains on them', async () => {
    const { s, run } = await started();
    for (let i = 0; i < 5; i++) await s.stepOnce();
    const r = await s.importData([SFT]);
    if (!r.ok) throw new Error(r.errors.join('; '));
    expect(r.run).toBeNull();
    if (r.run) return;
    expect(r.needsReset).toEqual(['task']);
    expect(r.definition.config.task).toEqual({ sft_file: 'sft.jsonl' });
    // The run goes on, on its own data.
    expect(s.progress().step).toBe(5);
    await s.stepOnce();
    expect(s.progress().step).toBe(6);
    // A knob change meanwhile still reports the waiting task.
    const u = await s.update(r.definition);
    expect(u.ok && u.needsReset).toEqual(['task']);
    const after = await s.reset(r.definition);
    if (!after.ok) throw new Error(after.errors.join('; '));
    expect(after.run!.prompts).toEqual(PROMPTS);
    expect(after.run!.prompts).not.toEqual(run.prompts);
    expect(s.progress().step).toBe(0);
  });

  it('files imported one after the other during a run add up, and a bad file is refused at once', async () => {
    const { s } = await started();
    await s.stepOnce();
    const first = await s.importData([SFT]);
    if (!first.ok || first.run) throw new Error('expected a waiting import');
    const second = await s.importData([DPO], first.definition);
    if (!second.ok || second.run) throw new Error('expected a waiting import');
    expect(second.definition.config.task).toEqual({ sft_file: 'sft.jsonl', dpo_file: 'dpo.jsonl' });
    const bad = await s.importData([{ name: 'bad.jsonl', text: '{"messages": [}' }], second.definition);
    expect(bad.ok).toBe(false);
    const after = await s.reset(second.definition);
    expect(after.ok && after.run!.importedFiles.sort()).toEqual(['dpo.jsonl', 'sft.jsonl']);
  });

  it('a failed Reset leaves the waiting files waiting and the run as it was', async () => {
    const { s } = await started();
    await s.stepOnce();
    const r = await s.importData([SFT]);
    if (!r.ok || r.run) throw new Error('expected a waiting import');
    const broken = await s.reset({ ...r.definition, config: { ...r.definition.config, grader: { type: 'string_check', operation: 'almost' } } as never });
    expect(broken.ok).toBe(false);
    expect(s.progress().step).toBe(1);
    const fixed = await s.reset(r.definition);
    expect(fixed.ok && fixed.run!.prompts).toEqual(PROMPTS);
  });
});

describe('lanes without data', () => {
  it('DPO, switched off for want of pairs, comes back on when pairs arrive', async () => {
    const { s } = await started();
    const sftOnly = await s.importData([SFT]);
    if (!sftOnly.ok || !sftOnly.run) throw new Error('expected an applied import');
    expect(sftOnly.run.definition.lanes.dpo).toBe(false);
    expect(sftOnly.run.laneNotes.dpo).toMatch(/preference pairs/);
    // The page passes back the definition it shows, with DPO off.
    const all = await s.importData([SFT, DPO, RFT], sftOnly.run.definition);
    if (!all.ok || !all.run) throw new Error('expected an applied import');
    expect(all.run.laneNotes.dpo).toBeUndefined();
    expect(all.run.definition.lanes).toEqual({ rft: true, dpo: true, sft: true });
    await s.stepOnce();
    expect(s.progress().behind).toBeUndefined();
  });

  it('also when the data comes from another task picked and Reset', async () => {
    const { s, info } = await started();
    const sftOnly = await s.importData([SFT]);
    if (!sftOnly.ok || !sftOnly.run) throw new Error('expected an applied import');
    const back = await s.reset({ ...sftOnly.run.definition, config: { ...sftOnly.run.definition.config, task: info.defaults.config.task } });
    expect(back.ok && back.run!.definition.lanes.dpo).toBe(true);
  });

  it('a lane the user switched off stays off', async () => {
    const { s, run } = await started({ dpo: false });
    const sftOnly = await s.importData([SFT], run.definition);
    if (!sftOnly.ok || !sftOnly.run) throw new Error('expected an applied import');
    const all = await s.importData([DPO], sftOnly.run.definition);
    if (!all.ok || !all.run) throw new Error('expected an applied import');
    expect(all.run.laneNotes.dpo).toBeUndefined();
    expect(all.run.definition.lanes.dpo).toBe(false);
  });

  it('a preset that switches the lane off is obeyed', async () => {
    const { s } = await started();
    const sftOnly = await s.importData([SFT]);
    if (!sftOnly.ok || !sftOnly.run) throw new Error('expected an applied import');
    const preset = await s.reset({ config: { ...sftOnly.run.definition.config, task: 'reverse' }, lanes: { rft: true, dpo: false, sft: false } });
    expect(preset.ok && preset.run!.definition.lanes).toEqual({ rft: true, dpo: false, sft: false });
  });

  it('online pairs give DPO data without a file: the lane comes back on at Reset', async () => {
    const { s } = await started();
    const sftOnly = await s.importData([SFT]);
    if (!sftOnly.ok || !sftOnly.run) throw new Error('expected an applied import');
    const def = sftOnly.run.definition;
    const online = { ...def, config: { ...def.config, dpo: { ...def.config.dpo, pairs: 'online' as const } } };
    await s.update(online);
    const r = await s.reset(online);
    if (!r.ok) throw new Error(r.errors.join('; '));
    expect(r.run!.laneNotes.dpo).toBeUndefined();
    expect(r.run!.definition.lanes.dpo).toBe(true);
  });
});

describe('a task change', () => {
  it('at step 0 applies at once: the run is rebuilt on the new task and its prompts change', async () => {
    const { s, info, run } = await started();
    const r = await s.update({ ...info.defaults, config: { ...info.defaults.config, task: 'sort' } });
    if (!r.ok) throw new Error(r.errors.join('; '));
    expect(r.rebuilt).toBe(true);
    expect(r.needsReset).toEqual([]);
    expect(r.run!.definition.config.task).toBe('sort');
    expect(r.run!.prompts).not.toEqual(run.prompts);
    expect(r.run!.taskTitle).toMatch(/sort/i);
  });

  it('mid-run waits for Reset and keeps training the old task', async () => {
    const { s, info } = await started();
    await s.stepOnce();
    const r = await s.update({ ...info.defaults, config: { ...info.defaults.config, task: 'sort' } });
    if (!r.ok) throw new Error(r.errors.join('; '));
    expect(r.rebuilt).toBeUndefined();
    expect(r.needsReset).toEqual(['task']);
    expect(r.run).toBeNull();
    expect(s.progress().step).toBe(1);
  });
});
