// What a reader waits for on the first load. Serves dist/ gzip-compressed on loopback
// (scripts/gzip-serve.mjs), opens the page cold (new context, cache off) in Debian's
// Chromium through the DevTools protocol, and reports the median of N loads of:
//
// - first diagram visible: the first frame (requestAnimationFrame, which waits for
//   render-blocking CSS) after the diagram's first part is in the DOM;
// - interactive: the app's own Play button (not the prerendered snapshot's) answered a
//   click, i.e. it turned into Pause.
//
// Times are from navigation start (performance.now() in the page), so they include the
// request for the HTML. Two settings: Lighthouse's mobile "Slow 4G" throttling
// (562.5 ms request latency, 1474.56 kbit/s down, 675 kbit/s up, CPU 4x slower) and none.
// With throttling it also lists one load's requests: size on the wire and when each one
// started and finished. It reports; it does not fail the build (budgets in
// docs/BENCHMARKS.md).
//
//   node scripts/page-report.mjs [dist] [runs] [--json out.json]
import { writeFileSync } from "node:fs";
import { chromium } from "@playwright/test";
import { serveGzip } from "./gzip-serve.mjs";

const args = process.argv.slice(2);
const jsonAt = args.indexOf("--json");
const jsonOut = jsonAt >= 0 ? args[jsonAt + 1] : null;
const [dist = "dist", runsArg = "5"] = args.filter((a, i) => !a.startsWith("--") && (jsonAt < 0 || i !== jsonAt + 1));
const runs = Number(runsArg);

const SLOW_4G = { latency: 562.5, downloadThroughput: (1474.56 * 1024) / 8, uploadThroughput: (675 * 1024) / 8, cpu: 4 };
const BUDGETS = {
  slow4g: { diagram: 1500, interactive: 3000 },
  none: { diagram: 200, interactive: null },
};

// Runs in the page before any of its own scripts.
function probe() {
  const mark = (name) => {
    if (window[name] === undefined) window[name] = performance.now();
  };
  new MutationObserver((_, observer) => {
    if (document.querySelector("svg [data-component]")) {
      observer.disconnect();
      requestAnimationFrame(() => mark("__pwDiagram"));
    }
  }).observe(document, { childList: true, subtree: true });
  let clicked = false;
  const poll = setInterval(() => {
    const play = document.querySelector("main.app:not([data-pw-snapshot]) .controls .primary");
    if (!play) return;
    if (!clicked && play.textContent.includes("Play")) {
      clicked = true;
      play.click();
    } else if (clicked && play.textContent.includes("Pause")) {
      mark("__pwInteractive");
      clearInterval(poll);
    }
  }, 10);
}

async function load(browser, url, throttled, withRequests) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send("Network.enable");
  await cdp.send("Network.setCacheDisabled", { cacheDisabled: true });
  if (throttled) {
    const { cpu, ...network } = SLOW_4G;
    await cdp.send("Network.emulateNetworkConditions", { offline: false, ...network });
    await cdp.send("Emulation.setCPUThrottlingRate", { rate: cpu });
  }
  const requests = new Map();
  if (withRequests) {
    cdp.on("Network.requestWillBeSent", (e) => requests.set(e.requestId, { url: e.request.url, start: e.timestamp }));
    cdp.on("Network.loadingFinished", (e) => {
      const r = requests.get(e.requestId);
      if (r) Object.assign(r, { end: e.timestamp, bytes: e.encodedDataLength });
    });
  }
  await page.addInitScript(probe);
  await page.goto(url, { waitUntil: "commit" });
  await page.waitForFunction(() => window.__pwDiagram !== undefined && window.__pwInteractive !== undefined, null, {
    timeout: 60_000,
    polling: 50,
  });
  const times = await page.evaluate(() => ({ diagram: window.__pwDiagram, interactive: window.__pwInteractive }));
  await context.close();
  const list = [...requests.values()].filter((r) => r.end !== undefined && r.url.startsWith("http"));
  const t0 = Math.min(...list.map((r) => r.start));
  return {
    ...times,
    requests: list.map((r) => ({
      file: new URL(r.url).pathname.replace(/^\//, "") || "index.html",
      bytes: r.bytes,
      start: (r.start - t0) * 1000,
      end: (r.end - t0) * 1000,
    })),
  };
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const ms = (n) => `${n.toFixed(0)} ms`;

const server = await serveGzip(dist);
const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
const report = { date: new Date().toISOString().slice(0, 10), runs };
try {
  for (const [name, throttled, label] of [
    ["slow4g", true, "Slow 4G (562.5 ms latency, 1474.56 kbit/s down, 675 up) + CPU 4x"],
    ["none", false, "unthrottled"],
  ]) {
    const loads = [];
    // One warm-up load (not counted) so that browser start-up is not in the first.
    await load(browser, server.url, throttled, false);
    for (let i = 0; i < runs; i++) loads.push(await load(browser, server.url, throttled, throttled && i === runs - 1));
    const diagram = loads.map((l) => l.diagram);
    const interactive = loads.map((l) => l.interactive);
    const budget = BUDGETS[name];
    const verdict = (value, limit) => (limit === null ? "" : value <= limit ? `, within ${ms(limit)}` : `, OVER ${ms(limit)}`);
    console.log(`first load, ${label}, gzip, cache off, median of ${runs} cold loads:`);
    console.log(`  first diagram visible: ${ms(median(diagram))} (${ms(Math.min(...diagram))}-${ms(Math.max(...diagram))})${verdict(median(diagram), budget.diagram)}`);
    console.log(`  interactive (Play answers a click): ${ms(median(interactive))} (${ms(Math.min(...interactive))}-${ms(Math.max(...interactive))})${verdict(median(interactive), budget.interactive)}`);
    const requests = loads.at(-1).requests;
    if (requests.length) {
      console.log("  requests of the last load (bytes on the wire, start-end from the first request):");
      for (const r of requests) console.log(`    ${r.file.padEnd(28)} ${(r.bytes / 1024).toFixed(1).padStart(7)} KB  ${ms(r.start).padStart(8)} - ${ms(r.end)}`);
    }
    report[name] = { diagram: median(diagram), interactive: median(interactive), loads };
  }
} finally {
  await browser.close();
  await server.close();
}
if (jsonOut) writeFileSync(jsonOut, JSON.stringify(report, null, 2));
