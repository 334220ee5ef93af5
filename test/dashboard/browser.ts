import { existsSync } from "node:fs";
import { chromium, type Browser } from "playwright-core";

/**
 * Debian's Chromium (`apt-get install -y chromium`, as .ci/run does), or the one named by
 * `CHIPSET_CHROMIUM`. playwright-core drives it and downloads no browser of its own.
 */
export const CHROMIUM = process.env.CHIPSET_CHROMIUM ?? "/usr/bin/chromium";

/** Starts headless Chromium; fails saying how to install it when it is missing. */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM))
    throw new Error(
      `the dashboard's browser tests need Chromium at ${CHROMIUM}: apt-get install -y chromium (Debian), ` +
        `or set CHIPSET_CHROMIUM to a Chromium binary`,
    );
  // Headless; no sandbox, which needs a user namespace CI's root containers do not give.
  return chromium.launch({ executablePath: CHROMIUM, headless: true, chromiumSandbox: false });
}
