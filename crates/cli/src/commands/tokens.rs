//! `glint tokens create|list|revoke`: the bearer tokens of the HTTP API.

use clap::Subcommand;

use glint_catalog::Scope;

use crate::config::GlobalArgs;

#[derive(Subcommand)]
pub enum TokensCommand {
    /// Create a token and print its secret (shown this once; only its hash is kept).
    Create {
        name: String,
        /// What the token may do: read, write (implies read) or admin (implies write); repeatable.
        #[arg(long = "scope", required = true)]
        scopes: Vec<Scope>,
        #[arg(long)]
        json: bool,
    },
    /// List tokens, revoked ones included (never their secrets).
    List {
        #[arg(long)]
        json: bool,
    },
    /// Revoke a token; it stops working at the server's next request.
    Revoke { id: i64 },
}

pub fn run(global: &GlobalArgs, cmd: TokensCommand) -> anyhow::Result<()> {
    let store = global.open_store()?;
    let catalog = &store.catalog;
    match cmd {
        TokensCommand::Create { name, scopes, json } => {
            let (token, secret) = catalog.create_token(&name, &scopes)?;
            if json {
                println!("{}", serde_json::json!({"token": token, "secret": secret}));
                return Ok(());
            }
            println!(
                "created token {} ({}) with scope {}",
                token.id,
                token.name,
                scopes_text(&token.scopes)
            );
            println!("{secret}");
            eprintln!("Keep this secret now: it cannot be shown again. Send it as `Authorization: Bearer <secret>`.");
        }
        TokensCommand::List { json } => {
            let tokens = catalog.list_tokens()?;
            if json {
                println!("{}", serde_json::to_string(&tokens)?);
                return Ok(());
            }
            println!("{:>5}  {:<18}  {:<8}  name", "id", "scopes", "state");
            for t in tokens {
                let state = if t.is_revoked() { "revoked" } else { "active" };
                println!("{:>5}  {:<18}  {:<8}  {}", t.id, scopes_text(&t.scopes), state, t.name);
            }
        }
        TokensCommand::Revoke { id } => {
            let token = catalog.revoke_token(id)?;
            println!("revoked token {} ({})", token.id, token.name);
        }
    }
    Ok(())
}

fn scopes_text(scopes: &[Scope]) -> String {
    scopes.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(",")
}
