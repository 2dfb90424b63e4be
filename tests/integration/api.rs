//! The portal as the tests call it: one method of [`TestApp`] per endpoint and per thing a
//! provider does (register, read the letters, log in, ask), so every test speaks the same way.

use std::time::Duration as StdDuration;

use portal_core::accounts::secret_in;
use portal_core::import::{import_exemptions, import_providers};
use reqwest::{Method, Response, StatusCode};
use serde_json::{Value, json};

use crate::harness::TestApp;

/// The demo pharmacy.
pub(crate) const IK: &str = "301412340";
pub(crate) const STRONG: &str = "Elbwiesen im Nebel 2026!";

/// What the two letters say.
pub(crate) struct Credentials {
    pub(crate) initial_password: String,
    pub(crate) pruefnummer: String,
}

/// Exemptions the query tests ask about; the test clock stands at 4 May 2026, so the previous
/// year is shown.
pub(crate) const EXEMPTIONS: &str = "\
kvnr;vorname;nachname;jahr;gueltig_ab;gueltig_bis
A123456780;Max;Mustermann;2026;2026-03-14;2026-12-31
A121212122;Özlem;Çelik;2025;2025-01-01;2025-12-31
A121212122;Özlem;Çelik;2026;2026-01-01;2026-12-31
B234567895;Hans-Peter;Müller-Lüdenscheidt;2025;2025-09-02;2025-12-31
";

impl TestApp {
    pub(crate) async fn post(&self, path: &str, body: Value) -> Response {
        self.http.post(self.url(path)).json(&body).send().await.unwrap()
    }

    /// A request with a session cookie (and a JSON body if given).
    pub(crate) async fn with_cookie(
        &self,
        method: Method,
        path: &str,
        cookie: &str,
        body: Option<Value>,
    ) -> Response {
        let mut request = self.http.request(method, self.url(path)).header("cookie", cookie);
        if let Some(body) = body {
            request = request.json(&body);
        }
        request.send().await.unwrap()
    }

    /// The demo providers in the directory.
    pub(crate) async fn with_directory(&self) {
        let mut rejected = Vec::new();
        let directory = portal::demo::PROVIDERS.as_bytes();
        import_providers(self.stores.providers.as_ref(), directory, &mut rejected).await.unwrap();
        assert!(rejected.is_empty());
    }

    /// `GET /api/challenge`, solved: its id and nonce.
    pub(crate) async fn challenge(&self) -> (String, String) {
        let c: Value =
            self.http.get(self.url("/api/challenge")).send().await.unwrap().json().await.unwrap();
        let salt = c["salt"].as_str().unwrap();
        let difficulty = c["difficulty"].as_u64().unwrap() as u8;
        let nonce = portal_domain::solve_proof_of_work(salt, difficulty, 0, 1 << 24).unwrap();
        (c["id"].as_str().unwrap().to_string(), nonce.to_string())
    }

    /// `POST /api/registrations` with a solved security check.
    pub(crate) async fn register(&self, ik: &str) -> Response {
        let (id, nonce) = self.challenge().await;
        let body =
            json!({"ik": ik, "terms_accepted": true, "challenge": {"id": id, "nonce": nonce}});
        self.post("/api/registrations", body).await
    }

    /// The outbox files of one kind, oldest first (letter ids are ULIDs, which sort by time).
    pub(crate) fn letters_of_kind(&self, kind: &str) -> Vec<String> {
        let Ok(entries) = std::fs::read_dir(&self.outbox) else { return Vec::new() };
        let mut names: Vec<_> = entries
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .filter(|name| name.ends_with(&format!("-{kind}.eml")))
            .collect();
        names.sort();
        names.iter().map(|name| std::fs::read_to_string(self.outbox.join(name)).unwrap()).collect()
    }

    /// Waits for the dispatcher to write `count` letters of `kind`.
    pub(crate) async fn wait_for_letters(&self, kind: &str, count: usize) -> Vec<String> {
        for _ in 0..200 {
            let letters = self.letters_of_kind(kind);
            if letters.len() >= count {
                return letters;
            }
            tokio::time::sleep(StdDuration::from_millis(25)).await;
        }
        panic!("{count} letters of kind {kind} did not arrive in the outbox");
    }

    /// The newest pair of credential letters, read as a person reads them.
    pub(crate) async fn read_letters(&self, generation: usize) -> Credentials {
        let passwords = self.wait_for_letters("initial_password", generation).await;
        let pruefnummern = self.wait_for_letters("pruefnummer", generation).await;
        Credentials {
            initial_password: secret_in(passwords.last().unwrap(), "Initialkennwort").unwrap(),
            pruefnummer: secret_in(pruefnummern.last().unwrap(), "Prüfnummer").unwrap(),
        }
    }

