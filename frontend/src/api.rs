//! The typed client of the portal's API (`GET /api/openapi.json`), on the server's own wire
//! types (`portal-wire`): a field exists in one place. Every error arrives as a [`Problem`] with
//! the server's words in the user's language, or a network problem in ours.
//!
//! The browser parses and writes the JSON (`JSON.parse`, `JSON.stringify`); serde only maps the
//! browser's values to the types (`js.rs`), which costs the wasm far less than a JSON parser
//! compiled into it.

use js_sys::futures::JsFuture;
use js_sys::{Array, JSON, Reflect};
pub use portal_wire::{AccountEventKind, BlockRequest, HistoryEntryBody, SecondFactorKind};
pub use portal_wire::{
    AnswerBody as Answer, ChallengeBody as Challenge, ProblemCode, RegisteredBody as Registered,
    SessionBody as SessionInfo, TenantBody as Tenant,
};
use portal_wire::{
    ChallengeAnswer, LoginBody, PasswordRequest, QueryBody, RegistrationBody, ResetBody,
    SecondFactorBody,
};
pub use portal_wire::{
    ClientBody, PhysicianBody, PracticeBody, RecoveryCodesBody, ReportBody, ReportDraftBody,
    SessionEntryBody, TotpConfirmBody, TotpEnrolmentBody, TotpRemoveBody,
};
use serde::Serialize;
use serde::de::DeserializeOwned;
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{Headers, RequestInit, Response};

use crate::i18n::{Lang, T, text};
use crate::{js, passkey};

/// A problem as the app shows it: the server's document, or (`code: None`) a network problem.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Problem {
    pub status: u16,
    pub code: Option<ProblemCode>,
    pub title: String,
    pub detail: Option<String>,
    pub errors: Vec<portal_wire::FieldProblem>,
}

impl Problem {
    fn network(lang: Lang) -> Problem {
        Problem { title: text(lang, T::NetworkError).into(), ..Problem::default() }
    }

    /// The message for one field, if the server named it.
    pub fn field(&self, field: &str) -> Option<String> {
        self.errors.iter().find(|e| e.field == field).map(|e| e.message.clone())
    }

    /// The session is gone: the app shows the session-ended page.
    pub fn session_ended(&self) -> bool {
        self.status == 401
            && matches!(self.code, Some(ProblemCode::SessionExpired | ProblemCode::Unauthenticated))
    }
}

impl From<portal_wire::Problem> for Problem {
    fn from(p: portal_wire::Problem) -> Problem {
        Problem {
            status: p.status,
            code: Some(p.code),
            title: p.title,
            detail: p.detail,
            errors: p.errors,
        }
    }
}

#[wasm_bindgen]
extern "C" {
    /// The global `fetch`, called with the address and the options as an object.
    #[wasm_bindgen(js_name = fetch)]
    fn fetch_with_init(url: &str, init: &RequestInit) -> js_sys::Promise;
    /// A random UUID from the browser's cryptographic generator.
    #[wasm_bindgen(js_namespace = crypto, js_name = randomUUID)]
    pub fn random_uuid() -> String;
    /// An address for a blob the browser holds (a PDF to open in a tab).
    #[wasm_bindgen(js_namespace = URL, js_name = createObjectURL)]
    pub fn object_url(blob: &JsValue) -> String;
}

/// A request ready to go: its address and its options (method, headers, body).
struct Request {
    path: String,
    init: RequestInit,
    headers: Headers,
}

/// A request in the user's language; `body`: JSON for a POST or PUT.
fn request(method: &str, path: &str, body: Option<String>, lang: Lang) -> Option<Request> {
    let headers = Headers::new().ok()?;
    headers.set("Accept-Language", lang.tag()).ok()?;
    let init = RequestInit::new();
    init.set_method(method);
    if let Some(body) = body {
        headers.set("Content-Type", "application/json").ok()?;
        init.set_body(&JsValue::from_str(&body));
    }
    init.set_headers(&headers);
    Some(Request { path: path.to_string(), init, headers })
}

