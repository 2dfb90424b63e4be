//! The two event functions as Lambda runs them, on DynamoDB Local: the import function on an S3
//! event (the files in the S3 emulator), the dispatch function sending through the SES emulator.

use std::sync::Arc;

use aws_sdk_s3::primitives::ByteStream;
use portal_core::Stores;
use portal_core::accounts::secret_in;
use portal_domain::{Ik, Kvnr};
use portal_mail_ses::SesMailer;
use serde_json::json;

use crate::harness::{
    TestApp, TestClock, dynamodb, s3_bucket, ses_client, ses_sent_to, single_tenant,
};

const PROVIDERS: &str = "\
ik;name;email;strasse;plz;ort;berufsfeld
401612342;Logopädie Sprachraum Erfurt;lambda-test@sprachraum.example;Anger 12;99084;Erfurt;heilmittel
";

/// What S3 sends when `key` was uploaded to `bucket` (as in the S3 documentation's example):
/// the key URL-encoded, spaces as `+`.
fn upload_event(bucket: &str, key: &str) -> portal_lambda::S3Event {
    let encoded: String = key
        .bytes()
        .map(|byte| match byte {
            b' ' => "+".to_string(),
            b'/' | b'.' | b'-' | b'_' => char::from(byte).to_string(),
            byte if byte.is_ascii_alphanumeric() => char::from(byte).to_string(),
            byte => format!("%{byte:02X}"),
        })
        .collect();
    serde_json::from_value(json!({"Records": [{
        "eventVersion": "2.1",
        "eventSource": "aws:s3",
        "awsRegion": "eu-central-1",
        "eventTime": "2026-05-04T08:00:00.000Z",
        "eventName": "ObjectCreated:Put",
        "userIdentity": {"principalId": "AWS:AIDAEXAMPLE"},
        "requestParameters": {"sourceIPAddress": "192.0.2.10"},
        "responseElements": {"x-amz-request-id": "C3D13FE58DE4C810"},
        "s3": {
            "s3SchemaVersion": "1.0",
            "configurationId": "exemptions",
            "bucket": {"name": bucket, "ownerIdentity": {"principalId": "A3NL1KOZZKExample"}, "arn": format!("arn:aws:s3:::{bucket}")},
            "object": {"key": encoded, "size": 1024, "eTag": "d41d8cd98f00b204e9800998ecf8427e", "sequencer": "0055AED6DCD90281E5"}
        }
    }]}))
    .expect("an S3 event")
}

/// An import bucket in the S3 emulator and the tables on DynamoDB Local the function fills.
struct ImportBucket {
    stores: Stores,
    s3: aws_sdk_s3::Client,
    bucket: String,
}

impl ImportBucket {
    async fn new() -> ImportBucket {
        let (s3, bucket) = s3_bucket().await;
        ImportBucket { stores: Stores::of(dynamodb().await), s3, bucket }
    }

    /// Uploads `body` as `key` (with `replace-year` metadata when given), as the back office
    /// would, and runs the import function on the event S3 then sends.
    async fn upload(
        &self,
        key: &str,
        body: &str,
        replace_year: Option<&str>,
    ) -> Result<(), portal_lambda::Error> {
        let mut put = self
            .s3
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .body(ByteStream::from(body.as_bytes().to_vec()));
        if let Some(year) = replace_year {
            put = put.metadata("replace-year", year);
        }
        put.send().await.expect("the upload");
        let (tenants, _) = single_tenant(self.stores.clone(), None);
        let stores = std::slice::from_ref(&self.stores);
        portal_lambda::import(&tenants, stores, &self.s3, upload_event(&self.bucket, key)).await
    }

    /// The report the import function wrote next to the file, if any.
    async fn report(&self, key: &str) -> Option<String> {
        let report = self.s3.get_object().bucket(&self.bucket).key(portal_lambda::report_key(key));
        let object = report.send().await.ok()?;
        let bytes = object.body.collect().await.expect("the report's body").into_bytes();
        Some(String::from_utf8(bytes.to_vec()).expect("a UTF-8 report"))
    }

    async fn years_exempt(&self, kvnr: &str) -> Vec<i32> {
        let kvnr = Kvnr::parse(kvnr).unwrap();
        let exemptions = self.stores.exemptions.exemptions_of(&kvnr).await.unwrap();
        let mut years: Vec<i32> = exemptions.iter().map(|e| e.year()).collect();
        years.sort();
        years
    }
}

