// Journey 1, first look: the blog's cluster is drawn, each part named for a screen reader.
import { test, expect } from "@playwright/test";

test("the blog's cluster is drawn as a diagram", async ({ page }) => {
  const errors = [];
  page.on("pageerror", (err) => errors.push(err.message));
  await page.goto("./");

  const diagram = page.getByRole("group", { name: /^Network diagram/ });
  await expect(diagram).toBeVisible();

  await expect(page.getByRole("group", { name: "The Internet" })).toBeVisible();
  await expect(page.getByRole("img", { name: /^Public IP kubernetes-a094204ca555d11e9b1619a6af760136 203\.0\.113\.10/ })).toBeVisible();
  await expect(page.getByRole("img", { name: /^Load balancer kubernetes/ })).toBeVisible();
  await expect(page.getByRole("group", { name: /^Virtual network akstest-vnet/ })).toBeVisible();
  await expect(page.getByRole("group", { name: /^Subnet aks 10\.13\.76\.0\/24/ })).toBeVisible();
  await expect(page.getByRole("group", { name: "Node aks-nodepool1-26711606-0" })).toBeVisible();
  await expect(page.getByRole("img", { name: /^NIC aks-nodepool1-26711606-nic-0 10\.13\.76\.4/ })).toBeVisible();
  await expect(
    page.getByRole("img", { name: "Network security group aks-agentpool-26711606-nsg attached to the NIC" }),
  ).toBeVisible();
  // O2: the subnet has no NSG of its own.
  await expect(page.getByRole("img", { name: /attached to the subnet/ })).toHaveCount(0);
  await expect(page.getByRole("img", { name: /^Pod kuard-vnode-/ })).toHaveCount(2);
  await expect(page.getByRole("img", { name: /^kube-proxy on aks-nodepool1-26711606-0/ })).toBeVisible();

  await page.screenshot({ path: "tests/e2e/artifacts/diagram.png", fullPage: true });
  expect(errors).toEqual([]);
});
