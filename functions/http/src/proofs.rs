//! `POST /api/proofs/verify`: anyone holding a proof of an answered query (a provider, an
//! auditor, the insurer's billing) checks it with the KVNR it should be about: whether it is
//! genuine, what it states, and whether this insurer's audit log holds the query. Public, no
//! session; counted per client like the security checks.

use axum::Json;
use axum::extract::State;
use portal_core::proofs::{ProofClaims, Verdict};
use portal_wire::{ProofCheckBody, ProofStatementBody, ProofVerdict, VerifyProofBody, YearBody};
use time::OffsetDateTime;

use crate::client::Client;
use crate::json::ApiJson;
use crate::{AppState, Problem, RequestLang, Tenanted};

fn verdict_body(verdict: Verdict) -> ProofVerdict {
    match verdict {
        Verdict::Genuine => ProofVerdict::Genuine,
        Verdict::NotAProof => ProofVerdict::NotAProof,
        Verdict::UnknownKey => ProofVerdict::UnknownKey,
        Verdict::BadSignature => ProofVerdict::BadSignature,
        Verdict::OtherKvnr => ProofVerdict::OtherKvnr,
    }
}

/// What a proof states, with the insurer's name where this deployment serves it.
pub(crate) fn statement_body(claims: &ProofClaims, state: &AppState) -> ProofStatementBody {
    let day = |text: &Option<String>| text.as_deref().and_then(portal_wire::dates::parse_day);
    ProofStatementBody {
        query_id: claims.query_id.clone(),
        insurer_ik: claims.insurer_ik.clone(),
        insurer_name: state
            .tenants
            .iter()
            .find(|t| t.ik.as_str() == claims.insurer_ik)
            .map(|t| t.name.clone()),
        provider_ik: claims.provider_ik.clone(),
        answered_at: OffsetDateTime::from_unix_timestamp(claims.iat)
            .unwrap_or(OffsetDateTime::UNIX_EPOCH),
        channel: claims.channel.clone(),
        found: claims.found,
        years: claims
            .years
            .iter()
            .map(|y| YearBody {
                year: y.year,
                exempt: y.exempt,
                valid_from: day(&y.valid_from),
                valid_to: day(&y.valid_to),
            })
            .collect(),
        dispensing_date: day(&claims.dispensing_date),
        exempt_on_dispensing_date: claims.exempt_on_dispensing_date,
    }
}

/// Checks a proof of an answered query (web or API) for a KVNR. Every proof gets 200: one that
/// is not genuine says why in `verdict`.
#[utoipa::path(
    post,
    path = "/api/proofs/verify",
    tag = "oha",
    request_body = VerifyProofBody,
    responses(
        (status = 200, description = "The verdict: `genuine` (signed with a published key and about this KVNR), what the proof states, and whether this insurer's audit log holds the query", body = ProofCheckBody),
        (status = 400, description = "`invalid_json`: the body is not JSON", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 408, description = "`request_timeout`: the body did not arrive in time", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 413, description = "`payload_too_large`: more than 16 KiB", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 415, description = "`unsupported_media_type`: not `application/json`", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 422, description = "`invalid_body`, `unknown_field`", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 429, description = "`too_many_requests`: this client's checks of the minute are used up", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 503, description = "`unavailable`: the store is unreachable", body = portal_wire::Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn verify(
    State(state): State<AppState>,
    Tenanted(app): Tenanted,
    RequestLang(lang): RequestLang,
    Client(client): Client,
    ApiJson(body): ApiJson<VerifyProofBody>,
) -> Result<Json<ProofCheckBody>, Problem> {
    let verification = app
        .proofs
        .verify(client, &body.proof, &body.kvnr)
        .await
        .map_err(|e| Problem::of(&e, lang))?;
    Ok(Json(ProofCheckBody {
        genuine: verification.genuine(),
        verdict: verdict_body(verification.checked.verdict),
        statement: verification.checked.claims.as_ref().map(|c| statement_body(c, &state)),
        in_audit_log: verification.in_audit_log,
    }))
}

/// `POST /api/proofs/qr`.
#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProofQrBody {
    /// The compact JWS, as the answer carried it.
    #[serde(default)]
    proof: String,
}

/// A proof of this portal as a QR code (SVG), for the print view of an answer: read back from
/// paper, it checks as the text does.
#[utoipa::path(
    post,
    path = "/api/proofs/qr",
    tag = "oha",
    request_body = ProofQrBody,
    responses(
        (status = 200, description = "The QR code", content_type = "image/svg+xml", body = String),
        (status = 400, description = "`invalid_json`", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 415, description = "`unsupported_media_type`", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 422, description = "`invalid_proof`: not a proof signed by this portal; `invalid_body`, `unknown_field`", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 429, description = "`too_many_requests`: this client's checks of the minute are used up", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 503, description = "`unavailable`", body = portal_wire::Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn qr(
    Tenanted(app): Tenanted,
    RequestLang(lang): RequestLang,
    Client(client): Client,
    ApiJson(body): ApiJson<ProofQrBody>,
) -> Result<axum::response::Response, Problem> {
    let svg = app.proofs.qr_svg(client, &body.proof).await.map_err(|e| Problem::of(&e, lang))?;
    let mut response = axum::response::Response::new(axum::body::Body::from(svg));
    response.headers_mut().insert(
        axum::http::header::CONTENT_TYPE,
        axum::http::HeaderValue::from_static("image/svg+xml"),
    );
    Ok(response)
}
