// The load balancer's decision on the picture: the rule and probe it used, and a backend
// the probe marks down looks down (externalTrafficPolicy Local, a node without a ready pod).
import { test, expect } from "@playwright/test";
import { expectClean, open, watch } from "./helpers.js";

test("with Local, the node without a ready pod is drawn as failing its health probe", async ({ page }) => {
  const seen = watch(page);
  await open(page, "?v=1&scenario=three-nodes&flow=local-keeps-client-ip&step=4");
  const lb = page.locator('[data-callout-for="lb:kubernetes"]');
  await expect(lb).toContainText("Load-balancing rule TCP 80 -> 80");
  await expect(lb).toContainText("health probe HTTP 32080/healthz");
  await expect(lb).toContainText("2 of 3 backends healthy");
  const down = page.locator('[data-component="node:aks-nodepool1-31415926-2"]');
  await expect(down).toHaveClass(/unhealthy/);
  await expect(down.getByTestId("probe-down")).toContainText("health probe fails");
  await expect(down.locator("[data-testid=probe-down] title")).toContainText("no ready pod on this node");
  await expect(page.locator(".node.unhealthy")).toHaveCount(1);
  // With Cluster every node answers the NodePort probe: none is drawn down.
  await open(page, "?v=1&scenario=three-nodes&flow=cluster-via-node-2&step=4");
  await expect(page.locator(".node.unhealthy")).toHaveCount(0);
  await expect(page.locator('[data-callout-for="lb:kubernetes"]')).toContainText("3 of 3 backends healthy");
  expectClean(seen);
});
