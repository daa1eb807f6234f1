// Every built-in scenario and every one of its presets opens, traces and reaches a verdict
// in the browser, chosen from the page's own menus.
import { test, expect } from "@playwright/test";
import { diagram, expectClean, hopDetails, hopList, hopNumber, open, verdict, watch, BUILT_INS } from "./helpers.js";

test("every built-in scenario and preset reaches a verdict", async ({ page }) => {
  const seen = watch(page);
  await open(page);
  const scenarioMenu = page.getByRole("combobox", { name: "Scenario" });
  expect(await scenarioMenu.locator("option").evaluateAll((os) => os.map((o) => o.value))).toEqual(BUILT_INS);

  for (const name of BUILT_INS) {
    await scenarioMenu.selectOption(name);
    await expect(scenarioMenu).toHaveValue(name);
    const title = await page.getByRole("heading", { level: 2 }).textContent();
    await expect(diagram(page)).toHaveAttribute("aria-label", `Network diagram: ${title}`);

    const presetMenu = page.getByRole("combobox", { name: "Packet preset" });
    const presets = await presetMenu.locator("option:not([disabled])").evaluateAll((os) => os.map((o) => o.value));
    expect(presets.length, `${name} has presets`).toBeGreaterThan(0);
    for (const preset of presets) {
      await presetMenu.selectOption(preset);
      await expect(presetMenu).toHaveValue(preset);
      await expect(verdict(page), `${name} / ${preset}`).toHaveText(/^(✔ Delivered to \S+|✖ Dropped: .+)/);
      await expect(page.locator(".field-error").filter({ hasText: /\S/ })).toHaveCount(0);
      const { of } = await hopNumber(page);
      await expect(hopList(page).getByRole("button")).toHaveCount(of);
      await expect(hopDetails(page).getByRole("heading")).toHaveText(new RegExp(`^Hop 1 of ${of} · `));
      await expect(diagram(page).locator(".current")).toHaveCount(1);
    }
  }
  expectClean(seen);
});
