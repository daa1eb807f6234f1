// Issue 15 on the page, as a reader meets it: at the NetworkPolicy hop the hop panel
// shows the policies that select the pod with the rule, peer and port that decided; on
// the picture a badge marks each pod a policy selects, and turns red where the policy
// drops the packet; the guided tour's second chapter walks through default deny, an
// ipBlock behind externalTrafficPolicy Cluster (dropped) and Local (delivered), and Cilium.
import { test, expect } from "@playwright/test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { choosePreset, clickHop, diagram, expectClean, hopDetails, hopList, open, stepTo, verdict, watch } from "./helpers.js";

const WEB = "web-6f7d8c9b5-q8r2t";
const CART = "cart-5b6c7d8e9-z7y6x";
const INGRESS = "ingress-nginx-controller-7d9f8b6c5-x2k4p";
const OFFICE_WEB = "web-7c9d8e6f5-h4j2k";

const policyTable = (page, pod) => hopDetails(page).getByRole("table", { name: `NetworkPolicies selecting pod ${pod}` });
const facts = (page) => hopDetails(page).getByLabel("What the policies see");
const badge = (page, pod) => page.locator(`[data-component="netpol:${pod}"]`);
const tour = (page) => page.getByRole("region", { name: "Guided tour" });
const next = (page) => tour(page).getByRole("button", { name: "Next step ▶" });

/** The policy table's rows: name, the four cells, and what the evaluator marked. */
function readPolicies(table) {
  return table.evaluate((t) =>
    [...t.querySelectorAll("tbody tr")].map((tr) => ({
      cells: [...tr.cells].map((td) => td.textContent.trim()),
      decided: tr.getAttribute("data-decided"),
      current: tr.getAttribute("aria-current"),
      isolating: tr.classList.contains("isolating"),
      matched: [...tr.querySelectorAll('li[data-matched="true"]')].map((li) => li.textContent.trim()),
    })),
  );
}

/** The colour the page draws denials in: the stroke of the "Stopped here" callout. */
const denyColour = (page) => page.locator(".callout.denied rect").evaluate((r) => getComputedStyle(r).stroke);
const badgeFill = (page, pod) => badge(page, pod).locator("rect").evaluate((r) => getComputedStyle(r).fill);

