import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/engine/config.ts';
import type { StepMetrics } from '../../src/engine/lane.ts';
import { configToJson, csvField, downloadName, metricColumns, metricsToCsv, metricsToJson, MIME_TYPES, toCsv } from '../../src/share/export.ts';

/**
 * An RFC 4180 reader written from the grammar, independent of the writer:
 * a field is either quoted (with "" for a quote, may hold CR, LF, comma) or
 * plain (no quote, comma, CR, LF); records end with CRLF.
 */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let i = 0;
  while (i < text.length) {
    const row: string[] = [];
    for (;;) {
      let field = '';
      if (text[i] === '"') {
        i++;
        for (;;) {
          if (i >= text.length) throw new Error('unterminated quote');
          if (text[i] === '"') {
            if (text[i + 1] === '"') {
              field += '"';
              i += 2;
            } else {
              i++;
              break;
            }
          } else field += text[i++];
        }
      } else {
        while (i < text.length && text[i] !== ',' && text[i] !== '\r') {
          if (text[i] === '"' || text[i] === '\n') throw new Error(`bare ${JSON.stringify(text[i])} at ${i}`);
          field += text[i++];
        }
      }
      row.push(field);
      if (text[i] === ',') {
        i++;
        continue;
      }
      if (text.slice(i, i + 2) !== '\r\n') throw new Error(`expected CRLF at ${i}`);
      i += 2;
      break;
    }
    rows.push(row);
  }
  return rows;
}

const rft: StepMetrics[] = [
  { step: 1, loss: 0.5, reward: 0.1, clip_ratio: 0, kl: 0 },
  { step: 2, loss: -0.25, reward: 1 / 3, clip_ratio: 0.125, kl: 1e-7 },
];
const dpo: StepMetrics[] = [{ step: 1, loss: Math.LN2, reward: 0, 'rewards/chosen': 0, 'rewards/margins': NaN }];
const sft: StepMetrics[] = [{ step: 1, loss: Infinity, reward: 0.2, mean_token_accuracy: 0.5 }];

describe('CSV', () => {
  it('quotes per RFC 4180: commas, quotes, CR and LF; CRLF between records', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
    expect(csvField('cr\rhere')).toBe('"cr\rhere"');
    expect(csvField('')).toBe('');
    expect(csvField(null)).toBe('');
    expect(csvField(undefined)).toBe('');
    const text = toCsv(['name', 'note'], [['x,y', 'he said "no"\r\nthen left'], ['', 'ok']]);
    expect(text).toBe('name,note\r\n"x,y","he said ""no""\r\nthen left"\r\n,ok\r\n');
    expect(parseCsv(text)).toEqual([
      ['name', 'note'],
      ['x,y', 'he said "no"\r\nthen left'],
      ['', 'ok'],
    ]);
  });

  it('text that a spreadsheet would run as a formula is defused; negative numbers are not', () => {
    expect(csvField('=HYPERLINK("http://x")')).toBe('"\'=HYPERLINK(""http://x"")"');
    expect(csvField('+1')).toBe("'+1");
    expect(csvField('@SUM(A1)')).toBe("'@SUM(A1)");
    expect(csvField('-x')).toBe("'-x");
    expect(csvField(-0.5)).toBe('-0.5');
  });

  it('numbers are written so they read back as the same double; NaN and infinities are spelled out', () => {
    for (const v of [0.1 + 0.2, 1 / 3, 1e-7, -123456.789, 5e-324, 0]) expect(Number(csvField(v))).toBe(v);
    expect(csvField(NaN)).toBe('NaN');
    expect(csvField(Infinity)).toBe('Infinity');
    expect(csvField(-Infinity)).toBe('-Infinity');
  });

  it('metrics: one row per lane × step, the union of columns, empty cells for metrics a lane does not log', () => {
    const lanes = { rft, dpo, sft };
    expect(metricColumns(lanes)).toEqual(['lane', 'step', 'loss', 'reward', 'clip_ratio', 'kl', 'rewards/chosen', 'rewards/margins', 'mean_token_accuracy']);
    const rows = parseCsv(metricsToCsv(lanes));
    expect(rows).toHaveLength(1 + 4);
    const header = rows[0];
    const records = rows.slice(1).map((r) => Object.fromEntries(header.map((h, i) => [h, r[i]])));
    expect(records.map((r) => [r.lane, r.step])).toEqual([
      ['rft', '1'],
      ['rft', '2'],
      ['dpo', '1'],
      ['sft', '1'],
    ]);
    // Every number written is the number logged, and a metric not logged is an empty cell.
    const source = [...rft, ...dpo, ...sft];
    records.forEach((r, k) => {
      for (const column of header.slice(1)) {
        const logged = source[k][column];
        if (logged === undefined) expect(r[column], `${r.lane} ${column}`).toBe('');
        else expect(Number(r[column])).toEqual(logged);
      }
    });
  });

  it('lanes that are off or empty add no rows; no lanes is a header-only file', () => {
    expect(metricsToCsv({ rft: [], dpo })).toBe('lane,step,loss,reward,rewards/chosen,rewards/margins\r\ndpo,1,' + Math.LN2 + ',0,0,NaN\r\n');
    expect(metricsToCsv({})).toBe('lane,step\r\n');
  });
});

