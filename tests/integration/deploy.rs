//! The deployment agrees with the code: every API route reaches the function of its capability in
//! `infra/template.yaml` and nothing else does, CloudFront sets the local server's security
//! headers, and the functions that must not read password hashes can read only what the code asks.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use portal_core::{Stores, SystemClock};
use portal_http::{Capability, SECURITY_HEADERS, api_for, routes};
use portal_lambda::Function;
use serde_norway::Value;
use tower::ServiceExt;

use crate::harness::{TestApp, embedded, repo_root, single_tenant};

fn template() -> Value {
    let path = repo_root().join("infra/template.yaml");
    let text = std::fs::read_to_string(&path).expect("infra/template.yaml is readable");
    serde_norway::from_str(&text).expect("infra/template.yaml is YAML")
}

/// `!Ref X`, `!GetAtt X.Arn`, `!Sub "…"` as their plain values, so tests can compare them.
fn untagged(value: &Value) -> &Value {
    match value {
        Value::Tagged(tagged) => &tagged.value,
        other => other,
    }
}

fn text<'a>(value: &'a Value, path: &[&str]) -> Option<&'a str> {
    path.iter().try_fold(value, |v, key| v.get(*key).map(untagged))?.as_str()
}

/// The serverless functions by their `PORTAL_FUNCTION`.
fn functions(template: &Value) -> BTreeMap<String, &Value> {
    let resources = template["Resources"].as_mapping().expect("Resources");
    let functions: Vec<_> = resources
        .values()
        .filter(|r| r["Type"] == "AWS::Serverless::Function")
        .map(|r| {
            let path = ["Properties", "Environment", "Variables", "PORTAL_FUNCTION"];
            (text(r, &path).expect("a PORTAL_FUNCTION").to_string(), r)
        })
        .collect();
    let count = functions.len();
    let functions: BTreeMap<_, _> = functions.into_iter().collect();
    assert_eq!(functions.len(), count, "no two functions share a PORTAL_FUNCTION");
    functions
}

/// (function, METHOD, path) of every HttpApi event but the `$default` catch-all.
fn deployed_routes(template: &Value) -> BTreeSet<(String, String, String)> {
    let mut deployed = BTreeSet::new();
    for (name, function) in functions(template) {
        let Some(events) = function["Properties"]["Events"].as_mapping() else { continue };
        for event in events.values().filter(|e| e["Type"] == "HttpApi") {
            let method = text(event, &["Properties", "Method"]).expect("a Method");
            let path = text(event, &["Properties", "Path"]).expect("a Path");
            if path != "$default" {
                deployed.insert((name.clone(), method.to_string(), path.to_string()));
            }
        }
    }
    deployed
}

/// Capabilities not in the SAM template yet (none now). A capability that runs only in the local
/// portal for a while is named here, and its routes are then checked to be in no function.
const NOT_DEPLOYED: [Capability; 0] = [];

#[test]
fn every_route_is_deployed_to_the_function_of_its_capability_and_no_other_route_is() {
    let expected: BTreeSet<_> = routes()
        .into_iter()
        .filter(|r| !NOT_DEPLOYED.contains(&r.capability))
        .map(|r| (r.capability.name().to_string(), r.method.to_string(), r.path.to_string()))
        .collect();
    assert_eq!(deployed_routes(&template()), expected);
}

#[test]
fn unknown_api_paths_reach_the_function_that_answers_them_with_a_problem() {
    let template = template();
    let health = functions(&template)["health"];
    let catch_all = health["Properties"]["Events"]
        .as_mapping()
        .into_iter()
        .flat_map(|events| events.values())
        .any(|e| text(e, &["Properties", "Path"]) == Some("$default"));
    assert!(catch_all, "the health function takes $default");
}

#[test]
fn every_function_in_the_template_runs_the_one_binary_as_a_function_it_knows_and_back() {
    let manifest = std::fs::read_to_string(repo_root().join("functions/lambda/Cargo.toml"))
        .expect("the lambda crate's manifest");
    let binaries: Vec<&str> = manifest
        .lines()
        .filter_map(|line| line.trim().strip_prefix("name = \""))
        .filter_map(|rest| rest.strip_suffix('"'))
        .collect();
    assert_eq!(binaries, ["portal-lambda", "portal-lambda"], "the package and its one binary");
    let template = template();
    let functions = functions(&template);
    for (name, function) in &functions {
        let binary = text(function, &["Metadata", "BuildProperties", "Binary"]);
        assert_eq!(binary, Some("portal-lambda"), "{name} runs the one binary");
    }
    let deployed: BTreeSet<&str> = functions.keys().map(String::as_str).collect();
    let known: BTreeSet<&str> = Function::all().map(Function::name).collect();
    assert_eq!(deployed, known);
    for function in Function::all() {
        assert_eq!(Function::parse(function.name()), Some(function), "names tell functions apart");
    }
    for capability in Capability::ALL.into_iter().filter(|c| !NOT_DEPLOYED.contains(c)) {
        assert!(deployed.contains(capability.name()), "{capability:?} has a function");
    }
}

#[tokio::test]
async fn each_function_answers_its_own_routes_and_treats_the_others_as_unknown() {
    let fixture = embedded();
    let config = TestApp::config(fixture.dir.path());
    let (tenants, stores) = single_tenant(Stores::of(fixture.store.clone()), None);
    let state =
        portal::wiring::portal(&config, &tenants, &stores, Arc::new(SystemClock)).unwrap().state;
    for capability in Capability::ALL {
        let router = api_for(&[capability], state.clone());
        for route in routes() {
            let request = Request::builder()
                .method(route.method.clone())
                // A search parameter and a content page that exist (the path's own `{id}` and
                // `{slug}` are none).
                .uri(
                    route
                        .path
                        .replace("SearchParameter/{id}", "SearchParameter/einwilligung")
                        .replace("pages/{slug}", "pages/oha"),
                )
                .body(Body::empty())
                .unwrap();
            let status = router.clone().oneshot(request).await.unwrap().status();
            let what = format!("{} {} on {capability:?}", route.method, route.path);
            if route.capability == capability {
                assert!(
                    status != StatusCode::NOT_FOUND && status != StatusCode::METHOD_NOT_ALLOWED,
                    "{what}: {status}"
                );
            } else {
                assert_eq!(status, StatusCode::NOT_FOUND, "{what}");
            }
        }
    }
}

#[test]
fn cloudfront_sets_the_same_security_headers_as_the_local_server() {
    let template = template();
    let config =
        &template["Resources"]["SecurityHeaders"]["Properties"]["ResponseHeadersPolicyConfig"];
    let security = &config["SecurityHeadersConfig"];
    let mut deployed: BTreeMap<String, String> = BTreeMap::new();
    let mut put = |name: &str, value: String| deployed.insert(name.to_lowercase(), value);
    // In AWS the app also connects to the attachments bucket (the presigned upload of a
    // practice's own PDF); the local portal takes the PDF itself.
    let csp = text(security, &["ContentSecurityPolicy", "ContentSecurityPolicy"]).unwrap();
    let bucket = " https://${ReportAttachmentsBucket.RegionalDomainName}";
    assert!(csp.contains(&format!("connect-src 'self'{bucket};")), "{csp}");
    put("content-security-policy", csp.replace(bucket, ""));
    let hsts = &security["StrictTransportSecurity"];
    let mut value = format!("max-age={}", hsts["AccessControlMaxAgeSec"].as_u64().unwrap());
    if hsts["IncludeSubdomains"] == true {
        value += "; includeSubDomains";
    }
    put("strict-transport-security", value);
    if security["ContentTypeOptions"]["Override"] == true {
        put("x-content-type-options", "nosniff".into());
    }
    put("x-frame-options", text(security, &["FrameOptions", "FrameOption"]).unwrap().into());
    put("referrer-policy", text(security, &["ReferrerPolicy", "ReferrerPolicy"]).unwrap().into());
    for item in config["CustomHeadersConfig"]["Items"].as_sequence().unwrap() {
        put(text(item, &["Header"]).unwrap(), text(item, &["Value"]).unwrap().into());
    }
    let local: BTreeMap<String, String> =
        SECURITY_HEADERS.iter().map(|(n, v)| (n.to_string(), v.to_string())).collect();
    assert_eq!(deployed, local);
}

