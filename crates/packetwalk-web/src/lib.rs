//! The packetwalk page. It renders what the evaluator returns and decides nothing
//! about networking itself.

pub mod components;
pub mod layout;
pub mod scenarios;
pub mod state;
pub mod tour;
pub mod url;

/// Mounts the app on the document's body.
pub fn run() {
    yew::Renderer::<components::app::App>::new().render();
}