/// Last month's file: A121212122 exempt in 2026.
const LAST_MONTH: &str = "kvnr;vorname;nachname;jahr;gueltig_ab;gueltig_bis
A121212122;Özlem;Çelik;2026;2026-01-01;2026-12-31
";

#[tokio::test]
async fn an_exemption_file_uploaded_with_a_replace_year_is_imported_and_its_report_put_next_to_it()
{
    let uploads = ImportBucket::new().await;
    uploads.upload("exemptions/2026 April.csv", LAST_MONTH, None).await.unwrap();
    assert_eq!(uploads.years_exempt("A121212122").await, [2026]);

    // This month's file no longer has A121212122.
    let this_month = "kvnr;vorname;nachname;jahr;gueltig_ab;gueltig_bis\n\
        A123456780;Max;Mustermann;2026;2026-03-14;2026-12-31\n\
        A123456780;Max;Mustermann;2025;2025-01-01;2025-12-31\n";
    uploads.upload("exemptions/2026 März.csv", this_month, Some("2026")).await.unwrap();

    assert_eq!(uploads.years_exempt("A123456780").await, [2025, 2026]);
    assert_eq!(uploads.years_exempt("A121212122").await, Vec::<i32>::new());
    assert_eq!(
        uploads.report("exemptions/2026 März.csv").await.as_deref(),
        Some(
            "exemptions/2026 März.csv: 2 Zeilen importiert, 0 abgelehnt. \
             1 Befreiung des Jahres, die nicht in der Datei steht, entfernt.\n"
        )
    );
}

#[tokio::test]
async fn rejected_rows_are_named_by_line_in_the_report_and_nothing_of_the_year_is_removed() {
    let uploads = ImportBucket::new().await;
    uploads.upload("exemptions/april.csv", LAST_MONTH, None).await.unwrap();

    let with_typo = "kvnr;vorname;nachname;jahr;gueltig_ab;gueltig_bis\n\
        A123456780;Max;Mustermann;2026;2026-03-14;2026-12-31\n\
        A123456789;Erika;Mustermann;2026;2026-01-01;2026-12-31\n";
    uploads.upload("exemptions/mai.csv", with_typo, Some("2026")).await.unwrap();

    let report = uploads.report("exemptions/mai.csv").await.expect("a report");
    assert!(report.starts_with("exemptions/mai.csv: 1 Zeile importiert, 1 abgelehnt."), "{report}");
    assert!(report.contains("Wegen abgelehnter Zeilen wurde nichts entfernt"), "{report}");
    assert!(report.contains("\nZeile 3, Spalte kvnr: "), "{report}");
    assert!(
        !report.contains("Erika") && !report.contains("A123456789"),
        "no row contents: {report}"
    );
    assert_eq!(uploads.years_exempt("A123456780").await, [2026]);
    assert_eq!(uploads.years_exempt("A121212122").await, [2026], "kept despite replace-year");
}

#[tokio::test]
async fn a_provider_file_fills_the_directory_that_registration_reads() {
    let uploads = ImportBucket::new().await;

    uploads.upload("providers/verzeichnis.csv", PROVIDERS, None).await.unwrap();

    let ik = Ik::parse("401612342").unwrap();
    let provider = uploads.stores.providers.provider(&ik).await.unwrap();
    assert_eq!(provider.expect("in the directory").name, "Logopädie Sprachraum Erfurt");
    assert_eq!(
        uploads.report("providers/verzeichnis.csv").await.as_deref(),
        Some("providers/verzeichnis.csv: 1 Zeile importiert, 0 abgelehnt.\n")
    );
}

