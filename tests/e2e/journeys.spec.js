// Journeys 1-3 of the product spec, and the other scenarios' key flows, clicked through
// as a person would. Expected values come from `packetwalk trace` (the same evaluator).
import { test, expect } from "@playwright/test";
import {
  BLOG_NSG,
  BLOG_NSG_ID,
  CHECKS,
  DEFAULT_TITLE,
  chooseScenario,
  choosePreset,
  clickHop,
  component,
  counter,
  diagram,
  expectClean,
  hopDetails,
  hopList,
  open,
  packetAfterHop,
  readRules,
  ruleTable,
  sendPacket,
  stepTo,
  verdict,
  watch,
} from "./helpers.js";

const LB = "lb:kubernetes";
const KP = "kube-proxy:aks-nodepool1-26711606-0";
const PIP = "public-ip:kubernetes-a094204ca555d11e9b1619a6af760136";
const CLIENT = "client:internet-client";
const POD = /^pod:kuard-vnode-/;

// The default flow, internet-to-kuard: where each hop is drawn, and whether it is a reply.
const DEFAULT_WALK = [
  { at: CLIENT },
  { at: PIP },
  { at: LB },
  { at: LB },
  { at: BLOG_NSG_ID, cls: "allowed" },
  { at: KP },
  { at: KP },
  { at: POD, cls: "delivered" },
  { at: POD, reply: true },
  { at: KP, reply: true },
  { at: KP, reply: true },
  { at: BLOG_NSG_ID, reply: true, cls: "allowed" },
  { at: LB, reply: true },
  { at: PIP, reply: true },
  { at: CLIENT, reply: true },
];

test("journey 1: the blog's packet walks hop by hop to a kuard pod and back", async ({ page }) => {
  const seen = watch(page);
  await open(page);
  await expect(page.getByRole("heading", { name: DEFAULT_TITLE })).toBeVisible();
  await expect(page.getByRole("combobox", { name: "Packet preset" })).toHaveValue("internet-to-kuard");
  await expect(counter(page)).toHaveText(`hop 1 of ${DEFAULT_WALK.length}`);

  const summaries = (await hopList(page).getByRole("button").allTextContents()).map((s) => s.replace(/^↩ /, ""));
  expect(summaries).toHaveLength(DEFAULT_WALK.length);

  const total = DEFAULT_WALK.length;
  for (let i = 0; i < total; i++) {
    const hop = DEFAULT_WALK[i];
    const n = i + 1;
    if (n > 1) await stepTo(page, n);
    await expect(counter(page)).toHaveText(`hop ${n} of ${total}`);

    // The hop list marks this hop, and only this one.
    const current = hopList(page).locator('button[aria-current="step"]');
    await expect(current).toHaveCount(1);
    await expect(current).toHaveAttribute("data-hop", String(i));
    await expect(current).toContainText(summaries[i]);

    // The detail panel follows.
    await expect(hopDetails(page).getByRole("heading")).toHaveText(
      `Hop ${n} of ${total}${hop.reply ? " (reply)" : ""} · ${summaries[i]}`,
    );

    // The diagram highlights the component the hop happened at.
    const lit = diagram(page).locator(".current");
    await expect(lit).toHaveCount(1);
    const id = await lit.getAttribute("data-component");
    if (hop.at instanceof RegExp) expect(id).toMatch(hop.at);
    else expect(id).toBe(hop.at);
    if (hop.cls) await expect(lit).toHaveClass(new RegExp(`\\b${hop.cls}\\b`));

    if (n === 5) {
      // The NIC's NSG: the cloud provider's 8080 rule decides, at priority 500.
      await expect(hopDetails(page).getByRole("heading")).toContainText("a094204ca555d11e9b1619a6af760136-TCP-8080-Internet");
      const table = ruleTable(page, BLOG_NSG);
      const rows = await readRules(table);
      expect(rows.map((r) => r.Name)).toEqual([
        "a094204ca555d11e9b1619a6af760136-TCP-8080-Internet",
        "AllowVnetInBound",
        "AllowAzureLoadBalancerInBound",
        "DenyAllInBound",
      ]);
      const decided = rows.filter((r) => r.decided);
      expect(decided).toHaveLength(1);
      expect(decided[0]).toMatchObject({
        Name: "a094204ca555d11e9b1619a6af760136-TCP-8080-Internet",
        Priority: "500",
        Access: "Allow",
        Direction: "Inbound",
        current: "true",
      });
      for (const check of CHECKS) expect(decided[0][check]).toBe("✔ yes");
      // The deciding row is the one a screen reader and the eye are pointed at.
      await expect(table.locator('tr[data-decided="true"]')).toHaveAttribute("aria-current", "true");
      await expect(table.locator('tr[data-decided="true"] td').first()).toHaveText(
        "a094204ca555d11e9b1619a6af760136-TCP-8080-Internet",
      );
      await expect(packetAfterHop(page)).toContainText("-> 203.0.113.10:8080");
    }
    if (n === 6) {
      // kube-proxy's DNAT: the destination becomes a pod's IP and target port.
      await expect(packetAfterHop(page)).toContainText(/198\.51\.100\.23:50123 -> 10\.13\.76\.\d+:8080/);
      await expect(packetAfterHop(page)).not.toContainText("203.0.113.10");
    }
    if (n !== 5 && n !== 12) await expect(ruleTable(page, BLOG_NSG)).toHaveCount(0);
  }

  // At the end: no further step, the verdict, and the reply legs in the list.
  await expect(page.getByRole("button", { name: "Step forward" })).toBeDisabled();
  await expect(verdict(page)).toHaveText(/^✔ Delivered to kuard-vnode-6c4b7d9f8-\w+$/);
  await expect(hopList(page).locator("li").filter({ hasText: "↩" })).toHaveCount(7);
  await expect(hopList(page).getByRole("button", { name: /The reply arrives/ })).toBeVisible();

  // And back: "Step back" returns to the hop before.
  await page.getByRole("button", { name: "Step back" }).click();
  await expect(counter(page)).toHaveText(`hop ${total - 1} of ${total}`);
  expectClean(seen);
});

