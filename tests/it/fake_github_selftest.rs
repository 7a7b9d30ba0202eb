//! Self-test of the test support: the fake GitHub behaves like GitHub (auth, endpoints,
//! status codes, faults, pagination, conditional requests), and the delivery builders
//! produce GitHub-shaped, correctly signed payloads.

use std::time::{Duration, Instant};

use crate::support::deliveries::{self, Delivery};
use crate::support::fake_github::{
    Auth, BOT_LOGIN, FakeGitHub, Fault, MANIFEST_CODE, repo_id, user_id,
};
use crate::support::keys;
use reqwest::header::HeaderMap;
use serde_json::{Value, json};

const OWNER: &str = "acme";
const REPO: &str = "widgets";
const HEAD: &str = "1111111111111111111111111111111111111111";

fn repo_path(rest: &str) -> String {
    format!("/repos/{OWNER}/{REPO}{rest}")
}

fn bearer(credential: &str) -> String {
    format!("Bearer {credential}")
}

/// One answer from the fake.
struct Answer {
    status: u16,
    headers: HeaderMap,
    json: Value,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    fn message(&self) -> Option<&str> {
        self.json["message"].as_str()
    }

    fn items(&self) -> &Vec<Value> {
        self.json.as_array().expect("a JSON array")
    }
}

/// A raw HTTP client for the fake with a fixed `Authorization` header, so the test sees
/// exactly what a GitHub client would.
#[derive(Clone)]
struct Client {
    http: reqwest::Client,
    base: String,
    auth: Option<String>,
}

impl Client {
    fn anonymous(fake: &FakeGitHub) -> Client {
        Client {
            http: reqwest::Client::new(),
            base: fake.url(),
            auth: None,
        }
    }

    fn with_auth(&self, auth: &str) -> Client {
        Client {
            auth: Some(auth.to_string()),
            ..self.clone()
        }
    }

    /// As the App, with a fresh JWT.
    fn as_app(&self) -> Client {
        self.with_auth(&bearer(&keys::app_jwt()))
    }

    async fn get(&self, path: &str) -> Answer {
        self.request("GET", path, Value::Null, &[]).await
    }

    /// `body` `Null` sends no body.
    async fn send(&self, method: &str, path: &str, body: Value) -> Answer {
        self.request(method, path, body, &[]).await
    }

    async fn request(
        &self,
        method: &str,
        path: &str,
        body: Value,
        headers: &[(&str, &str)],
    ) -> Answer {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut request = self.http.request(method, format!("{}{path}", self.base));
        if let Some(auth) = &self.auth {
            request = request.header("authorization", auth);
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        if !body.is_null() {
            request = request.json(&body);
        }
        let response = request.send().await.expect("the fake answers");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let bytes = response.bytes().await.unwrap();
        let json = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).expect("a JSON body")
        };
        Answer {
            status,
            headers,
            json,
        }
    }

    /// Mints an installation token as the App.
    async fn installation_token(&self, installation: u64) -> String {
        let path = format!("/app/installations/{installation}/access_tokens");
        let answer = self.as_app().send("POST", &path, json!({})).await;
        assert_eq!(answer.status, 201, "{}", answer.json);
        answer.json["token"].as_str().unwrap().to_string()
    }
}

/// A fake with one repository, issue #1 by alice and pull request #2 by bob (head `HEAD`),
/// and a client authenticated with an installation token.
async fn world() -> (FakeGitHub, Client) {
    let fake = FakeGitHub::start().await;
    fake.add_repo(OWNER, REPO);
    fake.add_issue(OWNER, REPO, 1, "alice");
    fake.add_pull(OWNER, REPO, 2, "bob", HEAD);
    let anonymous = Client::anonymous(&fake);
    let token = anonymous.installation_token(1).await;
    (fake, anonymous.with_auth(&format!("token {token}")))
}

// ---- auth -------------------------------------------------------------------------------------

#[tokio::test]
async fn app_endpoints_need_a_valid_jwt() {
    let fake = FakeGitHub::start().await;
    fake.add_repo(OWNER, REPO);
    let anonymous = Client::anonymous(&fake);
    let now = jiff::Timestamp::now().as_second();
    let jwt_error = Some("A JSON web token could not be decoded");

    let answer = anonymous.get("/app").await;
    assert_eq!((answer.status, answer.message()), (401, jwt_error));
    for claims in [
        json!({ "iss": 1, "iat": now - 60, "exp": now + 500 }), // another App
        json!({ "iss": keys::APP_ID, "iat": now - 700, "exp": now - 10 }), // expired
        json!({ "iss": keys::APP_ID, "iat": now - 60, "exp": now + 900 }), // lives too long
        json!({ "iat": now - 60, "exp": now + 500 }),           // no issuer
    ] {
        let jwt = bearer(&keys::jwt_with_claims(&claims));
        let answer = anonymous.with_auth(&jwt).get("/app").await;
        assert_eq!(
            (answer.status, answer.message()),
            (401, jwt_error),
            "{claims}"
        );
    }
    assert_eq!(
        anonymous
            .with_auth("Bearer not.a.jwt")
            .get("/app")
            .await
            .status,
        401
    );

    // `iss` as a number (octocrab sends one) or as a string.
    for iss in [json!(keys::APP_ID), json!(keys::APP_ID.to_string())] {
        let claims = json!({ "iss": iss, "iat": now - 60, "exp": now + 540 });
        let answer = anonymous
            .with_auth(&bearer(&keys::jwt_with_claims(&claims)))
            .get("/app")
            .await;
        assert_eq!(answer.status, 200);
        assert_eq!(
            (&answer.json["slug"], &answer.json["id"]),
            (&json!("tacit-test"), &json!(keys::APP_ID))
        );
    }

    let app = anonymous.as_app();
    let installations = app.get("/app/installations").await;
    assert_eq!(installations.status, 200);
    assert_eq!(installations.json[0]["id"], 1);
    assert_eq!(installations.json[0]["account"]["login"], OWNER);
    assert_eq!(installations.json[0]["app_id"], keys::APP_ID);

    let answer = app
        .send("POST", "/app/installations/1/access_tokens", Value::Null)
        .await;
    assert_eq!(answer.status, 201);
    let token = answer.json["token"].as_str().unwrap();
    assert!(token.starts_with("ghs_") && token.len() == 40, "{token}");
    let expires: jiff::Timestamp = answer.json["expires_at"].as_str().unwrap().parse().unwrap();
    assert!(
        (3590..=3610).contains(&(expires.as_second() - now)),
        "expires in an hour"
    );
    assert_eq!(answer.json["repositories"][0]["full_name"], "acme/widgets");

    let unknown = app
        .send("POST", "/app/installations/99/access_tokens", Value::Null)
        .await;
    assert_eq!(unknown.status, 404);
    let with_token = anonymous
        .with_auth(&format!("token {token}"))
        .get("/app")
        .await;
    assert_eq!(with_token.status, 401, "an installation token is no JWT");
    let installation = app.get(&repo_path("/installation")).await;
    assert_eq!(
        (installation.status, &installation.json["id"]),
        (200, &json!(1))
    );

    fake.suspend_installation(1);
    let suspended = app
        .send("POST", "/app/installations/1/access_tokens", Value::Null)
        .await;
    assert_eq!(suspended.status, 403);

    let kinds: Vec<Auth> = fake.requests().into_iter().map(|r| r.auth).collect();
    assert_eq!(kinds[0], Auth::None);
    assert!(kinds.contains(&Auth::App));
    assert!(kinds.contains(&Auth::Invalid));
    assert!(
        kinds.contains(&Auth::Installation(1)),
        "the installation token was recognised"
    );
}

