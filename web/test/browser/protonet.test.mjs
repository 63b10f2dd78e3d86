// The prototype-network page (web/demo/protonet/) in a real Chromium (Debian's chromium +
// playwright-core, headless), with the native `cbk classify --json` as the oracle: for picked test
// images and for a drawing made with the mouse, the page's decision, its nearest prototype and the
// distances it shows equal native; "make this drawing a prototype" makes that prototype the nearest
// at distance ~0; moving A all the way to B gives A B's distance; removing a prototype removes its
// bar; no console errors. Screenshots: build-web/screenshots/protonet.png and protonet-390.png.
//   CBK_NATIVE_CLI=build/tools/cbk node --test web/test/browser/protonet.test.mjs
// Env: CBK_PROTONET_MODEL (default models/protonet-fashion.cbk; a file inside the checkout's served
// folders: models/ or build-web/).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CHROMIUM_PATH as chromiumPath, launchChromium, watchedPage } from './chromium.mjs';
import { startServer } from '../../serve.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const cli = resolve(root, process.env.CBK_NATIVE_CLI || 'build/tools/cbk');
const buildDir = resolve(root, process.env.CBK_WEB_BUILD_DIR || 'build-web');
const model = resolve(root, process.env.CBK_PROTONET_MODEL || 'models/protonet-fashion.cbk');
const testImages = JSON.parse(readFileSync(join(root, 'web/demo/protonet/test-images.json'), 'utf8')).images
  .map((im) => ({ ...im, bytes: Buffer.from(im.pixels, 'base64') }));

// Native `cbk classify` on 28x28 byte images: [{class, name, nearest, distances}] per image.
function nativeClassify(list) {
  const path = join(mkdtempSync(join(tmpdir(), 'cbk-pn-page-')), 'images.idx');
  const header = Buffer.alloc(16);
  header.set([0, 0, 8, 3]);
  header.writeUInt32BE(list.length, 4);
  header.writeUInt32BE(28, 8);
  header.writeUInt32BE(28, 12);
  writeFileSync(path, Buffer.concat([header, ...list.map((b) => Buffer.from(b))]));
  return JSON.parse(execFileSync(cli, ['classify', model, path, '--json'], { encoding: 'utf8' })).rows;
}

let server, browser, page, base;
const problems = [];

const runs = () => page.evaluate(() => Number(document.body.dataset.runs || 0));
async function afterRun(action) {
  const n = await runs();
  await action();
  await page.waitForFunction((k) => Number(document.body.dataset.runs || 0) > k, n, { timeout: 30000 });
}

// What the page shows: the decision's class, the prototype rows (id, rank, distance text).
function shown() {
  return page.evaluate(() => ({
    cls: Number(document.getElementById('pred').dataset.cls),
    rows: [...document.querySelectorAll('#proto-list .proto-row')].map((r) => ({
      id: Number(r.dataset.id), rank: Number(r.dataset.rank), d: Number(r.querySelector('.d').textContent),
      first: r.classList.contains('rank1') })),
    distances: Array.from(window.__protonet.result.distances),
    nearest: Array.from(window.__protonet.result.nearest),
  }));
}

function assertMatchesNative(s, native, what) {
  assert.equal(s.cls, native.class, `${what}: class`);
  assert.deepEqual(s.nearest, native.nearest, `${what}: nearest prototypes`);
  const first = s.rows.find((r) => r.first);
  assert.equal(first.id, native.nearest[0], `${what}: the highlighted prototype`);
  for (const r of s.rows) {
    assert.ok(Math.abs(r.d - native.distances[r.id]) <= 0.006, `${what}: bar ${r.id} shows ${r.d}, native ${native.distances[r.id]}`);
    assert.ok(Math.abs(s.distances[r.id] - native.distances[r.id]) <= 1e-4 * Math.max(1, native.distances[r.id]));
  }
}

before(async () => {
  for (const [what, path] of [['native CLI (CBK_NATIVE_CLI)', cli], ['Chromium (CBK_CHROMIUM)', chromiumPath],
    ['WASM module (build it: tools/ci/test-web.sh)', join(buildDir, 'cbk.mjs')], ['prototype network', model]])
    assert.ok(existsSync(path), `${what} not found at ${path}`);
  ({ server, url: base } = await startServer({ root, port: 0 }));
  browser = await launchChromium();
  page = await watchedPage(browser, problems, { viewport: { width: 1440, height: 1000 } });
  await page.goto(`${base}protonet/?model=${encodeURIComponent('/' + relative(root, model))}`);
  await page.waitForFunction(() => document.body.dataset.loaded === '1' && Number(document.body.dataset.runs) >= 1,
    null, { timeout: 30000 });
});

after(async () => {
  await browser?.close();
  await new Promise((ok) => (server ? server.close(ok) : ok()));
});

