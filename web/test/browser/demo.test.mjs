// The demo page in a real Chromium (Debian's /usr/bin/chromium driven by playwright-core, headless),
// checked against the native build as the oracle: `cbk generate --json` on the same model, prompt
// and sampling gives the tokens and code ids the page must render, before and after a code is forced
// through the UI (cell click, "Force from here on"). Also: a corrupt file shows the library's status
// and the page keeps generating; no uncaught errors or console errors; screenshots (desktop and
// 390 px wide) under build-web/screenshots/.
//
//   CBK_NATIVE_CLI=build/tools/cbk node --test web/test/browser/
// Env: CBK_NATIVE_CLI (default build/tools/cbk), CBK_CHROMIUM (default /usr/bin/chromium),
// CBK_WEB_BUILD_DIR (default build-web: cbk.mjs/cbk.wasm and where the screenshots go).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CHROMIUM_PATH as chromiumPath, launchChromium, watchedPage } from './chromium.mjs';
import { startServer } from '../../serve.mjs';
import { assertMatchesNative, rendered as renderedOf, runs as runsOf, waitRuns as waitRunsOf } from './demo-page.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const cli = resolve(root, process.env.CBK_NATIVE_CLI || 'build/tools/cbk');
const buildDir = resolve(root, process.env.CBK_WEB_BUILD_DIR || 'build-web');
const model = join(root, 'models/tokfsm.cbk');

// BOS, then states 07, 33 (digit tokens 0-9); 10 new tokens greedily.
const PROMPT = [10, 0, 7, 3, 3];
const N = 10;
const CONTEXT = 128;  // the model's max_positions: "from here on" ends at position 127

function native(...extra) {
  const out = execFileSync(cli, ['generate', model, '--prompt-ids', PROMPT.join(','), '-n', String(N), '--temp', '0',
    '--seed', '0', '--json', ...extra], { encoding: 'utf8' });
  return JSON.parse(out);
}

let server, browser, page, base;
const problems = [];  // console errors and uncaught exceptions

before(async () => {
  for (const [what, path] of [['native CLI (CBK_NATIVE_CLI)', cli], ['Chromium (CBK_CHROMIUM)', chromiumPath],
    ['WASM module (build it: tools/ci/test-web.sh)', join(buildDir, 'cbk.mjs')], ['default model', model]])
    assert.ok(existsSync(path), `${what} not found at ${path}`);
  ({ server, url: base } = await startServer({ root, port: 0 }));
  browser = await launchChromium();
  page = await watchedPage(browser, problems, { viewport: { width: 1440, height: 1000 }, acceptDownloads: true });
  // Every text the load status shows, as it changes (the progress readout).
  await page.addInitScript(() => {
    window.__loadTexts = [];
    addEventListener('DOMContentLoaded', () => new MutationObserver(() => {
      const t = document.getElementById('load-text').textContent;
      if (t && !window.__loadTexts.includes(t)) window.__loadTexts.push(t);
    }).observe(document.getElementById('load-text'), { childList: true, characterData: true, subtree: true }));
  });
});

after(async () => {
  await browser?.close();
  await new Promise((ok) => (server ? server.close(ok) : ok()));
});

const runs = () => runsOf(page);
const waitRuns = (n) => waitRunsOf(page, n);
const rendered = () => renderedOf(page);

