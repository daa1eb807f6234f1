// The picture is the lesson: geometry, not just the DOM. What a learner needs is on the
// first screen; the packet rests beside the parts (never on a label), travels along the
// drawn links, and the links lit up are exactly the trace's consecutive hops.
import { test, expect } from "@playwright/test";
import { counter, diagram, expectClean, hopDetails, open, packetDot, toolbar, verdict, watch, BUILT_INS } from "./helpers.js";

/** The element's box lies wholly inside the viewport. */
async function expectInView(page, locator, what) {
  const box = await locator.boundingBox();
  const { width, height } = page.viewportSize();
  expect(box, `${what} is drawn`).not.toBeNull();
  expect(box.y, `${what} top`).toBeGreaterThanOrEqual(0);
  expect(box.x, `${what} left`).toBeGreaterThanOrEqual(0);
  expect(box.y + box.height, `${what} bottom`).toBeLessThanOrEqual(height);
  expect(box.x + box.width, `${what} right`).toBeLessThanOrEqual(width);
}

/** The trace the page draws, from the evaluator through the page's own module. */
function pageTrace(page, scenario, flow) {
  return page.evaluate(
    async ([scenario, flow]) => {
      const api = await import("./packetwalk-web.js");
      return api.trace(scenario, flow);
    },
    [scenario, flow],
  );
}

for (const scenario of BUILT_INS) {
  test(`1280x800, ${scenario}: diagram, Play, verdict and the hop's explanation are on the first screen`, async ({ page }) => {
    const seen = watch(page);
    await open(page, `?scenario=${scenario}`);
    await expectInView(page, diagram(page), "diagram");
    await expectInView(page, toolbar(page).getByRole("button", { name: /Play/ }), "Play");
    await expectInView(page, verdict(page), "verdict");
    await expectInView(page, hopDetails(page), "hop explanation");
    await expectInView(page, page.getByRole("list", { name: "Hops" }).locator("li").first(), "timeline");
    expectClean(seen);
  });
}

test("1280x800: during the tour the diagram stays on the first screen, the tour's words beside it", async ({ page }) => {
  await open(page, "?tour=4");
  await expectInView(page, diagram(page), "diagram");
  await expectInView(page, toolbar(page).getByRole("button", { name: /Play/ }), "Play");
  const tour = await page.getByRole("region", { name: "Guided tour" }).boundingBox();
  const picture = await diagram(page).boundingBox();
  expect(tour.x, "the tour sits beside the diagram").toBeGreaterThanOrEqual(picture.x + picture.width);
});

test("375 px wide: the diagram and Play are on the first screen", async ({ page }) => {
  await page.setViewportSize({ width: 375, height: 800 });
  const seen = watch(page);
  await open(page);
  const figure = await page.locator("figure.diagram").boundingBox();
  expect(figure.y).toBeGreaterThanOrEqual(0);
  expect(figure.y + figure.height).toBeLessThanOrEqual(800);
  expect(figure.x + figure.width).toBeLessThanOrEqual(375);
  await expectInView(page, toolbar(page).getByRole("button", { name: /Play/ }), "Play");
  expectClean(seen);
});

const overlaps = (a, b) =>
  a.x < b.x + b.width - 1 && b.x < a.x + a.width - 1 && a.y < b.y + b.height - 1 && b.y < a.y + a.height - 1;

for (const scenario of BUILT_INS) {
  test(`at rest the packet covers no label: every packet of ${scenario}, every hop`, async ({ page }) => {
    test.setTimeout(120_000);
    await page.emulateMedia({ reducedMotion: "reduce" });
    const seen = watch(page);
    await open(page, `?scenario=${scenario}`);
    const flows = await page
      .getByRole("combobox", { name: "Packet preset" })
      .locator("option")
      .evaluateAll((options) => options.map((o) => o.value).filter((v) => v));
    expect(flows.length).toBeGreaterThan(0);
    for (const flow of flows) {
      await open(page, `?scenario=${scenario}&flow=${flow}`);
      const of = Number((await counter(page).textContent()).split(" of ")[1]);
      for (let n = 1; n <= of; n++) {
        if (n > 1) {
          await toolbar(page).getByRole("button", { name: "Step forward" }).click();
          await expect(counter(page)).toHaveText(`hop ${n} of ${of}`);
        }
        const found = await diagram(page).evaluate((svg) => {
          const box = (e) => {
            const r = e.getBoundingClientRect();
            return { x: r.x, y: r.y, width: r.width, height: r.height, text: e.textContent };
          };
          const packet = svg.querySelector("[data-testid=packet]");
          const parts = [packet.querySelector(".envelope"), packet.querySelector(".header")].map(box);
          const labels = [...svg.querySelectorAll("text")]
            .filter((t) => !packet.contains(t) && t.textContent.trim() !== "")
            .map(box);
          return { parts, labels };
        });
        for (const part of found.parts) {
          const hit = found.labels.filter((l) => overlaps(part, l)).map((l) => l.text);
          expect(hit, `${flow} hop ${n}: the packet covers ${hit.join(", ")}`).toEqual([]);
        }
      }
    }
    expectClean(seen);
  });
}

