//! The packetwalk page. It renders what the evaluator returns and decides nothing
//! about networking itself.

pub mod api;
pub mod components;
pub mod export_svg;
pub mod layout;
pub mod mount;
pub mod scenarios;
pub mod state;
pub mod tour;
pub mod url;

/// The attribute that marks the element packetwalk's own page mounts the app on
/// (`<body data-packetwalk-page>` in `www/index.html`).
pub const PAGE_MARK: &str = "data-packetwalk-page";

/// Mounts the app on the element marked [`PAGE_MARK`], if the document has one. A host
/// page that loads the same module to call `mount` (see `api.rs`) has no such element
/// and gets nothing it did not ask for.
pub fn run() {
    let root = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.query_selector(&format!("[{PAGE_MARK}]")).ok().flatten());
    if let Some(root) = root {
        yew::Renderer::<components::app::App>::with_root(root).render();
    }
}
