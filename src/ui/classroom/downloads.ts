/**
 * Turning text and charts into files the browser downloads: a Blob behind an
 * `<a download>`, the object URL revoked once the click has been handled.
 */
import { Chart } from 'chart.js';
import { isRawTrace } from '../chart-setup.ts';
import { CHART_REFRESH } from '../redraw-scheduler.ts';

export function downloadBlob(blob: Blob, fileName: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  a.rel = 'noopener';
  a.style.display = 'none';
  document.body.append(a);
  a.click();
  a.remove();
  // Revoking at once can cancel the download in some browsers; a minute is plenty.
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

export function downloadText(text: string, fileName: string, mime: string): void {
  downloadBlob(new Blob([text], { type: mime }), fileName);
}

/** The charts on the page, by the id LineChart puts on its figure. */
export function chartCanvases(root: ParentNode = document): { id: string; canvas: HTMLCanvasElement }[] {
  const out: { id: string; canvas: HTMLCanvasElement }[] = [];
  for (const figure of root.querySelectorAll<HTMLElement>('figure[data-chart-id]')) {
    const canvas = figure.querySelector('canvas');
    if (canvas && figure.dataset.chartId) out.push({ id: figure.dataset.chartId, canvas });
  }
  return out;
}

interface LegendEntry {
  label: string;
  color: string;
  dash: number[];
}

/**
 * A chart as a PNG that reads on its own: the chart's title and a legend
 * (each line's name, colour and dash pattern) above the chart, on the page's
 * solid panel colour (chart.js draws on a transparent canvas, and dark axis
 * text on transparency is unreadable in dark image viewers and slides).
 * The chart is redrawn first: an off-screen chart skips redraws and would
 * otherwise export stale or empty.
 */
export async function chartPng(canvas: HTMLCanvasElement): Promise<Blob> {
  return toPng(await chartImage(canvas));
}

/** A chart with its title and legend, as a canvas (see `chartPng`). */
async function chartImage(canvas: HTMLCanvasElement): Promise<HTMLCanvasElement> {
  const figure = canvas.closest('figure');
  figure?.dispatchEvent(new Event(CHART_REFRESH));
  const chart = Chart.getChart(canvas);
  // At least twice the screen's resolution, so the image stays sharp on a slide; the screen's own is restored after.
  const sharpen = !!chart && chart.currentDevicePixelRatio < EXPORT_PIXEL_RATIO;
  if (sharpen) {
    chart.options.devicePixelRatio = EXPORT_PIXEL_RATIO;
    chart.resize();
  }
  try {
    return compose(canvas, figure, chart);
  } finally {
    if (sharpen) {
      // Unset (chart.js then follows the screen again), as createLineChart leaves it.
      (chart.options as { devicePixelRatio?: number }).devicePixelRatio = undefined;
      chart.resize();
    }
  }
}

const EXPORT_PIXEL_RATIO = 2;

function toPng(canvas: HTMLCanvasElement): Promise<Blob> {
  return new Promise((resolve, reject) => canvas.toBlob((b) => (b ? resolve(b) : reject(new Error('the browser could not make a PNG'))), 'image/png'));
}

/** A chart worth exporting: its lane is on and it has drawn something. */
export function chartHasData(canvas: HTMLCanvasElement): boolean {
  if (canvas.closest('[data-lane-off]')) return false;
  // Off-screen charts skip redraws: bring this one up to date before asking.
  canvas.closest('figure')?.dispatchEvent(new Event(CHART_REFRESH));
  const chart = Chart.getChart(canvas);
  return !!chart && chart.data.datasets.some((d) => !isRawTrace(d) && d.data.length > 0);
}

/**
 * Every chart worth exporting in one PNG (one download, not one per chart): a heading, then the charts,
 * each with its title and legend, two to a row (the main chart, the first, on a row of its own).
 */
export async function chartsSheetPng(canvases: readonly HTMLCanvasElement[], heading: string): Promise<Blob> {
  const images: HTMLCanvasElement[] = [];
  for (const c of canvases) images.push(await chartImage(c));
  const size = (Number(Chart.defaults.font.size) || 12) * EXPORT_PIXEL_RATIO;
  const gap = size;
  const head = size * 3;
  // Two columns as wide as the widest small chart; the main chart spans both.
  const cell = Math.max(320, ...images.slice(1).map((i) => i.width));
  const width = images.length > 1 ? 2 * cell + gap : Math.max(640, images[0].width);
  const rows: HTMLCanvasElement[][] = [images.slice(0, 1)];
  for (let i = 1; i < images.length; i += 2) rows.push(images.slice(i, i + 2));
  const cellWidth = (row: HTMLCanvasElement[]) => (row === rows[0] ? width : cell);
  const scaleOf = (img: HTMLCanvasElement, row: HTMLCanvasElement[]) => Math.min(row === rows[0] ? Infinity : 1, cellWidth(row) / img.width);
  const rowHeight = (row: HTMLCanvasElement[]) => Math.max(...row.map((img) => img.height * scaleOf(img, row)));
  const out = document.createElement('canvas');
  out.width = Math.round(width + 2 * gap);
  out.height = Math.round(head + rows.reduce((h, r) => h + rowHeight(r) + gap, 0) + gap);
  const ctx = out.getContext('2d');
  if (!ctx) throw new Error('the browser could not draw the charts');
  const style = getComputedStyle(document.documentElement);
  ctx.fillStyle = style.getPropertyValue('--panel').trim() || '#ffffff';
  ctx.fillRect(0, 0, out.width, out.height);
  ctx.fillStyle = getComputedStyle(document.body).color || '#1c2430';
  ctx.textBaseline = 'middle';
  ctx.font = `bold ${size * 1.4}px ${style.fontFamily || 'sans-serif'}`;
  ctx.fillText(heading, gap, head / 2 + gap / 2);
  let y = head + gap;
  for (const row of rows) {
    let x = gap;
    for (const img of row) {
      const k = scaleOf(img, row);
      ctx.drawImage(img, x, y, img.width * k, img.height * k);
      x += cellWidth(row) + gap;
    }
    y += rowHeight(row) + gap;
  }
  return toPng(out);
}

function compose(canvas: HTMLCanvasElement, figure: HTMLElement | null, chart: Chart | undefined): HTMLCanvasElement {
  const title = figure?.querySelector('figcaption strong')?.textContent?.trim() ?? '';
  // The faint raw traces behind smoothed lines are not lines of their own.
  const legend: LegendEntry[] = (chart?.data.datasets ?? []).filter((d) => !isRawTrace(d)).map((d) => ({
    label: String(d.label ?? ''),
    color: String(d.borderColor ?? '#000'),
    dash: (d as { borderDash?: number[] }).borderDash ?? [],
  }));
  const style = getComputedStyle(figure ?? canvas);
  const font = style.fontFamily || 'sans-serif';
  const size = Number(Chart.defaults.font.size) || 12;
  const scale = canvas.clientWidth > 0 ? canvas.width / canvas.clientWidth : 1;
  // A hidden chart (covered results, a hidden panel) has no pixels: its title and legend still export.
  const width = canvas.width / scale || 320;
  const pad = size;
  const rowHeight = size * 1.6;
  const sample = size * 2.4;

  const out = document.createElement('canvas');
  let ctx = out.getContext('2d');
  if (!ctx) return canvas;
  // Lay the legend out in rows that fit the chart's width.
  ctx.font = `${size}px ${font}`;
  const placed: { entry: LegendEntry; x: number; row: number }[] = [];
  let x = pad;
  let row = 0;
  for (const entry of legend) {
    const w = sample + size * 0.4 + ctx.measureText(entry.label).width;
    if (x > pad && x + w > width + pad) {
      x = pad;
      row++;
    }
    placed.push({ entry, x, row });
    x += w + size * 1.5;
  }
  const titleHeight = size * 1.9;
  const header = pad + titleHeight + (legend.length ? (row + 1) * rowHeight : 0);
  // A margin of `pad` all round: the chart's own canvas draws its axis labels right up to its edges.
  out.width = Math.round((width + 2 * pad) * scale);
  out.height = Math.round(canvas.height + (header + pad) * scale);
  ctx = out.getContext('2d')!;
  ctx.scale(scale, scale);
  ctx.fillStyle = style.getPropertyValue('--panel').trim() || '#ffffff';
  ctx.fillRect(0, 0, out.width / scale, out.height / scale);
  ctx.fillStyle = style.color || '#1c2430';
  ctx.textBaseline = 'middle';
  ctx.font = `bold ${size * 1.3}px ${font}`;
  ctx.fillText(title, pad, pad + titleHeight / 2);
  ctx.font = `${size}px ${font}`;
  ctx.lineWidth = 2.5;
  for (const { entry, x, row } of placed) {
    const y = pad + titleHeight + row * rowHeight + rowHeight / 2;
    ctx.strokeStyle = entry.color;
    ctx.setLineDash(entry.dash);
    ctx.beginPath();
    ctx.moveTo(x, y);
    ctx.lineTo(x + sample, y);
    ctx.stroke();
    ctx.fillText(entry.label, x + sample + size * 0.4, y);
  }
  ctx.setTransform(1, 0, 0, 1, 0, 0);
  if (canvas.width && canvas.height) ctx.drawImage(canvas, Math.round(pad * scale), Math.round(header * scale));
  return out;
}