#[tokio::test]
async fn a_manifest_code_is_exchanged_once() {
    let fake = FakeGitHub::start().await;
    let anonymous = Client::anonymous(&fake);
    let path = format!("/app-manifests/{MANIFEST_CODE}/conversions");

    let answer = anonymous.send("POST", &path, Value::Null).await;
    assert_eq!(answer.status, 201, "{}", answer.json);
    // GitHub's own example: the App with the secrets only this answer ever shows.
    assert_eq!(answer.json, fake.manifest_conversion());
    assert_eq!(
        (&answer.json["id"], &answer.json["slug"]),
        (&json!(1), &json!("octoapp"))
    );
    let pem = answer.json["pem"].as_str().unwrap();
    assert!(
        pem.starts_with("-----BEGIN RSA PRIVATE KEY-----\n"),
        "{pem}"
    );
    assert!(answer.json["webhook_secret"].is_string());

    // Used up, like on GitHub; an unknown code is no better.
    let again = anonymous.send("POST", &path, Value::Null).await;
    assert_eq!((again.status, again.message()), (404, Some("Not Found")));
    let unknown = anonymous
        .send(
            "POST",
            "/app-manifests/never-issued/conversions",
            Value::Null,
        )
        .await;
    assert_eq!(unknown.status, 404);

    fake.add_manifest_code("second-code");
    let answer = anonymous
        .send(
            "POST",
            "/app-manifests/second-code/conversions",
            Value::Null,
        )
        .await;
    assert_eq!(answer.status, 201);
    assert_eq!(fake.count("POST", "/app-manifests/{code}/conversions"), 4);
}

#[tokio::test]
async fn repository_endpoints_need_an_installation_token() {
    let (fake, api) = world().await;
    let anonymous = Client::anonymous(&fake);
    let path = repo_path("");

    let answer = anonymous.get(&path).await;
    assert_eq!(
        (answer.status, answer.message()),
        (401, Some("Requires authentication"))
    );
    let answer = anonymous.with_auth("token ghs_unknown").get(&path).await;
    assert_eq!(
        (answer.status, answer.message()),
        (401, Some("Bad credentials"))
    );
    assert_eq!(
        anonymous.as_app().get(&path).await.status,
        401,
        "a JWT is no installation token"
    );

    // `token x` and `Bearer x` both work.
    assert_eq!(api.get(&path).await.status, 200);
    let token = api.auth.as_deref().unwrap().trim_start_matches("token ");
    assert_eq!(
        anonymous.with_auth(&bearer(token)).get(&path).await.status,
        200
    );
    assert_eq!(fake.requests().last().unwrap().auth, Auth::Installation(1));

    fake.expire_tokens();
    assert_eq!(api.get(&path).await.status, 401);
    assert_eq!(fake.requests().last().unwrap().auth, Auth::Invalid);

    // A repository of another installation is invisible.
    let api = anonymous.with_auth(&format!("token {}", anonymous.installation_token(1).await));
    fake.add_repo("other", "private").set_installation(7);
    assert_eq!(api.get("/repos/other/private").await.status, 404);
    let api7 = anonymous.with_auth(&format!("token {}", anonymous.installation_token(7).await));
    assert_eq!(api7.get("/repos/other/private").await.status, 200);

    let listed = api.get("/installation/repositories").await;
    assert_eq!(listed.status, 200);
    assert_eq!(listed.json["total_count"], 1);
    assert_eq!(listed.json["repositories"][0]["full_name"], "acme/widgets");
}

// ---- repositories, contents, permissions --------------------------------------------------------

#[tokio::test]
async fn repository_and_contents() {
    let (fake, api) = world().await;

    let answer = api.get(&repo_path("")).await;
    assert_eq!(answer.status, 200);
    let repo = &answer.json;
    assert_eq!(
        (&repo["full_name"], &repo["owner"]["login"]),
        (&json!("acme/widgets"), &json!(OWNER))
    );
    assert_eq!(
        (&repo["default_branch"], &repo["id"]),
        (&json!("main"), &json!(repo_id(OWNER, REPO)))
    );
    for key in [
        "allow_merge_commit",
        "allow_squash_merge",
        "allow_rebase_merge",
    ] {
        assert_eq!(repo[key], true, "{key}");
    }
    assert_eq!(
        repo["url"],
        format!("{}/repos/acme/widgets", fake.url()),
        "API urls lead to the fake"
    );
    assert_eq!(
        answer.header("content-type"),
        Some("application/json; charset=utf-8")
    );
    assert!(answer.header("x-ratelimit-remaining").is_some());
    assert!(answer.header("x-ratelimit-reset").is_some());

    fake.set_repo_merge_methods(OWNER, REPO, false, true, false);
    let repo = api.get(&repo_path("")).await.json;
    assert_eq!(repo["allow_merge_commit"], false);
    assert_eq!(repo["allow_squash_merge"], true);

    let config = "window: 48h\nintents:\n  intent-to-merge: { action: merge }\n";
    fake.set_file(OWNER, REPO, ".github/tacit.yml", config);
    let path = repo_path("/contents/.github/tacit.yml?ref=main");
    let file = api.get(&path).await;
    assert_eq!(file.status, 200);
    assert_eq!(file.json["encoding"], "base64");
    assert_eq!(
        (&file.json["path"], &file.json["name"]),
        (&json!(".github/tacit.yml"), &json!("tacit.yml"))
    );
    let encoded: String = file.json["content"]
        .as_str()
        .unwrap()
        .split_whitespace()
        .collect();
    assert_eq!(decode_base64(&encoded), config.as_bytes());
    assert_eq!(file.json["sha"].as_str().unwrap().len(), 40);

    // Conditional requests.
    let etag = file.header("etag").expect("an ETag").to_string();
    let again = api
        .request("GET", &path, Value::Null, &[("if-none-match", &etag)])
        .await;
    assert_eq!((again.status, &again.json), (304, &Value::Null));
    fake.set_file(OWNER, REPO, ".github/tacit.yml", "window: 1h\n");
    let changed = api
        .request("GET", &path, Value::Null, &[("if-none-match", &etag)])
        .await;
    assert_eq!(changed.status, 200);
    assert_ne!(changed.json["sha"], file.json["sha"]);

    let encoded_slash = api.get(&repo_path("/contents/.github%2Ftacit.yml")).await;
    assert_eq!(encoded_slash.status, 200);
    let missing = api.get(&repo_path("/contents/missing.yml")).await;
    assert_eq!(
        (missing.status, missing.message()),
        (404, Some("Not Found"))
    );
    let other_ref = api
        .get(&repo_path("/contents/.github/tacit.yml?ref=feature"))
        .await;
    assert_eq!(other_ref.status, 404);
    assert_eq!(api.get("/repos/acme/nope/contents/x").await.status, 404);
}

#[tokio::test]
async fn collaborator_permissions() {
    let (fake, api) = world().await;
    fake.set_permission(OWNER, REPO, "maria", "maintain");
    fake.set_permission(OWNER, REPO, "tess", "triage");
    fake.set_permission(OWNER, REPO, "walt", "write");
    fake.set_custom_permission(OWNER, REPO, "rita", "release-manager", "maintain");
    for (user, permission, role) in [
        ("maria", "write", "maintain"),
        ("tess", "read", "triage"),
        ("walt", "write", "write"),
        ("rita", "write", "release-manager"),
        ("nobody", "read", "read"),
        (OWNER, "admin", "admin"),
    ] {
        let answer = api
            .get(&repo_path(&format!("/collaborators/{user}/permission")))
            .await;
        assert_eq!(answer.status, 200);
        assert_eq!(answer.json["permission"], permission, "{user}");
        assert_eq!(answer.json["role_name"], role, "{user}");
        assert_eq!(answer.json["user"]["login"], user);
    }
}

// ---- issues and pull requests -------------------------------------------------------------------

