// What the page reports share: the release build served on a free local port
// (tests/e2e/serve.mjs) and headless Chromium with the flags this machine needs.
import { spawn } from "node:child_process";
import { chromium } from "@playwright/test";

/** Serves `dist` and launches Chromium; `close()` stops both. */
export async function servedPage(dist) {
  const port = 4300 + Math.floor(Math.random() * 500);
  const server = spawn(process.execPath, ["tests/e2e/serve.mjs", dist, String(port)], { stdio: "ignore" });
  const browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  const url = `http://127.0.0.1:${port}/`;
  for (let i = 0; i < 50; i++) {
    try { await fetch(url); break; } catch { await new Promise((r) => setTimeout(r, 100)); }
  }
  return {
    browser,
    url,
    async close() {
      await browser.close();
      server.kill();
    },
  };
}