#[tokio::test]
async fn a_file_that_cannot_be_imported_fails_the_function_and_says_why_in_its_report() {
    let uploads = ImportBucket::new().await;
    let header_missing = "A123456780;Max;Mustermann;2026;2026-03-14;2026-12-31\n";
    let good = "kvnr;vorname;nachname;jahr;gueltig_ab;gueltig_bis\n\
        A123456780;Max;Mustermann;2026;2026-03-14;2026-12-31\n";

    let header = uploads
        .upload("exemptions/export.csv", header_missing, None)
        .await
        .expect_err("a failed import is an error (alarm, retry, dead-letter queue)");
    let year = uploads
        .upload("exemptions/jahr.csv", good, Some("2O26"))
        .await
        .expect_err("a bad replace-year is an error");

    // The function's error is logged: it names the problem and the report, not the file's rows.
    let header = header.to_string();
    assert!(header.contains("header line") && header.contains("reports/exemptions/export.csv.txt"));
    assert!(!header.contains("A123456780") && !header.contains("Mustermann"), "{header}");
    assert!(year.to_string().contains("replace-year is not a year"), "{year}");
    let report = uploads.report("exemptions/export.csv").await.expect("a report");
    assert!(report.contains("Die Kopfzeile muss `kvnr;vorname;"), "{report}");
    assert_eq!(
        uploads.report("exemptions/jahr.csv").await.as_deref(),
        Some(
            "exemptions/jahr.csv: Die Metadaten-Angabe replace-year `2O26` ist keine Jahreszahl. \
             Es wurde nichts importiert.\n"
        )
    );
    assert_eq!(uploads.years_exempt("A123456780").await, Vec::<i32>::new());
}

#[tokio::test]
async fn the_import_function_leaves_files_outside_its_two_folders_alone() {
    let uploads = ImportBucket::new().await;

    // Its own reports land in the same bucket; were they imported, each would trigger another.
    uploads.upload("reports/exemptions/mai.csv.txt", "1 Zeile importiert", None).await.unwrap();

    assert_eq!(uploads.report("reports/exemptions/mai.csv.txt").await, None);
}

/// Letters queued as registration queues them, on DynamoDB Local, with nobody sending them yet.
async fn letters_queued_for(provider_file: &str) -> Stores {
    let stores = Stores::of(dynamodb().await);
    let mut rejected = Vec::new();
    portal_core::import::import_providers(
        stores.providers.as_ref(),
        provider_file.as_bytes(),
        &mut rejected,
    )
    .await
    .unwrap();
    let data_dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(TestClock::at(time::macros::datetime!(2026-05-04 08:00 UTC)));
    let (tenants, _) = single_tenant(stores.clone(), None);
    let settings = TestApp::config(data_dir.path()).settings;
    let hasher = portal_core::accounts::SecretHasher::for_this_machine().unwrap();
    let tenant = tenants.first();
    let app = portal_core::UseCases::wire(
        &stores,
        &settings,
        tenant,
        &hasher,
        &portal_core::therapy::Reporting::none(),
        clock,
        Arc::new(|| {}),
    );
    let registered = app.accounts.resend(&Ik::parse("401612342").unwrap()).await.unwrap();
    assert_eq!(registered.letters, 2);
    stores
}

#[tokio::test]
async fn the_dispatch_function_sends_the_queued_letters_through_ses_once() {
    let stores = letters_queued_for(&PROVIDERS.replace("lambda-test@", "dispatch-once@")).await;
    let ses = SesMailer::new(ses_client());

    portal_lambda::dispatch(std::slice::from_ref(&stores), &ses).await.unwrap();
    // Woken again (a second stream record, the schedule): nothing is sent twice.
    portal_lambda::dispatch(std::slice::from_ref(&stores), &ses).await.unwrap();

    let letters = ses_sent_to("dispatch-once@sprachraum.example").await;
    let texts: Vec<&str> = letters.iter().filter_map(|l| l["body"]["text"].as_str()).collect();
    assert_eq!(texts.len(), 2, "{letters:?}");
    assert!(texts.iter().any(|t| secret_in(t, "Initialkennwort").is_some()), "{texts:?}");
    assert!(texts.iter().any(|t| secret_in(t, "Prüfnummer").is_some()), "{texts:?}");
}

#[tokio::test]
async fn two_dispatch_functions_woken_at_once_send_each_letter_once() {
    let stores = letters_queued_for(&PROVIDERS.replace("lambda-test@", "dispatch-twice@")).await;
    let ses = SesMailer::new(ses_client());

    // The stream's record and the schedule arrive together: two instances run side by side.
    let (stream, schedule) = tokio::join!(
        portal_lambda::dispatch(std::slice::from_ref(&stores), &ses),
        portal_lambda::dispatch(std::slice::from_ref(&stores), &ses)
    );
    stream.unwrap();
    schedule.unwrap();

    assert_eq!(ses_sent_to("dispatch-twice@sprachraum.example").await.len(), 2);
}