/// The `dynamodb:Attributes` a function may read of the accounts table; `None` when a statement
/// lets it read whole items.
fn readable_account_attributes(function: &Value) -> Option<BTreeSet<String>> {
    let Some(policies) = function["Properties"]["Policies"].as_sequence() else {
        return Some(BTreeSet::new());
    };
    let statements = policies.iter().filter_map(|p| p["Statement"].as_sequence()).flatten();
    let on_accounts = statements.filter(|s| {
        let resources = match untagged(&s["Resource"]) {
            Value::Sequence(items) => items.iter().map(untagged).cloned().collect(),
            single => vec![single.clone()],
        };
        resources.iter().any(|r| r.as_str() == Some("AccountsTable.Arn"))
    });
    let mut readable = BTreeSet::new();
    for statement in on_accounts {
        let allowed = statement["Condition"]["ForAllValues:StringEquals"]["dynamodb:Attributes"]
            .as_sequence()?;
        readable.extend(allowed.iter().filter_map(Value::as_str).map(str::to_string));
    }
    Some(readable)
}

#[test]
fn the_query_dispatch_and_reports_functions_can_read_an_accounts_standing_but_not_its_hashes() {
    let template = template();
    let functions = functions(&template);
    let standing: BTreeSet<String> =
        portal_store_dynamodb::STANDING_ATTRIBUTES.iter().map(|a| a.to_string()).collect();
    for name in ["query", "dispatch", "reports"] {
        let readable = readable_account_attributes(functions[name])
            .unwrap_or_else(|| panic!("{name} may read whole accounts"));
        assert_eq!(readable, standing, "{name}");
        assert!(!readable.iter().any(|a| a.contains("hash")), "{name}");
    }
    for name in ["health", "import", "report-dispatch", "token", "fhir", "proofs"] {
        assert_eq!(readable_account_attributes(functions[name]), Some(BTreeSet::new()), "{name}");
    }
}

#[test]
fn the_tenants_built_into_the_functions_are_usable() {
    let settings = TestApp::config(std::path::Path::new(".")).settings;
    let tenants = portal_lambda::tenants(&settings).expect("infra/tenants.toml reads");
    assert!(!tenants.is_empty());
    // With one insurer and no mail settings of its own, the stack's parameters apply.
    let first = tenants.first();
    assert_eq!(first.letterhead.mail_from, settings.mail_from);
}

// ------------------------------------------------------------------ safe deployments, tracing,
// alarms and the runbook, the WAF (infra/README.md, infra/RUNBOOK.md, infra/edge.yaml)

fn yaml(relative: &str) -> Value {
    let path = repo_root().join(relative);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{relative}: {e}"));
    serde_norway::from_str(&text).unwrap_or_else(|e| panic!("{relative} is not YAML: {e}"))
}

/// The inside of `!Tag …` when the value carries that tag.
fn tagged<'a>(value: &'a Value, tag: &str) -> Option<&'a Value> {
    match value {
        Value::Tagged(tagged) if tagged.tag == tag => Some(&tagged.value),
        _ => None,
    }
}

/// The resources of a type, by logical id.
fn resources<'a>(template: &'a Value, kind: &str) -> BTreeMap<String, &'a Value> {
    template["Resources"]
        .as_mapping()
        .expect("Resources")
        .iter()
        .filter(|(_, r)| r["Type"] == kind)
        .map(|(id, r)| (id.as_str().expect("a logical id").to_string(), r))
        .collect()
}

/// A function's property as SAM sees it: its own, else the one of `Globals.Function`.
fn property<'a>(template: &'a Value, function: &'a Value, key: &str) -> Option<&'a Value> {
    function["Properties"].get(key).or_else(|| template["Globals"]["Function"].get(key))
}

/// A function's `DeploymentPreference` key: its own, else the one of `Globals.Function` (SAM
/// merges the two maps).
fn preference<'a>(template: &'a Value, function: &'a Value, key: &str) -> Option<&'a Value> {
    function["Properties"]["DeploymentPreference"]
        .get(key)
        .or_else(|| template["Globals"]["Function"]["DeploymentPreference"].get(key))
}

/// `Name: Value` of an alarm's dimensions, the values as their plain text (`QueryFunction`,
/// `${QueryFunction}:live`, `QueryFunction.Version.Version`).
fn dimensions(alarm: &Value) -> BTreeMap<String, String> {
    let Some(dimensions) = alarm["Properties"]["Dimensions"].as_sequence() else {
        return BTreeMap::new();
    };
    dimensions
        .iter()
        .filter_map(|d| Some((text(d, &["Name"])?.to_string(), text(d, &["Value"])?.to_string())))
        .collect()
}

#[test]
fn every_function_publishes_the_alias_live_and_moves_to_it_gradually_in_prod() {
    let template = template();
    let functions = resources(&template, "AWS::Serverless::Function");
    assert!(functions.len() >= 6, "{:?}", functions.keys());
    for (id, function) in &functions {
        let alias = property(&template, function, "AutoPublishAlias").and_then(Value::as_str);
        assert_eq!(alias, Some("live"), "{id}: AutoPublishAlias");
        let kind = preference(&template, function, "Type")
            .unwrap_or_else(|| panic!("{id}: no DeploymentPreference Type"));
        // !If [IsProd, <prod>, <dev>]
        let branches = tagged(kind, "If")
            .and_then(Value::as_sequence)
            .unwrap_or_else(|| panic!("{id}: the Type depends on the stage: {kind:?}"));
        assert_eq!(branches[0].as_str(), Some("IsProd"), "{id}");
        let prod = branches[1].as_str().unwrap_or_default();
        assert!(prod.starts_with("Canary") || prod.starts_with("Linear"), "{id}: prod is {prod}");
        assert_eq!(branches[2].as_str(), Some("AllAtOnce"), "{id}: dev");
        let enabled = preference(&template, function, "Enabled");
        assert!(enabled.is_none() || enabled == Some(&Value::Bool(true)), "{id}: enabled");
    }
}

