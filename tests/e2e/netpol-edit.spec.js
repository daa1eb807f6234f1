// Issue 15 on the page: NetworkPolicy in the editor and the import panel. A person edits
// the office's policy as kubectl JSON, removes it, adds a default deny, switches the
// engine, pastes `kubectl get networkpolicies -A -o json`, and reloads: the packet is
// traced again after each change, a bad value is refused beside the field with nothing
// else lost, and the edits survive in the link.
import { test, expect } from "@playwright/test";
import { expectClean, hopList, importJson, importResult, open, verdict, watch } from "./helpers.js";

const DROPPED_AT_POLICY = "Dropped: NetworkPolicy at pod web-";
const DELIVERED = "Delivered to web-";

const editorBox = (page) => page.locator("details.editor");
const policies = (page) => page.getByRole("region", { name: "NetworkPolicy", exact: true });
const policyList = (page) => policies(page).getByRole("list", { name: "Policies" });
const policyItem = (page, name) => policyList(page).getByRole("listitem").filter({ hasText: name });
const yourEdits = (page) => page.getByRole("region", { name: "Your edits" });
const editResult = (page) => editorBox(page).getByLabel("Edit result");

async function openEditor(page) {
  if (!(await editorBox(page).evaluate((d) => d.open))) await editorBox(page).locator("summary").click();
  await expect(policies(page)).toBeVisible();
  await policies(page).scrollIntoViewIfNeeded();
}

/** Opens a policy's JSON, lets `change` rewrite the text as a person would, and applies it. */
async function editPolicy(page, name, change) {
  await page.getByRole("button", { name: `Edit NetworkPolicy ${name}` }).click();
  const form = page.getByRole("form", { name: `Edit NetworkPolicy ${name}` });
  const field = form.getByRole("textbox");
  await expect(field).toBeVisible();
  const text = await field.inputValue();
  await field.fill(change(text));
  await form.getByRole("button", { name: "Apply" }).click();
  return { form, field };
}

/** The error beside a control: the element its aria-describedby names, in the same field. */
async function errorBeside(control) {
  await expect(control).toHaveAttribute("aria-invalid", "true");
  const id = await control.getAttribute("aria-describedby");
  expect(id, "the control points at its error").toBeTruthy();
  const error = control.page().locator(`[id="${id}"]`);
  await expect(error).toBeVisible();
  const beside = await control.evaluate((el, id) => el.closest(".field").contains(document.getElementById(id)), id);
  expect(beside, "the error sits in the control's own field").toBe(true);
  return error;
}

test("widening the policy's ipBlock to the node subnet lets the office's packet in", async ({ page }) => {
  const seen = watch(page);
  await open(page, "?scenario=netpol-ipblock-cluster");
  await expect(verdict(page)).toContainText(DROPPED_AT_POLICY);
  await openEditor(page);
  const item = policyItem(page, "shop/allow-office");
  await expect(item).toContainText("Ingress");
  await expect(item).toContainText("pods {app=web}: ingress from 198.51.100.0/24 on TCP 8080");

  const { form } = await editPolicy(page, "shop/allow-office", (text) => {
    expect(text).toContain('"cidr": "198.51.100.0/24"');
    return text.replace('"cidr": "198.51.100.0/24"', '"cidr": "10.224.0.0/16"');
  });
  // Traced again at once: the SNATed packet is now inside the block.
  await expect(verdict(page)).toContainText(DELIVERED);
  await expect(form).toHaveCount(0);
  await expect(item).toContainText("ingress from 10.224.0.0/16 on TCP 8080");
  await expect(editResult(page)).toContainText("Done: edit NetworkPolicy shop/allow-office.");
  await expect(yourEdits(page).getByRole("listitem")).toHaveText(["edit NetworkPolicy shop/allow-office"]);
  expectClean(seen);
});