test("journey 2: port 22, UDP, the health probe and an outbound flow stop or pass for the right reason", async ({ page }) => {
  const seen = watch(page);
  await open(page);

  // Port 22: the load balancer has no rule for it.
  await choosePreset(page, "ssh-from-internet");
  await expect(verdict(page)).toHaveText(/^✖ Dropped: .*\bport 22\b/);
  await expect(counter(page)).toHaveText("hop 1 of 3");
  await stepTo(page, 3);
  await expect(component(page, LB)).toHaveClass(/\bcurrent\b.*\bdenied\b|\bdenied\b.*\bcurrent\b/);
  await expect(page.locator("[data-testid=packet]")).toHaveClass(/\bdenied\b/);

  // A custom UDP packet to the 8080 frontend: dropped at the load balancer too.
  await sendPacket(page, { from: "internet-client:40000", to: "203.0.113.10:8080", protocol: "UDP" });
  await expect(verdict(page)).toHaveText(/^✖ Dropped: .*UDP port 8080/);
  await expect(counter(page)).toHaveText("hop 1 of 3");
  await expect(hopDetails(page)).toContainText("UDP 198.51.100.23:40000 -> 203.0.113.10:8080");
  // It is no longer one of the presets.
  await expect(page.getByRole("combobox", { name: "Packet preset" })).toHaveValue("");
  await expect(page.getByRole("textbox", { name: "From" })).not.toHaveAttribute("aria-invalid", "true");

  // The health probe from 168.63.129.16: delivered; the source is in VirtualNetwork, so
  // AllowVnetInBound (65000) decides before AllowAzureLoadBalancerInBound (65001).
  await choosePreset(page, "health-probe");
  await expect(page.getByRole("textbox", { name: "From" })).toHaveValue("168.63.129.16:61000");
  await expect(verdict(page)).toHaveText(/^✔ Delivered to kuard-vnode-/);
  await clickHop(page, /^NSG aks-agentpool-26711606-nsg on the NIC/);
  let rows = await readRules(ruleTable(page, BLOG_NSG));
  expect(rows.filter((r) => r.decided).map((r) => r.Name)).toEqual(["AllowVnetInBound"]);
  expect(rows.find((r) => r.decided)).toMatchObject({ Priority: "65000", Access: "Allow" });
  const lbRule = rows.find((r) => r.Name === "AllowAzureLoadBalancerInBound");
  expect(lbRule).toMatchObject({ Priority: "65001", decided: false, current: null });
  for (const check of CHECKS) expect(lbRule[check], check).toBe("✔ yes");
  // The 8080 rule does not match the probe's source.
  expect(rows.find((r) => r.Priority === "500")["Source?"]).toBe("✖ no");

  // A pod's outbound flow to the Internet: the outbound default rules decide.
  await choosePreset(page, "pod-to-internet");
  await expect(verdict(page)).toHaveText(/^✔ Delivered to Internet host 198\.51\.100\.80$/);
  await clickHop(page, /^NSG aks-agentpool-26711606-nsg on the NIC/);
  rows = await readRules(ruleTable(page, BLOG_NSG));
  expect(rows.map((r) => r.Direction)).toEqual(["Outbound", "Outbound", "Outbound"]);
  expect(rows.filter((r) => r.decided).map((r) => r.Name)).toEqual(["AllowInternetOutBound"]);
  expectClean(seen);
});

