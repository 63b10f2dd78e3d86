// The DKVB demo page (web/demo/dkvb/) in a real Chromium (Debian's chromium + playwright-core,
// headless): it loads the shipped toy model, its regions and the keys it shows under the mouse
// equal the native `cbk classify --json` (the oracle), it plays the 4-task stream with the values
// trained in the page and the DKVB keeps all 8 classes while the page's MLP forgets, forcing a key
// and unlearning a class change the regions, and nothing logs an error. Screenshot:
// build-web/screenshots/dkvb.png.
//   CBK_NATIVE_CLI=build/tools/cbk node --test web/test/browser/dkvb.test.mjs
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CHROMIUM_PATH as chromiumPath, launchChromium, watchedPage } from './chromium.mjs';
import { startServer } from '../../serve.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const cli = resolve(root, process.env.CBK_NATIVE_CLI || 'build/tools/cbk');
const buildDir = resolve(root, process.env.CBK_WEB_BUILD_DIR || 'build-web');
const model = join(root, 'models/dkvb-toy.cbk');

// `cbk classify MODEL - --json` on 2-D points (float32 values, one line each): [{keys, logits}] per point.
function nativeClassify(points) {
  const input = points.map((p) => Array.from(Float32Array.from(p), String).join(' ')).join('\n') + '\n';
  const out = execFileSync(cli, ['classify', model, '-', '--json'], { input, encoding: 'utf8' });
  return JSON.parse(out).rows.map((r) => ({ keys: r.keys, logits: r.logits }));
}

let server, browser, page, base;
const problems = [];

before(async () => {
  for (const [what, path] of [['native CLI (CBK_NATIVE_CLI)', cli], ['Chromium (CBK_CHROMIUM)', chromiumPath],
    ['WASM module (build it: tools/ci/test-web.sh)', join(buildDir, 'cbk.mjs')], ['toy model', model]])
    assert.ok(existsSync(path), `${what} not found at ${path}`);
  ({ server, url: base } = await startServer({ root, port: 0 }));
  browser = await launchChromium();
  page = await watchedPage(browser, problems, { viewport: { width: 1440, height: 1000 } });
  await page.goto(base + 'dkvb/?speed=1000');
  await page.waitForFunction(() => document.body.dataset.loaded === '1', null, { timeout: 30000 });
});

after(async () => {
  await browser?.close();
  await new Promise((ok) => (server ? server.close(ok) : ok()));
});

// The argmax class of every region cell the page drew (DKVB plane), as a plain array.
const dkvbRegions = () => page.evaluate(() => Array.from(window.__dkvb.views.dkvb.cls));
const classesIn = (cls) => new Set(cls);
const changed = (a, b) => a.reduce((n, c, i) => n + (c !== b[i]), 0);

test('the toy model loads; the shipped model\'s regions and picked keys equal native cbk classify', async () => {
  assert.match(await page.textContent('#model-name'), /dkvb-toy\.cbk/);
  // Some cells of the region grid: their centres, the page's argmax class, against native.
  const sample = await page.evaluate(() => {
    const v = window.__dkvb.views.dkvb;
    const idx = Array.from({ length: 40 }, (_, i) => (i * 2371) % v.cls.length);
    return idx.map((i) => ({ point: [v.grid[2 * i], v.grid[2 * i + 1]], cls: v.cls[i] }));
  });
  const gold = nativeClassify(sample.map((s) => s.point));
  sample.forEach((s, i) => {
    const logits = gold[i].logits;
    const best = logits.every((l) => l === logits[0]) ? 255 : logits.indexOf(Math.max(...logits));  // 255: a tie, drawn grey
    assert.equal(s.cls, best, `cell at (${s.point}) shows class ${s.cls}, native says ${best}`);
  });
  // Hover: the keys the page lists for the point under the mouse equal native's for that point.
  const box = await page.locator('#dkvb-plane').boundingBox();
  await page.mouse.move(box.x + box.width * 0.3, box.y + box.height * 0.6);
  await page.waitForFunction(() => document.body.dataset.hoverKeys, null, { timeout: 5000 });
  const hover = await page.evaluate(() => ({ at: window.__dkvb.hover, keys: document.body.dataset.hoverKeys.split(',').map(Number) }));
  assert.deepEqual(hover.keys, nativeClassify([hover.at])[0].keys, `picked keys at (${hover.at})`);
  assert.ok(await page.locator('#hover-keys span').count() > 0);
});