/// A problem code the app does not know (the API may name newer ones, such as a field's rule)
/// read as `invalid_body`, so the document with its title and field messages still shows.
fn known_codes(value: JsValue) -> JsValue {
    let key = JsValue::from_str("code");
    let fix = |object: &JsValue| {
        let code = Reflect::get(object, &key).ok().and_then(|c| c.as_string());
        if code.as_deref().and_then(ProblemCode::parse).is_none() {
            let _ = Reflect::set(object, &key, &JsValue::from_str("invalid_body"));
        }
    };
    if value.is_object() {
        fix(&value);
        let errors = Reflect::get(&value, &JsValue::from_str("errors")).unwrap_or_default();
        if Array::is_array(&errors) {
            Array::from(&errors).iter().filter(JsValue::is_object).for_each(|e| fix(&e));
        }
    }
    value
}

/// The body of a response as the browser parsed it. Not generic: one copy of this code serves
/// every call, and only the mapping to a type ([`typed`]) is compiled per type.
async fn parsed(response: &Response) -> Option<JsValue> {
    JsFuture::from(response.json().ok()?).await.ok()
}

async fn send(request: Option<Request>, lang: Lang) -> Result<Response, Problem> {
    let request = request.ok_or_else(|| Problem::network(lang))?;
    let response = JsFuture::from(fetch_with_init(&request.path, &request.init))
        .await
        .ok()
        .and_then(|response| response.dyn_into::<Response>().ok())
        .ok_or_else(|| Problem::network(lang))?;
    if response.ok() {
        return Ok(response);
    }
    let status = response.status();
    let mut problem = parsed(&response)
        .await
        .and_then(|value| js::from_value::<portal_wire::Problem>(known_codes(value)).ok())
        .map_or_else(|| Problem::network(lang), Problem::from);
    problem.status = status;
    Err(problem)
}

/// Sends the request and returns the answer's body, parsed by the browser.
async fn json(request: Option<Request>, lang: Lang) -> Result<JsValue, Problem> {
    let response = send(request, lang).await?;
    parsed(&response).await.ok_or_else(|| Problem::network(lang))
}

/// The parsed body mapped to the wire type `R`.
fn typed<R: DeserializeOwned>(value: JsValue, lang: Lang) -> Result<R, Problem> {
    js::from_value(value).map_err(|_| Problem::network(lang))
}

fn get(path: &str, lang: Lang) -> Option<Request> {
    request("GET", path, None, lang)
}

fn post(path: &str, body: &impl Serialize, lang: Lang) -> Option<Request> {
    with_body("POST", path, body, lang)
}

fn with_body(method: &str, path: &str, body: &impl Serialize, lang: Lang) -> Option<Request> {
    with_value(method, path, js::to_value(body).ok()?, lang)
}

/// A request with the browser's value as its JSON body. Not generic: one copy serves every body.
fn with_value(method: &str, path: &str, value: JsValue, lang: Lang) -> Option<Request> {
    let body: String = JSON::stringify(&value).ok()?.into();
    request(method, path, Some(body), lang)
}

/// The portal's public figures, the last twelve months.
pub async fn service_figures(lang: Lang) -> Result<portal_wire::ServiceFiguresBody, Problem> {
    typed(json(get("/api/service-figures", lang), lang).await?, lang)
}

/// The back office's login (its own role and cookie, not a provider's).
pub async fn backoffice_login(
    name: &str,
    password: &str,
    lang: Lang,
) -> Result<portal_wire::BackofficeSessionBody, Problem> {
    let body = portal_wire::BackofficeLoginBody { name: name.into(), password: password.into() };
    typed(json(post("/api/backoffice/session", &body, lang), lang).await?, lang)
}

/// The logged-in back-office user, if any.
pub async fn backoffice_session(lang: Lang) -> Result<portal_wire::BackofficeSessionBody, Problem> {
    typed(json(get("/api/backoffice/session", lang), lang).await?, lang)
}