test('picked test images: the decision, nearest prototypes and distances of native cbk classify', async () => {
  const picks = [0, 5, 9, 14, 19];
  const native = nativeClassify(picks.map((i) => testImages[i].bytes));
  const m = JSON.parse(execFileSync(cli, ['info', model, '--json'], { encoding: 'utf8' })).protonet.prototypes;
  for (const [k, i] of picks.entries()) {
    await afterRun(() => page.selectOption('#test-image', String(i)));
    const got = await shown();
    assert.equal(got.rows.length, m, 'one bar per prototype');
    assertMatchesNative(got, native[k], `test image ${i}`);
  }
});

test("each prototype's label is the class native cbk prototypes gives its rendered image", async () => {
  const out = execFileSync(cli, ['prototypes', model], { encoding: 'utf8' });
  const expected = new Map([...out.matchAll(/^prototype (\d+): rendered image classified as (.+?);/gm)].map((m) => [Number(m[1]), m[2]]));
  assert.ok(expected.size > 0, out);
  const labels = await page.evaluate(() => [...document.querySelectorAll('#proto-list .proto-row')].map((r) =>
    [Number(r.dataset.id), r.querySelector('.who > div').childNodes[2].textContent]));
  assert.equal(labels.length, expected.size);
  for (const [id, label] of labels) assert.equal(label, expected.get(id), `prototype ${id}`);
});

test('a drawing made with the mouse: the decision native cbk classify gives', async () => {
  await afterRun(() => page.click('#clear'));
  const box = await page.locator('#pad').boundingBox();
  const at = (x, y) => [box.x + (x / 28) * box.width, box.y + (y / 28) * box.height];
  // A trouser-like shape: two vertical strokes joined at the top.
  await page.mouse.move(...at(9, 4));
  await page.mouse.down();
  for (const [x, y] of [[19, 4], [19, 25], [17, 25], [15, 8], [13, 8], [11, 25], [9, 25], [9, 4]]) {
    await page.mouse.move(...at(x, y), { steps: 8 });
  }
  await page.mouse.up();
  // The pad classifies once per animation frame: two frames later the last strokes are in.
  await page.evaluate(() => new Promise((ok) => requestAnimationFrame(() => requestAnimationFrame(ok))));
  const bytes = await page.evaluate(() => Array.from(window.__protonet.pad.bytes));
  assert.ok(bytes.filter((b) => b > 0).length > 40, 'the strokes drew pixels');
  const [native] = nativeClassify([Uint8Array.from(bytes)]);
  assertMatchesNative(await shown(), native, 'the drawing');
});

test('make this drawing a prototype: that prototype becomes the nearest at distance ~0', async () => {
  await afterRun(() => page.selectOption('#test-image', '3'));
  const before = await shown();
  const target = before.nearest.at(-1);  // the farthest prototype
  await page.selectOption('#make-target', String(target));
  await afterRun(() => page.click('#make-proto'));
  const s = await shown();
  assert.equal(s.nearest[0], target);
  assert.ok(s.distances[target] < 1e-6, `distance ${s.distances[target]}`);
  const row = s.rows.find((r) => r.id === target);
  assert.ok(row.first && row.d === 0, 'its bar is highlighted and shows 0.00');
  await afterRun(() => page.click('#reset'));
});

test('moving A all the way to B gives A the distance of B; restore', async () => {
  await page.selectOption('#interp-a', '0');
  await page.selectOption('#interp-b', '1');
  await afterRun(() => page.evaluate(() => {
    const slider = document.getElementById('interp-t');
    slider.value = '1';
    slider.dispatchEvent(new Event('input'));
  }));
  const s = await shown();
  assert.ok(Math.abs(s.distances[0] - s.distances[1]) <= 1e-4 * Math.max(1, s.distances[1]));
  assert.match(await page.textContent('#interp-class'), /\S+ \(\d/);
  await afterRun(() => page.click('#interp-restore'));
  const r = await shown();
  assert.ok(Math.abs(r.distances[0] - s.distances[1]) > 1e-3, 'A is back');
});

test('removing a prototype removes its bar; screenshots; no console errors', async () => {
  const before = await shown();
  const id = before.nearest[0];
  await afterRun(() => page.click(`#proto-list .proto-row[data-id="${id}"] button.remove`));
  const s = await shown();
  assert.equal(s.rows.length, before.rows.length - 1);
  assert.ok(!s.rows.some((r) => r.id === id), 'its bar is gone');
  assert.ok(!s.nearest.includes(id));
  assert.equal(s.distances[id], Infinity);
  mkdirSync(join(buildDir, 'screenshots'), { recursive: true });
  await page.screenshot({ path: join(buildDir, 'screenshots/protonet.png'), fullPage: true });
  await page.setViewportSize({ width: 390, height: 844 });
  await page.waitForTimeout(200);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `the page is ${overflow} px wider than a 390 px screen`);
  await page.screenshot({ path: join(buildDir, 'screenshots/protonet-390.png'), fullPage: true });
  assert.deepEqual(problems, []);
});
