// Reading the demo page (web/demo/) in the Chromium tests: runs finished, what the code grid shows,
// and the comparison with a `cbk generate --json` result.
import assert from 'node:assert/strict';

// Finished generations (the page counts them in body[data-runs]).
export const runs = (page) => page.evaluate(() => Number(document.body.dataset.runs || 0));
export async function waitRuns(page, n) {
  await page.waitForFunction((k) => Number(document.body.dataset.runs || 0) >= k, n, { timeout: 30000 });
}

// What the grid shows: token ids by row, and each column's code ids per row (slot order).
export async function rendered(page) {
  return page.evaluate(() => {
    const tokens = [...document.querySelectorAll('#grid tbody tr')].map((tr) => Number(tr.dataset.token));
    const cols = {};
    for (const td of document.querySelectorAll('#grid td.cell')) {
      (cols[td.dataset.col] ??= [])[Number(td.dataset.pos)] = td.dataset.codes === '' ? [] : td.dataset.codes.split(',').map(Number);
    }
    const columns = window.__demo.columns.map((c) => ({ layer: c.layer, site: c.site, group: c.group }));
    return { tokens, cols, columns, continuation: document.querySelector('#cont-steered, #cont-plain')?.dataset };
  });
}

export function assertMatchesNative(shown, gold, what) {
  assert.deepEqual(shown.tokens, gold.tokens, `${what}: token ids`);
  assert.equal(shown.columns.length, gold.codes.length, `${what}: one grid column per codebook group`);
  gold.codes.forEach((g, i) => {
    const c = shown.columns[i];
    assert.deepEqual([c.layer, c.site, c.group], [g.layer, g.site, g.group], `${what}: column ${i}`);
    assert.deepEqual(shown.cols[i], g.ids, `${what}: codes of L${g.layer} ${g.site} g${g.group}`);
  });
}
