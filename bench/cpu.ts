/** CPU engine throughput: a full RFT step (sample + exact-match grade + update) at three batch sizes. */
import { initialState, makeLane } from '../src/engine/setup.ts';
import { benchConfig, SIZES, syntheticTask, table } from './synthetic.ts';

export async function run(): Promise<void> {
  const rows: Record<string, string | number>[] = [];
  for (const kind of ['tabular', 'autoregressive'] as const) {
    for (const candidates of SIZES) {
      const cfg = benchConfig(candidates, { policy: { kind, init_scale: 0.5 } });
      const task = syntheticTask(cfg.batch_prompts);
      const lane = makeLane(cfg, { task, state: initialState(cfg, task) });
      const warm = candidates >= 65536 ? 1 : 3;
      for (let i = 0; i < warm; i++) await lane.step();
      const budgetMs = 3000;
      let steps = 0;
      let peakRss = process.memoryUsage().rss;
      const t0 = performance.now();
      while (performance.now() - t0 < budgetMs || steps < 3) {
        const out = await lane.step();
        if (!out.ok) throw new Error(out.message);
        steps++;
        peakRss = Math.max(peakRss, process.memoryUsage().rss);
      }
      const seconds = (performance.now() - t0) / 1000;
      rows.push({
        policy: kind,
        'candidates/step': candidates,
        'steps/s': steps / seconds,
        'candidates/s': Math.round((steps * candidates) / seconds),
        'ms/step': (1000 * seconds) / steps,
        'peak RSS MB': Math.round(peakRss / 2 ** 20),
      });
    }
  }
  console.log('## CPU engine (RFT step: sample + exact-match grade + update; max_len 8, V 32)');
  console.log(table(rows));
}