/// The back office's figures of the last 14 days.
pub async fn backoffice_figures(lang: Lang) -> Result<portal_wire::BackofficeFiguresBody, Problem> {
    typed(json(get("/api/backoffice/figures", lang), lang).await?, lang)
}

/// The insurer whose portal this address is.
pub async fn tenant(lang: Lang) -> Result<Tenant, Problem> {
    typed(json(get("/api/tenant", lang), lang).await?, lang)
}

pub async fn challenge(lang: Lang) -> Result<Challenge, Problem> {
    typed(json(get("/api/challenge", lang), lang).await?, lang)
}

fn solved(id: String, nonce: u64) -> ChallengeAnswer {
    ChallengeAnswer { id, nonce: nonce.to_string() }
}

pub async fn register(
    ik: &str,
    terms: bool,
    challenge_id: &str,
    nonce: u64,
    lang: Lang,
) -> Result<Registered, Problem> {
    let body = RegistrationBody {
        ik: ik.into(),
        terms_accepted: terms,
        challenge: solved(challenge_id.into(), nonce),
    };
    typed(json(post("/api/registrations", &body, lang), lang).await?, lang)
}

/// Logs in; `proof` is a solved security check (challenge id and nonce), which the server asks
/// for with `challenge_required` after several failed attempts for the IK.
pub async fn login(
    ik: &str,
    password: &str,
    proof: Option<(String, u64)>,
    lang: Lang,
) -> Result<SessionInfo, Problem> {
    let challenge = proof.map(|(id, nonce)| solved(id, nonce));
    let body = LoginBody { ik: ik.into(), password: password.into(), challenge };
    typed(json(post("/api/session", &body, lang), lang).await?, lang)
}

/// The login's second step: the authenticator app's code, or (`recovery`) a recovery code;
/// `proof` as for [`login`].
pub async fn second_factor(
    code: &str,
    recovery: bool,
    proof: Option<(String, u64)>,
    lang: Lang,
) -> Result<SessionInfo, Problem> {
    let challenge = proof.map(|(id, nonce)| solved(id, nonce));
    let code = Some(code.to_string());
    let body = if recovery {
        SecondFactorBody { recovery_code: code, challenge, ..SecondFactorBody::default() }
    } else {
        SecondFactorBody { code, challenge, ..SecondFactorBody::default() }
    };
    typed(json(post("/api/session/second-factor", &body, lang), lang).await?, lang)
}

/// A passkey ceremony begun at `path` (`POST`) and answered by the browser: the body's
/// `{state, credential}` to send on. A problem of its own when the browser or the user declined.
async fn passkey_answer(
    path: &str,
    ceremony: passkey::Ceremony,
    lang: Lang,
) -> Result<js_sys::Object, Problem> {
    let begun = json(request("POST", path, None, lang), lang).await?;
    let options = Reflect::get(&begun, &JsValue::from_str("options")).unwrap_or_default();
    let state = Reflect::get(&begun, &JsValue::from_str("state")).unwrap_or_default();
    let declined = || Problem { title: text(lang, T::PasskeyNotUsed).into(), ..Problem::default() };
    let credential = passkey::answer(&options, ceremony).await.ok_or_else(declined)?;
    let answer = js_sys::Object::new();
    let _ = Reflect::set(&answer, &JsValue::from_str("state"), &state);
    let _ = Reflect::set(&answer, &JsValue::from_str("credential"), &credential);
    Ok(answer)
}

/// The login's second step with the passkey; `proof` as for [`login`].
pub async fn second_factor_passkey(
    proof: Option<(String, u64)>,
    lang: Lang,
) -> Result<SessionInfo, Problem> {
    let body =
        passkey_answer("/api/session/passkey", passkey::Ceremony::Authenticate, lang).await?;
    if let Some((id, nonce)) = proof {
        let challenge = js::to_value(&solved(id, nonce)).map_err(|_| Problem::network(lang))?;
        let _ = Reflect::set(&body, &JsValue::from_str("challenge"), &challenge);
    }
    let path = "/api/session/second-factor/passkey";
    typed(json(with_value("POST", path, body.into(), lang), lang).await?, lang)
}

