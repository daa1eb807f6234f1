// Serves a built page on loopback as a static host that compresses would: every file
// gzip -9 (Content-Encoding: gzip), never cached. For the load-time report.
//
//   import { serveGzip } from "./gzip-serve.mjs";
//   const { url, close } = await serveGzip("dist");
//
// or on its own: node scripts/gzip-serve.mjs [dist] [port]
import { createServer } from "node:http";
import { readFileSync, statSync } from "node:fs";
import { extname, join, normalize, resolve } from "node:path";
import { gzipSync } from "node:zlib";

const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".wasm": "application/wasm",
  ".json": "application/json",
  ".svg": "image/svg+xml",
  ".png": "image/png",
};

/** Serves `dist` gzip-compressed on 127.0.0.1 (a free port unless given). */
export function serveGzip(dist, port = 0) {
  const root = resolve(dist);
  const cache = new Map();
  const server = createServer((req, res) => {
    try {
      let file = normalize(join(root, decodeURIComponent(new URL(req.url, "http://localhost").pathname)));
      if (!file.startsWith(root)) return res.writeHead(403).end();
      if (statSync(file, { throwIfNoEntry: false })?.isDirectory()) file = join(file, "index.html");
      if (!cache.has(file)) cache.set(file, gzipSync(readFileSync(file), { level: 9 }));
      res.writeHead(200, {
        "content-type": TYPES[extname(file)] ?? "application/octet-stream",
        "content-encoding": "gzip",
        "cache-control": "no-store",
      });
      res.end(cache.get(file));
    } catch {
      res.writeHead(404, { "content-type": "text/plain" }).end("not found");
    }
  });
  return new Promise((done) => {
    server.listen(port, "127.0.0.1", () => {
      done({
        url: `http://127.0.0.1:${server.address().port}/`,
        close: () => new Promise((closed) => server.close(closed)),
      });
    });
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { url } = await serveGzip(process.argv[2] ?? "dist", Number(process.argv[3] ?? 8090));
  console.log(`serving ${process.argv[2] ?? "dist"} gzip-compressed on ${url}`);
}