test("the policy hop shows the policies selecting the pod, and the rule, peer and port that allowed the packet", async ({ page }) => {
  const seen = watch(page);
  await open(page, "?scenario=netpol-default-deny");
  await expect(page.getByRole("combobox", { name: "Packet preset" })).toHaveValue("ingress-to-web");
  // Hop 3, the NSG's: no policy table there.
  await stepTo(page, 3);
  await expect(hopDetails(page).getByRole("table")).toHaveCount(0);

  await clickHop(page, /NetworkPolicy at pod web-6f7d8c9b5-q8r2t: allow-from-ingress-nginx spec\.ingress\[0\] allows/);
  const table = policyTable(page, `shop/${WEB}`);
  await expect(table).toBeVisible();
  await expect(facts(page)).toContainText("Engine:Calico");
  await expect(facts(page)).toContainText("Direction:Ingress");
  await expect(facts(page)).toContainText(`Pod:shop/${WEB}`);
  await expect(facts(page)).toContainText(`Source, as the pod sees it:10.224.0.30 (pod ingress-nginx/${INGRESS})`);
  await expect(facts(page)).toContainText("Port:TCP 8080");
  await expect(table.locator("caption")).toContainText("✔ allow-from-ingress-nginx spec.ingress[0] allows");
  await expect(table.locator("thead th")).toHaveText(["Policy", "policyTypes", "Isolates for ingress?", "Ingress rules"]);

  const rows = await readPolicies(table);
  expect(rows).toHaveLength(2);
  expect(rows[0]).toMatchObject({
    cells: ["default-deny-ingress", "Ingress", "yes", "no Ingress rules: it allows nothing"],
    decided: "false",
    current: null,
  });
  expect(rows[1]).toMatchObject({ decided: "true", current: "true", isolating: false });
  expect(rows[1].cells.slice(0, 3)).toEqual(["allow-from-ingress-nginx", "Ingress", "yes"]);
  // The deciding rule, with the peer and the (named) port that matched.
  expect(rows[1].matched).toHaveLength(1);
  expect(rows[1].matched[0]).toContain(
    "spec.ingress[0]: from[0] pods {app.kubernetes.io/name=ingress-nginx} in namespaces {kubernetes.io/metadata.name=ingress-nginx}; ports[0] TCP http",
  );
  expect(rows[1].matched[0]).toContain("matched: from[0]: pods {app.kubernetes.io/name=ingress-nginx}");
  expect(rows[1].matched[0]).toContain("ports[0]: TCP http (= 8080)");
  // The table fits the hop panel at 1280 px: nothing scrolls sideways.
  const wrap = hopDetails(page).locator("[data-testid=policy-table]");
  expect(await wrap.evaluate((e) => e.scrollWidth <= e.clientWidth + 1)).toBe(true);

  // The cart pod, from web's own namespace: both policies isolate, none allows.
  await choosePreset(page, "cart-to-web");
  await expect(verdict(page)).toContainText("✖ Dropped: NetworkPolicy at pod web-6f7d8c9b5-q8r2t");
  await clickHop(page, /NetworkPolicy at pod web-6f7d8c9b5-q8r2t: isolated for ingress/);
  await expect(table.locator("caption")).toContainText(
    "✖ isolated for ingress by default-deny-ingress and allow-from-ingress-nginx; no rule allows",
  );
  await expect(facts(page)).toContainText(`Source, as the pod sees it:10.224.0.41 (pod shop/${CART})`);
  const dropped = await readPolicies(table);
  expect(dropped.map((r) => [r.cells[0], r.decided, r.isolating, r.matched.length])).toEqual([
    ["default-deny-ingress", "false", true, 0],
    ["allow-from-ingress-nginx", "false", true, 0],
  ]);
  expectClean(seen);
});

test("a pod no policy selects gets a table saying so, and the Cilium note is in the table", async ({ page }) => {
  const seen = watch(page);
  await open(page, "?scenario=netpol-default-deny");
  await clickHop(page, /NetworkPolicy at pod ingress-nginx-controller-7d9f8b6c5-x2k4p: no policy isolates the pod for egress/);
  const table = policyTable(page, `ingress-nginx/${INGRESS}`);
  await expect(table).toContainText("No NetworkPolicy selects this pod.");
  await expect(facts(page)).toContainText("Direction:Egress");
  await expect(facts(page)).toContainText(`Destination, as the pod sends it:10.224.0.40 (pod shop/${WEB})`);

  await open(page, "?scenario=netpol-cilium&flow=office-via-other-node");
  await clickHop(page, /NetworkPolicy at pod web-7c9d8e6f5-h4j2k: isolated for ingress by allow-office/);
  await expect(facts(page)).toContainText("Engine:Cilium");
  await expect(hopDetails(page).getByRole("list", { name: "What the engine changed" })).toHaveText(
    "policy allow-office: ipBlock 10.224.0.0/16 contains 10.224.0.6, but Cilium's ipBlock does not select pod or node addresses",
  );
  expectClean(seen);
});

