//! API tokens in PostgreSQL: a name, its scopes and the SHA-256 of its secret (`BYTEA`); the
//! secret itself is returned once and never stored.

use glint_catalog::backend::{
    check_token_hash, hash_secret, new_secret, now, parse_scopes, same_hash, token_request, SECRET_PREFIX,
};
use glint_catalog::{CatalogError, Scope, TokenCatalog, TokenRecord};
use postgres::Row;

use super::{db, PgCatalog};

const TOKEN_COLUMNS: &str = "id, name, scopes, created_at, revoked_at";

fn token_row(r: &Row) -> TokenRecord {
    TokenRecord {
        id: r.get(0),
        name: r.get(1),
        scopes: parse_scopes(r.get::<_, &str>(2)),
        created_at: r.get(3),
        revoked_at: r.get(4),
    }
}

impl TokenCatalog for PgCatalog {
    fn create_token(&self, name: &str, scopes: &[Scope]) -> Result<(TokenRecord, String), CatalogError> {
        let (name, scopes, joined) = token_request(name, scopes)?;
        let secret = new_secret()?;
        let hash = hash_secret(&secret);
        let created_at = now();
        let id: i64 = self
            .conn()?
            .query_one(
                "INSERT INTO tokens (name, scopes, hash, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
                &[&name, &joined, &hash.as_slice(), &created_at],
            )
            .map_err(db)?
            .get(0);
        let record = TokenRecord {
            id,
            name: name.to_string(),
            scopes,
            created_at,
            revoked_at: None,
        };
        Ok((record, secret))
    }

    fn list_tokens(&self) -> Result<Vec<TokenRecord>, CatalogError> {
        let rows = self
            .conn()?
            .query(&format!("SELECT {TOKEN_COLUMNS} FROM tokens ORDER BY id"), &[])
            .map_err(db)?;
        Ok(rows.iter().map(token_row).collect())
    }

    fn has_tokens(&self) -> Result<bool, CatalogError> {
        Ok(self
            .conn()?
            .query_one("SELECT EXISTS (SELECT 1 FROM tokens)", &[])
            .map_err(db)?
            .get(0))
    }

    fn revoke_token(&self, id: i64) -> Result<TokenRecord, CatalogError> {
        let mut conn = self.conn()?;
        conn.execute(
            "UPDATE tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL",
            &[&now(), &id],
        )
        .map_err(db)?;
        let row = conn
            .query_opt(&format!("SELECT {TOKEN_COLUMNS} FROM tokens WHERE id = $1"), &[&id])
            .map_err(db)?
            .ok_or(CatalogError::UnknownToken(id))?;
        Ok(token_row(&row))
    }

    fn verify_token(&self, secret: &str) -> Result<Option<TokenRecord>, CatalogError> {
        if !secret.starts_with(SECRET_PREFIX) {
            return Ok(None);
        }
        let presented = hash_secret(secret);
        let rows = self
            .conn()?
            .query(
                &format!("SELECT {TOKEN_COLUMNS}, hash FROM tokens WHERE revoked_at IS NULL ORDER BY id"),
                &[],
            )
            .map_err(db)?;
        let mut found = None;
        // Every live hash is compared, so the time taken does not depend on which one matches.
        for row in &rows {
            if same_hash(&presented, row.get::<_, &[u8]>(5)) && found.is_none() {
                found = Some(token_row(row));
            }
        }
        Ok(found)
    }

    fn export_tokens(&self) -> Result<Vec<(TokenRecord, Vec<u8>)>, CatalogError> {
        let rows = self
            .conn()?
            .query(&format!("SELECT {TOKEN_COLUMNS}, hash FROM tokens ORDER BY id"), &[])
            .map_err(db)?;
        Ok(rows.iter().map(|r| (token_row(r), r.get::<_, Vec<u8>>(5))).collect())
    }

    fn import_token(&self, token: &TokenRecord, hash: &[u8]) -> Result<bool, CatalogError> {
        check_token_hash(hash)?;
        let (name, _, joined) = token_request(&token.name, &token.scopes)?;
        // Only a clash on the hash is skipped; any other constraint still fails.
        let inserted = self
            .conn()?
            .execute(
                "INSERT INTO tokens (name, scopes, hash, created_at, revoked_at) VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT (hash) DO NOTHING",
                &[&name, &joined, &hash, &token.created_at, &token.revoked_at],
            )
            .map_err(db)?;
        Ok(inserted == 1)
    }
}
