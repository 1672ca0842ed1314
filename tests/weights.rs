//! Weight files: exact round trip, refusal to overwrite, and an error naming the file and the
//! offending place for every malformed input.

use convex_relu::network::Network;
use nalgebra::dmatrix;
use std::path::PathBuf;

fn tmpdir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("convex-relu-weights-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn net() -> Network {
    Network { u: dmatrix![0.1, -2.5, 1.0 / 3.0; 1e-300, 7.0, -0.0], v: dmatrix![1.5, 2.0, -1.0 / 7.0] }
}

#[test]
fn round_trip_is_exact_and_overwrite_is_refused() {
    let dir = tmpdir("rt");
    let p = dir.join("w.json");
    let _ = std::fs::remove_file(&p);
    net().save(&p, false).unwrap();
    let back = Network::load(&p).unwrap();
    assert_eq!(back, net());
    // the file carries the documented tags
    let v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
    assert_eq!(v["format"], "convex-relu-network");
    assert_eq!(v["version"], 1);
    assert_eq!((v["d"].as_u64(), v["c"].as_u64(), v["width"].as_u64()), (Some(2), Some(1), Some(3)));
    assert_eq!(v["u"][0][1].as_f64(), Some(-2.5));

    let other = Network { u: dmatrix![1.0], v: dmatrix![1.0] };
    let err = other.save(&p, false).unwrap_err().to_string();
    assert!(err.contains(&p.display().to_string()) && err.contains("refusing to overwrite"), "{err}");
    assert_eq!(Network::load(&p).unwrap(), net(), "a refused save must leave the file alone");
    other.save(&p, true).unwrap();
    assert_eq!(Network::load(&p).unwrap(), other);

    let bad = Network { u: dmatrix![f64::NAN], v: dmatrix![1.0] };
    let err = bad.save(dir.join("nan.json"), true).unwrap_err().to_string();
    assert!(err.contains("U[0, 0]") && err.contains("not finite"), "{err}");
    std::fs::remove_dir_all(&dir).ok();
}

fn load_err(tag: &str, text: &str) -> String {
    let dir = tmpdir(tag);
    let p = dir.join(format!("{tag}.json"));
    std::fs::write(&p, text).unwrap();
    let e = Network::load(&p).unwrap_err().to_string();
    std::fs::remove_dir_all(&dir).ok();
    assert!(e.contains(&format!("{tag}.json")), "error must name the file: {e}");
    e
}

const GOOD_HEAD: &str = r#""format": "convex-relu-network", "version": 1"#;

#[test]
fn malformed_weight_files_name_the_place() {
    let e = load_err("syntax", "{\n  \"format\": \"convex-relu-network\",\n  \"version\": 1,,\n}");
    assert!(e.contains("line 3, column") && e.contains("invalid JSON"), "{e}");

    let e = load_err("empty", "");
    assert!(e.contains("line 1") && e.contains("invalid JSON"), "{e}");

    let e = load_err("toplevel", "[1, 2]");
    assert!(e.contains("field `(top level)`") && e.contains("expected a JSON object, found an array of 2"), "{e}");

    let e = load_err("tag", r#"{"format": "something-else", "version": 1, "d": 1, "c": 1, "width": 1, "u": [[1]], "v": [[1]]}"#);
    assert!(e.contains("field `format`: expected \"convex-relu-network\", found \"something-else\""), "{e}");

    let e = load_err("version", r#"{"format": "convex-relu-network", "version": 2, "d": 1, "c": 1, "width": 1, "u": [[1]], "v": [[1]]}"#);
    assert!(e.contains("field `version`: expected 1, found 2"), "{e}");

    let e = load_err("missing", &format!(r#"{{{GOOD_HEAD}, "d": 1, "c": 1, "u": [[1]], "v": [[1]]}}"#));
    assert!(e.contains("field `width`") && e.contains("no such field"), "{e}");

    let e = load_err("dim", &format!(r#"{{{GOOD_HEAD}, "d": 0, "c": 1, "width": 1, "u": [], "v": [[1]]}}"#));
    assert!(e.contains("field `d`: expected a positive integer, found 0"), "{e}");

    let e = load_err("rows", &format!(r#"{{{GOOD_HEAD}, "d": 2, "c": 1, "width": 1, "u": [[1]], "v": [[1]]}}"#));
    assert!(e.contains("field `u`: expected 2 rows (d = 2), found 1"), "{e}");

    let e = load_err("rowlen", &format!(r#"{{{GOOD_HEAD}, "d": 1, "c": 2, "width": 2, "u": [[1, 2]], "v": [[1, 2], [3]]}}"#));
    assert!(e.contains("field `v[1]`: expected 2 numbers (width = 2), found 1"), "{e}");

    let e = load_err("cell", &format!(r#"{{{GOOD_HEAD}, "d": 1, "c": 1, "width": 2, "u": [[1, "x"]], "v": [[1, 2]]}}"#));
    assert!(e.contains("field `u[0][1]`: expected a finite number, found \"x\""), "{e}");

    let e = load_err("null", &format!(r#"{{{GOOD_HEAD}, "d": 1, "c": 1, "width": 1, "u": [[null]], "v": [[1]]}}"#));
    assert!(e.contains("field `u[0][0]`: expected a finite number, found null"), "{e}");

    let dir = tmpdir("nofile");
    let e = Network::load(dir.join("absent.json")).unwrap_err().to_string();
    assert!(e.contains("absent.json"), "{e}");
}
