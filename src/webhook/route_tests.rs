use super::*;
use serde_json::{Value, json};

fn root() -> String {
    format!("{}/tests/fixtures/webhooks", env!("CARGO_MANIFEST_DIR"))
}

/// GitHub's example payload `path`. Most are of repository webhooks, without the
/// `installation` that every delivery to an App carries: it is added (id 1) where
/// missing.
fn example(path: &str) -> Value {
    let p = format!("{}/{path}", root());
    let body = std::fs::read(&p).unwrap_or_else(|e| panic!("{p}: {e}"));
    let mut v: Value = serde_json::from_slice(&body).unwrap();
    if v.get("installation").is_none_or(Value::is_null) {
        v["installation"] = json!({ "id": 1 });
    }
    v
}

fn parse(v: &Value) -> Payload {
    Payload::parse(&serde_json::to_vec(v).unwrap()).unwrap()
}

/// A route in a few words, for the tables below.
fn describe(r: Option<Route<'_>>) -> String {
    use RepoChange as R;
    let Some(r) = r else {
        return "-".into();
    };
    let (inst, repo, change) = match r {
        Route::Installation {
            installation,
            change,
        } => return format!("{change:?} {}", installation.id),
        Route::Repo { inst, repo, change } => (inst, repo, change),
    };
    let what = match change {
        R::LabelAdded {
            number,
            label,
            is_pull,
        } => format!("LabelAdded #{number} {label:?} pull={is_pull}"),
        R::Ending {
            number,
            label,
            removed,
            merged,
        } => format!("Ending #{number} {label:?} removed={removed} merged={merged}"),
        R::ForkPull { head } => format!("ForkPull {head:?}"),
        R::HeadChanged {
            number,
            sha,
            fork_head,
        } => format!("HeadChanged #{number} {sha:?} fork={fork_head:?}"),
        R::ReadyForReview { number } => format!("ReadyForReview #{number}"),
        R::BaseChanged { number } => format!("BaseChanged #{number}"),
        R::Comment {
            number,
            comment,
            edited,
        } => format!("Comment #{number} {} edited={edited}", comment.id),
        R::Review {
            number,
            review,
            edited,
        } => format!("Review #{number} {} edited={edited}", review.id),
        R::ReviewDismissed { number, review_id } => {
            format!("ReviewDismissed #{number} {review_id}")
        }
        R::Checks { sha } => format!("Checks {sha}"),
        R::LabelDefinitionChanged { name } => format!("LabelDefinitionChanged {name:?}"),
        R::ConfigPush { sha, to_default } => format!("ConfigPush {sha} default={to_default}"),
    };
    format!("{inst} {repo}: {what}")
}

fn route_of(event: &str, v: &Value) -> String {
    describe(route(event, &parse(v)))
}

