//! SHA-256 of model files, so that a truncated download or a stale conversion is caught at load
//! time instead of producing quietly wrong embeddings.

use std::io::Read;
use std::path::Path;

use sha2::{Digest, Sha256};

use crate::VisionError;

/// Hex SHA-256 of the file at `path`.
pub fn sha256_file(path: &Path) -> Result<String, VisionError> {
    let mut file = std::fs::File::open(path).map_err(|_| VisionError::ModelMissing {
        path: path.to_path_buf(),
    })?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = file.read(&mut buf).map_err(|e| VisionError::Manifest {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hex::encode(hasher.finalize()))
}

/// Fails unless the file exists and hashes to `expected`.
pub fn verify_file(path: &Path, expected: &str) -> Result<(), VisionError> {
    if !path.is_file() {
        return Err(VisionError::ModelMissing {
            path: path.to_path_buf(),
        });
    }
    let actual = sha256_file(path)?;
    if actual.eq_ignore_ascii_case(expected) {
        Ok(())
    } else {
        Err(VisionError::ChecksumMismatch {
            path: path.to_path_buf(),
            expected: expected.to_string(),
            actual,
        })
    }
}
