/**
 * Renders the PWA icons (public/icon-192.png, icon-512.png, icon-maskable-512.png)
 * from public/favicon.svg in the same Chromium the tests use, so the installed
 * app shows the same picture as the browser tab. Run it again after changing
 * the favicon: `npx tsx tests/e2e/hosting/render-icons.ts`.
 * Maskable icons are cropped to a circle of 80 % of their width by some
 * launchers, so that one draws the picture at 70 % on a white square.
 */
import { readFileSync } from 'node:fs';
import { launchChromium } from '../browser.ts';

const svg = readFileSync('public/favicon.svg', 'utf8');
const icons = [
  { file: 'public/icon-192.png', size: 192, scale: 1 },
  { file: 'public/icon-512.png', size: 512, scale: 1 },
  { file: 'public/icon-maskable-512.png', size: 512, scale: 0.7 },
];

const browser = await launchChromium(false);
try {
  for (const { file, size, scale } of icons) {
    const page = await browser.newPage({ viewport: { width: size, height: size } });
    const inner = Math.round(size * scale);
    const background = scale < 1 ? '#fff' : 'transparent';
    await page.setContent(
      `<body style="margin:0;width:${size}px;height:${size}px;display:grid;place-items:center;background:${background}">` +
        `<img width="${inner}" height="${inner}" src="data:image/svg+xml,${encodeURIComponent(svg)}"></body>`,
    );
    await page.screenshot({ path: file, omitBackground: scale === 1 });
    await page.close();
    console.log(`wrote ${file} (${size}×${size})`);
  }
} finally {
  await browser.close();
}