test("the badge marks the pods a policy selects, names the policies, and turns red where the policy drops the packet", async ({ page }) => {
  const seen = watch(page);
  await open(page);
  await expect(page.locator(".policy-badge")).toHaveCount(0); // the blog's cluster has no policies

  await open(page, "?scenario=netpol-default-deny");
  await expect(diagram(page).getByRole("img", { name: /^NetworkPolicy: / })).toHaveCount(2);
  await expect(diagram(page).getByRole("img", { name: "NetworkPolicy: default-deny-ingress (Ingress), allow-from-ingress-nginx (Ingress)" })).toBeVisible();
  await expect(diagram(page).getByRole("img", { name: "NetworkPolicy: default-deny-ingress (Ingress)", exact: true })).toBeVisible();
  await expect(badge(page, WEB).locator("title")).toHaveText("NetworkPolicy: default-deny-ingress (Ingress), allow-from-ingress-nginx (Ingress)");
  await expect(badge(page, CART)).toBeVisible();
  await expect(badge(page, INGRESS)).toHaveCount(0); // namespace ingress-nginx has no policy
  // Each badge sits on its own pod's top edge.
  for (const pod of [WEB, CART]) {
    const b = await badge(page, pod).boundingBox();
    const p = await page.locator(`[data-component="pod:${pod}"] rect`).boundingBox();
    expect(b.x).toBeGreaterThanOrEqual(p.x);
    expect(b.x + b.width).toBeLessThanOrEqual(p.x + p.width + 1);
    expect(b.y).toBeLessThan(p.y);
    expect(b.y + b.height).toBeGreaterThan(p.y);
  }
  // At the policy hop that allows the packet, the web pod's badge is the part lit up.
  await clickHop(page, /NetworkPolicy at pod web-6f7d8c9b5-q8r2t/);
  await expect(diagram(page).locator(".current")).toHaveCount(1);
  await expect(badge(page, WEB)).toHaveClass(/\bcurrent allowed\b/);

  // Dropped at the policy: the badge shows the drop in the deny colour, beside the stop.
  await open(page, "?scenario=netpol-ipblock-cluster&flow=office-via-other-node");
  await expect(badge(page, OFFICE_WEB)).toHaveAttribute("aria-label", "NetworkPolicy: allow-office (Ingress)");
  const before = await badgeFill(page, OFFICE_WEB);
  const hops = await hopList(page).locator("li").count();
  await stepTo(page, hops);
  await expect(badge(page, OFFICE_WEB)).toHaveClass(/\bcurrent denied\b/);
  await expect(diagram(page).getByText("Stopped here")).toBeVisible();
  const deny = await denyColour(page);
  await expect.poll(() => badgeFill(page, OFFICE_WEB)).toBe(deny);
  expect(before).not.toBe(deny);
  expectClean(seen);
});

test("the downloaded SVG carries the policy badge", async ({ page }) => {
  const seen = watch(page);
  await open(page, "?scenario=netpol-ipblock-cluster&flow=office-via-other-node");
  const [download] = await Promise.all([
    page.waitForEvent("download"),
    page.getByRole("button", { name: "Download SVG" }).click(),
  ]);
  const path = join(import.meta.dirname, "artifacts", "exported-netpol.svg");
  await download.saveAs(path);
  const text = readFileSync(path, "utf8");
  expect(text).toContain(`data-component="netpol:${OFFICE_WEB}"`);
  expect(text).toMatch(/<title[^>]*>NetworkPolicy: allow-office \(Ingress\)<\/title>/);
  expect(text).toMatch(/class="badge-text pw\d+"[^>]*>allow-office</);
  expectClean(seen);
});

