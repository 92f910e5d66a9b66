/**
 * Turning text and charts into files the browser downloads: a Blob behind an
 * `<a download>`, the object URL revoked once the click has been handled.
 */
import { Chart } from 'chart.js';

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

/** Decodes a data: URL (what chart.js's `toBase64Image` returns) into a Blob. */
function dataUrlToBlob(dataUrl: string): Blob {
  const comma = dataUrl.indexOf(',');
  const mime = /^data:([^;,]+)/.exec(dataUrl)?.[1] ?? 'application/octet-stream';
  const bytes = Uint8Array.from(atob(dataUrl.slice(comma + 1)), (c) => c.charCodeAt(0));
  return new Blob([bytes], { type: mime });
}

/**
 * A chart as PNG on a solid background: chart.js draws on a transparent
 * canvas, and dark axis text on transparency is unreadable in dark image
 * viewers and slides, so the chart's image is laid over the page's panel colour.
 */
export async function chartPng(canvas: HTMLCanvasElement): Promise<Blob> {
  const chart = Chart.getChart(canvas);
  const image = chart ? chart.toBase64Image('image/png', 1) : canvas.toDataURL('image/png');
  const out = document.createElement('canvas');
  out.width = canvas.width;
  out.height = canvas.height;
  const ctx = out.getContext('2d');
  if (!ctx) return dataUrlToBlob(image);
  ctx.fillStyle = getComputedStyle(canvas).getPropertyValue('--panel').trim() || '#ffffff';
  ctx.fillRect(0, 0, out.width, out.height);
  const img = new Image();
  img.src = image;
  await img.decode();
  ctx.drawImage(img, 0, 0);
  return new Promise((resolve) => out.toBlob((b) => resolve(b ?? dataUrlToBlob(image)), 'image/png'));
}
