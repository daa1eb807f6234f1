// Journey 6: the state lives in the address, so a copied link reproduces the same hop;
// `&embed` shows only the diagram, the controls and the verdict.
import { test, expect } from "@playwright/test";
import {
  counter,
  diagram,
  expectClean,
  hopDetails,
  hopList,
  open,
  packetAfterHop,
  sendPacket,
  stepTo,
  toolbar,
  verdict,
  watch,
} from "./helpers.js";

/** What a person sees of the walk, to compare two pages. */
async function walkState(page) {
  return {
    scenario: await page.getByRole("combobox", { name: "Scenario" }).inputValue(),
    preset: await page.getByRole("combobox", { name: "Packet preset" }).inputValue(),
    from: await page.getByRole("textbox", { name: "From" }).inputValue(),
    to: await page.getByRole("textbox", { name: "To" }).inputValue(),
    protocol: await page.getByRole("combobox", { name: "Protocol" }).inputValue(),
    counter: await counter(page).textContent(),
    heading: await hopDetails(page).getByRole("heading").textContent(),
    packet: await packetAfterHop(page).textContent(),
    verdict: await verdict(page).textContent(),
    current: await hopList(page).locator('[aria-current="step"]').getAttribute("data-hop"),
    lit: await diagram(page).locator(".current").getAttribute("data-component"),
  };
}

test("a copied link opens the same scenario, preset and hop", async ({ page, context }) => {
  const seen = watch(page);
  await open(page);
  await page.getByRole("combobox", { name: "Scenario" }).selectOption("three-nodes");
  await page.getByRole("combobox", { name: "Packet preset" }).selectOption("cluster-via-node-2");
  await expect(counter(page)).toHaveText("hop 1 of 21");
  await stepTo(page, 5);
  await expect(page).toHaveURL(/[?&]step=5(&|$)/);
  const url = page.url();
  expect(new URL(url).searchParams.get("scenario")).toBe("three-nodes");
  expect(new URL(url).searchParams.get("flow")).toBe("cluster-via-node-2");
  expect(new URL(url).searchParams.get("v")).toBe("1");
  const here = await walkState(page);
  expect(here).toMatchObject({ scenario: "three-nodes", preset: "cluster-via-node-2", counter: "hop 5 of 21" });

  const other = await context.newPage();
  const otherSeen = watch(other);
  await other.goto(url);
  await expect(counter(other)).toHaveText("hop 5 of 21");
  expect(await walkState(other)).toEqual(here);
  await expect(other.getByRole("alert").filter({ hasText: /\S/ })).toHaveCount(0);

  // Reloading keeps it too, and stepping on updates the link.
  await other.reload();
  await expect(counter(other)).toHaveText("hop 5 of 21");
  await stepTo(other, 6);
  await expect(other).toHaveURL(/[?&]step=6(&|$)/);
  expectClean(seen);
  expectClean(otherSeen);
});

test("a custom packet round-trips through the link as from/to/protocol", async ({ page, context }) => {
  const seen = watch(page);
  await open(page);
  await sendPacket(page, { from: "10.13.1.4:52001", to: "10.13.76.9:8080", protocol: "TCP" });
  await expect(verdict(page)).toHaveText(/^✔ Delivered to kuard-vnode-6c4b7d9f8-5kx2p$/);
  await stepTo(page, 2);
  const params = new URL(page.url()).searchParams;
  expect(params.has("flow")).toBe(false);
  expect(Object.fromEntries(params)).toMatchObject({ from: "10.13.1.4:52001", to: "10.13.76.9:8080", protocol: "TCP", step: "2" });
  const here = await walkState(page);

  const other = await context.newPage();
  const otherSeen = watch(other);
  await other.goto(page.url());
  await expect(counter(other)).toHaveText(here.counter);
  expect(await walkState(other)).toEqual(here);
  expectClean(seen);
  expectClean(otherSeen);
});

test("embed mode shows the diagram, the controls and the verdict, and no page furniture", async ({ page }) => {
  const seen = watch(page);
  await open(page, "?scenario=blog-part4&flow=internet-to-kuard&step=3&embed");
  await expect(diagram(page)).toBeVisible();
  await expect(toolbar(page)).toBeVisible();
  await expect(counter(page)).toHaveText("hop 3 of 15");
  await expect(verdict(page)).toHaveText(/^✔ Delivered to kuard-vnode-/);
  await expect(page.locator(".embed-hop")).toContainText("Load-balancing rule a094204ca555d11e9b1619a6af760136-TCP-8080 matches TCP 8080");
  await expect(diagram(page).locator(".current")).toHaveAttribute("data-component", "lb:kubernetes");

  await expect(page.getByRole("combobox", { name: "Scenario" })).toHaveCount(0);
  await expect(page.getByRole("form", { name: "Packet" })).toHaveCount(0);
  await expect(page.getByRole("list", { name: "Hops" })).toHaveCount(0);
  await expect(page.getByRole("heading", { name: "packetwalk" })).toHaveCount(0);

  // The controls work, and the link stays an embed link.
  await stepTo(page, 5);
  await expect(page.locator(".embed-hop")).toContainText("a094204ca555d11e9b1619a6af760136-TCP-8080-Internet (priority 500) allows");
  await expect(page).toHaveURL(/[?&]step=5(&|$)/);
  expect(new URL(page.url()).searchParams.has("embed")).toBe(true);
  expectClean(seen);
});
