//! Writing user files safely: nothing the user wrote is overwritten unless they asked for it.

use crate::error::{Error, Result};
use std::io::Write;
use std::path::Path;

/// Writes `text` to `path`. With `overwrite == false` an existing file is left untouched and the
/// error says so (the file is opened with `create_new`, so there is no check-then-write race).
pub fn write_text(path: &Path, text: &str, overwrite: bool) -> Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true);
    if overwrite {
        options.create(true).truncate(true);
    } else {
        options.create_new(true);
    }
    let mut file = options.open(path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            Error::InvalidArgument(format!(
                "`{}` already exists; refusing to overwrite it (pass overwrite = true, or --force / --overwrite on the command line)",
                path.display()
            ))
        } else {
            Error::io(path, e)
        }
    })?;
    file.write_all(text.as_bytes()).map_err(|e| Error::io(path, e))
}
