//! Checks shared by every backend, so that each one refuses the same inputs with the same
//! errors: space names and dimensions, batches of vectors, queries and `k` (public: the
//! PostgreSQL backend in `glint-postgres` applies them too). Also the lock helpers.

use std::sync::{PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

use crate::kernel::norm;
use crate::storage::MAX_DIM;
use crate::IndexError;

/// Longest accepted space name, in bytes (it is stored with a 16-bit length).
const MAX_NAME_BYTES: usize = 255;

/// Lock helpers. A panic while holding a lock cannot leave a space half-written (batches are
/// validated before anything is changed), so a poisoned lock is used as it is.
pub(crate) fn read<T>(lock: &RwLock<T>) -> RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(PoisonError::into_inner)
}

pub(crate) fn write<T>(lock: &RwLock<T>) -> RwLockWriteGuard<'_, T> {
    lock.write().unwrap_or_else(PoisonError::into_inner)
}

/// Checks a vector's values and returns 1 / its norm, the scale that makes it unit length.
pub fn unit_scale(v: &[f32]) -> Result<f64, String> {
    if let Some(i) = v.iter().position(|x| !x.is_finite()) {
        return Err(format!("value {} at index {i} is not finite", v[i]));
    }
    let n = norm(v);
    if n == 0.0 {
        // Cosine similarity is undefined for a zero vector; storing it would rank it arbitrarily.
        return Err("all values are zero, so it has no direction".to_string());
    }
    Ok(1.0 / n)
}

/// The unit-length form of `v`, given its [`unit_scale`].
pub fn scaled(v: &[f32], scale: f64) -> Vec<f32> {
    v.iter().map(|&x| (f64::from(x) * scale) as f32).collect()
}

/// A name and dimension that a new space may have.
pub fn check_new_space(name: &str, dim: usize) -> Result<(), IndexError> {
    check_space_name(name)?;
    if dim == 0 || dim > MAX_DIM {
        return Err(IndexError::BadInput(format!(
            "space {name:?}: dimension must be 1..={MAX_DIM}, got {dim}"
        )));
    }
    Ok(())
}

/// Creating an existing space again is fine with its own dimension and a conflict otherwise.
pub fn same_dim(name: &str, existing: usize, requested: usize) -> Result<(), IndexError> {
    if existing == requested {
        Ok(())
    } else {
        Err(IndexError::SpaceConflict {
            name: name.to_string(),
            existing,
            requested,
        })
    }
}

fn check_space_name(name: &str) -> Result<(), IndexError> {
    let bad = |reason: &str| {
        Err(IndexError::BadSpaceName {
            name: name.to_string(),
            reason: reason.to_string(),
        })
    };
    if name.is_empty() {
        return bad("it is empty");
    }
    if name.len() > MAX_NAME_BYTES {
        return bad("it is longer than 255 bytes");
    }
    if name.chars().any(char::is_control) {
        return bad("it contains control characters");
    }
    Ok(())
}

/// Checks a whole batch before anything is written and returns each vector's [`unit_scale`].
pub fn batch_scales(space: &str, dim: usize, items: &[(u64, Vec<f32>)]) -> Result<Vec<f64>, IndexError> {
    items.iter().map(|(id, v)| vector_scale(space, dim, *id, v)).collect()
}

/// Checks one vector of a batch (its dimension and values) and returns its [`unit_scale`]; for
/// backends that hold the vectors as slices (a catalog writing them in its own transaction).
pub fn vector_scale(space: &str, dim: usize, id: u64, vector: &[f32]) -> Result<f64, IndexError> {
    if vector.len() != dim {
        return Err(IndexError::DimMismatch {
            space: space.to_string(),
            id: Some(id),
            expected: dim,
            actual: vector.len(),
        });
    }
    unit_scale(vector).map_err(|reason| IndexError::BadVector {
        space: space.to_string(),
        id,
        reason,
    })
}

pub fn check_k(k: usize) -> Result<(), IndexError> {
    if k == 0 {
        return Err(IndexError::BadInput("k must be at least 1".into()));
    }
    Ok(())
}

/// The unit-length form of a query for a space of `dim`.
pub fn unit_query(space: &str, dim: usize, query: &[f32]) -> Result<Vec<f32>, IndexError> {
    if query.is_empty() {
        return Err(IndexError::BadInput("empty query vector".into()));
    }
    if query.len() != dim {
        return Err(IndexError::DimMismatch {
            space: space.to_string(),
            id: None,
            expected: dim,
            actual: query.len(),
        });
    }
    let scale = unit_scale(query).map_err(|reason| IndexError::BadInput(format!("query vector: {reason}")))?;
    Ok(scaled(query, scale))
}