test("journey 3: before the Service exists nothing answers, and the NSG is on the NIC with only default rules", async ({ page }) => {
  const seen = watch(page);
  await open(page);
  await chooseScenario(page, "blog-part4-before-service", "The blog's cluster before kubectl apply of the kuard-vnode Service");
  await expect(diagram(page)).toHaveAttribute(
    "aria-label",
    "Network diagram: The blog's cluster before kubectl apply of the kuard-vnode Service",
  );
  await expect(verdict(page)).toHaveText(/^✖ Dropped: Load balancer kubernetes has no rule for TCP port 8080/);

  // The NSG is a shield on the NIC; the subnet has none.
  await expect(page.getByRole("img", { name: `Network security group ${BLOG_NSG} attached to the NIC` })).toBeVisible();
  await expect(page.getByRole("img", { name: /attached to the subnet/ })).toHaveCount(0);
  await expect(diagram(page).getByText("no NSG on this subnet")).toBeVisible();

  // Only the default rules: a packet from the VNet is judged by AllowVnetInBound.
  await choosePreset(page, "vnet-to-pod");
  await clickHop(page, /^NSG aks-agentpool-26711606-nsg on the NIC/);
  const rows = await readRules(ruleTable(page, BLOG_NSG));
  expect(rows.map((r) => r.Name)).toEqual(["AllowVnetInBound", "AllowAzureLoadBalancerInBound", "DenyAllInBound"]);
  expect(rows.filter((r) => r.decided).map((r) => r.Name)).toEqual(["AllowVnetInBound"]);
  expectClean(seen);
});

test("subnet NSG: a client outside the office range is denied by DenyAllInBound on the subnet", async ({ page }) => {
  const seen = watch(page);
  await open(page, "?scenario=subnet-nsg");
  await expect(page.getByRole("img", { name: "Network security group akstest-subnet-nsg attached to the subnet" })).toBeVisible();
  await choosePreset(page, "elsewhere-to-kuard");
  await expect(verdict(page)).toHaveText(
    "✖ Dropped: NSG akstest-subnet-nsg on the subnet aks: DenyAllInBound (priority 65500) denies",
  );
  await stepTo(page, 5);
  await expect(component(page, "nsg:akstest-subnet-nsg@subnet:aks")).toHaveClass(/\bdenied\b/);
  await expect(component(page, "nsg:akstest-subnet-nsg@subnet:aks")).toHaveClass(/\bcurrent\b/);
  const table = ruleTable(page, "akstest-subnet-nsg");
  const rows = await readRules(table);
  expect(rows.filter((r) => r.decided).map((r) => r.Name)).toEqual(["DenyAllInBound"]);
  expect(rows.find((r) => r.decided)).toMatchObject({ Priority: "65500", Access: "Deny", current: "true" });
  // The office rule names the right port but not this source.
  expect(rows.find((r) => r.Name === "allow-8080-from-office")).toMatchObject({ "Source?": "✖ no", "Destination port?": "✔ yes" });
  await expect(table.locator("tr.decided")).toHaveText(/DenyAllInBound/);
  expectClean(seen);
});

test("three nodes: externalTrafficPolicy Local keeps the client's source IP to the pod", async ({ page }) => {
  const seen = watch(page);
  await open(page, "?scenario=three-nodes");
  await choosePreset(page, "local-keeps-client-ip");
  await expect(verdict(page)).toHaveText(/^✔ Delivered to web-local-/);
  await clickHop(page, /^Pod web-local-\S+ receives/);
  await expect(packetAfterHop(page)).toContainText(/^packet: TCP 198\.51\.100\.23:50001 -> 10\.224\.0\.\d+:8080$/);

  // With Cluster, the same client's packet reaches the pod from a node's IP instead.
  await choosePreset(page, "cluster-via-node-2");
  await clickHop(page, /^Pod \S+ receives/);
  await expect(packetAfterHop(page)).not.toContainText("198.51.100.23");
  expectClean(seen);
});
