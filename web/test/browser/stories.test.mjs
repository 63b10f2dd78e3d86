// The demo's bundled-model chooser and topic steering (issue 14) in Chromium, with the native CLI as
// the oracle. The story model is a fixture trained here (make_stories_fixture.py: the story recipe at
// a tiny size, fixed topic codes), served as models/stories.cbk from a test root so the test does not
// depend on whether the repository bundles the real file. Checked: a missing stories.cbk gives the
// page's message and the page stays usable; the chooser switches models and keeps ?model= in the URL;
// the "Steer to" buttons are exactly the file's topics (annotations `topic: NAME` read back from the
// file by Python, plus `topic.NAME.regex` from `cbk info --json`); a button installs one force per
// topic code in slots -1, -2, ... per head at all positions, and the page then shows the tokens and
// codes of `cbk generate` with those --force flags and the same seed, different from the unsteered
// run; the continuation's text with the topic's matches marked; "no steering" restores the
// unsteered run; a link reopens the same model and run.
//
//   CBK_NATIVE_CLI=build/tools/cbk node --test web/test/browser/stories.test.mjs
// Env as demo.test.mjs, plus CBK_PYTHON (default /usr/bin/python3, with torch: trains the fixture once
// into $CBK_WEB_BUILD_DIR/test-fixtures/stories-HASH/).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CHROMIUM_PATH as chromiumPath, launchChromium, watchedPage } from './chromium.mjs';
import { startServer } from '../../serve.mjs';
import { assertMatchesNative, rendered, runs, waitRuns } from './demo-page.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const cli = resolve(root, process.env.CBK_NATIVE_CLI || 'build/tools/cbk');
const buildDir = resolve(root, process.env.CBK_WEB_BUILD_DIR || 'build-web');
const fixtureScript = join(root, 'web/test/browser/make_stories_fixture.py');
// Cached per version of the script, so an edited fixture is trained afresh.
const fixtureDir = join(buildDir, 'test-fixtures',
  'stories-' + createHash('sha256').update(readFileSync(fixtureScript)).digest('hex').slice(0, 12));
const model = join(fixtureDir, 'stories.cbk');

const PROMPT = 'Once upon a time,';
const N = 24;
const SEED = 1;

function native(...extra) {
  return JSON.parse(execFileSync(cli, ['generate', model, '-p', PROMPT, '-n', String(N), '--temp', '1', '--top-k', '0',
    '--top-p', '1', '--seed', String(SEED), '--json', ...extra], { encoding: 'utf8' }));
}

// The topics the file has, derived here from the annotations as make_stories_fixture.py read them
// from the file and the metadata as native `cbk info --json` prints it: name -> expected --force flags.
function expectedTopics() {
  const notes = JSON.parse(readFileSync(join(fixtureDir, 'stories.annotations.json'), 'utf8'));
  const info = JSON.parse(execFileSync(cli, ['info', model, '--json'], { encoding: 'utf8' }));
  const out = new Map();
  const slots = new Map();
  for (const a of notes) {
    const m = /^topic: (.+)$/.exec(a.label);
    const regex = m && info.metadata.extra[`topic.${m[1]}.regex`];
    if (!regex) continue;
    const cb = info.codebooks[a.codebook];
    const key = `${m[1]}/${a.codebook}/${a.group}`;
    const slot = (slots.get(key) || 0) + 1;
    slots.set(key, slot);
    if (slot > cb.k) continue;
    if (!out.has(m[1])) out.set(m[1], { regex, flags: [] });
    out.get(m[1]).flags.push(`${cb.layer}:${cb.site}:${a.group}:${a.code}${slot === 1 ? '' : '/-' + slot}`);
  }
  return out;
}

let server, browser, page, base, servedModels;
const problems = [];