#[tokio::test]
async fn issues_and_pull_requests() {
    let (fake, api) = world().await;
    fake.set_labels(OWNER, REPO, 1, &["bug"]);

    let issue = api.get(&repo_path("/issues/1")).await;
    assert_eq!(issue.status, 200);
    let issue = issue.json;
    assert_eq!(
        (&issue["number"], &issue["state"]),
        (&json!(1), &json!("open"))
    );
    assert_eq!(
        (&issue["user"]["login"], &issue["user"]["type"]),
        (&json!("alice"), &json!("User"))
    );
    assert_eq!(issue["labels"][0]["name"], "bug");
    assert!(
        issue.get("pull_request").is_none(),
        "an issue has no pull_request key"
    );
    assert!(issue["created_at"].as_str().unwrap().ends_with('Z'));

    let pr_as_issue = api.get(&repo_path("/issues/2")).await.json;
    assert!(
        pr_as_issue["pull_request"]["url"]
            .as_str()
            .unwrap()
            .ends_with("/pulls/2")
    );

    let pull = api.get(&repo_path("/pulls/2")).await;
    assert_eq!(pull.status, 200);
    let pull = pull.json;
    assert_eq!(
        (&pull["head"]["sha"], &pull["base"]["ref"]),
        (&json!(HEAD), &json!("main"))
    );
    assert_eq!(
        (&pull["merged"], &pull["draft"]),
        (&json!(false), &json!(false))
    );
    assert_eq!(
        (&pull["mergeable"], &pull["user"]["login"]),
        (&Value::Null, &json!("bob"))
    );
    assert_eq!(
        api.get(&repo_path("/pulls/1")).await.status,
        404,
        "issue 1 is no pull request"
    );
    assert_eq!(api.get(&repo_path("/issues/99")).await.status, 404);
    assert_eq!(api.get(&repo_path("/issues/abc")).await.status, 404);

    let pushed = "2222222222222222222222222222222222222222";
    fake.push(OWNER, REPO, 2, pushed);
    assert_eq!(
        api.get(&repo_path("/pulls/2")).await.json["head"]["sha"],
        pushed
    );

    // Closing an issue with a reason; closing a pull request through the issues API.
    let body = json!({ "state": "closed", "state_reason": "not_planned" });
    let closed = api.send("PATCH", &repo_path("/issues/1"), body).await;
    assert_eq!(
        (closed.status, &closed.json["state"]),
        (200, &json!("closed"))
    );
    assert_eq!(closed.json["state_reason"], "not_planned");
    assert_eq!(closed.json["closed_by"]["login"], BOT_LOGIN);
    let view = fake.issue(OWNER, REPO, 1);
    assert_eq!(
        (view.state.as_str(), view.state_reason.as_deref()),
        ("closed", Some("not_planned"))
    );

    let closed = api
        .send(
            "PATCH",
            &repo_path("/issues/2"),
            json!({ "state": "closed" }),
        )
        .await;
    assert_eq!(closed.status, 200);
    let view = fake.issue(OWNER, REPO, 2);
    assert_eq!((view.state.as_str(), view.merged), ("closed", false));
    let bad = api
        .send("PATCH", &repo_path("/issues/1"), json!({ "state": "done" }))
        .await;
    assert_eq!(bad.status, 422);

    fake.add_issue(OWNER, REPO, 3, "carol");
    fake.delete_issue(OWNER, REPO, 3);
    assert_eq!(api.get(&repo_path("/issues/3")).await.status, 410);

    // Listing, filtered by state and label, newest first.
    fake.add_issue(OWNER, REPO, 4, "carol");
    fake.set_labels(OWNER, REPO, 4, &["intent-to-close"]);
    fake.add_pull(OWNER, REPO, 5, "dan", HEAD);
    fake.set_labels(OWNER, REPO, 5, &["intent-to-close", "x"]);
    let open = api
        .get(&repo_path("/issues?state=open&labels=intent-to-close"))
        .await;
    let numbers: Vec<&Value> = open.items().iter().map(|i| &i["number"]).collect();
    assert_eq!(numbers, [5, 4]);
    assert_eq!(
        api.get(&repo_path("/issues?state=all")).await.items().len(),
        4
    );
    // Sent on purpose: an unknown state.
    let violations = fake.take_violations();
    assert_eq!(violations.len(), 1, "{violations:#?}");
}

#[tokio::test]
async fn merging() {
    let (fake, api) = world().await;
    let merge = repo_path("/pulls/2/merge");

    let moved = api
        .send(
            "PUT",
            &merge,
            json!({ "sha": "0000", "merge_method": "merge" }),
        )
        .await;
    assert_eq!(moved.status, 409);
    assert_eq!(
        moved.message(),
        Some("Head branch was modified. Review and try the merge again.")
    );

    fake.set_repo_merge_methods(OWNER, REPO, true, false, true);
    let squash = api
        .send(
            "PUT",
            &merge,
            json!({ "sha": HEAD, "merge_method": "squash" }),
        )
        .await;
    assert_eq!(squash.status, 405);
    assert_eq!(
        squash.message(),
        Some("Squash merges are not allowed on this repository.")
    );
    let invalid = api
        .send("PUT", &merge, json!({ "merge_method": "octopus" }))
        .await;
    assert_eq!(invalid.status, 422);

    let required = "Required status check \"ci\" is expected.";
    fake.set_merge_refusal(OWNER, REPO, 2, 405, required);
    for _ in 0..2 {
        let refused = api.send("PUT", &merge, json!({ "sha": HEAD })).await;
        assert_eq!(
            (refused.status, refused.message()),
            (405, Some(required)),
            "until cleared"
        );
    }
    fake.clear_merge_refusal(OWNER, REPO, 2);

    fake.set_draft(OWNER, REPO, 2, true);
    assert_eq!(
        api.send("PUT", &merge, json!({ "sha": HEAD })).await.status,
        405
    );
    fake.set_draft(OWNER, REPO, 2, false);

    assert!(fake.merges(OWNER, REPO, 2).is_empty());
    assert_eq!(api.get(&merge).await.status, 404, "not merged yet");
    let body = json!({ "sha": HEAD, "merge_method": "rebase", "commit_title": "Merge #2" });
    let merged = api.send("PUT", &merge, body.clone()).await;
    assert_eq!((merged.status, &merged.json["merged"]), (200, &json!(true)));
    assert_eq!(merged.message(), Some("Pull Request successfully merged"));
    assert_eq!(merged.json["sha"].as_str().unwrap().len(), 40);
    assert_eq!(fake.merges(OWNER, REPO, 2), [body]);
    let view = fake.issue(OWNER, REPO, 2);
    assert!(view.merged && view.state == "closed");
    let pull = api.get(&repo_path("/pulls/2")).await.json;
    assert_eq!(
        (&pull["merged"], &pull["state"]),
        (&json!(true), &json!("closed"))
    );
    assert!(pull["merged_at"].is_string());
    assert_eq!(api.get(&merge).await.status, 204, "merged");

    let again = api.send("PUT", &merge, json!({ "sha": HEAD })).await;
    assert_eq!(
        (again.status, again.message()),
        (405, Some("Pull Request is not mergeable"))
    );
    assert_eq!(fake.merges(OWNER, REPO, 2).len(), 1);

    let events = api.get(&repo_path("/issues/2/events")).await;
    let kinds: Vec<&Value> = events.items().iter().map(|e| &e["event"]).collect();
    assert_eq!(kinds, ["merged", "closed"]);
    assert_eq!(events.json[0]["actor"]["login"], BOT_LOGIN);
    // Sent on purpose: an unknown merge method.
    let violations = fake.take_violations();
    assert_eq!(violations.len(), 1, "{violations:#?}");
}

// ---- comments, labels, reviews, check runs ------------------------------------------------------

