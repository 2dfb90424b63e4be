//! The store contract: every case runs against the embedded store and against DynamoDB Local, so
//! the local portal and AWS behave alike.

use portal_core::model::{
    Account, AuditEntry, Browser, Challenge, ChallengeId, Counter, FactorKind, Letter, LetterId,
    LetterKind, Limit, Outcome, Policy, QueryId, Recorded, SecondFactor, Session, SessionIdHash,
    SessionStage,
};
use portal_core::{AuditLog, Saved};
use portal_domain::therapy::{Bsnr, KimAddress, Lanr, Physician, PhysicianQuery};
use portal_domain::{Address, EmailAddress, Exemption, Ik, Initials, Kvnr, Provider};
use time::macros::{date, datetime};
use time::{Date, Duration, OffsetDateTime};

on_both_stores! {
    a_provider_reads_back_as_it_was_written,
    an_ik_not_in_the_directory_has_no_provider,
    writing_a_provider_again_replaces_its_entry,
    the_directory_is_empty_until_a_provider_is_written,
    the_last_of_two_entries_for_one_ik_in_a_batch_wins,
    a_persons_exemptions_come_newest_year_first,
    a_person_without_exemptions_has_none,
    writing_an_exemption_again_replaces_that_year_only,
    the_last_of_two_rows_for_one_person_and_year_in_a_batch_wins,
    a_large_batch_is_written_completely,
    everyone_exempt_in_a_year_is_listed_once,
    removing_exemptions_of_a_year_leaves_other_years_and_people,
    an_account_reads_back_as_it_was_saved,
    an_accounts_standing_is_read_without_its_secrets,
    a_save_with_a_stale_version_is_refused_and_changes_nothing,
    letters_are_queued_only_together_with_their_account,
    a_letter_is_pending_until_sent_or_void_and_then_loses_its_text,
    a_pending_letter_is_reserved_by_one_dispatcher_until_released_or_its_lease_ends,
    a_session_is_created_extended_and_deleted,
    a_providers_sessions_are_listed_with_their_stage_and_browser_and_no_one_elses,
    an_accounts_second_factor_reads_back_as_saved_and_goes_when_removed,
    a_counter_stops_at_its_limit_per_key,
    a_challenge_can_be_taken_only_once,
    a_limit_holds_under_fifty_concurrent_counts,
    a_query_is_counted_and_recorded_together,
    at_a_reached_limit_a_query_is_neither_counted_nor_recorded,
    a_record_is_found_by_its_providers_ik_and_its_place_in_the_chain,
    concurrent_queries_of_one_provider_form_one_unbroken_chain,
    a_physician_reads_back_and_is_found_by_number_postcode_and_name,
    a_changed_physician_is_no_longer_found_by_what_it_was,
    a_physician_search_returns_at_most_the_limit_by_name,
}

pub use portal::stores::Store;

pub fn provider(ik: &str, name: &str) -> Provider {
    let email = EmailAddress::parse("post@muster-apotheke.example").unwrap();
    Provider::new(Ik::parse(ik).unwrap(), name, email, "Altmarkt 1", "01067", "Dresden", "apotheke")
        .unwrap()
}

pub fn kvnr(s: &str) -> Kvnr {
    Kvnr::parse(s).unwrap()
}

pub fn exemption(k: &str, year: i32, from: Date, to: Date) -> Exemption {
    let initials = Initials::from_names("Özlem", "Çelik").unwrap();
    Exemption::new(kvnr(k), initials, year, from, to).unwrap()
}

pub fn whole_year(k: &str, year: i32) -> Exemption {
    let from = Date::from_ordinal_date(year, 1).unwrap();
    let to = Date::from_calendar_date(year, time::Month::December, 31).unwrap();
    exemption(k, year, from, to)
}

/// `n` distinct valid KVNRs: A000000000 + i with its check digit.
pub fn many_kvnrs(n: usize) -> Vec<Kvnr> {
    (0..)
        .flat_map(|i: u64| (0..10).map(move |c| format!("A{i:08}{c}")))
        .filter_map(|s| Kvnr::parse(&s).ok())
        .take(n)
        .collect()
}

async fn a_provider_reads_back_as_it_was_written(store: &impl Store) {
    let written = provider("301412340", "Muster-Apotheke am Altmarkt");
    store.put_providers(std::slice::from_ref(&written)).await.unwrap();
    assert_eq!(store.provider(&written.ik).await.unwrap(), Some(written));
}

async fn an_ik_not_in_the_directory_has_no_provider(store: &impl Store) {
    store.put_providers(&[provider("301412340", "A")]).await.unwrap();
    assert_eq!(store.provider(&Ik::parse("401612342").unwrap()).await.unwrap(), None);
}

