//! Reading the files a command is given (`-` is standard input): bytes first, so that
//! text that is not UTF-8 is refused with the offset of the first bad byte.

use anyhow::{bail, Context, Result};
use packetwalk::json::Value;
use std::io::Read;
use std::path::Path;

/// A file (or standard input) and the name messages call it by.
pub struct Input {
    pub shown: String,
    pub text: String,
}

pub fn read(path: &Path) -> Result<Input> {
    let stdin = path.as_os_str() == "-";
    let shown = if stdin {
        "<stdin>".to_owned()
    } else {
        path.display().to_string()
    };
    let mut bytes = Vec::new();
    if stdin {
        std::io::stdin()
            .read_to_end(&mut bytes)
            .with_context(|| format!("{shown}: cannot read"))?;
    } else {
        bytes = std::fs::read(path).with_context(|| format!("{shown}: cannot read"))?;
    }
    let text = match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(error) => {
            let offset = error.utf8_error().valid_up_to();
            let byte = error.as_bytes().get(offset).copied().unwrap_or_default();
            bail!(
                "{shown}: not UTF-8 text: byte 0x{byte:02X} at offset {offset} is not valid UTF-8"
            );
        }
    };
    Ok(Input { shown, text })
}

impl Input {
    pub fn json(&self) -> Result<Value> {
        serde_json::from_str(&self.text).with_context(|| format!("{}: not JSON", self.shown))
    }
}
