// End-to-end tests drive the real release build (dist/) in Debian's Chromium.
// Never `npx playwright install`: the browser is /usr/bin/chromium.
import { defineConfig } from "@playwright/test";
import { join } from "node:path";

const port = Number(process.env.E2E_PORT ?? 4173);

export default defineConfig({
  testDir: ".",
  outputDir: "artifacts/results",
  timeout: 30_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  workers: 1,
  forbidOnly: !!process.env.CI,
  reporter: [["list"]],
  use: {
    baseURL: `http://127.0.0.1:${port}/`,
    viewport: { width: 1280, height: 800 },
    launchOptions: {
      executablePath: "/usr/bin/chromium",
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        // Playwright starts every browser with a new, empty profile directory of its own.
      ],
    },
  },
  webServer: {
    command: `node tests/e2e/serve.mjs ${process.env.E2E_DIST ?? "dist"} ${port}`,
    cwd: join(import.meta.dirname, "..", ".."),
    url: `http://127.0.0.1:${port}/`,
    reuseExistingServer: false,
    timeout: 20_000,
  },
});
