/** Lesson 8's chooser: every path ends in a recommendation that loads an existing experiment. */
import { describe, expect, it } from 'vitest';
import { CHOOSER_QUESTIONS, CHOOSER_START, DECISION_TABLE, RECOMMENDATIONS, resolveChooser, type Recommendation } from '../../src/lessons/chooser.ts';
import { presetRun } from '../../src/lessons/index.ts';

/** Every answer sequence from the start, depth-first. */
function allPaths(): { answers: string[]; recommendation: Recommendation }[] {
  const out: { answers: string[]; recommendation: Recommendation }[] = [];
  const walk = (answers: string[], depth: number) => {
    if (depth > CHOOSER_QUESTIONS.length) throw new Error(`chooser path ${answers.join(' → ')} is longer than the number of questions: a cycle`);
    const state = resolveChooser(answers);
    if (state.kind === 'recommendation') {
      out.push({ answers, recommendation: state.recommendation });
      return;
    }
    for (const o of state.question.options) walk([...answers, o.id], depth + 1);
  };
  walk([], 0);
  return out;
}

describe('the chooser', () => {
  it('starts with its first question', () => {
    const s = resolveChooser([]);
    expect(s.kind === 'question' && s.question.id).toBe(CHOOSER_START);
  });

  it('leads the decision-table situations to the matching method', () => {
    const method = (answers: string[]) => {
      const s = resolveChooser(answers);
      if (s.kind !== 'recommendation') throw new Error(`no recommendation after ${answers.join(', ')}`);
      return s.recommendation.method;
    };
    expect(method(['yes', 'none-or-flawed'])).toBe('rft');
    expect(method(['no', 'ideal-outputs'])).toBe('sft');
    expect(method(['no', 'comparisons'])).toBe('dpo');
  });

  it('ends every path in a recommendation whose experiment exists, and reaches every recommendation', () => {
    const paths = allPaths();
    expect(paths.length).toBeGreaterThanOrEqual(3);
    for (const p of paths) {
      const run = presetRun(p.recommendation.experiment.lesson, p.recommendation.experiment.run);
      expect(run.lanes, `${p.answers.join(' → ')}: the experiment trains the recommended method`).toContain(p.recommendation.method);
    }
    expect(new Set(paths.map((p) => p.recommendation.id))).toEqual(new Set(RECOMMENDATIONS.map((r) => r.id)));
  });

  it('gives every option exactly one destination', () => {
    for (const q of CHOOSER_QUESTIONS) for (const o of q.options) expect([o.next, o.recommend].filter((x) => x !== undefined).length, `${q.id}/${o.id}`).toBe(1);
  });

  it('explains an answer that is not an option, and extra answers', () => {
    expect(() => resolveChooser(['maybe'])).toThrow(/chooser answer 1 = "maybe" is not an option of .*\(options: yes, no\)/);
    expect(() => resolveChooser(['no', 'comparisons', 'yes'])).toThrow(/answer 2 already leads to a recommendation; 1 extra answer/);
  });

  it('sends clean examples and preferences to the transformer runs, which are tested on prompts they never trained on', () => {
    for (const answers of [['yes', 'clean'], ['no', 'comparisons']]) {
      const s = resolveChooser(answers);
      if (s.kind !== 'recommendation') throw new Error(`no recommendation after ${answers.join(', ')}`);
      const run = presetRun(s.recommendation.experiment.lesson, s.recommendation.experiment.run);
      expect(run.config.policy?.kind, answers.join(' → ')).toBe('transformer');
      expect(run.config.eval_prompts ?? 0, answers.join(' → ')).toBeGreaterThan(0);
    }
    // Preferences lead to the β that keeps the chosen answers likely, not the one that displaces them.
    const dpo = resolveChooser(['no', 'comparisons']);
    expect(dpo.kind === 'recommendation' && presetRun(dpo.recommendation.experiment.lesson, dpo.recommendation.experiment.run).config.dpo?.beta).toBe(1);
  });

  it('has one decision-table row per method', () => {
    expect(DECISION_TABLE.map((r) => r.method).sort()).toEqual(['dpo', 'rft', 'sft']);
  });
});
