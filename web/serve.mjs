#!/usr/bin/env node
// A tiny static server for the browser demo: loopback only, no dependencies. It serves the
// repository root (the demo in web/demo/, the JS API in web/src/, the WASM build in build-web/,
// the default model in models/) with the cross-origin isolation headers (COOP/COEP) that a
// threaded WASM build needs, and MIME types browsers insist on for .mjs and .wasm.
//
//   node web/serve.mjs [--port N] [--root DIR]      (port 0 = a free port; default 8080)
//
// Prints "serving http://127.0.0.1:PORT/web/demo/" once listening. Also importable:
// `startServer({root, port})` resolves to {server, port, url}.
import { createServer } from 'node:http';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const HOST = '127.0.0.1';
const MIME = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.cbk': 'application/octet-stream',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.txt': 'text/plain; charset=utf-8',
  '.md': 'text/plain; charset=utf-8',
  '.d.ts': 'text/plain; charset=utf-8',
};
// Only these top-level folders are served: nothing else of the checkout leaks out.
const SERVED = ['web', 'build-web', 'models'];

function headers(type, length) {
  return {
    'Content-Type': type,
    'Content-Length': String(length),
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Embedder-Policy': 'require-corp',
    'Cross-Origin-Resource-Policy': 'same-origin',
    'X-Content-Type-Options': 'nosniff',
    'Cache-Control': 'no-cache',
  };
}

function reply(res, code, text) {
  const body = Buffer.from(text + '\n');
  res.writeHead(code, headers('text/plain; charset=utf-8', body.length));
  res.end(body);
}

// The file a request path names, or null when it lies outside the served folders.
function resolvePath(root, urlPath) {
  let path;
  try {
    path = decodeURIComponent(urlPath.split('?')[0].split('#')[0]);
  } catch {
    return null;
  }
  if (path.includes('\0')) return null;
  const rel = normalize(path).replace(/^[/\\]+/, '');
  if (rel.startsWith('..') || !SERVED.includes(rel.split(/[/\\]/)[0])) return null;
  const full = resolve(root, rel);
  return full.startsWith(root + sep) ? full : null;
}

export function handler(root) {
  return async (req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return reply(res, 405, 'method not allowed');
    const urlPath = req.url || '/';
    if (urlPath === '/' || urlPath.startsWith('/?') || urlPath.startsWith('/#')) {
      res.writeHead(302, { Location: '/web/demo/' + urlPath.slice(1) });
      return res.end();
    }
    let file = resolvePath(root, urlPath);
    if (!file) return reply(res, 404, 'not found');
    let info = await stat(file).catch(() => null);
    if (info && info.isDirectory()) {
      if (!urlPath.split('?')[0].endsWith('/')) {
        const [p, q] = urlPath.split('?');
        res.writeHead(301, { Location: p + '/' + (q !== undefined ? '?' + q : '') });
        return res.end();
      }
      file = join(file, 'index.html');
      info = await stat(file).catch(() => null);
    }
    if (!info || !info.isFile()) return reply(res, 404, 'not found');
    const type = file.endsWith('.d.ts') ? MIME['.d.ts'] : MIME[extname(file)] || 'application/octet-stream';
    res.writeHead(200, headers(type, info.size));
    if (req.method === 'HEAD') return res.end();
    createReadStream(file).on('error', () => res.destroy()).pipe(res);
  };
}

export function startServer({ root, port = 0 } = {}) {
  const dir = resolve(root || join(fileURLToPath(import.meta.url), '..', '..'));
  const server = createServer(handler(dir));
  return new Promise((ok, fail) => {
    server.once('error', fail);
    server.listen(port, HOST, () => {
      const p = server.address().port;
      ok({ server, port: p, url: `http://${HOST}:${p}/web/demo/` });
    });
  });
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  let port = 8080;
  let root;
  for (let i = 0; i < args.length; ++i) {
    if (args[i] === '--port' && i + 1 < args.length) port = Number(args[++i]);
    else if (args[i] === '--root' && i + 1 < args.length) root = args[++i];
    else {
      console.error('usage: node web/serve.mjs [--port N] [--root DIR]');
      process.exit(2);
    }
  }
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error('serve.mjs: --port needs 0..65535');
    process.exit(2);
  }
  startServer({ root, port }).then(
    ({ url }) => console.log(`serving ${url}  (Ctrl-C stops)`),
    (e) => {
      console.error(`serve.mjs: ${e.message}`);
      process.exit(1);
    },
  );
}