#[test]
fn every_function_is_rolled_back_by_its_own_error_and_p99_latency_alarms_on_the_alias() {
    let template = template();
    let alarms = resources(&template, "AWS::CloudWatch::Alarm");
    for (id, function) in resources(&template, "AWS::Serverless::Function") {
        let named = preference(&template, function, "Alarms")
            .and_then(Value::as_sequence)
            .unwrap_or_else(|| panic!("{id}: DeploymentPreference without Alarms"));
        let mut watched = BTreeSet::new();
        for reference in named {
            let alarm_id = tagged(reference, "Ref")
                .and_then(Value::as_str)
                .unwrap_or_else(|| panic!("{id}: an alarm is named by !Ref: {reference:?}"));
            let alarm = alarms
                .get(alarm_id)
                .unwrap_or_else(|| panic!("{id}: {alarm_id} is no alarm of the template"));
            // The alarm watches the new version of this very function, invoked through `live`.
            let dimensions = dimensions(alarm);
            assert_eq!(dimensions.get("FunctionName"), Some(&id), "{alarm_id}");
            assert_eq!(dimensions.get("Resource"), Some(&format!("${{{id}}}:live")), "{alarm_id}");
            assert_eq!(
                dimensions.get("ExecutedVersion"),
                Some(&format!("{id}.Version.Version")),
                "{alarm_id}"
            );
            let properties = &alarm["Properties"];
            assert_eq!(properties["Namespace"], "AWS/Lambda", "{alarm_id}");
            let metric = properties["MetricName"].as_str().unwrap_or_default();
            match metric {
                "Errors" => assert_eq!(properties["Statistic"], "Sum", "{alarm_id}"),
                "Duration" => assert_eq!(properties["ExtendedStatistic"], "p99", "{alarm_id}"),
                other => panic!("{alarm_id}: {other}"),
            }
            assert!(
                properties["Period"].as_u64().is_some_and(|p| p <= 60),
                "{alarm_id}: a canary of five minutes needs one-minute periods"
            );
            watched.insert(metric.to_string());
        }
        let expected: BTreeSet<String> = ["Duration", "Errors"].map(String::from).into();
        assert_eq!(watched, expected, "{id}");
    }
}

#[test]
fn every_function_is_traced_with_x_ray() {
    let template = template();
    for (id, function) in resources(&template, "AWS::Serverless::Function") {
        let tracing = property(&template, function, "Tracing").and_then(Value::as_str);
        assert_eq!(tracing, Some("Active"), "{id}");
    }
}

#[test]
fn every_alarm_of_the_templates_is_in_the_runbook() {
    let runbook = std::fs::read_to_string(repo_root().join("infra/RUNBOOK.md"))
        .expect("infra/RUNBOOK.md is readable");
    let mut names = Vec::new();
    for file in ["infra/template.yaml", "infra/edge.yaml", "infra/deploy-role.yaml"] {
        let template = yaml(file);
        for (id, alarm) in resources(&template, "AWS::CloudWatch::Alarm") {
            let name = text(alarm, &["Properties", "AlarmName"])
                .unwrap_or_else(|| panic!("{file}: {id} has no AlarmName"));
            // `!Sub "portal-${Stage}-query-errors"` is `portal-<stage>-query-errors` in the runbook.
            names.push((id, name.replace("${Stage}", "<stage>")));
        }
    }
    assert!(names.len() >= 18, "{names:?}");
    let missing: Vec<_> =
        names.iter().filter(|(_, name)| !runbook.contains(&format!("`{name}`"))).collect();
    assert!(missing.is_empty(), "alarms the runbook does not explain: {missing:?}");
}

#[test]
fn the_distribution_is_behind_the_web_acl_of_the_edge_template_and_prod_cannot_go_without() {
    let template = template();
    let config = &template["Resources"]["Distribution"]["Properties"]["DistributionConfig"];
    let web_acl = tagged(&config["WebACLId"], "If")
        .and_then(Value::as_sequence)
        .expect("WebACLId: !If [HasWebAcl, !Ref WebAclArn, !Ref AWS::NoValue]");
    assert_eq!(web_acl[0].as_str(), Some("HasWebAcl"));
    assert_eq!(tagged(&web_acl[1], "Ref").and_then(Value::as_str), Some("WebAclArn"));
    let parameter = &template["Parameters"]["WebAclArn"];
    let pattern = parameter["AllowedPattern"].as_str().expect("WebAclArn is pattern-checked");
    assert!(pattern.contains(":wafv2:us-east-1:") && pattern.contains("global/webacl/"));
    // The rule that refuses a prod stack without it.
    let rule = &template["Rules"]["ProdHasAWebAcl"];
    let asserted = format!("{:?}", rule["Assertions"]);
    assert!(asserted.contains("WebAclArn"), "{asserted}");
    assert!(format!("{:?}", rule["RuleCondition"]).contains("prod"));

    let edge = yaml("infra/edge.yaml");
    let acl = &resources(&edge, "AWS::WAFv2::WebACL").into_values().next().expect("a web ACL")["Properties"];
    assert_eq!(acl["Scope"], "CLOUDFRONT");
    assert!(edge["Outputs"]["WebAclArn"]["Value"] != Value::Null);
    let rules = acl["Rules"].as_sequence().expect("rules");
    let groups: BTreeSet<&str> = rules
        .iter()
        .filter_map(|r| r["Statement"]["ManagedRuleGroupStatement"]["Name"].as_str())
        .collect();
    for group in [
        "AWSManagedRulesCommonRuleSet",
        "AWSManagedRulesKnownBadInputsRuleSet",
        "AWSManagedRulesAmazonIpReputationList",
    ] {
        assert!(groups.contains(group), "{group}");
    }
}

/// The URI paths the WAF's rate rules count, from their scope-down statements.
fn rate_limited_paths(edge: &Value) -> BTreeSet<String> {
    fn paths(statement: &Value, into: &mut BTreeSet<String>) {
        if let Some(byte_match) = statement.get("ByteMatchStatement")
            && byte_match["FieldToMatch"].get("UriPath").is_some()
        {
            into.insert(text(byte_match, &["SearchString"]).expect("a path").to_string());
        }
        for nested in statement["AndStatement"]["Statements"].as_sequence().into_iter().flatten() {
            paths(nested, into);
        }
    }
    let mut found = BTreeSet::new();
    for acl in resources(edge, "AWS::WAFv2::WebACL").values() {
        for rule in acl["Properties"]["Rules"].as_sequence().into_iter().flatten() {
            let rate = &rule["Statement"]["RateBasedStatement"];
            if rate.is_mapping() {
                assert_eq!(rate["AggregateKeyType"], "IP", "per client address");
                paths(&rate["ScopeDownStatement"], &mut found);
            }
        }
    }
    found
}

#[test]
fn the_waf_rate_limits_the_routes_that_take_secrets_or_make_letters_and_they_exist() {
    let limited = rate_limited_paths(&yaml("infra/edge.yaml"));
    for path in [
        "/api/challenge",
        "/api/registrations",
        "/api/session",
        "/api/password-reset",
        "/oauth/token",
    ] {
        assert!(limited.contains(path), "{path} is not rate-limited: {limited:?}");
    }
    // A rule for a path the API no longer has limits nothing: every /api path is a route.
    let routed: BTreeSet<&str> = routes().into_iter().map(|r| r.path).collect();
    for path in limited.iter().filter(|p| p.starts_with("/api/")) {
        assert!(routed.contains(path.as_str()), "{path} is no route of the API");
    }
}

