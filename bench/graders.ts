/**
 * Graded samples per second for exact match, fuzzy_match, multi and custom JS
 * graders, at 4,096 and 65,536 samples (a large RFT step is 4,096). Each figure
 * is the median of several batches after one warm-up batch, so a grader's
 * one-off worker start-up is reported separately rather than averaged in.
 * Every grader runs in grading workers (custom JS inside QuickJS); the last
 * rows run the one-line grader the way the former sandbox did (a Node vm
 * context, which user code could escape), on one thread, to show what the
 * real boundary costs.
 */
import { availableParallelism } from 'node:os';
import vm from 'node:vm';
import type { GraderSpec, TaskItem } from '../src/engine/task.ts';
import { createGrader, EXACT_MATCH, type Sample } from '../src/graders/index.ts';

const SIZES = [4096, 65_536];

const GRADERS: Record<string, GraderSpec> = {
  exact_match: EXACT_MATCH,
  fuzzy_match: { type: 'text_similarity', evaluation_metric: 'fuzzy_match' },
  multi: {
    type: 'multi',
    graders: { exact: EXACT_MATCH, fuzzy: { type: 'text_similarity', evaluation_metric: 'fuzzy_match' } },
    calculate_output: '0.7 * exact + 0.3 * fuzzy',
  },
  one_line_js: { type: 'js', source: 'function grade(sample, item) { return sample.output_text === item.reference ? 1 : 0; }' },
  custom_js: {
    type: 'js',
    source: 'function grade(sample, item) {\n  const got = Number(sample.output_text);\n  return got === item.a + item.b ? 1 : 1 / (1 + Math.abs(got - item.a - item.b));\n}',
  },
};

/** "add"-like rows and answers: 64 prompts, answers that are right about a third of the time. */
function batch(n: number): { samples: Sample[]; items: TaskItem[] } {
  const rows: TaskItem[] = Array.from({ length: 64 }, (_, k) => {
    const a = k % 8;
    const b = Math.floor(k / 8);
    return { prompt: `${a}+${b}=`, reference: String(a + b), a, b };
  });
  const items = Array.from({ length: n }, (_, i) => rows[i % rows.length]);
  const samples = items.map((item, i) => ({ output_text: i % 3 === 0 ? String(item.reference) : String((i * 7) % 19) }));
  return { samples, items };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

export async function run(): Promise<void> {
  console.log(`graders: graded samples/s (median of 5 batches after a warm-up; ${availableParallelism()} cores for JS workers)`);
  for (const [name, spec] of Object.entries(GRADERS)) {
    const grader = createGrader(spec);
    try {
      for (const n of SIZES) {
        const { samples, items } = batch(n);
        const t0 = performance.now();
        await grader.grade(samples, items);
        const warm = performance.now() - t0;
        const times: number[] = [];
        for (let rep = 0; rep < 5; rep++) {
          const t = performance.now();
          const r = await grader.grade(samples, items);
          times.push(performance.now() - t);
          if (r.errors > 0) throw new Error(`${name}: ${r.firstError}`);
        }
        const ms = median(times);
        const rate = Math.round(n / (ms / 1000)).toLocaleString('en-US');
        console.log(`  ${name.padEnd(12)} ${String(n).padStart(6)} samples: ${rate.padStart(12)} samples/s  (${ms.toFixed(1)} ms/batch, first batch ${warm.toFixed(1)} ms)`);
      }
    } finally {
      grader.dispose?.();
    }
  }
  await formerDesign();
}

/** The former design's inner loop: user code in a vm context in this thread (escapable; for comparison only). */
function vmReference(source: string): (json: string) => string {
  const context = vm.createContext(Object.create(null));
  vm.runInContext(`${source}\n;globalThis.__grade = grade;`, context);
  return vm.runInContext(
    '(function (json) { var b = JSON.parse(json), n = b.texts.length, s = new Array(n);' +
      ' for (var i = 0; i < n; i++) s[i] = __grade(Object.freeze({ output_text: b.texts[i] }), b.items[b.itemOf[i]]);' +
      ' return JSON.stringify(s); })',
    context,
  ) as (json: string) => string;
}

async function formerDesign(): Promise<void> {
  const spec = GRADERS.one_line_js as unknown as { source: string };
  const run = vmReference(spec.source);
  for (const n of SIZES) {
    const { samples, items } = batch(n);
    const json = JSON.stringify({ texts: samples.map((s) => s.output_text), items, itemOf: items.map((_, i) => i) });
    run(json);
    const times: number[] = [];
    for (let rep = 0; rep < 5; rep++) {
      const t = performance.now();
      run(json);
      times.push(performance.now() - t);
    }
    const ms = median(times);
    console.log(`  ${'one_line_js, former vm sandbox (1 thread)'.padEnd(12)} ${String(n).padStart(6)} samples: ${Math.round(n / (ms / 1000)).toLocaleString('en-US').padStart(12)} samples/s  (${ms.toFixed(1)} ms/batch)`);
  }
}

// `npx tsx bench/graders.ts` runs it alone; bench/bench.ts imports run().
if (import.meta.url === `file://${process.argv[1]}`) await run();
