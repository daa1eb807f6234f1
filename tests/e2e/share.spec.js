// The Share bar: copy an <iframe> snippet or the link (or, when the clipboard refuses, the
// text selected in a field to copy by hand), and download the diagram as an SVG file that
// looks the same without the page's stylesheet.
import { test, expect } from "@playwright/test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { BLOG_NSG, BLOG_NSG_ID, counter, diagram, expectClean, open, stepTo, toolbar, verdict, watch } from "./helpers.js";

const share = (page) => page.getByRole("region", { name: "Share" });
const status = (page) => share(page).getByRole("status");
const shot = (name) => `tests/e2e/artifacts/${name}.png`;

test("Copy embed snippet copies an iframe of the current state in embed mode", async ({ page, context }) => {
  const seen = watch(page);
  await context.grantPermissions(["clipboard-read", "clipboard-write"]);
  await open(page, "?scenario=blog-part4&flow=ssh-from-internet");
  await stepTo(page, 2);
  await expect(page).toHaveURL(/[?&]step=2(&|$)/);

  await share(page).getByRole("button", { name: "Copy embed snippet" }).click();
  await expect(status(page)).toHaveText("Copied the embed snippet.");
  await share(page).screenshot({ path: shot("share-bar") });
  await page.screenshot({ path: shot("share") });
  const snippet = await page.evaluate(() => navigator.clipboard.readText());
  const m = /^<iframe src="([^"]+)" title="packetwalk: ([^"]+)" width="100%" height="560" style="border:0" loading="lazy"><\/iframe>$/.exec(snippet);
  expect(m, snippet).not.toBeNull();
  expect(m[2]).toBe("A Day in the Life of a Packet in AKS, part 4: NSGs");
  const src = new URL(m[1].replaceAll("&amp;", "&"));
  expect(src.origin + src.pathname).toBe(new URL(page.url()).origin + new URL(page.url()).pathname);
  expect(Object.fromEntries(src.searchParams)).toEqual({ v: "1", scenario: "blog-part4", flow: "ssh-from-internet", step: "2", embed: "" });
  expect(m[1]).toMatch(/&amp;embed$/);

  // The snippet, pasted into a post, shows the same hop in embed mode.
  const post = await context.newPage();
  await post.setContent(`<!doctype html><h1>My post</h1>${snippet}`);
  const frame = post.frameLocator("iframe");
  await expect(frame.getByRole("toolbar", { name: "Packet controls" }).locator(".step-count")).toHaveText("hop 2 of 3");
  await expect(frame.getByRole("combobox", { name: "Scenario" })).toHaveCount(0);

  await share(page).getByRole("button", { name: "Copy link" }).click();
  await expect(status(page)).toHaveText("Copied the link.");
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(page.url());
  expectClean(seen);
});

test("when the clipboard refuses, the text is selected in a read-only field", async ({ page }) => {
  const seen = watch(page);
  await page.addInitScript(() => {
    navigator.clipboard.writeText = () => Promise.reject(new DOMException("Write permission denied.", "NotAllowedError"));
  });
  await open(page);
  await share(page).getByRole("button", { name: "Copy embed snippet" }).click();
  await expect(status(page)).toContainText("Could not copy to the clipboard (Write permission denied.)");
  await expect(status(page)).toContainText("press Ctrl+C");
  const field = share(page).getByRole("textbox", { name: "Text to copy" });
  await expect(field).toBeVisible();
  await expect(field).toHaveJSProperty("readOnly", true);
  await expect(field).toHaveValue(/^<iframe src="[^"]+&amp;embed" title="packetwalk: /);
  await expect(field).toBeFocused();
  const selection = await field.evaluate((f) => [f.selectionStart, f.selectionEnd, f.value.length]);
  expect(selection).toEqual([0, selection[2], selection[2]]);
  expectClean(seen);
});

test("Download SVG saves a self-contained SVG that looks the same without the page", async ({ page, context }) => {
  const seen = watch(page);
  await open(page);
  await stepTo(page, 5);
  await expect(diagram(page).locator(".current")).toHaveAttribute("data-component", BLOG_NSG_ID);
  const [download] = await Promise.all([
    page.waitForEvent("download"),
    share(page).getByRole("button", { name: "Download SVG" }).click(),
  ]);
  expect(download.suggestedFilename()).toBe("packetwalk-blog-part4.svg");
  await expect(status(page)).toHaveText("Downloaded packetwalk-blog-part4.svg.");
  const path = join(import.meta.dirname, "artifacts", "exported.svg");
  await download.saveAs(path);
  const text = readFileSync(path, "utf8");
  expect(text).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?>\n<svg /);
  expect(text).toContain('xmlns="http://www.w3.org/2000/svg"');
  expect(text).toMatch(/<style>[^<]*\.pw0\{[^}]*fill:/);
  for (const name of [`NSG ${BLOG_NSG}`, "Node aks-nodepool1-26711606-0", "kube-proxy", "Load balancer", "Internet"]) {
    expect(text).toContain(name);
  }
  const parsed = await page.evaluate((t) => {
    const doc = new DOMParser().parseFromString(t, "image/svg+xml");
    return { error: doc.querySelector("parsererror")?.textContent ?? null, root: doc.documentElement.localName };
  }, text);
  expect(parsed).toEqual({ error: null, root: "svg" });

  // Opened on its own (no stylesheet, no page), the shapes keep the page's colours.
  const look = (p, selector) =>
    p.locator(selector).first().evaluate((e) => {
      const s = getComputedStyle(e);
      return { fill: s.fill, stroke: s.stroke, strokeWidth: s.strokeWidth, fontSize: s.fontSize, fontWeight: s.fontWeight };
    });
  const alone = await context.newPage();
  await alone.goto(`file://${path}`);
  for (const selector of [`[data-component="${BLOG_NSG_ID}"] path`, ".nsg-name", ".pod rect", ".vnet > rect.box", "text.title"]) {
    expect(await look(alone, selector), selector).toEqual(await look(page, `.diagram ${selector}`));
  }
  await alone.setViewportSize({ width: 1280, height: 1000 });
  await alone.screenshot({ path: shot("exported-svg") });
  expectClean(seen);
});

test("the embed view has no Share bar", async ({ page }) => {
  await open(page, "?scenario=blog-part4&embed");
  await expect(toolbar(page)).toBeVisible();
  await expect(verdict(page)).toBeVisible();
  await expect(counter(page)).toHaveText(/^hop 1 of/);
  await expect(share(page)).toHaveCount(0);
});