before(async () => {
  for (const [what, path] of [['native CLI (CBK_NATIVE_CLI)', cli], ['Chromium (CBK_CHROMIUM)', chromiumPath],
    ['WASM module (build it: tools/ci/test-web.sh)', join(buildDir, 'cbk.mjs')]])
    assert.ok(existsSync(path), `${what} not found at ${path}`);
  if (!existsSync(join(fixtureDir, 'stories.annotations.json'))) {
    mkdirSync(fixtureDir, { recursive: true });
    const py = process.env.CBK_PYTHON ?? '/usr/bin/python3';
    const r = spawnSync(py, [fixtureScript, fixtureDir], { encoding: 'utf8' });
    assert.equal(r.status, 0, `make_stories_fixture.py failed: ${r.stderr}`);
  }
  // A served root of its own: the page and the module as in the checkout, models/ with TokFSM only
  // until the tests put stories.cbk there.
  const served = mkdtempSync(join(tmpdir(), 'cbk-stories-root-'));
  servedModels = join(served, 'models');
  mkdirSync(servedModels);
  symlinkSync(join(root, 'web'), join(served, 'web'));
  symlinkSync(buildDir, join(served, 'build-web'));
  symlinkSync(join(root, 'models/tokfsm.cbk'), join(servedModels, 'tokfsm.cbk'));
  ({ server, url: base } = await startServer({ root: served, port: 0 }));
  browser = await launchChromium();
  page = await watchedPage(browser, problems, { viewport: { width: 1440, height: 1000 } });
});

after(async () => {
  await browser?.close();
  await new Promise((ok) => (server ? server.close(ok) : ok()));
});

const bundleStories = () => symlinkSync(model, join(servedModels, 'stories.cbk'));
const query = () => page.evaluate(() => new URLSearchParams(location.search).get('model'));
const steering = () => page.$$eval('#steering-list .steer-item', (items) => items.map((i) => i.dataset.spec));

test('a missing models/stories.cbk gives a clear message; the chooser still opens TokFSM', async () => {
  // The server answers 404; the page says why and stays usable (and logs no console error: last test).
  await page.goto(`${base}?model=stories`);
  await page.waitForSelector('#error:not([hidden])', { timeout: 30000 });
  assert.equal(await page.getAttribute('#error', 'data-missing'), 'stories');
  const msg = await page.textContent('#error');
  assert.match(msg, /The Stories model is not available: not_found — models\/stories\.cbk is not on this server\./, msg);
  assert.match(msg, /serve the repository root/);
  assert.equal(await page.isDisabled('#generate'), true, 'nothing to generate with');
  assert.equal(await page.inputValue('#model-choice'), 'stories');
  const n0 = await runs(page);
  await page.selectOption('#model-choice', 'tokfsm');
  await waitRuns(page, n0 + 1);
  assert.equal(await page.isHidden('#error'), true, 'a successful load clears the message');
  assert.equal(await query(), 'tokfsm');
  assert.equal(await page.isHidden('#topic-row'), true, 'TokFSM has no topics');
});

test('the chooser opens Stories: its prompt, ?model=stories, one button per topic of the file', async () => {
  bundleStories();
  const n0 = await runs(page);
  await page.selectOption('#model-choice', 'stories');
  await waitRuns(page, n0 + 1);
  assert.equal(await page.textContent('#model-name'), 'stories-fixture');
  assert.equal(await page.inputValue('#prompt'), PROMPT, 'the story model starts with its own prompt');
  assert.equal(await query(), 'stories');
  const topics = expectedTopics();
  assert.deepEqual([...topics.keys()], ['dragon', 'flower', 'fire'], 'test premise: the fixture has three topics');
  assert.deepEqual(await page.$$eval('#topic-row button', (bs) => bs.map((b) => b.textContent)),
    [...[...topics.keys()].map((t) => `steer to: ${t}`), 'no steering']);

  // The unsteered run with a fixed seed equals native.
  await page.fill('#n', String(N));
  await page.fill('#temperature', '1');
  await page.fill('#seed', String(SEED));
  await page.click('#generate');
  await waitRuns(page, n0 + 2);
  assertMatchesNative(await rendered(page), native(), 'unsteered');
  // With no topic steered, the text is checked for every topic.
  assert.deepEqual(await page.$$eval('#mentions .verdict', (vs) => vs.map((v) => v.dataset.topic)), [...topics.keys()]);
});