#[test]
fn the_dashboards_log_metrics_match_what_the_code_logs() {
    let template = template();
    // Every Rust source of the functions, to find the messages in.
    fn sources(dir: &std::path::Path, into: &mut String) {
        for entry in std::fs::read_dir(dir).expect("a readable folder").flatten() {
            let path = entry.path();
            if path.is_dir() {
                sources(&path, into);
            } else if path.extension().is_some_and(|e| e == "rs") {
                into.push_str(&std::fs::read_to_string(&path).unwrap_or_default());
            }
        }
    }
    let mut code = String::new();
    sources(&repo_root().join("functions"), &mut code);
    let filters = resources(&template, "AWS::Logs::MetricFilter");
    assert!(filters.len() >= 3, "{:?}", filters.keys());
    for (id, filter) in filters {
        let pattern = text(filter, &["Properties", "FilterPattern"]).expect("a pattern");
        if let Some(rest) = pattern.split("$.fields.message = \"").nth(1) {
            let message = rest.split('"').next().unwrap_or_default();
            assert!(code.contains(&format!("\"{message}\"")), "{id}: no code logs {message:?}");
            for transformation in
                filter["Properties"]["MetricTransformations"].as_sequence().expect("metrics")
            {
                let fields = format!("{:?}", transformation);
                for field in fields.split("$.fields.").skip(1) {
                    let name: String =
                        field.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
                    assert!(code.contains(&format!("{name} =")), "{id}: no code logs {name}");
                }
            }
        } else {
            // The platform's own JSON lines (LoggingConfig), counted only when they are written.
            assert_eq!(pattern, "{ $.type = \"platform.initStart\" }", "{id}");
            let level = &template["Globals"]["Function"]["LoggingConfig"]["SystemLogLevel"];
            assert!(level == "INFO" || level == "DEBUG", "{id}: platform.initStart needs INFO");
        }
    }
}

// ------------------------------------------------------------------ the eTherapiebericht in AWS:
// the reports' key, the KIM account, the report-dispatch function (infra/README.md)

/// The logical id in `!Ref X` or `!GetAtt X.Arn`, or a plain text as it is.
fn named(value: &Value) -> Option<&str> {
    let text = untagged(value).as_str()?;
    Some(text.strip_suffix(".Arn").unwrap_or(text))
}

/// A value or a list of values, each as [`named`].
fn names(value: &Value) -> BTreeSet<String> {
    match untagged(value) {
        Value::Sequence(items) => items.iter().filter_map(named).map(str::to_string).collect(),
        single => named(single).map(str::to_string).into_iter().collect(),
    }
}

/// Every inline policy statement of a function.
fn statements(function: &Value) -> Vec<&Value> {
    let policies = function["Properties"]["Policies"].as_sequence().into_iter().flatten();
    policies.filter_map(|p| p["Statement"].as_sequence()).flatten().collect()
}

fn actions(statement: &Value) -> BTreeSet<String> {
    names(&statement["Action"])
}

/// The logical ids of the template's Secrets Manager secrets.
fn secrets(template: &Value) -> BTreeSet<String> {
    resources(template, "AWS::SecretsManager::Secret").into_keys().collect()
}

/// The secrets (logical ids) a function's own environment names by `!Ref`.
fn secrets_in_environment(template: &Value, function: &Value) -> BTreeSet<String> {
    let secrets = secrets(template);
    let variables = function["Properties"]["Environment"]["Variables"].as_mapping();
    variables
        .into_iter()
        .flatten()
        .filter_map(|(_, value)| tagged(value, "Ref").and_then(Value::as_str))
        .filter(|id| secrets.contains(*id))
        .map(str::to_string)
        .collect()
}

#[test]
fn only_the_functions_that_seal_hold_the_reports_key_and_each_reads_only_the_secrets_it_is_given() {
    let template = template();
    let functions = functions(&template);
    let globals = &template["Globals"]["Function"]["Environment"]["Variables"];
    assert!(globals.get(portal_lambda::REPORT_KEY_SECRET).is_none(), "not in Globals");
    // The reports' key: the HTTP functions that seal reports or account secrets (the second
    // factor's TOTP secrets, under a key derived from it), and the dispatcher.
    let mut expected: BTreeSet<String> = Capability::ALL
        .into_iter()
        .filter(|c| portal_lambda::reads_report_key(*c))
        .map(|c| c.name().to_string())
        .collect();
    expected.insert("report-dispatch".into());
    assert_eq!(expected, set(&["reports", "report-dispatch", "session"]));
    // Whoever may read the secret is one of them (below: exactly the secrets each is given).
    let readers: BTreeSet<String> = functions
        .iter()
        .filter(|(_, f)| {
            statements(f).iter().any(|s| {
                actions(s).contains("secretsmanager:GetSecretValue")
                    && names(&s["Resource"]).contains("ReportContentsSecret")
            })
        })
        .map(|(name, _)| name.clone())
        .collect();
    assert_eq!(readers, expected, "who may read ReportContentsSecret");
    let holding: BTreeSet<String> = functions
        .iter()
        .filter(|(_, f)| {
            let variable =
                &f["Properties"]["Environment"]["Variables"][portal_lambda::REPORT_KEY_SECRET];
            tagged(variable, "Ref").and_then(Value::as_str) == Some("ReportContentsSecret")
        })
        .map(|(name, _)| name.clone())
        .collect();
    assert_eq!(holding, expected);
    for (name, function) in &functions {
        let given = secrets_in_environment(&template, function);
        let statements = statements(function);
        // secretsmanager:GetSecretValue on exactly the secrets its environment names …
        let readable: BTreeSet<String> = statements
            .iter()
            .filter(|s| actions(s).contains("secretsmanager:GetSecretValue"))
            .flat_map(|s| names(&s["Resource"]))
            .collect();
        assert_eq!(readable, given, "{name}: secrets readable");
        // … and the key's decryption through Secrets Manager only for those secrets.
        for statement in statements
            .iter()
            .filter(|s| format!("{:?}", s["Condition"]).contains("secretsmanager.${AWS::Region}"))
        {
            assert_eq!(actions(statement), BTreeSet::from(["kms:Decrypt".to_string()]), "{name}");
            let equals = &statement["Condition"]["StringEquals"];
            assert_eq!(names(&equals["kms:EncryptionContext:SecretARN"]), given, "{name}");
        }
        assert!(
            !statements.iter().any(|s| actions(s)
                .iter()
                .any(|a| a.starts_with("secretsmanager:") && a != "secretsmanager:GetSecretValue")),
            "{name}: only reads secrets"
        );
    }
    // The reports' key is never rotated and outlives the stack (its contents would be lost).
    let key = &template["Resources"]["ReportContentsSecret"];
    assert!(resources(&template, "AWS::SecretsManager::RotationSchedule").is_empty());
    assert_eq!(key["DeletionPolicy"], "Retain");
    let generated = &key["Properties"]["GenerateSecretString"];
    assert!(
        generated["PasswordLength"].as_u64().unwrap() as usize
            >= 2 * portal_core::therapy::ReportKeys::SECRET_MIN_CHARS
    );
    assert_eq!(generated["ExcludePunctuation"], true);
    for secret in ["ReportContentsSecret", "KimSmtpSecret"] {
        let kms = &template["Resources"][secret]["Properties"]["KmsKeyId"];
        assert_eq!(tagged(kms, "Ref").and_then(Value::as_str), Some("DataKey"), "{secret}");
    }
    // The KIM secret starts with the placeholder the function refuses.
    let kim = text(
        &template["Resources"]["KimSmtpSecret"],
        &["Properties", "GenerateSecretString", "SecretStringTemplate"],
    )
    .unwrap();
    let kim: serde_json::Value = serde_json::from_str(kim).expect("JSON");
    assert!(kim["user"].as_str().unwrap().contains(portal_lambda::KIM_PLACEHOLDER));
}

