//! Registration, login, sessions and passwords over HTTP. Each handler parses its input into
//! domain types, calls one use case, and turns every outcome into a response.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use portal_core::StoreError;
use portal_core::accounts::{LoginError, PasswordChangeError, RegisterError, SessionStatus};
use portal_domain::{Ik, Lang, counted};
use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};

use crate::json::ApiJson;
use crate::session::{SignedIn, cleared_session_cookie, session_cookie, session_id};
use crate::{AppState, FieldProblem, Problem, RequestLang};

fn text(lang: Lang, de: &str, en: &str) -> String {
    match lang {
        Lang::De => de.to_string(),
        Lang::En => en.to_string(),
    }
}

/// Logged with the request id; the person gets a 503 without internals.
pub(crate) fn store_failed(error: &StoreError, lang: Lang) -> Problem {
    tracing::error!(error = %portal_core::error_chain(error), "store failed");
    Problem::unavailable(lang)
}

#[derive(Serialize)]
pub struct ChallengeBody {
    id: String,
    salt: String,
    difficulty: u8,
    #[serde(with = "time::serde::rfc3339")]
    expires_at: OffsetDateTime,
}

pub async fn challenge(
    State(state): State<AppState>,
    RequestLang(lang): RequestLang,
) -> Result<Json<ChallengeBody>, Problem> {
    let Some(c) = state.accounts.new_challenge().await.map_err(|e| store_failed(&e, lang))? else {
        let title = text(
            lang,
            "Gerade werden sehr viele Registrierungen begonnen. Bitte versuchen Sie es in einer Minute erneut.",
            "Very many registrations are being started right now. Please try again in a minute.",
        );
        return Err(Problem::new(StatusCode::TOO_MANY_REQUESTS, "too_many_requests", title)
            .with_retry_after(60));
    };
    Ok(Json(ChallengeBody {
        id: c.id,
        salt: c.salt,
        difficulty: c.difficulty,
        expires_at: c.expires_at,
    }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegistrationBody {
    #[serde(default)]
    ik: String,
    #[serde(default)]
    terms_accepted: bool,
    #[serde(default)]
    challenge: ChallengeAnswer,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct ChallengeAnswer {
    #[serde(default)]
    id: String,
    #[serde(default)]
    nonce: String,
}

#[derive(Serialize)]
pub struct RegisteredBody {
    ik: Ik,
    recipient: String,
    letters: usize,
}

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
        let mut problem =
            Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "terms_required", message.clone());
        problem.errors.push(FieldProblem {
            field: "terms_accepted",
            code: "terms_required",
            message,
        });
        return Err(problem);
    }
    match state.accounts.register(ik, &body.challenge.id, &body.challenge.nonce).await {
        Ok(r) => Ok((
            StatusCode::ACCEPTED,
            Json(RegisteredBody { ik: r.ik, recipient: r.recipient, letters: r.letters }),
        )),
        Err(error) => Err(register_problem(error, lang)),
    }
}

fn register_problem(error: RegisterError, lang: Lang) -> Problem {
    match error {
        RegisterError::ChallengeInvalid => Problem::new(
            StatusCode::BAD_REQUEST,
            "challenge_invalid",
            text(
                lang,
                "Die Sicherheitsprüfung ist abgelaufen oder ungültig. Bitte starten Sie die Registrierung erneut.",
                "The security check has expired or is invalid. Please start the registration again.",
            ),
        ),
        RegisterError::UnknownIk => Problem::new(
            StatusCode::NOT_FOUND,
            "unknown_ik",
            text(
                lang,
                "Dieses IK ist in unserem Verzeichnis der Leistungserbringer nicht hinterlegt. Bitte wenden Sie sich an unseren Leistungserbringer-Service.",
                "This IK is not in our directory of providers. Please contact our provider service.",
            ),
        ),
        RegisterError::AlreadyActive => Problem::new(
            StatusCode::CONFLICT,
            "already_active",
            text(
                lang,
                "Für dieses IK besteht bereits ein Zugang. Kennwort vergessen? Nutzen Sie „Passwort zurücksetzen“ mit Ihrer Prüfnummer.",
                "There already is an account for this IK. Forgot the password? Use 'Reset password' with your Prüfnummer.",
            ),
        ),
        RegisterError::TooMany => Problem::new(
            StatusCode::TOO_MANY_REQUESTS,
            "too_many_registrations",
            text(
                lang,
                "Für dieses IK wurden heute bereits zu viele Registrierungen angefordert. Bitte versuchen Sie es morgen erneut.",
                "Too many registrations were requested for this IK today. Please try again tomorrow.",
            ),
        ),
        RegisterError::Busy => Problem::new(
            StatusCode::CONFLICT,
            "registration_in_progress",
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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoginBody {
    #[serde(default)]
    ik: String,
    #[serde(default)]
    password: String,
}

#[derive(Serialize)]
pub struct SessionBody {
    ik: Ik,
    name: String,
    must_change_password: bool,
    idle_timeout_s: i64,
    #[serde(with = "time::serde::rfc3339")]
    expires_at: OffsetDateTime,
}

impl From<SessionStatus> for SessionBody {
    fn from(s: SessionStatus) -> SessionBody {
        SessionBody {
            ik: s.ik,
            name: s.name,
            must_change_password: s.must_change_password,
            idle_timeout_s: s.idle_timeout.whole_seconds(),
            expires_at: s.expires_at,
        }
    }
}

pub async fn login(
    State(state): State<AppState>,
    RequestLang(lang): RequestLang,
    ApiJson(body): ApiJson<LoginBody>,
) -> Result<Response, Problem> {
    match state.accounts.login(&body.ik, &body.password).await {
        Ok(logged_in) => {
            let mut response = Json(SessionBody::from(logged_in.status)).into_response();
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
        Err(LoginError::Locked { retry_after }) => Err(locked(retry_after, lang)),
        Err(LoginError::Inactive) => Err(Problem::new(
            StatusCode::LOCKED,
            "inactive",
            text(
                lang,
                "Ihr Zugang wurde länger als 180 Tage nicht genutzt. Bitte aktivieren Sie ihn mit Ihrer Prüfnummer wieder („Passwort zurücksetzen“).",
                "Your account has not been used for more than 180 days. Please reactivate it with your Prüfnummer ('Reset password').",
            ),
        )),
        Err(LoginError::InitialPasswordExpired) => Err(Problem::new(
            StatusCode::UNAUTHORIZED,
            "initial_password_expired",
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
    Problem::new(StatusCode::UNAUTHORIZED, "invalid_credentials", text(lang, de, en))
}

fn locked(retry_after: Duration, lang: Lang) -> Problem {
    let seconds = retry_after.whole_seconds().max(1) as u64;
    let minutes = seconds.div_ceil(60);
    let title = match lang {
        Lang::De => format!(
            "Ihr Zugang ist nach mehreren Fehlversuchen gesperrt. Bitte versuchen Sie es in {} erneut.",
            counted(minutes, "Minute", "Minuten")
        ),
        Lang::En => format!(
            "Your account is locked after several failed attempts. Please try again in {}.",
            counted(minutes, "minute", "minutes")
        ),
    };
    Problem::new(StatusCode::LOCKED, "locked", title).with_retry_after(seconds)
}

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
    Ok(Json(status.into()))
}

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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PasswordBody {
    #[serde(default)]
    pruefnummer: String,
    #[serde(default)]
    new_password: String,
}

pub async fn change_password(
    State(state): State<AppState>,
    RequestLang(lang): RequestLang,
    signed_in: SignedIn,
    ApiJson(body): ApiJson<PasswordBody>,
) -> Result<Response, Problem> {
    let session_id = state
        .accounts
        .change_password(&signed_in.session, &body.pruefnummer, &body.new_password)
        .await
        .map_err(|e| password_problem(e, lang))?;
    let mut response = StatusCode::NO_CONTENT.into_response();
    response.headers_mut().insert(header::SET_COOKIE, session_cookie(&session_id));
    Ok(response)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResetBody {
    #[serde(default)]
    ik: String,
    #[serde(default)]
    pruefnummer: String,
    #[serde(default)]
    new_password: String,
}

pub async fn reset_password(
    State(state): State<AppState>,
    RequestLang(lang): RequestLang,
    ApiJson(body): ApiJson<ResetBody>,
) -> Result<StatusCode, Problem> {
    state
        .accounts
        .reset_password(&body.ik, &body.pruefnummer, &body.new_password)
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
        PasswordChangeError::Locked { retry_after } => locked(retry_after, lang),
        PasswordChangeError::Weak(e) => Problem::invalid_field("new_password", &e, lang),
        PasswordChangeError::Store(error) => store_failed(&error, lang),
        PasswordChangeError::Hash(error) => {
            tracing::error!(error = %portal_core::error_chain(&error), "hashing failed");
            Problem::internal(lang)
        }
    }
}
