//! The import use case on both stores: line numbers, idempotence, replacing a year.

use portal_core::import::{
    ImportError, ImportReport, RejectedRow, Replaced, RowProblem, import_exemptions,
    import_providers,
};
use portal_domain::{Ik, KvnrError, Lang};

use crate::store_contract::{Store, kvnr, whole_year};

on_both_stores! {
    importing_the_same_file_twice_changes_nothing,
    bad_rows_are_reported_by_line_and_the_good_rows_imported,
    replacing_a_year_removes_only_that_years_exemptions_absent_from_the_file,
    replacing_a_year_removes_nothing_when_a_row_was_rejected,
    replacing_a_year_removes_nothing_when_no_row_is_of_that_year,
    a_wrong_header_imports_nothing,
    a_provider_file_fills_the_directory,
    spreadsheet_exports_with_bom_crlf_and_quotes_are_read,
}

const EXEMPTIONS: &str = "\
kvnr;vorname;nachname;jahr;gueltig_ab;gueltig_bis
A123456780;Max;Mustermann;2026;2026-03-14;2026-12-31
A121212122;Özlem;Çelik;2025;2025-01-01;2025-12-31
A121212122;Özlem;Çelik;2026;2026-01-01;2026-12-31
";

async fn import(
    store: &impl Store,
    csv: &str,
    replace_year: Option<i32>,
) -> (ImportReport, Vec<RejectedRow>) {
    let mut rejected = Vec::new();
    let report =
        import_exemptions(store, csv.as_bytes(), replace_year, &mut rejected).await.unwrap();
    (report, rejected)
}

async fn importing_the_same_file_twice_changes_nothing(store: &impl Store) {
    let (first, _) = import(store, EXEMPTIONS, None).await;
    let after_first = (
        store.exemptions_of(&kvnr("A121212122")).await.unwrap(),
        store.exempt_in(2026).await.unwrap(),
    );
    let (second, _) = import(store, EXEMPTIONS, None).await;
    let after_second = (
        store.exemptions_of(&kvnr("A121212122")).await.unwrap(),
        store.exempt_in(2026).await.unwrap(),
    );
    assert_eq!(first, ImportReport { imported: 3, rejected: 0, replaced: None });
    assert_eq!(second, first);
    assert_eq!(after_second, after_first);
    assert_eq!(after_first.0.len(), 2);
    assert_eq!(after_first.0[0].initials().as_str(), "Ö. Ç.");
}

async fn bad_rows_are_reported_by_line_and_the_good_rows_imported(store: &impl Store) {
    let csv = "\
kvnr;vorname;nachname;jahr;gueltig_ab;gueltig_bis
A123456789;Max;Mustermann;2026;2026-03-14;2026-12-31
A123456780;Max;Mustermann;2026;2026-03-14;2026-12-31
A121212122;Özlem

B234567895;Hans;Müller;26;2026-01-01;2026-12-31
Z987654321;Erika;Musterfrau;2026;2026-01-01;2026-12-31
";
    let (report, rejected) = import(store, csv, None).await;
    assert_eq!(report, ImportReport { imported: 2, rejected: 3, replaced: None });
    let lines: Vec<(u64, Option<&str>)> = rejected.iter().map(|r| (r.line, r.column)).collect();
    assert_eq!(lines, [(2, Some("kvnr")), (4, None), (6, Some("jahr"))]);
    let (_, rejected_crlf) = import(store, &csv.replace('\n', "\r\n"), None).await;
    assert_eq!(rejected_crlf, rejected, "Windows line ends count the same lines");
    assert_eq!(rejected[0].problem, RowProblem::Kvnr(KvnrError::CheckDigit));
    assert_eq!(rejected[1].problem, RowProblem::Columns { expected: 6, found: 2 });
    assert_eq!(store.exemptions_of(&kvnr("A123456780")).await.unwrap().len(), 1);
    assert_eq!(store.exemptions_of(&kvnr("Z987654321")).await.unwrap().len(), 1);
    assert_eq!(store.exemptions_of(&kvnr("A121212122")).await.unwrap(), []);
}

async fn replacing_a_year_removes_only_that_years_exemptions_absent_from_the_file(
    store: &impl Store,
) {
    store
        .put_exemptions(&[
            whole_year("Z987654321", 2026),
            whole_year("Z987654321", 2025),
            whole_year("B234567895", 2026),
        ])
        .await
        .unwrap();
    let (report, _) = import(store, EXEMPTIONS, Some(2026)).await;
    assert_eq!(report.replaced, Some(Replaced::Removed(2)));
    let mut exempt = store.exempt_in(2026).await.unwrap();
    exempt.sort();
    assert_eq!(exempt, [kvnr("A121212122"), kvnr("A123456780")]);
    assert_eq!(
        store.exemptions_of(&kvnr("Z987654321")).await.unwrap(),
        [whole_year("Z987654321", 2025)]
    );
}

async fn replacing_a_year_removes_nothing_when_a_row_was_rejected(store: &impl Store) {
    store.put_exemptions(&[whole_year("Z987654321", 2026)]).await.unwrap();
    let with_typo = format!("{EXEMPTIONS}Z987654320;Erika;Musterfrau;2026;2026-01-01;2026-12-31\n");
    let (report, rejected) = import(store, &with_typo, Some(2026)).await;
    assert_eq!(report.replaced, Some(Replaced::SkippedBecauseRowsWereRejected));
    assert_eq!(rejected.len(), 1);
    assert_eq!(
        store.exemptions_of(&kvnr("Z987654321")).await.unwrap().len(),
        1,
        "the typo must not cost the exemption"
    );
}