#[test]
fn only_the_reports_functions_touch_the_reports_table_and_never_scan_or_update_it() {
    let template = template();
    let allowed: BTreeSet<String> =
        ["dynamodb:Query", "dynamodb:PutItem", "dynamodb:DeleteItem"].map(String::from).into();
    for (name, function) in functions(&template) {
        let on_reports: Vec<&Value> = statements(function)
            .into_iter()
            .filter(|s| format!("{:?}", s["Resource"]).contains("ReportsTable"))
            .collect();
        match name.as_str() {
            "reports" | "report-dispatch" => {
                let granted: BTreeSet<String> =
                    on_reports.iter().flat_map(|s| actions(s)).collect();
                assert_eq!(granted, allowed, "{name}");
            }
            _ => assert!(on_reports.is_empty(), "{name} may touch the reports table"),
        }
    }
}

#[test]
fn the_report_dispatch_function_is_woken_by_queued_reports_and_the_schedule_and_has_what_it_reads()
{
    let template = template();
    let functions = functions(&template);
    let dispatch = functions["report-dispatch"];
    let variables = &dispatch["Properties"]["Environment"]["Variables"];
    for variable in portal_lambda::REPORT_DISPATCH_VARIABLES {
        assert!(variables.get(variable).is_some(), "{variable} is not set");
    }
    // The stream: only new images that carry the `queued` index's key attribute.
    let table = &template["Resources"]["ReportsTable"]["Properties"];
    let index = table["GlobalSecondaryIndexes"]
        .as_sequence()
        .unwrap()
        .iter()
        .find(|i| i["IndexName"] == "queued")
        .expect("the queued index");
    let queued = index["KeySchema"][0]["AttributeName"].as_str().unwrap();
    assert_eq!(table["StreamSpecification"]["StreamViewType"], "NEW_IMAGE");
    let events = dispatch["Properties"]["Events"].as_mapping().unwrap();
    let stream = events.values().find(|e| e["Type"] == "DynamoDB").expect("a stream event");
    let stream = &stream["Properties"];
    assert_eq!(names(&stream["Stream"]), BTreeSet::from(["ReportsTable.StreamArn".to_string()]));
    let filters = stream["FilterCriteria"]["Filters"].as_sequence().unwrap();
    assert_eq!(filters.len(), 1);
    let pattern: serde_json::Value =
        serde_json::from_str(filters[0]["Pattern"].as_str().unwrap()).expect("a JSON pattern");
    assert_eq!(
        pattern["dynamodb"]["NewImage"][queued]["S"],
        serde_json::json!([{"exists": true}]),
        "{pattern}"
    );
    assert_eq!(stream["BisectBatchOnFunctionError"], true);
    assert!(stream["MaximumRetryAttempts"].as_u64().is_some_and(|n| n <= 3));
    assert!(stream["BatchSize"].as_u64().is_some_and(|n| n <= 10));
    let dead_letters = names(&stream["DestinationConfig"]["OnFailure"]["Destination"]);
    assert_eq!(dead_letters, BTreeSet::from(["ReportDispatchDlq".to_string()]));
    // The queue's depth is alarmed on.
    let alarmed = resources(&template, "AWS::CloudWatch::Alarm").values().any(|alarm| {
        alarm["Properties"]["Namespace"] == "AWS/SQS"
            && format!("{:?}", alarm["Properties"]["Dimensions"])
                .contains("ReportDispatchDlq.QueueName")
    });
    assert!(alarmed, "no alarm on ReportDispatchDlq");
    // The schedule, every minute, retries and later receipts.
    let schedule = events.values().find(|e| e["Type"] == "ScheduleV2").expect("a schedule");
    assert_eq!(schedule["Properties"]["ScheduleExpression"], "rate(1 minute)");
    // The claim on a report (five minutes) outlives any round.
    let timeout = dispatch["Properties"]["Timeout"].as_u64().unwrap();
    assert!(timeout < 300, "Timeout {timeout} s reaches the five-minute claim");
    // The index the dispatcher queries is the one the table has.
    let queries_index = statements(dispatch).iter().any(|s| {
        actions(s).contains("dynamodb:Query")
            && format!("{:?}", s["Resource"]).contains("${ReportsTable.Arn}/index/queued")
    });
    assert!(queries_index, "report-dispatch may not query the queued index");
}

#[test]
fn the_waf_keeps_bodies_to_8_kb_except_for_therapy_reports_which_the_portal_takes_to_128_kib() {
    let edge = yaml("infra/edge.yaml");
    let acl = &resources(&edge, "AWS::WAFv2::WebACL").into_values().next().expect("a web ACL");
    let rules: Vec<&Value> =
        acl["Properties"]["Rules"].as_sequence().into_iter().flatten().collect();
    // The managed 8 KB rule would block a report: it only counts.
    let common = rules
        .iter()
        .find(|r| r["Name"] == "AWSManagedRulesCommonRuleSet")
        .expect("the common rule set");
    let overrides = &common["Statement"]["ManagedRuleGroupStatement"]["RuleActionOverrides"];
    assert!(
        overrides.as_sequence().into_iter().flatten().any(|o| o["Name"] == "SizeRestrictions_BODY"
            && o["ActionToUse"]["Count"].is_mapping()),
        "SizeRestrictions_BODY counts"
    );
    // Our own rule blocks bodies over 8 KB on every path but the reports'.
    let size = rules.iter().find(|r| r["Name"] == "body-size").expect("the body size rule");
    let parts = size["Statement"]["AndStatement"]["Statements"].as_sequence().expect("and");
    assert_eq!(parts[0]["SizeConstraintStatement"]["Size"].as_u64(), Some(8192));
    let exempt = &parts[1]["NotStatement"]["Statement"]["ByteMatchStatement"];
    assert_eq!(exempt["SearchString"], "/api/therapy-reports");
    assert_eq!(
        portal_http::REPORT_BODY_BYTES,
        128 * 1024,
        "the limit the rule leaves to the portal"
    );
    assert!(size["Action"]["Block"].is_mapping());
}

// ------------------------------------------------------------------ the machine API in AWS: the
// token and FHIR functions, the token key in KMS, the clients table (infra/README.md)

/// The tables (logical ids) a function's statements name, with the actions granted on each.
fn table_actions(function: &Value) -> BTreeMap<String, BTreeSet<String>> {
    let mut granted: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for statement in statements(function) {
        for resource in names(&statement["Resource"]).into_iter().filter(|r| r.ends_with("Table")) {
            granted.entry(resource).or_default().extend(actions(statement));
        }
    }
    granted
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|i| i.to_string()).collect()
}

#[test]
fn the_token_function_reads_clients_and_records_used_assertion_ids_and_nothing_else() {
    let template = template();
    let token = functions(&template)["token"];
    let tables = table_actions(token);
    let expected: BTreeMap<String, BTreeSet<String>> = [
        ("ClientsTable".to_string(), set(&["dynamodb:GetItem"])),
        ("CountersTable".to_string(), set(&["dynamodb:PutItem"])),
    ]
    .into();
    assert_eq!(tables, expected, "the token function's tables");
    for forbidden in ["AccountsTable", "AuditTable", "SessionsTable", "ExemptionsTable"] {
        assert!(
            !statements(token).iter().any(|s| format!("{:?}", s["Resource"]).contains(forbidden)),
            "the token function may touch {forbidden}"
        );
    }
    // Its counters are only the used ids (`<tenant>#jti#…`): no quota can be overwritten.
    let counters = statements(token)
        .into_iter()
        .find(|s| names(&s["Resource"]).contains("CountersTable"))
        .expect("a statement on the counters");
    let leading = &counters["Condition"]["ForAllValues:StringLike"]["dynamodb:LeadingKeys"];
    assert_eq!(names(leading), set(&["*#jti#*"]), "{counters:?}");
    // Nothing but DynamoDB (through the data key) and the token key.
    let services: BTreeSet<String> = statements(token)
        .iter()
        .flat_map(|s| actions(s))
        .map(|a| a.split(':').next().unwrap_or_default().to_string())
        .collect();
    assert_eq!(services, set(&["dynamodb", "kms"]));
    assert!(
        token["Properties"]["Policies"]
            .as_sequence()
            .unwrap()
            .iter()
            .all(|p| p.get("Statement").is_some())
    );
}