describe('JSON', () => {
  it('metrics by lane, with the config, and non-finite numbers as strings rather than a silent null', () => {
    const config = loadConfig({ seed: 4 });
    const parsed = JSON.parse(metricsToJson({ rft, dpo, sft }, config));
    expect(parsed.format).toBe('rft-playground-metrics');
    expect(parsed.version).toBe(1);
    expect(parsed.config).toEqual(config);
    expect(parsed.lanes.rft).toEqual(rft);
    expect(parsed.lanes.dpo[0]['rewards/margins']).toBe('NaN');
    expect(parsed.lanes.sft[0].loss).toBe('Infinity');
    expect(Object.keys(JSON.parse(metricsToJson({ dpo })).lanes)).toEqual(['dpo']);
  });

  it('the config as pretty JSON that the engine reads back to the same config', () => {
    const config = loadConfig({ task: 'add', rft: { epsilon_high: 0.28 }, optimizer: { max_grad_norm: null } });
    const text = configToJson(config);
    expect(text.endsWith('}\n')).toBe(true);
    expect(text).toContain('\n  "rft": {\n    "advantage": "grpo",');
    expect(loadConfig(JSON.parse(text))).toEqual(config);
  });
});

describe('download names and types', () => {
  const date = new Date(2026, 10, 5, 7, 3);

  it('names say what, which task and when, and are safe on every file system', () => {
    expect(downloadName('metrics-csv', { task: 'reverse', date })).toBe('rft-playground_reverse_2026-11-05_0703_metrics.csv');
    expect(downloadName('metrics-json', { task: 'add', date })).toBe('rft-playground_add_2026-11-05_0703_metrics.json');
    expect(downloadName('config', { task: 'add', date })).toBe('rft-playground_add_2026-11-05_0703_config.json');
    expect(downloadName('chart-png', { task: 'add', date, detail: 'Reward (mean)' })).toBe('rft-playground_add_2026-11-05_0703_reward-mean.png');
    expect(downloadName('task-jsonl', { task: { sft_file: 'x.jsonl' }, date, detail: 'sft' })).toBe('rft-playground_custom_2026-11-05_0703_sft.jsonl');
    expect(downloadName('chart-png', { task: '../../etc/passwd', date, detail: 'a/b\\c:d*?"<>|' })).toBe('rft-playground_etc-passwd_2026-11-05_0703_a-b-c-d.png');
  });

  it('MIME types', () => {
    expect(MIME_TYPES).toEqual({
      'metrics-csv': 'text/csv;charset=utf-8',
      'metrics-json': 'application/json',
      config: 'application/json',
      'chart-png': 'image/png',
      'task-jsonl': 'application/jsonl',
    });
  });
});
