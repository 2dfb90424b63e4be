//! The second factor (an authenticator app or a passkey) and the sessions a provider can see
//! and end, over HTTP.

use axum::Json;
use axum::extract::{Path, RawQuery};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use portal_core::accounts::Ceremony;
use portal_core::accounts::{FactorError, SecondFactorProof, SessionError};
use portal_core::model::{ChallengeId, FactorKind, Session, SessionStage};
use portal_wire::{
    ChallengeAnswer, PasskeyCeremonyBody, PasskeyConfirmBody, PasskeyRemoveBody,
    PasskeySecondFactorBody, RecoveryCodesBody, SecondFactorBody, SessionBody, SessionEntryBody,
    TotpConfirmBody, TotpEnrolmentBody, TotpRemoveBody, WebAuthnJson,
};

use crate::accounts::session_body;
use crate::client::Client;
use crate::errors::RequestError;
use crate::factor_proof::{passkey_answer, passkey_of, passkey_proof, proof_of};
use crate::json::ApiJson;
use crate::session::{AnySession, Enrolling, SignedIn, cleared_session_cookie, renewed};
use crate::{Problem, RequestLang, Tenanted};

fn ceremony_body(ceremony: Ceremony) -> Json<PasskeyCeremonyBody> {
    Json(PasskeyCeremonyBody { options: WebAuthnJson(ceremony.options), state: ceremony.state })
}

/// The security check sent along with a second step, if any.
fn challenge_of(answer: Option<&ChallengeAnswer>) -> Option<(ChallengeId, &str)> {
    answer.and_then(|c| Some((ChallengeId::parse(&c.id)?, c.nonce.as_str())))
}

/// Only a session waiting for its second step may send one.
fn awaiting_second_step(
    session: &Session,
    lang: portal_domain::Lang,
    app: &portal_core::UseCases,
) -> Result<(), Problem> {
    match session.stage {
        SessionStage::SecondFactor => Ok(()),
        SessionStage::Enrolment => Err(Problem::of(&SessionError::EnrolmentRequired, lang)),
        SessionStage::Full => Err(Problem::at(&FactorError::NoFactor, lang, &app.tenant)),
    }
}

