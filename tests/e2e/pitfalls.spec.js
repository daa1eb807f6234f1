// Issue 14 §2 on the page: the AKS pitfalls the evaluator finds in the cluster, beside
// the picture, each with a "Show me" packet that puts the trap on the diagram.
import { test, expect } from "@playwright/test";
import { expectClean, hopList, open, verdict, watch } from "./helpers.js";

const panel = (page) => page.getByRole("region", { name: "AKS pitfalls in this cluster" });

test("the blog's cluster has none, and says so", async ({ page }) => {
  const seen = watch(page);
  await open(page);
  await expect(panel(page)).toContainText("AKS pitfalls (0)");
  await expect(panel(page)).toContainText("None of the known AKS traps is in this cluster.");
  expectClean(seen);
});

test("a subnet NSG without the Service's rule: Show me drops the packet at the subnet's NSG", async ({ page }) => {
  const seen = watch(page);
  await open(page, "?scenario=subnet-nsg");
  await expect(panel(page)).toContainText("AKS pitfalls (1)");
  await expect(panel(page)).toContainText(
    "Service default/kuard-vnode: the subnet's NSG akstest-subnet-nsg denies what NSG aks-agentpool-26711606-nsg allows",
  );
  // The reason, with the rules and their priorities, is one click away.
  await panel(page).getByText("Why").click();
  await expect(panel(page)).toContainText("a094204ca555d11e9b1619a6af760136-TCP-8080-Internet (priority 500, Allow)");
  await expect(panel(page)).toContainText("DenyAllInBound (priority 65500, Deny)");
  await panel(page).getByRole("button", { name: /^Show me: TCP 192\.0\.2\.50:50123 → 203\.0\.113\.10:8080 \(dropped\)$/ }).click();
  await expect(verdict(page)).toContainText("Dropped");
  // On the picture: the subnet's NSG carries the stop.
  await expect(page.locator('[data-component="nsg:akstest-subnet-nsg@subnet:aks"]')).toBeVisible();
  await expect(hopList(page)).toContainText("akstest-subnet-nsg");
  expectClean(seen);
});

test("source ranges bypassed inside the VNet: Show me delivers a VNet address outside the ranges", async ({ page }) => {
  const seen = watch(page);
  await open(page, "?scenario=source-ranges");
  await expect(panel(page)).toContainText("loadBalancerSourceRanges do not stop 10.13.255.254");
  await panel(page).getByRole("button", { name: /^Show me: TCP 10\.13\.255\.254:40000 → 10\.13\.76\.4:30610 \(delivered\)$/ }).click();
  await expect(verdict(page)).toContainText("Delivered");
  expectClean(seen);
});

test("an ipBlock behind a Cluster Service: the finding's packet is dropped at the pod's policy, and Local has no such finding", async ({ page }) => {
  const seen = watch(page);
  await open(page, "?scenario=netpol-ipblock-cluster");
  await expect(panel(page)).toContainText(
    "Service shop/web: allow-office's ipBlock 198.51.100.0/24 never sees its clients (externalTrafficPolicy Cluster SNATs them to a node's IP)",
  );
  await panel(page).getByText("Why").first().click();
  await expect(panel(page)).toContainText("sees 198.51.100.23 as 10.224.0.6");
  await panel(page).getByRole("button", { name: /^Show me: TCP 198\.51\.100\.23:50123 → 203\.0\.113\.10:80 \(dropped\)$/ }).click();
  await expect(verdict(page)).toContainText("Dropped");
  await expect(hopList(page)).toContainText("isolated for ingress by");
  await open(page, "?scenario=netpol-ipblock-local");
  await expect(panel(page)).not.toContainText("never sees its clients");
  expectClean(seen);
});

test("the parts a pitfall names glow on the picture, and nothing glows in a cluster without pitfalls", async ({ page }) => {
  const seen = watch(page);
  await open(page, "?scenario=subnet-nsg");
  await expect(panel(page)).toContainText("The parts they name glow amber on the picture.");
  const flagged = page.locator(".diagram .flagged");
  await expect(flagged).toHaveCount(2);
  await expect(page.locator('[data-component="nsg:akstest-subnet-nsg@subnet:aks"]')).toHaveClass(/\bflagged\b/);
  await expect(page.locator('[data-component="nsg:aks-agentpool-26711606-nsg@nic:aks-nodepool1-26711606-nic-0"]')).toHaveClass(/\bflagged\b/);
  // The glow is drawn (a filter), not only a class.
  const filter = await page.locator('[data-component="nsg:akstest-subnet-nsg@subnet:aks"]').evaluate((el) => getComputedStyle(el).filter);
  expect(filter).toContain("drop-shadow");
  // NetworkPolicy findings mark the pod's policy badge and the node the packet came through.
  await open(page, "?scenario=netpol-ipblock-cluster");
  await expect(page.locator('[data-component="netpol:web-7c9d8e6f5-h4j2k"]')).toHaveClass(/\bflagged\b/);
  await expect(page.locator('[data-component="node:aks-nodepool1-27182818-2"]')).toHaveClass(/\bflagged\b/);
  await open(page, "?scenario=blog-part4");
  await expect(panel(page)).toContainText("AKS pitfalls (0)");
  await expect(flagged).toHaveCount(0);
  expectClean(seen);
});