async fn writing_a_provider_again_replaces_its_entry(store: &impl Store) {
    store.put_providers(&[provider("301412340", "Alter Name")]).await.unwrap();
    store.put_providers(&[provider("301412340", "Neuer Name")]).await.unwrap();
    let read = store.provider(&Ik::parse("301412340").unwrap()).await.unwrap().unwrap();
    assert_eq!(read.name, "Neuer Name");
}

async fn the_directory_is_empty_until_a_provider_is_written(store: &impl Store) {
    assert!(store.is_empty().await.unwrap());
    store.put_providers(&[provider("301412340", "A")]).await.unwrap();
    assert!(!store.is_empty().await.unwrap());
}

async fn the_last_of_two_entries_for_one_ik_in_a_batch_wins(store: &impl Store) {
    let batch = [
        provider("301412340", "Erster"),
        provider("401612342", "B"),
        provider("301412340", "Zweiter"),
    ];
    store.put_providers(&batch).await.unwrap();
    let read = store.provider(&Ik::parse("301412340").unwrap()).await.unwrap().unwrap();
    assert_eq!(read.name, "Zweiter");
}

async fn a_persons_exemptions_come_newest_year_first(store: &impl Store) {
    let years = [
        whole_year("A121212122", 2024),
        whole_year("A121212122", 2026),
        whole_year("A121212122", 2025),
    ];
    store.put_exemptions(&years).await.unwrap();
    let read = store.exemptions_of(&kvnr("A121212122")).await.unwrap();
    assert_eq!(read.iter().map(Exemption::year).collect::<Vec<_>>(), [2026, 2025, 2024]);
    assert_eq!(read[0], years[1], "every field reads back");
}

async fn a_person_without_exemptions_has_none(store: &impl Store) {
    store.put_exemptions(&[whole_year("A121212122", 2026)]).await.unwrap();
    assert_eq!(store.exemptions_of(&kvnr("A123456780")).await.unwrap(), []);
}

async fn writing_an_exemption_again_replaces_that_year_only(store: &impl Store) {
    store
        .put_exemptions(&[whole_year("A123456780", 2025), whole_year("A123456780", 2026)])
        .await
        .unwrap();
    let later = exemption("A123456780", 2026, date!(2026 - 03 - 14), date!(2026 - 12 - 31));
    store.put_exemptions(std::slice::from_ref(&later)).await.unwrap();
    let read = store.exemptions_of(&kvnr("A123456780")).await.unwrap();
    assert_eq!(read, [later, whole_year("A123456780", 2025)]);
}

async fn the_last_of_two_rows_for_one_person_and_year_in_a_batch_wins(store: &impl Store) {
    let last = exemption("A123456780", 2026, date!(2026 - 06 - 01), date!(2026 - 12 - 31));
    store.put_exemptions(&[whole_year("A123456780", 2026), last.clone()]).await.unwrap();
    assert_eq!(store.exemptions_of(&kvnr("A123456780")).await.unwrap(), [last]);
}

async fn a_large_batch_is_written_completely(store: &impl Store) {
    let kvnrs = many_kvnrs(1_000);
    let batch: Vec<Exemption> = kvnrs.iter().map(|k| whole_year(k.as_str(), 2026)).collect();
    store.put_exemptions(&batch).await.unwrap();
    let mut listed = store.exempt_in(2026).await.unwrap();
    listed.sort();
    assert_eq!(listed, kvnrs);
    assert_eq!(store.exemptions_of(&kvnrs[999]).await.unwrap(), [batch[999].clone()]);
}

async fn everyone_exempt_in_a_year_is_listed_once(store: &impl Store) {
    let kvnrs = many_kvnrs(40);
    let mut batch: Vec<Exemption> = kvnrs.iter().map(|k| whole_year(k.as_str(), 2026)).collect();
    batch.extend(kvnrs[..10].iter().map(|k| whole_year(k.as_str(), 2025)));
    store.put_exemptions(&batch).await.unwrap();
    let mut listed = store.exempt_in(2026).await.unwrap();
    listed.sort();
    assert_eq!(listed, kvnrs);
    assert_eq!(store.exempt_in(2025).await.unwrap().len(), 10);
    assert_eq!(store.exempt_in(2024).await.unwrap(), []);
}

async fn removing_exemptions_of_a_year_leaves_other_years_and_people(store: &impl Store) {
    let batch = [
        whole_year("A123456780", 2025),
        whole_year("A123456780", 2026),
        whole_year("A121212122", 2026),
    ];
    store.put_exemptions(&batch).await.unwrap();
    store.remove_exemptions(2026, &[kvnr("A123456780"), kvnr("B234567895")]).await.unwrap();
    assert_eq!(store.exemptions_of(&kvnr("A123456780")).await.unwrap(), [batch[0].clone()]);
    assert_eq!(store.exemptions_of(&kvnr("A121212122")).await.unwrap(), [batch[2].clone()]);
}

