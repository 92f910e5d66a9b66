/** The CLI's task resolution: built-in ids, or task files in the OpenAI fine-tuning formats (paths relative to the config file). */
import { dirname } from 'node:path';
import type { Config } from '../engine/config.ts';
import { resolveTask } from '../engine/setup.ts';
import type { Task } from '../engine/task.ts';
import { loadTaskFiles } from '../data/node-files.ts';

export async function resolveCliTask(config: Config, configPath: string | undefined): Promise<Task> {
  if (typeof config.task === 'string') return resolveTask(config);
  const files = await loadTaskFiles(config.task, configPath ? dirname(configPath) : process.cwd());
  return resolveTask(config, files);
}