test('steer to: dragon installs the topic forces and generates what native --force gives', async () => {
  const topics = expectedTopics();
  const plain = native();
  for (const name of ['dragon', 'flower']) {
    const { regex, flags } = topics.get(name);
    const n0 = await runs(page);
    await page.click(`#topic-row button[data-topic="${name}"]`);
    await waitRuns(page, n0 + 1);
    assert.deepEqual(await steering(), flags.map((f) => `--force ${f}`), `${name}: one panel entry per topic code`);
    if (name === 'dragon')  // head 0 twice, head 1 between them: slots count per head
      assert.deepEqual(flags, ['0:attn_preproj:0:5', '0:attn_preproj:1:3', '0:attn_preproj:0:9/-2']);
    const gold = native(...flags.flatMap((f) => ['--force', f]));
    assert.notDeepEqual(gold.tokens, plain.tokens, `${name}: steering changes the continuation (test premise)`);
    assertMatchesNative(await rendered(page), gold, `steered to ${name}`);
    assert.equal(await page.getAttribute(`#topic-row button[data-topic="${name}"]`, 'class'), 'topic active');
    // The steered continuation's text, with the topic's regex matches marked.
    const shown = await page.evaluate(() => {
      const m = document.querySelector('#mentions .mention.steered');
      return { text: m.dataset.text, marks: [...m.querySelectorAll('mark')].map((x) => x.textContent),
        verdicts: [...m.querySelectorAll('.verdict')].map((v) => [v.dataset.topic, Number(v.dataset.count)]) };
    });
    assert.equal(shown.text, gold.completion, `${name}: the steered text is native's completion`);
    const matches = [...gold.completion.matchAll(new RegExp(regex, 'gi'))].map((m) => m[0]);
    assert.deepEqual(shown.marks, matches);
    assert.deepEqual(shown.verdicts, [[name, matches.length]]);
    // The code view names the topic codes by their label: head 0's cells now hold dragon's codes.
    if (name === 'dragon') {
      const col = (await rendered(page)).columns.findIndex((c) => c.group === 0);
      assert.equal(await page.textContent(`#grid td.cell[data-pos="0"][data-col="${col}"] .lbl`), 'topic: dragon');
    }
  }
  // (Marking a text that does mention a topic: demo-logic.test.mjs; this tiny model rarely writes one.)
  const n0 = await runs(page);
  await page.click('#topic-none');
  await waitRuns(page, n0 + 1);
  assert.deepEqual(await steering(), []);
  assertMatchesNative(await rendered(page), plain, 'no steering');
  assert.equal(await page.getAttribute('#topic-none', 'class'), 'topic active');
});

test('a link reopens Stories with the steered run; screenshot', async () => {
  const n0 = await runs(page);
  await page.click('#topic-row button[data-topic="dragon"]');
  await waitRuns(page, n0 + 1);
  const p2 = await watchedPage(browser, problems, { viewport: { width: 1440, height: 1000 } }, 'link');
  await p2.goto(page.url());
  await waitRuns(p2, 1);
  assert.equal(await p2.inputValue('#model-choice'), 'stories');
  const flags = expectedTopics().get('dragon').flags;
  assertMatchesNative(await rendered(p2), native(...flags.flatMap((f) => ['--force', f])), 'reopened link');
  assert.equal(await p2.getAttribute('#topic-row button[data-topic="dragon"]', 'class'), 'topic active');
  await p2.close();
  mkdirSync(join(buildDir, 'screenshots'), { recursive: true });
  await page.screenshot({ path: join(buildDir, 'screenshots/stories-topic.png'), fullPage: true, timeout: 90000 });
  if (process.env.CBK_STORIES_SCREENSHOT) await page.screenshot({ path: process.env.CBK_STORIES_SCREENSHOT, fullPage: true, timeout: 90000 });
});

test('no uncaught errors, no console errors, no stray null/undefined text', async () => {
  assert.deepEqual(problems, []);
  const text = await page.evaluate(() => document.body.innerText);
  assert.doesNotMatch(text, /\bnull\b|\bundefined\b|\bNaN\b|\[object /);
  rmSync(join(servedModels, 'stories.cbk'));
});
