/** The CLI's task resolution: built-in ids, or task files in the OpenAI fine-tuning formats (paths relative to the config file). */
import type { Config } from '../engine/config.ts';
import { resolveTask } from '../engine/setup.ts';
import type { Task } from '../engine/task.ts';

export function resolveCliTask(config: Config, _configPath: string | undefined): Task {
  return resolveTask(config);
}
