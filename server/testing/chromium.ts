/** Debian's Chromium for real-browser checks (client tests, the evaluation report); nothing is downloaded. */
import { existsSync } from 'node:fs';

export const CHROMIUM_PATH = process.env.BANTER_CHROMIUM ?? '/usr/bin/chromium';

/** Headless, offline, quiet: no first-run UI, no background fetches. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export function chromiumAvailable(): boolean {
  return existsSync(CHROMIUM_PATH);
}
