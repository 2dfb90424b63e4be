//! `portal backoffice add|remove NAME`: the back office's own users (for `/backoffice`), per
//! tenant. The generated password is printed once; only its Argon2id hash is kept.

use anyhow::bail;
use clap::Subcommand;
use portal_core::backoffice::{Backoffice, BackofficeAddError};
use portal_core::model::BackofficeName;
use portal_domain::Lang;

#[derive(Debug, Clone, Subcommand)]
pub enum Action {
    /// Add a back-office user; prints the generated password once.
    Add {
        /// 2 to 40 of a-z, 0-9, '.', '_', '-', starting with a letter.
        name: String,
    },
    /// Remove a back-office user (their sessions end with it).
    Remove { name: String },
}

fn name_of(text: &str, lang: Lang) -> anyhow::Result<BackofficeName> {
    BackofficeName::parse(text).or_else(|_| match lang {
        Lang::De => bail!(
            "Ein Name besteht aus 2 bis 40 Zeichen a-z, 0-9, '.', '_', '-' und beginnt mit einem Buchstaben."
        ),
        Lang::En => bail!(
            "A name is 2 to 40 of a-z, 0-9, '.', '_', '-', starting with a letter."
        ),
    })
}

pub async fn run(backoffice: &Backoffice, action: Action, lang: Lang) -> anyhow::Result<String> {
    match action {
        Action::Add { name } => {
            let name = name_of(&name, lang)?;
            match backoffice.add(&name).await {
                Ok(password) => Ok(match lang {
                    Lang::De => format!(
                        "Back-Office-Zugang {name} angelegt. Kennwort (wird nur jetzt angezeigt):\n{password}"
                    ),
                    Lang::En => format!(
                        "Back-office user {name} added. Password (shown only now):\n{password}"
                    ),
                }),
                Err(BackofficeAddError::Taken) => match lang {
                    Lang::De => bail!("Den Namen {name} gibt es schon."),
                    Lang::En => bail!("The name {name} is taken."),
                },
                Err(error) => Err(error.into()),
            }
        }
        Action::Remove { name } => {
            let name = name_of(&name, lang)?;
            let removed = backoffice.remove(&name).await?;
            Ok(match (removed, lang) {
                (true, Lang::De) => format!("Back-Office-Zugang {name} entfernt."),
                (true, Lang::En) => format!("Back-office user {name} removed."),
                (false, Lang::De) => format!("Einen Back-Office-Zugang {name} gibt es nicht."),
                (false, Lang::En) => format!("There is no back-office user {name}."),
            })
        }
    }
}
