// Issue 6 on the page: the "Open to the Internet" overlay (the evaluator's exact
// exposure, coloured on the diagram and listed beside it) and the lint findings beside
// an NSG's rule table, each clickable to its rule's row.
import { test, expect } from "@playwright/test";
import { chooseScenario, component, expectClean, open, ruleTable, stepTo, watch, BLOG_NIC, BLOG_NSG, importConfirmed } from "./helpers.js";

const overlayButton = (page) => page.getByRole("button", { name: "Open to the Internet" });
const exposedList = (page) => page.getByRole("list", { name: "Exposed to the Internet" });

test("the blog's cluster exposes exactly TCP 8080 on 203.0.113.10 to every Internet source", async ({ page }) => {
  const seen = watch(page);
  await open(page);
  await expect(overlayButton(page)).toHaveAttribute("aria-pressed", "false");
  await overlayButton(page).click();
  await expect(overlayButton(page)).toHaveAttribute("aria-pressed", "true");
  const items = exposedList(page).locator(":scope > li");
  await expect(items.first()).toBeVisible();
  const texts = await items.allTextContents();
  // The NIC and the Service's ready pods, all through the one frontend and port.
  expect(texts.length).toBeGreaterThanOrEqual(2);
  for (const t of texts) {
    expect(t).toContain("TCP 8080");
    expect(t).toContain("203.0.113.10:8080");
    expect(t).toContain("from every Internet source");
  }
  expect(texts.some((t) => t.startsWith(`NIC ${BLOG_NIC} TCP 8080`))).toBe(true);
  expect(texts.filter((t) => t.startsWith("pod kuard-vnode-")).length).toBeGreaterThanOrEqual(1);
  // The explanation names the cloud provider's rule.
  await expect(exposedList(page)).toContainText("a094204ca555d11e9b1619a6af760136-TCP-8080-Internet");
  // Marked on the diagram: the NIC, the pods, the public IP; nothing else.
  await expect(component(page, `nic:${BLOG_NIC}`)).toHaveClass(/exposed/);
  await expect(page.locator('[data-component^="pod:kuard-vnode-"].exposed').first()).toBeVisible();
  await expect(page.locator('[data-component^="public-ip:"].exposed')).toHaveCount(1);
  await expect(page.locator('[data-component="public-ip:aks-outbound-ip"]')).not.toHaveClass(/exposed/);
  await page.screenshot({ path: "tests/e2e/artifacts/analysis-overlay.png", fullPage: false });
  // Off again: the marks go.
  await overlayButton(page).click();
  await expect(page.locator(".exposed")).toHaveCount(0);
  expectClean(seen);
});

test("with loadBalancerSourceRanges the sources are the restricted range", async ({ page }) => {
  const seen = watch(page);
  await open(page, "?scenario=source-ranges");
  await overlayButton(page).click();
  const items = exposedList(page).locator(":scope > li");
  await expect(items.first()).toBeVisible();
  for (const t of await items.allTextContents()) {
    expect(t).toContain("from 198.51.100.0/24");
    expect(t).not.toContain("every Internet source");
  }
  expectClean(seen);
});

test("the overlay follows the scenario, and says when nothing is exposed", async ({ page }) => {
  const seen = watch(page);
  await open(page);
  await overlayButton(page).click();
  await expect(exposedList(page)).toBeVisible();
  await chooseScenario(page, "blog-part4-before-service");
  await expect(page.getByText("Nothing in this scenario is reachable from the Internet.")).toBeVisible();
  await expect(page.locator(".exposed")).toHaveCount(0);
  expectClean(seen);
});

test("a shadowed rule is a finding beside the rule table; clicking it picks the row", async ({ page }) => {
  const seen = watch(page);
  await open(page);
  const rule = (name, priority, access, source, port) => ({
    name, priority, direction: "Inbound", access, protocol: "Tcp",
    sourceAddressPrefix: source, sourcePortRange: "*", destinationAddressPrefix: "*", destinationPortRange: port,
  });
  const nsg = {
    name: BLOG_NSG,
    securityRules: [
      rule("allow-8080", 400, "Allow", "*", "8080"),
      rule("deny-ssh", 300, "Deny", "*", "22"),
      rule("allow-ssh-office", 310, "Allow", "198.51.100.0/24", "22"),
    ],
  };
  await expect(await importConfirmed(page, JSON.stringify(nsg))).toContainText("replaced");
  await stepTo(page, 5);
  const table = ruleTable(page, BLOG_NSG);
  await expect(table).toBeVisible();
  const findings = page.getByRole("complementary", { name: `Findings for NSG ${BLOG_NSG}` });
  const finding = findings.getByRole("button", { name: /Shadowed: allow-ssh-office/ });
  await expect(finding).toBeVisible();
  await expect(findings).toContainText("deny-ssh");
  await finding.click();
  const row = table.locator("tr.selected");
  await expect(row).toHaveCount(1);
  await expect(row.locator("td").first()).toHaveText("allow-ssh-office");
  await expect(row).toBeFocused();
  await page.screenshot({ path: "tests/e2e/artifacts/analysis-findings.png", fullPage: false });
  expectClean(seen);
});

test("at 1280 px the rule table's match columns need no horizontal scrolling", async ({ page }) => {
  const seen = watch(page);
  await open(page);
  await stepTo(page, 5);
  const table = ruleTable(page, BLOG_NSG);
  // The last match column ends inside the table's scroll box and the window, unscrolled.
  const edges = await table.evaluate((t) => {
    const wrap = t.closest(".rule-table-wrap");
    const th = [...t.querySelectorAll("thead th")].find((h) => h.textContent.trim() === "Destination port?");
    const decided = t.querySelector('tr[data-decided="true"] td.check:last-of-type') ?? t.querySelector('tr[data-decided="true"]');
    return {
      scrolled: wrap.scrollLeft,
      wrapRight: wrap.getBoundingClientRect().right,
      checkRight: th.getBoundingClientRect().right,
      decidedRight: decided.getBoundingClientRect().right,
      windowWidth: window.innerWidth,
    };
  });
  expect(edges.scrolled).toBe(0);
  expect(edges.checkRight).toBeLessThanOrEqual(Math.min(edges.wrapRight, edges.windowWidth));
  expectClean(seen);
});