test('the default model loads, generates greedily and the grid equals native cbk generate', async () => {
  const hash = `#prompt=${PROMPT.join(',')}&ids=1&n=${N}&temp=0&topk=0&topp=1&seed=0`;
  const t0 = Date.now();
  await page.goto(base + hash);
  await waitRuns(1);
  const loadMs = Date.now() - t0;
  assert.ok(loadMs < 30000, `model load + first run took ${loadMs} ms`);
  // Load progress was shown, and the model was fetched by the worker, not by the page.
  const texts = await page.evaluate(() => window.__loadTexts);
  assert.ok(texts.some((t) => /loading tokfsm\.cbk: 7\.1 MiB of 7\.1 MiB/.test(t)), `progress readouts: ${texts.join(' | ')}`);
  assert.ok(texts.some((t) => /^loaded in /.test(t)));
  assert.deepEqual(await page.evaluate(() => performance.getEntriesByType('resource').map((e) => e.name).filter((n) => n.endsWith('.cbk'))), [],
    'the page itself never downloads the model (the worker does)');
  assert.match(await page.textContent('#model-card-body'), /gpt_neox/);
  assert.equal(await page.locator('#codebook-table tbody tr').count(), 8, 'the model card lists 8 codebooks');
  assertMatchesNative(await rendered(), native(), 'unsteered');
  assert.match(await page.textContent('#speed'), /tokens\/s/);

  // Sampled with the same seed: the same tokens and codes as native.
  const n0 = await runs();
  await page.fill('#temperature', '1');
  await page.fill('#top-k', '5');
  await page.fill('#top-p', '0.9');
  await page.fill('#seed', '7');
  await page.click('#generate');
  await waitRuns(n0 + 1);
  const sampled = JSON.parse(execFileSync(cli, ['generate', model, '--prompt-ids', PROMPT.join(','), '-n', String(N),
    '--temp', '1', '--top-k', '5', '--top-p', '0.9', '--seed', '7', '--json'], { encoding: 'utf8' }));
  assertMatchesNative(await rendered(), sampled, 'sampled');
  assert.notDeepEqual(sampled.tokens, native().tokens, 'sampling differs from greedy (test premise)');
  for (const [id, v] of [['#temperature', '0'], ['#top-k', '0'], ['#top-p', '1'], ['#seed', '0']]) await page.fill(id, v);
  await page.click('#generate');
  await waitRuns(n0 + 2);
  assertMatchesNative(await rendered(), native(), 'greedy again');

  // Filters: layer 2 shows its 4 attention-head groups and its MLP codebook; site mlp narrows to one.
  const cols = async () => page.$$eval('#grid tbody tr:first-child td.cell', (tds) => tds.map((td) => Number(td.dataset.col)));
  await page.selectOption('#filter-layer', '2');
  const layer2 = (await rendered()).columns.map((c, i) => [c, i]).filter(([c]) => c.layer === 2).map(([, i]) => i);
  assert.deepEqual(await cols(), layer2);
  await page.selectOption('#filter-site', 'mlp');
  assert.equal((await cols()).length, 1);
  await page.selectOption('#filter-layer', '');
  await page.selectOption('#filter-site', '');
  assert.equal((await cols()).length, 20);
});