for (const [scenario, flow] of [
  ["blog-part4", "internet-to-kuard"],
  ["blog-part4", "ssh-from-internet"],
  ["three-nodes", "cluster-via-node-2"],
  ["subnet-nsg", "office-to-kuard"],
  ["kubenet", "pod-to-pod"],
  ["pod-egress", "pod-https"],
]) {
  test(`the highlighted links are exactly the trace's consecutive hops: ${scenario} ${flow}`, async ({ page }) => {
    const seen = watch(page);
    await open(page, `?scenario=${scenario}&flow=${flow}`);
    const trace = await pageTrace(page, scenario, flow);
    const expected = new Set();
    for (let i = 1; i < trace.hops.length; i++) {
      const [a, b] = [trace.hops[i - 1], trace.hops[i]];
      if (a.component !== b.component) expected.add(`${a.component} > ${b.component} (${b.leg})`);
    }
    const drawn = await diagram(page)
      .locator(".route-link")
      .evaluateAll((els) => els.map((e) => `${e.dataset.from} > ${e.dataset.to} (${e.dataset.leg})`));
    expect(new Set(drawn).size, "each link once").toBe(drawn.length);
    expect(new Set(drawn)).toEqual(expected);
    // The reply is told apart from the way in.
    const styles = await diagram(page).locator(".route-link").evaluateAll((els) =>
      els.map((e) => ({ leg: e.dataset.leg, dash: getComputedStyle(e).strokeDasharray, colour: getComputedStyle(e).stroke })),
    );
    const forward = styles.filter((s) => s.leg === "forward");
    const reply = styles.filter((s) => s.leg === "return");
    for (const r of reply) for (const f of forward) expect(`${r.dash} ${r.colour}`).not.toBe(`${f.dash} ${f.colour}`);
    // The other links are dimmed while the packet is shown.
    expect(await diagram(page).locator(".links").getAttribute("class")).toContain("dimmed");
    expectClean(seen);
  });
}

test("mid-move, the packet is on the drawn link between the two hops", async ({ page }) => {
  const seen = watch(page);
  await open(page, "?scenario=blog-part4&flow=internet-to-kuard&step=4");
  await toolbar(page).getByRole("combobox", { name: "Speed" }).selectOption({ label: "0.5×" });
  const from = "lb:kubernetes";
  const to = "nsg:aks-agentpool-26711606-nsg@nic:aks-nodepool1-26711606-nic-0";
  const link = diagram(page).locator(`.route-link[data-from="${from}"][data-to="${to}"]`);
  await expect(link).toHaveCount(1);
  /** The link's two ends on screen. */
  const ends = () =>
    link.evaluate((line) => {
      const m = line.getScreenCTM();
      const at = (x, y) => ({ x: m.a * x + m.c * y + m.e, y: m.b * x + m.d * y + m.f });
      const n = (a) => Number(line.getAttribute(a));
      return [at(n("x1"), n("y1")), at(n("x2"), n("y2"))];
    });
  const centre = () =>
    packetDot(page)
      .locator(".envelope")
      .evaluate((e) => {
        const r = e.getBoundingClientRect();
        return { x: r.x + r.width / 2, y: r.y + r.height / 2 };
      });
  const start = await centre();
  await toolbar(page).getByRole("button", { name: "Step forward" }).click();
  const samples = [];
  for (let i = 0; i < 4; i++) {
    await page.waitForTimeout(200);
    samples.push(await centre());
  }
  const [a, b] = await ends();
  const len = Math.hypot(b.x - a.x, b.y - a.y);
  const moving = samples.filter((p) => Math.hypot(p.x - start.x, p.y - start.y) > 4 && Math.hypot(p.x - b.x, p.y - b.y) > 4);
  expect(moving.length, "positions caught between the two hops").toBeGreaterThanOrEqual(2);
  for (const p of moving) {
    // Distance from the line through a and b, and the position along it.
    const off = Math.abs((b.x - a.x) * (a.y - p.y) - (a.x - p.x) * (b.y - a.y)) / len;
    const along = ((p.x - a.x) * (b.x - a.x) + (p.y - a.y) * (b.y - a.y)) / (len * len);
    expect(off, `(${p.x}, ${p.y}) is ${off.toFixed(1)} px off the link`).toBeLessThan(3);
    expect(along).toBeGreaterThan(0);
    expect(along).toBeLessThan(1);
  }
  await expect(counter(page)).toHaveText("hop 5 of 15");
  expectClean(seen);
});

