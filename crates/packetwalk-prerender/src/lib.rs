//! The first load's HTML: the page's default view (the blog's cluster on its first
//! packet, at hop 1, with the controls), rendered at build time by the same Yew
//! components the app mounts (yew's server renderer, natively), and written into the
//! built `index.html` with the stylesheet inlined. A reader sees the diagram as soon as
//! the HTML has arrived; the app replaces the snapshot when it mounts (yew clears
//! `<body data-packetwalk-page>` and renders the same markup in the same task).
//!
//! A link or a stored state other than the default shows a neutral skeleton instead
//! (the snapshot hidden, a "Loading" line) until the app mounts: a small inline script
//! decides before the snapshot is parsed, so the wrong cluster is never painted.

use packetwalk_web::components::app::App;
use packetwalk_web::state::{State, DEFAULT_SCENARIO};

/// The attribute that marks the prerendered snapshot (the app's own markup has none).
pub const SNAPSHOT_MARK: &str = "data-pw-snapshot";

/// The body tag of `www/index.html` the snapshot goes into.
const BODY: &str = "<body data-packetwalk-page>";

/// Renders the default view with yew's server renderer, as the app's first render
/// draws it on a bare visit.
pub fn render_default() -> String {
    let runtime = tokio::runtime::Builder::new_current_thread().build();
    let Ok(runtime) = runtime else {
        return String::new();
    };
    runtime.block_on(async {
        yew::LocalServerRenderer::<App>::new()
            .hydratable(false)
            .render()
            .await
    })
}

/// The query string the app writes for the default view (`url::query`'s pairs), which a
/// bare visit or a link to exactly that view may carry.
pub fn default_query_pairs() -> Vec<(String, String)> {
    let state = State::new(DEFAULT_SCENARIO);
    let mut pairs = vec![
        ("v".to_owned(), packetwalk_web::url::VERSION.to_owned()),
        ("scenario".to_owned(), state.scenario_name.clone()),
    ];
    match &state.flow {
        Some(flow) => pairs.push(("flow".to_owned(), flow.clone())),
        None => {
            pairs.push(("from".to_owned(), state.packet.from.clone()));
            pairs.push(("to".to_owned(), state.packet.to.clone()));
            pairs.push(("protocol".to_owned(), state.packet.protocol.clone()));
        }
    }
    pairs.push(("step".to_owned(), "1".to_owned()));
    pairs
}

/// The inline script at the top of the body: any state but the default (a link's query,
/// or a stored state a bare visit restores) marks the body `pw-other`, which hides the
/// snapshot behind the skeleton until the app mounts.
fn state_script(pairs: &[(String, String)]) -> String {
    let pairs = serde_json::to_string(pairs).unwrap_or_else(|_| "[]".to_owned());
    format!(
        "<script>(function(){{var d=new URLSearchParams({pairs}).toString(),q=location.search.slice(1),s=null;\
try{{s=localStorage.getItem(\"packetwalk:state\")}}catch(e){{}}\
if(q?new URLSearchParams(q).toString()!==d:(s&&s!==d))document.body.classList.add(\"pw-other\")}})()</script>"
    )
}

/// The skeleton's rules (the page's stylesheet does not know about the snapshot).
const SKELETON_CSS: &str = "<style>.pw-other [data-pw-snapshot]{visibility:hidden}\
.pw-loading{display:none}\
.pw-other .pw-loading{display:block;position:fixed;top:40vh;left:0;right:0;text-align:center;color:var(--dim,#666)}</style>";

