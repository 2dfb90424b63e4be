//! The typed client of the portal's API (`shared/design/api.md`). Every error arrives as a
//! [`Problem`] with the server's words in the user's language, or a network problem in ours.
//!
//! The browser parses and writes the JSON (`JSON.parse`, `JSON.stringify`); the app reads the
//! fields it needs. A JSON library compiled into the wasm would cost it tens of kilobytes.

use gloo_net::http::{Request, RequestBuilder, Response};
use js_sys::{Array, JSON, Object, Reflect};
use wasm_bindgen::JsValue;

use crate::i18n::{Lang, T, text};

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Problem {
    pub status: u16,
    pub code: String,
    pub title: String,
    pub detail: Option<String>,
    pub errors: Vec<FieldProblem>,
}

#[derive(Debug, Clone, PartialEq)]
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

#[derive(Debug, Clone, PartialEq)]
pub struct Challenge {
    pub id: String,
    pub salt: String,
    pub difficulty: u8,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Registered {
    pub recipient: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SessionInfo {
    pub ik: String,
    pub name: String,
    pub must_change_password: bool,
    pub idle_timeout_s: i64,
    pub expires_at: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct YearStatus {
    pub year: i32,
    pub exempt: bool,
    pub valid_from: Option<String>,
    pub valid_to: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    pub query_id: String,
    pub kvnr: String,
    pub found: bool,
    pub initials: Option<String>,
    pub years: Vec<YearStatus>,
    pub exempt_on_dispensing_date: Option<bool>,
}

/// One parsed JSON value. Reading a field gives `None` when it is missing or of the wrong type,
/// as a strict deserializer would refuse it; `Option` fields accept `null` and a missing field.
struct Json(JsValue);

impl Json {
    fn field(&self, key: &str) -> JsValue {
        if self.0.is_object() {
            Reflect::get(&self.0, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
        } else {
            JsValue::UNDEFINED
        }
    }

    fn string(&self, key: &str) -> Option<String> {
        self.field(key).as_string()
    }

    fn bool(&self, key: &str) -> Option<bool> {
        self.field(key).as_bool()
    }

    /// A whole number within `min..=max`.
    fn int(&self, key: &str, min: f64, max: f64) -> Option<i64> {
        let n = self.field(key).as_f64()?;
        (n.fract() == 0.0 && (min..=max).contains(&n)).then_some(n as i64)
    }

    /// `Some(None)` for a missing field or `null`, `None` for a value of another type.
    fn optional<V>(&self, key: &str, read: impl Fn(&JsValue) -> Option<V>) -> Option<Option<V>> {
        let value = self.field(key);
        if value.is_null_or_undefined() { Some(None) } else { read(&value).map(Some) }
    }

    /// A list; a missing field is an empty list.
    fn list<V>(&self, key: &str, read: impl Fn(Json) -> Option<V>) -> Option<Vec<V>> {
        let value = self.field(key);
        if value.is_undefined() {
            return Some(Vec::new());
        }
        if !Array::is_array(&value) {
            return None;
        }
        Array::from(&value).iter().map(|item| read(Json(item))).collect()
    }
}

fn problem(json: Json) -> Option<Problem> {
    Some(Problem {
        status: 0,
        code: json.optional("code", JsValue::as_string)?.unwrap_or_default(),
        title: json.optional("title", JsValue::as_string)?.unwrap_or_default(),
        detail: json.optional("detail", JsValue::as_string)?,
        errors: json.list("errors", |e| {
            Some(FieldProblem {
                field: e.string("field")?,
                code: e.string("code")?,
                message: e.string("message")?,
            })
        })?,
    })
}

fn challenge_of(json: Json) -> Option<Challenge> {
    Some(Challenge {
        id: json.string("id")?,
        salt: json.string("salt")?,
        difficulty: json.int("difficulty", 0.0, 255.0)? as u8,
    })
}

fn registered(json: Json) -> Option<Registered> {
    Some(Registered { recipient: json.string("recipient")? })
}

fn session_info(json: Json) -> Option<SessionInfo> {
    Some(SessionInfo {
        ik: json.string("ik")?,
        name: json.string("name")?,
        must_change_password: json.bool("must_change_password")?,
        idle_timeout_s: json.int("idle_timeout_s", i64::MIN as f64, i64::MAX as f64)?,
        expires_at: json.string("expires_at")?,
    })
}

fn answer(json: Json) -> Option<Answer> {
    Some(Answer {
        query_id: json.string("query_id")?,
        kvnr: json.string("kvnr")?,
        found: json.bool("found")?,
        initials: json.optional("initials", JsValue::as_string)?,
        years: json.list("years", |y| {
            Some(YearStatus {
                year: y.int("year", i32::MIN.into(), i32::MAX.into())? as i32,
                exempt: y.bool("exempt")?,
                valid_from: y.optional("valid_from", JsValue::as_string)?,
                valid_to: y.optional("valid_to", JsValue::as_string)?,
            })
        })?,
        exempt_on_dispensing_date: json.optional("exempt_on_dispensing_date", JsValue::as_bool)?,
    })
}

/// The body of a response, parsed by the browser.
async fn body(response: &Response) -> Option<Json> {
    let text = response.text().await.ok()?;
    JSON::parse(&text).ok().map(Json)
}

/// A JSON object to send: `{"key": value, ...}`.
fn object(fields: &[(&str, JsValue)]) -> JsValue {
    let object = Object::new();
    for (key, value) in fields {
        let _ = Reflect::set(&object, &JsValue::from_str(key), value);
    }
    object.into()
}

async fn send(request: Option<Request>, lang: Lang) -> Result<Response, Problem> {
    let request = request.ok_or_else(|| Problem::network(lang))?;
    let response = request.send().await.map_err(|_| Problem::network(lang))?;
    if response.ok() {
        return Ok(response);
    }
    let status = response.status();
    let mut problem =
        body(&response).await.and_then(problem).unwrap_or_else(|| Problem::network(lang));
    problem.status = status;
    Err(problem)
}

async fn json<R>(
    response: Response,
    read: fn(Json) -> Option<R>,
    lang: Lang,
) -> Result<R, Problem> {
    body(&response).await.and_then(read).ok_or_else(|| Problem::network(lang))
}

fn get(path: &str, lang: Lang) -> Option<Request> {
    Request::get(path).header("Accept-Language", lang.tag()).build().ok()
}

fn post(path: &str, fields: &[(&str, JsValue)], lang: Lang) -> Option<Request> {
    let body = JSON::stringify(&object(fields)).ok()?;
    RequestBuilder::new(path)
        .method(gloo_net::http::Method::POST)
        .header("Accept-Language", lang.tag())
        .header("Content-Type", "application/json")
        .body(body)
        .ok()
}

pub async fn challenge(lang: Lang) -> Result<Challenge, Problem> {
    json(send(get("/api/challenge", lang), lang).await?, challenge_of, lang).await
}

pub async fn register(
    ik: &str,
    terms: bool,
    challenge_id: &str,
    nonce: u64,
    lang: Lang,
) -> Result<Registered, Problem> {
    let challenge = object(&[("id", challenge_id.into()), ("nonce", nonce.to_string().into())]);
    let body = [("ik", ik.into()), ("terms_accepted", terms.into()), ("challenge", challenge)];
    json(send(post("/api/registrations", &body, lang), lang).await?, registered, lang).await
}

/// Logs in; `proof` is a solved security check (challenge id and nonce), which the server asks
/// for with `challenge_required` after several failed attempts for the IK.
pub async fn login(
    ik: &str,
    password: &str,
    proof: Option<(String, u64)>,
    lang: Lang,
) -> Result<SessionInfo, Problem> {
    let mut body = vec![("ik", ik.into()), ("password", password.into())];
    if let Some((id, nonce)) = proof {
        let id: JsValue = id.into();
        body.push(("challenge", object(&[("id", id), ("nonce", nonce.to_string().into())])));
    }
    json(send(post("/api/session", &body, lang), lang).await?, session_info, lang).await
}

pub async fn session(lang: Lang) -> Result<SessionInfo, Problem> {
    json(send(get("/api/session", lang), lang).await?, session_info, lang).await
}

pub async fn logout(lang: Lang) -> Result<(), Problem> {
    let request =
        Request::delete("/api/session").header("Accept-Language", lang.tag()).build().ok();
    send(request, lang).await.map(drop)
}

pub async fn set_password(
    pruefnummer: &str,
    new_password: &str,
    lang: Lang,
) -> Result<(), Problem> {
    let body = [("pruefnummer", pruefnummer.into()), ("new_password", new_password.into())];
    send(post("/api/password", &body, lang), lang).await.map(drop)
}

pub async fn reset_password(
    ik: &str,
    pruefnummer: &str,
    new_password: &str,
    lang: Lang,
) -> Result<(), Problem> {
    let body = [
        ("ik", ik.into()),
        ("pruefnummer", pruefnummer.into()),
        ("new_password", new_password.into()),
    ];
    send(post("/api/password-reset", &body, lang), lang).await.map(drop)
}

pub async fn ask(
    kvnr: &str,
    consent: Option<&str>,
    dispensing_date: Option<&str>,
    lang: Lang,
) -> Result<Answer, Problem> {
    let mut body = vec![("kvnr", JsValue::from(kvnr))];
    if let Some(consent) = consent {
        body.push(("consent", consent.into()));
    }
    if let Some(day) = dispensing_date.filter(|d| !d.is_empty()) {
        body.push(("dispensing_date", day.into()));
    }
    json(send(post("/api/exemption-queries", &body, lang), lang).await?, answer, lang).await
}