#[tokio::test]
async fn when_ses_cannot_be_reached_the_dispatch_function_fails_and_the_letters_wait_for_the_next_round()
 {
    let stores = letters_queued_for(&PROVIDERS.replace("lambda-test@", "dispatch-later@")).await;
    let unreachable = aws_sdk_ses::Client::from_conf(
        ses_client().config().to_builder().endpoint_url("http://127.0.0.1:9").build(),
    );

    let failed =
        portal_lambda::dispatch(std::slice::from_ref(&stores), &SesMailer::new(unreachable))
            .await
            .expect_err("unsent letters are an error (alarm)");
    assert!(failed.to_string().contains("2 letters could not be sent"), "{failed}");
    assert_eq!(stores.letters.pending_letters(10).await.unwrap().len(), 2);

    portal_lambda::dispatch(std::slice::from_ref(&stores), &SesMailer::new(ses_client()))
        .await
        .unwrap();
    let letters = ses_sent_to("dispatch-later@sprachraum.example").await;
    assert_eq!(letters.len(), 2, "{letters:?}");
    assert!(stores.letters.pending_letters(10).await.unwrap().is_empty());
}

#[test]
fn an_upload_names_its_insurer_by_its_first_folder() {
    let settings = TestApp::config(std::path::Path::new(".")).settings;
    let two =
        portal_core::Tenants::parse(crate::tenants::TWO_TENANTS, &settings, |n| Err(n.to_string()))
            .unwrap();
    let of = |key| portal_lambda::tenant_of_key(&two, key);
    assert_eq!(of("bayern/exemptions/2026.csv"), Some((1, "exemptions/2026.csv")));
    assert_eq!(of("plus/providers/verzeichnis.csv"), Some((0, "providers/verzeichnis.csv")));
    assert_eq!(of("exemptions/2026.csv"), None, "with several insurers the key must name one");
    assert_eq!(of("hessen/exemptions/2026.csv"), None);
    let one = portal_core::Tenants::single(&settings);
    let key = "exemptions/2026.csv";
    assert_eq!(portal_lambda::tenant_of_key(&one, key), Some((0, key)));
}

/// The report-dispatch function's settings as the template sets them.
fn kim_variables(name: &str) -> Option<String> {
    let value = match name {
        portal_lambda::KIM_SMTP_HOST => "clientmodul.kasse.example",
        portal_lambda::KIM_SMTP_PORT => "465",
        portal_lambda::KIM_SMTP_TLS => "wrapper",
        portal_lambda::KIM_SENDER_SYSTEM => "Serviceportal eTherapiebericht",
        _ => return None,
    };
    Some(value.to_string())
}

#[test]
fn the_kim_account_comes_from_its_secret_and_the_templates_placeholder_is_refused() {
    let user = portal_kim::kim_user_name(
        "etherapiebericht@serviceportal.kim.telematik",
        "kim-fd.example:443",
        "Mandant1",
        "Serviceportal",
        "Server1",
    );
    let secret = json!({"user": user, "password": "geheim"}).to_string();
    let config = portal_lambda::kim_smtp_config(kim_variables, &secret).unwrap();
    assert_eq!((config.host.as_str(), config.port), ("clientmodul.kasse.example", 465));
    assert_eq!(config.tls, portal_kim::Tls::Wrapper);
    assert_eq!(config.user.as_deref(), Some(user.as_str()));
    assert_eq!(config.password.as_deref(), Some("geheim"));
    assert_eq!(config.root_certificate, None);

    // As the template makes it: refused, and the error says what to do without the password.
    let placeholder = json!({
        "user": "SET-ME: kimaddr#fachdienst:port#mandant#clientsystem#workplace",
        "password": "Zufall123",
    });
    let error = portal_lambda::kim_smtp_config(kim_variables, &placeholder.to_string())
        .unwrap_err()
        .to_string();
    assert!(error.contains("placeholder") && !error.contains("Zufall123"), "{error}");
    // Not JSON: the error quotes nothing of it.
    let error = portal_lambda::kim_smtp_config(kim_variables, "user=x password=geheim")
        .unwrap_err()
        .to_string();
    assert!(!error.contains("geheim"), "{error}");
    // Plain SMTP is not offered, and every setting is needed.
    let plain = |name: &str| match name {
        portal_lambda::KIM_SMTP_TLS => Some("none".to_string()),
        other => kim_variables(other),
    };
    assert!(portal_lambda::kim_smtp_config(plain, &secret).is_err());
    let no_host =
        |name: &str| (name != portal_lambda::KIM_SMTP_HOST).then(|| kim_variables(name)).flatten();
    assert!(portal_lambda::kim_smtp_config(no_host, &secret).is_err());
}