test("a bad CIDR is refused beside the field; what was typed and the other edits stay", async ({ page }) => {
  const seen = watch(page);
  await open(page, "?scenario=netpol-ipblock-cluster");
  await openEditor(page);
  // An edit first, which must survive the refusal.
  await page.getByRole("combobox", { name: "NetworkPolicy engine" }).selectOption("calico");
  await expect(yourEdits(page).getByRole("listitem")).toHaveText(["set the NetworkPolicy engine to calico"]);

  const { form, field } = await editPolicy(page, "shop/allow-office", (text) =>
    text.replace('"cidr": "198.51.100.0/24"', '"cidr": "10.0.0.0/33"'),
  );
  const error = await errorBeside(field);
  await expect(error).toContainText('spec.ingress[0].from[0].ipBlock.cidr "10.0.0.0/33": not a CIDR prefix');
  await expect(editResult(page)).toContainText("Not done: edit NetworkPolicy shop/allow-office. Nothing was changed.");
  await expect(editResult(page)).toContainText("NetworkPolicy shop/allow-office, spec.ingress[0].from[0].ipBlock.cidr");
  // Nothing else lost: the text as typed, the earlier edit, the verdict, the policy.
  await expect(field).toHaveValue(/"cidr": "10\.0\.0\.0\/33"/);
  await expect(form).toBeVisible();
  await expect(yourEdits(page).getByRole("listitem")).toHaveText(["set the NetworkPolicy engine to calico"]);
  await expect(page.getByRole("combobox", { name: "NetworkPolicy engine" })).toHaveValue("calico");
  await expect(verdict(page)).toContainText(DROPPED_AT_POLICY);
  await expect(policyItem(page, "shop/allow-office")).toContainText("ingress from 198.51.100.0/24");

  // Text that is not JSON is refused beside the field too, before the evaluator.
  await field.fill('{"kind": "NetworkPolicy",');
  await form.getByRole("button", { name: "Apply" }).click();
  await expect(await errorBeside(field)).toContainText("not JSON");
  await expect(field).toHaveValue('{"kind": "NetworkPolicy",');

  await expect(yourEdits(page).getByRole("listitem")).toHaveCount(1);
  expectClean(seen);
});

test("removing the policy delivers; a default deny drops at the policy; a reload keeps both", async ({ page }) => {
  const seen = watch(page);
  await open(page, "?scenario=netpol-ipblock-cluster");
  await openEditor(page);
  await page.getByRole("button", { name: "Remove NetworkPolicy shop/allow-office" }).click();
  await expect(verdict(page)).toContainText(DELIVERED);
  await expect(policies(page)).toContainText("No NetworkPolicy in this cluster");

  // Add a policy: a default deny for the namespace of the packet's pod, to start from.
  await policies(page).getByRole("button", { name: "Add a policy" }).click();
  const form = page.getByRole("form", { name: "Add a NetworkPolicy" });
  const field = form.getByRole("textbox");
  const template = JSON.parse(await field.inputValue());
  expect(template.metadata).toEqual({ name: "default-deny-ingress", namespace: "shop" });
  expect(template.spec).toEqual({ podSelector: {}, policyTypes: ["Ingress"] });
  await form.getByRole("button", { name: "Apply" }).click();
  await expect(verdict(page)).toContainText(DROPPED_AT_POLICY);
  await expect(verdict(page)).toContainText("default-deny-ingress");
  await expect(policyItem(page, "shop/default-deny-ingress")).toContainText("pods {all}: ingress denied");
  await expect(form).toHaveCount(0);
  await expect(yourEdits(page).getByRole("listitem")).toHaveText([
    "remove NetworkPolicy shop/allow-office",
    "apply NetworkPolicy shop/default-deny-ingress",
  ]);
  expect(new URL(page.url()).searchParams.get("edits")).toBeTruthy();

  await page.reload();
  await expect(verdict(page)).toContainText(DROPPED_AT_POLICY);
  await openEditor(page);
  await expect(policyList(page).getByRole("listitem")).toHaveCount(1);
  await expect(policyItem(page, "shop/default-deny-ingress")).toBeVisible();
  await expect(yourEdits(page).getByRole("listitem")).toHaveCount(2);
  // Undo brings the office's policy back, and its verdict.
  await page.getByRole("toolbar", { name: "Edits" }).getByRole("button", { name: "Undo" }).click();
  await page.getByRole("toolbar", { name: "Edits" }).getByRole("button", { name: "Undo" }).click();
  await expect(policyItem(page, "shop/allow-office")).toBeVisible();
  await expect(verdict(page)).toContainText(DROPPED_AT_POLICY);
  await expect(verdict(page)).toContainText("allow-office");
  expectClean(seen);
});