/// Every example payload GitHub documents (`tests/fixtures/webhooks/<event>/...`, the
/// event being its directory's name) and where it goes; `-`: nowhere (recorded as done
/// at intake). GitHub's example comments hold no command, and `label/edited.1.json`
/// changes a colour only.
const EXAMPLES: &[(&str, &str)] = &[
    (
        "check_run/completed.1.json",
        "1 Codertocat/Hello-World: Checks ec26c3e57ca3a959ca5aad62de7213c562f8c821",
    ),
    (
        "check_run/completed.2.json",
        "1 Codertocat/Hello-World: Checks ec26c3e57ca3a959ca5aad62de7213c562f8c821",
    ),
    (
        "check_run/completed.3.json",
        "1 Codertocat/Hello-World: Checks ec26c3e57ca3a959ca5aad62de7213c562f8c821",
    ),
    (
        "check_run/created.1.json",
        "1 Codertocat/Hello-World: Checks ec26c3e57ca3a959ca5aad62de7213c562f8c821",
    ),
    (
        "check_run/created.2.json",
        "1 Codertocat/Hello-World: Checks ec26c3e57ca3a959ca5aad62de7213c562f8c821",
    ),
    (
        "check_run/created.3.json",
        "1 Codertocat/Hello-World: Checks ec26c3e57ca3a959ca5aad62de7213c562f8c821",
    ),
    (
        "check_run/requested_action.1.json",
        "690857 electron/electron: Checks 5bd5f196a46b8222fb7484f05faba41a73cf34bd",
    ),
    (
        "check_run/rerequested.1.json",
        "1 github/hello-world: Checks d6fde92930d4715a2b49857d24b940956b26d2d3",
    ),
    (
        "check_run/rerequested.2.json",
        "1 github/hello-world: Checks d6fde92930d4715a2b49857d24b940956b26d2d3",
    ),
    (
        "check_suite/completed.1.json",
        "1 Codertocat/Hello-World: Checks ec26c3e57ca3a959ca5aad62de7213c562f8c821",
    ),
    (
        "check_suite/completed.2.json",
        "1 Codertocat/Hello-World: Checks ec26c3e57ca3a959ca5aad62de7213c562f8c821",
    ),
    (
        "check_suite/completed.3.json",
        "1 Codertocat/Hello-World: Checks ec26c3e57ca3a959ca5aad62de7213c562f8c821",
    ),
    (
        "check_suite/completed.4.json",
        "1 Codertocat/Hello-World: Checks ec26c3e57ca3a959ca5aad62de7213c562f8c821",
    ),
    (
        "check_suite/requested.1.json",
        "957387 Codertocat/Hello-World: Checks f95f852bd8fca8fcc58a9a2d6c842781e32a215e",
    ),
    (
        "check_suite/requested.2.json",
        "957387 Codertocat/Hello-World: Checks f95f852bd8fca8fcc58a9a2d6c842781e32a215e",
    ),
    (
        "check_suite/requested.3.json",
        "957387 Codertocat/Hello-World: Checks f95f852bd8fca8fcc58a9a2d6c842781e32a215e",
    ),
    (
        "check_suite/rerequested.1.json",
        "957387 Codertocat/Hello-World: Checks ec26c3e57ca3a959ca5aad62de7213c562f8c821",
    ),
    (
        "check_suite/rerequested.2.json",
        "957387 Codertocat/Hello-World: Checks ec26c3e57ca3a959ca5aad62de7213c562f8c821",
    ),
    ("installation/created.1.json", "Created 957387"),
    ("installation/created.2.json", "Created 957387"),
    ("installation/deleted.1.json", "Deleted 2"),
    ("installation/deleted.2.json", "Deleted 2"),
    (
        "installation/new_permissions_accepted.1.json",
        "NewPermissionsAccepted 957387",
    ),
    ("installation/suspend.1.json", "Suspend 16598467"),
    ("installation/unsuspend.1.json", "Unsuspend 16598467"),
    (
        "installation_repositories/added.1.json",
        "ReposAdded 957387",
    ),
    (
        "installation_repositories/added.2.json",
        "ReposAdded 957387",
    ),
    ("installation_repositories/removed.1.json", "ReposRemoved 2"),
    ("issue_comment/created.1.json", "-"),
    ("issue_comment/created.2.json", "-"),
    ("issue_comment/created.3.json", "-"),
    ("issue_comment/created.4.json", "-"),
    ("issue_comment/created.5.json", "-"),
    ("issue_comment/deleted.1.json", "-"),
    ("issue_comment/deleted.2.json", "-"),
    ("issue_comment/edited.1.json", "-"),
    ("issue_comment/edited.2.json", "-"),
    ("issues/assigned.1.json", "-"),
    ("issues/assigned.2.json", "-"),
    ("issues/assigned.3.json", "-"),
    (
        "issues/deleted.1.json",
        "1 Codertocat/Hello-World: Ending #1 None removed=false merged=false",
    ),
    ("issues/demilestoned.1.json", "-"),
    ("issues/demilestoned.2.json", "-"),
    ("issues/edited.1.json", "-"),
    ("issues/edited.2.json", "-"),
    ("issues/edited.3.json", "-"),
    (
        "issues/labeled.1.json",
        "1 Codertocat/Hello-World: LabelAdded #1 \"bug\" pull=false",
    ),
    (
        "issues/labeled.2.json",
        "1 Codertocat/Hello-World: LabelAdded #1 \"bug\" pull=false",
    ),
    ("issues/locked.1.json", "-"),
    ("issues/locked.2.json", "-"),
    ("issues/milestoned.1.json", "-"),
    ("issues/milestoned.2.json", "-"),
    ("issues/opened.1.json", "-"),
    ("issues/opened.2.json", "-"),
    ("issues/opened.3.json", "-"),
    ("issues/opened.4.json", "-"),
    ("issues/pinned.1.json", "-"),
    ("issues/reopened.1.json", "-"),
    (
        "issues/transferred.1.json",
        "1 octo-org/octo-repo: Ending #1 None removed=false merged=false",
    ),
    ("issues/unassigned.1.json", "-"),
    ("issues/unassigned.2.json", "-"),
    (
        "issues/unlabeled.1.json",
        "1 Codertocat/Hello-World: Ending #1 Some(\"bug\") removed=true merged=false",
    ),
    (
        "issues/unlabeled.2.json",
        "1 Codertocat/Hello-World: Ending #1 Some(\"bug\") removed=true merged=false",
    ),
    ("issues/unlocked.1.json", "-"),
    ("issues/unlocked.2.json", "-"),
    ("issues/unpinned.1.json", "-"),
    ("label/created.1.json", "-"),
    ("label/created.2.json", "-"),
    ("label/created.3.json", "-"),
    (
        "label/deleted.1.json",
        "1 Codertocat/Hello-World: LabelDefinitionChanged \":bug: Bugfix\"",
    ),
    (
        "label/deleted.2.json",
        "1 Codertocat/Hello-World: LabelDefinitionChanged \":bug: Bugfix\"",
    ),
    ("label/edited.1.json", "-"),
    ("merge_group/checks_requested.1.json", "-"),
    ("merge_group/checks_requested.2.json", "-"),
    ("ping/event.1.json", "-"),
    ("ping/event.2.json", "-"),
    ("ping/event.3.json", "-"),
    ("ping/event.4.json", "-"),
    ("pull_request/assigned.1.json", "-"),
    ("pull_request/assigned.2.json", "-"),
    (
        "pull_request/closed.1.json",
        "1 Codertocat/Hello-World: Ending #2 None removed=false merged=false",
    ),
    (
        "pull_request/closed.2.json",
        "1 Codertocat/Hello-World: Ending #2 None removed=false merged=false",
    ),
    ("pull_request/converted_to_draft.1.json", "-"),
    ("pull_request/converted_to_draft.2.json", "-"),
    ("pull_request/converted_to_draft.3.json", "-"),
    (
        "pull_request/labeled.1.json",
        "1 Codertocat/Hello-World: LabelAdded #2 \"bug\" pull=true",
    ),
    (
        "pull_request/labeled.2.json",
        "1 Codertocat/Hello-World: LabelAdded #2 \"bug\" pull=true",
    ),
    ("pull_request/locked.1.json", "-"),
    ("pull_request/locked.2.json", "-"),
    ("pull_request/opened.1.json", "-"),
    ("pull_request/opened.2.json", "-"),
    ("pull_request/opened.3.json", "-"),
    ("pull_request/opened.4.json", "-"),
    (
        "pull_request/ready_for_review.1.json",
        "1 Codertocat/Hello-World: ReadyForReview #2",
    ),
    (
        "pull_request/ready_for_review.2.json",
        "1 Codertocat/Hello-World: ReadyForReview #2",
    ),
    (
        "pull_request/ready_for_review.3.json",
        "1 Codertocat/Hello-World: ReadyForReview #2",
    ),
    ("pull_request/reopened.1.json", "-"),
    ("pull_request/reopened.2.json", "-"),
    ("pull_request/review_request_removed.1.json", "-"),
    ("pull_request/review_requested.1.json", "-"),
    (
        "pull_request/synchronize.1.json",
        "1 Codertocat/Hello-World: HeadChanged #2 Some(\"ec26c3e57ca3a959ca5aad62de7213c562f8c821\") fork=None",
    ),
    ("pull_request/unassigned.1.json", "-"),
    ("pull_request/unassigned.2.json", "-"),
    (
        "pull_request/unlabeled.1.json",
        "1 Codertocat/Hello-World: Ending #2 Some(\"bug\") removed=true merged=false",
    ),
    (
        "pull_request/unlabeled.2.json",
        "1 Codertocat/Hello-World: Ending #2 Some(\"bug\") removed=true merged=false",
    ),
    ("pull_request/unlocked.1.json", "-"),
    ("pull_request/unlocked.2.json", "-"),
    (
        "pull_request_review/dismissed.1.json",
        "1 Codertocat/Hello-World: ReviewDismissed #2 237895671",
    ),
    (
        "pull_request_review/submitted.1.json",
        "1 Codertocat/Hello-World: Review #2 237895671 edited=false",
    ),
    (
        "pull_request_review/submitted.2.json",
        "1 Codertocat/Hello-World: Review #2 237895671 edited=false",
    ),
    (
        "pull_request_review/submitted.3.json",
        "1 Codertocat/Hello-World: Review #2 237895671 edited=false",
    ),
    ("pull_request_review_comment/created.1.json", "-"),
    ("pull_request_review_comment/created.2.json", "-"),
    ("pull_request_review_comment/created.3.json", "-"),
    ("pull_request_review_comment/deleted.1.json", "-"),
    ("pull_request_review_comment/edited.1.json", "-"),
    (
        "status/event.1.json",
        "1 Codertocat/Hello-World: Checks 6113728f27ae82c7b1a177c8d03f9e96e0adf246",
    ),
    (
        "status/event.2.json",
        "1 Codertocat/Hello-World: Checks 6113728f27ae82c7b1a177c8d03f9e96e0adf246",
    ),
    (
        "status/event.3.json",
        "1 Codertocat/Hello-World: Checks 6113728f27ae82c7b1a177c8d03f9e96e0adf246",
    ),
    (
        "status/event.4.json",
        "1 Codertocat/Hello-World: Checks 6113728f27ae82c7b1a177c8d03f9e96e0adf246",
    ),
];

