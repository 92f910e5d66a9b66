/**
 * A plain static file server like the ones teachers use (python3 -m http.server,
 * a school's Apache): it serves a folder under a sub-path, e.g.
 * http://127.0.0.1:PORT/course/rft/, and nothing else. No cache headers, no
 * rewrites, no server-side logic. It records every request, and it can be
 * stopped for real (open keep-alive connections are cut too), to show that the
 * page then lives on its service worker alone.
 */
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, resolve, sep } from 'node:path';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.webmanifest': 'application/manifest+json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.wasm': 'application/wasm',
};

export interface SubPathServer {
  /** Where the folder is served, ending in the sub-path and a slash. */
  url: string;
  origin: string;
  /** Every request as method and path, in arrival order. */
  requests: string[];
  /** Serves another folder from now on, as when a teacher copies a new version over the old one. */
  replaceFolder(rootDir: string): void;
  /** Stops listening and cuts every open connection; afterwards nothing answers on the port. */
  stop(): Promise<void>;
}

export async function serveUnderSubPath(rootDir: string, subPath: string): Promise<SubPathServer> {
  if (!/^\/([\w.-]+\/)+$/.test(subPath)) throw new Error(`sub-path must look like /course/rft/ (got ${JSON.stringify(subPath)})`);
  let root = resolve(rootDir);
  const requests: string[] = [];
  const server: Server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    requests.push(`${req.method} ${path}`);
    // Like Apache and python's http.server: a folder without its slash is redirected, so relative URLs resolve inside it.
    if (`${path}/` === subPath) {
      res.writeHead(301, { location: subPath }).end();
      return;
    }
    const file = path.startsWith(subPath) ? normalize(join(root, path.slice(subPath.length) || 'index.html')) : null;
    const inside = file !== null && file.startsWith(root + sep);
    const target = inside && existsSync(file) && statSync(file).isDirectory() ? join(file, 'index.html') : file;
    if (!inside || target === null || !existsSync(target) || !statSync(target).isFile()) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end(`not found: ${path}`);
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[extname(target)] ?? 'application/octet-stream' });
    createReadStream(target).pipe(res);
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address() as AddressInfo;
  const origin = `http://127.0.0.1:${port}`;
  let stopped: Promise<void> | null = null;
  return {
    url: `${origin}${subPath}`,
    origin,
    requests,
    replaceFolder(dir) {
      root = resolve(dir);
    },
    stop() {
      stopped ??= new Promise<void>((ok) => {
        server.close(() => ok());
        server.closeAllConnections();
      });
      return stopped;
    },
  };
}
