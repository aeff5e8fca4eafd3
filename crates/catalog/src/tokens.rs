//! API tokens: a name, a set of scopes and the SHA-256 of a secret `glint_<32 hex>`.
//!
//! The secret comes from the OS random generator and is returned once by
//! [`Catalog::create_token`]; only its hash is stored. [`Catalog::verify_token`] hashes what a
//! client presents and compares it with every live token's hash in constant time, so a
//! revoked token stops working at the next request.

use std::fmt;
use std::str::FromStr;

use rusqlite::{params, Row};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::media::now;
use crate::{CatalogError, SqliteCatalog, TokenCatalog};

/// The prefix of every secret.
pub const SECRET_PREFIX: &str = "glint_";

/// What a token may do. `admin` implies `write`, which implies `read`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    Read,
    Write,
    Admin,
}

impl Scope {
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Read => "read",
            Scope::Write => "write",
            Scope::Admin => "admin",
        }
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Scope {
    type Err = CatalogError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "read" => Ok(Scope::Read),
            "write" => Ok(Scope::Write),
            "admin" => Ok(Scope::Admin),
            _ => Err(CatalogError::BadScope(s.to_string())),
        }
    }
}

/// A token as stored (never with its secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TokenRecord {
    pub id: i64,
    pub name: String,
    pub scopes: Vec<Scope>,
    pub created_at: i64,
    pub revoked_at: Option<i64>,
}

impl TokenRecord {
    /// Whether the token grants `needed` (a higher scope implies the lower ones).
    pub fn allows(&self, needed: Scope) -> bool {
        self.scopes.iter().any(|&s| s >= needed)
    }

    pub fn is_revoked(&self) -> bool {
        self.revoked_at.is_some()
    }
}

/// The SHA-256 of a secret: all that is stored.
pub fn hash(secret: &str) -> [u8; 32] {
    Sha256::digest(secret.as_bytes()).into()
}

/// Compares two hashes without stopping at the first difference.
pub fn same_hash(a: &[u8; 32], b: &[u8]) -> bool {
    if b.len() != a.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

pub fn new_secret() -> Result<String, CatalogError> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|e| CatalogError::Random(e.to_string()))?;
    Ok(format!("{SECRET_PREFIX}{}", hex::encode(bytes)))
}

pub fn parse_scopes(s: &str) -> Vec<Scope> {
    s.split(',').filter_map(|p| p.parse().ok()).collect()
}

/// A token request checked and normalised: the trimmed name, the sorted distinct scopes and
/// their stored spelling (`read,write`).
pub fn token_request<'a>(name: &'a str, scopes: &[Scope]) -> Result<(&'a str, Vec<Scope>, String), CatalogError> {
    let name = name.trim();
    if name.is_empty() || scopes.is_empty() {
        return Err(CatalogError::BadToken);
    }
    let mut scopes = scopes.to_vec();
    scopes.sort_unstable();
    scopes.dedup();
    let joined = scopes.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(",");
    Ok((name, scopes, joined))
}

const TOKEN_COLUMNS: &str = "id, name, scopes, created_at, revoked_at";

fn token_row(r: &Row<'_>) -> rusqlite::Result<TokenRecord> {
    Ok(TokenRecord {
        id: r.get(0)?,
        name: r.get(1)?,
        scopes: parse_scopes(&r.get::<_, String>(2)?),
        created_at: r.get(3)?,
        revoked_at: r.get(4)?,
    })
}

impl TokenCatalog for SqliteCatalog {
    /// Creates a token; returns its record and its secret, which is not kept and cannot be
    /// shown again.
    fn create_token(&self, name: &str, scopes: &[Scope]) -> Result<(TokenRecord, String), CatalogError> {
        let (name, scopes, joined) = token_request(name, scopes)?;
        let secret = new_secret()?;
        let created_at = now();
        let conn = self.conn();
        conn.execute(
            "INSERT INTO tokens (name, scopes, hash, created_at) VALUES (?1, ?2, ?3, ?4)",
            params![name, joined, hash(&secret).as_slice(), created_at],
        )?;
        let record = TokenRecord {
            id: conn.last_insert_rowid(),
            name: name.to_string(),
            scopes,
            created_at,
            revoked_at: None,
        };
        Ok((record, secret))
    }

    /// Every token, revoked ones included, oldest first.
    fn list_tokens(&self) -> Result<Vec<TokenRecord>, CatalogError> {
        let conn = self.read();
        let mut stmt = conn.prepare(&format!("SELECT {TOKEN_COLUMNS} FROM tokens ORDER BY id"))?;
        let rows = stmt.query_map([], token_row)?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }

    /// Whether any token was ever created (revoked ones count).
    fn has_tokens(&self) -> Result<bool, CatalogError> {
        Ok(self
            .read()
            .query_row("SELECT EXISTS (SELECT 1 FROM tokens)", [], |r| r.get(0))?)
    }