#[test]
fn every_example_payload_routes_as_listed() {
    let mut seen = Vec::new();
    for event in std::fs::read_dir(root()).unwrap() {
        let event = event.unwrap();
        let name = event.file_name().to_string_lossy().to_string();
        for file in std::fs::read_dir(event.path()).unwrap() {
            let file = file.unwrap().file_name().to_string_lossy().to_string();
            let path = format!("{name}/{file}");
            let got = route_of(&name, &example(&path));
            seen.push((path, got));
        }
    }
    seen.sort();
    let listing: String = seen
        .iter()
        .map(|(p, r)| format!("    ({p:?}, {r:?}),\n"))
        .collect();
    assert!(seen.len() > 50, "only {} examples found", seen.len());
    let expected: Vec<(String, String)> = EXAMPLES
        .iter()
        .map(|(p, r)| (p.to_string(), r.to_string()))
        .collect();
    assert!(seen == expected, "the examples route as:\n{listing}");
}

fn comment(action: &str, body: &str, author_type: &str, sender_type: &str) -> String {
    let mut p = example("issue_comment/created.1.json");
    p["action"] = action.into();
    p["comment"]["body"] = body.into();
    p["comment"]["user"]["type"] = author_type.into();
    p["sender"]["type"] = sender_type.into();
    route_of("issue_comment", &p)
}

