// Shared steps for the end-to-end tests: open the page, move through the hops as a person
// would (clicking the page's own buttons), and read the NSG rule table by column name.
import { expect } from "@playwright/test";

export const DEFAULT_TITLE = "A Day in the Life of a Packet in AKS, part 4: NSGs";
export const BLOG_NSG = "aks-agentpool-26711606-nsg";
export const BLOG_NIC = "aks-nodepool1-26711606-nic-0";
export const BLOG_NSG_ID = `nsg:${BLOG_NSG}@nic:${BLOG_NIC}`;
/** The built-in scenarios, in the picker's order. */
export const BUILT_INS = [
  "blog-part4",
  "blog-part4-before-service",
  "three-nodes",
  "subnet-nsg",
  "source-ranges",
  "kubenet",
  "pod-egress",
  "netpol-default-deny",
  "netpol-ipblock-cluster",
  "netpol-ipblock-local",
  "netpol-cilium",
];

/** Records uncaught page errors, console errors and dialogs; check with `expectClean`. */
export function watch(page) {
  const seen = { errors: [], console: [], dialogs: [] };
  page.on("pageerror", (err) => seen.errors.push(err.message));
  page.on("console", (msg) => {
    // The page has no favicon; Chromium's own request for /favicon.ico 404s (reported).
    if (msg.type() === "error" && !msg.location().url.endsWith("/favicon.ico")) seen.console.push(msg.text());
  });
  page.on("dialog", async (dialog) => {
    seen.dialogs.push(dialog.message());
    await dialog.dismiss();
  });
  return seen;
}

export function expectClean(seen) {
  expect(seen.errors, "uncaught page errors").toEqual([]);
  expect(seen.console, "console errors").toEqual([]);
  expect(seen.dialogs, "dialogs opened").toEqual([]);
}

/** Opens the page (optionally with a query string) and waits for the diagram. */
export async function open(page, query = "") {
  await page.goto(`./${query}`);
  await expect(diagram(page)).toBeVisible();
}

export const diagram = (page) => page.getByRole("group", { name: /^Network diagram: / });
export const toolbar = (page) => page.getByRole("toolbar", { name: "Packet controls" });
export const counter = (page) => toolbar(page).locator(".step-count");
export const verdict = (page) => page.getByRole("status", { name: "Verdict" });
export const hopList = (page) => page.getByRole("list", { name: "Hops" });
export const hopDetails = (page) => page.getByRole("region", { name: "Hop details" });
export const packetAfterHop = (page) => hopDetails(page).getByLabel("Packet after this hop");
export const packetDot = (page) => page.locator("[data-testid=packet]");
export const component = (page, id) => page.locator(`[data-component="${id}"]`);
export const ruleTable = (page, nsg) => page.getByRole("table", { name: `Rules of NSG ${nsg}` });

/** The hop counter's numbers, e.g. { n: 3, of: 15 }. */
export async function hopNumber(page) {
  const text = await counter(page).textContent();
  const m = /hop (\d+) of (\d+)/.exec(text ?? "");
  expect(m, `hop counter reads "${text}"`).not.toBeNull();
  return { n: Number(m[1]), of: Number(m[2]) };
}

/** Presses "Step forward" until hop `n` is on show, waiting for the counter each time. */
export async function stepTo(page, n) {
  let { n: at, of } = await hopNumber(page);
  expect(n).toBeLessThanOrEqual(of);
  while (at < n) {
    await toolbar(page).getByRole("button", { name: "Step forward" }).click();
    at += 1;
    await expect(counter(page)).toHaveText(`hop ${at} of ${of}`);
  }
}

/** Clicks the hop in the list whose summary matches `summary`, and waits for it to show. */
export async function clickHop(page, summary) {
  const button = hopList(page).getByRole("button", { name: summary });
  await button.click();
  await expect(button).toHaveAttribute("aria-current", "step");
}

export async function choosePreset(page, name) {
  await page.getByRole("combobox", { name: "Packet preset" }).selectOption(name);
  await expect(counter(page)).toHaveText(/^hop 1 of \d+$/);
}

export async function chooseScenario(page, name, title) {
  await page.getByRole("combobox", { name: "Scenario" }).selectOption(name);
  if (title) await expect(page.getByRole("heading", { name: title })).toBeVisible();
}

/** Types a custom packet in the "Packet" form and sends it. */
export async function sendPacket(page, { from, to, protocol = "TCP" }) {
  const form = page.getByRole("form", { name: "Packet" });
  await form.getByRole("textbox", { name: "From" }).fill(from);
  await form.getByRole("textbox", { name: "To" }).fill(to);
  await form.getByRole("combobox", { name: "Protocol" }).selectOption(protocol);
  await form.getByRole("button", { name: "Send packet" }).click();
}

/** The rule table's rows keyed by header: [{ Name, Priority, ..., "Source?": "✔ yes", decided }]. */
export async function readRules(table) {
  await expect(table).toBeVisible();
  return table.evaluate((t) => {
    const headers = [...t.querySelectorAll("thead th")].map((th) => th.textContent.trim());
    return [...t.querySelectorAll("tbody tr")].map((tr) => {
      const row = { decided: tr.getAttribute("data-decided") === "true", current: tr.getAttribute("aria-current") };
      [...tr.cells].forEach((td, i) => (row[headers[i]] = td.textContent.trim()));
      return row;
    });
  });
}

export const CHECKS = ["Protocol?", "Source?", "Source port?", "Destination?", "Destination port?"];

/** The packet's centre on screen (its envelope; the header label rides in the band at the top). */
export async function packetCentre(page) {
  const box = await packetDot(page).locator(".envelope").boundingBox();
  expect(box, "the packet is drawn").not.toBeNull();
  return { x: Math.round(box.x + box.width / 2), y: Math.round(box.y + box.height / 2) };
}

/** Pastes `text` into the import panel (opening it if closed) and imports it; returns the result. */
export async function importJson(page, text) {
  const details = page.locator("details.import");
  if (!(await details.evaluate((d) => d.open))) await page.getByText("Import your own NSG or Service").click();
  await page.getByLabel("JSON to import").fill(text);
  await page.getByRole("button", { name: "Import", exact: true }).click();
  return importResult(page);
}

/** The import panel's report: a status, or an alert when the import waits for review. */
export const importResult = (page) => page.locator('[aria-label="Import result"]');

/** As `importJson`, then "Import anyway" if the import was held for review. */
export async function importConfirmed(page, text) {
  const result = await importJson(page, text);
  await expect(result).toHaveClass(/ok|review|failed/);
  if (await result.evaluate((el) => el.classList.contains("review"))) {
    await page.getByRole("button", { name: "Import anyway" }).click();
    await expect(result).not.toHaveClass(/review/);
  }
  return result;
}
