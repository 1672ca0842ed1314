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
                "`{}` already exists; refusing to overwrite it (pass overwrite = true, or --force on the command line)",
                path.display()
            ))
        } else {
            Error::io(path, e)
        }
    })?;
    file.write_all(text.as_bytes()).map_err(|e| Error::io(path, e))
}

/// Writes `value` as pretty JSON plus a newline, with [`write_text`]'s overwrite rule.
pub fn write_json(path: &Path, value: &serde_json::Value, overwrite: bool) -> Result<()> {
    let mut text = serde_json::to_string_pretty(value).map_err(|e| Error::InvalidArgument(e.to_string()))?;
    text.push('\n');
    write_text(path, &text, overwrite)
}

/// Parses `text` as JSON; a syntax error names `path`, its line and column.
pub fn parse_json(text: &str, path: &Path) -> Result<serde_json::Value> {
    serde_json::from_str(text).map_err(|e| {
        let msg = e.to_string();
        let msg = msg.split(" at line ").next().unwrap_or(&msg).to_string();
        Error::Parse { path: path.to_path_buf(), line: Some(e.line()), column: Some(e.column().to_string()), message: format!("invalid JSON: {msg}") }
    })
}

/// Checks, before any expensive work, that `path` can be written: its directory exists and is a
/// directory, an existing `path` is a regular file and is replaced only with `overwrite`, and
/// the directory accepts a new file (probed by creating and removing an empty one). `option`
/// names the command-line option in the error (e.g. `--export`).
pub fn check_output(path: &Path, overwrite: bool, option: &str) -> Result<()> {
    let what = |msg: String| Error::InvalidArgument(format!("{option} {}: {msg}", path.display()));
    if path.as_os_str().is_empty() {
        return Err(what("an empty path".into()));
    }
    if let Ok(meta) = std::fs::metadata(path) {
        if !meta.is_file() {
            return Err(what("exists and is not a regular file".into()));
        }
        if !overwrite {
            return Err(what("already exists; refusing to overwrite it (pass --force)".into()));
        }
        if meta.permissions().readonly() {
            return Err(what("exists and is read-only".into()));
        }
        return Ok(());
    }
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    };
    match std::fs::metadata(&dir) {
        Ok(m) if m.is_dir() => {}
        Ok(_) => return Err(what(format!("`{}` is not a directory", dir.display()))),
        Err(_) => return Err(what(format!("the directory `{}` does not exist", dir.display()))),
    }
    let name = path.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
    let probe = dir.join(format!(".{name}.{}.probe", std::process::id()));
    match std::fs::OpenOptions::new().write(true).create_new(true).open(&probe) {
        Ok(_) => {
            let _ = std::fs::remove_file(&probe);
            Ok(())
        }
        Err(e) => Err(what(format!("cannot create a file in `{}`: {e}", dir.display()))),
    }
}

/// Refuses two output options naming the same file (one would replace the other).
pub fn check_distinct(outputs: &[(&str, &Path)]) -> Result<()> {
    let key = |p: &Path| -> std::path::PathBuf {
        let dir = p.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
        let dir = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
        dir.join(p.file_name().unwrap_or_default())
    };
    for (i, (a, pa)) in outputs.iter().enumerate() {
        for (b, pb) in &outputs[i + 1..] {
            if key(pa) == key(pb) {
                return Err(Error::InvalidArgument(format!("{a} and {b} name the same file `{}`; one output would replace the other", pa.display())));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_checks() {
        let dir = std::env::temp_dir().join(format!("convex-relu-files-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&dir);
        let f = dir.join("a.json");
        assert!(check_output(&f, false, "--export").is_ok());
        std::fs::write(&f, "x").unwrap();
        assert!(check_output(&f, false, "--export").unwrap_err().to_string().contains("--force"));
        assert!(check_output(&f, true, "--export").is_ok());
        let msg = check_output(&dir.join("missing/a.json"), true, "--export").unwrap_err().to_string();
        assert!(msg.contains("does not exist"), "{msg}");
        assert!(check_output(&dir, true, "--export").unwrap_err().to_string().contains("not a regular file"));
        let g = dir.join("./a.json");
        assert!(check_distinct(&[("--export", &f), ("--save-network", &g)]).is_err());
        assert!(check_distinct(&[("--export", &f), ("--save-network", &dir.join("b.json"))]).is_ok());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
