//! The session cookie and the extractors that require a logged-in provider.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderValue, header};
use portal_core::accounts::SessionError;
use portal_core::model::{Session, SessionStage, Standing};

use crate::errors::RequestError;
use crate::{AppState, Problem, Tenanted};

/// `__Host-`: only set by this origin over HTTPS, for all paths, never for a parent domain.
pub const SESSION_COOKIE: &str = "__Host-session";

pub fn session_cookie(id: &str) -> HeaderValue {
    let cookie = format!("{SESSION_COOKIE}={id}; Path=/; Secure; HttpOnly; SameSite=Strict");
    HeaderValue::from_str(&cookie).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// 204 after a change, with the cookie of the session this browser goes on in.
pub(crate) fn renewed(session_id: &str) -> axum::response::Response {
    use axum::response::IntoResponse as _;
    let mut response = axum::http::StatusCode::NO_CONTENT.into_response();
    response.headers_mut().insert(header::SET_COOKIE, session_cookie(session_id));
    response
}

pub fn cleared_session_cookie() -> HeaderValue {
    HeaderValue::from_static(
        "__Host-session=; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=0",
    )
}

/// The session id from the `Cookie` header, if the browser sent one.
pub fn session_id(parts: &Parts) -> Option<String> {
    parts
        .headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .find_map(|pair| {
            pair.trim().strip_prefix(SESSION_COOKIE)?.strip_prefix('=').map(str::to_string)
        })
        .filter(|id| !id.is_empty())
}

/// Any session of the request's tenant, however far it has come: only the routes of the login's
/// second step and of enrolment take this; every other one goes through [`SignedIn`].
pub struct AnySession {
    pub session: Session,
    pub standing: Standing,
}

impl FromRequestParts<AppState> for AnySession {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Problem> {
        let lang = crate::problem::lang_of(&parts.headers);
        let Tenanted(app) = Tenanted::from_request_parts(parts, state).await?;
        let id = session_id(parts).ok_or_else(|| Problem::of(&SessionError::Missing, lang))?;
        // The tenant's own sessions only: a cookie of another tenant is not found there.
        let (session, standing) =
            app.accounts.authenticate(&id).await.map_err(|e| Problem::of(&e, lang))?;
        Ok(AnySession { session, standing })
    }
}

/// Any logged-in provider, also one who still has to set an own password. A session between
/// password and code is refused here (401 `second_factor_required`), and one that must enrol a
/// factor first (403 `second_factor_enrolment_required`): every authenticated route but the
/// second step's and enrolment's takes this (or [`ActiveProvider`]), so neither can be skipped.
pub struct SignedIn {
    pub session: Session,
    pub standing: Standing,
}

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Problem> {
        let AnySession { session, standing } = AnySession::from_request_parts(parts, state).await?;
        let refused = match session.stage {
            SessionStage::Full => return Ok(SignedIn { session, standing }),
            SessionStage::SecondFactor => SessionError::SecondFactorRequired,
            SessionStage::Enrolment => SessionError::EnrolmentRequired,
        };
        Err(Problem::of(&refused, crate::problem::lang_of(&parts.headers)))
    }
}

/// A provider with an own password who may enrol a second factor: logged in fully, or led to
/// enrolment by the password step because the insurer requires a factor.
pub struct Enrolling(pub AnySession);

impl FromRequestParts<AppState> for Enrolling {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Problem> {
        let any = AnySession::from_request_parts(parts, state).await?;
        let lang = crate::problem::lang_of(&parts.headers);
        if any.session.stage == SessionStage::SecondFactor {
            return Err(Problem::of(&SessionError::SecondFactorRequired, lang));
        }
        if any.standing.must_change_password {
            return Err(Problem::of(&RequestError::PasswordChangeRequired, lang));
        }
        Ok(Enrolling(any))
    }
}

/// A logged-in provider who has set an own password: what every service but the password page
/// needs.
pub struct ActiveProvider(pub SignedIn);

impl FromRequestParts<AppState> for ActiveProvider {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Problem> {
        let signed_in = SignedIn::from_request_parts(parts, state).await?;
        if signed_in.standing.must_change_password {
            let lang = crate::problem::lang_of(&parts.headers);
            return Err(Problem::of(&RequestError::PasswordChangeRequired, lang));
        }
        Ok(ActiveProvider(signed_in))
    }
}