    /// Revokes a token at once; revoking it again keeps the first revocation time.
    fn revoke_token(&self, id: i64) -> Result<TokenRecord, CatalogError> {
        let conn = self.conn();
        conn.execute(
            "UPDATE tokens SET revoked_at = ?1 WHERE id = ?2 AND revoked_at IS NULL",
            params![now(), id],
        )?;
        let sql = format!("SELECT {TOKEN_COLUMNS} FROM tokens WHERE id = ?1");
        match conn.query_row(&sql, [id], token_row) {
            Ok(t) => Ok(t),
            Err(rusqlite::Error::QueryReturnedNoRows) => Err(CatalogError::UnknownToken(id)),
            Err(e) => Err(e.into()),
        }
    }

    /// The live (not revoked) token whose secret this is, if any.
    fn verify_token(&self, secret: &str) -> Result<Option<TokenRecord>, CatalogError> {
        if !secret.starts_with(SECRET_PREFIX) {
            return Ok(None);
        }
        let presented = hash(secret);
        let conn = self.read();
        let mut stmt = conn.prepare(&format!(
            "SELECT {TOKEN_COLUMNS}, hash FROM tokens WHERE revoked_at IS NULL ORDER BY id"
        ))?;
        let mut rows = stmt.query([])?;
        let mut found = None;
        // Every live hash is compared, so the time taken does not depend on which one matches.
        while let Some(row) = rows.next()? {
            let stored: Vec<u8> = row.get(5)?;
            if same_hash(&presented, &stored) && found.is_none() {
                found = Some(token_row(row)?);
            }
        }
        Ok(found)
    }

    /// Every token with its stored hash, oldest first.
    fn export_tokens(&self) -> Result<Vec<(TokenRecord, Vec<u8>)>, CatalogError> {
        let conn = self.read();
        let mut stmt = conn.prepare(&format!("SELECT {TOKEN_COLUMNS}, hash FROM tokens ORDER BY id"))?;
        let rows = stmt.query_map([], |r| Ok((token_row(r)?, r.get::<_, Vec<u8>>(5)?)))?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }

    /// Stores a copied token under a new id; false when its hash is already here.
    fn import_token(&self, token: &TokenRecord, hash: &[u8]) -> Result<bool, CatalogError> {
        check_hash(hash)?;
        let (name, _, joined) = token_request(&token.name, &token.scopes)?;
        // Only a clash on the hash is skipped; any other constraint still fails.
        let inserted = self.conn().execute(
            "INSERT INTO tokens (name, scopes, hash, created_at, revoked_at) VALUES (?1, ?2, ?3, ?4, ?5) \
             ON CONFLICT (hash) DO NOTHING",
            params![name, joined, hash, token.created_at, token.revoked_at],
        )?;
        Ok(inserted == 1)
    }
}

/// Refuses a stored hash that cannot be a SHA-256 (what the schema's CHECK would refuse).
pub fn check_hash(hash: &[u8]) -> Result<(), CatalogError> {
    if hash.len() != 32 {
        return Err(CatalogError::BadTokenHash(hash.len()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::JobQueue;

    #[test]
    fn only_the_hash_of_a_secret_is_stored() {
        let dir = tempfile::tempdir().unwrap();
        let c = SqliteCatalog::open(dir.path()).unwrap();
        let (t, secret) = c.create_token("ci", &[Scope::Write]).unwrap();
        drop(c);
        let raw = std::fs::read(dir.path().join("catalog.sqlite3")).unwrap();
        let wal = std::fs::read(dir.path().join("catalog.sqlite3-wal")).unwrap_or_default();
        for bytes in [&raw, &wal] {
            assert!(
                !bytes.windows(32).any(|w| w == &secret.as_bytes()[6..]),
                "secret stored in clear"
            );
        }
        let c = SqliteCatalog::open(dir.path()).unwrap();
        let conn = c.conn();
        let (stored, text): (Vec<u8>, String) = conn
            .query_row("SELECT hash, hex(hash) FROM tokens WHERE id = ?1", [t.id], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .unwrap();
        assert_eq!(stored, Sha256::digest(secret.as_bytes()).to_vec());
        assert!(!text.to_ascii_lowercase().contains(&secret[6..]));
    }

    #[test]
    fn a_v1_catalog_is_migrated_in_place() {
        let dir = tempfile::tempdir().unwrap();
        {
            let conn = rusqlite::Connection::open(dir.path().join("catalog.sqlite3")).unwrap();
            conn.execute_batch(&format!(
                "BEGIN; {} PRAGMA user_version = 1; COMMIT;",
                crate::schema::SCHEMA_V1
            ))
            .unwrap();
            conn.execute(
                "INSERT INTO jobs (path, state, fps, created_at, updated_at) VALUES ('a.mp4', 'queued', 2, 0, 0)",
                [],
            )
            .unwrap();
        }
        let c = SqliteCatalog::open(dir.path()).unwrap();
        let version: i64 = c.conn().pragma_query_value(None, "user_version", |r| r.get(0)).unwrap();
        assert_eq!(version, crate::schema::VERSION);
        assert_eq!(c.jobs().unwrap().len(), 1, "v1 data survives");
        let (_, secret) = c.create_token("ci", &[Scope::Read]).unwrap();
        assert!(c.verify_token(&secret).unwrap().is_some());
    }
}