test("the tour's NetworkPolicy chapter: allowed from the ingress controller, dropped behind Cluster, delivered with Local, and Cilium", async ({ page }) => {
  const seen = watch(page);
  await open(page, "?tour=7");
  await expect(tour(page)).toContainText("The blog's story, step 7 of 11");
  await next(page).click();

  // Step 8: default deny, and the allow from the ingress controller.
  await expect(tour(page)).toContainText("NetworkPolicy at the pod, step 8 of 11");
  await expect(page.getByRole("combobox", { name: "Scenario" }).locator("option:checked")).toHaveText("NetworkPolicy at the pod, step 8");
  await expect(hopDetails(page).getByRole("heading")).toContainText("NetworkPolicy at pod web-6f7d8c9b5-q8r2t: allow-from-ingress-nginx spec.ingress[0] allows");
  await expect(policyTable(page, `shop/${WEB}`).locator('tr[data-decided="true"]')).toContainText("allow-from-ingress-nginx");
  await expect(badge(page, WEB)).toHaveClass(/tour-focus/);
  await expect(verdict(page)).toContainText("✔ Delivered to web-6f7d8c9b5-q8r2t");

  // Step 9: the office's ipBlock behind Cluster: the pod sees node 2's address; dropped.
  await next(page).click();
  await expect(tour(page)).toContainText("step 9 of 11");
  await expect(tour(page)).toContainText("the pod sees 10.224.0.6");
  await expect(verdict(page)).toContainText("✖ Dropped: NetworkPolicy at pod web-7c9d8e6f5-h4j2k: isolated for ingress by allow-office; no rule allows");
  await expect(facts(page)).toContainText("Source, as the pod sees it:10.224.0.6 (node aks-nodepool1-27182818-2)");
  await expect(badge(page, OFFICE_WEB)).toHaveClass(/\bcurrent denied\b/);
  await expect(diagram(page).getByText("Stopped here")).toBeVisible();
  await expect(page.locator('[data-component="kube-proxy:aks-nodepool1-27182818-2"]')).toHaveClass(/tour-focus/);

  // Step 10: the same with Local: the office's own address, delivered.
  await next(page).click();
  await expect(tour(page)).toContainText("step 10 of 11");
  await expect(verdict(page)).toContainText("✔ Delivered to web-7c9d8e6f5-h4j2k");
  await expect(facts(page)).toContainText("Source, as the pod sees it:198.51.100.23 (client office)");
  await expect(policyTable(page, `shop/${OFFICE_WEB}`).locator('li[data-matched="true"]')).toContainText("matched: from[0]: ipBlock 198.51.100.0/24 · ports[0]: TCP 8080");
  await expect(badge(page, OFFICE_WEB)).toHaveClass(/\bcurrent allowed\b/);

  // Step 11: Cilium, no kube-proxy; the nodes' range does not help.
  await next(page).click();
  await expect(tour(page)).toContainText("step 11 of 11");
  await expect(hopList(page)).toContainText("Cilium's eBPF service handling DNATs");
  await expect(diagram(page).getByRole("img", { name: "Cilium's eBPF service handling (no kube-proxy) on aks-nodepool1-27182818-2" })).toBeVisible();
  await expect(verdict(page)).toContainText("✖ Dropped");
  await expect(hopDetails(page)).toContainText("Cilium's ipBlock does not select pod or node addresses");
  await expect(next(page)).toHaveCount(0);
  // Words for people: no numbered points of the docs on the page.
  await expect(tour(page)).not.toContainText("NP ");
  expectClean(seen);
});

test.describe("on a phone", () => {
  test.use({ viewport: { width: 375, height: 800 } });

  test("the policy table wraps inside the hop panel, and nothing spills sideways", async ({ page }) => {
    const seen = watch(page);
    for (const query of ["?scenario=netpol-default-deny&flow=ingress-to-web&step=5", "?tour=11"]) {
      await open(page, query);
      const wrap = hopDetails(page).locator("[data-testid=policy-table]");
      await expect(wrap).toBeVisible();
      const panel = await hopDetails(page).boundingBox();
      const box = await wrap.boundingBox();
      expect(box.x).toBeGreaterThanOrEqual(panel.x);
      expect(box.x + box.width).toBeLessThanOrEqual(panel.x + panel.width);
      expect(panel.x + panel.width).toBeLessThanOrEqual(375);
      const spill = await page.evaluate(() => ({
        page: document.documentElement.scrollWidth - document.documentElement.clientWidth,
        // (The table's header row is there for screen readers only, out of sight.)
        inside: [...document.querySelectorAll(".hop-detail, .hop-detail *")]
          .filter((e) => !e.closest("thead"))
          .filter((e) => e.scrollWidth > e.clientWidth + 1 && getComputedStyle(e).overflowX !== "visible")
          .map((e) => e.className),
        wide: [...document.querySelectorAll("[data-testid=policy-table] *")]
          .filter((e) => !e.closest("thead") && e.getBoundingClientRect().right > 375)
          .map((e) => `${e.tagName}.${e.className}`),
      }));
      expect(spill).toEqual({ page: 0, inside: [], wide: [] });
    }
    expectClean(seen);
  });
});