/// The passkey's answer for a change (`{state, credential}`), asked of the browser now.
pub async fn passkey_confirmation(lang: Lang) -> Result<JsValue, Problem> {
    passkey_answer("/api/session/passkey", passkey::Ceremony::Authenticate, lang)
        .await
        .map(Into::into)
}

/// Registers a passkey (with the current `password`, unless the login led here): the ten
/// recovery codes (a new session).
pub async fn enrol_passkey(
    password: Option<String>,
    lang: Lang,
) -> Result<RecoveryCodesBody, Problem> {
    let body =
        passkey_answer("/api/second-factor/passkey", passkey::Ceremony::Register, lang).await?;
    if let Some(password) = password {
        let _ = Reflect::set(&body, &JsValue::from_str("password"), &JsValue::from_str(&password));
    }
    let path = "/api/second-factor/passkey/confirm";
    typed(json(with_value("POST", path, body.into(), lang), lang).await?, lang)
}

/// Removes the passkey, with the password and the passkey's answer (a new session).
pub async fn remove_passkey(password: &str, lang: Lang) -> Result<(), Problem> {
    let body = js_sys::Object::new();
    let _ = Reflect::set(&body, &JsValue::from_str("password"), &JsValue::from_str(password));
    let _ = Reflect::set(&body, &JsValue::from_str("passkey"), &passkey_confirmation(lang).await?);
    send(with_value("DELETE", "/api/second-factor/passkey", body.into(), lang), lang)
        .await
        .map(drop)
}

pub async fn session(lang: Lang) -> Result<SessionInfo, Problem> {
    typed(json(get("/api/session", lang), lang).await?, lang)
}

pub async fn logout(lang: Lang) -> Result<(), Problem> {
    send(request("DELETE", "/api/session", None, lang), lang).await.map(drop)
}

/// How a change of the own password proves the second factor.
pub enum ChangeProof {
    None,
    /// The authenticator app's code.
    Code(String),
    /// The passkey, asked of the browser when the change is sent.
    Passkey,
}

/// The first own password with the Prüfnummer, or (`own`: an own password is set) a change
/// with the current one in `secret` and, where a second factor is active, its `proof`.
pub async fn set_password(
    own: bool,
    secret: &str,
    new_password: &str,
    proof: ChangeProof,
    lang: Lang,
) -> Result<(), Problem> {
    let secret = Some(secret.to_string());
    let new_password = new_password.to_string();
    let code = match &proof {
        ChangeProof::Code(code) => Some(code.clone()),
        _ => None,
    };
    let body = if own {
        PasswordRequest { current_password: secret, new_password, code, ..Default::default() }
    } else {
        PasswordRequest { pruefnummer: secret, new_password, ..Default::default() }
    };
    let body = js::to_value(&body).map_err(|_| Problem::network(lang))?;
    if let ChangeProof::Passkey = proof {
        let answer = passkey_confirmation(lang).await?;
        let _ = Reflect::set(&body, &JsValue::from_str("passkey"), &answer);
    }
    send(with_value("POST", "/api/password", body, lang), lang).await.map(drop)
}

pub async fn reset_password(
    ik: &str,
    pruefnummer: &str,
    new_password: &str,
    lang: Lang,
) -> Result<(), Problem> {
    let body = ResetBody {
        ik: ik.into(),
        pruefnummer: pruefnummer.into(),
        new_password: new_password.into(),
    };
    send(post("/api/password-reset", &body, lang), lang).await.map(drop)
}

