/**
 * What the user takes away: metrics of every lane as CSV and JSON, the config
 * as JSON (the headless trainer reads it as is), and names and MIME types for
 * every download, PNGs and JSONL included (those bytes come from the page and
 * the data module). Pure functions returning text; the page makes the Blob.
 */
import type { Config } from '../engine/config.ts';
import type { StepMetrics } from '../engine/lane.ts';
import { LANE_IDS, type LaneId } from './run-state.ts';

export type LaneMetrics = Partial<Record<LaneId, readonly StepMetrics[]>>;

/** An earlier run kept on the charts (a ghost): what it is called, the config that made it and its records. */
export interface GhostMetrics {
  label: string;
  config: Config;
  lanes: LaneMetrics;
}

/** The `run` cell of the current run's rows when ghosts are exported beside it. */
export const CURRENT_RUN = 'current run';
export const ghostRunName = (label: string) => `ghost: ${label}`;

/** Columns every export starts with; the metrics follow in first-seen order (rft, then dpo, then sft). */
const LEADING_COLUMNS = ['lane', 'step'];

export function metricColumns(lanes: LaneMetrics): string[] {
  const seen = new Set<string>(LEADING_COLUMNS);
  for (const id of LANE_IDS) for (const record of lanes[id] ?? []) for (const key of Object.keys(record)) seen.add(key);
  return [...seen];
}

/** A number as text that parses back to the same double; NaN and infinities spelled the way pandas and spreadsheets read them. */
function numberCell(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return 'Infinity';
  if (v === -Infinity) return '-Infinity';
  return String(v);
}

/**
 * One RFC 4180 field: quoted when it holds a comma, quote, CR or LF, quotes
 * doubled. A text cell starting with = + - @ (or tab/CR) is prefixed with "'"
 * so a spreadsheet shows it instead of running it as a formula (OWASP CSV
 * injection); numbers are never prefixed, so "-0.5" stays a number.
 */
export function csvField(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return numberCell(value);
  let text = value;
  if (/^[=+\-@\t\r]/.test(text)) text = "'" + text;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** Rows to CSV text: CRLF between records and at the end, as RFC 4180 writes it. */
export function toCsv(header: readonly string[], rows: readonly (readonly (string | number | null | undefined)[])[]): string {
  return [header, ...rows].map((row) => row.map(csvField).join(',')).join('\r\n') + '\r\n';
}

/**
 * One row per lane × step; a metric a lane does not log is an empty cell. With ghosts, a first column
 * `run` says which run a row belongs to ("current run", "ghost: KL β 0.5"), the current run first.
 */
export function metricsToCsv(lanes: LaneMetrics, ghosts: readonly GhostMetrics[] = []): string {
  const runs = [{ name: CURRENT_RUN, lanes }, ...ghosts.map((g) => ({ name: ghostRunName(g.label), lanes: g.lanes }))];
  const metrics = new Set<string>();
  for (const run of runs) for (const c of metricColumns(run.lanes)) metrics.add(c);
  const columns = ghosts.length ? ['run', ...metrics] : [...metrics];
  const rows: (string | number | undefined)[][] = [];
  for (const run of ghosts.length ? runs : runs.slice(0, 1)) {
    for (const id of LANE_IDS) {
      for (const record of run.lanes[id] ?? []) {
        rows.push(columns.map((c) => (c === 'run' ? run.name : c === 'lane' ? id : (record as Record<string, number>)[c])));
      }
    }
  }
  return toCsv(columns, rows);
}

export const METRICS_FORMAT = 'rft-playground-metrics';

/**
 * Metrics as JSON: `{format, version, config?, lanes: {rft: [...], ...}, ghosts?: [{label, config, lanes}]}`.
 * JSON has no NaN or infinity; they are written as the strings "NaN",
 * "Infinity", "-Infinity" (not null, which would hide a divergence).
 */
export function metricsToJson(lanes: LaneMetrics, config?: Config, ghosts: readonly GhostMetrics[] = []): string {
  const out: Record<string, unknown> = { format: METRICS_FORMAT, version: 1 };
  if (config) out.config = config;
  const byLane = (l: LaneMetrics) => {
    const o: Record<string, unknown> = {};
    for (const id of LANE_IDS) if (l[id]) o[id] = l[id];
    return o;
  };
  out.lanes = byLane(lanes);
  if (ghosts.length) out.ghosts = ghosts.map((g) => ({ label: g.label, config: g.config, lanes: byLane(g.lanes) }));
  return JSON.stringify(out, (_key, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? numberCell(v) : v), 2) + '\n';
}

/** The config as the headless trainer reads it: `npm run train -- --config FILE.json`. */
export function configToJson(config: Config): string {
  return JSON.stringify(config, null, 2) + '\n';
}

export type DownloadKind = 'metrics-csv' | 'metrics-json' | 'config' | 'chart-png' | 'task-jsonl';

export const MIME_TYPES: Record<DownloadKind, string> = {
  'metrics-csv': 'text/csv;charset=utf-8',
  'metrics-json': 'application/json',
  config: 'application/json',
  'chart-png': 'image/png',
  // No registered type yet; application/jsonl is what OpenAI's and Hugging Face's tools send.
  'task-jsonl': 'application/jsonl',
};

const EXTENSIONS: Record<DownloadKind, string> = {
  'metrics-csv': 'metrics.csv',
  'metrics-json': 'metrics.json',
  config: 'config.json',
  'chart-png': 'png',
  'task-jsonl': 'jsonl',
};

export interface NameParts {
  /** The config's task: a built-in id, or task files (named "custom"). */
  task: Config['task'];
  /** When the file is made; names sort by time. */
  date: Date;
  /** What distinguishes files of one kind: the chart ("reward"), the data ("sft", "dpo", "rft"). */
  detail?: string;
}

/** Lower-case letters, digits and "-" only: safe on every file system and in every shell. */
function slug(text: string): string {
  return (
    text
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 40) || 'untitled'
  );
}

/** e.g. "rft-playground_reverse_2026-11-25_0653_metrics.csv", "rft-playground_add_2026-11-25_0653_reward.png". */
export function downloadName(kind: DownloadKind, parts: NameParts): string {
  const task = typeof parts.task === 'string' ? slug(parts.task) : 'custom';
  const d = parts.date;
  const pad = (n: number) => String(n).padStart(2, '0');
  const stamp = `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}_${pad(d.getHours())}${pad(d.getMinutes())}`;
  const ext = EXTENSIONS[kind];
  const detail = parts.detail ? slug(parts.detail) : null;
  // PNGs and JSONL need the detail to tell files apart; the others carry it only if given.
  const stem = ['rft-playground', task, stamp, ...(detail ? [detail] : [])].join('_');
  return kind === 'chart-png' || kind === 'task-jsonl' ? `${stem}.${ext}` : `${stem}_${ext}`;
}