/// Begins (or begins again) the enrolment of an authenticator app: a new secret, as text, as an
/// `otpauth://` URI and as a QR code. Not active until confirmed with a first code.
#[utoipa::path(
    post,
    path = "/api/second-factor/totp",
    tag = "accounts",
    security(("session" = [])),
    responses(
        (status = 200, description = "The enrolment begun: shown once", body = TotpEnrolmentBody),
        (status = 401, description = "`unauthenticated`, `session_expired`, or `second_factor_required`", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 403, description = "`password_change_required`: set an own password first", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 409, description = "`second_factor_active`: remove the active one first", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 500, description = "`internal`: a technical error (no key for account secrets), logged under the request id", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 503, description = "`unavailable`: the store is unreachable; nothing was changed", body = portal_wire::Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn enrol(
    Tenanted(app): Tenanted,
    RequestLang(lang): RequestLang,
    Enrolling(any): Enrolling,
) -> Result<Json<TotpEnrolmentBody>, Problem> {
    let enrolment = app
        .accounts
        .start_enrolment(&any.session)
        .await
        .map_err(|e| Problem::at(&e, lang, &app.tenant))?;
    Ok(Json(TotpEnrolmentBody {
        secret: enrolment.secret,
        otpauth_uri: enrolment.otpauth_uri,
        qr_svg: enrolment.qr_svg,
    }))
}

/// Confirms the enrolment with the app's first code (and the password, except right after a
/// password step that led to a required enrolment): the factor is active; the ten recovery
/// codes come back once. Every other session ends; this browser goes on in a new one.
#[utoipa::path(
    post,
    path = "/api/second-factor/totp/confirm",
    tag = "accounts",
    security(("session" = [])),
    request_body = TotpConfirmBody,
    responses(
        (status = 200, description = "Active: the recovery codes, shown once", body = RecoveryCodesBody, headers(("Set-Cookie" = String, description = "the new `__Host-session`"))),
        (status = 400, description = "`invalid_json`: the body is not JSON", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 401, description = "`unauthenticated`, `session_expired` (also after too many wrong codes), `second_factor_required`, `invalid_code`, `invalid_password`", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 403, description = "`password_change_required`", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 409, description = "`no_second_factor`: no enrolment begun", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 415, description = "`unsupported_media_type`: not `application/json`", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 422, description = "`field_required` (`password`), `invalid_body`, `unknown_field`", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 429, description = "`too_many_attempts`: too many failures from this client in this hour", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 500, description = "`internal`: a technical error (no key for account secrets), logged under the request id", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 503, description = "`unavailable`: the store is unreachable; nothing was changed", body = portal_wire::Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn confirm(
    Tenanted(app): Tenanted,
    RequestLang(lang): RequestLang,
    Client(client): Client,
    Enrolling(any): Enrolling,
    headers: axum::http::HeaderMap,
    ApiJson(body): ApiJson<TotpConfirmBody>,
) -> Result<Response, Problem> {
    // The end of a login where enrolment was required: the browser is noted there.
    let device = crate::notices::device_of(&headers);
    let (codes, session_id) = app
        .accounts
        .confirm_enrolment(&any.session, &body.code, body.password.as_deref(), client, &device)
        .await
        .map_err(|e| Problem::at(&e, lang, &app.tenant))?;
    Ok(crate::notices::in_new_session(
        Json(RecoveryCodesBody { recovery_codes: codes }),
        &session_id,
        &device,
    ))
}

/// Removes the authenticator app, with the password and a code (or a recovery code). Every
/// other session ends; this browser goes on in a new one (led to enrolment again where the
/// insurer requires a second factor).
#[utoipa::path(
    delete,
    path = "/api/second-factor/totp",
    tag = "accounts",
    security(("session" = [])),
    request_body = TotpRemoveBody,
    responses(
        (status = 204, description = "Removed", headers(("Set-Cookie" = String, description = "the new `__Host-session`"))),
        (status = 400, description = "`invalid_json`: the body is not JSON", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 401, description = "`unauthenticated`, `session_expired`, `second_factor_required`, `invalid_code`, `invalid_password`", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 403, description = "`second_factor_enrolment_required`", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 409, description = "`no_second_factor`: none active", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 415, description = "`unsupported_media_type`: not `application/json`", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 422, description = "`field_required` (`code` or `recovery_code`), `invalid_body`, `unknown_field`", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 429, description = "`too_many_attempts`: too many failures from this client in this hour", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 500, description = "`internal`: a technical error (no key for account secrets), logged under the request id", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 503, description = "`unavailable`: the store is unreachable; nothing was changed", body = portal_wire::Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn remove(
    Tenanted(app): Tenanted,
    RequestLang(lang): RequestLang,
    Client(client): Client,
    signed_in: SignedIn,
    ApiJson(body): ApiJson<TotpRemoveBody>,
) -> Result<Response, Problem> {
    let proof = proof_of(body.code.as_deref(), body.recovery_code.as_deref())
        .map_err(|e| Problem::of(&e, lang))?;
    let session_id = app
        .accounts
        .remove_factor(&signed_in.session, FactorKind::Totp, &body.password, proof, client)
        .await
        .map_err(|e| Problem::at(&e, lang, &app.tenant))?;
    Ok(renewed(&session_id))
}

/// The login's second step: the app's code, or one of the recovery codes (each works once).
/// The only route a half-logged-in session may use.
#[utoipa::path(
    post,
    path = "/api/session/second-factor",
    tag = "accounts",
    security(("session" = [])),
    request_body = SecondFactorBody,
    responses(
        (status = 200, description = "Logged in (a new session)", body = SessionBody, headers(("Set-Cookie" = String, description = "the new `__Host-session`"))),
        (status = 400, description = "`invalid_json`: the body is not JSON", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 401, description = "`unauthenticated`, `session_expired` (also after five wrong codes: log in again), `invalid_code` (wrong, or used before), `challenge_required`", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 403, description = "`second_factor_enrolment_required`: this session must enrol a factor", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 409, description = "`no_second_factor`: this session is not waiting for a code", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 415, description = "`unsupported_media_type`: not `application/json`", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 422, description = "`field_required` (`code` or `recovery_code`), `invalid_body`, `unknown_field`", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 423, description = "`blocked`", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 429, description = "`too_many_attempts`: too many failures from this client in this hour", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 500, description = "`internal`: a technical error (no key for account secrets), logged under the request id", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 503, description = "`unavailable`: the store is unreachable; nothing was changed", body = portal_wire::Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn second_step(
    Tenanted(app): Tenanted,
    RequestLang(lang): RequestLang,
    Client(client): Client,
    any: AnySession,
    headers: axum::http::HeaderMap,
    ApiJson(body): ApiJson<SecondFactorBody>,
) -> Result<Response, Problem> {
    awaiting_second_step(&any.session, lang, &app)?;
    let proof = proof_of(body.code.as_deref(), body.recovery_code.as_deref())
        .map_err(|e| Problem::of(&e, lang))?;
    let challenge = challenge_of(body.challenge.as_ref());
    second_step_with(&app, lang, client, &any, &headers, proof, challenge).await
}

/// The login's second step with the passkey: its answer to `POST /api/session/passkey`.
#[utoipa::path(
    post,
    path = "/api/session/second-factor/passkey",
    tag = "accounts",
    security(("session" = [])),
    request_body = PasskeySecondFactorBody,
    responses(
        (status = 200, description = "Logged in (a new session)", body = SessionBody, headers(("Set-Cookie" = String, description = "the new `__Host-session`"))),
        (status = 400, description = "`invalid_json`: the body is not JSON", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 401, description = "`unauthenticated`, `session_expired` (also after five refused answers: log in again), `invalid_passkey` (does not verify, answers no ceremony of this session, or late), `challenge_required`", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 403, description = "`second_factor_enrolment_required`: this session must enrol a factor", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 409, description = "`no_second_factor`: this session is not waiting for its second step; `passkeys_unavailable`", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 415, description = "`unsupported_media_type`: not `application/json`", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 422, description = "`field_required` (`state`, `credential`), `invalid_body`, `unknown_field`", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 423, description = "`blocked`", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 429, description = "`too_many_attempts`: too many failures from this client in this hour", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 500, description = "`internal`: a technical error (no key for account secrets), logged under the request id", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 503, description = "`unavailable`: the store is unreachable; nothing was changed", body = portal_wire::Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn second_step_passkey(
    Tenanted(app): Tenanted,
    RequestLang(lang): RequestLang,
    Client(client): Client,
    any: AnySession,
    headers: axum::http::HeaderMap,
    ApiJson(body): ApiJson<PasskeySecondFactorBody>,
) -> Result<Response, Problem> {
    awaiting_second_step(&any.session, lang, &app)?;
    let proof = passkey_of(&body.state, &body.credential).map_err(|e| Problem::of(&e, lang))?;
    let challenge = challenge_of(body.challenge.as_ref());
    second_step_with(&app, lang, client, &any, &headers, proof, challenge).await
}

async fn second_step_with(
    app: &portal_core::UseCases,
    lang: portal_domain::Lang,
    client: portal_domain::ClientAddress,
    any: &AnySession,
    headers: &axum::http::HeaderMap,
    proof: SecondFactorProof<'_>,
    challenge: Option<(ChallengeId, &str)>,
) -> Result<Response, Problem> {
    let challenge = challenge.as_ref().map(|(id, nonce)| (id, *nonce));
    let device = crate::notices::device_of(headers);
    let logged_in = app
        .accounts
        .verify_second_factor(&any.session, proof, challenge, client, &device)
        .await
        .map_err(|e| Problem::at(&e, lang, &app.tenant))?;
    Ok(crate::notices::in_new_session(
        Json(session_body(logged_in.status)),
        &logged_in.session_id,
        &device,
    ))
}

/// A passkey ceremony for this session: the login's second step, or to confirm a change
/// (removing the passkey, a new password). The browser signs its options with the passkey and
/// sends the answer with the state.
#[utoipa::path(
    post,
    path = "/api/session/passkey",
    tag = "accounts",
    security(("session" = [])),
    responses(
        (status = 200, description = "The ceremony begun: valid for five minutes, for this session", body = PasskeyCeremonyBody),
        (status = 401, description = "`unauthenticated`, `session_expired`", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 403, description = "`second_factor_enrolment_required`", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 409, description = "`no_second_factor`: the account has no passkey; `passkeys_unavailable`", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 500, description = "`internal`: a technical error (no key for account secrets), logged under the request id", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 503, description = "`unavailable`: the store is unreachable", body = portal_wire::Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn passkey_challenge(
    Tenanted(app): Tenanted,
    RequestLang(lang): RequestLang,
    any: AnySession,
) -> Result<Json<PasskeyCeremonyBody>, Problem> {
    if any.session.stage == SessionStage::Enrolment {
        return Err(Problem::of(&SessionError::EnrolmentRequired, lang));
    }
    let ceremony = app
        .accounts
        .passkey_challenge(&any.session)
        .await
        .map_err(|e| Problem::at(&e, lang, &app.tenant))?;
    Ok(ceremony_body(ceremony))
}

/// Begins the registration of a passkey: the options for `navigator.credentials.create`.
/// Nothing is stored until `POST /api/second-factor/passkey/confirm` brings the answer.
#[utoipa::path(
    post,
    path = "/api/second-factor/passkey",
    tag = "accounts",
    security(("session" = [])),
    responses(
        (status = 200, description = "The registration begun: valid for five minutes, for this session", body = PasskeyCeremonyBody),
        (status = 401, description = "`unauthenticated`, `session_expired`, or `second_factor_required`", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 403, description = "`password_change_required`: set an own password first", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 409, description = "`second_factor_active`: remove the active one first; `passkeys_unavailable`: the portal's address has no host name", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 500, description = "`internal`: a technical error (no key for account secrets), logged under the request id", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 503, description = "`unavailable`: the store is unreachable", body = portal_wire::Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn enrol_passkey(
    Tenanted(app): Tenanted,
    RequestLang(lang): RequestLang,
    Enrolling(any): Enrolling,
) -> Result<Json<PasskeyCeremonyBody>, Problem> {
    let ceremony = app
        .accounts
        .start_passkey_enrolment(&any.session)
        .await
        .map_err(|e| Problem::at(&e, lang, &app.tenant))?;
    Ok(ceremony_body(ceremony))
}

/// Confirms the registration with the browser's answer (and the password, except right after
/// a password step that led to a required enrolment): the passkey is the active factor; the
/// ten recovery codes come back once. Every other session ends; this browser goes on in a new
/// one.
#[utoipa::path(
    post,
    path = "/api/second-factor/passkey/confirm",
    tag = "accounts",
    security(("session" = [])),
    request_body = PasskeyConfirmBody,
    responses(
        (status = 200, description = "Active: the recovery codes, shown once", body = RecoveryCodesBody, headers(("Set-Cookie" = String, description = "the new `__Host-session`"))),
        (status = 400, description = "`invalid_json`: the body is not JSON", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 401, description = "`unauthenticated`, `session_expired` (also after too many refused answers), `second_factor_required`, `invalid_passkey`, `invalid_password`", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 403, description = "`password_change_required`", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 409, description = "`second_factor_active`; `passkeys_unavailable`", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 415, description = "`unsupported_media_type`: not `application/json`", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 422, description = "`field_required` (`state`, `credential`, `password`), `invalid_body`, `unknown_field`", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 429, description = "`too_many_attempts`: too many failures from this client in this hour", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 500, description = "`internal`: a technical error (no key for account secrets), logged under the request id", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 503, description = "`unavailable`: the store is unreachable; nothing was changed", body = portal_wire::Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn confirm_passkey(
    Tenanted(app): Tenanted,
    RequestLang(lang): RequestLang,
    Client(client): Client,
    Enrolling(any): Enrolling,
    headers: axum::http::HeaderMap,
    ApiJson(body): ApiJson<PasskeyConfirmBody>,
) -> Result<Response, Problem> {
    let (state, credential) =
        passkey_answer(&body.state, &body.credential).map_err(|e| Problem::of(&e, lang))?;
    let device = crate::notices::device_of(&headers);
    let (codes, session_id) = app
        .accounts
        .confirm_passkey_enrolment(
            &any.session,
            state,
            credential,
            body.password.as_deref(),
            client,
            &device,
        )
        .await
        .map_err(|e| Problem::at(&e, lang, &app.tenant))?;
    Ok(crate::notices::in_new_session(
        Json(RecoveryCodesBody { recovery_codes: codes }),
        &session_id,
        &device,
    ))
}

/// Removes the passkey, with the password and the passkey's answer to `POST /api/session/passkey`
/// (or a recovery code). Every other session ends; this browser goes on in a new one (led to
/// enrolment again where the insurer requires a second factor).
#[utoipa::path(
    delete,
    path = "/api/second-factor/passkey",
    tag = "accounts",
    security(("session" = [])),
    request_body = PasskeyRemoveBody,
    responses(
        (status = 204, description = "Removed", headers(("Set-Cookie" = String, description = "the new `__Host-session`"))),
        (status = 400, description = "`invalid_json`: the body is not JSON", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 401, description = "`unauthenticated`, `session_expired`, `second_factor_required`, `invalid_passkey`, `invalid_code` (recovery code), `invalid_password`", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 403, description = "`second_factor_enrolment_required`", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 409, description = "`no_second_factor`: no passkey active; `passkeys_unavailable`", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 415, description = "`unsupported_media_type`: not `application/json`", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 422, description = "`field_required` (`passkey` or `recovery_code`, `state`, `credential`), `invalid_body`, `unknown_field`", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 429, description = "`too_many_attempts`: too many failures from this client in this hour", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 500, description = "`internal`: a technical error (no key for account secrets), logged under the request id", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 503, description = "`unavailable`: the store is unreachable; nothing was changed", body = portal_wire::Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn remove_passkey(
    Tenanted(app): Tenanted,
    RequestLang(lang): RequestLang,
    Client(client): Client,
    signed_in: SignedIn,
    ApiJson(body): ApiJson<PasskeyRemoveBody>,
) -> Result<Response, Problem> {
    let proof = match (&body.passkey, &body.recovery_code) {
        (Some(answer), None) => passkey_proof(answer),
        (None, Some(recovery)) => Ok(SecondFactorProof::RecoveryCode(recovery)),
        _ => Err(RequestError::FieldRequired("passkey")),
    }
    .map_err(|e| Problem::of(&e, lang))?;
    let session_id = app
        .accounts
        .remove_factor(&signed_in.session, FactorKind::Passkey, &body.password, proof, client)
        .await
        .map_err(|e| Problem::at(&e, lang, &app.tenant))?;
    Ok(renewed(&session_id))
}

/// The account's live sessions, the newest first, the one asking marked `current`.
#[utoipa::path(
    get,
    path = "/api/sessions",
    tag = "accounts",
    security(("session" = [])),
    responses(
        (status = 200, description = "The sessions", body = Vec<SessionEntryBody>),
        (status = 401, description = "`unauthenticated`, `session_expired`, or `second_factor_required`", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 403, description = "`second_factor_enrolment_required`", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 503, description = "`unavailable`: the store is unreachable; nothing was changed", body = portal_wire::Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn list_sessions(
    Tenanted(app): Tenanted,
    RequestLang(lang): RequestLang,
    signed_in: SignedIn,
) -> Result<Json<Vec<SessionEntryBody>>, Problem> {
    let entries = app
        .accounts
        .sessions_of(&signed_in.session)
        .await
        .map_err(|e| Problem::at(&e, lang, &app.tenant))?;
    Ok(Json(
        entries
            .into_iter()
            .map(|e| SessionEntryBody {
                id: e.id,
                current: e.current,
                started_at: e.started_at,
                last_active_at: e.last_active_at,
                browser: e.browser.name().into(),
            })
            .collect(),
    ))
}

/// Ends one of the account's sessions (the own one too: that is a logout).
#[utoipa::path(
    delete,
    path = "/api/sessions/{id}",
    tag = "accounts",
    security(("session" = [])),
    params(("id" = String, Path, description = "A session's `id` from `GET /api/sessions`")),
    responses(
        (status = 204, description = "Ended"),
        (status = 401, description = "`unauthenticated`, `session_expired`, or `second_factor_required`", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 403, description = "`second_factor_enrolment_required`", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`: no such session of this account", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 503, description = "`unavailable`: the store is unreachable; nothing was changed", body = portal_wire::Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn end_session(
    Tenanted(app): Tenanted,
    RequestLang(lang): RequestLang,
    signed_in: SignedIn,
    Path(id): Path<String>,
) -> Result<Response, Problem> {
    let own = portal_core::accounts::public_session_id(&signed_in.session.id_hash) == id;
    let ended = app
        .accounts
        .end_session(&signed_in.session, &id)
        .await
        .map_err(|e| Problem::at(&e, lang, &app.tenant))?;
    if !ended {
        return Err(Problem::of(&RequestError::SessionNotFound, lang));
    }
    let mut response = StatusCode::NO_CONTENT.into_response();
    if own {
        response.headers_mut().insert(header::SET_COOKIE, cleared_session_cookie());
    }
    Ok(response)
}

/// `DELETE /api/sessions?others=true`.
#[derive(Debug, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EndSessions {
    /// Must be `true`: every session but this one ends.
    pub others: bool,
}

/// Ends every other session of the account (this one goes on).
#[utoipa::path(
    delete,
    path = "/api/sessions",
    tag = "accounts",
    security(("session" = [])),
    params(EndSessions),
    responses(
        (status = 204, description = "Every other session ended"),
        (status = 401, description = "`unauthenticated`, `session_expired`, or `second_factor_required`", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 403, description = "`second_factor_enrolment_required`", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 422, description = "`field_required`: `others=true` is missing", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 503, description = "`unavailable`: the store is unreachable; nothing was changed", body = portal_wire::Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn end_sessions(
    Tenanted(app): Tenanted,
    RequestLang(lang): RequestLang,
    signed_in: SignedIn,
    RawQuery(query): RawQuery,
) -> Result<StatusCode, Problem> {
    let params = EndSessions {
        others: query.as_deref().unwrap_or("").split('&').any(|pair| pair == "others=true"),
    };
    if !params.others {
        return Err(Problem::of(&RequestError::FieldRequired("others"), lang));
    }
    app.accounts
        .end_other_sessions(&signed_in.session)
        .await
        .map_err(|e| Problem::at(&e, lang, &app.tenant))?;
    Ok(StatusCode::NO_CONTENT)
}