const NOW: OffsetDateTime = datetime!(2026-05-04 08:00:00.123456789 UTC);

fn account() -> Account {
    let ik = Ik::parse("301412340").unwrap();
    let mut account = Account::registered(
        ik,
        None,
        "$argon2id$p".into(),
        "$argon2id$q".into(),
        NOW,
        &Policy::default(),
    );
    account.blocked = true;
    account
}

/// Letter ids as the use cases make them: increasing.
fn letter(account: &Account, kind: LetterKind) -> Letter {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    Letter {
        id: LetterId::parse(&format!("01JD{n:022}")).unwrap(),
        ik: account.ik,
        kind,
        generation: account.letters_generation,
        recipient: "post@muster-apotheke.example".into(),
        message: format!("Subject: {}\r\n\r\nPrüfnummer: ABCD-EFGH-JK12\r\n", kind.as_str()),
        created_at: NOW,
    }
}

async fn an_account_reads_back_as_it_was_saved(store: &impl Store) {
    let saved = account();
    assert_eq!(store.save_account(&saved, &[]).await.unwrap(), Saved::Done);
    let read = store.account(&saved.ik).await.unwrap().unwrap();
    assert_eq!(read, Account { version: 1, ..saved });
}

async fn an_accounts_standing_is_read_without_its_secrets(store: &impl Store) {
    let mut account = account();
    assert_eq!(store.standing(&account.ik).await.unwrap(), None, "no account yet");
    store.save_account(&account, &[]).await.unwrap();
    let standing = store.standing(&account.ik).await.unwrap();
    assert_eq!(standing, Some(account.standing()));
    account.version = 1;
    account.set_own_password("$argon2id$own".into(), NOW + time::Duration::MINUTE);
    account.letters_generation += 1;
    store.save_account(&account, &[]).await.unwrap();
    let standing = store.standing(&account.ik).await.unwrap().unwrap();
    assert!(!standing.must_change_password, "an own password was set");
    assert_eq!(standing.letters_generation, account.letters_generation);
    assert_eq!(standing.sessions_valid_from, NOW + time::Duration::MINUTE);
}

async fn a_save_with_a_stale_version_is_refused_and_changes_nothing(store: &impl Store) {
    let first = account();
    store.save_account(&first, &[]).await.unwrap();
    assert_eq!(
        store.save_account(&first, &[]).await.unwrap(),
        Saved::Conflict,
        "version 0 exists now"
    );
    let mut read = store.account(&first.ik).await.unwrap().unwrap();
    read.blocked = false;
    assert_eq!(store.save_account(&read, &[]).await.unwrap(), Saved::Done);
    read.blocked = true;
    assert_eq!(
        store.save_account(&read, &[]).await.unwrap(),
        Saved::Conflict,
        "read.version is stale"
    );
    let stored = store.account(&first.ik).await.unwrap().unwrap();
    assert_eq!((stored.blocked, stored.version), (false, 2));
}

async fn letters_are_queued_only_together_with_their_account(store: &impl Store) {
    let account = account();
    let letters =
        [letter(&account, LetterKind::InitialPassword), letter(&account, LetterKind::Pruefnummer)];
    store.save_account(&account, &letters).await.unwrap();
    let refused = [letter(&account, LetterKind::PasswordChanged)];
    assert_eq!(store.save_account(&account, &refused).await.unwrap(), Saved::Conflict);
    let pending = store.pending_letters(10).await.unwrap();
    assert_eq!(pending, letters, "both letters, in order, and not the refused one");
}

async fn a_letter_is_pending_until_sent_or_void_and_then_loses_its_text(store: &impl Store) {
    let account = account();
    let letters: Vec<Letter> =
        (0..3).map(|_| letter(&account, LetterKind::PasswordChanged)).collect();
    store.save_account(&account, &letters).await.unwrap();
    store.mark_sent(&letters[0].id).await.unwrap();
    store.mark_void(&letters[1].id).await.unwrap();
    assert_eq!(store.pending_letters(10).await.unwrap(), [letters[2].clone()]);
    assert_eq!(store.pending_letters(0).await.unwrap(), []);
}

