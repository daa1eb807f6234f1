// Issue 15 on the page: a NetworkPolicy ipBlock meant for the office, behind a Service
// with externalTrafficPolicy Cluster. The pod sees the node's address after kube-proxy's
// SNAT, so the policy drops the office's packet, and the picture says why; switching the
// Service to Local keeps the client's address, and the same packet is delivered.
import { test, expect } from "@playwright/test";
import { expectClean, hopList, open, stepTo, verdict, watch } from "./helpers.js";

test("the ipBlock with Cluster drops the office's packet at the policy; Local delivers it", async ({ page }) => {
  const seen = watch(page);
  await open(page, "?scenario=netpol-ipblock-cluster");
  await expect(verdict(page)).toContainText("Dropped: NetworkPolicy at pod web-");
  await expect(verdict(page)).toContainText("isolated for ingress by allow-office; no rule allows");
  // The last hop is the policy's, and the picture marks the stop with its reason.
  const hops = await hopList(page).locator("li").count();
  await stepTo(page, hops);
  await expect(hopList(page).locator("li").last()).toContainText("NetworkPolicy at pod web-");
  const stop = page.locator(".diagram").getByText("Stopped here");
  await expect(stop).toBeVisible();
  await expect(page.getByRole("region", { name: "Hop details" })).toContainText("the source as the pod sees it");

  // Switch the Service to Local in the editor: the client's address reaches the pod.
  const editor = page.locator("details.editor");
  if (!(await editor.evaluate((d) => d.open))) await editor.locator("summary").click();
  await page.getByRole("combobox", { name: "externalTrafficPolicy of web" }).selectOption("Local");
  await expect(verdict(page)).toContainText("Delivered to web-");
  expectClean(seen);
});

test("the same cluster under Cilium says there is no kube-proxy, and the policy hop names Cilium", async ({ page }) => {
  const seen = watch(page);
  await open(page, "?scenario=netpol-cilium");
  await expect(verdict(page)).toContainText("NetworkPolicy");
  await expect(hopList(page)).toContainText(/Cilium/);
  expectClean(seen);
});
