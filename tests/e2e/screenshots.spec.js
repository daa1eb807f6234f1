// Full-page screenshots for the report (tests/e2e/artifacts/, gitignored): the blog's
// packet at the NIC's NSG, a dropped packet, the embed view and a narrow screen. The
// README's docs/screenshot.png is copied by hand from nsg-hop-viewport.png.
import { test, expect } from "@playwright/test";
import { BLOG_NSG, choosePreset, clickHop, counter, expectClean, open, ruleTable, stepTo, verdict, watch } from "./helpers.js";

const shot = (name) => `tests/e2e/artifacts/${name}.png`;

test("screenshot: the default page at the NSG hop", async ({ page }) => {
  const seen = watch(page);
  await page.emulateMedia({ reducedMotion: "reduce" }); // the packet sits still on the NSG
  await open(page);
  await stepTo(page, 5);
  await expect(ruleTable(page, BLOG_NSG).locator('tr[data-decided="true"]')).toContainText("TCP-8080-Internet");
  await page.screenshot({ path: shot("nsg-hop"), fullPage: true });
  await page.screenshot({ path: shot("nsg-hop-viewport") });
  expectClean(seen);
});

test("screenshot: a packet dropped by DenyAllInBound on the subnet NSG", async ({ page }) => {
  const seen = watch(page);
  await page.emulateMedia({ reducedMotion: "reduce" });
  await open(page, "?scenario=subnet-nsg");
  await choosePreset(page, "elsewhere-to-kuard");
  await clickHop(page, /DenyAllInBound \(priority 65500\) denies/);
  await expect(verdict(page)).toContainText("✖ Dropped: NSG akstest-subnet-nsg on the subnet aks");
  await page.screenshot({ path: shot("dropped"), fullPage: true });
  expectClean(seen);
});

test("screenshot: the embed view", async ({ page }) => {
  const seen = watch(page);
  await page.emulateMedia({ reducedMotion: "reduce" });
  await open(page, "?scenario=blog-part4&flow=internet-to-kuard&step=6&embed");
  await expect(counter(page)).toHaveText("hop 6 of 15");
  await page.screenshot({ path: shot("embed"), fullPage: true });
  expectClean(seen);
});

test("screenshot: a narrow screen", async ({ page }) => {
  const seen = watch(page);
  await page.setViewportSize({ width: 390, height: 844 });
  await page.emulateMedia({ reducedMotion: "reduce" });
  await open(page, "?scenario=blog-part4&flow=internet-to-kuard&step=5");
  await expect(counter(page)).toHaveText("hop 5 of 15");
  await page.screenshot({ path: shot("narrow"), fullPage: true });
  expectClean(seen);
});