test('playing the stream: the DKVB keeps all 8 classes, the MLP forgets', async () => {
  await page.mouse.move(0, 0);
  await page.click('#play');
  await page.waitForFunction(() => document.body.dataset.task === '4', null, { timeout: 120000 });
  const history = await page.evaluate(() => window.__dkvb.player.history);
  assert.equal(history.length, 4);
  const last = history[3];
  assert.ok(last.dkvb >= 0.95, `DKVB accuracy on all 8 classes after task 4: ${last.dkvb}`);
  assert.ok(last.mlp <= 0.5, `MLP accuracy on all 8 classes after task 4: ${last.mlp} (should have forgotten)`);
  // After each task the MLP knows about the classes seen so far at best, and forgets the older ones.
  assert.ok(history[0].mlp <= 0.3 && history[0].dkvb <= 0.3, 'after task 1 only 2 of 8 classes are known');
  assert.equal(await page.locator('#acc-table tbody tr').count(), 4);
  const regions = await dkvbRegions();
  for (let c = 0; c < 8; c++) assert.ok(regions.includes(c), `the DKVB plane shows class ${c}`);
  const mlp = await page.evaluate(() => Array.from(window.__dkvb.views.mlp.cls));
  assert.ok(classesIn(mlp).size <= 4, `the MLP plane shows only the newest classes: ${[...classesIn(mlp)]}`);
  mkdirSync(join(buildDir, 'screenshots'), { recursive: true });
  await page.screenshot({ path: join(buildDir, 'screenshots/dkvb.png'), fullPage: true, timeout: 90000 });
});

test('steering: a forced key and an unlearnt class change the regions; clearing restores them', async () => {
  const trained = await dkvbRegions();
  // Force key 0 in every head: the whole plane takes that key's vote.
  await page.selectOption('#steer-head', 'all');
  await page.fill('#steer-key', '0');
  await page.click('#force-key');
  const forced = await dkvbRegions();
  assert.ok(changed(trained, forced) > trained.length / 4, `forcing changed ${changed(trained, forced)} cells`);
  await page.click('#clear-steering');
  assert.deepEqual(await dkvbRegions(), trained, 'clearing the steering restores the regions');

  // Unlearn class 2: its pairs are masked, the class disappears from the plane, the others stay.
  await page.selectOption('#unlearn-class', '2');
  await page.click('#unlearn');
  const unlearnt = await dkvbRegions();
  assert.ok(!classesIn(unlearnt).has(2), 'class 2 is gone from the plane');
  assert.ok(Number(await page.getAttribute('#steer-status', 'data-masked')) > 0);
  const kept = trained.filter((c, i) => c !== 2 && unlearnt[i] === c).length;
  const others = trained.filter((c) => c !== 2).length;
  assert.ok(kept / others > 0.9, `the other classes keep their cells: ${kept} of ${others}`);
  await page.screenshot({ path: join(buildDir, 'screenshots/dkvb-unlearnt.png'), fullPage: true, timeout: 90000 });
  await page.click('#clear-steering');
  assert.deepEqual(await dkvbRegions(), trained);

  // Click a point of class 0 (mean (.25, .25)): the key its head picked is selected; its vote moves
  // to class 5, so that point and only cells that changed turn to class 5.
  const box = await page.locator('#dkvb-plane').boundingBox();
  const clickAt = async (x, y) => {
    await page.mouse.click(box.x + box.width * x, box.y + box.height * (1 - y));
    return page.evaluate(() => ({ at: window.__dkvb.hover, key: Number(document.getElementById('steer-key').value) }));
  };
  // The class the page's classifier gives a point now (ties: 255, as drawn).
  const classAt = (at) => page.evaluate((p) => {
    const l = Array.from(window.__dkvb.clf.classify(p).logits);
    return l.every((v) => v === l[0]) ? 255 : l.indexOf(Math.max(...l));
  }, at);
  await page.selectOption('#steer-head', '0');
  const a = await clickAt(0.25, 0.25);
  assert.deepEqual([a.key], nativeClassify([a.at])[0].keys, 'the click selects the picked key');
  assert.equal(await classAt(a.at), 0);
  await page.selectOption('#value-class', '5');
  await page.click('#edit-value');
  const edited = await dkvbRegions();
  assert.equal(await classAt(a.at), 5, 'the edited key votes for class 5');
  const moved = edited.filter((c, i) => c !== trained[i]);
  assert.ok(moved.length > 0 && moved.length < trained.length / 8, `${moved.length} cells changed`);
  assert.deepEqual([...new Set(moved)], [5], 'every changed cell is now class 5');
  await page.click('#clear-steering');
  assert.deepEqual(await dkvbRegions(), trained);

  // Swap the values of that class-0 key and a class-2 key (mean (.75, .75)): their points swap classes.
  const b = await clickAt(0.75, 0.75);
  assert.equal(await classAt(b.at), 2);
  await page.fill('#steer-key', String(a.key));
  await page.fill('#swap-key', String(b.key));
  await page.click('#swap-value');
  assert.deepEqual([await classAt(a.at), await classAt(b.at)], [2, 0]);
  assert.ok(changed(trained, await dkvbRegions()) > 0);
  await page.click('#clear-steering');
  assert.deepEqual(await dkvbRegions(), trained);

  // Dormant pairs (never used by a task) searchable again: far from the data their all-zero values
  // tie (grey cells); skipping them again restores the regions.
  await page.uncheck('#dormant-mask');
  const open = await dkvbRegions();
  assert.ok(open.filter((c) => c === 255).length > trained.length / 10, 'dormant pairs leave grey (tied) cells');
  assert.ok(!trained.includes(255));
  await page.check('#dormant-mask');
  assert.deepEqual(await dkvbRegions(), trained);
  assert.deepEqual(problems, []);
});
