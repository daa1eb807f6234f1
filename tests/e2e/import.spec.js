// Journey 5: an engineer pastes real NSG JSON and sees why the packet stops; imported
// strings render as text, never as HTML.
import { test, expect } from "@playwright/test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { expectClean, open, ruleTable, stepTo, verdict, watch, BLOG_NIC, BLOG_NSG, importJson, importConfirmed } from "./helpers.js";

const real = join(import.meta.dirname, "..", "..", "crates", "packetwalk", "fixtures", "real");

test("a real NSG with odd values waits for review, then imports with warnings naming rule and field", async ({ page }) => {
  const seen = watch(page);
  await open(page);
  const result = await importJson(page, readFileSync(join(real, "azure-arm_nsg_custom-rule.json"), "utf8"));
  // Held: it says so as a warning, and nothing has changed yet.
  await expect(result).toHaveClass(/review/);
  await expect(result).toHaveAttribute("role", "alert");
  await expect(result).toContainText("Not imported yet: the import found 2 problems. Nothing has changed");
  await expect(result.getByRole("list", { name: "Import warnings" })).toContainText(
    'NSG test-nsg1, rule web, sourceAddressPrefix "789": not an IP address, CIDR prefix or service tag; it never matches',
  );
  await expect(result.getByRole("list", { name: "What changed" })).toContainText(`NSG test-nsg1 now on NIC ${BLOG_NIC}`);
  await expect(verdict(page)).toContainText("Delivered to kuard-vnode-");
  // Confirmed: now it happens.
  await page.getByRole("button", { name: "Import anyway" }).click();
  await expect(result).toHaveClass(/ok/);
  await expect(result).toContainText(`NSG test-nsg1 now on NIC ${BLOG_NIC}`);
  await expect(result.getByRole("list", { name: "Import warnings" })).toContainText('sourceAddressPrefix "789"');
  // The imported NSG has no rule for the blog's packet: DenyAllInBound at the NIC.
  await expect(verdict(page)).toContainText("test-nsg1");
  await expect(verdict(page)).toContainText("DenyAllInBound");
  expectClean(seen);
});

test("an import that finds no rules is a warning, changes nothing, and can be cancelled", async ({ page }) => {
  const seen = watch(page);
  await open(page);
  const result = await importJson(page, '{"securityRules": 5}');
  await expect(result).toHaveClass(/review/);
  await expect(result).not.toHaveClass(/ok/);
  await expect(result).toContainText("Not imported yet");
  const warnings = result.getByRole("list", { name: "Import warnings" });
  await expect(warnings).toContainText("NSG nsg, securityRules: expected an array of rules, found a number");
  await expect(warnings).toContainText("NSG nsg, securityRules: no security rules found: only the six default rules would remain");
  await expect(warnings).toContainText("the document does not name its NSG");
  // Nothing changed: the blog's packet is still delivered through the blog's NSG.
  await expect(verdict(page)).toContainText("Delivered to kuard-vnode-");
  await page.getByRole("button", { name: "Cancel" }).click();
  await expect(result).toContainText("Import cancelled: nothing was changed.");
  await expect(page.getByRole("button", { name: "Import anyway" })).toHaveCount(0);
  await stepTo(page, 5);
  await expect(ruleTable(page, BLOG_NSG)).toBeVisible();
  await expect(verdict(page)).toContainText("Delivered to kuard-vnode-");
  expectClean(seen);
});

test("every real NSG fixture imports without breaking the page", async ({ page }) => {
  const seen = watch(page);
  await open(page);
  for (const file of [
    "az-cli-flattened_nsg-show_docs-create-cli-complete.json",
    "azure-arm_nsg_from-list_databricks-source-prefix-arrays.json",
    "azure-arm_nsg_from-list_ipv6-outbound-rule.json",
    "azure-arm_nsg-rule_src-prefixes-dst-port-ranges.json",
  ]) {
    const result = await importConfirmed(page, readFileSync(join(real, file), "utf8"));
    await expect(result, file).toHaveClass(/ok/);
    await expect(verdict(page)).toBeVisible();
  }
  expectClean(seen);
});

test("a kubectl Service is applied as kubectl apply would", async ({ page }) => {
  const seen = watch(page);
  await open(page, "?scenario=blog-part4-before-service");
  const svc = readFileSync(join(real, "k8s_service_loadbalancer_gke_kubectl-get-o-json.json"), "utf8");
  const result = await importJson(page, svc);
  await expect(result).toContainText("applied the Service");
  await expect(result).toContainText("added at priority 500");
  expectClean(seen);
});

test("a rule named like HTML shows as text", async ({ page }) => {
  const seen = watch(page);
  await open(page);
  const hostile = "<img src=x onerror=alert(1)>";
  const nsg = {
    name: "aks-agentpool-26711606-nsg",
    securityRules: [
      { name: hostile, description: "<b>bold</b>", priority: 400, direction: "Inbound", access: "Allow", protocol: "Tcp",
        sourceAddressPrefix: "*", sourcePortRange: "*", destinationAddressPrefix: "*", destinationPortRange: "8080" },
    ],
  };
  const result = await importJson(page, JSON.stringify(nsg));
  await expect(result).toContainText("replaced");
  await stepTo(page, 5);
  const table = ruleTable(page, "aks-agentpool-26711606-nsg");
  await expect(table.locator('tr[data-decided="true"] td').first()).toHaveText(hostile);
  await expect(page.locator("img")).toHaveCount(0);
  await expect(page.locator("main b")).toHaveCount(0);
  expectClean(seen);
});

test("broken JSON gets a clear message and loses nothing", async ({ page }) => {
  const seen = watch(page);
  await open(page);
  const result = await importJson(page, '{"securityRules": [ {"name": "web", ');
  await expect(result).toHaveClass(/failed/);
  await expect(result).toContainText("not JSON");
  await expect(verdict(page)).toContainText("Delivered to kuard-vnode-");
  const other = await importJson(page, '{"hello": "world"}');
  await expect(other).toContainText("expected a network security group");
  expectClean(seen);
});