pub async fn ask(
    kvnr: &str,
    consent: Option<&str>,
    dispensing_date: Option<&str>,
    lang: Lang,
) -> Result<Answer, Problem> {
    let body = QueryBody {
        kvnr: kvnr.into(),
        consent: consent.map(str::to_string),
        dispensing_date: dispensing_date.filter(|d| !d.is_empty()).map(str::to_string),
    };
    typed(json(post("/api/exemption-queries", &body, lang), lang).await?, lang)
}

/// The proof of an answer as a QR code: the server's SVG in a `data:` address for an `<img>`
/// (the CSP allows `data:` images; the SVG is never put into the page as markup).
pub async fn proof_qr(proof: &str, lang: Lang) -> Result<String, Problem> {
    let body = js_sys::Object::new();
    let _ = Reflect::set(&body, &JsValue::from_str("proof"), &JsValue::from_str(proof));
    let response = send(with_value("POST", "/api/proofs/qr", body.into(), lang), lang).await?;
    let svg = match response.text() {
        Ok(text) => JsFuture::from(text).await.ok().and_then(|t| t.as_string()),
        Err(_) => None,
    };
    let svg = svg.ok_or_else(|| Problem::network(lang))?;
    Ok(format!("data:image/svg+xml,{}", String::from(js_sys::encode_uri_component(&svg))))
}

/// The physicians a report can go to: by name, LANR, BSNR or postcode.
pub async fn physicians(q: &str, lang: Lang) -> Result<Vec<PhysicianBody>, Problem> {
    let q = String::from(js_sys::encode_uri_component(q));
    typed(json(get(&format!("/api/physicians?q={q}"), lang), lang).await?, lang)
}

/// The information pages for `berufsfeld` (empty: all) that the search `q` finds.
pub async fn content_pages(
    berufsfeld: &str,
    q: &str,
    lang: Lang,
) -> Result<Vec<portal_wire::ContentPageSummaryBody>, Problem> {
    let q = String::from(js_sys::encode_uri_component(q));
    let path = match berufsfeld {
        "" => format!("/api/content/pages?q={q}"),
        b => format!("/api/content/pages?berufsfeld={b}&q={q}"),
    };
    typed(json(get(&path, lang), lang).await?, lang)
}

/// One information page (its HTML sanitised by the server).
pub async fn content_page(slug: &str, lang: Lang) -> Result<portal_wire::ContentPageBody, Problem> {
    let slug = String::from(js_sys::encode_uri_component(slug));
    typed(json(get(&format!("/api/content/pages/{slug}"), lang), lang).await?, lang)
}

/// The practice's stamp, as the directory has it.
pub async fn practice(lang: Lang) -> Result<PracticeBody, Problem> {
    typed(json(get("/api/practice", lang), lang).await?, lang)
}

const REPORTS: &str = "/api/therapy-reports";

/// The practice's drafts and the reports it sent in the last month, last changed first.
pub async fn reports(lang: Lang) -> Result<Vec<ReportBody>, Problem> {
    typed(json(get(REPORTS, lang), lang).await?, lang)
}

pub async fn report(id: &str, lang: Lang) -> Result<ReportBody, Problem> {
    typed(json(get(&format!("{REPORTS}/{id}"), lang), lang).await?, lang)
}

/// Saves a draft: a new one without `id`, else the one with it.
pub async fn save_report(
    id: Option<&str>,
    draft: &ReportDraftBody,
    lang: Lang,
) -> Result<ReportBody, Problem> {
    let request = draft_value(draft).and_then(|value| match id {
        Some(id) => with_value("PUT", &format!("{REPORTS}/{id}"), value, lang),
        None => with_value("POST", REPORTS, value, lang),
    });
    typed(json(request, lang).await?, lang)
}