test('forcing a code from a cell onward matches native --force and shows in every later cell', async () => {
  const plain = await rendered();
  // The layer-2 MLP codebook (TokFSM's state codes) at the prompt's last token.
  const col = plain.columns.findIndex((c) => c.layer === 2 && c.site === 'mlp');
  const pos = PROMPT.length - 1;
  const code = plain.cols[col][pos][0];
  const n0 = await runs();
  await page.click(`#grid td.cell[data-pos="${pos}"][data-col="${col}"]`);
  // The inspector shows the tokens the code promotes directly, as native `cbk codes --promotes`.
  const promotes = JSON.parse(execFileSync(cli, ['codes', model, '--layer', '2', '--site', 'mlp', '--group', '0',
    '--code', String(code), '--promotes', '8', '--json'], { encoding: 'utf8' })).promotes;
  await page.waitForSelector('#inspector .promotes');
  assert.equal(await page.getAttribute('#inspector .promotes', 'data-tokens'), promotes.map((x) => x.token).join(','));
  assert.deepEqual(await page.$$eval('#inspector .promotes .bar-row .p', (els) => els.map((e) => e.textContent)),
    promotes.map((x) => x.logit.toFixed(2)));
  await page.getByRole('button', { name: 'Force from here on' }).click();
  await waitRuns(n0 + 1);

  const flag = `2:mlp:0:${code}@${pos}-${CONTEXT - 1}`;
  assert.equal(await page.getAttribute('#steering-list .steer-item', 'data-spec'), `--force ${flag}`);
  const shown = await rendered();
  const gold = native('--force', flag);
  const unsteered = native();
  assert.notDeepEqual(gold.tokens, unsteered.tokens, 'forcing the code changes the continuation (test premise)');
  assertMatchesNative(shown, gold, 'steered');
  for (let p = pos; p < shown.tokens.length; ++p) assert.deepEqual(shown.cols[col][p], [code], `forced code at position ${p}`);
  // Side by side: the unsteered continuation next to the steered one, and the two distributions.
  assert.equal(await page.locator('#cont-unsteered .chip').count(), unsteered.tokens.length - PROMPT.length);
  assert.equal(await page.locator('#cont-steered .chip').count(), gold.tokens.length - PROMPT.length);
  assert.equal(await page.locator('#distributions .dist').count(), 2, 'next-token distribution before and after');
  assert.equal(await page.locator(`#grid td.cell.forced[data-col="${col}"]`).count(), gold.tokens.length - pos);

  // Editing the intervention in the steering panel re-runs at once: another code, same positions.
  const other = unsteered.codes[col].ids.slice(pos + 1).flat().find((c) => c !== code);
  await page.fill('#steering-list input.code', String(other));
  await page.press('#steering-list input.code', 'Enter');
  await waitRuns(n0 + 2);
  const edited = `2:mlp:0:${other}@${pos}-${CONTEXT - 1}`;
  assert.equal(await page.getAttribute('#steering-list .steer-item', 'data-spec'), `--force ${edited}`);
  assertMatchesNative(await rendered(), native('--force', edited), 'edited');
  assert.match(decodeURIComponent(await page.evaluate(() => location.hash)), new RegExp(`force=${edited.replace(/[*]/g, '\\*')}`),
    'the URL hash holds the intervention');

  mkdirSync(join(buildDir, 'screenshots'), { recursive: true });
  await page.screenshot({ path: join(buildDir, 'screenshots/demo.png'), fullPage: true, timeout: 90000 });

  // The link reproduces the run: a fresh tab on the same URL shows the same steered tokens.
  const p2 = await watchedPage(browser, problems, {}, 'link');
  await p2.goto(page.url());
  await p2.waitForFunction(() => Number(document.body.dataset.runs || 0) >= 1, null, { timeout: 30000 });
  assert.deepEqual(await p2.$$eval('#grid tbody tr', (rows) => rows.map((r) => Number(r.dataset.token))), native('--force', edited).tokens);
  await p2.close();
});

// `cbk fsm-demo`'s sample table: [[unsteered a, unsteered b], [steered a, steered b]].
function fsmDemoCounts(...extra) {
  const out = execFileSync(cli, ['fsm-demo', model, '--prompt', '7,33', ...extra], { encoding: 'utf8' });
  return ['unsteered', 'steered'].map((k) => {
    const m = new RegExp(`^\\s*${k}\\s+(\\d+) / 100\\s+(\\d+) / 100`, 'm').exec(out);
    assert.ok(m, `fsm-demo output has a ${k} row`);
    return [Number(m[1]), Number(m[2])];
  });
}