test("switching the engine to cilium renames the hop, and to none lets everything through", async ({ page }) => {
  const seen = watch(page);
  await open(page, "?scenario=netpol-ipblock-cluster");
  await expect(hopList(page)).not.toContainText("Cilium");
  await openEditor(page);
  const engine = page.getByRole("combobox", { name: "NetworkPolicy engine" });
  await expect(engine).toHaveValue("azure");
  await engine.selectOption("cilium");
  await expect(hopList(page)).toContainText(/Cilium/);
  await expect(yourEdits(page).getByRole("listitem")).toHaveText(["set the NetworkPolicy engine to cilium"]);
  await engine.selectOption("none");
  await expect(verdict(page)).toContainText(DELIVERED);
  await page.reload();
  await openEditor(page);
  await expect(page.getByRole("combobox", { name: "NetworkPolicy engine" })).toHaveValue("none");
  expectClean(seen);
});

const policy = (name, spec) => ({
  apiVersion: "networking.k8s.io/v1",
  kind: "NetworkPolicy",
  metadata: { name, namespace: "shop", uid: "6f1c", resourceVersion: "4242", generation: 1 },
  spec,
});

test("a pasted kubectl NetworkPolicy List is recognised, summarised and applied", async ({ page }) => {
  const seen = watch(page);
  await open(page, "?scenario=netpol-ipblock-cluster");
  // `kubectl get networkpolicies,namespaces -A -o json`: a policy admitting the nodes, and the namespace.
  const list = {
    apiVersion: "v1",
    kind: "List",
    items: [
      policy("allow-nodes", {
        podSelector: { matchLabels: { app: "web" } },
        policyTypes: ["Ingress"],
        ingress: [{ from: [{ ipBlock: { cidr: "10.224.0.0/16" } }], ports: [{ protocol: "TCP", port: 8080 }] }],
      }),
      { apiVersion: "v1", kind: "Namespace", metadata: { name: "shop", labels: { "kubernetes.io/metadata.name": "shop", env: "prod" } } },
    ],
    metadata: { resourceVersion: "" },
  };
  const result = await importJson(page, JSON.stringify(list, null, 2));
  await expect(result).toHaveClass(/ok/);
  await expect(result).toContainText("Imported 1 NetworkPolicy, 1 Namespace. What changed:");
  await expect(result.getByRole("list", { name: "What changed" })).toContainText("NetworkPolicy shop/allow-nodes added");
  await expect(verdict(page)).toContainText(DELIVERED);
  await openEditor(page);
  await expect(policyItem(page, "shop/allow-nodes")).toContainText("ingress from 10.224.0.0/16 on TCP 8080");
  await expect(result.getByRole("list", { name: "What changed" })).toContainText("Namespace shop replaced");

  // One the API server would refuse: held for review, saying what was found.
  const broken = {
    apiVersion: "v1",
    kind: "List",
    items: [
      policy("deny-all", { podSelector: {}, policyTypes: ["Ingress"] }),
      policy("broken", { podSelector: {}, ingress: [{ from: [{ ipBlock: { cidr: "10.0.0.0/33" } }] }] }),
    ],
  };
  const held = await importJson(page, JSON.stringify(broken));
  await expect(held).toHaveClass(/review/);
  await expect(held).toContainText(
    'Found 2 NetworkPolicies; 1 policy refused: NetworkPolicy shop/broken, spec.ingress[0].from[0].ipBlock.cidr "10.0.0.0/33": not a CIDR prefix. Not imported yet',
  );
  await expect(verdict(page)).toContainText(DELIVERED);
  await page.getByRole("button", { name: "Import anyway" }).click();
  await expect(importResult(page)).toHaveClass(/ok/);
  await expect(verdict(page)).toContainText(DELIVERED); // allow-nodes still admits the node
  await expect(policyItem(page, "shop/deny-all")).toBeVisible();
  await expect(policyItem(page, "shop/broken")).toHaveCount(0);
  expectClean(seen);
});
