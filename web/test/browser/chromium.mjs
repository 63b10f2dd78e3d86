// Shared by the Chromium tests: Debian's chromium (CBK_CHROMIUM, default /usr/bin/chromium) started
// headless through playwright-core, with the flags that keep it offline and quiet.
import { chromium } from 'playwright-core';

export const CHROMIUM_PATH = process.env.CBK_CHROMIUM || '/usr/bin/chromium';

export function launchChromium() {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

// A new page of `browser` whose console errors and uncaught exceptions are appended to `problems`
// (the tests assert it stays empty); `tag` names the page in those messages.
export async function watchedPage(browser, problems, options = {}, tag = '') {
  const page = await browser.newPage(options);
  const where = tag ? ` (${tag})` : '';
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console${where}: ${m.text()}`); });
  page.on('pageerror', (e) => problems.push(`uncaught${where}: ${e.message}`));
  return page;
}