async fn a_pending_letter_is_reserved_by_one_dispatcher_until_released_or_its_lease_ends(
    store: &impl Store,
) {
    let account = account();
    let letters: Vec<Letter> =
        (0..2).map(|_| letter(&account, LetterKind::PasswordChanged)).collect();
    store.save_account(&account, &letters).await.unwrap();
    let (id, lease_ends) = (&letters[0].id, NOW + Duration::minutes(2));

    let claims = futures::future::join_all((0..5).map(|_| store.claim_letter(id, NOW, lease_ends)));
    let won: Vec<bool> = claims.await.into_iter().map(Result::unwrap).filter(|won| *won).collect();
    assert_eq!(won.len(), 1, "five dispatchers at once: one gets it");
    assert!(!store.claim_letter(id, lease_ends - Duration::SECOND, NOW).await.unwrap());
    assert!(store.claim_letter(id, lease_ends, lease_ends + Duration::MINUTE).await.unwrap());
    store.release_letter(id).await.unwrap();
    assert!(store.claim_letter(id, NOW, lease_ends).await.unwrap(), "released: free again");

    store.mark_sent(id).await.unwrap();
    let much_later = NOW + Duration::days(1);
    assert!(!store.claim_letter(id, much_later, much_later).await.unwrap(), "sent: never again");
    assert_eq!(store.pending_letters(10).await.unwrap(), [letters[1].clone()], "still pending");
}

async fn a_session_is_created_extended_and_deleted(store: &impl Store) {
    let ik = Ik::parse("301412340").unwrap();
    let session = Session {
        id_hash: SessionIdHash::parse(&"ab".repeat(32)).unwrap(),
        ik,
        created_at: NOW,
        idle_expires_at: NOW + Duration::minutes(10),
        last_active_at: NOW,
        stage: SessionStage::Full,
        browser: Browser::Firefox,
    };
    store.put_session(&session).await.unwrap();
    assert_eq!(store.session(&session.id_hash).await.unwrap(), Some(session.clone()));
    let extended = session.extended(NOW + Duration::minutes(5), &Policy::default());
    store.put_session(&extended).await.unwrap();
    assert_eq!(store.session(&session.id_hash).await.unwrap(), Some(extended));
    store.delete_session(&session.id_hash).await.unwrap();
    assert_eq!(store.session(&session.id_hash).await.unwrap(), None);
    let unknown = SessionIdHash::parse(&"cd".repeat(32)).unwrap();
    assert_eq!(store.session(&unknown).await.unwrap(), None);
}

async fn a_providers_sessions_are_listed_with_their_stage_and_browser_and_no_one_elses(
    store: &impl Store,
) {
    let (ik, other) = (Ik::parse("301412340").unwrap(), Ik::parse("401612342").unwrap());
    let session = |hex: &str, ik: Ik, minutes: i64, stage, browser| Session {
        id_hash: SessionIdHash::parse(&hex.repeat(32)).unwrap(),
        ik,
        created_at: NOW + Duration::minutes(minutes),
        idle_expires_at: NOW + Duration::minutes(minutes + 10),
        last_active_at: NOW + Duration::minutes(minutes),
        stage,
        browser,
    };
    let first = session("a1", ik, 0, SessionStage::Full, Browser::Firefox);
    let second = session("a2", ik, 1, SessionStage::SecondFactor, Browser::Safari);
    let third = session("a3", ik, 2, SessionStage::Enrolment, Browser::Other);
    let elsewhere = session("b1", other, 0, SessionStage::Full, Browser::Chrome);
    assert_eq!(store.sessions_of(&ik).await.unwrap(), []);
    for s in [&first, &second, &third, &elsewhere] {
        store.put_session(s).await.unwrap();
    }
    let sorted = |mut list: Vec<Session>| {
        list.sort_by_key(|s| s.created_at);
        list
    };
    assert_eq!(
        sorted(store.sessions_of(&ik).await.unwrap()),
        [first.clone(), second.clone(), third.clone()]
    );
    assert_eq!(store.sessions_of(&other).await.unwrap(), [elsewhere]);
    // Extending one changes its entry, not the number.
    let extended = first.extended(NOW + Duration::minutes(5), &Policy::default());
    store.put_session(&extended).await.unwrap();
    store.delete_session(&second.id_hash).await.unwrap();
    assert_eq!(sorted(store.sessions_of(&ik).await.unwrap()), [extended, third]);
}

async fn an_accounts_second_factor_reads_back_as_saved_and_goes_when_removed(store: &impl Store) {
    let mut saved = account();
    saved.second_factor = Some(SecondFactor {
        kind: FactorKind::Totp,
        sealed_secret: vec![1, 0, 255, 7, 42],
        active: false,
        last_step: 0,
        recovery_codes: Vec::new(),
    });
    assert_eq!(store.save_account(&saved, &[]).await.unwrap(), Saved::Done);
    let mut read = store.account(&saved.ik).await.unwrap().unwrap();
    assert_eq!(read, Account { version: 1, ..saved.clone() });
    // The other kind, as a passkey replaces an authenticator app.
    read.second_factor = Some(SecondFactor {
        kind: FactorKind::Passkey,
        sealed_secret: vec![1, 0, 255, 7, 42, 9],
        active: true,
        last_step: 59_340_123,
        recovery_codes: vec!["ab12$cd34".into(), "ef56$0789".into()],
    });
    assert_eq!(store.save_account(&read, &[]).await.unwrap(), Saved::Done);
    let again = store.account(&saved.ik).await.unwrap().unwrap();
    assert_eq!(again, Account { version: 2, ..read.clone() });
    assert!(again.has_active_factor());
    let mut removed = again;
    removed.second_factor = None;
    assert_eq!(store.save_account(&removed, &[]).await.unwrap(), Saved::Done);
    let last = store.account(&saved.ik).await.unwrap().unwrap();
    assert_eq!(last.second_factor, None);
    // The standing never carries it (the query's role may not read it).
    assert_eq!(store.standing(&saved.ik).await.unwrap(), Some(last.standing()));
}

