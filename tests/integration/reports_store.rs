//! The store of therapy reports: every port-level case runs against the embedded store and
//! against DynamoDB Local, so the local portal and AWS keep reports alike. A report written and
//! deleted on its version, each practice's reports apart, and the queue of due reports the
//! dispatcher works from. The cases in `dynamodb_only` look at the raw table: the two items of a
//! report (metadata and sealed contents), another insurer on the same tables, TTL instead of a
//! purge, damaged items.

use portal_core::model::{DeliveryFailure, ReportId, ReportStatus, Sealed, StoredReport};
use portal_core::{ReportQueue, ReportStore, Saved, Store};
use portal_domain::Ik;
use portal_domain::therapy::{ReportKind, TherapyArea};
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

on_both_stores! {
    a_saved_report_reads_back_as_it_was_with_the_next_version,
    a_save_with_a_stale_version_is_a_conflict_and_changes_nothing,
    another_practice_neither_sees_a_report_nor_touches_it_by_saving_the_same_id,
    a_practices_reports_come_last_changed_first_with_their_contents,
    a_queued_report_is_due_from_its_next_attempt_until_its_status_changes,
    a_save_without_contents_reads_back_without_contents_until_contents_are_saved_again,
    contents_past_their_expiry_are_read_back_as_long_as_they_are_stored,
    a_delete_on_a_stale_version_is_a_conflict_and_on_the_current_one_removes_the_report,
}

const PRACTICE: &str = "401612342";
const OTHER_PRACTICE: &str = "401612353";
/// Times with nanoseconds, so that a lost digit shows.
const CREATED: OffsetDateTime = datetime!(2026-03-02 09:15:30.123456789 UTC);

fn ik(s: &str) -> Ik {
    Ik::parse(s).unwrap()
}

/// A draft with every optional field set, as not stored yet.
fn draft(practice: &str) -> StoredReport {
    StoredReport {
        id: ReportId::new(),
        practice: ik(practice),
        status: ReportStatus::Draft,
        kind: Some(ReportKind::BesondereAnforderung),
        area: Some(TherapyArea::Logo),
        contents: Some(Sealed(vec![0, 1, 2, 254, 255, 7])),
        corrects: Some(ReportId::new()),
        created_at: CREATED,
        updated_at: CREATED + Duration::minutes(5),
        queued_at: Some(CREATED + Duration::minutes(6)),
        sent_at: Some(CREATED + Duration::minutes(7)),
        delivered_at: Some(CREATED + Duration::minutes(8)),
        read_at: Some(CREATED + Duration::minutes(9)),
        failure: Some(DeliveryFailure::NoCertificate),
        idempotency_key: Some("0f8fad5b-d9cb-469f-a165-70867728950e".into()),
        attempts: 3,
        next_attempt_at: Some(CREATED + Duration::minutes(10)),
        contents_expire_at: CREATED + Duration::days(90),
        expires_at: CREATED + Duration::days(365),
        version: 0,
    }
}

/// A bare draft: no optional field set.
fn bare(practice: &str) -> StoredReport {
    StoredReport {
        kind: None,
        area: None,
        contents: None,
        corrects: None,
        queued_at: None,
        sent_at: None,
        delivered_at: None,
        read_at: None,
        failure: None,
        idempotency_key: None,
        attempts: 0,
        next_attempt_at: None,
        ..draft(practice)
    }
}

/// Saves `report` (expecting it to go through) and answers it as now stored.
async fn saved(store: &impl ReportStore, report: StoredReport) -> StoredReport {
    assert_eq!(store.save_report(&report).await.unwrap(), Saved::Done);
    StoredReport { version: report.version + 1, ..report }
}

/// The ids of the reports due at `now`, at most `limit`, sorted (the order among equally due
/// reports is the store's).
async fn due_ids(store: &impl ReportQueue, now: OffsetDateTime, limit: usize) -> Vec<ReportId> {
    let mut ids: Vec<ReportId> =
        store.due_reports(now, limit).await.unwrap().into_iter().map(|r| r.id).collect();
    ids.sort();
    ids
}

async fn a_saved_report_reads_back_as_it_was_with_the_next_version(store: &impl Store) {
    for report in [draft(PRACTICE), bare(PRACTICE)] {
        let stored = saved(store, report.clone()).await;
        assert_eq!(stored.version, 1);
        assert_eq!(store.report(&ik(PRACTICE), &report.id).await.unwrap(), Some(stored));
    }
    // Saving again on the version read moves it on.
    let report = store.reports_of(&ik(PRACTICE)).await.unwrap().remove(0);
    let changed = StoredReport { attempts: 9, ..report };
    let changed = saved(store, changed).await;
    assert_eq!(changed.version, 2);
    assert_eq!(store.report(&ik(PRACTICE), &changed.id).await.unwrap(), Some(changed));
}

