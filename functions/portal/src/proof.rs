//! `portal proof verify PROOF --kvnr K [--jwks FILE]`: checks a proof of an answered query
//! offline, with the portal's published keys (a JWKS file such as `/oauth/jwks.json` serves;
//! by default the public key of the local proof key file), and says what it states.

use std::io::Read as _;
use std::path::PathBuf;

use anyhow::Context;
use clap::Subcommand;
use jsonwebtoken::jwk::JwkSet;
use portal_core::TokenSigner as _;
use portal_core::proofs::{Checked, ProofClaims, Verdict, check};
use portal_domain::{Lang, german_day, german_day_and_clock};
use portal_store_embedded::{FileTokenKey, PROOF_KEY_PREFIX};
use time::OffsetDateTime;

use crate::config::Config;

#[derive(Debug, Clone, Subcommand)]
pub enum Action {
    /// Check a proof (a compact JWS; `-` reads it from stdin) for a KVNR: exit 0 when genuine,
    /// 1 when not.
    Verify {
        proof: String,
        /// The patient's KVNR the proof should be about.
        #[arg(long)]
        kvnr: String,
        /// The published keys (a JWKS, as `GET /oauth/jwks.json` serves it); default: the
        /// public key of the proof key file (`PORTAL_PROOF_KEY`).
        #[arg(long, value_name = "FILE")]
        jwks: Option<PathBuf>,
    },
}

/// Runs the action: what to print, and whether the proof is genuine.
pub fn run(action: Action, config: &Config, lang: Lang) -> anyhow::Result<(String, bool)> {
    let Action::Verify { proof, kvnr, jwks } = action;
    let proof = if proof == "-" {
        let mut text = String::new();
        std::io::stdin().read_to_string(&mut text).context("cannot read the proof from stdin")?;
        text
    } else {
        proof
    };
    let keys: JwkSet = match &jwks {
        Some(file) => {
            let text = std::fs::read_to_string(file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            serde_json::from_str(&text)
                .with_context(|| format!("{} is not a JWKS", file.display()))?
        }
        None => FileTokenKey::open_as(&config.proof_key, PROOF_KEY_PREFIX)
            .with_context(|| {
                format!(
                    "no proof key at {} (PORTAL_PROOF_KEY): name the published keys with --jwks",
                    config.proof_key.display()
                )
            })?
            .public_keys(),
    };
    let checked = check(&proof, &kvnr, &keys);
    let insurer_name = |ik: &str| {
        let tenants = config.tenants().ok()?;
        tenants.iter().find(|t| t.ik.as_str() == ik).map(|t| t.name.clone())
    };
    let genuine = checked.verdict == Verdict::Genuine;
    Ok((report(&checked, lang, insurer_name), genuine))
}

fn report(checked: &Checked, lang: Lang, insurer_name: impl Fn(&str) -> Option<String>) -> String {
    let de = lang == Lang::De;
    let verdict = match (checked.verdict, de) {
        (Verdict::Genuine, true) => {
            "Echt: ja – mit einem veröffentlichten Schlüssel des Portals signiert und über diese KVNR."
        }
        (Verdict::Genuine, false) => {
            "Genuine: yes – signed with a published key of the portal, and about this KVNR."
        }
        (Verdict::NotAProof, true) => "Echt: nein – das ist kein Zuzahlungsnachweis.",
        (Verdict::NotAProof, false) => "Genuine: no – this is not a proof of a query.",
        (Verdict::UnknownKey, true) => {
            "Echt: nein – signiert mit einem Schlüssel, den das Portal nicht veröffentlicht."
        }
        (Verdict::UnknownKey, false) => {
            "Genuine: no – signed with a key the portal does not publish."
        }
        (Verdict::BadSignature, true) => {
            "Echt: nein – die Signatur stimmt nicht: der Nachweis wurde verändert."
        }
        (Verdict::BadSignature, false) => {
            "Genuine: no – the signature does not hold: the proof was changed."
        }
        (Verdict::OtherKvnr, true) => "Echt: nein – echt signiert, aber über eine andere KVNR.",
        (Verdict::OtherKvnr, false) => "Genuine: no – genuinely signed, but about another KVNR.",
    };
    let mut lines = vec![verdict.to_string()];
    if let Some(claims) = &checked.claims {
        lines.extend(statement(claims, de, &insurer_name));
        if checked.verdict == Verdict::Genuine {
            lines.push(if de {
                format!(
                    "Ob das Protokoll der Krankenkasse die Abfrage enthält: POST /api/proofs/verify beim Portal, oder portal audit --ik {}.",
                    claims.provider_ik
                )
            } else {
                format!(
                    "Whether the insurer's audit log holds the query: POST /api/proofs/verify at the portal, or portal audit --ik {}.",
                    claims.provider_ik
                )
            });
        }
    }
    lines.join("\n")
}

fn statement(
    claims: &ProofClaims,
    de: bool,
    insurer_name: &impl Fn(&str) -> Option<String>,
) -> Vec<String> {
    let day = |text: &str| portal_domain::parse_date(text).map_or(text.to_string(), german_day);
    let (answered_day, clock) = german_day_and_clock(
        OffsetDateTime::from_unix_timestamp(claims.iat).unwrap_or(OffsetDateTime::UNIX_EPOCH),
    );
    let insurer = match insurer_name(&claims.insurer_ik) {
        Some(name) => format!("{name} (IK {})", claims.insurer_ik),
        None => format!("IK {}", claims.insurer_ik),
    };
    let mut lines = if de {
        vec![
            format!("Abfrage-ID: {}", claims.query_id),
            format!("Krankenkasse: {insurer}"),
            format!("Leistungserbringer: IK {}", claims.provider_ik),
            format!("Beantwortet: {answered_day} {clock} (Kanal {})", claims.channel),
        ]
    } else {
        vec![
            format!("Query id: {}", claims.query_id),
            format!("Insurer: {insurer}"),
            format!("Provider: IK {}", claims.provider_ik),
            format!("Answered: {answered_day} {clock} (channel {})", claims.channel),
        ]
    };
    if let Some(dispensing) = &claims.dispensing_date {
        let status = match (claims.exempt_on_dispensing_date, de) {
            (Some(true), true) => " – befreit",
            (Some(false), true) => " – nicht befreit",
            (Some(true), false) => " – exempt",
            (Some(false), false) => " – not exempt",
            (None, _) => "",
        };
        let label = if de { "Abgabedatum" } else { "Day of dispensing" };
        lines.push(format!("{label}: {}{status}", day(dispensing)));
    }
    if !claims.found {
        lines.push(
            if de {
                "Ergebnis: keine Zuzahlungsbefreiung gespeichert (kein Treffer)."
            } else {
                "Result: no co-payment exemption on record (no match)."
            }
            .to_string(),
        );
    }
    for year in &claims.years {
        let line = match (year.exempt, &year.valid_from, &year.valid_to, de) {
            (true, Some(from), Some(to), true) => {
                format!("{}: befreit vom {} bis {}", year.year, day(from), day(to))
            }
            (true, Some(from), Some(to), false) => {
                format!("{}: exempt from {} to {}", year.year, day(from), day(to))
            }
            (true, _, _, true) => format!("{}: befreit", year.year),
            (true, _, _, false) => format!("{}: exempt", year.year),
            (false, _, _, true) => format!("{}: nicht befreit", year.year),
            (false, _, _, false) => format!("{}: not exempt", year.year),
        };
        lines.push(line);
    }
    lines
}