#[test]
fn only_comments_that_hold_a_command_by_a_person_have_a_route() {
    let routed = "1 Codertocat/Hello-World: Comment #1 492700400";
    let cases = [
        ("created", "/object not yet", "User", "User", true),
        ("edited", "Looks good.\n/approve", "User", "User", true),
        ("created", "Looks good to me.", "User", "User", false),
        (
            "created",
            "> /object\nquoted, not a command",
            "User",
            "User",
            false,
        ),
        ("created", "/object", "Bot", "User", false),
        ("edited", "/object", "User", "Bot", false),
        ("deleted", "/object", "User", "User", false),
    ];
    for (action, body, author, sender, expected) in cases {
        let got = comment(action, body, author, sender);
        let want = match expected {
            true => format!("{routed} edited={}", action == "edited"),
            false => "-".to_string(),
        };
        assert_eq!(got, want, "{action} {body:?} by {author}, sent by {sender}");
    }
    // A login ending in `[bot]` is a bot whatever its type.
    let mut p = example("issue_comment/created.1.json");
    p["comment"]["body"] = "/object".into();
    p["comment"]["user"]["login"] = "helper[bot]".into();
    assert_eq!(route_of("issue_comment", &p), "-");
}

#[test]
fn a_base_change_counts_as_a_push_other_edits_do_not() {
    let edit = |changes: Value| {
        let mut p = example("pull_request/opened.1.json");
        p["action"] = "edited".into();
        p["changes"] = changes;
        route_of("pull_request", &p)
    };
    assert_eq!(
        edit(json!({"base": {"ref": {"from": "main"}}})),
        "1 Codertocat/Hello-World: BaseChanged #2"
    );
    assert_eq!(edit(json!({"title": {"from": "old"}})), "-");
}

fn pull(action: &str, head_repo: Value) -> Value {
    let mut p = example("pull_request/opened.1.json");
    p["action"] = action.into();
    p["pull_request"]["head"]["repo"] = head_repo;
    p
}