/// The keys a `*_KEYS_PUBLISHED` variable names: one (`!GetAtt K.Arn`) or several
/// (`!Join [",", [!GetAtt K1.Arn, !GetAtt K2.Arn]]`, as the functions split it).
fn published_keys(value: &Value) -> BTreeSet<String> {
    match tagged(value, "Join").and_then(Value::as_sequence) {
        Some(join) => {
            assert_eq!(join[0].as_str(), Some(","), "joined by commas: {value:?}");
            names(&join[1])
        }
        None => names(value),
    }
}

/// Who may do what with one signing key of the template, by its variables: the key that signs
/// (`id_variable`, as `told_by`'s environment names it) and those published with it
/// (`published_variable`, during and after rotations, infra/RUNBOOK.md).
struct KeyRights {
    /// The key that signs, and every key published (it among them).
    signing_key: BTreeSet<String>,
    keys: BTreeSet<String>,
    /// The functions with `kms:Sign` on the signing key, with `kms:GetPublicKey` on the keys, and
    /// whose environment names the key.
    signers: BTreeSet<String>,
    readers: BTreeSet<String>,
    told: BTreeSet<String>,
}

fn key_rights(
    template: &Value,
    told_by: &str,
    id_variable: &str,
    published_variable: &str,
) -> KeyRights {
    let variables = &functions(template)[told_by]["Properties"]["Environment"]["Variables"];
    let signing_key = names(&variables[id_variable]);
    assert_eq!(signing_key.len(), 1, "{id_variable} names one key: {signing_key:?}");
    let mut keys = signing_key.clone();
    keys.extend(published_keys(&variables[published_variable]));
    for id in &keys {
        let key = &template["Resources"][id.as_str()];
        assert_eq!(key["Type"], "AWS::KMS::Key", "{id}");
        assert_eq!(key["Properties"]["KeySpec"], "ECC_NIST_P256", "{id}");
        assert_eq!(key["Properties"]["KeyUsage"], "SIGN_VERIFY", "{id}");
        assert_eq!(key["DeletionPolicy"], "Retain", "{id}: its public half checks what it signed");
        assert_eq!(key["UpdateReplacePolicy"], "Retain", "{id}");
        // The pipeline's boundary lets the stack's roles use only keys tagged with the stage.
        assert!(format!("{:?}", key["Properties"]["Tags"]).contains("portal:stage"), "{id}");
        // The key policy names no principal but the account, which grants through IAM (below).
        for statement in key["Properties"]["KeyPolicy"]["Statement"].as_sequence().unwrap() {
            let principal = text(statement, &["Principal", "AWS"]).unwrap_or_default();
            assert!(principal.ends_with(":root"), "{id}: {statement:?}");
            assert!(statement["Principal"].get("Service").is_none(), "{id}: {statement:?}");
        }
    }
    let (mut signers, mut readers, mut told) = (BTreeSet::new(), BTreeSet::new(), BTreeSet::new());
    for (name, function) in functions(template) {
        for statement in statements(function) {
            let granted = actions(statement);
            let on = names(&statement["Resource"]);
            if on.is_disjoint(&keys) {
                continue;
            }
            let allowed = set(&["kms:Sign", "kms:GetPublicKey"]);
            assert!(granted.is_subset(&allowed), "{name}: {granted:?} on {keys:?}");
            if granted.contains("kms:Sign") {
                assert_eq!(on, signing_key, "{name}: signs with");
                let condition = &statement["Condition"]["StringEquals"];
                assert_eq!(condition["kms:SigningAlgorithm"], "ECDSA_SHA_256", "{name}");
                assert_eq!(condition["kms:MessageType"], "RAW", "{name}");
                signers.insert(name.clone());
            }
            if granted.contains("kms:GetPublicKey") {
                assert_eq!(on, keys, "{name}: reads the public keys of");
                readers.insert(name.clone());
            }
        }
        let own = &function["Properties"]["Environment"]["Variables"];
        if !own[id_variable].is_null() {
            assert_eq!(names(&own[id_variable]), signing_key, "{name}: {id_variable}");
            let published = published_keys(&own[published_variable]);
            assert_eq!(published, published_keys(&variables[published_variable]), "{name}");
            told.insert(name.clone());
        }
    }
    let globals = &template["Globals"]["Function"]["Environment"]["Variables"];
    assert!(globals.get(id_variable).is_none(), "{id_variable} not in Globals");
    assert!(globals.get(published_variable).is_none(), "{published_variable} not in Globals");
    KeyRights { signing_key, keys, signers, readers, told }
}

/// The functions whose capability uses a key as `wanted`.
fn by_use(
    uses: fn(Capability) -> Option<portal_lambda::KeyUse>,
    wanted: &[portal_lambda::KeyUse],
) -> BTreeSet<String> {
    Capability::ALL
        .into_iter()
        .filter(|c| uses(*c).is_some_and(|u| wanted.contains(&u)))
        .map(|c| c.name().to_string())
        .collect()
}

#[test]
fn only_the_token_function_signs_with_the_token_key_and_only_the_machine_apis_functions_read_it() {
    use portal_lambda::KeyUse::{ReadsPublicKeys, Signs};
    use portal_lambda::{TOKEN_KEY_ID, TOKEN_KEYS_PUBLISHED, token_key_use};
    let template = template();
    let rights = key_rights(&template, "token", TOKEN_KEY_ID, TOKEN_KEYS_PUBLISHED);
    let signers = by_use(token_key_use, &[Signs]);
    let readers = by_use(token_key_use, &[Signs, ReadsPublicKeys]);
    assert_eq!(signers, set(&["token"]));
    assert_eq!(readers, set(&["token", "fhir"]));
    assert_eq!(rights.signers, signers, "who may kms:Sign with the token key");
    assert_eq!(rights.readers, readers, "who may kms:GetPublicKey of the token key");
    assert_eq!(rights.told, readers, "who is told the token key");
}

