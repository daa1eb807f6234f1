//! Share what is on show: copy an `<iframe>` snippet of the embed view or the link to
//! the clipboard, or download the diagram as an SVG file.

use wasm_bindgen::JsValue;
use wasm_bindgen_futures::JsFuture;
use web_sys::HtmlTextAreaElement;
use yew::prelude::*;

use crate::export_svg;

#[derive(Properties, PartialEq)]
pub struct ShareProps {
    /// The scenario's title, for the iframe's accessible title.
    pub title: String,
    /// The scenario's name, for the SVG file's name.
    pub scenario: String,
    /// The scenario was edited in this browser (the link carries the edits).
    #[prop_or_default]
    pub edited: bool,
    /// Mounted in a host page (the JS API): the address is the host's, so no links.
    #[prop_or_default]
    pub hosted: bool,
}

/// What the last button press came to.
#[derive(Clone, PartialEq)]
enum Outcome {
    Done(String),
    /// The clipboard refused: the text is shown, selected, to copy by hand.
    CopyByHand {
        why: String,
        text: String,
    },
    Failed(String),
}

#[function_component(Share)]
pub fn share(props: &ShareProps) -> Html {
    let outcome = use_state(|| None::<Outcome>);
    let here = use_node_ref();
    let field = use_node_ref();
    {
        // Select the text to copy by hand once it is shown.
        let field = field.clone();
        use_effect_with((*outcome).clone(), move |outcome| {
            if let (Some(Outcome::CopyByHand { .. }), Some(area)) =
                (outcome, field.cast::<HtmlTextAreaElement>())
            {
                let _ = area.focus();
                area.select();
            }
        });
    }

    // The address is read when the button is pressed: it changes after each render.
    let copy = |what: &'static str, text: fn(&str) -> String| {
        let outcome = outcome.clone();
        let title = props.title.clone();
        Callback::from(move |_: MouseEvent| {
            let outcome = outcome.clone();
            let text = text(&title);
            wasm_bindgen_futures::spawn_local(async move {
                outcome.set(Some(match copy_to_clipboard(&text).await {
                    Ok(()) => Outcome::Done(format!("Copied the {what}.")),
                    Err(why) => Outcome::CopyByHand { why, text },
                }));
            });
        })
    };
    let download = {
        let outcome = outcome.clone();
        let here = here.clone();
        let file = format!("packetwalk-{}.svg", file_safe(&props.scenario));
        Callback::from(move |_: MouseEvent| {
            let svg = here
                .cast::<web_sys::Element>()
                .and_then(|e| e.closest(".app").ok().flatten())
                .and_then(|app| app.query_selector(".diagram svg").ok().flatten());
            let result = match svg {
                Some(svg) => export_svg::download(&svg, &file),
                None => Err("the diagram is not drawn".to_owned()),
            };
            outcome.set(Some(match result {
                Ok(()) => Outcome::Done(format!("Downloaded {file}.")),
                Err(err) => Outcome::Failed(format!("Could not make the SVG file: {err}")),
            }));
        })
    };

    let (status, by_hand) = match &*outcome {
        None => (String::new(), None),
        Some(Outcome::Done(message)) | Some(Outcome::Failed(message)) => (message.clone(), None),
        Some(Outcome::CopyByHand { why, text }) => (
            format!("Could not copy to the clipboard ({why}). The text is selected below: press Ctrl+C (⌘C on a Mac)."),
            Some(text.clone()),
        ),
    };
    html! {
        <section class="share" aria-label="Share" ref={here}>
            if !props.hosted {
                <button type="button" onclick={copy("embed snippet", snippet)}
                    title="An <iframe> of this diagram and its controls, for a blog post">{ "Copy embed snippet" }</button>
                <button type="button" onclick={copy("link", |_| link())}>{ "Copy link" }</button>
            }
            <button type="button" onclick={download}>{ "Download SVG" }</button>
            <span class="share-status" role="status">{ status }</span>
            if let Some(text) = by_hand {
                <textarea ref={field} class="copy-by-hand" readonly=true rows="3"
                    aria-label="Text to copy" value={text} />
            }
            if props.edited && !props.hosted {
                <p class="dim share-note">{ "The link and the snippet carry your edits." }</p>
            }
        </section>
    }
}

/// The page's address as it is now (it always holds the state).
fn link() -> String {
    web_sys::window()
        .and_then(|w| w.location().href().ok())
        .unwrap_or_default()
}

/// The address with `embed` added, in an `<iframe>` element.
fn snippet(title: &str) -> String {
    let href = link();
    let (base, rest) = href.split_once('?').unwrap_or((href.as_str(), ""));
    let query = rest.split('#').next().unwrap_or("");
    let base = base.split('#').next().unwrap_or(base);
    let mut params: Vec<&str> = query
        .split('&')
        .filter(|p| !p.is_empty() && *p != "embed" && !p.starts_with("embed="))
        .collect();
    params.push("embed");
    let src = format!("{base}?{}", params.join("&"));
    format!(
        "<iframe src=\"{}\" title=\"packetwalk: {}\" width=\"100%\" height=\"560\" style=\"border:0\" loading=\"lazy\"></iframe>",
        attribute(&src),
        attribute(title)
    )
}

/// Text as an HTML attribute value in double quotes.
fn attribute(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn file_safe(name: &str) -> String {
    let safe: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect();
    if safe.is_empty() {
        "diagram".to_owned()
    } else {
        safe
    }
}

async fn copy_to_clipboard(text: &str) -> Result<(), String> {
    let navigator = web_sys::window().ok_or("no window")?.navigator();
    // `navigator.clipboard` is missing outside secure contexts (plain http).
    let clipboard = js_sys::Reflect::get(&navigator, &JsValue::from_str("clipboard"))
        .ok()
        .filter(|c| !c.is_undefined() && !c.is_null());
    if clipboard.is_none() {
        return Err("this browser offers no clipboard here".to_owned());
    }
    JsFuture::from(navigator.clipboard().write_text(text))
        .await
        .map(|_| ())
        .map_err(|err| {
            js_sys::Error::from(err)
                .message()
                .as_string()
                .filter(|m| !m.is_empty())
                .unwrap_or_else(|| "the browser refused".to_owned())
        })
}