async fn a_counter_stops_at_its_limit_per_key(store: &impl Store) {
    let window_ends = NOW + Duration::days(1);
    for _ in 0..3 {
        assert!(
            store.try_count("registrations#301412340#2026-05-04", 3, window_ends).await.unwrap()
        );
    }
    assert!(!store.try_count("registrations#301412340#2026-05-04", 3, window_ends).await.unwrap());
    assert!(store.try_count("registrations#401612342#2026-05-04", 3, window_ends).await.unwrap());
    assert!(
        !store.try_count("never", 0, window_ends).await.unwrap(),
        "a limit of 0 allows nothing"
    );
}

async fn a_challenge_can_be_taken_only_once(store: &impl Store) {
    let challenge = Challenge {
        id: ChallengeId::new(),
        salt: "c2FsdA".into(),
        difficulty: 16,
        expires_at: NOW,
    };
    store.put_challenge(&challenge).await.unwrap();
    assert_eq!(store.take_challenge(&challenge.id).await.unwrap(), Some(challenge.clone()));
    assert_eq!(store.take_challenge(&challenge.id).await.unwrap(), None);
    assert_eq!(store.take_challenge(&ChallengeId::new()).await.unwrap(), None);
}

async fn a_limit_holds_under_fifty_concurrent_counts(store: &impl Store) {
    let window_ends = NOW + Duration::minutes(1);
    let counts = (0..50).map(|_| store.try_count("burst#301412340#1", 20, window_ends));
    let admitted = futures::future::join_all(counts)
        .await
        .into_iter()
        .filter(|r| *r.as_ref().unwrap())
        .count();
    assert_eq!(admitted, 20);
}

fn entry(n: u32) -> AuditEntry {
    AuditEntry {
        query_id: QueryId::parse(&format!("01JD{n:022}")).unwrap(),
        ik: Ik::parse("301412340").unwrap(),
        at: NOW + Duration::milliseconds(i64::from(n)),
        kvnr: kvnr("A123456780"),
        consent: portal_domain::Consent::InsuredPresent,
        dispensing_date: Some(date!(2026 - 03 - 14)),
        outcome: Outcome::parse("exempt:2026;dispensing:yes").unwrap(),
        // Both channels, so that both are stored, read back and hashed.
        channel: if n.is_multiple_of(2) {
            portal_core::model::Channel::Api
        } else {
            portal_core::model::Channel::Web
        },
        expires_at: NOW + Duration::days(730),
    }
}

fn burst() -> Counter {
    Counter::burst(Ik::parse("301412340").unwrap(), NOW)
}

fn quota() -> Counter {
    Counter::quota(Ik::parse("301412340").unwrap(), NOW)
}

fn limits(burst_limit: u32, day: u32) -> [Limit; 2] {
    [Limit { counter: burst(), limit: burst_limit }, Limit { counter: quota(), limit: day }]
}

async fn a_query_is_counted_and_recorded_together(store: &impl Store) {
    let Recorded::Done(first) = store.record_query(&entry(1), &limits(5, 5)).await.unwrap() else {
        panic!("recorded")
    };
    let Recorded::Done(second) = store.record_query(&entry(2), &limits(5, 5)).await.unwrap() else {
        panic!("recorded")
    };
    assert_eq!((first.seq, second.seq), (1, 2));
    assert_eq!(second.prev_hash, first.hash);
    let intact = crate::harness::intact;
    assert_eq!(
        intact(store.audit_of_ik(&first.ik).await.unwrap()),
        [first.clone(), second.clone()]
    );
    assert_eq!(intact(store.audit_of_kvnr(&first.kvnr).await.unwrap()), [first, second]);
    let day = quota();
    assert!(store.try_count(&day.key(), 3, day.window_ends()).await.unwrap(), "2 of 3 used");
    assert!(!store.try_count(&day.key(), 3, day.window_ends()).await.unwrap(), "3 of 3 used");
}

