// Headless Chromium for tests that look at the HTML report as a person would:
// Debian's `chromium`, installed by scripts/ensure-tool.ts where missing, driven
// through playwright-core (no browser download). Where it cannot be had, the test
// skips and says why, except in CI (CI=true or MESHBENCH_REQUIRE_TOOLS=1), where a
// missing browser fails.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext } from 'playwright-core';
import { ensureTool } from './tools.ts';

/** Flags for a shared, offline CI machine: no sandbox (root in a container), no GPU, nothing fetched in the background. */
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export function toolsRequired(): boolean {
  return process.env.MESHBENCH_REQUIRE_TOOLS === '1' || process.env.CI === 'true';
}

export interface OpenBrowser {
  context: BrowserContext;
  close(): Promise<void>;
}

/** Starts headless Chromium with a fresh profile, or skips the caller (fails in CI). */
export async function chromiumOrSkip(ctx: Mocha.Context): Promise<OpenBrowser> {
  ctx.timeout(Math.max(ctx.timeout(), 300_000));
  const tool = await ensureTool('chromium', 'chromium');
  if (!tool.ok) {
    if (toolsRequired()) throw new Error(`chromium is required here (CI / MESHBENCH_REQUIRE_TOOLS=1): ${tool.reason}`);
    console.warn(`    skipping: ${tool.reason}`);
    ctx.skip();
  }
  const profile = mkdtempSync(join(tmpdir(), 'meshbench-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: tool.path,
    headless: true,
    // The fresh profile is the user data dir Playwright passes; it adds --headless itself.
    args: CHROMIUM_ARGS.filter((a) => a !== '--headless'),
    offline: true,
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

export type { Browser };
