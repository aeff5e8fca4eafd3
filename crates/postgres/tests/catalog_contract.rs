//! The catalog contract of `glint_catalog::contract` on PostgreSQL: the same checks the SQLite
//! catalog passes, each on a fresh database of the private test cluster.

use glint_catalog::contract;
use glint_postgres::{testing, Database};

#[test]
fn postgres_keeps_the_catalog_contract() {
    for (name, check) in contract::ALL {
        eprintln!("contract: {name}");
        let db = Database::open(&testing::fresh_database()).unwrap();
        check(&db.catalog());
    }
}