test("an NSG hop shows its deciding rule on the picture; a stop is marked where it happened", async ({ page }) => {
  const seen = watch(page);
  await open(page, "?scenario=blog-part4&flow=internet-to-kuard&step=5");
  const callout = diagram(page).locator("[data-testid=callout]");
  await expect(callout).toHaveText(/Allow · priority 500.*a094204ca555d11e9b1619a6af760136-TCP-8080-Internet/);
  // Beside the shield: its box starts within the NIC's column.
  const shield = await diagram(page).locator('[data-component^="nsg:"]').first().boundingBox();
  const box = await callout.boundingBox();
  expect(Math.abs(box.x - shield.x)).toBeLessThan(30);
  // The DNAT at hop 6 marks the rewritten destination in the packet's header.
  await toolbar(page).getByRole("button", { name: "Step forward" }).click();
  await expect(packetDot(page).locator(".header .changed")).toHaveText("10.13.76.21:8080");
  await expect(packetDot(page).locator(".header")).toHaveText("TCP 198.51.100.23:50123 → 10.13.76.21:8080");

  await open(page, "?scenario=blog-part4&flow=ssh-from-internet&step=3");
  await expect(packetDot(page)).toHaveClass(/\bdenied\b/);
  await expect(callout).toHaveText(/Stopped here.*no rule for TCP\s*port 22/);
  const mark = await packetDot(page).locator(".envelope").boundingBox();
  const lb = await diagram(page).locator('[data-component="lb:kubernetes"]').boundingBox();
  expect(Math.abs(mark.x + mark.width / 2 - lb.x)).toBeLessThan(30);
  expectClean(seen);
});

test("a live region says each hop in words as the packet gets there", async ({ page }) => {
  await open(page, "?scenario=blog-part4&flow=internet-to-kuard&step=4");
  const live = page.locator("[data-testid=hop-announcer]");
  await expect(live).toHaveAttribute("aria-live", "polite");
  await toolbar(page).getByRole("button", { name: "Step forward" }).click();
  await expect(live).toHaveText(/^Hop 5 of 15: NSG aks-agentpool-26711606-nsg on the NIC .* allows$/);
});

// Screenshots of every built-in at 1280x800, at 375x800 and in dark mode, attached to the
// run (and written to tests/e2e/artifacts/picture/, gitignored) for a person to look at.
for (const scenario of BUILT_INS) {
  test(`screenshots: ${scenario}`, async ({ page }, testInfo) => {
    await page.emulateMedia({ reducedMotion: "reduce" });
    for (const [tag, width, scheme] of [
      ["1280", 1280, "light"],
      ["375", 375, "light"],
      ["dark", 1280, "dark"],
    ]) {
      await page.setViewportSize({ width, height: 800 });
      await page.emulateMedia({ colorScheme: scheme });
      await open(page, `?scenario=${scenario}&step=5`);
      const path = `tests/e2e/artifacts/picture/${scenario}-${tag}.png`;
      await page.screenshot({ path });
      await testInfo.attach(`${scenario}-${tag}`, { path, contentType: "image/png" });
    }
  });
}

test("screenshot: the README's picture, the blog's packet at the NIC's NSG with Open to the Internet on", async ({ page }) => {
  await page.emulateMedia({ reducedMotion: "reduce" });
  await open(page, "?scenario=blog-part4&flow=internet-to-kuard&step=5");
  await page.getByRole("button", { name: "Open to the Internet" }).click();
  await expect(page.locator(".exposed").first()).toBeVisible();
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: "tests/e2e/artifacts/picture/readme.png" });
});

for (const [width, scenario] of [[700, "blog-part4"], [700, "three-nodes"], [420, "blog-part4"]]) {
  test(`embed in a ${width}x560 iframe: diagram, Play and verdict fit (${scenario})`, async ({ page }) => {
    await page.setViewportSize({ width, height: 560 });
    const seen = watch(page);
    await open(page, `?scenario=${scenario}&embed`);
    const figure = await page.locator("figure.diagram").boundingBox();
    expect(figure.y).toBeGreaterThanOrEqual(0);
    expect(figure.y + figure.height).toBeLessThanOrEqual(560);
    await expectInView(page, toolbar(page).getByRole("button", { name: /Play/ }), "Play");
    await expectInView(page, verdict(page), "verdict");
    expectClean(seen);
  });
}

test("Play on the last hop starts the walk again from the first", async ({ page }) => {
  await open(page, "?scenario=blog-part4&flow=ssh-from-internet&step=3");
  await expect(counter(page)).toHaveText("hop 3 of 3");
  await toolbar(page).getByRole("button", { name: /Play/ }).click();
  await expect(counter(page)).toHaveText("hop 1 of 3");
});

test("the top bar's jumps take keyboard users to the tools below the picture", async ({ page }) => {
  await open(page);
  await page.getByRole("button", { name: "Edit ↓" }).focus();
  await page.keyboard.press("Enter");
  await expect(page.locator("#pw-edit")).toBeFocused();
  expect(await page.evaluate(() => window.scrollY)).toBeGreaterThan(100);
});
