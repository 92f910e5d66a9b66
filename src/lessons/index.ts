/** The course: eleven lessons in order, and lookups the page and teacher links use. */
import { beyondSft } from './content/01-beyond-sft.ts';
import { howRftWorks } from './content/02-how-rft-works.ts';
import { programmableGraders } from './content/03-programmable-graders.ts';
import { rewardHacking } from './content/04-reward-hacking.ts';
import { dpo } from './content/05-dpo.ts';
import { noisyDemonstrations } from './content/06-noisy-demonstrations.ts';
import { collapseAndLeash } from './content/07-collapse-and-leash.ts';
import { whenToUseEach } from './content/08-when-to-use-each.ts';
import { practiceVsExam } from './content/09-practice-vs-exam.ts';
import { copyingMistakes } from './content/10-copying-mistakes.ts';
import { preferredLessLikely } from './content/11-preferred-less-likely.ts';
import type { Lesson, PresetRun } from './types.ts';
import type { Objective } from '../engine/config.ts';

export type * from './types.ts';

export const LESSONS: readonly Lesson[] = [
  beyondSft,
  howRftWorks,
  programmableGraders,
  rewardHacking,
  dpo,
  noisyDemonstrations,
  collapseAndLeash,
  whenToUseEach,
  practiceVsExam,
  copyingMistakes,
  preferredLessLikely,
];

export function lessonById(id: string): Lesson | undefined {
  return LESSONS.find((l) => l.id === id);
}

/** The run a lesson link or a chooser recommendation loads; a readable error names what is missing. */
export function presetRun(lessonId: string, runId?: string): PresetRun {
  const lesson = lessonById(lessonId);
  if (!lesson) throw new Error(`unknown lesson "${lessonId}" (lessons: ${LESSONS.map((l) => l.id).join(', ')})`);
  if (runId === undefined) return lesson.runs[0];
  const run = lesson.runs.find((r) => r.id === runId);
  if (!run) throw new Error(`lesson "${lessonId}" has no run "${runId}" (runs: ${lesson.runs.map((r) => r.id).join(', ')})`);
  return run;
}

/** The page's lane switches (rft / dpo / sft on or off) for a preset run. */
export function laneSwitches(run: PresetRun): Record<Objective, boolean> {
  return { rft: run.lanes.includes('rft'), dpo: run.lanes.includes('dpo'), sft: run.lanes.includes('sft') };
}
