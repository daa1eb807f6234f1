// The JavaScript API for blog authors: the README's example page (www/embed-example.html,
// copied into dist/) mounts the app in its own <div> and calls trace() with plain objects.
import { test, expect } from "@playwright/test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { counter, expectClean, watch } from "./helpers.js";

const root = join(import.meta.dirname, "..", "..");
const blogScenario = JSON.parse(readFileSync(join(root, "www/scenarios/blog-part4.json"), "utf8"));
const demo = (page) => page.locator("#packetwalk-demo");

/** Opens the example page and waits for the mounted diagram. */
async function openExample(page, suffix = "") {
  await page.goto(`./embed-example.html${suffix}`);
  await expect(demo(page).getByRole("group", { name: /^Network diagram: / })).toBeVisible();
}

/** Runs `fn(api, arg)` in the page with the module the example imported (same instance). */
const withApi = (page, fn, arg) =>
  page.evaluate(
    async ([source, arg]) => {
      const api = await import("./packetwalk-web.js");
      return new Function("api", "arg", `return (${source})(api, arg);`)(api, arg);
    },
    [fn.toString(), arg],
  );

/** The message of the Error `fn` throws in the page, or a note that it threw none. */
const thrown = (page, fn, arg) =>
  withApi(
    page,
    (api, [source, arg]) => {
      try {
        new Function("api", "arg", `return (${source})(api, arg);`)(api, arg);
        return "no error";
      } catch (err) {
        return `${err instanceof Error ? "Error" : typeof err}: ${err.message}`;
      }
    },
    [fn.toString(), arg],
  );

test("the example page mounts the app in the author's element and leaves the page alone", async ({ page }) => {
  const seen = watch(page);
  await openExample(page, "?post=aks#networking");
  const url = page.url();
  const entries = await page.evaluate(() => history.length);

  // Drawn inside the <div>, in embed mode, on the flow and hop the options named.
  const app = demo(page).locator("main.app.embed");
  await expect(app).toHaveCount(1);
  await expect(page.locator("main.app")).toHaveCount(1);
  expect(await page.evaluate(() => [...document.body.children].map((e) => e.tagName))).toEqual(["ARTICLE"]);
  await expect(demo(page).locator("[data-component^='nsg:aks-agentpool-26711606-nsg']")).toBeVisible();
  await expect(counter(page)).toHaveText("hop 1 of 3");
  await expect(page.getByRole("combobox", { name: "Scenario" })).toHaveCount(0);

  // Using the controls never rewrites the host page's address.
  await page.getByRole("button", { name: "Step forward" }).click();
  await expect(counter(page)).toHaveText("hop 2 of 3");
  await page.getByRole("button", { name: "Step forward" }).click();
  await expect(counter(page)).toHaveText("hop 3 of 3");
  await expect(demo(page).locator(".embed-hop")).toContainText("has no rule for TCP port 22");
  expect(page.url()).toBe(url);
  expect(await page.evaluate(() => history.length)).toBe(entries);
  // The example's own trace() calls, shown as text.
  await expect(page.locator("#packetwalk-verdicts")).toContainText(
    "TCP 203.0.113.10:8080: delivered (NSG aks-agentpool-26711606-nsg: securityRules/a094204ca555d11e9b1619a6af760136-TCP-8080-Internet)",
  );
  await expect(page.locator("#packetwalk-verdicts")).toContainText("TCP 203.0.113.10:22: dropped");
  await page.screenshot({ path: "tests/e2e/artifacts/embed-example.png", fullPage: true });
  expectClean(seen);
});

test("trace() takes plain objects and returns the evaluator's trace as a plain object", async ({ page }) => {
  const seen = watch(page);
  await openExample(page);

  const blog = await withApi(page, (api) => {
    const t = api.trace("blog-part4", { from: "198.51.100.23:50123", to: "203.0.113.10:8080", protocol: "TCP" });
    return { verdict: t.verdict, deliveredTo: t.deliveredTo, plain: Object.getPrototypeOf(t) === Object.prototype, nsg: t.hops.find((h) => h.nsg).nsg.ruleName, hops: t.hops.length };
  });
  expect(blog).toMatchObject({ verdict: "delivered", plain: true, nsg: "securityRules/a094204ca555d11e9b1619a6af760136-TCP-8080-Internet" });
  expect(blog.deliveredTo).toMatch(/^kuard-vnode-/);

  // Port 22 through a load-balancing rule the author adds to a scenario object: the NSG
  // has no rule for it, and DenyAllInBound decides.
  const scenario = structuredClone(blogScenario);
  scenario.loadBalancer.loadBalancingRules.push({
    name: "ssh", frontendIpConfiguration: "a094204ca555d11e9b1619a6af760136",
    protocol: "Tcp", frontendPort: 22, backendPort: 22, enableFloatingIP: true,
  });
  const ssh = await withApi(page, (api, scenario) => {
    const t = api.trace(scenario, { from: "198.51.100.23:50124", to: "203.0.113.10:22" });
    const denied = t.hops.find((h) => h.action === "nsgDeny");
    return { verdict: t.verdict, droppedAt: t.droppedAt, rule: denied?.nsg.ruleName, access: denied?.nsg.access };
  }, scenario);
  expect(ssh).toEqual({
    verdict: "dropped",
    droppedAt: "nsg:aks-agentpool-26711606-nsg@nic:aks-nodepool1-26711606-nic-0",
    rule: "defaultSecurityRules/DenyAllInBound",
    access: "Deny",
  });

  // Without the rule, the load balancer drops it; a packet may also be named.
  const named = await withApi(page, (api) => api.trace("blog-part4", "ssh-from-internet"));
  expect(named.verdict).toBe("dropped");
  expect(named.reason).toContain("no rule for TCP port 22");
  expect(await withApi(page, (api) => api.scenarios())).toContain("three-nodes");
  expectClean(seen);
});

