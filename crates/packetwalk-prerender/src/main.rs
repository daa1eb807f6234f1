//! `packetwalk-prerender [DIST]`: writes the default view into `DIST/index.html` (see
//! the library). DIST defaults to trunk's staging directory when run as trunk's
//! `post_build` hook (Trunk.toml), else `dist`. Exit 2 with one line on failure.

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let dist = std::env::args_os()
        .nth(1)
        .or_else(|| std::env::var_os("TRUNK_STAGING_DIR"))
        .map_or_else(|| PathBuf::from("dist"), PathBuf::from);
    match run(&dist) {
        Ok(bytes) => {
            println!(
                "prerendered the default view into {} ({bytes} bytes)",
                dist.join("index.html").display()
            );
            ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("packetwalk-prerender: {}: {err}", dist.display());
            ExitCode::from(2)
        }
    }
}

fn run(dist: &std::path::Path) -> Result<usize, String> {
    let read = |name: &str| {
        std::fs::read_to_string(dist.join(name)).map_err(|err| format!("{name}: {err}"))
    };
    let index = read("index.html")?;
    let css = read("style.css")?;
    let snapshot = packetwalk_prerender::render_default();
    let html = packetwalk_prerender::write_into(&index, &css, &snapshot)?;
    std::fs::write(dist.join("index.html"), &html).map_err(|err| format!("index.html: {err}"))?;
    Ok(html.len())
}