/// The draft as the browser's value, the same flat object its derived `Serialize` writes: the
/// form's fields, then `physician` and `corrects`. Built from the form's object here, as the
/// flattened serialization would compile serde's map writing into the wasm for this one body.
fn draft_value(draft: &ReportDraftBody) -> Option<JsValue> {
    let value = js::to_value(&draft.form).ok()?;
    let physician = js::to_value(&draft.physician).ok()?;
    Reflect::set(&value, &JsValue::from_str("physician"), &physician).ok()?;
    if let Some(corrects) = &draft.corrects {
        Reflect::set(&value, &JsValue::from_str("corrects"), &JsValue::from_str(corrects)).ok()?;
    }
    Some(value)
}

pub async fn delete_report(id: &str, lang: Lang) -> Result<(), Problem> {
    send(request("DELETE", &format!("{REPORTS}/{id}"), None, lang), lang).await.map(drop)
}

/// Sends a draft; the same `key` for a retry of the same sending, so it goes once.
pub async fn send_report(id: &str, key: &str, lang: Lang) -> Result<ReportBody, Problem> {
    let request = request("POST", &format!("{REPORTS}/{id}/send"), None, lang)
        .filter(|r| r.headers.set("Idempotency-Key", key).is_ok());
    typed(json(request, lang).await?, lang)
}

/// The report as its document (a PDF blob).
pub async fn report_pdf(id: &str, lang: Lang) -> Result<JsValue, Problem> {
    let response = send(get(&format!("{REPORTS}/{id}/pdf"), lang), lang).await?;
    let blob = response.blob().map_err(|_| Problem::network(lang))?;
    JsFuture::from(blob).await.map_err(|_| Problem::network(lang))
}

/// Puts the practice's own PDF behind the draft's cover: in AWS straight into S3 at a presigned
/// address (a Lambda takes at most 6 MB), then `complete`; where the portal has no such upload
/// (`direct_upload_only`: the local portal) as the body of `PUT …/attachment`. `progress` hears
/// the percent sent.
pub async fn upload_attachment(
    id: &str,
    file: &web_sys::File,
    lang: Lang,
    progress: impl Fn(u32) + 'static,
) -> Result<ReportBody, Problem> {
    let base = format!("{REPORTS}/{id}/attachment");
    let name = file.name();
    let ticket = json(request("POST", &format!("{base}/upload"), None, lang), lang).await;
    let answer = match ticket {
        Ok(ticket) => {
            // Read field by field (`UploadTicketBody`): a serde mapping per body costs the wasm
            // more than these few lookups.
            let field = |name: &str| {
                Reflect::get(&ticket, &JsValue::from_str(name)).ok().and_then(|v| v.as_string())
            };
            let (Some(upload), Some(url), Some(method), Some(content_type)) =
                (field("upload"), field("url"), field("method"), field("content_type"))
            else {
                return Err(Problem::network(lang));
            };
            let ct = [("Content-Type", content_type.as_str())];
            let (status, _) = put_file(&method, &url, &ct, file, lang, progress).await?;
            if !(200..300).contains(&status) {
                return Err(Problem { status, ..Problem::network(lang) });
            }
            let done = js_sys::Object::new();
            let _ = Reflect::set(&done, &JsValue::from_str("upload"), &JsValue::from_str(&upload));
            let _ = Reflect::set(&done, &JsValue::from_str("name"), &JsValue::from_str(&name));
            json(with_value("POST", &format!("{base}/complete"), done.into(), lang), lang).await?
        }
        Err(p) if p.code == Some(ProblemCode::DirectUploadOnly) => {
            let url = format!("{base}?name={}", js_sys::encode_uri_component(&name));
            let headers = [("Content-Type", "application/pdf"), ("Accept-Language", lang.tag())];
            let (status, text) = put_file("PUT", &url, &headers, file, lang, progress).await?;
            let value = JSON::parse(&text).map_err(|_| Problem::network(lang))?;
            if !(200..300).contains(&status) {
                let problem = js::from_value::<portal_wire::Problem>(known_codes(value))
                    .map_or_else(|_| Problem::network(lang), Problem::from);
                return Err(Problem { status, ..problem });
            }
            value
        }
        Err(p) => return Err(p),
    };
    typed(answer, lang)
}