/// Writes `snapshot` (the rendered default view) into `index_html` (trunk's output):
/// the stylesheet `<link>` becomes an inline `<style>` with `css`, and the body gets the
/// state script, the skeleton's line and the snapshot, marked inert (nothing in it
/// answers until the app has replaced it) and hidden from assistive technology.
pub fn write_into(index_html: &str, css: &str, snapshot: &str) -> Result<String, String> {
    if index_html.contains(SNAPSHOT_MARK) {
        return Err("index.html already holds a snapshot".to_owned());
    }
    let snapshot = snapshot.trim();
    let rest = snapshot
        .strip_prefix("<main")
        .ok_or("the rendered view does not start with <main")?;
    let snapshot = format!("<main {SNAPSHOT_MARK} inert{rest}");

    let link_start = index_html
        .find("<link rel=\"stylesheet\" href=\"./style.css\"")
        .ok_or("no <link rel=\"stylesheet\" href=\"./style.css\"> in index.html")?;
    let link_end = index_html[link_start..]
        .find('>')
        .map(|i| link_start + i + 1)
        .ok_or("unclosed stylesheet <link>")?;
    // `</style` cannot end the inline sheet early: the stylesheet is ours and has none.
    if css.contains("</style") {
        return Err("style.css contains </style".to_owned());
    }
    let mut html = String::with_capacity(index_html.len() + css.len() + snapshot.len() + 1024);
    html.push_str(&index_html[..link_start]);
    let after_link = &index_html[link_end..];
    // The sheet goes last in the head, after trunk's loader and its preloads of the
    // .js and .wasm: the browser asks for those before the sheet's bytes have arrived.
    let head_end = after_link
        .find("</head>")
        .ok_or("no </head> in index.html")?;
    html.push_str(&after_link[..head_end]);
    html.push_str("<style>");
    html.push_str(css);
    html.push_str("</style>");
    html.push_str(SKELETON_CSS);
    let after_link = &after_link[head_end..];

    let body_at = after_link
        .find(BODY)
        .ok_or("no <body data-packetwalk-page> in index.html")?
        + BODY.len();
    html.push_str(&after_link[..body_at]);
    html.push_str(&state_script(&default_query_pairs()));
    html.push_str("<p class=\"pw-loading\" role=\"status\">Loading the cluster…</p>");
    html.push_str(&snapshot);
    html.push_str(&after_link[body_at..]);
    Ok(html)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TRUNK_OUTPUT: &str = "<!doctype html><html><head><link rel=\"stylesheet\" href=\"./style.css\" integrity=\"sha384-x\"/>\n<script type=\"module\">import init from './packetwalk-web.js';</script></head>\n<body data-packetwalk-page>\n  <noscript>needs JavaScript</noscript>\n</body></html>";

    #[test]
    fn the_default_view_renders_the_diagram_and_the_controls() {
        let view = render_default();
        assert!(
            view.starts_with("<main class=\"app\""),
            "{}",
            &view[..80.min(view.len())]
        );
        assert!(view.contains("data-component"), "no diagram part");
        assert!(view.contains("▶ Play"), "no Play button");
        assert!(view.contains("blog-part4"));
    }

    #[test]
    fn the_snapshot_goes_into_the_body_with_the_css_inlined() {
        let html = write_into(
            TRUNK_OUTPUT,
            "body{margin:0}",
            "<main class=\"app\"><svg></svg></main>",
        )
        .expect("written");
        assert!(!html.contains("rel=\"stylesheet\""));
        assert!(html.contains("<style>body{margin:0}</style>"));
        let style = html.find("<style>").expect("inline sheet");
        assert!(
            html.find("import init").expect("loader") < style,
            "the loader is asked for first"
        );
        assert!(style < html.find("</head>").expect("head"));
        assert!(html.contains("<main data-pw-snapshot inert class=\"app\"><svg></svg></main>"));
        let body = html.find("<body").expect("body");
        let script = html.find("<script>(function").expect("state script");
        let snapshot = html.find("<main").expect("snapshot");
        let noscript = html.find("<noscript>").expect("noscript kept");
        assert!(body < script && script < snapshot && snapshot < noscript);
        assert!(html.contains("import init"), "trunk's loader kept");
        assert!(
            write_into(&html, "", "<main></main>").is_err(),
            "twice is refused"
        );
    }

    #[test]
    fn the_default_query_is_the_one_the_app_writes() {
        let pairs = default_query_pairs();
        let keys: Vec<&str> = pairs.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["v", "scenario", "flow", "step"]);
        assert_eq!(pairs[1].1, DEFAULT_SCENARIO);
    }
}
