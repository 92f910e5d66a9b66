/**
 * Turning text and charts into files the browser downloads: a Blob behind an
 * `<a download>`, the object URL revoked once the click has been handled.
 */
import { Chart } from 'chart.js';
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
    return await compose(canvas, figure, chart);
  } finally {
    if (sharpen) {
      // Unset (chart.js then follows the screen again), as createLineChart leaves it.
      (chart.options as { devicePixelRatio?: number }).devicePixelRatio = undefined;
      chart.resize();
    }
  }
}

const EXPORT_PIXEL_RATIO = 2;

function compose(canvas: HTMLCanvasElement, figure: HTMLElement | null, chart: Chart | undefined): Promise<Blob> {
  const title = figure?.querySelector('figcaption strong')?.textContent?.trim() ?? '';
  const legend: LegendEntry[] = (chart?.data.datasets ?? []).map((d) => ({
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
  if (!ctx) return new Promise((resolve, reject) => canvas.toBlob((b) => (b ? resolve(b) : reject(new Error('no PNG'))), 'image/png'));
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
  return new Promise((resolve, reject) => out.toBlob((b) => (b ? resolve(b) : reject(new Error('the browser could not make a PNG'))), 'image/png'));
}