#[tokio::test]
async fn comments() {
    let (fake, api) = world().await;
    let human = fake.add_comment(OWNER, REPO, 1, "carol", "/object too risky");
    let comments = repo_path("/issues/1/comments");

    let created = api
        .send("POST", &comments, json!({ "body": "status" }))
        .await;
    assert_eq!(created.status, 201);
    let id = created.json["id"].as_u64().unwrap();
    let user = &created.json["user"];
    assert_eq!(
        (&user["login"], &user["type"]),
        (&json!(BOT_LOGIN), &json!("Bot"))
    );
    let html_url = format!("https://github.com/acme/widgets/issues/1#issuecomment-{id}");
    assert_eq!(created.json["html_url"], html_url);
    assert_eq!(
        api.send("POST", &comments, json!({})).await.status,
        422,
        "a body is required"
    );
    let on_nothing = api
        .send(
            "POST",
            &repo_path("/issues/9/comments"),
            json!({ "body": "x" }),
        )
        .await;
    assert_eq!(on_nothing.status, 404);

    let list = api.get(&comments).await;
    assert_eq!(list.items().len(), 2);
    assert_eq!(
        (&list.json[0]["id"], &list.json[0]["user"]["login"]),
        (&json!(human), &json!("carol"))
    );
    assert_eq!(list.json[0]["user"]["type"], "User");

    let path = repo_path(&format!("/issues/comments/{id}"));
    let edited = api
        .send("PATCH", &path, json!({ "body": "status v2" }))
        .await;
    assert_eq!(
        (edited.status, &edited.json["body"]),
        (200, &json!("status v2"))
    );
    assert_eq!(api.get(&path).await.json["body"], "status v2");
    let stored = fake.comments(OWNER, REPO, 1);
    assert_eq!(
        (stored[1].author.as_str(), stored[1].body.as_str()),
        (BOT_LOGIN, "status v2")
    );

    fake.delete_comment(human);
    assert_eq!(
        api.get(&repo_path(&format!("/issues/comments/{human}")))
            .await
            .status,
        404
    );
    assert_eq!(api.send("DELETE", &path, Value::Null).await.status, 204);
    assert_eq!(api.get(&path).await.status, 404);
    assert_eq!(
        api.send("PATCH", &path, json!({ "body": "x" }))
            .await
            .status,
        404
    );
    assert!(fake.comments(OWNER, REPO, 1).is_empty());

    // A comment on a pull request links to the pull request.
    let on_pr = api
        .send(
            "POST",
            &repo_path("/issues/2/comments"),
            json!({ "body": "hi" }),
        )
        .await;
    assert!(
        on_pr.json["html_url"]
            .as_str()
            .unwrap()
            .contains("/pull/2#issuecomment-")
    );
    // Sent on purpose: a comment without a body.
    let violations = fake.take_violations();
    assert_eq!(violations.len(), 1, "{violations:#?}");
}

#[tokio::test]
async fn pagination_link_header() {
    let (fake, api) = world().await;
    for i in 0..5 {
        fake.add_comment(OWNER, REPO, 1, "carol", &format!("comment {i}"));
    }
    let first = api.get(&repo_path("/issues/1/comments?per_page=2")).await;
    assert_eq!(first.items().len(), 2);
    let link = first.header("link").expect("a Link header");
    let comments = repo_path("/issues/1/comments");
    let next = format!("<{}{comments}?per_page=2&page=2>; rel=\"next\"", fake.url());
    assert!(link.contains(&next), "{link}");
    assert!(link.contains("page=3>; rel=\"last\""), "{link}");

    let last = api
        .get(&repo_path("/issues/1/comments?per_page=2&page=3"))
        .await;
    assert_eq!(last.items().len(), 1);
    assert_eq!(last.json[0]["body"], "comment 4");
    let link = last.header("link").unwrap();
    assert!(
        link.contains("rel=\"prev\"") && link.contains("rel=\"first\""),
        "{link}"
    );
    assert!(!link.contains("rel=\"next\""), "{link}");

    let all = api.get(&repo_path("/issues/1/comments?per_page=100")).await;
    assert!(all.header("link").is_none());
}

#[tokio::test]
async fn labels() {
    let (fake, api) = world().await;
    let labels = repo_path("/issues/1/labels");

    let added = api
        .send(
            "POST",
            &labels,
            json!({ "labels": ["intent to close", "bug"] }),
        )
        .await;
    assert_eq!(added.status, 200);
    let names: Vec<&Value> = added.items().iter().map(|l| &l["name"]).collect();
    assert_eq!(names, ["intent to close", "bug"]);
    assert_eq!(
        fake.repo_labels(OWNER, REPO),
        ["bug", "intent to close"],
        "labels are created"
    );
    assert_eq!(
        fake.issue(OWNER, REPO, 1).labels,
        ["intent to close", "bug"]
    );
    assert_eq!(api.get(&labels).await.items().len(), 2);

    let remove = repo_path("/issues/1/labels/intent%20to%20close");
    let removed = api.send("DELETE", &remove, Value::Null).await;
    assert_eq!(
        (removed.status, &removed.json[0]["name"]),
        (200, &json!("bug"))
    );
    let again = api.send("DELETE", &remove, Value::Null).await;
    assert_eq!(
        (again.status, again.message()),
        (404, Some("Label does not exist"))
    );

    let events = api.get(&repo_path("/issues/1/events")).await;
    let seen: Vec<(&Value, &Value, &Value)> = events
        .items()
        .iter()
        .map(|e| (&e["event"], &e["label"]["name"], &e["actor"]["login"]))
        .collect();
    let bot = json!(BOT_LOGIN);
    assert_eq!(
        seen,
        [
            (&json!("labeled"), &json!("intent to close"), &bot),
            (&json!("labeled"), &json!("bug"), &bot),
            (&json!("unlabeled"), &json!("intent to close"), &bot),
        ]
    );
    assert!(events.json[0]["created_at"].is_string());

    // Labels set by the test carry their actor in the events.
    fake.set_permission(OWNER, REPO, "maria", "write");
    fake.set_labels_by(OWNER, REPO, 2, &["intent-to-merge"], "maria");
    let events = api.get(&repo_path("/issues/2/events")).await.json;
    assert_eq!(
        (&events[0]["event"], &events[0]["actor"]["login"]),
        (&json!("labeled"), &json!("maria"))
    );
    fake.set_labels(OWNER, REPO, 2, &[]);
    assert!(fake.issue(OWNER, REPO, 2).labels.is_empty());

    // PUT replaces; a bare array works too.
    let set = api
        .send(
            "PUT",
            &repo_path("/issues/2/labels"),
            json!({ "labels": ["a", "b"] }),
        )
        .await;
    assert_eq!((set.status, set.items().len()), (200, 2));
    api.send("PUT", &repo_path("/issues/2/labels"), json!(["b"]))
        .await;
    assert_eq!(fake.issue(OWNER, REPO, 2).labels, ["b"]);

    // Repository labels.
    assert_eq!(api.get(&repo_path("/labels/consented")).await.status, 404);
    let body = json!({ "name": "consented", "color": "0e8a16", "description": "Consent reached" });
    let created = api.send("POST", &repo_path("/labels"), body.clone()).await;
    assert_eq!(
        (created.status, &created.json["color"]),
        (201, &json!("0e8a16"))
    );
    let exists = api.send("POST", &repo_path("/labels"), body).await;
    assert_eq!(
        (exists.status, &exists.json["errors"][0]["code"]),
        (422, &json!("already_exists"))
    );
    let get = api.get(&repo_path("/labels/Consented")).await;
    assert_eq!(
        (get.status, &get.json["name"]),
        (200, &json!("consented")),
        "names ignore case"
    );
    assert_eq!(
        api.send("DELETE", &repo_path("/labels/bug"), Value::Null)
            .await
            .status,
        204
    );
    assert!(
        fake.issue(OWNER, REPO, 1).labels.is_empty(),
        "a deleted label leaves its items"
    );
    // Sent on purpose: a bare array, which GitHub takes but its description does not list.
    let violations = fake.take_violations();
    assert_eq!(violations.len(), 1, "{violations:#?}");
}

