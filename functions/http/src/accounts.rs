//! Registration, login, sessions and passwords over HTTP. Each handler parses its input into
//! domain types, calls one use case, and turns every outcome into a response.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use portal_core::accounts::{LoginError, PasswordChangeError, RegisterError, SessionStatus};
use portal_domain::{Ik, Lang, counted};
use portal_wire::{
    ChallengeBody, LoginBody, PasswordBody, RegisteredBody, RegistrationBody, ResetBody,
    SessionBody,
};
use time::OffsetDateTime;

use crate::client::Client;
use crate::json::ApiJson;
use crate::problem::store_failed;
use crate::session::{SignedIn, cleared_session_cookie, session_cookie, session_id};
use crate::{AppState, FieldProblem, Problem, ProblemCode, RequestLang};

fn text(lang: Lang, de: &str, en: &str) -> String {
    match lang {
        Lang::De => de.to_string(),
        Lang::En => en.to_string(),
    }
}

/// A proof-of-work security check for the registration (and for a login after failures).
#[utoipa::path(
    get,
    path = "/api/challenge",
    tag = "accounts",
    responses(
        (status = 200, description = "A fresh security check, good for five minutes and one use", body = ChallengeBody),
        (status = 429, description = "`too_many_requests`: this minute's checks are used up (for this client or for all)", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 503, description = "`unavailable`: the store is unreachable; nothing was changed", body = portal_wire::Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn challenge(
    State(state): State<AppState>,
    RequestLang(lang): RequestLang,
    Client(client): Client,
) -> Result<Json<ChallengeBody>, Problem> {
    let new = state.accounts.new_challenge(client).await.map_err(|e| store_failed(&e, lang))?;
    let Some(c) = new else {
        let title = text(
            lang,
            "Gerade werden sehr viele Registrierungen begonnen. Bitte versuchen Sie es in einer Minute erneut.",
            "Very many registrations are being started right now. Please try again in a minute.",
        );
        return Err(Problem::new(
            StatusCode::TOO_MANY_REQUESTS,
            ProblemCode::TooManyRequests,
            title,
        )
        .with_retry_after(60));
    };
    Ok(Json(ChallengeBody {
        id: c.id,
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
        (status = 422, description = "`invalid_ik`, `terms_required`, `invalid_body`, `unknown_field`", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 500, description = "`internal`: a technical error, logged under the request id", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 503, description = "`unavailable`: the store is unreachable; nothing was changed", body = portal_wire::Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn register(
    State(state): State<AppState>,
    RequestLang(lang): RequestLang,
    ApiJson(body): ApiJson<RegistrationBody>,
) -> Result<(StatusCode, Json<RegisteredBody>), Problem> {
    let ik = Ik::parse(&body.ik).map_err(|e| Problem::invalid_field("ik", &e, lang))?;
    if !body.terms_accepted {
        let message = text(
            lang,
            "Bitte akzeptieren Sie die Nutzungsbedingungen.",
            "Please accept the terms of use.",
        );
        let mut problem = Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            ProblemCode::TermsRequired,
            message.clone(),
        );
        problem.errors.push(FieldProblem {
            field: "terms_accepted".into(),
            code: ProblemCode::TermsRequired,
            message,
        });
        return Err(problem);
    }
    match state.accounts.register(ik, &body.challenge.id, &body.challenge.nonce).await {
        Ok(r) => Ok((
            StatusCode::ACCEPTED,
            Json(RegisteredBody {
                ik: r.ik.to_string(),
                recipient: r.recipient,
                letters: r.letters,
            }),
        )),
        Err(error) => Err(register_problem(error, lang)),
    }
}

fn register_problem(error: RegisterError, lang: Lang) -> Problem {
    match error {
        RegisterError::ChallengeInvalid => Problem::new(
            StatusCode::BAD_REQUEST,
            ProblemCode::ChallengeInvalid,
            text(
                lang,
                "Die Sicherheitsprüfung ist abgelaufen oder ungültig. Bitte starten Sie die Registrierung erneut.",
                "The security check has expired or is invalid. Please start the registration again.",
            ),
        ),
        RegisterError::UnknownIk => Problem::new(
            StatusCode::NOT_FOUND,
            ProblemCode::UnknownIk,
            text(
                lang,
                "Dieses IK ist in unserem Verzeichnis der Leistungserbringer nicht hinterlegt. Bitte wenden Sie sich an unseren Leistungserbringer-Service.",
                "This IK is not in our directory of providers. Please contact our provider service.",
            ),
        ),
        RegisterError::AlreadyActive => Problem::new(
            StatusCode::CONFLICT,
            ProblemCode::AlreadyActive,
            text(
                lang,
                "Für dieses IK besteht bereits ein Zugang. Kennwort vergessen? Nutzen Sie „Passwort zurücksetzen“ mit Ihrer Prüfnummer.",
                "There already is an account for this IK. Forgot the password? Use 'Reset password' with your Prüfnummer.",
            ),
        ),
        RegisterError::LettersOnTheWay { until } => {
            let until = german_date_and_time(until);
            let title = match lang {
                Lang::De => format!(
                    "Für dieses IK sind bereits Schreiben mit Initialkennwort und Prüfnummer unterwegs; sie bleiben gültig. Neue Schreiben können Sie ab dem {until} Uhr anfordern, oder unser Leistungserbringer-Service sendet sie Ihnen. Wir haben die Anschrift des IK über diese Anfrage informiert."
                ),
                Lang::En => format!(
                    "Letters with the initial password and the Prüfnummer are already on their way for this IK; they stay valid. You can ask for new letters from {until}, or our provider service sends them to you. We have told the address on file of this request."
                ),
            };
            Problem::new(StatusCode::CONFLICT, ProblemCode::LettersOnTheWay, title)
        }
        RegisterError::Busy => Problem::new(
            StatusCode::CONFLICT,
            ProblemCode::RegistrationInProgress,
            text(
                lang,
                "Für dieses IK läuft gerade eine andere Registrierung. Bitte versuchen Sie es gleich noch einmal.",
                "Another registration for this IK is under way. Please try again in a moment.",
            ),
        ),
        RegisterError::Store(error) => store_failed(&error, lang),
        RegisterError::Hash(error) => {
            tracing::error!(error = %portal_core::error_chain(&error), "hashing failed");
            Problem::internal(lang)
        }
    }
}

fn session_body(s: SessionStatus) -> SessionBody {
    SessionBody {
        ik: s.ik.to_string(),
        name: s.name,
        must_change_password: s.must_change_password,
        idle_timeout_s: s.idle_timeout.whole_seconds(),
        expires_at: s.expires_at,
    }
}

/// Logs in with IK and password; after several failures for the IK a solved security check
/// must come along.
#[utoipa::path(
    post,
    path = "/api/session",
    tag = "accounts",
    request_body = LoginBody,
    responses(
        (status = 200, description = "Logged in", body = SessionBody, headers(("Set-Cookie" = String, description = "`__Host-session=…; Path=/; Secure; HttpOnly; SameSite=Strict`"))),
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
    State(state): State<AppState>,
    RequestLang(lang): RequestLang,
    Client(client): Client,
    ApiJson(body): ApiJson<LoginBody>,
) -> Result<Response, Problem> {
    let proof = body.challenge.as_ref().map(|c| (c.id.as_str(), c.nonce.as_str()));
    match state.accounts.login(&body.ik, &body.password, proof, client).await {
        Ok(logged_in) => {
            let mut response = Json(session_body(logged_in.status)).into_response();
            response
                .headers_mut()
                .insert(header::SET_COOKIE, session_cookie(&logged_in.session_id));
            Ok(response)
        }
        Err(LoginError::InvalidCredentials) => Err(invalid_credentials(
            lang,
            "Benutzername (IK) oder Kennwort ist falsch.",
            "User name (IK) or password is wrong.",
        )),
        Err(LoginError::ChallengeRequired) => Err(Problem::new(
            StatusCode::UNAUTHORIZED,
            ProblemCode::ChallengeRequired,
            text(
                lang,
                "Für dieses IK gab es heute mehrere Fehlversuche. Zum Schutz Ihres Zugangs löst Ihr Browser vor der Anmeldung eine Sicherheitsprüfung; bitte melden Sie sich erneut an.",
                "There were several failed attempts for this IK today. To protect your account, your browser solves a security check before logging in; please log in again.",
            ),
        )),
        Err(LoginError::TooManyAttempts { retry_after }) => {
            let seconds = retry_after.whole_seconds().max(1) as u64;
            let minutes = seconds.div_ceil(60);
            let title = match lang {
                Lang::De => format!(
                    "Zu viele Fehlversuche von diesem Anschluss. Bitte versuchen Sie es in {} erneut.",
                    counted(minutes, "Minute", "Minuten")
                ),
                Lang::En => format!(
                    "Too many failed attempts from this connection. Please try again in {}.",
                    counted(minutes, "minute", "minutes")
                ),
            };
            Err(Problem::new(StatusCode::TOO_MANY_REQUESTS, ProblemCode::TooManyAttempts, title)
                .with_retry_after(seconds))
        }
        Err(LoginError::Blocked) => Err(blocked(lang)),
        Err(LoginError::Inactive) => Err(Problem::new(
            StatusCode::LOCKED,
            ProblemCode::Inactive,
            text(
                lang,
                "Ihr Zugang wurde länger als 180 Tage nicht genutzt. Bitte aktivieren Sie ihn mit Ihrer Prüfnummer wieder („Passwort zurücksetzen“).",
                "Your account has not been used for more than 180 days. Please reactivate it with your Prüfnummer ('Reset password').",
            ),
        )),
        Err(LoginError::InitialPasswordExpired) => Err(Problem::new(
            StatusCode::UNAUTHORIZED,
            ProblemCode::InitialPasswordExpired,
            text(
                lang,
                "Ihr Initialkennwort ist abgelaufen. Bitte registrieren Sie sich erneut; Sie erhalten dann neue Schreiben.",
                "Your initial password has expired. Please register again to receive new letters.",
            ),
        )),
        Err(LoginError::Store(error)) => Err(store_failed(&error, lang)),
    }
}

fn invalid_credentials(lang: Lang, de: &str, en: &str) -> Problem {
    Problem::new(StatusCode::UNAUTHORIZED, ProblemCode::InvalidCredentials, text(lang, de, en))
}

fn blocked(lang: Lang) -> Problem {
    Problem::new(
        StatusCode::LOCKED,
        ProblemCode::Blocked,
        text(
            lang,
            "Ihr Zugang ist gesperrt. Bitte wenden Sie sich an unseren Leistungserbringer-Service.",
            "Your account is blocked. Please contact our provider service.",
        ),
    )
}

/// "07.05.2026 10:00" in German local time.
fn german_date_and_time(at: OffsetDateTime) -> String {
    let local = portal_domain::german_local_time(at);
    local
        .format(time::macros::format_description!("[day].[month].[year] [hour]:[minute]"))
        .unwrap_or_default()
}

/// The logged-in provider; each request extends the session.
#[utoipa::path(
    get,
    path = "/api/session",
    tag = "accounts",
    security(("session" = [])),
    responses(
        (status = 200, description = "Logged in", body = SessionBody),
        (status = 401, description = "`unauthenticated`, or `session_expired`", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 503, description = "`unavailable`: the store is unreachable; nothing was changed", body = portal_wire::Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn current_session(
    State(state): State<AppState>,
    RequestLang(lang): RequestLang,
    signed_in: SignedIn,
) -> Result<Json<SessionBody>, Problem> {
    let status = state
        .accounts
        .status(&signed_in.session, signed_in.standing.must_change_password)
        .await
        .map_err(|e| store_failed(&e, lang))?;
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
    State(state): State<AppState>,
    RequestLang(lang): RequestLang,
    headers: HeaderMap,
) -> Result<Response, Problem> {
    let (mut parts, ()) = axum::http::Request::new(()).into_parts();
    parts.headers = headers;
    if let Some(id) = session_id(&parts) {
        state.accounts.logout(&id).await.map_err(|e| store_failed(&e, lang))?;
    }
    let mut response = StatusCode::NO_CONTENT.into_response();
    response.headers_mut().insert(header::SET_COOKIE, cleared_session_cookie());
    Ok(response)
}

/// The first own password, set with the Prüfnummer while logged in with the initial password
/// (or again later). Every other session of the account ends.
#[utoipa::path(
    post,
    path = "/api/password",
    tag = "accounts",
    security(("session" = [])),
    request_body = PasswordBody,
    responses(
        (status = 204, description = "Set; this browser goes on in a new session", headers(("Set-Cookie" = String, description = "the new `__Host-session`"))),
        (status = 400, description = "`invalid_json`: the body is not JSON", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 408, description = "`request_timeout`: the body did not arrive in time", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 413, description = "`payload_too_large`: more than 16 KiB", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 415, description = "`unsupported_media_type`: not `application/json`", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 401, description = "`unauthenticated`, `session_expired`, or `invalid_credentials` (wrong Prüfnummer)", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 422, description = "`invalid_pruefnummer`, `weak_password`, `invalid_body`, `unknown_field`", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 423, description = "`blocked`", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 500, description = "`internal`: a technical error, logged under the request id", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 503, description = "`unavailable`: the store is unreachable; nothing was changed", body = portal_wire::Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn change_password(
    State(state): State<AppState>,
    RequestLang(lang): RequestLang,
    Client(client): Client,
    signed_in: SignedIn,
    ApiJson(body): ApiJson<PasswordBody>,
) -> Result<Response, Problem> {
    let session_id = state
        .accounts
        .change_password(&signed_in.session, &body.pruefnummer, &body.new_password, client)
        .await
        .map_err(|e| password_problem(e, lang))?;
    let mut response = StatusCode::NO_CONTENT.into_response();
    response.headers_mut().insert(header::SET_COOKIE, session_cookie(&session_id));
    Ok(response)
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
        (status = 500, description = "`internal`: a technical error, logged under the request id", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 503, description = "`unavailable`: the store is unreachable; nothing was changed", body = portal_wire::Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn reset_password(
    State(state): State<AppState>,
    RequestLang(lang): RequestLang,
    Client(client): Client,
    ApiJson(body): ApiJson<ResetBody>,
) -> Result<StatusCode, Problem> {
    state
        .accounts
        .reset_password(&body.ik, &body.pruefnummer, &body.new_password, client)
        .await
        .map(|()| StatusCode::NO_CONTENT)
        .map_err(|e| password_problem(e, lang))
}

fn password_problem(error: PasswordChangeError, lang: Lang) -> Problem {
    match error {
        PasswordChangeError::MalformedPruefnummer(e) => {
            Problem::invalid_field("pruefnummer", &e, lang)
        }
        PasswordChangeError::InvalidCredentials => invalid_credentials(
            lang,
            "IK oder Prüfnummer ist falsch.",
            "IK or Prüfnummer is wrong.",
        ),
        PasswordChangeError::NeedsBothLetters => Problem::new(
            StatusCode::CONFLICT,
            ProblemCode::UseBothLetters,
            text(
                lang,
                "Für diesen Zugang wurde noch kein eigenes Kennwort vergeben. Melden Sie sich bitte mit dem Initialkennwort aus dem ersten Schreiben an und vergeben Sie Ihr Kennwort mit der Prüfnummer aus dem zweiten Schreiben. Fehlt Ihnen ein Schreiben, registrieren Sie sich bitte erneut.",
                "No own password has been set for this account yet. Please log in with the initial password from the first letter and set your password with the Prüfnummer from the second letter. If a letter is missing, please register again.",
            ),
        ),
        PasswordChangeError::Blocked => blocked(lang),
        PasswordChangeError::Weak(e) => Problem::invalid_field("new_password", &e, lang),
        PasswordChangeError::Store(error) => store_failed(&error, lang),
        PasswordChangeError::Hash(error) => {
            tracing::error!(error = %portal_core::error_chain(&error), "hashing failed");
            Problem::internal(lang)
        }
    }
}