async fn replacing_a_year_removes_nothing_when_no_row_is_of_that_year(store: &impl Store) {
    store.put_exemptions(&[whole_year("Z987654321", 2027)]).await.unwrap();
    for (file, year) in
        [(EXEMPTIONS, 2027), ("kvnr;vorname;nachname;jahr;gueltig_ab;gueltig_bis\n", 2027)]
    {
        let (report, _) = import(store, file, Some(year)).await;
        assert_eq!(report.replaced, Some(Replaced::SkippedBecauseNoRowIsOfTheYear(2027)));
        assert!(!report.is_complete());
        assert!(report.summary(Lang::De).contains("Keine Zeile der Datei gilt für 2027"));
    }
    assert_eq!(
        store.exempt_in(2027).await.unwrap(),
        [kvnr("Z987654321")],
        "a wrong year or an empty file must not clear the year"
    );
}

async fn a_wrong_header_imports_nothing(store: &impl Store) {
    let csv = EXEMPTIONS.replacen("gueltig_bis", "gueltig_bis;extra", 1);
    let mut rejected = Vec::new();
    let error = import_exemptions(store, csv.as_bytes(), None, &mut rejected).await.unwrap_err();
    assert!(matches!(error, ImportError::Header { .. }), "{error:?}");
    let error = import_providers(store, EXEMPTIONS.as_bytes(), &mut rejected).await.unwrap_err();
    assert!(matches!(error, ImportError::Header { .. }), "{error:?}");
    assert_eq!(store.exempt_in(2026).await.unwrap(), []);
    assert!(store.is_empty().await.unwrap());
}

async fn a_provider_file_fills_the_directory(store: &impl Store) {
    let csv = "\
ik;name;email;strasse;plz;ort;berufsfeld
301412340;Muster-Apotheke;post@muster-apotheke.example;Hauptstr. 1;01067;Dresden;apotheke
401612342;Logopädie Erfurt;keine-adresse;Anger 12;99084;Erfurt;heilmittel
331456786;Sanitätshaus Elbflorenz;service@elbflorenz.example;Prager Str. 5;1069;Dresden;hilfsmittel
";
    let mut rejected = Vec::new();
    let report = import_providers(store, csv.as_bytes(), &mut rejected).await.unwrap();
    assert_eq!(report.imported, 1);
    let columns: Vec<_> = rejected.iter().map(|r| (r.line, r.column)).collect();
    assert_eq!(columns, [(3, Some("email")), (4, Some("plz"))]);
    let read = store.provider(&Ik::parse("301412340").unwrap()).await.unwrap().unwrap();
    assert_eq!(read.email.as_str(), "post@muster-apotheke.example");
}

async fn spreadsheet_exports_with_bom_crlf_and_quotes_are_read(store: &impl Store) {
    let csv = "\u{FEFF}ik;name;email;strasse;plz;ort;berufsfeld\r\n\
        301412340;\"Apotheke \"\"Zum Löwen\"\"; Inh. A. Muster\";post@loewen.example;Markt 2;01067;Dresden;Apotheke\r\n\
        401612342;\"Praxis\r\nmit Umbruch\";post@praxis.example;Anger 1;99084;Erfurt;heilmittel\r\n\
        331456786;Sanitätshaus;post@sani.example;Markt 3;01067;Dresden;bäckerei\r\n";
    let mut rejected = Vec::new();
    let report = import_providers(store, csv.as_bytes(), &mut rejected).await.unwrap();
    assert_eq!(report.imported, 1);
    let lines: Vec<_> = rejected.iter().map(|r| (r.line, r.column)).collect();
    assert_eq!(
        lines,
        [(3, Some("name")), (5, Some("berufsfeld"))],
        "a line break has no place in an address"
    );
    let read = store.provider(&Ik::parse("301412340").unwrap()).await.unwrap().unwrap();
    assert_eq!(read.name, "Apotheke \"Zum Löwen\"; Inh. A. Muster");
}

#[tokio::test]
async fn full_names_never_reach_the_store_file() {
    let fixture = crate::harness::embedded();
    import(&fixture.store, EXEMPTIONS, None).await;
    // While the store is open, every row is in the database file or its write-ahead log.
    let mut read = 0;
    for name in ["portal.db", "portal.db-wal"] {
        let bytes = std::fs::read(fixture.dir.path().join(name)).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        assert!(text.contains("M. M.") || name == "portal.db", "the rows are here");
        assert!(!text.contains("Mustermann") && !text.contains("Özlem"), "{name}");
        read += bytes.len();
    }
    assert!(read > 0);
}

#[tokio::test]
async fn a_line_that_is_not_utf8_is_rejected_and_the_rest_imported() {
    let fixture = crate::harness::embedded();
    let mut csv = EXEMPTIONS.as_bytes().to_vec();
    csv.extend_from_slice(b"Z987654321;J\xfcrgen;Muster;2026;2026-01-01;2026-12-31\n");
    let mut rejected = Vec::new();
    let report =
        import_exemptions(&fixture.store, csv.as_slice(), None, &mut rejected).await.unwrap();
    assert_eq!(report.imported, 3);
    assert_eq!(
        rejected.iter().map(|r| (r.line, r.problem)).collect::<Vec<_>>(),
        [(5, RowProblem::Encoding)]
    );
}
