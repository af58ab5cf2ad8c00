/**
 * Headless Chromium from Debian, driven by playwright-core (never a browser download), against
 * the test app served on 127.0.0.1; and axe-core for accessibility checks.
 */
import { existsSync, readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import { chromium, type Browser, type Page } from 'playwright-core';
import { testContext } from './context.js';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const hasChromium = () => existsSync(CHROMIUM);

export async function launch(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** Serves the shared test app on an ephemeral loopback port. */
export async function serve(app = testContext().app): Promise<{ base: string; close(): Promise<void> }> {
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return {
    base: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: Array<{ target: string[] }>;
}

/** Runs axe-core on the page; returns the serious and critical violations. */
export async function seriousViolations(page: Page): Promise<AxeViolation[]> {
  await page.evaluate(axeSource);
  const result = (await page.evaluate(() => (window as unknown as { axe: { run(): Promise<unknown> } }).axe.run())) as { violations: AxeViolation[] };
  return result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

export function describeViolations(v: AxeViolation[]): string {
  return v
    .map(
      (x) =>
        `${x.impact} ${x.id}: ${x.help} @ ${x.nodes
          .slice(0, 3)
          .map((n) => n.target.join(' '))
          .join(', ')}`,
    )
    .join('\n');
}

/**
 * Mocha hooks for a browser suite: launches Chromium and serves the test app before the suite,
 * closes both after; skips the suite with a printed line when Chromium is missing.
 */
export function useBrowser(): { readonly browser: Browser; readonly base: string } {
  let browser: Browser | undefined;
  let site: Awaited<ReturnType<typeof serve>> | undefined;
  before(async function () {
    if (!hasChromium()) {
      console.log(`    skipped: no Chromium at ${CHROMIUM} (apt-get install chromium)`);
      this.skip();
    }
    browser = await launch();
    site = await serve();
  });
  after(async () => {
    await browser?.close();
    await site?.close();
  });
  return {
    get browser() {
      return browser!;
    },
    get base() {
      return site!.base;
    },
  };
}