async fn at_a_reached_limit_a_query_is_neither_counted_nor_recorded(store: &impl Store) {
    store.record_query(&entry(1), &limits(1, 5)).await.unwrap();
    assert_eq!(
        store.record_query(&entry(2), &limits(1, 5)).await.unwrap(),
        Recorded::OverLimit(burst())
    );
    assert_eq!(
        store.record_query(&entry(3), &limits(5, 1)).await.unwrap(),
        Recorded::OverLimit(quota())
    );
    assert_eq!(store.audit_of_ik(&Ik::parse("301412340").unwrap()).await.unwrap().len(), 1);
    assert!(
        store.try_count(&burst().key(), 2, burst().window_ends()).await.unwrap(),
        "the refused query used no burst"
    );
}

async fn a_record_is_found_by_its_providers_ik_and_its_place_in_the_chain(store: &impl Store) {
    let ik = Ik::parse("301412340").unwrap();
    let Recorded::Done(first) = store.record_query(&entry(1), &limits(5, 5)).await.unwrap() else {
        panic!("recorded")
    };
    let Recorded::Done(second) = store.record_query(&entry(2), &limits(5, 5)).await.unwrap() else {
        panic!("recorded")
    };
    let found = |seq| async move { store.audit_record(&ik, seq).await.unwrap() };
    assert_eq!(found(1).await.and_then(|r| r.intact().cloned()), Some(first));
    assert_eq!(found(2).await.and_then(|r| r.intact().cloned()), Some(second));
    // Not yet written, the head's place, and another provider's chain: nothing.
    assert_eq!(found(3).await, None);
    assert_eq!(found(0).await, None);
    assert_eq!(store.audit_record(&Ik::parse("401612342").unwrap(), 1).await.unwrap(), None);
}

async fn concurrent_queries_of_one_provider_form_one_unbroken_chain(store: &impl Store) {
    let queries = (1..=30).map(|n| store.record_query_owned(entry(n)));
    let recorded = futures::future::join_all(queries).await;
    assert!(recorded.iter().all(|r| matches!(r, Ok(Recorded::Done(_)))), "{recorded:?}");
    let chain = store.audit_of_ik(&Ik::parse("301412340").unwrap()).await.unwrap();
    assert_eq!(chain.iter().map(|r| r.seq()).collect::<Vec<_>>(), (1..=30).collect::<Vec<u64>>());
    let verified = portal_core::oha::verify_audit(store, NOW, Duration::days(730)).await.unwrap();
    assert_eq!((verified.chains, verified.records, verified.problems), (1, 30, vec![]));
}

/// `record_query` with the limits owned by the future, so many can run at once.
trait RecordOwned {
    async fn record_query_owned(
        &self,
        entry: AuditEntry,
    ) -> Result<Recorded, portal_core::StoreError>;
}

impl<S: Store> RecordOwned for S {
    async fn record_query_owned(
        &self,
        entry: AuditEntry,
    ) -> Result<Recorded, portal_core::StoreError> {
        self.record_query(&entry, &limits(100, 100)).await
    }
}

/// DynamoDB removes expired items by TTL; the embedded store purges them itself.
#[tokio::test]
async fn the_embedded_store_purges_audit_records_whose_retention_ended() {
    let fixture = crate::harness::embedded();
    let store = &fixture.store;
    let long_ago = datetime!(2023-02-01 09:00 UTC);
    let expired =
        AuditEntry { at: long_ago, expires_at: long_ago + Duration::days(730), ..entry(1) };
    store.record_query(&expired, &limits(5, 5)).await.unwrap();
    store.record_query(&entry(2), &limits(5, 5)).await.unwrap();
    let ik = expired.ik;

    store.purge_expired(OffsetDateTime::now_utc()).await.unwrap();

    let kept: Vec<QueryId> = crate::harness::intact(store.audit_of_ik(&ik).await.unwrap())
        .into_iter()
        .map(|r| r.query_id)
        .collect();
    assert_eq!(kept, [entry(2).query_id], "only the record within its retention");
}

// --- Tenants: two insurers on one store backend ------------------------------------------------

