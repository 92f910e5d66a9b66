/**
 * The export's files as one zip, for the page's download. fflate's streaming Zip
 * with pass-through (stored) entries: the text files are small, and leaving
 * deflate out keeps this lazily loaded chunk to a few kB. A fixed timestamp makes
 * the same run give the same bytes.
 */
import { strToU8, Zip, ZipPassThrough } from 'fflate';

const FIXED_TIME = new Date(Date.UTC(2000, 0, 1));

export function zipFiles(files: Record<string, string>, folder: string): Uint8Array {
  const chunks: Uint8Array[] = [];
  const zip = new Zip((err, chunk) => {
    if (err) throw err;
    chunks.push(chunk);
  });
  for (const [path, text] of Object.entries(files)) {
    const entry = new ZipPassThrough(`${folder}/${path}`);
    entry.mtime = FIXED_TIME;
    zip.add(entry);
    entry.push(strToU8(text), true);
  }
  zip.end();
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}
