// The first load: dist/index.html carries the default view, rendered at build time by
// the app's own components (crates/packetwalk-prerender), with the stylesheet inlined.
// The app replaces it when it mounts, at the same place; any other state (a link, a
// stored state) shows a neutral skeleton until then, never the default cluster.
import { test, expect } from "@playwright/test";
import { counter, diagram, toolbar, watch, expectClean } from "./helpers.js";

const snapshot = (page) => page.locator("main[data-pw-snapshot]");
const skeleton = (page) => page.locator(".pw-loading");
const DEFAULT_LINK = "?v=1&scenario=blog-part4&flow=internet-to-kuard&step=1";

/** Holds the .wasm back, so the page stays as the HTML drew it. */
async function withoutWasm(page) {
  await page.route("**/*.wasm", (route) => route.abort());
}

/** Where the first view's parts are, in page coordinates. */
async function boxes(page, root) {
  return page.evaluate((root) => {
    const main = document.querySelector(root);
    const pick = {
      topbar: ".topbar",
      title: ".scenario-title",
      svg: "svg",
      firstPart: "svg [data-component]",
      controls: ".controls",
      play: ".controls .primary",
      verdict: ".walk-bar",
      side: ".side",
    };
    const out = {};
    for (const [name, selector] of Object.entries(pick)) {
      const el = main.querySelector(selector);
      if (!el) { out[name] = null; continue; }
      const r = el.getBoundingClientRect();
      out[name] = [r.x + scrollX, r.y + scrollY, r.width, r.height].map((n) => Math.round(n));
    }
    return out;
  }, root);
}

test("the HTML alone draws the default view: diagram, controls, verdict, CSS inlined", async ({ browser }, info) => {
  const context = await browser.newContext({ javaScriptEnabled: false, viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  const response = await page.goto("./");
  const html = await response.text();
  expect(html, "no stylesheet request blocks the first paint").not.toMatch(/<link[^>]+rel="stylesheet"/);
  expect(html).toContain("<style>");
  await expect(snapshot(page)).toBeVisible();
  expect(await snapshot(page).locator("svg [data-component]").count()).toBeGreaterThan(5);
  await expect(snapshot(page).locator(".controls .primary")).toHaveText("▶ Play");
  await expect(snapshot(page).locator(".scenario-title")).toHaveText(/A Day in the Life of a Packet in AKS/);
  await expect(snapshot(page).locator(".walk-bar")).toContainText(/delivered|dropped/i);
  await expect(skeleton(page)).toBeHidden();
  await info.attach("prerendered-no-js.png", { body: await page.screenshot(), contentType: "image/png" });
  await context.close();
});

test("the app replaces the snapshot where it stands, and Play works", async ({ page }, info) => {
  const seen = watch(page);
  // The snapshot as the HTML draws it (the .wasm held back).
  const held = await page.context().newPage();
  await withoutWasm(held);
  await held.goto("./");
  await expect(snapshot(held)).toBeVisible();
  const before = await boxes(held, "main[data-pw-snapshot]");
  await info.attach("snapshot.png", { body: await held.screenshot(), contentType: "image/png" });
  await held.close();

  await page.goto("./");
  await expect(diagram(page)).toBeVisible();
  await expect(snapshot(page)).toHaveCount(0);
  await expect(page.locator("main.app")).toHaveCount(1);
  const after = await boxes(page, "main.app");
  await info.attach("mounted.png", { body: await page.screenshot(), contentType: "image/png" });
  for (const name of Object.keys(before)) {
    expect(before[name], `${name} is in the snapshot`).not.toBeNull();
    const [x, y, w, h] = before[name];
    const [x2, y2, w2, h2] = after[name];
    for (const [a, b, what] of [[x, x2, "x"], [y, y2, "y"], [w, w2, "width"], [h, h2, "height"]]) {
      expect(Math.abs(a - b), `${name} ${what}: ${a} in the snapshot, ${b} mounted`).toBeLessThanOrEqual(1);
    }
  }
  await toolbar(page).getByRole("button", { name: "Step forward" }).click();
  await expect(counter(page)).toHaveText(/^hop 2 of /);
  expectClean(seen);
});

test("a link to another state shows the skeleton, never the default cluster, until the app mounts", async ({ page }) => {
  await withoutWasm(page);
  await page.goto("./?v=1&tour=4");
  await expect(skeleton(page)).toBeVisible();
  await expect(snapshot(page)).toBeHidden();
  // A link to exactly the default view shows the snapshot.
  await page.goto(`./${DEFAULT_LINK}`);
  await expect(snapshot(page)).toBeVisible();
  await expect(skeleton(page)).toBeHidden();
  await page.unroute("**/*.wasm");
  await page.goto("./?v=1&tour=4");
  await expect(diagram(page)).toBeVisible();
  await expect(page).toHaveURL(/tour=4/);
  await expect(skeleton(page)).toHaveCount(0);
});

test("a bare visit that restores a stored state shows the skeleton; a stored default shows the snapshot", async ({ page }) => {
  await page.goto("./?v=1&scenario=three-nodes");
  await expect(diagram(page)).toBeVisible();
  await expect(page).toHaveURL(/scenario=three-nodes/);
  await withoutWasm(page);
  await page.goto("./");
  await expect(skeleton(page)).toBeVisible();
  await expect(snapshot(page)).toBeHidden();

  await page.unroute("**/*.wasm");
  await page.goto(`./${DEFAULT_LINK}`);
  await expect(diagram(page)).toBeVisible();
  await expect(page).toHaveURL(/scenario=blog-part4/);
  await withoutWasm(page);
  await page.goto("./");
  await expect(snapshot(page)).toBeVisible();
  await expect(skeleton(page)).toBeHidden();
});