async fn a_save_with_a_stale_version_is_a_conflict_and_changes_nothing(store: &impl Store) {
    let first = saved(store, draft(PRACTICE)).await;
    let second = saved(store, first.clone()).await;
    // Saving on version 1 again (someone saved in between), with other contents or none.
    for stale in [
        StoredReport { contents: Some(Sealed(b"other".to_vec())), attempts: 5, ..first.clone() },
        StoredReport { contents: None, ..first.clone() },
    ] {
        assert_eq!(store.save_report(&stale).await.unwrap(), Saved::Conflict);
        assert_eq!(store.report(&ik(PRACTICE), &first.id).await.unwrap(), Some(second.clone()));
    }
    // A new report (version 0) whose id is taken is a conflict too.
    let again = StoredReport { version: 0, ..second.clone() };
    assert_eq!(store.save_report(&again).await.unwrap(), Saved::Conflict);
    assert_eq!(store.report(&ik(PRACTICE), &first.id).await.unwrap(), Some(second));
}

async fn another_practice_neither_sees_a_report_nor_touches_it_by_saving_the_same_id(
    store: &impl Store,
) {
    let report = saved(store, draft(PRACTICE)).await;
    assert_eq!(store.report(&ik(OTHER_PRACTICE), &report.id).await.unwrap(), None);
    assert!(store.reports_of(&ik(OTHER_PRACTICE)).await.unwrap().is_empty());
    // The other practice's save of the same id is a new report of its own.
    let theirs = saved(store, StoredReport { id: report.id, ..bare(OTHER_PRACTICE) }).await;
    assert_eq!(store.report(&ik(OTHER_PRACTICE), &report.id).await.unwrap(), Some(theirs.clone()));
    assert_eq!(store.report(&ik(PRACTICE), &report.id).await.unwrap(), Some(report.clone()));
    assert_eq!(store.reports_of(&ik(OTHER_PRACTICE)).await.unwrap(), std::slice::from_ref(&theirs));
    assert_eq!(store.reports_of(&ik(PRACTICE)).await.unwrap(), std::slice::from_ref(&report));
    // Deleting one leaves the other.
    assert_eq!(store.delete_report(&theirs).await.unwrap(), Saved::Done);
    assert_eq!(store.report(&ik(PRACTICE), &report.id).await.unwrap(), Some(report));
}

async fn a_practices_reports_come_last_changed_first_with_their_contents(store: &impl Store) {
    let mut expected = Vec::new();
    for minutes in [3, 1, 2] {
        let report = StoredReport {
            updated_at: CREATED + Duration::minutes(minutes),
            contents: Some(Sealed(vec![minutes as u8; 3])),
            ..draft(PRACTICE)
        };
        expected.push(saved(store, report).await);
    }
    saved(store, draft(OTHER_PRACTICE)).await;
    expected.sort_by_key(|r| std::cmp::Reverse(r.updated_at));
    assert_eq!(store.reports_of(&ik(PRACTICE)).await.unwrap(), expected);
}

async fn a_queued_report_is_due_from_its_next_attempt_until_its_status_changes(store: &impl Store) {
    let at = CREATED + Duration::hours(1);
    let queued = |next: Option<OffsetDateTime>| StoredReport {
        status: ReportStatus::Queued,
        next_attempt_at: next,
        ..draft(PRACTICE)
    };
    let later = saved(store, queued(Some(at + Duration::minutes(2)))).await;
    let first = saved(store, queued(Some(at))).await;
    let other =
        saved(store, StoredReport { practice: ik(OTHER_PRACTICE), ..queued(Some(at)) }).await;
    saved(store, queued(None)).await; // never due without a time
    saved(store, StoredReport { status: ReportStatus::Draft, ..queued(Some(at)) }).await;

    let mut both = vec![first.id, other.id];
    both.sort();
    assert!(due_ids(store, at - Duration::nanoseconds(1), 10).await.is_empty());
    assert_eq!(due_ids(store, at, 10).await, both);
    assert_eq!(due_ids(store, at + Duration::minutes(2), 1).await.len(), 1);
    // Oldest first, whole (with the contents) and as stored.
    let all = store.due_reports(at + Duration::minutes(5), 10).await.unwrap();
    assert_eq!(all.len(), 3);
    assert_eq!(all.last(), Some(&later));
    assert!(all.contains(&first) && all.contains(&other));

    // Sent: no longer queued.
    let sent = StoredReport { status: ReportStatus::Sent, next_attempt_at: None, ..first.clone() };
    saved(store, sent).await;
    // Claimed by a dispatcher: due again only when its claim runs out.
    let claimed = StoredReport { next_attempt_at: Some(at + Duration::minutes(30)), ..other };
    saved(store, claimed).await;
    assert_eq!(due_ids(store, at + Duration::minutes(5), 10).await, [later.id]);
    assert_eq!(due_ids(store, at + Duration::minutes(30), 10).await.len(), 2);
    assert!(store.due_reports(at + Duration::minutes(5), 0).await.unwrap().is_empty());
}

