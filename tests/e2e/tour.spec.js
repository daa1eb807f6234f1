// Journey 3 on the picture: each step of the blog's story lights up what its words are
// about; `kubectl apply` makes what the cloud provider created appear where it was
// created, and the rule deleted by hand goes from the NIC's NSG.
import { test, expect } from "@playwright/test";
import { expectClean, open, watch, BLOG_NIC, BLOG_NSG } from "./helpers.js";

const NSG_ON_NIC = `nsg:${BLOG_NSG}@nic:${BLOG_NIC}`;
const note = (page, component) => page.locator(`[data-testid=change-note][data-change-for="${component}"]`);
const overlaps = (a, b) => a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;

test("kubectl apply: the frontend, the rule, the probe and the NSG rule appear where they were created", async ({ page }) => {
  const seen = watch(page);
  await open(page, "?tour=4");
  await expect(page.getByRole("combobox", { name: "Scenario" })).toHaveValue("");
  await expect(page.getByRole("combobox", { name: "Scenario" }).locator("option:checked")).toHaveText("The blog's story, step 4");
  const lb = note(page, "lb:kubernetes");
  await expect(lb).toContainText("Created by the cloud provider");
  await expect(lb).toContainText("+ frontend 203.0.113.10");
  await expect(lb).toContainText("+ rule TCP 8080 -> 8080");
  await expect(lb).toContainText("+ health probe TCP 30610");
  await expect(note(page, NSG_ON_NIC)).toContainText("+ rule 500 Allow TCP 8080 from Internet");
  // The full names are a hover away.
  await expect(lb.locator("title").nth(1)).toHaveText("load-balancing rule a094204ca555d11e9b1619a6af760136-TCP-8080 (TCP 8080)");
  await expect(page.locator('[data-component="public-ip:kubernetes-a094204ca555d11e9b1619a6af760136"]')).toHaveClass(/appeared/);
  // The step's words no longer cite our observation numbers.
  await expect(page.getByRole("region", { name: "Guided tour" })).not.toContainText("O9");
  // No note covers another note or any part's label.
  const notes = await page.locator("[data-testid=change-note] rect").evaluateAll((els) => els.map((e) => e.getBoundingClientRect().toJSON()));
  expect(notes).toHaveLength(2);
  expect(overlaps(notes[0], notes[1])).toBe(false);
  const labels = await page.locator("svg [data-component] text").evaluateAll((els) => els.map((e) => e.getBoundingClientRect().toJSON()));
  for (const n of notes) for (const l of labels) expect(overlaps(n, l), JSON.stringify({ n, l })).toBe(false);
  expectClean(seen);
});

test("the rule deleted by hand is struck out at the NIC's NSG, where the packet now stops", async ({ page }) => {
  const seen = watch(page);
  await open(page, "?tour=6");
  const gone = note(page, NSG_ON_NIC);
  await expect(gone).toHaveClass(/removed/);
  await expect(gone).toContainText("Deleted by hand");
  await expect(gone).toContainText("− rule 500 Allow TCP 8080 from Internet");
  await expect(gone.locator("text.removed")).toHaveCSS("text-decoration-line", "line-through");
  await expect(page.locator("[data-testid=change-note]")).toHaveCount(1);
  // The hop's own callout (DenyAllInBound) and the note do not cover each other.
  const callout = await page.locator(`[data-callout-for="${NSG_ON_NIC}"] rect`).boundingBox();
  const box = await gone.locator("rect").boundingBox();
  expect(overlaps(callout, box)).toBe(false);
  expectClean(seen);
});

test("each step lights up what it talks about, and only the change steps draw changes", async ({ page }) => {
  const seen = watch(page);
  await open(page, "?tour=1");
  for (const id of [NSG_ON_NIC, `nic:${BLOG_NIC}`, "subnet:aks"]) {
    await expect(page.locator(`[data-component="${id}"]`)).toHaveClass(/tour-focus/);
  }
  await expect(page.locator('[data-component="lb:kubernetes"]')).not.toHaveClass(/tour-focus/);
  await expect(page.locator("[data-testid=change-note]")).toHaveCount(0);
  await page.getByRole("button", { name: "Next step ▶" }).click();
  await page.getByRole("button", { name: "Next step ▶" }).click();
  await expect(page.getByRole("region", { name: "Guided tour" })).toContainText("The blog's story, step 3 of 11");
  await expect(page.locator('[data-component="lb:kubernetes"]')).toHaveClass(/tour-focus/);
  await expect(page.locator("[data-testid=change-note]")).toHaveCount(0);
  await page.getByRole("button", { name: "Next step ▶" }).click();
  await expect(page.locator("[data-testid=change-note]")).toHaveCount(2);
  // Leaving the tour: the picker names the scenario again, and nothing is lit.
  await page.getByRole("button", { name: "Leave the tour" }).click();
  await expect(page.locator("[data-testid=change-note]")).toHaveCount(0);
  await expect(page.locator(".tour-focus")).toHaveCount(0);
  await expect(page.getByRole("combobox", { name: "Scenario" })).not.toHaveValue("");
  expectClean(seen);
});