/// Every port, used by insurer A, leaves insurer B's view as it was, and the other way round;
/// the same IK, KVNR, counter key and session hash mean different records for each.
async fn two_insurers_never_see_each_others_records(a: &impl Store, b: &impl Store) {
    let ik = Ik::parse("301412340").unwrap();
    a.put_providers(&[provider("301412340", "Muster-Apotheke")]).await.unwrap();
    assert_eq!(b.provider(&ik).await.unwrap(), None);
    assert!(b.is_empty().await.unwrap() && !a.is_empty().await.unwrap());

    a.put_exemptions(&[whole_year("A123456780", 2026)]).await.unwrap();
    b.put_exemptions(&[whole_year("A123456780", 2025)]).await.unwrap();
    let years = |list: Vec<Exemption>| list.iter().map(Exemption::year).collect::<Vec<_>>();
    assert_eq!(years(a.exemptions_of(&kvnr("A123456780")).await.unwrap()), [2026]);
    assert_eq!(years(b.exemptions_of(&kvnr("A123456780")).await.unwrap()), [2025]);
    assert_eq!(b.exempt_in(2026).await.unwrap(), []);
    b.remove_exemptions(2026, &[kvnr("A123456780")]).await.unwrap();
    assert_eq!(years(a.exemptions_of(&kvnr("A123456780")).await.unwrap()), [2026]);

    let account = account();
    let queued = letter(&account, LetterKind::InitialPassword);
    assert_eq!(a.save_account(&account, std::slice::from_ref(&queued)).await.unwrap(), Saved::Done);
    assert_eq!(b.account(&ik).await.unwrap(), None);
    assert_eq!(b.standing(&ik).await.unwrap(), None);
    assert_eq!(b.pending_letters(10).await.unwrap(), []);
    assert!(!b.claim_letter(&queued.id, NOW, NOW + Duration::minutes(1)).await.unwrap());
    b.mark_void(&queued.id).await.ok();
    assert_eq!(a.pending_letters(10).await.unwrap(), std::slice::from_ref(&queued));
    // The same IK opens an account of its own at B.
    assert_eq!(b.save_account(&account, &[]).await.unwrap(), Saved::Done);

    let session = Session {
        id_hash: SessionIdHash::parse(&"ab".repeat(32)).unwrap(),
        ik,
        created_at: NOW,
        idle_expires_at: NOW + Duration::minutes(10),
        last_active_at: NOW,
        stage: SessionStage::Full,
        browser: Browser::Firefox,
    };
    a.put_session(&session).await.unwrap();
    assert_eq!(b.session(&session.id_hash).await.unwrap(), None);
    b.delete_session(&session.id_hash).await.unwrap();
    assert_eq!(a.session(&session.id_hash).await.unwrap(), Some(session));

    let window_ends = NOW + Duration::days(1);
    assert!(a.try_count("quota#301412340#2026-05-04", 1, window_ends).await.unwrap());
    assert!(b.try_count("quota#301412340#2026-05-04", 1, window_ends).await.unwrap());
    assert_eq!(a.used("quota#301412340#2026-05-04").await.unwrap(), 1);

    let challenge = Challenge {
        id: ChallengeId::new(),
        salt: "c2FsdA".into(),
        difficulty: 16,
        expires_at: NOW,
    };
    a.put_challenge(&challenge).await.unwrap();
    assert_eq!(b.take_challenge(&challenge.id).await.unwrap(), None);
    assert_eq!(a.take_challenge(&challenge.id).await.unwrap(), Some(challenge));

    let Recorded::Done(at_a) = a.record_query(&entry(1), &limits(5, 5)).await.unwrap() else {
        panic!("recorded")
    };
    assert_eq!(b.audit_of_ik(&ik).await.unwrap(), []);
    assert_eq!(b.audit_of_kvnr(&kvnr("A123456780")).await.unwrap(), []);
    assert_eq!(b.audit_heads().await.unwrap(), []);
    let Recorded::Done(at_b) = b.record_query(&entry(2), &limits(5, 5)).await.unwrap() else {
        panic!("recorded")
    };
    assert_eq!((at_a.seq, at_b.seq), (1, 1), "a chain of its own at each insurer");
    assert_eq!(a.audit_heads().await.unwrap().len(), 1);

    let doctor = physician("123456601", "781234500", "Anna Schulz", "01067", None);
    a.put_physicians(std::slice::from_ref(&doctor)).await.unwrap();
    assert_eq!(b.physician(&doctor.lanr, &doctor.bsnr).await.unwrap(), None);
    for q in ["123456601", "781234500", "01067", "schulz"] {
        assert_eq!(b.search_physicians(&search(q), 10).await.unwrap(), [], "{q}");
        assert_eq!(a.search_physicians(&search(q), 10).await.unwrap().len(), 1, "{q}");
    }
}

mod two_insurers {
    use portal_domain::Ik;
    use portal_store_dynamodb::DynamoStore;
    use portal_store_embedded::EmbeddedStore;

    fn insurers() -> (Ik, Ik) {
        (Ik::parse("107299005").unwrap(), Ik::parse("108310400").unwrap())
    }

    #[tokio::test]
    async fn embedded_files_of_two_insurers_never_see_each_others_records() {
        let dir = tempfile::tempdir().unwrap();
        let (plus, bayern) = insurers();
        let a = EmbeddedStore::open(&dir.path().join("plus.db"), &plus).unwrap();
        let b = EmbeddedStore::open(&dir.path().join("bayern.db"), &bayern).unwrap();
        super::two_insurers_never_see_each_others_records(&a, &b).await;
    }

