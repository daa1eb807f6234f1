// The packet really moves: play animates one SVG element between hops with a CSS
// transition; pause stops the walk; prefers-reduced-motion gets steps without motion.
import { test, expect } from "@playwright/test";
import { counter, expectClean, hopNumber, open, packetCentre, packetDot, stepTo, toolbar, watch } from "./helpers.js";

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

test("play moves the packet across the diagram, and pause stops it", async ({ page }) => {
  const seen = watch(page);
  await open(page);
  await expect(counter(page)).toHaveText("hop 1 of 15");
  // The move between hops is animated (a CSS transition on transform).
  const duration = await packetDot(page).evaluate((el) => getComputedStyle(el).transitionDuration);
  expect(parseFloat(duration)).toBeGreaterThan(0);

  const atStart = await packetCentre(page);
  await toolbar(page).getByRole("button", { name: /Play/ }).click();
  await expect(toolbar(page).getByRole("button", { name: /Pause/ })).toBeVisible();

  // The moment hop 2 is on show the packet sets off from the Internet client towards the
  // public IP; sample its position over the next ~700 ms.
  await expect(counter(page)).toHaveText("hop 2 of 15");
  const first = await packetCentre(page);
  const samples = [first];
  for (let i = 0; i < 7; i++) {
    await sleep(100);
    samples.push(await packetCentre(page));
  }
  const last = samples[samples.length - 1];
  expect(last, "the packet is somewhere else ~700 ms later").not.toEqual(first);
  expect(last).not.toEqual(atStart);
  // It glides rather than jumps: positions between the two ends were drawn.
  const distinct = new Set(samples.map((p) => `${p.x},${p.y}`));
  expect(distinct.size, `positions seen: ${[...distinct].join(" ")}`).toBeGreaterThanOrEqual(3);

  // The walk goes on by itself...
  await expect(counter(page)).toHaveText("hop 3 of 15", { timeout: 5_000 });

  // ...until paused: then neither the counter nor the packet changes.
  await toolbar(page).getByRole("button", { name: /Pause/ }).click();
  await expect(toolbar(page).getByRole("button", { name: /Play/ })).toBeVisible();
  const paused = await hopNumber(page);
  await sleep(800); // let a move already under way finish
  const restingAt = await packetCentre(page);
  await sleep(2_500); // more than two hops' time at 1× speed
  expect(await hopNumber(page)).toEqual(paused);
  expect(await packetCentre(page)).toEqual(restingAt);

  // Play again carries on from there.
  await toolbar(page).getByRole("button", { name: /Play/ }).click();
  await expect(counter(page)).toHaveText(`hop ${paused.n + 1} of 15`, { timeout: 5_000 });
  await toolbar(page).getByRole("button", { name: /Pause/ }).click();
  expectClean(seen);
});

test("play runs to the last hop and stops there; Restart goes back to hop 1", async ({ page }) => {
  const seen = watch(page);
  await open(page, "?scenario=blog-part4&flow=ssh-from-internet");
  await toolbar(page).getByRole("combobox", { name: "Speed" }).selectOption({ label: "2×" });
  await toolbar(page).getByRole("button", { name: /Play/ }).click();
  await expect(counter(page)).toHaveText("hop 3 of 3", { timeout: 5_000 });
  await expect(toolbar(page).getByRole("button", { name: /Play/ })).toBeVisible({ timeout: 3_000 });
  await expect(packetDot(page)).toHaveClass(/\bdenied\b/);
  await toolbar(page).getByRole("button", { name: "Restart" }).click();
  await expect(counter(page)).toHaveText("hop 1 of 3");
  // Restart plays the walk again.
  await expect(counter(page)).toHaveText("hop 3 of 3", { timeout: 5_000 });
  expectClean(seen);
});

test("prefers-reduced-motion: steps still work and the packet jumps without a transition", async ({ page }) => {
  const seen = watch(page);
  await page.emulateMedia({ reducedMotion: "reduce" });
  await open(page);
  expect(await page.evaluate(() => matchMedia("(prefers-reduced-motion: reduce)").matches)).toBe(true);

  const dot = packetDot(page);
  await expect(dot).toBeVisible();
  expect(await dot.evaluate((el) => getComputedStyle(el).transitionDuration)).toBe("0s");

  const before = await packetCentre(page);
  await stepTo(page, 2);
  // With no transition the drawn position is the final one at once: the computed
  // transform already equals the translate the page asked for.
  const { inline, computed } = await dot.evaluate((el) => ({
    inline: el.style.transform,
    computed: getComputedStyle(el).transform,
  }));
  const [, x, y] = /translate\((-?[\d.]+)px, (-?[\d.]+)px\)/.exec(inline);
  expect(computed).toBe(`matrix(1, 0, 0, 1, ${x}, ${y})`);
  expect(await packetCentre(page)).not.toEqual(before);
  expect(await dot.evaluate((el) => getComputedStyle(el).transitionDuration)).toBe("0s");

  await stepTo(page, 5);
  await expect(page.getByRole("table", { name: /^Rules of NSG / })).toBeVisible();
  expectClean(seen);
});
