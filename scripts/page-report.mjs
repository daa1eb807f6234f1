// Time to the first drawn diagram: serve dist/ on loopback, open the page in headless
// Chromium several times, and report the time from navigation start until the diagram's
// first part is in the DOM (performance.now() in the page, so server start-up and browser
// launch do not count). It reports; it does not fail the build.
//
//   node scripts/page-report.mjs [dist] [runs]
import { servedPage } from "./report-browser.mjs";

const dist = process.argv[2] ?? "dist";
const runs = Number(process.argv[3] ?? 5);
const { browser, url, close } = await servedPage(dist);
try {
  const times = [];
  for (let i = 0; i < runs; i++) {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    await page.addInitScript(() => {
      new MutationObserver((_, observer) => {
        if (document.querySelector("svg [data-component]")) {
          window.__firstDiagram = performance.now();
          observer.disconnect();
        }
      }).observe(document, { childList: true, subtree: true });
    });
    await page.goto(url);
    await page.waitForFunction(() => window.__firstDiagram !== undefined);
    times.push(await page.evaluate(() => window.__firstDiagram));
    await context.close();
  }
  times.sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)];
  console.log(`first diagram drawn (headless Chromium, ${runs} cold loads): median ${median.toFixed(0)} ms, min ${times[0].toFixed(0)} ms, max ${times[times.length - 1].toFixed(0)} ms; budget 500 ms`);
} finally {
  await close();
}
