//! Faults at every step of a registration and of the dispatch: the real store and the real outbox,
//! wrapped so that one chosen operation fails once. Afterwards nothing may be half done, and once
//! the fault clears every letter arrives exactly once.

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use portal_core::accounts::{Accounts, Dispatched, RegisterError, SecretHasher, dispatch_letters};
use portal_core::model::{
    Account, Challenge, ChallengeId, Letter, LetterId, Policy, Sender, Session, SessionIdHash,
    Standing,
};
use portal_core::{
    AccountStore, ChallengeStore, LetterQueue, Limits, MailError, Mailer, ProviderDirectory, Saved,
    SessionStore, StoreError, SystemClock,
};
use portal_domain::{Ik, Provider};
use portal_mail_outbox::OutboxMailer;
use portal_store_embedded::EmbeddedStore;
use time::OffsetDateTime;

use crate::harness::{Embedded, embedded, tenant_ik};

/// Fails the named operation once, then behaves; notes every operation called.
pub(crate) struct Faulty<T> {
    inner: T,
    fail: Mutex<Option<&'static str>>,
    calls: Mutex<Vec<&'static str>>,
}

impl<T> Faulty<T> {
    fn new(inner: T, fail: &'static str) -> Faulty<T> {
        Faulty { inner, fail: Mutex::new(Some(fail)), calls: Mutex::default() }
    }

    /// Fails nothing: only notes the calls.
    pub(crate) fn recording(inner: T) -> Faulty<T> {
        Faulty { inner, fail: Mutex::new(None), calls: Mutex::default() }
    }

    /// The operations called since the last time this was asked.
    pub(crate) fn take_calls(&self) -> Vec<&'static str> {
        std::mem::take(&mut self.calls.lock().unwrap())
    }

    fn trip(&self, operation: &'static str) -> Result<(), StoreError> {
        self.calls.lock().unwrap().push(operation);
        let mut fail = self.fail.lock().unwrap();
        if *fail == Some(operation) {
            *fail = None;
            return Err(StoreError::unavailable(format!("injected fault in {operation}")));
        }
        Ok(())
    }
}

#[async_trait]
impl ProviderDirectory for Faulty<EmbeddedStore> {
    async fn put_providers(&self, providers: &[Provider]) -> Result<(), StoreError> {
        self.trip("put_providers")?;
        self.inner.put_providers(providers).await
    }
    async fn provider(&self, ik: &Ik) -> Result<Option<Provider>, StoreError> {
        self.trip("provider")?;
        self.inner.provider(ik).await
    }
    async fn is_empty(&self) -> Result<bool, StoreError> {
        self.trip("is_empty")?;
        self.inner.is_empty().await
    }
}

#[async_trait]
impl AccountStore for Faulty<EmbeddedStore> {
    async fn account(&self, ik: &Ik) -> Result<Option<Account>, StoreError> {
        self.trip("account")?;
        self.inner.account(ik).await
    }
    async fn standing(&self, ik: &Ik) -> Result<Option<Standing>, StoreError> {
        self.trip("standing")?;
        self.inner.standing(ik).await
    }
    async fn save_account(
        &self,
        account: &Account,
        letters: &[Letter],
    ) -> Result<Saved, StoreError> {
        self.trip("save_account")?;
        self.inner.save_account(account, letters).await
    }
}

#[async_trait]
impl LetterQueue for Faulty<EmbeddedStore> {
    async fn pending_letters(&self, limit: usize) -> Result<Vec<Letter>, StoreError> {
        self.trip("pending_letters")?;
        self.inner.pending_letters(limit).await
    }
    async fn claim_letter(
        &self,
        id: &LetterId,
        now: OffsetDateTime,
        until: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        self.trip("claim_letter")?;
        self.inner.claim_letter(id, now, until).await
    }
    async fn release_letter(&self, id: &LetterId) -> Result<(), StoreError> {
        self.trip("release_letter")?;
        self.inner.release_letter(id).await
    }
    async fn mark_sent(&self, id: &LetterId) -> Result<(), StoreError> {
        self.trip("mark_sent")?;
        self.inner.mark_sent(id).await
    }
    async fn mark_void(&self, id: &LetterId) -> Result<(), StoreError> {
        self.trip("mark_void")?;
        self.inner.mark_void(id).await
    }
}

#[async_trait]
impl SessionStore for Faulty<EmbeddedStore> {
    async fn put_session(&self, session: &Session) -> Result<(), StoreError> {
        self.trip("put_session")?;
        self.inner.put_session(session).await
    }
    async fn session(&self, id_hash: &SessionIdHash) -> Result<Option<Session>, StoreError> {
        self.trip("session")?;
        self.inner.session(id_hash).await
    }
    async fn delete_session(&self, id_hash: &SessionIdHash) -> Result<(), StoreError> {
        self.trip("delete_session")?;
        self.inner.delete_session(id_hash).await
    }
    async fn sessions_of(&self, ik: &Ik) -> Result<Vec<Session>, StoreError> {
        self.trip("sessions_of")?;
        self.inner.sessions_of(ik).await
    }
}

#[async_trait]
impl Limits for Faulty<EmbeddedStore> {
    async fn try_count(
        &self,
        key: &str,
        limit: u32,
        window_ends: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        self.trip("try_count")?;
        self.inner.try_count(key, limit, window_ends).await
    }
    async fn used(&self, key: &str) -> Result<u32, StoreError> {
        self.trip("used")?;
        self.inner.used(key).await
    }
}

