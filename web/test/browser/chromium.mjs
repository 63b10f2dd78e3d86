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
