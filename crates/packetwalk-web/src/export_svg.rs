//! The diagram as a self-contained SVG file: a copy of the drawn `<svg>` whose look no
//! longer depends on the page's stylesheet.
//!
//! The page styles the diagram with rules that need the page around it (`.diagram
//! .nsg path`, colours in CSS variables, a dark-mode media query). Copying those rules
//! would not work outside the page, so the export asks the browser instead: for every
//! element, the computed value of each property that changes how SVG is painted. Equal
//! sets become one class each in a `<style>` at the top of the file, so the file stays
//! small and looks as the diagram did on screen, in any browser or SVG viewer.

use wasm_bindgen::{JsCast, JsValue};
use web_sys::{Element, HtmlAnchorElement};

const SVG_NS: &str = "http://www.w3.org/2000/svg";

/// The properties that decide how the diagram's shapes and text look.
const PROPERTIES: &[&str] = &[
    "display",
    "visibility",
    "opacity",
    "fill",
    "fill-opacity",
    "stroke",
    "stroke-width",
    "stroke-opacity",
    "stroke-dasharray",
    "stroke-linecap",
    "stroke-linejoin",
    "font-family",
    "font-size",
    "font-style",
    "font-weight",
    "letter-spacing",
    "text-decoration",
    "text-anchor",
    "dominant-baseline",
];

fn js_err(err: JsValue) -> String {
    js_sys::Error::from(err)
        .message()
        .as_string()
        .unwrap_or_else(|| "the browser refused".to_owned())
}

/// The SVG file's text for the drawn diagram `svg`.
pub fn svg_text(svg: &Element) -> Result<String, String> {
    let window = web_sys::window().ok_or("no window")?;
    let document = window.document().ok_or("no document")?;
    let copy: Element = svg
        .clone_node_with_deep(true)
        .map_err(js_err)?
        .dyn_into()
        .map_err(|_| "the copy is not an element")?;
    let originals = svg.query_selector_all("*").map_err(js_err)?;
    let copies = copy.query_selector_all("*").map_err(js_err)?;

    let mut rules: Vec<String> = Vec::new();
    let mut pairs = vec![(svg.clone(), copy.clone())];
    for i in 0..originals.length().min(copies.length()) {
        if let (Some(o), Some(c)) = (originals.get(i), copies.get(i)) {
            if let (Ok(o), Ok(c)) = (o.dyn_into::<Element>(), c.dyn_into::<Element>()) {
                pairs.push((o, c));
            }
        }
    }
    for (original, copy) in &pairs {
        let Some(style) = window.get_computed_style(original).map_err(js_err)? else {
            continue;
        };
        let mut declarations = String::new();
        for property in PROPERTIES {
            let value = style.get_property_value(property).unwrap_or_default();
            if !value.is_empty() {
                declarations.push_str(&format!("{property}:{value};"));
            }
        }
        let index = match rules.iter().position(|r| *r == declarations) {
            Some(index) => index,
            None => {
                rules.push(declarations);
                rules.len() - 1
            }
        };
        let class = copy.get_attribute("class").unwrap_or_default();
        let class = format!("{class} pw{index}");
        let _ = copy.set_attribute("class", class.trim_start());
    }

    let css: String = rules
        .iter()
        .enumerate()
        .map(|(i, r)| format!(".pw{i}{{{r}}}\n"))
        .collect();
    let style = document
        .create_element_ns(Some(SVG_NS), "style")
        .map_err(js_err)?;
    style.set_text_content(Some(&format!("\n{css}")));

    // The diagram's panel colour, behind everything, as on the page.
    let background = svg
        .parent_element()
        .and_then(|p| window.get_computed_style(&p).ok().flatten())
        .and_then(|s| s.get_property_value("background-color").ok())
        .filter(|c| !c.is_empty() && c != "rgba(0, 0, 0, 0)");
    let first = copy.first_child();
    if let Some(colour) = background {
        let rect = document
            .create_element_ns(Some(SVG_NS), "rect")
            .map_err(js_err)?;
        for (name, value) in [
            ("width", "100%"),
            ("height", "100%"),
            ("fill", colour.as_str()),
        ] {
            let _ = rect.set_attribute(name, value);
        }
        copy.insert_before(&rect, first.as_ref()).map_err(js_err)?;
        copy.insert_before(&style, Some(&rect)).map_err(js_err)?;
    } else {
        copy.insert_before(&style, first.as_ref()).map_err(js_err)?;
    }

    // A size of its own (the page sizes it by CSS), from the drawing's coordinates.
    if let Some(view_box) = copy.get_attribute("viewBox") {
        let numbers: Vec<&str> = view_box.split_whitespace().collect();
        if let [_, _, w, h] = numbers[..] {
            let _ = copy.set_attribute("width", w);
            let _ = copy.set_attribute("height", h);
        }
    }
    let _ = copy.set_attribute("xmlns", SVG_NS);
    let text = web_sys::XmlSerializer::new()
        .map_err(js_err)?
        .serialize_to_string(&copy)
        .map_err(js_err)?;
    Ok(format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n{text}\n"
    ))
}

/// Saves `svg` as the file `file_name` (a download through a Blob URL).
pub fn download(svg: &Element, file_name: &str) -> Result<(), String> {
    let text = svg_text(svg)?;
    let document = web_sys::window()
        .and_then(|w| w.document())
        .ok_or("no document")?;
    let parts = js_sys::Array::of1(&JsValue::from_str(&text));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type("image/svg+xml");
    let blob =
        web_sys::Blob::new_with_str_sequence_and_options(&parts, &options).map_err(js_err)?;
    let url = web_sys::Url::create_object_url_with_blob(&blob).map_err(js_err)?;
    let link: HtmlAnchorElement = document
        .create_element("a")
        .map_err(js_err)?
        .dyn_into()
        .map_err(|_| "no link element")?;
    link.set_href(&url);
    link.set_download(file_name);
    link.click();
    // The download has started from the URL; let it go a moment later.
    yew::platform::spawn_local(async move {
        yew::platform::time::sleep(std::time::Duration::from_secs(10)).await;
        let _ = web_sys::Url::revoke_object_url(&url);
    });
    Ok(())
}
