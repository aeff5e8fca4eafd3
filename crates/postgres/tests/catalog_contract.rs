//! The catalog contract of `glint_catalog::contract` on PostgreSQL: the same checks the SQLite
//! catalog passes, each on a fresh database of the private test cluster; the two-catalog checks
//! on two fresh databases, and across backends (SQLite into PostgreSQL and back).

use glint_catalog::{contract, SqliteCatalog};
use glint_postgres::{testing, Database, PgCatalog};

fn fresh() -> PgCatalog {
    Database::open(&testing::fresh_database()).unwrap().catalog()
}

#[test]
fn postgres_keeps_the_catalog_contract() {
    for (name, check) in contract::ALL {
        eprintln!("contract: {name}");
        check(&fresh());
    }
}

#[test]
fn postgres_databases_copy_into_each_other() {
    for (name, check) in contract::PAIRS {
        eprintln!("contract: {name}");
        check(&fresh(), &fresh());
    }
}

#[test]
fn sqlite_and_postgres_copy_into_each_other() {
    for (name, check) in contract::PAIRS {
        eprintln!("contract: {name}, SQLite -> PostgreSQL");
        check(&SqliteCatalog::in_memory().unwrap(), &fresh());
        eprintln!("contract: {name}, PostgreSQL -> SQLite");
        check(&fresh(), &SqliteCatalog::in_memory().unwrap());
    }
}
