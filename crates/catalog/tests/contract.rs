//! The catalog contract (`glint_catalog::contract`) on the embedded SQLite backend, each check on
//! a fresh catalog, both in memory and in a file.

use glint_catalog::{contract, SqliteCatalog};

#[test]
fn sqlite_in_memory_keeps_the_catalog_contract() {
    for (name, check) in contract::ALL {
        eprintln!("contract: {name}");
        check(&SqliteCatalog::in_memory().unwrap());
    }
}

#[test]
fn sqlite_on_disk_keeps_the_catalog_contract() {
    for (name, check) in contract::ALL {
        eprintln!("contract: {name}");
        let dir = tempfile::tempdir().unwrap();
        check(&SqliteCatalog::open(dir.path()).unwrap());
    }
}
