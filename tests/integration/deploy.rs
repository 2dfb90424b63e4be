//! The deployment agrees with the code: every API route reaches the function of its capability in
//! `infra/template.yaml` and nothing else does, CloudFront sets the local server's security
//! headers, and the functions that must not read password hashes can read only what the code asks.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use portal_core::{Stores, SystemClock};
use portal_http::{Capability, SECURITY_HEADERS, api_for, routes};
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

/// The serverless functions with their `BuildProperties.Binary`.
fn functions(template: &Value) -> BTreeMap<String, &Value> {
    let resources = template["Resources"].as_mapping().expect("Resources");
    resources
        .values()
        .filter(|r| r["Type"] == "AWS::Serverless::Function")
        .map(|r| {
            let binary = text(r, &["Metadata", "BuildProperties", "Binary"]).expect("a Binary");
            (binary.to_string(), r)
        })
        .collect()
}

/// (binary, METHOD, path) of every HttpApi event but the `$default` catch-all.
fn deployed_routes(template: &Value) -> BTreeSet<(String, String, String)> {
    let mut deployed = BTreeSet::new();
    for (binary, function) in functions(template) {
        let Some(events) = function["Properties"]["Events"].as_mapping() else { continue };
        for event in events.values().filter(|e| e["Type"] == "HttpApi") {
            let method = text(event, &["Properties", "Method"]).expect("a Method");
            let path = text(event, &["Properties", "Path"]).expect("a Path");
            if path != "$default" {
                deployed.insert((binary.clone(), method.to_string(), path.to_string()));
            }
        }
    }
    deployed
}

#[test]
fn every_route_is_deployed_to_the_function_of_its_capability_and_no_other_route_is() {
    let expected: BTreeSet<_> = routes()
        .into_iter()
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
fn every_function_in_the_template_is_a_binary_of_the_lambda_crate_and_back() {
    let manifest = std::fs::read_to_string(repo_root().join("functions/lambda/Cargo.toml"))
        .expect("the lambda crate's manifest");
    let binaries: BTreeSet<String> = manifest
        .lines()
        .filter_map(|line| line.trim().strip_prefix("name = \""))
        .filter_map(|rest| rest.strip_suffix('"'))
        .filter(|name| *name != "portal-lambda")
        .map(str::to_string)
        .collect();
    let template = template();
    let deployed: BTreeSet<String> = functions(&template).into_keys().collect();
    assert_eq!(deployed, binaries);
    for capability in Capability::ALL {
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
                .uri(route.path)
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
    put(
        "content-security-policy",
        text(security, &["ContentSecurityPolicy", "ContentSecurityPolicy"]).unwrap().into(),
    );
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
fn the_query_and_dispatch_functions_can_read_an_accounts_standing_but_not_its_hashes() {
    let template = template();
    let functions = functions(&template);
    let standing: BTreeSet<String> =
        portal_store_dynamodb::STANDING_ATTRIBUTES.iter().map(|a| a.to_string()).collect();
    for name in ["query", "dispatch"] {
        let readable = readable_account_attributes(functions[name])
            .unwrap_or_else(|| panic!("{name} may read whole accounts"));
        assert_eq!(readable, standing, "{name}");
        assert!(!readable.iter().any(|a| a.contains("hash")), "{name}");
    }
    for name in ["health", "import"] {
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