test('steering panel: disable, bypass and a scaled force typed as flags equal native cbk generate', async () => {
  const add = async (kind, text) => {
    const n0 = await runs();
    await page.selectOption('#steer-kind', kind);
    await page.fill('#steer-text', text);
    await page.click('#steer-add button[type=submit]');
    await waitRuns(n0 + 1);
  };
  const before = await runs();
  await page.click('#steer-clear');
  await waitRuns(before + 1);
  const plain = native();
  // Disable the layer-2 MLP code of the first generated token everywhere (keep k: re-selected).
  const col = (await rendered()).columns.findIndex((c) => c.layer === 2 && c.site === 'mlp');
  const code = plain.codes[col].ids[PROMPT.length][0];
  await add('disable', `2:mlp:0:${code}`);
  const disabled = native('--disable', `2:mlp:0:${code}`);
  assertMatchesNative(await rendered(), disabled, 'disable');
  assert.notDeepEqual(disabled.codes[col].ids, plain.codes[col].ids, 'disabling changes the selected codes (test premise)');
  assert.ok(!disabled.codes[col].ids.flat().includes(code), 'keep mode re-selects: the disabled code never fires');
  await add('bypass', '1:mlp');
  await add('force', '3:mlp:0:17@generated*1.5');
  const flags = ['--disable', `2:mlp:0:${code}`, '--bypass', '1:mlp', '--force', '3:mlp:0:17@generated*1.5'];
  assert.deepEqual(await page.$$eval('#steering-list .steer-item', (items) => items.map((i) => i.dataset.spec)),
    [`--disable 2:mlp:0:${code}`, '--bypass 1:mlp', '--force 3:mlp:0:17@generated*1.5']);
  const gold = native(...flags);
  assertMatchesNative(await rendered(), gold, 'disable + bypass + scaled force');
  // Removing every intervention brings back the unsteered run.
  const n0 = await runs();
  await page.click('#steer-clear');
  await waitRuns(n0 + 1);
  assertMatchesNative(await rendered(), plain, 'cleared');
});

test('TokFSM view: steering to a state samples the same next states as cbk fsm-demo', async () => {
  for (const mode of ['interchange', 'force']) {
    await page.selectOption('#fsm select', mode);
    await page.click('#fsm-steer');
    await page.waitForFunction((m) => {
      const h = document.querySelector('#fsm h3');
      return document.querySelector('#fsm-counts') && h && h.textContent.includes(m === 'force' ? 'forced' : 'taken from');
    }, mode, { timeout: 30000 });
    const shown = await page.$$eval('#fsm-counts tr', (rows) => rows.slice(1).map((r) => [...r.cells].slice(1).map((c) => Number(c.textContent))));
    // The prompt's states are 07, 33; the default target (as fsm-demo picks it) is 00.
    assert.match(await page.textContent('#fsm h3'), /Steered to 00/);
    assert.deepEqual(shown, fsmDemoCounts('--mode', mode), `${mode}: 100 sampled next states, unsteered and steered`);
  }
});

test('code search over the generations ranks codes and a result opens in the inspector', async () => {
  await page.fill('#search-regex', '3(3)');
  await page.click('#search-form button[type=submit]');
  await page.waitForSelector('#search-table tr.clickable');
  assert.match(await page.textContent('#search-results'), /\d+ of \d+ tokens match/);
  const first = await page.$$eval('#search-table tr.clickable', (rows) => [...rows[0].cells].map((t) => t.textContent));
  assert.equal(first.length, 6, 'codebook, code, label, precision, recall, hits');
  await page.click('#search-table tr.clickable');
  await page.waitForFunction((code) => document.querySelector('#inspector .code')?.textContent === `code ${code}`, first[1]);

  // A pasted text (20 digits; the tokenizer adds BOS) is run through the model first.
  await page.selectOption('#search-source', 'paste');
  await page.fill('#search-text', '0733' + '1588'.repeat(3) + '0733');
  await page.click('#search-form button[type=submit]');
  await page.waitForFunction(() => /of 21 tokens match/.test(document.querySelector('#search-results').textContent));
  assert.ok(await page.locator('#search-table tr.clickable').count() > 0);
  await page.selectOption('#search-source', 'run');
});

