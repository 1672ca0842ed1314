//! `CONVEX_RELU_MODELS` overrides the models directory (its own test binary: it sets the
//! process environment).

use convex_relu::data::{self, Dataset};

#[test]
fn env_override_of_the_models_dir() {
    let dir = std::env::temp_dir().join(format!("convex-relu-models-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("datasets")).unwrap();
    std::fs::write(dir.join("datasets").join("tiny.csv"), "a,t\n1,0.5\n2,1.5\n").unwrap();
    std::env::set_var(data::MODELS_ENV, &dir);
    let d = Dataset::load("tiny").unwrap();
    assert_eq!(d.n(), 2);
    assert_eq!(d.y.column(0).iter().copied().collect::<Vec<f64>>(), vec![0.5, 1.5]);
    let e = Dataset::load("iris").unwrap_err().to_string();
    assert!(e.contains("available names: tiny"), "{e}");
    std::env::remove_var(data::MODELS_ENV);
    assert_eq!(Dataset::load("iris").unwrap().n(), 150);
    std::fs::remove_dir_all(&dir).ok();
}
