/** Import and export of tasks in the OpenAI fine-tuning formats (browser-safe; Node file reading is in node-files.ts). */
export { DataError, type DataIssue } from './errors.ts';
export { MAX_FILE_BYTES, MAX_LINES, type NamedText } from './jsonl.ts';
export { DATA_KINDS, detectKind, readRecords, type ChatMessage, type DataKind } from './formats.ts';
export { customTask, objectiveProblem, MAX_PROMPTS, type CustomTaskOptions, type TaskFileTexts } from './custom-task.ts';
export { exportTask, DEFAULT_FILE_NAMES, type TaskExport } from './export.ts';
export { withTaskFile, withoutTaskFile, type AddedFile } from './file-set.ts';