/// Sends the file with `XMLHttpRequest` (fetch tells nothing of an upload's progress): its
/// status and answer, or a network problem.
async fn put_file(
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    file: &web_sys::File,
    lang: Lang,
    progress: impl Fn(u32) + 'static,
) -> Result<(u16, String), Problem> {
    use wasm_bindgen::closure::Closure;
    let network = || Problem::network(lang);
    let xhr = web_sys::XmlHttpRequest::new().map_err(|_| network())?;
    xhr.open_with_async(method, url, true).map_err(|_| network())?;
    for (name, value) in headers {
        xhr.set_request_header(name, value).map_err(|_| network())?;
    }
    let on_progress =
        Closure::<dyn FnMut(web_sys::ProgressEvent)>::new(move |e: web_sys::ProgressEvent| {
            if e.length_computable() && e.total() > 0.0 {
                progress((e.loaded() * 100.0 / e.total()) as u32);
            }
        });
    if let Ok(upload) = xhr.upload() {
        upload.set_onprogress(Some(on_progress.as_ref().unchecked_ref()));
    }
    let done = js_sys::Promise::new(&mut |resolve, _| {
        xhr.set_onloadend(Some(&resolve));
    });
    xhr.send_with_opt_blob(Some(file)).map_err(|_| network())?;
    let _ = JsFuture::from(done).await;
    if let Ok(upload) = xhr.upload() {
        upload.set_onprogress(None);
    }
    drop(on_progress);
    match xhr.status().unwrap_or(0) {
        0 => Err(network()),
        status => Ok((status, xhr.response_text().ok().flatten().unwrap_or_default())),
    }
}

/// Takes the own PDF off the draft.
pub async fn remove_attachment(id: &str, lang: Lang) -> Result<ReportBody, Problem> {
    typed(
        json(request("DELETE", &format!("{REPORTS}/{id}/attachment"), None, lang), lang).await?,
        lang,
    )
}

/// Begins the enrolment of an authenticator app: its secret, as text and as a QR code.
pub async fn enrol_totp(lang: Lang) -> Result<TotpEnrolmentBody, Problem> {
    typed(json(request("POST", "/api/second-factor/totp", None, lang), lang).await?, lang)
}

/// Confirms the enrolment with the app's first code: the ten recovery codes (a new session).
pub async fn confirm_totp(
    body: &TotpConfirmBody,
    lang: Lang,
) -> Result<RecoveryCodesBody, Problem> {
    typed(json(post("/api/second-factor/totp/confirm", body, lang), lang).await?, lang)
}

/// Removes the authenticator app (a new session).
pub async fn remove_totp(body: &TotpRemoveBody, lang: Lang) -> Result<(), Problem> {
    send(with_body("DELETE", "/api/second-factor/totp", body, lang), lang).await.map(drop)
}

/// The account's sessions.
pub async fn sessions(lang: Lang) -> Result<Vec<SessionEntryBody>, Problem> {
    typed(json(get("/api/sessions", lang), lang).await?, lang)
}

/// The provider's machine API clients.
pub async fn clients(lang: Lang) -> Result<Vec<ClientBody>, Problem> {
    typed(json(get("/api/clients", lang), lang).await?, lang)
}

/// The account's history of the last 90 days, the newest first.
pub async fn history(lang: Lang) -> Result<Vec<HistoryEntryBody>, Problem> {
    typed(json(get("/api/account/history", lang), lang).await?, lang)
}

/// "Das war ich nicht": the token of a change notice's link blocks the account.
pub async fn block_account(token: &str, lang: Lang) -> Result<(), Problem> {
    let body = BlockRequest { token: token.to_string() };
    send(post("/api/account/block", &body, lang), lang).await.map(drop)
}

/// Ends a session, revokes a client (`path`: its address), or ends every other session.
pub async fn delete(path: &str, lang: Lang) -> Result<(), Problem> {
    send(request("DELETE", path, None, lang), lang).await.map(drop)
}