test('export: the trace JSON equals cbk generate --trace for the same steered run', async () => {
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#export-json')]);
  const got = JSON.parse(readFileSync(await download.path(), 'utf8'));
  const dir = mkdtempSync(join(tmpdir(), 'cbk-trace-'));
  const steering = await page.$$eval('#steering-list .steer-item', (items) => items.map((i) => i.dataset.spec.split(' ')));
  native('--trace', join(dir, 't.json'), ...steering.flat());
  const want = JSON.parse(readFileSync(join(dir, 't.json'), 'utf8'));
  assert.equal(got.format, want.format);
  assert.deepEqual(got.tokens, want.tokens);
  assert.equal(got.n_prompt, want.n_prompt);
  assert.equal(got.codes.length, want.codes.length);
  got.codes.forEach((g, i) => {
    const w = want.codes[i];
    assert.deepEqual([g.layer, g.site, g.group, g.ids], [w.layer, w.site, w.group, w.ids]);
    g.scores.flat().forEach((x, j) => assert.ok(Math.abs(x - w.scores.flat()[j]) <= 1e-4 * Math.max(1, Math.abs(x)), `score ${i}/${j}`));
  });
  const [csv] = await Promise.all([page.waitForEvent('download'), page.click('#export-csv')]);
  const lines = readFileSync(await csv.path(), 'utf8').trim().split('\n');
  assert.equal(lines[0], 'position,token,text,layer,site,group,slot,code,score,label');
  assert.equal(lines.length - 1, want.tokens.length * want.codes.length, 'one CSV row per token, codebook group and slot (k = 1)');
});

test('a corrupt file shows the library status and the page keeps generating', async () => {
  const n0 = await runs();
  await page.setInputFiles('#file-input', { name: 'corrupt.cbk', mimeType: 'application/octet-stream', buffer: Buffer.from('this is not a codebook model, just text\n'.repeat(4)) });
  await page.waitForSelector('#error:not([hidden])', { timeout: 15000 });
  const msg = await page.textContent('#error');
  assert.match(msg, /Cannot open corrupt\.cbk/);
  assert.match(msg, /bad_identifier|truncated/, `the library's status name is shown: ${msg}`);
  // The previous model is still loaded and generates.
  await page.click('#generate');
  await waitRuns(n0 + 1);
  const shown = await rendered();
  assert.ok(shown.tokens.length > PROMPT.length, 'the page still generates');
});

test('?model=URL with a foreign file shows its status; a model dropped on the page then opens and generates', async () => {
  const p2 = await watchedPage(browser, problems, { viewport: { width: 1200, height: 900 } }, 'page 2');
  await p2.goto(`${base}?model=/web/demo/style.css#prompt=${PROMPT.join(',')}&ids=1&n=${N}&temp=0&seed=0`);
  await p2.waitForSelector('#error:not([hidden])', { timeout: 15000 });
  const msg = await p2.textContent('#error');
  assert.match(msg, /Cannot open style\.css: bad_identifier/, msg);
  assert.equal(await p2.isDisabled('#generate'), true, 'nothing to generate with yet');
  await p2.evaluate(async () => {
    const blob = await (await fetch('/models/tokfsm.cbk')).blob();
    const dt = new DataTransfer();
    dt.items.add(new File([blob], 'dropped.cbk'));
    document.body.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
  });
  await p2.waitForFunction(() => Number(document.body.dataset.runs || 0) >= 1, null, { timeout: 30000 });
  assert.equal(await p2.isHidden('#error'), true, 'the error is cleared by the successful load');
  const tokens = await p2.$$eval('#grid tbody tr', (rows) => rows.map((r) => Number(r.dataset.token)));
  assert.deepEqual(tokens, native().tokens, 'the dropped model generates what native generates');
  await p2.close();
});

test('phone width (390 px): the page lays out in one column without horizontal overflow', async () => {
  await page.setViewportSize({ width: 390, height: 844 });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.ok(overflow <= 0, `the page scrolls sideways by ${overflow} px at 390 px`);
  await page.screenshot({ path: join(buildDir, 'screenshots/demo-390.png'), fullPage: true, timeout: 90000 });
  await page.setViewportSize({ width: 1440, height: 1000 });
});

test('no uncaught errors, no console errors, no stray null/undefined text', async () => {
  assert.deepEqual(problems, []);
  const text = await page.evaluate(() => document.body.innerText);
  assert.doesNotMatch(text, /\bnull\b|\bundefined\b|\bNaN\b|\[object /);
});
