//! The vector contract of `glint_index::contract` on pgvector: the same checks the embedded
//! backends pass, each on a fresh database of the private test cluster.

use glint_index::contract;
use glint_postgres::{testing, Database};

#[test]
fn pgvector_keeps_the_vector_contract() {
    for (name, check) in contract::ALL {
        eprintln!("contract: {name}");
        let db = Database::open(&testing::fresh_database()).unwrap();
        let vectors = db.vectors();
        check(&contract::Backend {
            name: "pgvector",
            index: &vectors,
            exact: false,
        });
    }
}