#[test]
fn a_pull_request_from_a_fork_is_routed_from_its_opening() {
    let fork = json!({ "id": 7, "full_name": "someone/Hello-World" });
    let base = example("pull_request/opened.1.json")["pull_request"]["base"]["repo"].clone();
    let itself = json!({ "id": base["id"], "full_name": base["full_name"] });
    let sha = "ec26c3e57ca3a959ca5aad62de7213c562f8c821";
    let at = "1 Codertocat/Hello-World:";
    for action in ["opened", "reopened"] {
        let fork_pull = format!("{at} ForkPull Some({sha:?})");
        assert_eq!(
            route_of("pull_request", &pull(action, fork.clone())),
            fork_pull
        );
        // A deleted fork: GitHub sends `"repo": null`.
        assert_eq!(
            route_of("pull_request", &pull(action, Value::Null)),
            fork_pull
        );
        assert_eq!(route_of("pull_request", &pull(action, itself.clone())), "-");
        // No head commit named: still the fork's route, with nothing to check.
        let mut p = pull(action, fork.clone());
        p["pull_request"]["head"]["sha"] = "".into();
        assert_eq!(route_of("pull_request", &p), format!("{at} ForkPull None"));
    }
    // A push: to every pull request, the fork's head checked as well.
    let pushed = |repo: Value| route_of("pull_request", &pull("synchronize", repo));
    assert_eq!(
        pushed(fork),
        format!("{at} HeadChanged #2 Some({sha:?}) fork=Some({sha:?})")
    );
    assert_eq!(
        pushed(itself),
        format!("{at} HeadChanged #2 Some({sha:?}) fork=None")
    );
}

#[test]
fn only_pushes_that_touch_the_configuration_to_a_branch_are_routed() {
    let push = |git_ref: &str, files: Value, after: Value| {
        let p = json!({
            "ref": git_ref, "after": after,
            "installation": {"id": 1},
            "repository": {"full_name": "o/r", "default_branch": "main"},
            "commits": [{"added": [], "modified": files, "removed": []}],
        });
        route_of("push", &p)
    };
    let abc = json!("abc");
    assert_eq!(push("refs/heads/b", json!(["README.md"]), abc.clone()), "-");
    let elsewhere = json!(["docs/.github/tacit.yml"]);
    assert_eq!(push("refs/heads/b", elsewhere, abc.clone()), "-");
    let touched = json!(["src/a.rs", ".github/tacit.yml"]);
    assert_eq!(
        push("refs/heads/b", touched.clone(), abc.clone()),
        "1 o/r: ConfigPush abc default=false"
    );
    assert_eq!(
        push("refs/heads/main", touched.clone(), abc.clone()),
        "1 o/r: ConfigPush abc default=true"
    );
    // A tag, or no commit: nothing to check.
    assert_eq!(push("refs/tags/v1", touched.clone(), abc), "-");
    assert_eq!(push("refs/heads/b", touched, Value::Null), "-");
    let removed = json!({
        "ref": "refs/heads/main", "after": "def",
        "installation": {"id": 1},
        "repository": {"full_name": "o/r", "default_branch": "main"},
        "commits": [{"removed": [".github/tacit.yml"]}],
    });
    assert_eq!(
        route_of("push", &removed),
        "1 o/r: ConfigPush def default=true"
    );
}

#[test]
fn label_definitions_route_by_the_name_that_is_gone() {
    let label = |action: &str, changes: Value| {
        let mut p = example("label/deleted.1.json");
        p["action"] = action.into();
        p["changes"] = changes;
        route_of("label", &p)
    };
    let at = "1 Codertocat/Hello-World:";
    assert_eq!(
        label("deleted", Value::Null),
        format!("{at} LabelDefinitionChanged \":bug: Bugfix\"")
    );
    assert_eq!(
        label("edited", json!({"name": {"from": "intent-to-merge"}})),
        format!("{at} LabelDefinitionChanged \"intent-to-merge\"")
    );
    // A new colour or description: the label is still there.
    assert_eq!(label("edited", json!({"color": {"from": "fc2929"}})), "-");
    assert_eq!(label("created", Value::Null), "-");
}

