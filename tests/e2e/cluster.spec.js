// Issue 14 on the page: a whole cluster from the files the README's commands write,
// picked at once, read by the evaluator's cluster import; the AKS pitfalls planted in the
// fixture cluster are listed with a working "Show me" packet.
import { test, expect } from "@playwright/test";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { diagram, expectClean, open, verdict, watch } from "./helpers.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const dir = path.join(here, "../../crates/packetwalk/fixtures/cluster/two-pools");
const files = fs.readdirSync(dir).filter((f) => f.endsWith(".json")).map((f) => path.join(dir, f));

const section = (page) => page.getByRole("region", { name: "Import your whole cluster" });
const pitfalls = (page) => page.getByRole("region", { name: "AKS pitfalls in this cluster" });

async function importCluster(page) {
  await page.getByText("Import your own NSG or Service").click();
  await expect(section(page)).toContainText("Everything stays in this browser: nothing is sent anywhere.");
  await section(page).getByLabel("Cluster files").setInputFiles(files);
  await expect(section(page).getByRole("list", { name: "Cluster documents" }).locator("li")).toHaveCount(files.length);
  await section(page).getByRole("button", { name: `Build the cluster from ${files.length} documents` }).click();
  const result = page.locator('[aria-label="Import result"]');
  await expect(result).toHaveClass(/ok|review|failed/);
  if (await result.evaluate((el) => el.classList.contains("review"))) {
    // What the import had to assume is shown before anything changes.
    await expect(result).toContainText("Not imported yet");
    await page.getByRole("button", { name: "Import anyway" }).click();
  }
  await expect(result).toContainText("4 nodes in 2 subnets, 14 pods, 5 Services");
}

test("the two-pool cluster's files make one scenario: both pools and both load balancers on the picture", async ({ page }) => {
  const seen = watch(page);
  await open(page);
  await importCluster(page);
  for (const node of ["aks-nodepool1-31647289-vmss000000", "aks-userpool-31647289-vmss000001"]) {
    await expect(page.locator(`[data-component="node:${node}"]`)).toBeVisible();
  }
  for (const subnet of ["snet-aks-system", "snet-aks-user"]) {
    await expect(page.locator(`[data-component="subnet:${subnet}"]`)).toBeVisible();
  }
  // Both load balancers: the public kubernetes and kubernetes-internal.
  for (const lb of ["kubernetes", "kubernetes-internal"]) {
    await expect(page.locator(`[data-component="lb:${lb}"]`)).toBeVisible();
  }
  await expect(diagram(page)).toBeVisible();
  expectClean(seen);
});

test("the planted pitfalls are listed, and Show me drops the public Service's packet at the system subnet's NSG", async ({ page }) => {
  const seen = watch(page);
  await open(page);
  await importCluster(page);
  await expect(pitfalls(page)).toContainText("Service shop/web: the subnet's NSG nsg-snet-aks-system denies what NSG aks-agentpool-31647289-nsg allows");
  await expect(pitfalls(page)).toContainText("Subnet snet-aks-system to subnet snet-aks-user: deny-system-subnet-to-user-subnet on NSG nsg-snet-aks-user drops traffic between node pools");
  await expect(pitfalls(page)).toContainText("Service shop/api: loadBalancerSourceRanges do not stop");
  await expect(pitfalls(page)).toContainText("Service shop/web: 3 nodes without a ready pod");
  await pitfalls(page).getByRole("button", { name: /^Show me: TCP .* → 198\.51\.100\.24:80 \(dropped\)$/ }).click();
  await expect(verdict(page)).toContainText("Dropped");
  await expect(verdict(page)).toContainText("nsg-snet-aks-system");
  await pitfalls(page).getByRole("button", { name: /^Show me: TCP 10\.10\.0\.11:40000 → 10\.10\.4\.14:8080 \(dropped\)$/ }).click();
  await expect(verdict(page)).toContainText("deny-system-subnet-to-user-subnet");
  expectClean(seen);
});
