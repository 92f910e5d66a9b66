/**
 * What the training session runs on in the page: the built-in tasks, the
 * graders (with source checks for custom JS), imported JSONL data and the
 * backend choice. Kept apart from the worker entry so tests run the same wiring.
 */
import { resolveTask, taskOptions } from '../engine/setup.ts';
import { createGrader, locateSourceProblems, validateGrader } from '../graders/index.ts';
import { customTask, objectiveProblem, withTaskFile, type TaskFileTexts } from '../data/index.ts';
import { TASK_SOURCES } from '../tasks/index.ts';
import { chooseBackend } from './backend-choice.ts';
import type { SessionDeps } from './session.ts';

export function playgroundDeps(notify: (message: string) => void): SessionDeps {
  return {
    tasks: TASK_SOURCES.map((t) => ({ id: t.id, title: t.title, description: t.description })),
    loadTask: resolveTask,
    createGrader,
    objectiveProblem,
    chooseBackend: (pref, state, config) => chooseBackend(pref, state, notify, config),
    async validateGrader(spec) {
      // Syntax problems of custom JS come with line and column for the editor's markers.
      if (spec.type === 'js' && typeof spec.source === 'string') {
        const located = await locateSourceProblems(spec.source);
        if (located.length) return located.map(({ message, line, column }) => ({ message, line, column }));
      }
      const v = await validateGrader(spec);
      return v.ok ? [] : [{ message: v.message }];
    },
    addImportedFiles(current, files) {
      let set: TaskFileTexts = { ...current };
      for (const file of files) set = withTaskFile(set, file).files;
      return set;
    },
    loadImportedTask(config, files) {
      if (typeof config.task === 'string') throw new Error('loadImportedTask: the config names a built-in task');
      return customTask(files, { ...taskOptions(config), grader: config.task.grader ?? null, maxLen: config.task.max_len ?? null, alphabet: config.task.alphabet ?? null });
    },
  };
}
