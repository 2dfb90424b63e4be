//! Registration, login, sessions and passwords over HTTP. Each handler parses its input into
//! domain types, calls one use case, and turns every outcome into a response.

use axum::Json;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use portal_core::accounts::SecondFactorProof;
use portal_core::accounts::{RegisterError, SessionStatus};
use portal_core::model::ChallengeId;
use portal_core::model::{Browser, FactorKind};
use portal_domain::Ik;
use portal_wire::{
    ChallengeBody, LoginBody, PasswordRequest, RegisteredBody, RegistrationBody, ResetBody,
    SessionBody,
};

use crate::client::Client;
use crate::errors::RequestError;
use crate::json::ApiJson;
use crate::session::{SignedIn, cleared_session_cookie, session_id};
use crate::{Problem, RequestLang, Tenanted};

/// A proof-of-work security check for the registration (and for a login after failures).
#[utoipa::path(
    get,
    path = "/api/challenge",
    tag = "accounts",
    responses(
        (status = 200, description = "A fresh security check, good for five minutes and one use", body = ChallengeBody),
        (status = 429, description = "`too_many_requests`: this client's checks of the minute are used up (beyond everyone's ration the checks only get harder)", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 503, description = "`unavailable`: the store is unreachable; nothing was changed", body = portal_wire::Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn challenge(
    Tenanted(app): Tenanted,
    RequestLang(lang): RequestLang,
    Client(client): Client,
) -> Result<Json<ChallengeBody>, Problem> {
    let new =
        app.accounts.new_challenge(client).await.map_err(|e| Problem::at(&e, lang, &app.tenant))?;
    let c = new.ok_or_else(|| Problem::of(&RequestError::ChallengesUsedUp, lang))?;
    Ok(Json(ChallengeBody {
        id: c.id.to_string(),
        salt: c.salt,
        difficulty: c.difficulty,
        expires_at: c.expires_at,
    }))
}

/// Registers an IK of the provider directory; the initial password and the Prüfnummer go out
/// in two letters to the address on file.
#[utoipa::path(
    post,
    path = "/api/registrations",
    tag = "accounts",
    request_body = RegistrationBody,
    responses(
        (status = 202, description = "Both letters are on their way", body = RegisteredBody),
        (status = 400, description = "`invalid_json`, or `challenge_invalid`: the security check is wrong, expired or used", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 408, description = "`request_timeout`: the body did not arrive in time", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 413, description = "`payload_too_large`: more than 16 KiB", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 415, description = "`unsupported_media_type`: not `application/json`", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 404, description = "`unknown_ik`: the IK is not in the provider directory", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 409, description = "`already_active`, `letters_on_the_way` (the address on file is told), or `registration_in_progress`", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 423, description = "`blocked`: the back office blocked the account", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 422, description = "`invalid_ik`, `terms_required`, `invalid_body`, `unknown_field`", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 500, description = "`internal`: a technical error, logged under the request id", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 503, description = "`unavailable`: the store is unreachable; nothing was changed", body = portal_wire::Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn register(
    Tenanted(app): Tenanted,
    RequestLang(lang): RequestLang,
    ApiJson(body): ApiJson<RegistrationBody>,
) -> Result<(StatusCode, Json<RegisteredBody>), Problem> {
    let ik = Ik::parse(&body.ik).map_err(|e| Problem::invalid_field("ik", &e, lang))?;
    if !body.terms_accepted {
        return Err(Problem::of(&RequestError::TermsRequired, lang));
    }
    let challenge = &body.challenge;
    // An id no challenge could have is as wrong as a wrong answer.
    let id = ChallengeId::parse(&challenge.id)
        .ok_or_else(|| Problem::of(&RegisterError::ChallengeInvalid, lang))?;
    let registered = app
        .accounts
        .register(ik, &id, &challenge.nonce)
        .await
        .map_err(|e| Problem::at(&e, lang, &app.tenant))?;
    Ok((
        StatusCode::ACCEPTED,
        Json(RegisteredBody {
            ik: registered.ik.to_string(),
            recipient: registered.recipient,
            letters: registered.letters,
        }),
    ))
}

pub(crate) fn session_body(s: SessionStatus) -> SessionBody {
    SessionBody {
        ik: s.ik.to_string(),
        name: s.name,
        berufsfeld: s.berufsfeld,
        must_change_password: s.must_change_password,
        idle_timeout_s: s.idle_timeout.whole_seconds(),
        expires_at: s.expires_at,
        second_factor_required: s.second_factor_required,
        enrolment_required: s.enrolment_required,
        second_factor: s.second_factor.map(|kind| match kind {
            FactorKind::Totp => portal_wire::SecondFactorKind::Totp,
            FactorKind::Passkey => portal_wire::SecondFactorKind::Passkey,
        }),
        passkeys_offered: s.passkeys_offered,
    }
}

/// The browser family of the request's User-Agent: all of it that is kept.
pub(crate) fn browser_of(headers: &HeaderMap) -> Browser {
    let agent = headers.get(header::USER_AGENT).and_then(|v| v.to_str().ok()).unwrap_or("");
    Browser::from_user_agent(agent)
}

/// Logs in with IK and password; after several failures for the IK a solved security check
/// must come along.
#[utoipa::path(
    post,
    path = "/api/session",
    tag = "accounts",
    request_body = LoginBody,
    responses(
        (status = 200, description = "The password is right: logged in, or (`second_factor_required: true`) half logged in until `POST /api/session/second-factor`, or (`enrolment_required: true`) led to enrolment because the insurer requires a second factor", body = SessionBody, headers(("Set-Cookie" = String, description = "`__Host-session=…; Path=/; Secure; HttpOnly; SameSite=Strict`, then `__Host-device=…` (the browser's id, 400 days; a login from a browser not seen before for the account is told to the address on file)"))),
        (status = 400, description = "`invalid_json`: the body is not JSON", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 408, description = "`request_timeout`: the body did not arrive in time", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 413, description = "`payload_too_large`: more than 16 KiB", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 415, description = "`unsupported_media_type`: not `application/json`", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 401, description = "`invalid_credentials` (also for an unknown IK), `challenge_required`, or `initial_password_expired`", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 422, description = "`invalid_body`, `unknown_field`", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 423, description = "`blocked`, or `inactive` (unused for 180 days: reset with the Prüfnummer)", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 429, description = "`too_many_attempts`: too many failures from this client in this hour", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 503, description = "`unavailable`: the store is unreachable; nothing was changed", body = portal_wire::Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn login(
    Tenanted(app): Tenanted,
    RequestLang(lang): RequestLang,
    Client(client): Client,
    headers: HeaderMap,
    ApiJson(body): ApiJson<LoginBody>,
) -> Result<Response, Problem> {
    // A check whose id is not one counts as none sent.
    let proof = body.challenge.as_ref().and_then(|c| Some((ChallengeId::parse(&c.id)?, &c.nonce)));
    let proof = proof.as_ref().map(|(id, nonce)| (id, nonce.as_str()));
    let device = crate::notices::device_of(&headers);
    let logged_in = app
        .accounts
        .login(&body.ik, &body.password, proof, client, browser_of(&headers), &device)
        .await
        .map_err(|e| Problem::at(&e, lang, &app.tenant))?;
    let body = Json(session_body(logged_in.status));
    Ok(crate::notices::in_new_session(body, &logged_in.session_id, &device))
}

/// The logged-in provider; each request extends the session.
#[utoipa::path(
    get,
    path = "/api/session",
    tag = "accounts",
    security(("session" = [])),
    responses(
        (status = 200, description = "Logged in", body = SessionBody),
        (status = 401, description = "`unauthenticated`, `session_expired`, or `second_factor_required` (the code is still to come)", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 403, description = "`second_factor_enrolment_required`: the insurer requires a second factor; enrol one first", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 503, description = "`unavailable`: the store is unreachable; nothing was changed", body = portal_wire::Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn current_session(
    Tenanted(app): Tenanted,
    RequestLang(lang): RequestLang,
    signed_in: SignedIn,
) -> Result<Json<SessionBody>, Problem> {
    let status = app
        .accounts
        .status(&signed_in.session, signed_in.standing.must_change_password)
        .await
        .map_err(|e| Problem::at(&e, lang, &app.tenant))?;
    Ok(Json(session_body(status)))
}

/// Logs out: the session ends on the server and the cookie is cleared.
#[utoipa::path(
    delete,
    path = "/api/session",
    tag = "accounts",
    security((), ("session" = [])),
    responses(
        (status = 204, description = "Logged out", headers(("Set-Cookie" = String, description = "clears `__Host-session`"))),
        (status = 503, description = "`unavailable`: the store is unreachable; nothing was changed", body = portal_wire::Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn logout(
    Tenanted(app): Tenanted,
    RequestLang(lang): RequestLang,
    headers: HeaderMap,
) -> Result<Response, Problem> {
    let (mut parts, ()) = axum::http::Request::new(()).into_parts();
    parts.headers = headers;
    if let Some(id) = session_id(&parts) {
        app.accounts.logout(&id).await.map_err(|e| Problem::at(&e, lang, &app.tenant))?;
    }
    let mut response = StatusCode::NO_CONTENT.into_response();
    response.headers_mut().insert(header::SET_COOKIE, cleared_session_cookie());
    Ok(response)
}

/// The first own password, set with the Prüfnummer while logged in with the initial password
/// (`{pruefnummer, new_password}`); once an own password is set, a change with the current one
/// and, where a second factor is active, a code (`{current_password, new_password, code}`).
/// Every other session of the account ends.
#[utoipa::path(
    post,
    path = "/api/password",
    tag = "accounts",
    security(("session" = [])),
    request_body = PasswordRequest,
    responses(
        (status = 204, description = "Set; this browser goes on in a new session", headers(("Set-Cookie" = String, description = "the new `__Host-session`"))),
        (status = 400, description = "`invalid_json`: the body is not JSON", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 408, description = "`request_timeout`: the body did not arrive in time", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 413, description = "`payload_too_large`: more than 16 KiB", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 415, description = "`unsupported_media_type`: not `application/json`", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 401, description = "`unauthenticated`, `session_expired`, `second_factor_required`, `invalid_credentials` (wrong Prüfnummer), `invalid_password` (wrong current password), `invalid_code`, `invalid_passkey`", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 403, description = "`second_factor_enrolment_required`", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 409, description = "`passkeys_unavailable`: a passkey's answer under an address without passkeys", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 422, description = "`invalid_pruefnummer`, `weak_password`, `field_required` (`current_password` once an own password is set, `code` when an authenticator app is active, `passkey` when a passkey is, `state` and `credential` in it), `invalid_body`, `unknown_field`", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 423, description = "`blocked`", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 429, description = "`too_many_attempts`: too many failures from this client in this hour", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 500, description = "`internal`: a technical error, logged under the request id", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 503, description = "`unavailable`: the store is unreachable; nothing was changed", body = portal_wire::Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn change_password(
    Tenanted(app): Tenanted,
    RequestLang(lang): RequestLang,
    Client(client): Client,
    signed_in: SignedIn,
    ApiJson(body): ApiJson<PasswordRequest>,
) -> Result<Response, Problem> {
    let session_id = match &body.current_password {
        Some(current) => {
            let proof = match (&body.code, &body.passkey) {
                (Some(code), _) => Some(SecondFactorProof::Code(code)),
                (None, Some(answer)) => Some(
                    crate::factor_proof::passkey_proof(answer)
                        .map_err(|e| Problem::of(&e, lang))?,
                ),
                (None, None) => None,
            };
            app.accounts
                .change_own_password(&signed_in.session, current, &body.new_password, proof, client)
                .await
                .map_err(|e| Problem::at(&e, lang, &app.tenant))?
        }
        None => {
            let pruefnummer = body.pruefnummer.as_deref().unwrap_or_default();
            app.accounts
                .change_password(&signed_in.session, pruefnummer, &body.new_password, client)
                .await
                .map_err(|e| Problem::at(&e, lang, &app.tenant))?
        }
    };
    Ok(crate::session::renewed(&session_id))
}

/// A forgotten password or an inactive account: IK, Prüfnummer and a new password. Only for an
/// account with an own password; the first one takes both letters.
#[utoipa::path(
    post,
    path = "/api/password-reset",
    tag = "accounts",
    request_body = ResetBody,
    responses(
        (status = 204, description = "Set; every session of the account ends"),
        (status = 400, description = "`invalid_json`: the body is not JSON", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 408, description = "`request_timeout`: the body did not arrive in time", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 413, description = "`payload_too_large`: more than 16 KiB", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 415, description = "`unsupported_media_type`: not `application/json`", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 401, description = "`invalid_credentials`: IK or Prüfnummer wrong", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 409, description = "`use_both_letters`: no own password yet", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 422, description = "`invalid_pruefnummer`, `weak_password`, `invalid_body`, `unknown_field`", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 423, description = "`blocked`", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 429, description = "`too_many_attempts`: too many failures from this client in this hour", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 500, description = "`internal`: a technical error, logged under the request id", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 503, description = "`unavailable`: the store is unreachable; nothing was changed", body = portal_wire::Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn reset_password(
    Tenanted(app): Tenanted,
    RequestLang(lang): RequestLang,
    Client(client): Client,
    ApiJson(body): ApiJson<ResetBody>,
) -> Result<StatusCode, Problem> {
    app.accounts
        .reset_password(&body.ik, &body.pruefnummer, &body.new_password, client)
        .await
        .map(|()| StatusCode::NO_CONTENT)
        .map_err(|e| Problem::at(&e, lang, &app.tenant))
}