#[async_trait]
impl ChallengeStore for Faulty<EmbeddedStore> {
    async fn put_challenge(&self, challenge: &Challenge) -> Result<(), StoreError> {
        self.trip("put_challenge")?;
        self.inner.put_challenge(challenge).await
    }
    async fn take_challenge(&self, id: &ChallengeId) -> Result<Option<Challenge>, StoreError> {
        self.trip("take_challenge")?;
        self.inner.take_challenge(id).await
    }
}

#[async_trait]
impl Mailer for Faulty<OutboxMailer> {
    async fn send(&self, letter: &Letter) -> Result<(), MailError> {
        self.trip("send").map_err(|e| MailError(Box::new(e)))?;
        self.inner.send(letter).await
    }
}

fn accounts(store: Arc<Faulty<EmbeddedStore>>) -> Accounts {
    Accounts {
        providers: store.clone(),
        accounts: store.clone(),
        sessions: store.clone(),
        challenges: store.clone(),
        history: Arc::new(store.inner.clone()),
        devices: Arc::new(store.inner.clone()),
        block_tokens: Arc::new(store.inner.clone()),
        limits: store,
        hasher: SecretHasher::new(2).unwrap(),
        clock: Arc::new(SystemClock),
        policy: Policy { challenge_difficulty: 4, ..Policy::default() },
        sender: Sender::default(),
        letters_queued: Arc::new(|| {}),
        secrets: Arc::new(portal_core::therapy::SecretCipher::without_key(&tenant_ik())),
        second_factor_required: false,
        issuer: "Serviceportal".into(),
        passkeys: None,
    }
}

async fn with_directory(fixture: &Embedded) {
    let mut rejected = Vec::new();
    portal_core::import::import_providers(
        &fixture.store,
        portal::demo::PROVIDERS.as_bytes(),
        &mut rejected,
    )
    .await
    .unwrap();
}

fn client() -> portal_domain::ClientAddress {
    portal_domain::ClientAddress::parse("127.0.0.1").unwrap()
}

async fn register(accounts: &Accounts) -> Result<(), RegisterError> {
    let challenge = accounts.new_challenge(client()).await?.expect("a challenge");
    let nonce =
        portal_domain::solve_proof_of_work(&challenge.salt, challenge.difficulty, 0, 1 << 20)
            .unwrap();
    let ik = Ik::parse("301412340").unwrap();
    accounts.register(ik, &challenge.id, &nonce.to_string()).await.map(drop)
}

fn outbox_files(dir: &std::path::Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    let mut names: Vec<String> =
        entries.map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    names.sort();
    names
}

#[tokio::test]
async fn a_store_failure_at_any_step_of_a_registration_leaves_nothing_half_done() {
    for step in ["take_challenge", "provider", "account", "try_count", "save_account"] {
        let fixture = embedded();
        with_directory(&fixture).await;
        let store = Arc::new(Faulty::new(fixture.store.clone(), step));
        let accounts = accounts(store);
        let ik = Ik::parse("301412340").unwrap();

        let failed = register(&accounts).await;
        assert!(matches!(failed, Err(RegisterError::Store(_))), "{step}: {failed:?}");
        assert_eq!(fixture.store.account(&ik).await.unwrap(), None, "{step}: no account");
        assert_eq!(fixture.store.pending_letters(10).await.unwrap(), [], "{step}: no letters");

        register(&accounts).await.unwrap_or_else(|e| panic!("{step}: the retry works: {e}"));
        let account = fixture.store.account(&ik).await.unwrap().unwrap();
        let letters = fixture.store.pending_letters(10).await.unwrap();
        assert_eq!(letters.len(), 2, "{step}");
        assert!(letters.iter().all(|l| l.generation == account.letters_generation), "{step}");
    }
}

#[tokio::test]
async fn a_failure_while_sending_loses_no_letter_and_sends_none_twice() {
    // (failing step, what the first round reports (None: it fails), letters the second round sends)
    let cases = [
        ("pending_letters", None, 2),
        ("claim_letter", None, 2),
        ("standing", None, 2),
        ("send", Some(Dispatched { sent: 1, voided: 0, failed: 1 }), 1),
        // The outbox had the first letter when marking it failed; sending it again rewrites the
        // same file. (SES cannot take a letter back: there this window can send one twice.)
        ("mark_sent", None, 2),
    ];
    for (step, first_round, second_sent) in cases {
        let fixture = embedded();
        with_directory(&fixture).await;
        register(&accounts(Arc::new(Faulty::new(fixture.store.clone(), "nothing")))).await.unwrap();
        let outbox = fixture.dir.path().join("outbox");
        let store = Faulty::new(fixture.store.clone(), step);
        let mailer = Faulty::new(OutboxMailer::new(&outbox), step);

        let first = dispatch_letters(&store, &store, &mailer, &SystemClock).await;
        assert_eq!(first.as_ref().ok(), first_round.as_ref(), "{step}: {first:?}");
        let second = dispatch_letters(&store, &store, &mailer, &SystemClock).await.unwrap();
        assert_eq!(second, Dispatched { sent: second_sent, voided: 0, failed: 0 }, "{step}");

        let files = outbox_files(&outbox);
        assert_eq!(files.len(), 2, "{step}: each letter exactly once: {files:?}");
        assert!(
            files[0].ends_with("-initial_password.eml") && files[1].ends_with("-pruefnummer.eml"),
            "{step}: {files:?}"
        );
        assert_eq!(
            fixture.store.pending_letters(10).await.unwrap(),
            [],
            "{step}: nothing left pending"
        );
    }
}
