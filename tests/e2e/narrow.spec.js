// A phone-sized screen (390x844): the diagram and the controls are there and usable, and
// only the containers meant to scroll sideways (the diagram, kept at a readable scale, and
// the rule table) are wider than the page.
import { test, expect } from "@playwright/test";
import { counter, diagram, expectClean, open, stepTo, toolbar, verdict, watch } from "./helpers.js";

test.use({ viewport: { width: 390, height: 844 } });

/** The page's own horizontal overflow, and any panel whose content spills out of it. */
function overflow(page) {
  return page.evaluate(() => {
    const doc = document.documentElement;
    const spills = [...document.querySelectorAll(".app section, .app form, .controls, .verdict")]
      .filter((e) => e.scrollWidth > e.clientWidth + 1)
      .map((e) => `${e.tagName.toLowerCase()}.${e.className} (${e.scrollWidth} > ${e.clientWidth})`);
    return { page: doc.scrollWidth - doc.clientWidth, spills };
  });
}

async function expectInsideViewport(locator, width = 390) {
  const box = await locator.boundingBox();
  expect(box).not.toBeNull();
  expect(box.x).toBeGreaterThanOrEqual(0);
  expect(box.x + box.width).toBeLessThanOrEqual(width);
}

test("on a narrow screen the diagram and controls are visible, usable and fit the width", async ({ page }) => {
  const seen = watch(page);
  await open(page);
  await expect(diagram(page)).toBeVisible();
  // The diagram keeps a readable scale and scrolls inside its own frame.
  await expectInsideViewport(page.locator("figure.diagram"));
  expect(await page.locator("figure.diagram").evaluate((e) => getComputedStyle(e).overflowX)).toBe("auto");
  await expect(toolbar(page)).toBeVisible();
  for (const name of ["Restart", "Step back", /Play/, "Step forward", "Speed"]) {
    const control = toolbar(page).getByRole(name === "Speed" ? "combobox" : "button", { name });
    await expect(control).toBeVisible();
    await expectInsideViewport(control);
  }
  await expectInsideViewport(verdict(page));
  expect((await overflow(page)).page, "horizontal scroll of the page").toBeLessThanOrEqual(0);

  // The controls work.
  await stepTo(page, 3);
  await expect(counter(page)).toHaveText("hop 3 of 15");
  await expect(diagram(page).locator(".current")).toHaveAttribute("data-component", "lb:kubernetes");

  // The wide rule table scrolls inside its own box, not the page.
  await stepTo(page, 5);
  const wrap = page.locator(".rule-table-wrap");
  await expect(wrap).toBeVisible();
  expect(await wrap.evaluate((e) => getComputedStyle(e).overflowX)).toBe("auto");
  expect(await wrap.evaluate((e) => e.scrollWidth > e.clientWidth)).toBe(true);
  await expectInsideViewport(wrap);
  expectClean(seen);
});

// BUG (reported): at 390x844 the NSG hop's heading ("Hop 5 of 15 · NSG aks-agentpool-…:
// a094204ca555d11e9b1619a6af760136-TCP-8080-Internet (priority 500) allows") does not
// wrap its long rule name: it spills ~36 px out of the "Hop details" panel and past the
// screen edge, and the page scrolls sideways (scrollWidth 391 > 390). The "Packet preset"
// select also sticks ~16 px out of the "Packet" form's border. Open
// ./?scenario=blog-part4&flow=internet-to-kuard&step=5 at 390x844.
test("on a narrow screen no panel spills sideways at the NSG hop", async ({ page }) => {
  await open(page, "?scenario=blog-part4&flow=internet-to-kuard&step=5");
  await expect(counter(page)).toHaveText("hop 5 of 15");
  const { page: extra, spills } = await overflow(page);
  expect(spills).toEqual([]);
  expect(extra).toBeLessThanOrEqual(0);
});

// BUG (reported): the diagram is shrunk to the screen's width (viewBox 1200 wide drawn
// 348 px wide), so its labels are about 4 px tall at 390x844 - unreadable; issue 5 asks
// for a diagram "readable ... on a narrow screen" (e.g. keep a minimum scale and let the
// diagram's container scroll sideways, or lay it out vertically).
test("on a narrow screen the diagram's labels stay readable", async ({ page }) => {
  await open(page);
  const smallest = await diagram(page).evaluate((svg) =>
    Math.min(...[...svg.querySelectorAll("text")].map((t) => t.getBoundingClientRect().height)),
  );
  expect(smallest).toBeGreaterThanOrEqual(9);
});
