//! The typed client of the portal's API (`shared/design/api.md`). Every error arrives as a
//! [`Problem`] with the server's words in the user's language, or a network problem in ours.

use gloo_net::http::{Request, Response};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::i18n::{Lang, T, text};

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct Problem {
    #[serde(default)]
    pub status: u16,
    #[serde(default)]
    pub code: String,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub detail: Option<String>,
    #[serde(default)]
    pub errors: Vec<FieldProblem>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct FieldProblem {
    pub field: String,
    pub code: String,
    pub message: String,
}

impl Problem {
    fn network(lang: Lang) -> Problem {
        Problem {
            code: "network".into(),
            title: text(lang, T::NetworkError).into(),
            ..Problem::default()
        }
    }

    /// The message for one field, if the server named it.
    pub fn field(&self, field: &str) -> Option<String> {
        self.errors.iter().find(|e| e.field == field).map(|e| e.message.clone())
    }

    /// The session is gone: the app shows the session-ended page.
    pub fn session_ended(&self) -> bool {
        self.status == 401 && matches!(self.code.as_str(), "session_expired" | "unauthenticated")
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Challenge {
    pub id: String,
    pub salt: String,
    pub difficulty: u8,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Registered {
    pub recipient: String,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct SessionInfo {
    pub ik: String,
    pub name: String,
    pub must_change_password: bool,
    pub idle_timeout_s: i64,
    pub expires_at: String,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct YearStatus {
    pub year: i32,
    pub exempt: bool,
    pub valid_from: Option<String>,
    pub valid_to: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Answer {
    pub query_id: String,
    pub kvnr: String,
    pub found: bool,
    pub initials: Option<String>,
    #[serde(default)]
    pub years: Vec<YearStatus>,
    pub exempt_on_dispensing_date: Option<bool>,
}

async fn send(request: Result<Request, gloo_net::Error>, lang: Lang) -> Result<Response, Problem> {
    let request = request.map_err(|_| Problem::network(lang))?;
    let response = request.send().await.map_err(|_| Problem::network(lang))?;
    if response.ok() {
        return Ok(response);
    }
    let status = response.status();
    let mut problem: Problem = response.json().await.unwrap_or_else(|_| Problem::network(lang));
    problem.status = status;
    Err(problem)
}

async fn json<R: DeserializeOwned>(response: Response, lang: Lang) -> Result<R, Problem> {
    response.json().await.map_err(|_| Problem::network(lang))
}

fn get(path: &str, lang: Lang) -> Result<Request, gloo_net::Error> {
    Request::get(path).header("Accept-Language", lang.tag()).build()
}

fn with_body(
    method: &str,
    path: &str,
    body: &impl Serialize,
    lang: Lang,
) -> Result<Request, gloo_net::Error> {
    let builder = match method {
        "DELETE" => Request::delete(path),
        _ => Request::post(path),
    };
    builder.header("Accept-Language", lang.tag()).json(body)
}

pub async fn challenge(lang: Lang) -> Result<Challenge, Problem> {
    json(send(get("/api/challenge", lang), lang).await?, lang).await
}

pub async fn register(
    ik: &str,
    terms: bool,
    challenge_id: &str,
    nonce: u64,
    lang: Lang,
) -> Result<Registered, Problem> {
    let body = serde_json::json!({"ik": ik, "terms_accepted": terms, "challenge": {"id": challenge_id, "nonce": nonce.to_string()}});
    json(send(with_body("POST", "/api/registrations", &body, lang), lang).await?, lang).await
}

pub async fn login(ik: &str, password: &str, lang: Lang) -> Result<SessionInfo, Problem> {
    let body = serde_json::json!({"ik": ik, "password": password});
    json(send(with_body("POST", "/api/session", &body, lang), lang).await?, lang).await
}

pub async fn session(lang: Lang) -> Result<SessionInfo, Problem> {
    json(send(get("/api/session", lang), lang).await?, lang).await
}

pub async fn logout(lang: Lang) -> Result<(), Problem> {
    let request = Request::delete("/api/session").header("Accept-Language", lang.tag()).build();
    send(request, lang).await.map(drop)
}

pub async fn set_password(
    pruefnummer: &str,
    new_password: &str,
    lang: Lang,
) -> Result<(), Problem> {
    let body = serde_json::json!({"pruefnummer": pruefnummer, "new_password": new_password});
    send(with_body("POST", "/api/password", &body, lang), lang).await.map(drop)
}

pub async fn reset_password(
    ik: &str,
    pruefnummer: &str,
    new_password: &str,
    lang: Lang,
) -> Result<(), Problem> {
    let body =
        serde_json::json!({"ik": ik, "pruefnummer": pruefnummer, "new_password": new_password});
    send(with_body("POST", "/api/password-reset", &body, lang), lang).await.map(drop)
}

pub async fn ask(
    kvnr: &str,
    consent: Option<&str>,
    dispensing_date: Option<&str>,
    lang: Lang,
) -> Result<Answer, Problem> {
    let mut body = serde_json::json!({"kvnr": kvnr});
    if let Some(consent) = consent {
        body["consent"] = Value::from(consent);
    }
    if let Some(day) = dispensing_date.filter(|d| !d.is_empty()) {
        body["dispensing_date"] = Value::from(day);
    }
    json(send(with_body("POST", "/api/exemption-queries", &body, lang), lang).await?, lang).await
}