#[test]
fn only_the_query_and_fhir_functions_sign_proofs_and_the_token_and_proofs_functions_read_the_proof_keys()
 {
    use portal_lambda::KeyUse::{ReadsPublicKeys, Signs};
    use portal_lambda::{
        PROOF_KEY_ID, PROOF_KEYS_PUBLISHED, TOKEN_KEY_ID, TOKEN_KEYS_PUBLISHED, proof_key_use,
    };
    let template = template();
    let rights = key_rights(&template, "query", PROOF_KEY_ID, PROOF_KEYS_PUBLISHED);
    let signers = by_use(proof_key_use, &[Signs]);
    let readers = by_use(proof_key_use, &[Signs, ReadsPublicKeys]);
    // Without a signer a query answers 503: both functions that answer queries sign.
    assert_eq!(signers, set(&["query", "fhir"]));
    // The token function publishes the proof keys in /oauth/jwks.json, the proofs function
    // checks proofs against them.
    assert_eq!(readers, set(&["query", "fhir", "token", "proofs"]));
    assert_eq!(rights.signers, signers, "who may kms:Sign with the proof key");
    assert_eq!(rights.readers, readers, "who may kms:GetPublicKey of the proof keys");
    assert_eq!(rights.told, readers, "who is told the proof key");
    // A key of its own: what answers queries cannot mint access tokens, nor the reverse.
    let token = key_rights(&template, "token", TOKEN_KEY_ID, TOKEN_KEYS_PUBLISHED);
    assert!(token.keys.is_disjoint(&rights.keys), "{:?} {:?}", token.keys, rights.keys);
    assert!(rights.signing_key.is_subset(&rights.keys));
    // Proofs are kept for years: the key is never rotated by KMS (asymmetric) nor deleted.
    let key = &template["Resources"][rights.signing_key.first().unwrap().as_str()];
    assert!(format!("{:?}", key["Metadata"]["checkov"]).contains("CKV_AWS_7"));
}

#[test]
fn no_function_uses_a_kms_key_beyond_its_own_and_the_boundary_allows_signing_with_the_stages_keys_only()
 {
    let template = template();
    let mut known = key_rights(
        &template,
        "token",
        portal_lambda::TOKEN_KEY_ID,
        portal_lambda::TOKEN_KEYS_PUBLISHED,
    )
    .keys;
    known.extend(
        key_rights(
            &template,
            "query",
            portal_lambda::PROOF_KEY_ID,
            portal_lambda::PROOF_KEYS_PUBLISHED,
        )
        .keys,
    );
    known.insert("DataKey".into());
    for (name, function) in functions(&template) {
        for statement in statements(function) {
            let granted = actions(statement);
            if !granted.iter().any(|a| a.starts_with("kms:")) {
                continue;
            }
            // No function may use any key by a wildcard, or KMS beyond the named actions.
            assert!(!granted.contains("kms:*"), "{name}: kms:*");
            let on = names(&statement["Resource"]);
            assert!(!on.is_empty() && on.is_subset(&known), "{name}: KMS on {on:?}");
            if granted.contains("kms:Sign") || granted.contains("kms:GetPublicKey") {
                assert!(!on.contains("DataKey"), "{name}: signs with the data key");
            }
        }
    }
    // The permissions boundary lets the stack's roles sign only with the stage's keys.
    let boundary = yaml("infra/deploy-role.yaml");
    let statements =
        boundary["Resources"]["RoleBoundary"]["Properties"]["PolicyDocument"]["Statement"]
            .as_sequence()
            .unwrap();
    let sign = statements
        .iter()
        .find(|s| actions(s).contains("kms:Sign"))
        .expect("the boundary allows kms:Sign");
    assert!(format!("{:?}", sign["Condition"]).contains("aws:ResourceTag/portal:stage"));
}

#[test]
fn the_proofs_function_reads_one_audit_record_and_counts_its_own_checks_and_nothing_else() {
    let template = template();
    let proofs = functions(&template)["proofs"];
    let expected: BTreeMap<String, BTreeSet<String>> = [
        ("AuditTable".to_string(), set(&["dynamodb:GetItem"])),
        ("CountersTable".to_string(), set(&["dynamodb:UpdateItem"])),
    ]
    .into();
    assert_eq!(table_actions(proofs), expected, "the proofs function's tables");
    for forbidden in [
        "AccountsTable",
        "SessionsTable",
        "ExemptionsTable",
        "ClientsTable",
        "ProvidersTable",
        "ReportsTable",
        "TokenSigningKey",
    ] {
        assert!(
            !statements(proofs).iter().any(|s| format!("{:?}", s["Resource"]).contains(forbidden)),
            "the proofs function may touch {forbidden}"
        );
    }
    assert!(secrets_in_environment(&template, proofs).is_empty());
    // Its counters are only its own rate limit (`<tenant>#proof-checks#…`): no quota can be
    // raised or reset, and the key the code counts under matches.
    let counters = statements(proofs)
        .into_iter()
        .find(|s| names(&s["Resource"]).contains("CountersTable"))
        .expect("a statement on the counters");
    let leading = &counters["Condition"]["ForAllValues:StringLike"]["dynamodb:LeadingKeys"];
    assert_eq!(names(leading), set(&["*#proof-checks#*"]), "{counters:?}");
    let client = portal_domain::ClientAddress::of("192.0.2.7".parse().unwrap());
    let key = portal_core::Counter::proof_checks_of(client, time::OffsetDateTime::now_utc()).key();
    let scoped = format!("{}#{key}", crate::harness::tenant_ik());
    assert!(scoped.contains("#proof-checks#"), "{scoped}");
    // Nothing but DynamoDB (through the data key) and the proof keys' public halves.
    let services: BTreeSet<String> = statements(proofs)
        .iter()
        .flat_map(|s| actions(s))
        .map(|a| a.split(':').next().unwrap_or_default().to_string())
        .collect();
    assert_eq!(services, set(&["dynamodb", "kms"]));
}

#[test]
fn the_fhir_function_asks_with_the_query_functions_rights_and_reads_clients_but_no_account_or_session()
 {
    let template = template();
    let functions = functions(&template);
    let (fhir, query) = (functions["fhir"], functions["query"]);
    let by_sid = |function: &Value, sid: &str| -> Value {
        statements(function)
            .into_iter()
            .find(|s| s["Sid"] == sid)
            .unwrap_or_else(|| panic!("no statement {sid}"))
            .clone()
    };
    for sid in [
        "Exemptions",
        "LimitsCountedWithTheAuditRecord",
        "AuditIsAppendedNeverChanged",
        "EncryptedTables",
    ] {
        assert_eq!(by_sid(fhir, sid), by_sid(query, sid), "{sid}");
    }
    let tables = table_actions(fhir);
    let expected: BTreeMap<String, BTreeSet<String>> = [
        ("ClientsTable".to_string(), set(&["dynamodb:GetItem"])),
        ("ExemptionsTable".to_string(), set(&["dynamodb:GetItem", "dynamodb:Query"])),
        ("CountersTable".to_string(), set(&["dynamodb:UpdateItem"])),
        ("AuditTable".to_string(), set(&["dynamodb:GetItem", "dynamodb:PutItem"])),
    ]
    .into();
    assert_eq!(tables, expected, "the FHIR function's tables");
}

#[test]
fn the_clients_table_is_the_one_the_adapter_makes_and_every_function_is_told_its_name() {
    let template = template();
    let table = &template["Resources"]["ClientsTable"];
    let properties = &table["Properties"];
    assert_eq!(properties["KeySchema"][0]["AttributeName"], "client_id");
    let index = &properties["GlobalSecondaryIndexes"][0];
    assert_eq!(index["IndexName"], "by_ik");
    assert_eq!(index["KeySchema"][0]["AttributeName"], "ik");
    assert_eq!(index["KeySchema"][1]["AttributeName"], "client_id");
    assert_eq!(index["Projection"]["ProjectionType"], "ALL");
    // Kept, recoverable and encrypted like every other table.
    let accounts = &template["Resources"]["AccountsTable"];
    for key in ["DeletionPolicy", "UpdateReplacePolicy"] {
        assert_eq!(table[key], accounts[key], "{key}");
    }
    for key in [
        "BillingMode",
        "PointInTimeRecoverySpecification",
        "SSESpecification",
        "DeletionProtectionEnabled",
    ] {
        assert_eq!(properties[key], accounts["Properties"][key], "{key}");
    }
    let variables = &template["Globals"]["Function"]["Environment"]["Variables"];
    assert_eq!(names(&variables["PORTAL_TABLE_CLIENTS"]), set(&["ClientsTable"]));
}