#[tokio::test]
async fn reviews_and_check_runs() {
    let (fake, api) = world().await;
    let approval = fake.add_review(OWNER, REPO, 2, "maria", "approved", "LGTM", HEAD);
    fake.add_review(OWNER, REPO, 2, "walt", "CHANGES_REQUESTED", "no", HEAD);
    fake.dismiss_review(OWNER, REPO, 2, approval);

    let reviews = api.get(&repo_path("/pulls/2/reviews")).await.json;
    assert_eq!(reviews[0]["id"], approval);
    assert_eq!(
        (&reviews[0]["state"], &reviews[0]["user"]["login"]),
        (&json!("DISMISSED"), &json!("maria"))
    );
    assert_eq!(
        (&reviews[1]["state"], &reviews[1]["body"]),
        (&json!("CHANGES_REQUESTED"), &json!("no"))
    );
    assert_eq!(reviews[1]["commit_id"], HEAD);
    assert!(reviews[1]["submitted_at"].is_string());

    let output = json!({ "title": "Window open", "summary": "s" });
    let body =
        json!({ "name": "tacit", "head_sha": HEAD, "status": "in_progress", "output": output });
    let created = api.send("POST", &repo_path("/check-runs"), body).await;
    assert_eq!(created.status, 201);
    let id = created.json["id"].as_u64().unwrap();
    assert_eq!(created.json["status"], "in_progress");
    assert_eq!(created.json["output"]["title"], "Window open");
    assert_eq!(created.json["pull_requests"][0]["number"], 2);
    assert_eq!(created.json["app"]["slug"], "tacit-test");
    let invalid = api
        .send(
            "POST",
            &repo_path("/check-runs"),
            json!({ "name": "tacit" }),
        )
        .await;
    assert_eq!(invalid.status, 422);

    let path = repo_path(&format!("/check-runs/{id}"));
    let updated = api
        .send("PATCH", &path, json!({ "conclusion": "success" }))
        .await;
    assert_eq!(
        (&updated.json["status"], &updated.json["conclusion"]),
        (&json!("completed"), &json!("success"))
    );
    assert_eq!(api.get(&path).await.json["conclusion"], "success");
    assert_eq!(
        api.send("PATCH", &repo_path("/check-runs/1"), json!({}))
            .await
            .status,
        404
    );

    let listed = api
        .get(&repo_path(&format!(
            "/commits/{HEAD}/check-runs?check_name=tacit"
        )))
        .await;
    assert_eq!(
        (
            &listed.json["total_count"],
            &listed.json["check_runs"][0]["id"]
        ),
        (&json!(1), &json!(id))
    );
    let by_branch = api.get(&repo_path("/commits/feature-2/check-runs")).await;
    assert_eq!(by_branch.json["total_count"], 1);
    assert_eq!(
        api.get(&repo_path("/commits/abc/check-runs")).await.json["total_count"],
        0
    );

    let runs = fake.check_runs(OWNER, REPO);
    assert_eq!((runs.len(), &runs[0]["conclusion"]), (1, &json!("success")));
    // Sent on purpose: a check run without head_sha.
    let violations = fake.take_violations();
    assert_eq!(violations.len(), 1, "{violations:#?}");
}

// ---- webhook deliveries (App API) ---------------------------------------------------------------

#[tokio::test]
async fn hook_deliveries_and_redelivery() {
    let fake = FakeGitHub::start().await;
    fake.add_repo(OWNER, REPO);
    let anonymous = Client::anonymous(&fake);
    let app = anonymous.as_app();
    let older = fake.add_failed_delivery("guid-1", "issues", "labeled", "2026-01-01T10:00:00Z");
    let newer =
        fake.add_failed_delivery("guid-2", "issue_comment", "created", "2026-01-01T11:00:00Z");
    let ok = fake.add_delivery("guid-3", "issues", "opened", "2026-01-01T09:00:00Z", 200);

    let first = app.get("/app/hook/deliveries?per_page=2").await;
    assert_eq!(first.status, 200);
    let ids: Vec<&Value> = first.items().iter().map(|d| &d["id"]).collect();
    assert_eq!(ids, [newer, older], "newest first");
    let delivery = &first.json[0];
    assert_eq!(
        (&delivery["guid"], &delivery["status_code"]),
        (&json!("guid-2"), &json!(503))
    );
    assert_eq!(
        (&delivery["event"], &delivery["action"]),
        (&json!("issue_comment"), &json!("created"))
    );
    assert_eq!(delivery["redelivery"], false);
    let link = first.header("link").expect("a next link");
    let next = link.trim_start_matches('<').split('>').next().unwrap();
    let second = app.get(next.trim_start_matches(&fake.url())).await;
    assert_eq!(
        (&second.json[0]["id"], &second.json[0]["status"]),
        (&json!(ok), &json!("OK"))
    );
    assert!(second.header("link").is_none());

    let api = anonymous.with_auth(&format!("token {}", anonymous.installation_token(1).await));
    assert_eq!(
        api.get("/app/hook/deliveries").await.status,
        401,
        "needs a JWT"
    );

    let attempts = format!("/app/hook/deliveries/{older}/attempts");
    assert_eq!(app.send("POST", &attempts, Value::Null).await.status, 202);
    assert_eq!(
        app.send("POST", "/app/hook/deliveries/1/attempts", Value::Null)
            .await
            .status,
        404
    );
    assert_eq!(fake.redelivery_requests(), [older]);
}

// ---- faults, unknown routes, headers, waiting ---------------------------------------------------

#[tokio::test]
async fn fault_injection() {
    let (fake, api) = world().await;
    let issue = repo_path("/issues/1");

    fake.inject(Fault::new("GET", "/repos/{owner}/{repo}/issues/{n}", 502).times(2));
    assert_eq!(api.get(&issue).await.status, 502);
    let second = api.get(&issue).await;
    assert_eq!(
        (second.status, second.message()),
        (502, Some("Bad Gateway"))
    );
    assert_eq!(api.get(&issue).await.status, 200, "used up");

    // A secondary rate limit, with its headers and body; nothing happens.
    let limited = Fault::new("POST", "/comments", 403)
        .header("retry-after", "60")
        .header("x-ratelimit-remaining", "0")
        .body(json!({ "message": "You have exceeded a secondary rate limit." }));
    fake.inject(limited);
    let answer = api
        .send(
            "POST",
            &repo_path("/issues/1/comments"),
            json!({ "body": "x" }),
        )
        .await;
    assert_eq!(
        (answer.status, answer.header("retry-after")),
        (403, Some("60"))
    );
    assert_eq!(answer.header("x-ratelimit-remaining"), Some("0"));
    assert!(
        fake.comments(OWNER, REPO, 1).is_empty(),
        "a plain fault does nothing"
    );

    // perform_first: the merge happens, the answer is an error anyway.
    fake.inject(Fault::new("PUT", "/repos/{owner}/{repo}/pulls/{n}/merge", 500).perform_first());
    let answer = api
        .send("PUT", &repo_path("/pulls/2/merge"), json!({ "sha": HEAD }))
        .await;
    assert_eq!(answer.status, 500);
    assert!(fake.issue(OWNER, REPO, 2).merged);
    assert_eq!(fake.merges(OWNER, REPO, 2).len(), 1);

    // A slow answer, and a slow error.
    fake.inject(Fault::slow("GET", "/pulls/", Duration::from_millis(300)));
    let started = Instant::now();
    assert_eq!(api.get(&repo_path("/pulls/2")).await.status, 200);
    assert!(started.elapsed() >= Duration::from_millis(300));
    fake.inject(Fault::new("*", "/labels", 503).delay(Duration::from_millis(100)));
    let started = Instant::now();
    assert_eq!(api.get(&repo_path("/issues/1/labels")).await.status, 503);
    assert!(started.elapsed() >= Duration::from_millis(100));

    // Every request is recorded with its answer; patterns match anywhere in the path.
    assert_eq!(
        fake.count("GET", "/repos/{o}/{r}/issues/{n}"),
        4,
        "the labels request counts"
    );
    assert_eq!(fake.count("GET", "/labels"), 1);
    assert_eq!(fake.count("*", "/merge"), 1);
    let merge = fake
        .requests()
        .into_iter()
        .find(|r| r.path.ends_with("/merge"))
        .unwrap();
    assert_eq!((merge.status, &merge.auth), (500, &Auth::Installation(1)));
    assert_eq!(merge.body, json!({ "sha": HEAD }));
}

