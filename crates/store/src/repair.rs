//! Bringing the embedded index back to the catalog after an interrupted write.
//!
//! The catalog is the source of truth. The index is written after the catalog commits, so a
//! crash between the two leaves the index behind; on open, each space whose vector count differs
//! from the catalog's is repaired from the catalog's vectors: the missing vectors are inserted
//! (cheap, even for a million-vector graph space), and a space that holds vectors the catalog no
//! longer has is rebuilt.

use std::collections::BTreeMap;

use glint_catalog::Catalog;
use glint_index::{LocalIndex, VectorRead, VectorWrite};

use crate::StoreError;

/// Brings every space to exactly the catalog's vectors.
pub(crate) fn repair(catalog: &dyn Catalog, index: &LocalIndex) -> Result<(), StoreError> {
    let truth: BTreeMap<String, u64> = catalog.vector_counts()?.into_iter().collect();
    for stale in index.spaces() {
        if stale.len > 0 && !truth.contains_key(&stale.name) {
            tracing::warn!(space = %stale.name, "vector space has no vectors in the catalog; dropping it");
            index.drop_space(&stale.name)?;
        }
    }
    let behind: Vec<&String> = truth
        .iter()
        .filter(|(space, n)| index.len(space) as u64 != **n)
        .map(|(space, _)| space)
        .collect();
    if behind.is_empty() {
        return Ok(());
    }
    tracing::warn!(spaces = ?behind, "vector index disagrees with the catalog (interrupted write?); repairing it");
    let mut missing: BTreeMap<String, Vec<(u64, Vec<f32>)>> = BTreeMap::new();
    catalog.for_each_vector(&mut |v| {
        if behind.contains(&&v.space) && !index.contains(&v.space, v.id) {
            missing.entry(v.space).or_default().push((v.id, v.data));
        }
    })?;
    for space in behind {
        let items = missing.remove(space).unwrap_or_default();
        if let Some((_, first)) = items.first() {
            index.create_space(space, first.len())?;
            index.upsert(space, &items)?;
        }
        if index.len(space) as u64 != truth[space] {
            // It also holds vectors the catalog removed: start the space again from the catalog.
            tracing::warn!(space = %space, "rebuilding the vector space from the catalog");
            index.drop_space(space)?;
            let mut all = Vec::new();
            catalog.for_each_vector(&mut |v| {
                if &v.space == space {
                    all.push((v.id, v.data));
                }
            })?;
            if let Some((_, first)) = all.first() {
                index.create_space(space, first.len())?;
                index.upsert(space, &all)?;
            }
        }
    }
    index.flush()?;
    Ok(())
}