    #[tokio::test]
    async fn dynamodb_tables_shared_by_two_insurers_never_show_one_the_others_records() {
        let tables = crate::harness::dynamodb_tables().await;
        let (plus, bayern) = insurers();
        let client = crate::harness::dynamodb_client();
        let a = DynamoStore::new(client.clone(), tables.clone(), &plus);
        let b = DynamoStore::new(client, tables, &bayern);
        super::two_insurers_never_see_each_others_records(&a, &b).await;
    }
}

// --- The physician directory (eTherapiebericht) ------------------------------------------------

fn physician(lanr: &str, bsnr: &str, name: &str, plz: &str, kim: Option<&str>) -> Physician {
    let address = Address::parse("Markt 1", plz, "Dresden").unwrap();
    let kim = kim.map(|k| KimAddress::parse(k).unwrap());
    let earztbrief = kim.is_some();
    Physician::new(
        Lanr::parse(lanr).unwrap(),
        Bsnr::parse(bsnr).unwrap(),
        name,
        address,
        kim,
        earztbrief,
    )
    .unwrap()
}

fn search(text: &str) -> PhysicianQuery {
    PhysicianQuery::parse(text).unwrap()
}

fn lanrs(found: &[Physician]) -> Vec<&str> {
    found.iter().map(|p| p.lanr.as_str()).collect()
}

async fn a_physician_reads_back_and_is_found_by_number_postcode_and_name(store: &impl Store) {
    let schulz = physician(
        "123456601",
        "781234500",
        "Dr. med. Anna Schulz-Müller",
        "01067",
        Some("praxis.schulz@arzt.kim.telematik"),
    );
    let second_site =
        physician("123456601", "781234599", "Dr. med. Anna Schulz-Müller", "01069", None);
    let meier = physician("987654450", "781234500", "Jan Meier", "01067", None);
    store.put_physicians(&[schulz.clone(), second_site.clone(), meier.clone()]).await.unwrap();

    let read = store.physician(&schulz.lanr, &schulz.bsnr).await.unwrap();
    assert_eq!(read.as_ref(), Some(&schulz));
    assert_eq!(
        read.unwrap().receives_earztbrief().unwrap().as_str(),
        "praxis.schulz@arzt.kim.telematik"
    );
    assert_eq!(store.physician(&meier.lanr, &second_site.bsnr).await.unwrap(), None);

    let by =
        |q: &'static str| async move { store.search_physicians(&search(q), 10).await.unwrap() };
    assert_eq!(by("123456601").await, [schulz.clone(), second_site.clone()], "a LANR: every site");
    assert_eq!(
        lanrs(&by("781234500").await),
        ["123456601", "987654450"],
        "a BSNR: everyone there, by name"
    );
    assert_eq!(lanrs(&by("01069").await), ["123456601"]);
    assert_eq!(by("müll").await.len(), 2);
    assert_eq!(lanrs(&by("MEI").await), ["987654450"]);
    assert_eq!(by("ller").await, [], "the beginning of a word, not its middle");
    assert_eq!(by("99999").await, []);
}

async fn a_changed_physician_is_no_longer_found_by_what_it_was(store: &impl Store) {
    let before = physician("123456601", "781234500", "Anna Schulz", "01067", None);
    store.put_physicians(std::slice::from_ref(&before)).await.unwrap();
    let after = physician(
        "123456601",
        "781234500",
        "Anna Weber",
        "04109",
        Some("praxis@weber.kim.telematik"),
    );
    store.put_physicians(std::slice::from_ref(&after)).await.unwrap();
    assert_eq!(store.search_physicians(&search("schulz"), 10).await.unwrap(), []);
    assert_eq!(store.search_physicians(&search("01067"), 10).await.unwrap(), []);
    assert_eq!(
        store.search_physicians(&search("weber"), 10).await.unwrap(),
        std::slice::from_ref(&after)
    );
    assert_eq!(store.search_physicians(&search("04109"), 10).await.unwrap(), [after]);
}

async fn a_physician_search_returns_at_most_the_limit_by_name(store: &impl Store) {
    let many: Vec<Physician> = (0..30)
        .map(|n| {
            let serial = format!("{:06}", 100_000 + n);
            let sum: u32 =
                serial.bytes().zip([4, 9, 4, 9, 4, 9]).map(|(d, w)| u32::from(d - b'0') * w).sum();
            let lanr = format!("{serial}{}01", (10 - sum % 10) % 10);
            physician(&lanr, "781234500", &format!("Praxis Elbe {:02}", 30 - n), "01067", None)
        })
        .collect();
    store.put_physicians(&many).await.unwrap();
    let found = store.search_physicians(&search("elbe"), 5).await.unwrap();
    let names: Vec<&str> = found.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(
        names,
        ["Praxis Elbe 01", "Praxis Elbe 02", "Praxis Elbe 03", "Praxis Elbe 04", "Praxis Elbe 05"]
    );
}
