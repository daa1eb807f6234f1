// Journey 5 of the product spec: editing the cluster. Rules added, refused, edited and
// deleted; the subnet's NSG, nodes and pods, a Service's traffic policy and source ranges;
// undo, redo and reset; edits kept in the link and in this browser, and a stored state
// that cannot be read. Everything is clicked and typed as a person would, and every
// assertion is about what the page shows.
import { test, expect } from "@playwright/test";
import {
  BLOG_NSG,
  BLOG_NSG_ID,
  clickHop,
  counter,
  diagram,
  expectClean,
  hopDetails,
  open,
  packetAfterHop,
  toolbar,
  readRules,
  ruleTable,
  stepTo,
  verdict,
  watch,
} from "./helpers.js";

const LB_RULE = "a094204ca555d11e9b1619a6af760136-TCP-8080-Internet";
const DELIVERED = /^✔ Delivered to kuard-vnode-6c4b7d9f8-\w+$/;
const NIC_NSG_DROP = (rule, priority) =>
  new RegExp(`^✖ Dropped: NSG ${BLOG_NSG} on the NIC .*: ${esc(rule)} \\(priority ${priority}\\) denies`);
const BY_DENY_8080 = NIC_NSG_DROP("deny-8080", 400);
const BY_DENY_ALL = NIC_NSG_DROP("DenyAllInBound", 65500);
const BY_SUBNET_NSG =
  "✖ Dropped: NSG aks-subnet-nsg on the subnet aks: DenyAllInBound (priority 65500) denies";
const STORAGE_KEY = "packetwalk:state";