#[tokio::test]
async fn unknown_routes_are_404_and_recorded() {
    let (fake, api) = world().await;
    let answer = api
        .get("/repos/acme/widgets/branches/main/protection")
        .await;
    let not_found =
        json!({ "message": "Not Found", "documentation_url": "https://docs.github.com/rest" });
    assert_eq!((answer.status, &answer.json), (404, &not_found));
    assert_eq!(
        api.send("POST", "/graphql", json!({ "query": "{}" }))
            .await
            .status,
        404
    );
    let last = fake.requests().pop().unwrap();
    assert_eq!(
        (last.method.as_str(), last.path.as_str(), last.status),
        ("POST", "/graphql", 404)
    );
    assert_eq!(last.body, json!({ "query": "{}" }));

    let not_json = api
        .http
        .post(format!("{}{}", fake.url(), repo_path("/issues/1/comments")))
        .header("authorization", api.auth.as_deref().unwrap())
        .body("not json")
        .send()
        .await
        .unwrap();
    assert_eq!(not_json.status(), 400);
    // Sent on purpose: two unknown routes and a body that is not JSON.
    let violations = fake.take_violations();
    assert_eq!(violations.len(), 3, "{violations:#?}");
}

#[tokio::test]
async fn rate_limit_headers_count_down() {
    let (_fake, api) = world().await;
    let remaining = |a: &Answer| {
        a.header("x-ratelimit-remaining")
            .unwrap()
            .parse::<u64>()
            .unwrap()
    };
    let first = api.get(&repo_path("")).await;
    let second = api.get(&repo_path("")).await;
    assert_eq!(remaining(&first), remaining(&second) + 1);
    let reset: i64 = first.header("x-ratelimit-reset").unwrap().parse().unwrap();
    assert!(reset > jiff::Timestamp::now().as_second());
}

#[tokio::test]
async fn wait_for_polls_until_true_or_timeout() {
    let (fake, api) = world().await;
    let waiter = fake.clone();
    let wait = tokio::spawn(async move {
        waiter
            .wait_for(Duration::from_secs(5), |f| {
                !f.comments(OWNER, REPO, 1).is_empty()
            })
            .await
    });
    tokio::time::sleep(Duration::from_millis(50)).await;
    api.send(
        "POST",
        &repo_path("/issues/1/comments"),
        json!({ "body": "hi" }),
    )
    .await;
    assert!(wait.await.unwrap());
    let closed = |f: &FakeGitHub| f.issue(OWNER, REPO, 1).state == "closed";
    assert!(!fake.wait_for(Duration::from_millis(60), closed).await);
}

#[tokio::test]
async fn set_now_fixes_resource_timestamps() {
    let (fake, api) = world().await;
    fake.set_now(Some("2030-01-02T03:04:05Z".parse().unwrap()));
    fake.set_labels(OWNER, REPO, 1, &["intent-to-close"]);
    let events = api.get(&repo_path("/issues/1/events")).await;
    assert_eq!(events.json[0]["created_at"], "2030-01-02T03:04:05Z");
}

// ---- a real GitHub client against the fake ------------------------------------------------------

/// octocrab, as the App uses it: JWT, then an installation token, then typed models.
#[tokio::test]
async fn octocrab_talks_to_the_fake() {
    let (fake, _api) = world().await;
    fake.set_labels(OWNER, REPO, 1, &["bug"]);
    fake.add_comment(OWNER, REPO, 1, "carol", "/approve");
    fake.set_file(OWNER, REPO, ".github/tacit.yml", "window: 1h\n");
    let tokens_before = fake.count("POST", "/access_tokens");
    let requests_before = fake.requests().len();

    let key = jsonwebtoken::EncodingKey::from_rsa_pem(keys::private_key_pem().as_bytes()).unwrap();
    let app = octocrab::Octocrab::builder()
        .base_uri(fake.url())
        .unwrap()
        .app(keys::APP_ID.into(), key)
        .build()
        .unwrap();
    let installations = app.apps().installations().send().await.unwrap();
    assert_eq!(installations.items[0].id, 1u64.into());
    let crab = app.installation(1u64.into()).unwrap();

    let issues = crab.issues(OWNER, REPO);
    let issue = issues.get(1).await.unwrap();
    assert_eq!((issue.number, issue.labels[0].name.as_str()), (1, "bug"));
    assert!(issue.pull_request.is_none());
    let comments = issues.list_comments(1).send().await.unwrap();
    assert_eq!(comments.items[0].body.as_deref(), Some("/approve"));
    let created = issues.create_comment(1, "status").await.unwrap();
    assert_eq!(created.user.login, BOT_LOGIN);
    issues
        .update_comment(created.id, "status v2")
        .await
        .unwrap(); // sends POST, not PATCH
    issues
        .add_labels(1, &["intent-to-close".to_string()])
        .await
        .unwrap();
    issues.remove_label(1, "intent-to-close").await.unwrap();

    let pulls = crab.pulls(OWNER, REPO);
    assert_eq!(pulls.get(2).await.unwrap().head.sha, HEAD);
    let squash = octocrab::params::pulls::MergeMethod::Squash;
    let merged = pulls
        .merge(2)
        .sha(HEAD)
        .method(squash)
        .send()
        .await
        .unwrap();
    assert!(merged.merged);

    let repos = crab.repos(OWNER, REPO);
    assert_eq!(
        repos.get().await.unwrap().default_branch.as_deref(),
        Some("main")
    );
    let content = repos
        .get_content()
        .path(".github/tacit.yml")
        .r#ref("main")
        .send()
        .await
        .unwrap();
    assert_eq!(
        content.items[0].decoded_content().as_deref(),
        Some("window: 1h\n")
    );

    let run = crab
        .checks(OWNER, REPO)
        .create_check_run("tacit", HEAD)
        .send()
        .await
        .unwrap();
    assert_eq!(run.name, "tacit");

    let route = format!("/repos/{OWNER}/{REPO}/collaborators/carol/permission");
    let permission: Value = crab.get(route, None::<&()>).await.unwrap();
    assert_eq!(permission["permission"], "read");

    let requests = fake.requests();
    let by_octocrab = &requests[requests_before..];
    assert!(
        by_octocrab
            .iter()
            .all(|r| matches!(r.auth, Auth::App | Auth::Installation(1)))
    );
    assert!(by_octocrab.iter().all(|r| r.status < 300), "all succeeded");
    assert_eq!(
        fake.count("POST", "/access_tokens"),
        tokens_before + 1,
        "one token, reused"
    );
    // Sent on purpose: octocrab's update_comment sends POST, which the description does not list.
    let violations = fake.take_violations();
    assert_eq!(violations.len(), 1, "{violations:#?}");
}

// ---- delivery builders --------------------------------------------------------------------------

