//! Issue #6 through the `glint` binary: demo feed, import (twice), list, rm.

mod common;

use common::{eval, glint, json};

#[test]
fn issue6_catalog_commands_round_trip() {
    let out = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    let set = eval("products_grocery_store");
    let status = glint(data.path())
        .args(["catalog", "demo-feed", "--set"])
        .arg(&set)
        .arg("--out")
        .arg(out.path())
        .status()
        .unwrap();
    assert!(status.success());
    // Keep the first rows only: the full feed is imported by the merchant crate's tests.
    let feed = out.path().join("feed.csv");
    let text = std::fs::read_to_string(&feed).unwrap();
    let head: Vec<&str> = text.lines().take(9).collect();
    std::fs::write(&feed, head.join("\n") + "\n").unwrap();

    let import = |full: bool| {
        let mut cmd = glint(data.path());
        cmd.args(["catalog", "import"]).arg(&feed).arg("--json");
        if full {
            cmd.arg("--full");
        }
        json(&mut cmd)
    };
    let first = import(false);
    assert_eq!(first["products_created"], 8, "{first}");
    assert_eq!(first["errors"].as_array().unwrap().len(), 0, "{first}");
    let second = import(true);
    assert_eq!(
        (
            &second["products_created"],
            &second["products_updated"],
            &second["products_unchanged"],
            &second["media_added"]
        ),
        (&0.into(), &0.into(), &8.into(), &0.into()),
        "{second}"
    );

    let list = json(glint(data.path()).args(["catalog", "list", "--json"]));
    let products = list["products"].as_array().unwrap();
    assert_eq!(products.len(), 8);
    let victim = products[0].clone();
    let store = victim["store_id"].as_str().unwrap();
    let ok = glint(data.path())
        .args([
            "catalog",
            "rm",
            "--store",
            store,
            "--product",
            victim["product_id"].as_str().unwrap(),
        ])
        .status()
        .unwrap();
    assert!(ok.success());
    let list = json(glint(data.path()).args(["catalog", "list", "--json"]));
    assert_eq!(list["products"].as_array().unwrap().len(), 7);
    let ok = glint(data.path())
        .args(["catalog", "rm", "--store", store])
        .status()
        .unwrap();
    assert!(ok.success());
    let list = json(glint(data.path()).args(["catalog", "list", "--json"]));
    assert!(
        list["stores"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["store_id"] != store),
        "{list}"
    );
    let missing = glint(data.path())
        .args(["catalog", "rm", "--store", store])
        .output()
        .unwrap();
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("no store"));
}
