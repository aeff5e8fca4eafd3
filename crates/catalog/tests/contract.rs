//! The catalog contract (`glint_catalog::contract`) on the embedded SQLite backend, each check on
//! a fresh catalog, both in memory and in a file; the two-catalog checks on two fresh catalogs.

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

#[test]
fn sqlite_catalogs_copy_into_each_other() {
    for (name, check) in contract::PAIRS {
        eprintln!("contract: {name}");
        check(
            &SqliteCatalog::in_memory().unwrap(),
            &SqliteCatalog::in_memory().unwrap(),
        );
        let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        check(
            &SqliteCatalog::open(a.path()).unwrap(),
            &SqliteCatalog::open(b.path()).unwrap(),
        );
    }
}
