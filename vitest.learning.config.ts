/**
 * `npm run test:learning`: the transformer's learning targets (issue 17), runs
 * of 1,500–2,000 steps that are too slow for every CI run on two cores. Each
 * file is a group of claims; files run two at a time.
 */
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/learning/**/*.learn.ts'],
    testTimeout: 4 * 60 * 60 * 1000,
    hookTimeout: 4 * 60 * 60 * 1000,
    pool: 'forks',
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
    reporters: ['verbose'],
  },
});