#[test]
fn a_delivery_missing_what_its_route_needs_has_none() {
    let without = |path: &str, event: &str, pointer: &str| {
        let mut p = example(path);
        let (parent, key) = pointer.rsplit_once('/').unwrap();
        let parent = if parent.is_empty() {
            &mut p
        } else {
            p.pointer_mut(parent).unwrap()
        };
        parent.as_object_mut().unwrap().remove(key);
        route_of(event, &p)
    };
    // Repository deliveries need the installation and the repository.
    assert_eq!(
        without("issues/labeled.1.json", "issues", "/installation"),
        "-"
    );
    assert_eq!(
        without("issues/labeled.1.json", "issues", "/repository"),
        "-"
    );
    // Item deliveries need the item.
    assert_eq!(without("issues/labeled.1.json", "issues", "/issue"), "-");
    assert_eq!(without("issues/unlabeled.1.json", "issues", "/issue"), "-");
    assert_eq!(
        without(
            "pull_request/synchronize.1.json",
            "pull_request",
            "/pull_request"
        ),
        "-"
    );
    // A label added needs its name; reviews need the review; checks need a commit.
    assert_eq!(without("issues/labeled.1.json", "issues", "/label"), "-");
    let review = "pull_request_review/submitted.1.json";
    assert_eq!(without(review, "pull_request_review", "/review"), "-");
    assert_eq!(without("status/event.1.json", "status", "/sha"), "-");
    // Installation deliveries need the installation.
    let inst = "installation/deleted.1.json";
    assert_eq!(without(inst, "installation", "/installation"), "-");
}

#[test]
fn ending_payloads_say_which_label_and_whether_merged() {
    let at = "1 Codertocat/Hello-World:";
    let mut closed = example("pull_request/closed.1.json");
    closed["pull_request"]["merged"] = true.into();
    assert_eq!(
        route_of("pull_request", &closed),
        format!("{at} Ending #2 None removed=false merged=true")
    );
    // `deleted` and `transferred` end only issues' intents (pull requests cannot be).
    let mut deleted = example("issues/deleted.1.json");
    assert!(route_of("issues", &deleted).contains("Ending #1"));
    assert_eq!(route_of("pull_request", &deleted), "-");
    deleted["action"] = "transferred".into();
    assert!(route_of("issues", &deleted).contains("Ending #1"));
}

/// What the engine needs for a delivery, in a few words: `Always`, `Head <repo> <sha>`,
/// or `Item <repo> <the delivery's item key>`; `None` without a route.
fn need_of(event: &str, v: &Value) -> Option<String> {
    let p = parse(v);
    route(event, &p).map(|r| match r.need() {
        Need::Item { repo } => format!("Item {repo} {}", p.item_key()),
        Need::Head { repo, sha } => format!("Head {repo} {sha}"),
        other => format!("{other:?}"),
    })
}

#[test]
fn what_the_engine_needs_is_told_from_the_route() {
    let repo = "codertocat/hello-world";
    let item = |number: u64| Some(format!("Item {repo} {repo}#{number}"));
    let sha = "ec26c3e57ca3a959ca5aad62de7213c562f8c821";
    let head = Some(format!("Head {repo} {sha}"));
    let always = Some("Always".to_string());
    let cases = [
        // CI events: only those naming an open intent's head.
        ("check_run", "check_run/completed.1.json", head.clone()),
        ("check_suite", "check_suite/completed.1.json", head.clone()),
        // Item events: only with an open intent on the item (or a delivery about it
        // still pending).
        ("issues", "issues/deleted.1.json", item(1)),
        ("pull_request", "pull_request/closed.1.json", item(2)),
        ("pull_request", "pull_request/synchronize.1.json", item(2)),
        (
            "pull_request",
            "pull_request/ready_for_review.1.json",
            item(2),
        ),
        (
            "pull_request_review",
            "pull_request_review/submitted.1.json",
            item(2),
        ),
        (
            "pull_request_review",
            "pull_request_review/dismissed.1.json",
            item(2),
        ),
        // What may open an intent, or has work of its own: always.
        ("issues", "issues/labeled.1.json", always.clone()),
        (
            "pull_request",
            "pull_request/labeled.1.json",
            always.clone(),
        ),
        (
            "installation",
            "installation/created.1.json",
            always.clone(),
        ),
        ("label", "label/deleted.1.json", always.clone()),
        // No route: nothing (recorded as done at once).
        ("issues", "issues/opened.1.json", None),
    ];
    for (event, path, want) in cases {
        assert_eq!(need_of(event, &example(path)), want, "{path}");
    }
    // A comment with a command: its item.
    let mut c = example("issue_comment/created.1.json");
    c["comment"]["body"] = "/object not yet".into();
    assert_eq!(need_of("issue_comment", &c), item(1));
    // A push to a fork's pull request checks the fork's `tacit/config`: always.
    let fork = json!({ "id": 7, "full_name": "someone/Hello-World" });
    assert_eq!(need_of("pull_request", &pull("synchronize", fork)), always);
    // A commit status names its commit the same way.
    let mut s = example("status/event.1.json");
    s["sha"] = sha.into();
    assert_eq!(
        need_of("status", &s).as_deref().map(|n| n.ends_with(sha)),
        Some(true)
    );
}
