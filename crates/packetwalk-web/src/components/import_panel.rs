//! Paste (or drop a file of) `az network nsg show -o json`, ARM JSON, `az network nsg
//! rule list -o json` or `kubectl get svc/pods -o json`. The text is parsed by the
//! browser's `JSON.parse`; the evaluator's importers decide what it is and report what
//! was odd, naming rule and field.

use wasm_bindgen::JsCast;
use web_sys::HtmlTextAreaElement;
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
            <summary>{ "Import your own NSG or Service (paste or drop JSON)" }</summary>
            <form aria-label="Import" onsubmit={submit} ondrop={drop} ondragover={dragover}>
                <p class="dim">
                    { "az network nsg show -o json, az network nsg rule list -o json, ARM JSON, kubectl get svc -o json, or a whole scenario (docs/scenario-format.md). An NSG replaces the NSG of the same name, else the one on the first node's NIC; a LoadBalancer Service is applied as kubectl apply would. Nothing leaves your browser." }
                </p>
                <textarea ref={text} aria-label="JSON to import" rows="8" spellcheck="false"
                    placeholder="{ \"name\": \"aks-agentpool-...-nsg\", \"securityRules\": [ ... ] }" />
                <button type="submit">{ "Import" }</button>
            </form>
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
