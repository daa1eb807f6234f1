//! Paste (or drop a file of) `az network nsg show -o json`, ARM JSON, `az network nsg
//! rule list -o json`, `kubectl get svc/pods -o json`, or NetworkPolicies (`kubectl get
//! networkpolicies,namespaces,pods -A -o json`, a List or one policy). The text is parsed by the
//! browser's `JSON.parse`; the evaluator's importers decide what it is and report what
//! was odd, naming rule and field.

use std::rc::Rc;

use wasm_bindgen::JsCast;
use web_sys::{HtmlInputElement, HtmlTextAreaElement};
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct ImportPanelProps {
    pub on_import: Callback<ImportRequest>,
    /// What the last import said: a summary and warnings, or an error.
    pub report: Option<ImportReport>,
}

/// What the panel asks of the app.
#[derive(Clone, Debug, PartialEq)]
pub enum ImportRequest {
    /// Pasted or dropped text.
    Text(String),
    /// Import the document held for review anyway.
    Confirm,
    /// Drop the document held for review.
    Cancel,
    /// A whole cluster: the documents of the README's command set, each with its name.
    Cluster(Vec<(String, String)>),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImportStatus {
    /// Imported without a problem.
    Done,
    /// Found problems: nothing changed until the person confirms.
    Review,
    /// Nothing imported.
    Failed,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ImportReport {
    pub status: ImportStatus,
    pub summary: String,
    pub changes: Vec<String>,
    pub warnings: Vec<String>,
}

#[function_component(ImportPanel)]
pub fn import_panel(props: &ImportPanelProps) -> Html {
    let text = use_node_ref();
    let submit = {
        let (text, on_import) = (text.clone(), props.on_import.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            if let Some(area) = text.cast::<HtmlTextAreaElement>() {
                on_import.emit(ImportRequest::Text(area.value()));
            }
        })
    };
    let drop = {
        let on_import = props.on_import.clone();
        Callback::from(move |e: DragEvent| {
            e.prevent_default();
            let Some(file) = e
                .data_transfer()
                .and_then(|d| d.files())
                .and_then(|f| f.get(0))
            else {
                return;
            };
            let on_import = on_import.clone();
            yew::platform::spawn_local(async move {
                let text = wasm_bindgen_futures::JsFuture::from(file.text()).await;
                let text = text.ok().and_then(|t| t.as_string()).unwrap_or_default();
                on_import.emit(ImportRequest::Text(text));
            });
        })
    };
    let dragover = Callback::from(|e: DragEvent| e.prevent_default());
    html! {
        <details class="import">
            <summary>{ "Import your own NSG or Service, or your whole cluster (paste or drop JSON)" }</summary>
            <form aria-label="Import" onsubmit={submit} ondrop={drop} ondragover={dragover}>
                <p class="dim">
                    { "az network nsg show -o json, az network nsg rule list -o json, ARM JSON, kubectl get svc -o json, kubectl get networkpolicies,namespaces,pods -A -o json, or a whole scenario (docs/scenario-format.md). An NSG replaces the NSG of the same name, else the one on the first node's NIC; a LoadBalancer Service is applied as kubectl apply would; NetworkPolicies, Namespaces and Pods replace those of the same name (a pod on a node this scenario lacks is left out). Nothing leaves your browser." }
                </p>
                <textarea ref={text} aria-label="JSON to import" rows="8" spellcheck="false"
                    placeholder="{ \"name\": \"aks-agentpool-...-nsg\", \"securityRules\": [ ... ] }" />
                <button type="submit">{ "Import" }</button>
            </form>
            <ClusterImport on_import={props.on_import.clone()} />
            if let Some(report) = &props.report {
                <div class={classes!("import-report", match report.status {
                        ImportStatus::Done => "ok",
                        ImportStatus::Review => "review",
                        ImportStatus::Failed => "failed",
                    })}
                    role={if report.status == ImportStatus::Review { "alert" } else { "status" }}
                    data-status={match report.status {
                        ImportStatus::Done => "done",
                        ImportStatus::Review => "review",
                        ImportStatus::Failed => "failed",
                    }}
                    aria-label="Import result">
                    <p>
                        if report.status == ImportStatus::Review { <strong>{ "⚠ " }</strong> }
                        { &report.summary }
                    </p>
                    if !report.changes.is_empty() {
                        if report.status == ImportStatus::Review { <p class="dim">{ "It would change:" }</p> }
                        <ul aria-label="What changed">{ for report.changes.iter().map(|c| html! { <li><code>{ c }</code></li> }) }</ul>
                    }
                    if !report.warnings.is_empty() {
                        <ul aria-label="Import warnings">{ for report.warnings.iter().map(|w| html! { <li>{ w }</li> }) }</ul>
                    }
                    if report.status == ImportStatus::Review {
                        <div class="import-review">
                            <button type="button" onclick={props.on_import.reform(|_| ImportRequest::Confirm)}>{ "Import anyway" }</button>
                            <button type="button" onclick={props.on_import.reform(|_| ImportRequest::Cancel)}>{ "Cancel" }</button>
                        </div>
                    }
                </div>
            }
        </details>
    }
}

/// The commands whose output makes a cluster, as the README lists them.
const CLUSTER_COMMANDS: &str = "az aks show -g RG -n CLUSTER -o json > aks-show.json
az network vnet show --ids VNET_ID -o json > vnet-show.json
az network nsg list -o json > nsg-list.json
az network lb list -g NODE_RG -o json > lb-list.json
az network public-ip list -g NODE_RG -o json > public-ip-list.json
az vmss nic list -g NODE_RG --vmss-name VMSS -o json > nic-list-VMSS.json
kubectl get nodes,pods,services,endpointslices -A -o json > kubectl.json";

/// Reads every file of a drop or a file picker, then hands them on with their names.
fn read_files(files: web_sys::FileList, done: Callback<Vec<(String, String)>>) {
    let files: Vec<web_sys::File> = (0..files.length()).filter_map(|i| files.get(i)).collect();
    yew::platform::spawn_local(async move {
        let mut read = Vec::new();
        for file in files {
            let text = wasm_bindgen_futures::JsFuture::from(file.text()).await;
            read.push((
                file.name(),
                text.ok().and_then(|t| t.as_string()).unwrap_or_default(),
            ));
        }
        done.emit(read);
    });
}

#[derive(Properties, PartialEq)]
struct ClusterImportProps {
    on_import: Callback<ImportRequest>,
}

/// Several documents, dropped or picked at once or pasted one after another, read by the
/// evaluator's cluster import into one scenario.
#[function_component(ClusterImport)]
fn cluster_import(props: &ClusterImportProps) -> Html {
    let documents = use_state(|| Rc::new(Vec::<(String, String)>::new()));
    let pasted = use_node_ref();
    let add = {
        let documents = documents.clone();
        Callback::from(move |more: Vec<(String, String)>| {
            let mut all = (**documents).clone();
            for (name, text) in more {
                // A file dropped twice replaces its first copy.
                all.retain(|(n, _)| *n != name);
                all.push((name, text));
            }
            documents.set(Rc::new(all));
        })
    };
    let drop = {
        let add = add.clone();
        Callback::from(move |e: DragEvent| {
            e.prevent_default();
            if let Some(files) = e.data_transfer().and_then(|d| d.files()) {
                read_files(files, add.clone());
            }
        })
    };
    let picked = {
        let add = add.clone();
        Callback::from(move |e: Event| {
            if let Some(input) = e.target_dyn_into::<HtmlInputElement>() {
                if let Some(files) = input.files() {
                    read_files(files, add.clone());
                }
                input.set_value("");
            }
        })
    };
    let add_pasted = {
        let (add, pasted, documents) = (add.clone(), pasted.clone(), documents.clone());
        Callback::from(move |_: MouseEvent| {
            if let Some(area) = pasted.cast::<HtmlTextAreaElement>() {
                let text = area.value();
                if !text.trim().is_empty() {
                    add.emit(vec![(
                        format!("pasted document {}", documents.len() + 1),
                        text,
                    )]);
                    area.set_value("");
                }
            }
        })
    };
    let build = {
        let (documents, on_import) = (documents.clone(), props.on_import.clone());
        Callback::from(move |_: MouseEvent| {
            on_import.emit(ImportRequest::Cluster((**documents).clone()))
        })
    };
    let clear = {
        let documents = documents.clone();
        Callback::from(move |_: MouseEvent| documents.set(Rc::new(Vec::new())))
    };
    let dragover = Callback::from(|e: DragEvent| e.prevent_default());
    html! {
        <section class="cluster-import" aria-label="Import your whole cluster" ondrop={drop} ondragover={dragover}>
            <h3>{ "Your whole cluster" }</h3>
            <p class="dim">{ "Drop or pick the files these commands write (several at once), or paste them one after another. Everything stays in this browser: nothing is sent anywhere." }</p>
            <details>
                <summary>{ "The commands" }</summary>
                <pre><code>{ CLUSTER_COMMANDS }</code></pre>
            </details>
            <label class="file-pick">
                { "Files: " }
                <input type="file" multiple=true accept=".json,application/json" aria-label="Cluster files" onchange={picked} />
            </label>
            <textarea ref={pasted} aria-label="A cluster document to add" rows="3" spellcheck="false"
                placeholder="Paste one command's output, then Add" />
            <div class="cluster-actions">
                <button type="button" onclick={add_pasted}>{ "Add" }</button>
                <button type="button" onclick={build} disabled={documents.is_empty()}>
                    { format!("Build the cluster from {} document{}", documents.len(), if documents.len() == 1 { "" } else { "s" }) }
                </button>
                if !documents.is_empty() {
                    <button type="button" onclick={clear}>{ "Clear" }</button>
                }
            </div>
            if !documents.is_empty() {
                <ul aria-label="Cluster documents">
                    { for documents.iter().map(|(name, text)| html! {
                        <li><code>{ name }</code>{ format!(" ({} KB)", text.len().div_ceil(1024)) }</li>
                    }) }
                </ul>
            }
        </section>
    }
}

/// Parses JSON text with the browser's own parser into the evaluator's document tree.
pub fn parse_json(text: &str) -> Result<packetwalk::json::Value, String> {
    let value = js_sys::JSON::parse(text).map_err(|err| {
        let message = err
            .dyn_ref::<js_sys::Error>()
            .and_then(|e| e.message().as_string())
            .unwrap_or_else(|| "not JSON".to_owned());
        format!("not JSON: {message}")
    })?;
    serde_wasm_bindgen::from_value(value).map_err(|err| err.to_string())
}
