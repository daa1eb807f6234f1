//! Writing results to stdout. A closed pipe (`packetwalk scenarios | head`) is the
//! reader's choice, not an error: stop quietly instead of panicking as `println!` does.

use std::io::{ErrorKind, Write};

/// Writes `text` to stdout; a broken pipe ends the program with status 0.
pub fn print(text: &str) {
    let mut stdout = std::io::stdout().lock();
    if let Err(error) = stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        if error.kind() == ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        let _ = writeln!(std::io::stderr(), "packetwalk: writing output: {error}");
        std::process::exit(2);
    }
}

/// As [`print`], with a line break after.
pub fn println(text: &str) {
    print(&format!("{text}\n"));
}