fn independent_hmac(secret: &str, body: &[u8]) -> String {
    use hmac::{KeyInit, Mac};
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

#[test]
fn signatures_match_githubs_documented_example() {
    // From GitHub's "Validating webhook deliveries" documentation.
    let d = Delivery {
        event: "ping".into(),
        id: "x".into(),
        body: b"Hello, World!".to_vec(),
    };
    let expected = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";
    assert_eq!(d.sign("It's a Secret to Everybody"), expected);
}

/// Checks what every delivery must have; returns the payload.
fn check(d: &Delivery, event: &str, action: Option<&str>) -> Value {
    assert_eq!(d.event, event);
    let parts: Vec<usize> = d.id.split('-').map(str::len).collect();
    assert_eq!(parts, [8, 4, 4, 4, 12], "GUID {}", d.id);
    let signature = d.sign(keys::WEBHOOK_SECRET);
    assert_eq!(signature, independent_hmac(keys::WEBHOOK_SECRET, &d.body));

    let headers = d.headers(keys::WEBHOOK_SECRET);
    let header = |name: &str| {
        headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    };
    let app_id = keys::APP_ID.to_string();
    assert_eq!(header("X-GitHub-Event"), Some(event));
    assert_eq!(header("X-GitHub-Delivery"), Some(d.id.as_str()));
    assert_eq!(header("X-Hub-Signature-256"), Some(signature.as_str()));
    assert_eq!(
        header("X-GitHub-Hook-Installation-Target-Type"),
        Some("integration")
    );
    assert_eq!(
        header("X-GitHub-Hook-Installation-Target-ID"),
        Some(app_id.as_str())
    );
    assert_eq!(header("Content-Type"), Some("application/json"));
    assert!(
        header("User-Agent")
            .unwrap()
            .starts_with("GitHub-Hookshot/")
    );
    assert!(header("X-GitHub-Hook-ID").is_some());

    let v = d.json();
    assert_eq!(v["installation"]["id"], 1);
    assert!(v["installation"]["node_id"].is_string());
    assert_eq!(v["action"].as_str(), action);
    if event != "installation" {
        let repo = &v["repository"];
        assert_eq!(
            (&repo["full_name"], &repo["name"]),
            (&json!("acme/widgets"), &json!(REPO))
        );
        assert_eq!(
            (&repo["owner"]["login"], &repo["id"]),
            (&json!(OWNER), &json!(repo_id(OWNER, REPO)))
        );
        let raw = String::from_utf8_lossy(&d.body);
        assert!(
            !raw.contains("Codertocat/Hello-World"),
            "{event}: every url retargeted"
        );
    }
    v
}

fn recent(timestamp: &Value) -> bool {
    let t: jiff::Timestamp = timestamp
        .as_str()
        .expect("a timestamp")
        .parse()
        .expect("RFC 3339");
    (jiff::Timestamp::now().as_second() - t.as_second()).abs() < 60
}

#[test]
fn issue_and_pull_request_deliveries() {
    let d = deliveries::issue_labeled(OWNER, REPO, 7, "intent-to-close", "maria");
    let v = check(&d, "issues", Some("labeled"));
    assert_eq!(
        (&v["issue"]["number"], &v["label"]["name"]),
        (&json!(7), &json!("intent-to-close"))
    );
    assert_eq!(v["issue"]["labels"][0]["name"], "intent-to-close");
    assert_eq!(
        (&v["sender"]["login"], &v["sender"]["type"]),
        (&json!("maria"), &json!("User"))
    );
    assert_eq!(v["sender"]["id"], user_id("maria"));
    assert!(
        v["issue"]["html_url"]
            .as_str()
            .unwrap()
            .ends_with("acme/widgets/issues/7")
    );
    assert!(v["issue"].get("pull_request").is_none());
    assert!(recent(&v["issue"]["updated_at"]));

    let d = deliveries::issue_unlabeled(OWNER, REPO, 7, "intent-to-close", "maria");
    let v = check(&d, "issues", Some("unlabeled"));
    assert_eq!(
        (&v["label"]["name"], &v["issue"]["labels"]),
        (&json!("intent-to-close"), &json!([]))
    );

    let v = check(
        &deliveries::issue_closed(OWNER, REPO, 7, "maria"),
        "issues",
        Some("closed"),
    );
    let issue = &v["issue"];
    assert_eq!(
        (&issue["state"], &issue["state_reason"]),
        (&json!("closed"), &json!("completed"))
    );

    let d = deliveries::pr_labeled(OWNER, REPO, 12, "intent-to-merge", "maria", HEAD);
    let v = check(&d, "pull_request", Some("labeled"));
    let pr = &v["pull_request"];
    assert_eq!((&v["number"], &pr["number"]), (&json!(12), &json!(12)));
    assert_eq!(
        (&pr["head"]["sha"], &pr["labels"][0]["name"]),
        (&json!(HEAD), &json!("intent-to-merge"))
    );
    assert_eq!(pr["base"]["repo"]["full_name"], "acme/widgets");
    assert!(
        pr["url"]
            .as_str()
            .unwrap()
            .ends_with("acme/widgets/pulls/12")
    );

    let d = deliveries::pr_unlabeled(OWNER, REPO, 12, "intent-to-merge", "maria");
    assert_eq!(
        check(&d, "pull_request", Some("unlabeled"))["pull_request"]["labels"],
        json!([])
    );

    let d = deliveries::pr_closed(OWNER, REPO, 12, true, "maria");
    let pr = check(&d, "pull_request", Some("closed"))["pull_request"].take();
    assert_eq!(
        (&pr["merged"], &pr["state"]),
        (&json!(true), &json!("closed"))
    );
    assert!(recent(&pr["merged_at"]));
    let d = deliveries::pr_closed(OWNER, REPO, 12, false, "maria");
    let pr = check(&d, "pull_request", Some("closed"))["pull_request"].take();
    assert_eq!(
        (&pr["merged"], &pr["merged_at"]),
        (&json!(false), &Value::Null)
    );

    let d = deliveries::pr_synchronize(OWNER, REPO, 12, HEAD, "2222", "bob");
    let v = check(&d, "pull_request", Some("synchronize"));
    assert_eq!((&v["before"], &v["after"]), (&json!(HEAD), &json!("2222")));
    assert_eq!(v["pull_request"]["head"]["sha"], "2222");
}

#[test]
fn comment_and_review_deliveries() {
    let d = deliveries::comment_created(OWNER, REPO, 7, false, 555, "carol", "/object risky");
    let v = check(&d, "issue_comment", Some("created"));
    let comment = &v["comment"];
    assert_eq!(
        (&comment["id"], &comment["body"]),
        (&json!(555), &json!("/object risky"))
    );
    assert_eq!(
        (&comment["user"]["login"], &v["sender"]["login"]),
        (&json!("carol"), &json!("carol"))
    );
    assert_eq!(v["issue"]["number"], 7);
    assert!(v["issue"].get("pull_request").is_none());
    assert!(recent(&comment["created_at"]));

    let d = deliveries::comment_created(OWNER, REPO, 12, true, 556, "carol", "/approve");
    let v = check(&d, "issue_comment", Some("created"));
    assert!(
        v["issue"]["pull_request"]["url"]
            .as_str()
            .unwrap()
            .ends_with("acme/widgets/pulls/12")
    );
    assert!(
        v["comment"]["html_url"]
            .as_str()
            .unwrap()
            .ends_with("/pull/12#issuecomment-556")
    );

    let d = deliveries::comment_edited(
        OWNER,
        REPO,
        7,
        false,
        555,
        "carol",
        "/withdraw",
        "/object",
        "maria",
    );
    let v = check(&d, "issue_comment", Some("edited"));
    assert_eq!(
        (&v["comment"]["body"], &v["changes"]["body"]["from"]),
        (&json!("/withdraw"), &json!("/object"))
    );
    assert_eq!(
        (&v["comment"]["user"]["login"], &v["sender"]["login"]),
        (&json!("carol"), &json!("maria"))
    );

    let d = deliveries::comment_deleted(OWNER, REPO, 7, false, 555, "carol", "/approve", "carol");
    assert_eq!(
        check(&d, "issue_comment", Some("deleted"))["comment"]["id"],
        555
    );

    let d = deliveries::review_submitted(
        OWNER,
        REPO,
        12,
        901,
        "walt",
        "changes_requested",
        "not yet",
        HEAD,
    );
    let v = check(&d, "pull_request_review", Some("submitted"));
    let review = &v["review"];
    assert_eq!(
        (&review["id"], &review["state"]),
        (&json!(901), &json!("changes_requested"))
    );
    assert_eq!(
        (&review["body"], &review["user"]["login"]),
        (&json!("not yet"), &json!("walt"))
    );
    assert_eq!(
        (&review["commit_id"], &v["pull_request"]["number"]),
        (&json!(HEAD), &json!(12))
    );

    let d = deliveries::review_dismissed(OWNER, REPO, 12, 901, "walt", HEAD, "maria");
    let v = check(&d, "pull_request_review", Some("dismissed"));
    assert_eq!(
        (&v["review"]["state"], &v["sender"]["login"]),
        (&json!("dismissed"), &json!("maria"))
    );
}

#[test]
fn other_deliveries_and_modifiers() {
    let d = deliveries::check_suite_completed(OWNER, REPO, HEAD);
    let suite = check(&d, "check_suite", Some("completed"))["check_suite"].take();
    assert_eq!(
        (&suite["head_sha"], &suite["pull_requests"]),
        (&json!(HEAD), &json!([]))
    );

    let v = check(&deliveries::status_event(OWNER, REPO, HEAD), "status", None);
    assert_eq!(
        (&v["sha"], &v["commit"]["sha"]),
        (&json!(HEAD), &json!(HEAD))
    );
    assert_eq!(v["state"], "success");

    let d = deliveries::label_deleted(OWNER, REPO, "intent-to-merge");
    assert_eq!(
        check(&d, "label", Some("deleted"))["label"]["name"],
        "intent-to-merge"
    );

    let d = deliveries::installation_deleted(1);
    assert_eq!(
        check(&d, "installation", Some("deleted"))["installation"]["id"],
        1
    );

    let d = deliveries::issue_labeled(OWNER, REPO, 7, "intent-to-close", "renovate[bot]");
    assert_eq!(d.json()["sender"]["type"], "Bot", "[bot] logins are bots");
    let id = d.id.clone();
    let d = deliveries::with_sender_type(d, "User");
    assert_eq!(
        (d.json()["sender"]["type"].as_str(), d.id.as_str()),
        (Some("User"), id.as_str())
    );
    let d = deliveries::with_installation(deliveries::with_item_author(d, "zed"), 9);
    let v = d.json();
    assert_eq!(
        (&v["installation"]["id"], &v["issue"]["user"]["login"]),
        (&json!(9), &json!("zed"))
    );
    assert_eq!(
        d.sign("s"),
        independent_hmac("s", &d.body),
        "edits are signed afresh"
    );
    let fresh = || deliveries::issue_labeled(OWNER, REPO, 7, "a", "b").id;
    assert_ne!(fresh(), fresh(), "each delivery has its own GUID");
}

#[tokio::test]
async fn send_posts_with_githubs_headers() {
    use axum::http::HeaderMap as AxumHeaders;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<(AxumHeaders, Vec<u8>)>();
    let receive = move |headers: AxumHeaders, body: axum::body::Bytes| async move {
        tx.send((headers, body.to_vec())).unwrap();
        axum::http::StatusCode::ACCEPTED
    };
    let receiver = axum::Router::new().route("/api/github/webhooks", axum::routing::post(receive));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}/", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, receiver).await.unwrap() });

    let d = deliveries::comment_created(OWNER, REPO, 7, false, 1, "carol", "/approve");
    let response = deliveries::send(&reqwest::Client::new(), &base, &d, keys::WEBHOOK_SECRET).await;
    assert_eq!(response.status(), 202);
    let (headers, body) = rx.recv().await.unwrap();
    assert_eq!(body, d.body);
    assert_eq!(headers["x-github-event"], "issue_comment");
    assert_eq!(headers["x-github-delivery"], d.id.as_str());
    let signature = independent_hmac(keys::WEBHOOK_SECRET, &body);
    assert_eq!(headers["x-hub-signature-256"], signature.as_str());
}

