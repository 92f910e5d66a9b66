/**
 * The session with the page's real wiring (graders, JSONL import, backend
 * choice): what the worker runs, minus the worker. In Node there is no
 * navigator.gpu, so lanes run on the CPU and the badge says why.
 */
import { describe, expect, it } from 'vitest';
import { createGrader, SIMILARITY_METRICS } from '../../src/graders/index.ts';
import { GRADER_TEMPLATES } from '../../src/ui/grader-forms.ts';
import type { WorkerEvent } from '../../src/worker/protocol.ts';
import { TrainingSession } from '../../src/worker/session.ts';
import { playgroundDeps } from '../../src/worker/session-deps.ts';

async function started() {
  const notices: string[] = [];
  const events: WorkerEvent[] = [];
  const s = new TrainingSession(playgroundDeps((m) => notices.push(m)));
  const info = s.start((e) => events.push(e));
  const r = await s.reset(info.defaults);
  if (!r.ok) throw new Error(r.errors.join('; '));
  return { s, info, run: r.run!, events, notices };
}

const sftLine = (prompt: string, answer: string) => JSON.stringify({ messages: [{ role: 'user', content: prompt }, { role: 'assistant', content: answer }] });

describe('session with the page wiring', () => {
  it('lists the built-in tasks and badges the CPU with the reason', async () => {
    const { info, run } = await started();
    expect(info.tasks.map((t) => t.id)).toContain('reverse');
    expect(info.tasks.every((t) => t.title && t.description)).toBe(true);
    expect(run.backendBadge).toBe('CPU — this browser has no WebGPU');
    expect(run.backendKind).toBe('cpu');
  });

  it('a custom JS grader with a syntax error is refused with line and column; the running grader stays', async () => {
    const { s } = await started();
    const check = await s.checkGrader({ type: 'js', source: 'function grade(sample, item) {\n  return 1 +;\n}\n' });
    expect(check.ok).toBe(false);
    expect(check.problems[0]).toMatchObject({ line: 2 });
    expect(check.problems[0].message).toMatch(/SyntaxError/);
    expect((await s.gradeAnswer('zzz', 0)).score).toBe(0);
  });

  it('every template the grader panel offers builds a working grader', () => {
    for (const t of GRADER_TEMPLATES) {
      const g = createGrader(t.initial);
      expect(g.name.length, t.type).toBeGreaterThan(0);
      g.dispose?.();
    }
    const metric = GRADER_TEMPLATES.find((t) => t.type === 'text_similarity')!.fields.find((f) => f.name === 'evaluation_metric')!;
    expect(metric.options).toEqual([...SIMILARITY_METRICS]);
  });

  it('imports an SFT file, trains on it, and switches off the lanes it has no data for', async () => {
    const { s } = await started();
    const lines = ['ab', 'ba', 'aab', 'bba'].map((p) => sftLine(p, [...p].reverse().join(''))).join('\n');
    const r = await s.importData([{ name: 'mine.jsonl', text: lines }]);
    expect(r.ok).toBe(true);
    if (!r.ok || !r.run) throw new Error('at step 0 an import applies at once');
    expect(r.run.prompts).toEqual(['ab', 'ba', 'aab', 'bba']);
    expect(r.run.importedFiles).toEqual(['mine.jsonl']);
    expect(r.run.definition.config.task).toEqual({ sft_file: 'mine.jsonl' });
    // No pairs: offline DPO cannot train; RFT can (prompts + reference).
    expect(r.run.laneNotes.dpo).toMatch(/preference pairs/);
    expect(r.run.definition.lanes).toEqual({ rft: true, dpo: false, sft: true });
    await s.stepOnce();
    expect(s.progress().step).toBe(1);
  });

  it('a malformed JSONL file is refused with file and line, and the run is untouched', async () => {
    const { s, run } = await started();
    const r = await s.importData([{ name: 'broken.jsonl', text: `${sftLine('ab', 'ba')}\n{"messages": [}\n` }]);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.errors.join('\n')).toMatch(/broken\.jsonl line 2/);
    await s.stepOnce();
    const again = await s.reset();
    expect(again.ok && again.run!.prompts).toEqual(run.prompts);
  });
});