async fn a_save_without_contents_reads_back_without_contents_until_contents_are_saved_again(
    store: &impl Store,
) {
    let report = saved(store, draft(PRACTICE)).await;
    let emptied = saved(store, StoredReport { contents: None, ..report }).await;
    let read = store.report(&ik(PRACTICE), &emptied.id).await.unwrap();
    assert_eq!(read.as_ref().map(|r| &r.contents), Some(&None));
    assert_eq!(read, Some(emptied.clone()));
    assert_eq!(store.reports_of(&ik(PRACTICE)).await.unwrap(), std::slice::from_ref(&emptied));
    let refilled =
        saved(store, StoredReport { contents: Some(Sealed(vec![9, 8])), ..emptied }).await;
    assert_eq!(store.report(&ik(PRACTICE), &refilled.id).await.unwrap(), Some(refilled));
}

/// Expired contents are the use case's to refuse: the store returns what is still there.
async fn contents_past_their_expiry_are_read_back_as_long_as_they_are_stored(store: &impl Store) {
    let past = StoredReport {
        contents: Some(Sealed(vec![1])),
        contents_expire_at: CREATED - Duration::days(1),
        ..draft(PRACTICE)
    };
    let past = saved(store, past).await;
    assert_eq!(store.report(&ik(PRACTICE), &past.id).await.unwrap(), Some(past.clone()));
    assert_eq!(store.reports_of(&ik(PRACTICE)).await.unwrap(), [past]);
}

async fn a_delete_on_a_stale_version_is_a_conflict_and_on_the_current_one_removes_the_report(
    store: &impl Store,
) {
    let first = saved(store, draft(PRACTICE)).await;
    let second = saved(store, first.clone()).await;
    let kept = saved(store, draft(PRACTICE)).await;
    assert_eq!(store.delete_report(&first).await.unwrap(), Saved::Conflict);
    let never_stored = draft(PRACTICE);
    assert_eq!(store.delete_report(&never_stored).await.unwrap(), Saved::Conflict);
    assert_eq!(store.report(&ik(PRACTICE), &first.id).await.unwrap(), Some(second.clone()));
    assert_eq!(store.delete_report(&second).await.unwrap(), Saved::Done);
    assert_eq!(store.report(&ik(PRACTICE), &first.id).await.unwrap(), None);
    assert_eq!(store.delete_report(&second).await.unwrap(), Saved::Conflict);
    assert_eq!(store.reports_of(&ik(PRACTICE)).await.unwrap(), [kept]);
}

/// What only DynamoDB has: a report as two items in a table that other insurers share, TTL in
/// place of a purge, and items as raw attributes.
mod dynamodb_only {
    use aws_sdk_dynamodb::types::AttributeValue;
    use portal_core::{ReportQueue, ReportStore, Saved};
    use portal_store_dynamodb::DynamoStore;
    use time::Duration;

    use super::{CREATED, PRACTICE, ReportStatus, Sealed, StoredReport, draft, ik, saved};
    use crate::harness::{dynamodb, dynamodb_client, tenant_ik};

    /// The sort keys of every item of the reports table, whatever the tenant or practice.
    async fn sort_keys(store: &DynamoStore) -> Vec<String> {
        let output = dynamodb_client()
            .scan()
            .table_name(&store.tables().reports)
            .consistent_read(true)
            .send()
            .await
            .unwrap();
        let mut keys: Vec<String> = output
            .items()
            .iter()
            .map(|item| match item.get("sk") {
                Some(AttributeValue::S(sk)) => sk.clone(),
                other => panic!("sk {other:?}"),
            })
            .collect();
        keys.sort();
        keys
    }

    #[tokio::test]
    async fn a_save_without_contents_removes_the_contents_item() {
        let store = dynamodb().await;
        let report = saved(&store, draft(PRACTICE)).await;
        let sk = format!("report#{}", report.id);
        assert_eq!(sort_keys(&store).await, [sk.clone(), format!("{sk}#contents")]);
        let emptied = saved(&store, StoredReport { contents: None, ..report }).await;
        assert_eq!(sort_keys(&store).await, std::slice::from_ref(&sk));
        saved(&store, StoredReport { contents: Some(Sealed(vec![1])), ..emptied }).await;
        assert_eq!(sort_keys(&store).await, [sk.clone(), format!("{sk}#contents")]);
    }