/// Standard base64 (padding allowed), to check the contents API independently.
fn decode_base64(s: &str) -> Vec<u8> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let digit = |b: u8| ALPHABET.iter().position(|&a| a == b).expect("base64 digit") as u32;
    let digits: Vec<u32> = s.bytes().filter(|&b| b != b'=').map(digit).collect();
    let mut out = Vec::new();
    for chunk in digits.chunks(4) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, d)| n | d << (18 - 6 * i));
        out.extend(&n.to_be_bytes()[1..chunk.len()]);
    }
    out
}

// ---- strictness: GitHub's REST description, tokens, installations ----------------------------

#[tokio::test]
async fn requests_the_rest_description_does_not_allow_are_violations() {
    let (fake, client) = world().await;
    let comment = client
        .send(
            "POST",
            &repo_path("/issues/1/comments"),
            json!({"body": "hi"}),
        )
        .await;
    assert_eq!(comment.status, 201);
    assert!(fake.take_violations().is_empty(), "a valid request");

    client.get(&repo_path("/no-such-thing")).await;
    client
        .send(
            "POST",
            &repo_path("/issues/1/comments"),
            json!({"body": 42}),
        )
        .await;
    client
        .send(
            "PUT",
            &repo_path("/pulls/2/merge"),
            json!({"merge_method": "fast-forward"}),
        )
        .await;
    client
        .send(
            "POST",
            &repo_path("/check-runs"),
            json!({"name": "x", "head_sha": HEAD, "colour": "red"}),
        )
        .await;
    let violations = fake.take_violations();
    assert_eq!(violations.len(), 4, "{violations:#?}");
    assert!(
        violations[0].contains("no such operation"),
        "{}",
        violations[0]
    );
    for v in &violations[1..] {
        assert!(v.contains("does not fit the schema"), "{v}");
    }
}

#[tokio::test]
async fn token_mints_are_counted_per_installation() {
    let (fake, client) = world().await;
    fake.add_repo(OWNER, "other").set_installation(7);
    Client::anonymous(&fake).installation_token(7).await;
    Client::anonymous(&fake).installation_token(7).await;
    assert_eq!((fake.token_mints(1), fake.token_mints(7)), (1, 2));
    // Reading with a token mints nothing.
    client.get(&repo_path("/issues/1")).await;
    assert_eq!(fake.token_mints(1), 1);
}

#[tokio::test]
async fn repositories_the_installation_does_not_cover_are_not_found() {
    let (fake, client) = world().await;
    fake.add_repo(OWNER, ".github").uninstall();
    fake.set_file(OWNER, ".github", ".github/tacit.yml", "window: 1h\n");
    fake.add_repo(OWNER, "private").set_installation(9);
    assert_eq!(
        fake.installation_repositories(1),
        vec![format!("{OWNER}/{REPO}")]
    );
    for path in [
        format!("/repos/{OWNER}/.github"),
        format!("/repos/{OWNER}/.github/contents/.github/tacit.yml"),
        format!("/repos/{OWNER}/private"),
        format!("/repos/{OWNER}/does-not-exist"),
    ] {
        let answer = client.get(&path).await;
        assert_eq!(
            (answer.status, answer.message()),
            (404, Some("Not Found")),
            "{path}"
        );
    }
    let listed = client.get("/installation/repositories").await;
    assert_eq!(listed.json["total_count"], 1, "{}", listed.json);
}
