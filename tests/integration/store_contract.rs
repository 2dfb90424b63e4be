//! The store contract: every case runs against the embedded store and against DynamoDB Local, so
//! the local portal and AWS behave alike.

use portal_core::{ExemptionStore, ProviderDirectory};
use portal_domain::{EmailAddress, Exemption, Ik, Initials, Kvnr, Provider};
use time::Date;
use time::macros::date;

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
}

pub trait Store: ProviderDirectory + ExemptionStore {}
impl<S: ProviderDirectory + ExemptionStore> Store for S {}

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