test("bad options and bad scenario objects throw Errors naming the field", async ({ page }) => {
  const seen = watch(page);
  await openExample(page);
  const mount = (options) => thrown(page, (api, options) => api.mount(document.createElement("div"), options), options);
  const trace = (scenario, packet) => thrown(page, (api, [s, p]) => api.trace(s, p), [scenario, packet]);

  expect(await mount({ scenario: "blog-part4", flow: "x" })).toBe(
    'Error: options.flow: scenario blog-part4 has no packet named "x" (its packets: internet-to-kuard, ssh-from-internet, udp-8080, health-probe, kubernetes-443-from-internet, pod-to-internet, vnet-to-pod)',
  );
  expect(await mount({ scenario: "nope" })).toMatch(/^Error: options\.scenario: no built-in scenario named "nope" \(the built-ins are blog-part4, /);
  expect(await mount({ scenario: "blog-part4", step: 99 })).toBe(
    "Error: options.step: expected a hop number from 1 to 15 (counted from 1, as in links), got 99",
  );
  expect(await mount({ scenario: "blog-part4", embed: "yes" })).toBe('Error: options.embed: expected true or false, got "yes"');
  expect(await mount({ scenaro: "blog-part4" })).toBe("Error: options.scenaro: unknown; the fields are scenario, flow, step, embed");
  expect(await thrown(page, (api) => api.mount(null, {}))).toMatch(/^Error: element: expected a DOM element/);

  const broken = structuredClone(blogScenario);
  broken.nodes[0].nic.privateIpAddress = "10.13.76.x";
  expect(await trace(broken)).toBe("Error: scenario.nodes[0].nic.privateIpAddress: invalid IP address syntax");
  expect(await mount({ scenario: broken })).toBe("Error: options.scenario.nodes[0].nic.privateIpAddress: invalid IP address syntax");
  const wrongType = structuredClone(blogScenario);
  wrongType.services[0].ports[0].port = "eighty";
  expect(await trace(wrongType)).toBe('Error: scenario.services[0].ports[0].port: expected a port number from 0 to 65535, got the string "eighty"');
  expect(await trace(5)).toBe("Error: scenario: expected a built-in scenario's name or a scenario object, got 5");
  expect(await trace("blog-part4", { from: "198.51.100.23:1", to: "nowhere:80" })).toMatch(/^Error: packet\.to "nowhere:80": /);
  expect(await trace("blog-part4", { from: "198.51.100.23:1", to: "203.0.113.10:80", protocol: "SCTP" })).toMatch(/^Error: packet\.protocol "SCTP": /);
  expect(await trace("blog-part4", { from: 1, to: "203.0.113.10:80" })).toMatch(/^Error: packet\.from: expected a string/);

  // Nothing was mounted by the failed calls, and the page still works.
  await expect(page.locator("main.app")).toHaveCount(1);
  await page.getByRole("button", { name: "Step forward" }).click();
  await expect(counter(page)).toHaveText("hop 2 of 3");
  expectClean(seen);
});

test("the README shows the example page's script", async () => {
  const readme = readFileSync(join(root, "README.md"), "utf8");
  const html = readFileSync(join(root, "www/embed-example.html"), "utf8");
  const script = /<script type="module">([\s\S]*?)<\/script>/.exec(html)[1];
  const normalise = (text) =>
    text
      .replace(/"[^"]*packetwalk-web\.js"/g, '"packetwalk-web.js"')
      .split("\n")
      .map((line) => line.trim())
      .filter(Boolean)
      .join("\n");
  expect(normalise(readme)).toContain(normalise(script));
});