#[test]
fn cloudfront_sends_every_path_the_api_answers_to_the_api_uncached_with_the_viewers_host() {
    let template = template();
    let config = &template["Resources"]["Distribution"]["Properties"]["DistributionConfig"];
    let behaviours = config["CacheBehaviors"].as_sequence().expect("cache behaviours");
    let api = behaviours.iter().find(|b| b["PathPattern"] == "/api/*").expect("/api/*");
    // `/api`, `/fhir`, `/oauth`: the first segment of every route.
    let prefixes: BTreeSet<String> = routes()
        .into_iter()
        .map(|r| format!("/{}/*", r.path.trim_start_matches('/').split('/').next().unwrap()))
        .collect();
    assert!(prefixes.contains("/fhir/*") && prefixes.contains("/oauth/*"), "{prefixes:?}");
    for prefix in &prefixes {
        let behaviour = behaviours
            .iter()
            .find(|b| b["PathPattern"] == prefix.as_str())
            .unwrap_or_else(|| panic!("no cache behaviour for {prefix}"));
        let mut same = behaviour.clone();
        same["PathPattern"] = api["PathPattern"].clone();
        assert_eq!(&same, api, "{prefix} is routed as /api/* is");
    }
}

// ------------------------------------------------------------------ the tables as the adapter
// makes them, and the second factor's routes (sessions listed and ended)

/// A table's keys, attributes and indexes, as comparable text: `(name, type)` of the key schema
/// in order, `name: type` of the attributes, and per index its key schema and projection.
type TableShape =
    (Vec<(String, String)>, BTreeSet<String>, BTreeMap<String, (Vec<(String, String)>, String)>);

fn template_tables(template: &Value) -> BTreeMap<String, TableShape> {
    let key_schema = |schema: &Value| -> Vec<(String, String)> {
        schema
            .as_sequence()
            .expect("a KeySchema")
            .iter()
            .map(|k| {
                let name = text(k, &["AttributeName"]).unwrap().to_string();
                (name, text(k, &["KeyType"]).unwrap().to_string())
            })
            .collect()
    };
    resources(template, "AWS::DynamoDB::Table")
        .into_values()
        .map(|table| {
            let properties = &table["Properties"];
            let name = text(properties, &["TableName"]).expect("a TableName").to_string();
            let attributes = properties["AttributeDefinitions"]
                .as_sequence()
                .unwrap()
                .iter()
                .map(|a| {
                    let name = text(a, &["AttributeName"]).unwrap();
                    format!("{name}: {}", text(a, &["AttributeType"]).unwrap())
                })
                .collect();
            let indexes = properties["GlobalSecondaryIndexes"]
                .as_sequence()
                .into_iter()
                .flatten()
                .map(|index| {
                    let projection = text(index, &["Projection", "ProjectionType"]).unwrap();
                    (
                        text(index, &["IndexName"]).unwrap().to_string(),
                        (key_schema(&index["KeySchema"]), projection.to_string()),
                    )
                })
                .collect();
            (name, (key_schema(&properties["KeySchema"]), attributes, indexes))
        })
        .collect()
}

fn adapter_tables() -> BTreeMap<String, TableShape> {
    use aws_sdk_dynamodb::config::{BehaviorVersion, Region};
    // Never sent: only the requests' contents are compared.
    let config = aws_sdk_dynamodb::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("eu-central-1"))
        .build();
    // The template's names, `portal-${Stage}-<table>`.
    let tables = portal_store_dynamodb::Tables::with_prefix("portal-${Stage}-");
    let store = portal_store_dynamodb::DynamoStore::new(
        aws_sdk_dynamodb::Client::from_conf(config),
        tables,
        &crate::harness::tenant_ik(),
    );
    let key_schema = |schema: &[aws_sdk_dynamodb::types::KeySchemaElement]| {
        schema
            .iter()
            .map(|k| (k.attribute_name().to_string(), k.key_type().as_str().to_string()))
            .collect::<Vec<_>>()
    };
    store
        .table_requests()
        .expect("the adapter's tables")
        .into_iter()
        .map(|request| {
            let name = request.get_table_name().clone().expect("a table name");
            let keys = key_schema(request.get_key_schema().as_deref().unwrap_or_default());
            let attributes = request
                .get_attribute_definitions()
                .iter()
                .flatten()
                .map(|a| format!("{}: {}", a.attribute_name(), a.attribute_type().as_str()))
                .collect();
            let indexes = request
                .get_global_secondary_indexes()
                .iter()
                .flatten()
                .map(|index| {
                    let projection = index
                        .projection()
                        .and_then(|p| p.projection_type())
                        .map(|p| p.as_str().to_string())
                        .unwrap_or_default();
                    (index.index_name().to_string(), (key_schema(index.key_schema()), projection))
                })
                .collect();
            (name, (keys, attributes, indexes))
        })
        .collect()
}

#[test]
fn every_table_of_the_template_is_the_one_the_adapter_makes() {
    let template = template();
    let deployed = template_tables(&template);
    let made = adapter_tables();
    assert_eq!(deployed.keys().collect::<Vec<_>>(), made.keys().collect::<Vec<_>>());
    for (name, shape) in &made {
        assert_eq!(&deployed[name], shape, "{name}: keys, attributes, indexes");
    }
    // The second factor's list of sessions: a provider's, by when they began.
    let sessions = &made["portal-${Stage}-sessions"];
    let by_ik = &sessions.2["by_ik"];
    assert_eq!(by_ik.0, [("owner".into(), "HASH".into()), ("created_at".into(), "RANGE".into())]);
}

#[test]
fn the_session_function_lists_a_providers_sessions_on_the_by_ik_index_only_and_reads_no_audit() {
    let template = template();
    let functions = functions(&template);
    for (name, function) in &functions {
        let on_index = statements(function)
            .into_iter()
            .filter(|s| format!("{:?}", s["Resource"]).contains("SessionsTable.Arn}/index/"))
            .collect::<Vec<_>>();
        if name != "session" {
            assert!(on_index.is_empty(), "{name} may read a provider's sessions");
            continue;
        }
        assert_eq!(on_index.len(), 1, "{on_index:?}");
        assert_eq!(actions(on_index[0]), set(&["dynamodb:Query"]));
        assert_eq!(names(&on_index[0]["Resource"]), set(&["${SessionsTable.Arn}/index/by_ik"]));
    }
    // The table itself is never queried or scanned: a session is read by its key.
    for (name, function) in &functions {
        for statement in statements(function) {
            if names(&statement["Resource"]).contains("SessionsTable") {
                let granted = actions(statement);
                assert!(!granted.contains("dynamodb:Query"), "{name}");
                assert!(!granted.contains("dynamodb:Scan"), "{name}");
            }
        }
    }
    let session = table_actions(functions["session"]);
    for forbidden in ["AuditTable", "ExemptionsTable", "ReportsTable"] {
        assert!(!session.contains_key(forbidden), "the session function may touch {forbidden}");
    }
    // The provider's own machine API clients: read and revoked, never registered (PutItem).
    assert_eq!(
        session.get("ClientsTable").cloned().unwrap_or_default(),
        set(&["dynamodb:GetItem", "dynamodb:UpdateItem"])
    );
}