function esc(text) {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

// The editor and its parts, found as a person finds them.
const editorBox = (page) => page.locator("details.editor");
const editorSummary = (page) => editorBox(page).locator("summary");
const editResult = (page) => editorBox(page).getByLabel("Edit result");
const yourEdits = (page) => page.getByRole("region", { name: "Your edits" });
const edits = (page) => page.getByRole("toolbar", { name: "Edits" });
const ruleForm = (page, title) => page.getByRole("form", { name: title });
const addForm = (page) => ruleForm(page, `Add a rule to ${BLOG_NSG}`);
const subnetForm = (page) => page.getByRole("form", { name: "NSG of subnet aks" });
const rangesForm = (page) => page.getByRole("form", { name: "Source ranges of kuard-vnode" });

async function openEditor(page) {
  await expect(editorSummary(page)).toHaveText(/^Edit the cluster/);
  if (!(await editorBox(page).evaluate((d) => d.open))) await editorSummary(page).click();
  await expect(page.getByRole("region", { name: "NSG rules" })).toBeVisible();
}

/** Opens "Add a rule", types the fields given (by label) and presses "Add rule". */
async function addRule(page, fields) {
  await page.getByRole("button", { name: "Add a rule" }).click();
  await fillRule(addForm(page), fields);
  await addForm(page).getByRole("button", { name: "Add rule" }).click();
}

const CHOICES = ["Direction", "Access", "Protocol"];
/** A control of the rule form by its label: a combobox for the choices, else a textbox. */
const field = (form, label) =>
  form.getByRole(CHOICES.includes(label) ? "combobox" : "textbox", { name: label, exact: true });

async function fillRule(form, fields) {
  await expect(form).toBeVisible();
  for (const [label, value] of Object.entries(fields)) {
    if (CHOICES.includes(label)) await field(form, label).selectOption(value);
    else await field(form, label).fill(value);
  }
}

const DENY_8080 = { Name: "deny-8080", Priority: "400", Access: "Deny", "Destination ports": "8080" };

/** The error shown beside a control: the element its aria-describedby names, which sits in the same field. */
async function errorBeside(control) {
  await expect(control).toHaveAttribute("aria-invalid", "true");
  const id = await control.getAttribute("aria-describedby");
  expect(id, "the control points at its error").toBeTruthy();
  const error = control.page().locator(`[id="${id}"]`);
  await expect(error).toBeVisible();
  const beside = await control.evaluate((el, id) => {
    const err = document.getElementById(id);
    const field = el.closest(".field, .inline-form");
    return !!field && field.contains(err);
  }, id);
  expect(beside, "the error sits in the control's own field").toBe(true);
  return error;
}

test("an added Deny rule drops the blog's packet, and the NSG hop names it", async ({ page }) => {
  const seen = watch(page);
  await open(page);
  await expect(verdict(page)).toHaveText(DELIVERED);
  await openEditor(page);
  await expect(yourEdits(page)).toHaveCount(0);
  await expect(page.getByRole("combobox", { name: "NSG to edit" })).toHaveValue(BLOG_NSG);

  await addRule(page, DENY_8080);
  await expect(verdict(page)).toHaveText(BY_DENY_8080);
  await expect(addForm(page)).toHaveCount(0); // saved, so the form closes
  await expect(editResult(page)).toHaveAttribute("role", "status");
  await expect(editResult(page)).toContainText(`Done: add rule deny-8080 to NSG ${BLOG_NSG}.`);
  await expect(editResult(page)).toContainText(`NSG ${BLOG_NSG}: rule deny-8080 added`);
  await expect(yourEdits(page).getByRole("listitem")).toHaveText([`add rule deny-8080 to NSG ${BLOG_NSG}`]);
  await expect(editorSummary(page)).toHaveText("Edit the cluster (1 edit)");

  // The editor's own table lists the new rule first, by priority.
  const mine = page.getByRole("table", { name: `Rules of ${BLOG_NSG}`, exact: true });
  await expect(mine.locator("tbody tr")).toHaveCount(2);
  await expect(mine.locator("tbody tr").first().locator("td")).toHaveText(["400", "deny-8080", "Inbound", "Deny", "Tcp", "*", "*", "*", "8080", /Edit.*Delete/]);

  // The walk stops at the NIC's NSG (hop 5), and its table's deciding row is deny-8080.
  await expect(counter(page)).toHaveText("hop 1 of 5");
  await stepTo(page, 5);
  await expect(hopDetails(page).getByRole("heading")).toContainText("deny-8080");
  const rows = await readRules(ruleTable(page, BLOG_NSG));
  expect(rows.map((r) => r.Name)).toEqual(["deny-8080", LB_RULE, "AllowVnetInBound", "AllowAzureLoadBalancerInBound", "DenyAllInBound"]);
  const decided = rows.filter((r) => r.decided);
  expect(decided).toHaveLength(1);
  expect(decided[0]).toMatchObject({ Name: "deny-8080", Priority: "400", Access: "Deny", current: "true" });
  expect(new URL(page.url()).searchParams.get("edits")).toBeTruthy();
  expectClean(seen);
});

test("bad fields are refused beside the field; nothing changes until they are fixed", async ({ page }) => {
  const seen = watch(page);
  await open(page);
  await openEditor(page);
  await page.getByRole("button", { name: "Add a rule" }).click();
  const form = addForm(page);
  await fillRule(form, { ...DENY_8080, Priority: "99", "Destination ports": "90-80" });
  // The packet playing re-renders the page hop by hop; what is typed stays.
  await toolbar(page).getByRole("button", { name: "Play" }).click();
  await expect(counter(page)).toHaveText("hop 3 of 15");
  await toolbar(page).getByRole("button", { name: "Pause" }).click();
  await expect(field(form, "Name")).toHaveValue("deny-8080");
  await expect(field(form, "Priority")).toHaveValue("99");
  await form.getByRole("button", { name: "Add rule" }).click();

  // The form stays open with what was typed, and each field carries its own message.
  await expect(editResult(page)).toHaveAttribute("role", "alert");
  await expect(editResult(page)).toContainText(`Not done: add rule deny-8080 to NSG ${BLOG_NSG}. Nothing was changed.`);
  await expect(form).toBeVisible();
  const priority = field(form, "Priority");
  const ports = field(form, "Destination ports");
  await expect(priority).toHaveValue("99");
  await expect(ports).toHaveValue("90-80");
  await expect(field(form, "Name")).toHaveValue("deny-8080");
  await expect(field(form, "Access")).toHaveValue("Deny");
  const priorityError = await errorBeside(priority);
  await expect(priorityError).toContainText('"99"');
  await expect(priorityError).toContainText(/100.*4096/);
  const portsError = await errorBeside(ports);
  await expect(portsError).toContainText('"90-80"');
  await expect(priority).toHaveAccessibleDescription(/100.*4096/);
  await expect(ports).toHaveAccessibleDescription(/90-80/);
  // The fields that are fine are not marked.
  for (const label of ["Name", "Source", "Destination"]) {
    await expect(field(form, label)).not.toHaveAttribute("aria-invalid", "true");
  }
  await expect(verdict(page)).toHaveText(DELIVERED);
  await expect(editorSummary(page)).toHaveText("Edit the cluster");
  await expect(yourEdits(page)).toHaveCount(0);
  expect(new URL(page.url()).searchParams.has("edits")).toBe(false);
  await editorBox(page).screenshot({ path: "tests/e2e/artifacts/editor.png" });

  // Fixed, it saves.
  await priority.fill("400");
  await ports.fill("8080");
  await form.getByRole("button", { name: "Add rule" }).click();
  await expect(form).toHaveCount(0);
  await expect(verdict(page)).toHaveText(BY_DENY_8080);
  await expect(editResult(page)).toContainText("Done: add rule deny-8080");
  await expect(page.locator("[aria-invalid=true]")).toHaveCount(0);
  expectClean(seen);
});

test("editing the 8080 rule to 9090 or deleting it leaves DenyAllInBound to decide; default rules are not offered", async ({ page }) => {
  const seen = watch(page);
  await open(page);
  await openEditor(page);
  const mine = page.getByRole("table", { name: `Rules of ${BLOG_NSG}`, exact: true });
  // Only the NSG's own rule is listed: the default rules cannot be edited or deleted.
  await expect(mine.locator("tbody tr")).toHaveCount(1);
  for (const name of ["AllowVnetInBound", "AllowAzureLoadBalancerInBound", "DenyAllInBound"]) {
    await expect(page.getByRole("button", { name: `Edit rule ${name}` })).toHaveCount(0);
    await expect(page.getByRole("button", { name: `Delete rule ${name}` })).toHaveCount(0);
  }
  await expect(editorBox(page)).toContainText("The six default rules always follow; they cannot be edited.");

  await page.getByRole("button", { name: `Edit rule ${LB_RULE}` }).click();
  const form = ruleForm(page, `Edit rule ${LB_RULE}`);
  await expect(field(form, "Name")).toHaveValue(LB_RULE);
  await expect(field(form, "Priority")).toHaveValue("500");
  await expect(field(form, "Destination ports")).toHaveValue("8080");
  await field(form, "Destination ports").fill("9090");
  await form.getByRole("button", { name: "Save rule" }).click();
  await expect(form).toHaveCount(0);
  await expect(verdict(page)).toHaveText(BY_DENY_ALL);
  await expect(editResult(page)).toContainText(`Done: edit rule ${LB_RULE} of NSG ${BLOG_NSG}.`);
  await expect(editResult(page)).toContainText(`NSG ${BLOG_NSG}: rule ${LB_RULE} changed`);
  await expect(mine.locator("tbody tr")).toHaveCount(1);
  await expect(mine.locator("tbody tr")).toContainText("9090");

  // At the NSG hop the 8080 rule no longer matches the port, and DenyAllInBound decides.
  await stepTo(page, 5);
  let rows = await readRules(ruleTable(page, BLOG_NSG));
  expect(rows.filter((r) => r.decided).map((r) => r.Name)).toEqual(["DenyAllInBound"]);
  expect(rows.find((r) => r.Name === LB_RULE)).toMatchObject({ "Destination port?": "✖ no", decided: false });

  await page.getByRole("button", { name: `Delete rule ${LB_RULE}` }).click();
  await expect(editResult(page)).toContainText(`Done: delete rule ${LB_RULE} of NSG ${BLOG_NSG}.`);
  await expect(verdict(page)).toHaveText(BY_DENY_ALL);
  await expect(mine).toHaveCount(0);
  await expect(editorBox(page)).toContainText("No rules of its own: only the default rules decide.");
  await expect(yourEdits(page).getByRole("listitem")).toHaveText([
    `edit rule ${LB_RULE} of NSG ${BLOG_NSG}`,
    `delete rule ${LB_RULE} of NSG ${BLOG_NSG}`,
  ]);
  await expect(editorSummary(page)).toHaveText("Edit the cluster (2 edits)");
  await stepTo(page, 5);
  rows = await readRules(ruleTable(page, BLOG_NSG));
  expect(rows.map((r) => r.Name)).toEqual(["AllowVnetInBound", "AllowAzureLoadBalancerInBound", "DenyAllInBound"]);
  expect(rows.filter((r) => r.decided).map((r) => r.Name)).toEqual(["DenyAllInBound"]);
  expectClean(seen);
});

test("undo and redo step through the verdicts in order; reset goes back and redo brings the edits back", async ({ page }) => {
  const seen = watch(page);
  await open(page);
  await openEditor(page);
  const undo = edits(page).getByRole("button", { name: "↶ Undo" });
  const redo = edits(page).getByRole("button", { name: "↷ Redo" });
  const reset = edits(page).getByRole("button", { name: "Reset to the built-in scenario" });
  await expect(undo).toBeDisabled();
  await expect(redo).toBeDisabled();
  await expect(reset).toBeDisabled();

  await addRule(page, DENY_8080);
  await expect(verdict(page)).toHaveText(BY_DENY_8080);
  await attachNewSubnetNsg(page, "aks-subnet-nsg");
  await expect(verdict(page)).toHaveText(BY_SUBNET_NSG);
  await expect(editorSummary(page)).toHaveText("Edit the cluster (2 edits)");
  await expect(undo).toHaveAttribute("title", "Undo: attach NSG aks-subnet-nsg to subnet aks");

  await undo.click();
  await expect(verdict(page)).toHaveText(BY_DENY_8080);
  await expect(redo).toHaveAttribute("title", "Redo: attach NSG aks-subnet-nsg to subnet aks");
  await expect(editorSummary(page)).toHaveText("Edit the cluster (1 edit)");
  await expect(page.getByRole("img", { name: /attached to the subnet/ })).toHaveCount(0);
  await undo.click();
  await expect(verdict(page)).toHaveText(DELIVERED);
  await expect(undo).toBeDisabled();
  await expect(yourEdits(page)).toHaveCount(0);
  expect(new URL(page.url()).searchParams.has("edits")).toBe(false);

  await redo.click();
  await expect(verdict(page)).toHaveText(BY_DENY_8080);
  await redo.click();
  await expect(verdict(page)).toHaveText(BY_SUBNET_NSG);
  await expect(redo).toBeDisabled();
  await expect(page.getByRole("img", { name: "Network security group aks-subnet-nsg attached to the subnet" })).toBeVisible();

  await reset.click();
  await expect(verdict(page)).toHaveText(DELIVERED);
  await expect(editorSummary(page)).toHaveText("Edit the cluster");
  await expect(undo).toBeDisabled();
  await expect(reset).toBeDisabled();
  await expect(redo).toBeEnabled();
  expect(new URL(page.url()).searchParams.has("edits")).toBe(false);
  await redo.click();
  await expect(verdict(page)).toHaveText(BY_DENY_8080);
  await redo.click();
  await expect(verdict(page)).toHaveText(BY_SUBNET_NSG);
  await expect(yourEdits(page).getByRole("listitem")).toHaveText([
    `add rule deny-8080 to NSG ${BLOG_NSG}`,
    "attach NSG aks-subnet-nsg to subnet aks",
  ]);
  // A new edit after an undo clears what could be redone.
  await undo.click();
  await expect(verdict(page)).toHaveText(BY_DENY_8080);
  await page.getByRole("button", { name: "Add a node" }).click();
  await expect(editorSummary(page)).toHaveText("Edit the cluster (2 edits)");
  await expect(redo).toBeDisabled();
  expectClean(seen);
});

test("Ctrl+Z undoes an edit and Ctrl+Shift+Z or Ctrl+Y redoes it, but not while typing in a field", async ({ page }) => {
  const seen = watch(page);
  await open(page);
  await openEditor(page);
  await addRule(page, DENY_8080);
  await expect(verdict(page)).toHaveText(BY_DENY_8080);

  // Focus on the page itself, as after clicking anywhere that is not a field.
  await page.locator("h1").click();
  await page.keyboard.press("Control+z");
  await expect(verdict(page)).toHaveText(DELIVERED);
  await expect(editorSummary(page)).toHaveText("Edit the cluster");
  await page.keyboard.press("Control+Shift+z");
  await expect(verdict(page)).toHaveText(BY_DENY_8080);
  await page.keyboard.press("Control+z");
  await expect(verdict(page)).toHaveText(DELIVERED);
  await page.keyboard.press("Control+y");
  await expect(verdict(page)).toHaveText(BY_DENY_8080);

  // In a text field the keys undo the typing, not the edit.
  await page.getByRole("button", { name: "Add a rule" }).click();
  const name = field(addForm(page), "Name");
  await name.fill("typed");
  await name.press("Control+z");
  await expect(verdict(page)).toHaveText(BY_DENY_8080);
  await expect(editorSummary(page)).toHaveText("Edit the cluster (1 edit)");
  expectClean(seen);
});

async function attachNewSubnetNsg(page, name) {
  const form = subnetForm(page);
  await form.getByRole("combobox", { name: "NSG for subnet aks" }).selectOption({ label: "a new NSG named…" });
  await form.getByRole("textbox", { name: "New NSG name for subnet aks" }).fill(name);
  await form.getByRole("button", { name: "Apply" }).click();
}

test("edits survive a reload, come back on the bare page, and the link reproduces them elsewhere", async ({ page, browser }) => {
  const seen = watch(page);
  await open(page);
  await openEditor(page);
  await addRule(page, DENY_8080);
  await expect(verdict(page)).toHaveText(BY_DENY_8080);
  await stepTo(page, 4);
  await expect(page).toHaveURL(/[?&]step=4(&|$)/);
  const edited = await verdict(page).textContent();

  await page.reload();
  await expect(diagram(page)).toBeVisible();
  await expect(verdict(page)).toHaveText(edited);
  await expect(counter(page)).toHaveText("hop 4 of 5");
  await expect(editorSummary(page)).toHaveText("Edit the cluster (1 edit)");
  await openEditor(page);
  await expect(yourEdits(page).getByRole("listitem")).toHaveText([`add rule deny-8080 to NSG ${BLOG_NSG}`]);

  // The bare address: the state comes back from this browser's storage.
  await page.goto("./");
  await expect(diagram(page)).toBeVisible();
  await expect(verdict(page)).toHaveText(edited);
  await expect(editorSummary(page)).toHaveText("Edit the cluster (1 edit)");
  await expect(page.getByRole("alert").filter({ hasText: /\S/ })).toHaveCount(0);
  await expect(page).toHaveURL(/[?&]edits=/);
  const link = page.url();
  const hop = await counter(page).textContent();
  const stored = await page.evaluate((key) => localStorage.getItem(key), STORAGE_KEY);
  expect(`?${stored}`).toBe(new URL(link).search);

  // The link in a new browser context (no storage): exactly the same state.
  const other = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  try {
    const fresh = await other.newPage();
    const freshSeen = watch(fresh);
    await fresh.goto(link);
    await expect(diagram(fresh)).toBeVisible();
    await expect(verdict(fresh)).toHaveText(edited);
    await expect(counter(fresh)).toHaveText(hop);
    await expect(editorSummary(fresh)).toHaveText("Edit the cluster (1 edit)");
    await expect(hopDetails(fresh).getByRole("heading")).toHaveText(await hopDetails(page).getByRole("heading").textContent());
    await expect(packetAfterHop(fresh)).toHaveText(await packetAfterHop(page).textContent());
    await expect(fresh.getByRole("alert").filter({ hasText: /\S/ })).toHaveCount(0);
    expect(fresh.url()).toBe(link);
    expectClean(freshSeen);
  } finally {
    await other.close();
  }
  expectClean(seen);
});

// Stored values that are not a readable state, and what the page should say about each.
const CORRUPT = [
  { stored: "v=1&edits=%%%", why: /the edits cannot be read/ },
  { stored: "this is not a saved state {", why: /it holds no scenario/ },
  { stored: "v=1&scenario=blog-part4&edits=bm90IGpzb24", why: /the edits cannot be read \(not JSON\)/ },
  { stored: "v=1&scenario=no-such-scenario", why: /no-such-scenario/ },
];

for (const { stored, why } of CORRUPT) {
  test(`a corrupt stored state (${stored}) is reported, cleared, and the default scenario shows`, async ({ page }) => {
    const seen = watch(page);
    await open(page);
    await page.evaluate(([key, value]) => localStorage.setItem(key, value), [STORAGE_KEY, stored]);
    await page.goto("./");
    await expect(diagram(page)).toBeVisible();
    const notice = page.getByRole("alert").filter({ hasText: "The state saved in this browser could not be read" });
    await expect(notice).toBeVisible();
    await expect(notice).toContainText(why);
    await expect(notice).toContainText("so it was cleared; this is the default scenario.");
    await expect(verdict(page)).toHaveText(DELIVERED);
    await expect(counter(page)).toHaveText("hop 1 of 15");
    await expect(page.getByRole("combobox", { name: "Scenario" })).toHaveValue("blog-part4");
    await expect(editorSummary(page)).toHaveText("Edit the cluster");

    // The garbage is gone; what is stored now is the fresh default state, which reads back.
    const now = await page.evaluate((key) => localStorage.getItem(key), STORAGE_KEY);
    expect(now).not.toBe(stored);
    if (now !== null) expect(Object.fromEntries(new URLSearchParams(now))).toEqual({ v: "1", scenario: "blog-part4", flow: "internet-to-kuard", step: "1" });
    await notice.getByRole("button", { name: "Dismiss" }).click();
    await expect(notice).toHaveCount(0);
    await page.reload();
    await expect(verdict(page)).toHaveText(DELIVERED);
    await expect(page.getByRole("alert").filter({ hasText: /\S/ })).toHaveCount(0);
    expectClean(seen);
  });
}

test("a new NSG on the subnet drops the blog's packet there; a bad NSG name is refused beside the form", async ({ page }) => {
  const seen = watch(page);
  await open(page);
  await openEditor(page);
  const form = subnetForm(page);
  await expect(form.getByRole("combobox", { name: "NSG for subnet aks" })).toHaveValue("");
  await expect(diagram(page).getByText("no NSG on this subnet")).toBeVisible();

  await attachNewSubnetNsg(page, "bad name!");
  const newName = form.getByRole("textbox", { name: "New NSG name for subnet aks" });
  await expect(newName).toHaveValue("bad name!");
  const error = await errorBeside(newName);
  await expect(error).toContainText(/a name holds ASCII letters/);
  await expect(error).toContainText('"bad name!"');
  await expect(editResult(page)).toContainText("Not done: attach NSG bad name! to subnet aks. Nothing was changed.");
  await expect(verdict(page)).toHaveText(DELIVERED);
  await expect(page.getByRole("img", { name: /attached to the subnet/ })).toHaveCount(0);

  await attachNewSubnetNsg(page, "aks-subnet-nsg");
  await expect(verdict(page)).toHaveText(BY_SUBNET_NSG);
  await expect(form.getByText(/a name holds ASCII letters/)).toHaveCount(0);
  await expect(editResult(page)).toContainText("NSG aks-subnet-nsg created with the six default rules");
  await expect(editResult(page)).toContainText("subnet aks: NSG aks-subnet-nsg attached");
  await expect(page.getByRole("img", { name: "Network security group aks-subnet-nsg attached to the subnet" })).toBeVisible();
  await expect(form.getByRole("combobox", { name: "NSG for subnet aks" })).toHaveValue("aks-subnet-nsg");

  // The walk stops at the subnet's NSG, before the NIC's.
  await stepTo(page, 5);
  await expect(diagram(page).locator(".current")).toHaveAttribute("data-component", "nsg:aks-subnet-nsg@subnet:aks");
  const rows = await readRules(ruleTable(page, "aks-subnet-nsg"));
  expect(rows.map((r) => r.Name)).toEqual(["AllowVnetInBound", "AllowAzureLoadBalancerInBound", "DenyAllInBound"]);
  expect(rows.filter((r) => r.decided).map((r) => r.Name)).toEqual(["DenyAllInBound"]);
  expectClean(seen);
});

test("an added node appears in the diagram, and a pod added on it appears inside it", async ({ page }) => {
  const seen = watch(page);
  await open(page);
  await openEditor(page);
  const newNode = diagram(page).getByRole("group", { name: "Node aks-nodepool1-26711606-1", exact: true });
  const pods = diagram(page).getByRole("img", { name: /^Pod / });
  await expect(newNode).toHaveCount(0);
  await expect(pods).toHaveCount(2);

  await page.getByRole("button", { name: "Add a node" }).click();
  await expect(newNode).toBeVisible();
  await expect(newNode.getByRole("img", { name: /^NIC aks-nodepool1-26711606-nic-1\b/ })).toBeVisible();
  await expect(newNode.getByRole("img", { name: "kube-proxy on aks-nodepool1-26711606-1" })).toBeVisible();
  await expect(editResult(page)).toContainText("Done: add a node.");
  await expect(page.getByRole("region", { name: "Nodes and pods" })).toContainText("2 nodes now");
  await expect(newNode.getByRole("img", { name: /^Pod / })).toHaveCount(0);

  const podForm = page.getByRole("form", { name: "Add a pod" });
  await podForm.getByRole("combobox", { name: "Node for the new pod" }).selectOption("aks-nodepool1-26711606-1");
  await podForm.getByRole("button", { name: "Add pod" }).click();
  await expect(editResult(page)).toContainText("Done: add a pod on aks-nodepool1-26711606-1.");
  await expect(pods).toHaveCount(3);
  const added = newNode.getByRole("img", { name: /^Pod / });
  await expect(added).toHaveCount(1);
  const change = await editResult(page).locator("li").first().textContent();
  const m = /^pod (\S+) \((\S+)\) added on aks-nodepool1-26711606-1$/.exec(change);
  expect(m, `the result names the pod: "${change}"`).not.toBeNull();
  await expect(added).toHaveAttribute("aria-label", new RegExp(`^Pod ${esc(m[1])} ${esc(m[2])} app=kuard-vnode`));
  await expect(yourEdits(page).getByRole("listitem")).toHaveText(["add a node", "add a pod on aks-nodepool1-26711606-1"]);
  expectClean(seen);
});

test("externalTrafficPolicy Local keeps the client's IP; source ranges are checked, then enforced by the NSG", async ({ page }) => {
  const seen = watch(page);
  await open(page);
  await openEditor(page);
  const policy = page.getByRole("combobox", { name: "externalTrafficPolicy of kuard-vnode" });
  await expect(policy).toHaveValue("Cluster");
  await policy.selectOption("Local");
  await expect(editResult(page)).toContainText("Done: set externalTrafficPolicy of kuard-vnode to Local.");
  await expect(verdict(page)).toHaveText(DELIVERED);
  await clickHop(page, /^Pod kuard-vnode-\S+ receives/);
  await expect(packetAfterHop(page)).toContainText(/198\.51\.100\.23:50123 -> 10\.13\.76\.\d+:8080/);

  // A bad range is refused beside the field, naming it; nothing changes.
  const ranges = rangesForm(page).getByRole("textbox", { name: "loadBalancerSourceRanges of kuard-vnode" });
  await expect(ranges).toHaveValue("");
  const before = await verdict(page).textContent();
  await ranges.fill("300.1.1.0/24");
  // What is typed and not yet applied stays while the packet plays.
  await page.getByRole("button", { name: "Restart" }).click();
  await expect(counter(page)).toHaveText(/^hop 3 of /);
  await page.getByRole("button", { name: "Pause" }).click();
  await expect(ranges).toHaveValue("300.1.1.0/24");
  await rangesForm(page).getByRole("button", { name: "Set source ranges" }).click();
  const error = await errorBeside(ranges);
  await expect(ranges).toHaveValue("300.1.1.0/24");
  await expect(error).toContainText("300.1.1.0/24");
  await expect(error).toContainText("not a CIDR prefix");
  await expect(ranges).toHaveAccessibleDescription(/300\.1\.1\.0\/24/);
  await expect(editResult(page)).toContainText("Not done: set loadBalancerSourceRanges of kuard-vnode to 300.1.1.0/24. Nothing was changed.");
  await expect(verdict(page)).toHaveText(before);
  await expect(editorSummary(page)).toHaveText("Edit the cluster (1 edit)");

  // A good range: the default Internet client (198.51.100.23) is outside it, so the NSG drops it.
  await ranges.fill("192.0.2.0/24");
  await rangesForm(page).getByRole("button", { name: "Set source ranges" }).click();
  await expect(editResult(page)).toContainText("Done: set loadBalancerSourceRanges of kuard-vnode to 192.0.2.0/24.");
  await expect(ranges).not.toHaveAttribute("aria-invalid", "true");
  await expect(verdict(page)).toHaveText(BY_DENY_ALL);
  await expect(editorSummary(page)).toHaveText("Edit the cluster (2 edits)");
  await stepTo(page, 5);
  // The cloud provider's NSG rule now names the range instead of Internet; the client is outside it.
  const rows = await readRules(ruleTable(page, BLOG_NSG));
  const ranged = "a094204ca555d11e9b1619a6af760136-TCP-8080-192.0.2.0_24";
  expect(rows.map((r) => r.Name)).toEqual([ranged, "AllowVnetInBound", "AllowAzureLoadBalancerInBound", "DenyAllInBound"]);
  expect(rows.find((r) => r.Name === ranged)).toMatchObject({ Priority: "500", "Source?": "✖ no", "Destination port?": "✔ yes", decided: false });
  expect(rows.filter((r) => r.decided).map((r) => r.Name)).toEqual(["DenyAllInBound"]);
  expectClean(seen);
});

test("a rule named <img src=x onerror=alert(1)> is refused by the name rules and shown as text", async ({ page }) => {
  const seen = watch(page);
  const hostile = "<img src=x onerror=alert(1)>";
  await open(page);
  await openEditor(page);
  await page.getByRole("button", { name: "Add a rule" }).click();
  const form = addForm(page);
  await fillRule(form, { Name: hostile, Priority: "400", "Destination ports": "8080" });
  await form.getByRole("button", { name: "Add rule" }).click();

  const name = field(form, "Name");
  const error = await errorBeside(name);
  await expect(error).toContainText(`"${hostile}"`);
  await expect(error).toContainText("a name holds ASCII letters");
  await expect(editResult(page)).toContainText(`Not done: add rule ${hostile} to NSG ${BLOG_NSG}. Nothing was changed.`);
  await expect(name).toHaveValue(hostile);
  await expect(page.locator('img[src="x"]')).toHaveCount(0);
  await expect(page.locator("details.editor img")).toHaveCount(0);
  await expect(verdict(page)).toHaveText(DELIVERED);
  await expect(yourEdits(page)).toHaveCount(0);
  // Give an injected handler the time it would need to fire.
  await page.waitForTimeout(300);
  expectClean(seen);
});