    #[tokio::test]
    async fn deleting_a_report_removes_both_of_its_items_and_no_other() {
        let store = dynamodb().await;
        let gone = saved(&store, draft(PRACTICE)).await;
        let kept = saved(&store, draft(PRACTICE)).await;
        assert_eq!(sort_keys(&store).await.len(), 4);
        assert_eq!(store.delete_report(&gone).await.unwrap(), Saved::Done);
        let sk = format!("report#{}", kept.id);
        assert_eq!(sort_keys(&store).await, [sk.clone(), format!("{sk}#contents")]);
    }

    #[tokio::test]
    async fn a_purge_leaves_expired_contents_and_records_to_the_tables_ttl() {
        let store = dynamodb().await;
        let past = StoredReport {
            contents: Some(Sealed(vec![1])),
            contents_expire_at: CREATED - Duration::days(1),
            expires_at: CREATED - Duration::days(1),
            ..draft(PRACTICE)
        };
        let past = saved(&store, past).await;
        assert_eq!(store.purge_reports(CREATED + Duration::days(400)).await.unwrap(), (0, 0));
        assert_eq!(store.report(&ik(PRACTICE), &past.id).await.unwrap(), Some(past));
    }

    #[tokio::test]
    async fn another_insurers_store_on_the_same_tables_sees_none_of_the_reports() {
        let store = dynamodb().await;
        let queued = StoredReport { status: ReportStatus::Queued, ..draft(PRACTICE) };
        let report = saved(&store, queued).await;
        let other_tenant =
            DynamoStore::new(dynamodb_client(), store.tables().clone(), &ik("108310400"));
        assert_eq!(other_tenant.report(&ik(PRACTICE), &report.id).await.unwrap(), None);
        assert!(other_tenant.reports_of(&ik(PRACTICE)).await.unwrap().is_empty());
        let later = CREATED + Duration::days(400);
        assert!(other_tenant.due_reports(later, 10).await.unwrap().is_empty());
        // The report is due for its own insurer, so the empty answer above is the tenant's.
        assert_eq!(store.due_reports(later, 10).await.unwrap(), [report]);
    }

    #[tokio::test]
    async fn a_damaged_stored_value_is_refused_as_corrupt() {
        let store = dynamodb().await;
        let damaged = [
            ("kind", AttributeValue::S("arztbrief".into())),
            ("area", AttributeValue::S("Logo".into())),
            ("status", AttributeValue::S("lost".into())),
            ("failure", AttributeValue::S("timeout".into())),
            ("corrects", AttributeValue::S("not a ulid".into())),
            ("updated_at", AttributeValue::S("yesterday".into())),
            ("attempts", AttributeValue::N("-1".into())),
        ];
        for (name, value) in damaged {
            let report = saved(&store, draft(PRACTICE)).await;
            dynamodb_client()
                .update_item()
                .table_name(&store.tables().reports)
                .key("pk", AttributeValue::S(format!("{}#{PRACTICE}", tenant_ik())))
                .key("sk", AttributeValue::S(format!("report#{}", report.id)))
                .update_expression("SET #name = :value")
                .expression_attribute_names("#name", name)
                .expression_attribute_values(":value", value)
                .send()
                .await
                .unwrap();
            let error = store.report(&ik(PRACTICE), &report.id).await.unwrap_err();
            assert!(matches!(error, portal_core::StoreError::Corrupt(_)), "{name}: {error}");
        }
    }
}

/// The local store has no TTL: its purge drops expired contents (keeping the record) and expired
/// records, and says how many of each.
#[tokio::test]
async fn the_embedded_store_purges_expired_contents_and_records_and_keeps_the_rest() {
    let fixture = crate::harness::embedded();
    let store = &fixture.store;
    let fresh = saved(store, draft(PRACTICE)).await;
    let contents_gone = saved(
        store,
        StoredReport { contents_expire_at: CREATED + Duration::days(1), ..draft(PRACTICE) },
    )
    .await;
    let record_gone = saved(
        store,
        StoredReport {
            contents_expire_at: CREATED + Duration::days(1),
            expires_at: CREATED + Duration::days(2),
            ..draft(PRACTICE)
        },
    )
    .await;
    let now = CREATED + Duration::days(3);
    assert_eq!(store.purge_reports(now).await.unwrap(), (2, 1));
    let practice = ik(PRACTICE);
    assert_eq!(store.report(&practice, &fresh.id).await.unwrap(), Some(fresh.clone()));
    assert_eq!(
        store.report(&practice, &contents_gone.id).await.unwrap(),
        // A new version: a writer still holding the contents conflicts instead of restoring them.
        Some(StoredReport { contents: None, version: contents_gone.version + 1, ..contents_gone })
    );
    assert_eq!(store.report(&practice, &record_gone.id).await.unwrap(), None);
    assert_eq!(store.purge_reports(now).await.unwrap(), (0, 0), "nothing left to purge");
}
