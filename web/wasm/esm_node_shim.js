// Prepended to cbk.mjs (--extern-pre-js). Emscripten 3.1.6's Node path uses CommonJS names
// (require, __dirname) that an ES module does not have; define them in Node only, so the same
// module still loads in browsers and workers.
var require, __dirname, __filename;
if (typeof process === 'object' && process.versions && process.versions.node) {
  const { createRequire } = await import('node:module');
  const { fileURLToPath } = await import('node:url');
  const { dirname } = await import('node:path');
  require = createRequire(import.meta.url);
  __filename = fileURLToPath(import.meta.url);
  __dirname = dirname(__filename);
}
