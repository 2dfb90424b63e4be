//! `portal clients add|list|revoke`: the back office registers a provider's software for the
//! machine API with its public keys (a JWKS), lists and revokes clients.

use anyhow::{Context, bail};
use clap::Subcommand;
use portal_core::clients::Clients;
use portal_core::model::{Client, ClientId, Jwks};
use portal_domain::{Ik, Lang, UserFacing, german_date};
use serde_json::json;
use std::path::PathBuf;

#[derive(Debug, Clone, Subcommand)]
pub enum Action {
    /// Register a client for the provider IK with the public keys it signs its assertions with;
    /// prints the new client id.
    Add {
        ik: String,
        /// A JWKS file (`{"keys": [...]}`): public RSA or EC P-256/P-384 keys, each with a `kid`.
        #[arg(long, value_name = "FILE")]
        jwks: PathBuf,
        /// `{"client_id": …}` instead of the id alone.
        #[arg(long)]
        json: bool,
    },
    /// The clients of one provider, or of all.
    List { ik: Option<String> },
    /// Revoke a client: no more tokens, and its tokens stop working at once.
    Revoke { client_id: String },
}

fn ik_of(text: &str, lang: Lang) -> anyhow::Result<Ik> {
    Ik::parse(text).map_err(|e| anyhow::anyhow!("{}", e.message(lang)))
}

/// Runs the action; what to print.
pub async fn run(clients: &Clients, action: Action, lang: Lang) -> anyhow::Result<String> {
    match action {
        Action::Add { ik, jwks, json } => {
            let ik = ik_of(&ik, lang)?;
            let text = std::fs::read_to_string(&jwks)
                .with_context(|| format!("cannot read {}", jwks.display()))?;
            let keys =
                Jwks::parse(&text).map_err(|e| anyhow::anyhow!("{}: {e}", jwks.display()))?;
            let client = clients.register(ik, keys).await.context("the store failed")?;
            Ok(if json {
                json!({ "client_id": client.id.to_string() }).to_string()
            } else {
                client.id.to_string()
            })
        }
        Action::List { ik } => {
            let ik = ik.as_deref().map(|ik| ik_of(ik, lang)).transpose()?;
            let list = clients.list(ik.as_ref()).await.context("the store failed")?;
            Ok(table(&list, lang))
        }
        Action::Revoke { client_id } => {
            let unknown = || match lang {
                Lang::De => format!("Es gibt keinen Client {client_id}."),
                Lang::En => format!("There is no client {client_id}."),
            };
            let Some(id) = ClientId::parse(&client_id) else { bail!(unknown()) };
            if !clients.revoke(&id).await.context("the store failed")? {
                bail!(unknown());
            }
            Ok(match lang {
                Lang::De => format!("Client {id} ist widerrufen; seine Tokens gelten nicht mehr."),
                Lang::En => format!("Client {id} is revoked; its tokens no longer work."),
            })
        }
    }
}

fn table(clients: &[Client], lang: Lang) -> String {
    let mut lines = vec![match lang {
        Lang::De => "Client-ID;IK;Schlüssel;angelegt;widerrufen".to_string(),
        Lang::En => "client id;IK;keys;created;revoked".to_string(),
    }];
    for c in clients {
        lines.push(format!(
            "{};{};{};{};{}",
            c.id,
            c.ik,
            c.jwks.kids().collect::<Vec<_>>().join(" "),
            german_date(c.created_at),
            c.revoked_at.map_or_else(|| "–".to_string(), |at| german_date(at).to_string()),
        ));
    }
    if clients.is_empty() {
        lines.push(match lang {
            Lang::De => "Keine Clients.".into(),
            Lang::En => "No clients.".into(),
        });
    }
    lines.join("\n")
}