    /// The demo pharmacy registered, its two letters read.
    pub(crate) async fn registered(&self) -> Credentials {
        self.with_directory().await;
        assert_eq!(self.register(IK).await.status(), StatusCode::ACCEPTED);
        self.read_letters(1).await
    }

    /// `POST /api/session`.
    pub(crate) async fn login(&self, ik: &str, password: &str) -> Response {
        self.post("/api/session", json!({"ik": ik, "password": password})).await
    }

    /// A login with a solved security check, as the app sends it after `challenge_required`.
    pub(crate) async fn login_with_check(&self, ik: &str, password: &str) -> Response {
        let (id, nonce) = self.challenge().await;
        let body = json!({"ik": ik, "password": password, "challenge": {"id": id, "nonce": nonce}});
        self.post("/api/session", body).await
    }

    /// Registered, logged in with the initial password, own password set: an active provider,
    /// and the session it goes on in.
    pub(crate) async fn active(&self) -> (Credentials, String) {
        let credentials = self.registered().await;
        let session = self.own_password_set(IK, &credentials).await;
        (credentials, session)
    }

    /// `ik` (in the directory) registered, its `generation`-th pair of letters read, logged in
    /// and its own password set: the session it goes on in.
    pub(crate) async fn activated(&self, ik: &str, generation: usize) -> String {
        assert_eq!(self.register(ik).await.status(), StatusCode::ACCEPTED);
        let credentials = self.read_letters(generation).await;
        self.own_password_set(ik, &credentials).await
    }

    /// Logged in with the initial password, own password set with the Prüfnummer.
    async fn own_password_set(&self, ik: &str, credentials: &Credentials) -> String {
        let session = cookie(&self.login(ik, &credentials.initial_password).await);
        let body = json!({"pruefnummer": credentials.pruefnummer, "new_password": STRONG});
        let set = self.with_cookie(Method::POST, "/api/password", &session, Some(body)).await;
        assert_eq!(set.status(), StatusCode::NO_CONTENT);
        cookie(&set)
    }

    /// An active provider's session on a portal that knows the exemptions above.
    pub(crate) async fn provider_session(&self) -> String {
        let mut rejected = Vec::new();
        let file = EXEMPTIONS.as_bytes();
        import_exemptions(self.stores.exemptions.as_ref(), file, None, &mut rejected)
            .await
            .unwrap();
        self.active().await.1
    }

    /// `POST /api/exemption-queries`.
    pub(crate) async fn ask(&self, session: &str, body: Value) -> Response {
        self.with_cookie(Method::POST, "/api/exemption-queries", session, Some(body)).await
    }

    /// An answered query, without its (random) query id and its signed proof (`tests/proofs.rs`
    /// checks those).
    pub(crate) async fn answer(&self, session: &str, body: Value) -> Value {
        let response = self.ask(session, body).await;
        assert_eq!(response.status(), StatusCode::OK);
        let mut answer: Value = response.json().await.unwrap();
        let query_id = answer.as_object_mut().unwrap().remove("query_id").unwrap();
        assert_eq!(query_id.as_str().unwrap().len(), 26, "a ULID");
        let proof = answer.as_object_mut().unwrap().remove("proof").unwrap();
        assert_eq!(proof.as_str().unwrap().split('.').count(), 3, "a compact JWS");
        answer
    }

    /// Runs a back-office action as `portal accounts` does.
    pub(crate) async fn back_office(&self, action: portal::backoffice::Action) -> String {
        let hasher = portal_core::accounts::SecretHasher::for_this_machine().unwrap();
        let accounts = portal_core::UseCases::wire(
            &self.stores,
            &TestApp::config(self.data_dir.path()).settings,
            &self.tenant,
            &hasher,
            &portal_core::therapy::Reporting::none(),
            std::sync::Arc::new(self.clock.clone()),
            std::sync::Arc::new(|| {}),
        )
        .accounts;
        portal::backoffice::run(&accounts, action, portal_domain::Lang::De).await.unwrap()
    }
}

/// The session cookie an answer sets.
pub(crate) fn cookie(response: &Response) -> String {
    let set_cookie = response.headers()["set-cookie"].to_str().unwrap();
    set_cookie.split(';').next().unwrap().to_string()
}

/// A problem document's status and body (and that it is one).
pub(crate) async fn problem(response: Response) -> (StatusCode, Value) {
    let status = response.status();
    assert_eq!(response.headers()["content-type"], "application/problem+json", "{status}");
    (status, response.json().await.unwrap())
}
