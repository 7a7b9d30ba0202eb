//! The route table and what every handler shares: the parsed request ([`Req`]), the answer
//! ([`Reply`]), access checks, and pagination. Handlers are plain functions over the locked
//! [`State`], grouped by resource in the submodules.

mod app;
mod checks;
mod issues;
mod orgs;
mod pulls;
mod repos;

use serde_json::{Value, json};

use super::Auth;
use super::render;
use super::state::{RepoKey, State};

/// A request, parsed once.
pub struct Req {
    pub method: String,
    /// The path without the query, as sent.
    pub path: String,
    /// The path's segments, percent-decoded.
    pub segments: Vec<String>,
    pub query: Vec<(String, String)>,
    pub body: Value,
    pub auth: Auth,
}

impl Req {
    pub fn new(method: &str, path_and_query: &str, body: Value, auth: Auth) -> Req {
        let (path, query) = path_and_query
            .split_once('?')
            .unwrap_or((path_and_query, ""));
        let segments = path
            .split('/')
            .filter(|s| !s.is_empty())
            .map(percent_decode)
            .collect();
        let query = url::form_urlencoded::parse(query.as_bytes())
            .into_owned()
            .collect();
        Req {
            method: method.to_uppercase(),
            path: path.to_string(),
            segments,
            query,
            body,
            auth,
        }
    }

    pub fn query(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Requires an App JWT.
    pub fn app(&self) -> Result<(), Reply> {
        match self.auth {
            Auth::App => Ok(()),
            _ => Err(Reply::error(401, "A JSON web token could not be decoded")),
        }
    }

    /// Requires an installation token; returns the installation.
    pub fn installation(&self) -> Result<u64, Reply> {
        match self.auth {
            Auth::Installation(id) => Ok(id),
            Auth::None => Err(Reply::error(401, "Requires authentication")),
            _ => Err(Reply::error(401, "Bad credentials")),
        }
    }

    /// A string field of the JSON body.
    pub fn field(&self, name: &str) -> Option<&str> {
        self.body.get(name).and_then(Value::as_str)
    }
}

/// Decodes `%XX` escapes in a path segment (`+` stays a plus, unlike in queries).
fn percent_decode(segment: &str) -> String {
    let bytes = segment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = (bytes[i] == b'%')
            .then(|| bytes.get(i + 1..i + 3))
            .flatten()
            .and_then(|h| hex::decode(h).ok());
        match escaped {
            Some(byte) => {
                out.extend(byte);
                i += 3;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// An answer: status, JSON body (none for 204/304), extra headers.
pub struct Reply {
    pub status: u16,
    pub body: Option<Value>,
    pub headers: Vec<(String, String)>,
}

/// Handlers return `Err` for GitHub's error answers, so `?` reads naturally.
pub type Answer = Result<Reply, Reply>;

impl Reply {
    pub fn json(status: u16, body: Value) -> Reply {
        Reply {
            status,
            body: Some(body),
            headers: Vec::new(),
        }
    }

    pub fn ok(body: Value) -> Reply {
        Reply::json(200, body)
    }

    pub fn no_content() -> Reply {
        Reply {
            status: 204,
            body: None,
            headers: Vec::new(),
        }
    }

    pub fn error(status: u16, message: &str) -> Reply {
        Reply::json(status, render::error(message))
    }

    pub fn not_found() -> Reply {
        Reply::error(404, "Not Found")
    }

    /// 422 with one validation error, as GitHub reports them.
    pub fn validation(resource: &str, field: &str, code: &str) -> Reply {
        let mut body = render::error("Validation Failed");
        body["errors"] = json!([{ "resource": resource, "code": code, "field": field }]);
        body["status"] = json!("422");
        Reply::json(422, body)
    }
}

/// Routes a request to its handler. Unknown routes get 404, like GitHub.
pub fn route(st: &mut State, req: &Req) -> Answer {
    let segments: Vec<&str> = req.segments.iter().map(String::as_str).collect();
    match (req.method.as_str(), segments.as_slice()) {
        // The App itself (JWT).
        ("GET", ["app"]) => app::get_app(req),
        ("GET", ["app", "installations"]) => app::list_installations(st, req),
        ("POST", ["app", "installations", id, "access_tokens"]) => {
            app::create_token(st, req, number(id)?)
        }
        ("GET", ["app", "hook", "deliveries"]) => app::list_deliveries(st, req),
        ("POST", ["app", "hook", "deliveries", id, "attempts"]) => {
            app::redeliver(st, req, number(id)?)
        }
        ("GET", ["repos", owner, repo, "installation"]) => {
            app::repo_installation(st, req, owner, repo)
        }
        // The App manifest flow (no credentials: the code is one).
        ("POST", ["app-manifests", code, "conversions"]) => app::convert_manifest(st, code),

        // Repositories (installation token from here on).
        ("GET", ["installation", "repositories"]) => repos::list_for_installation(st, req),
        ("GET", ["repos", owner, repo]) => repos::get(st, req, owner, repo),
        ("GET", ["repos", owner, repo, "contents", path @ ..]) => {
            repos::get_content(st, req, owner, repo, path)
        }
        ("GET", ["repos", owner, repo, "collaborators", user, "permission"]) => {
            repos::permission(st, req, owner, repo, user)
        }

        // Organisations.
        ("GET", ["orgs", org, "teams", team, "memberships", user]) => {
            orgs::team_membership(st, req, org, team, user)
        }

        // Repository labels.
        ("GET", ["repos", owner, repo, "labels"]) => issues::list_repo_labels(st, req, owner, repo),
        ("POST", ["repos", owner, repo, "labels"]) => {
            issues::create_repo_label(st, req, owner, repo)
        }
        ("GET", ["repos", owner, repo, "labels", name]) => {
            issues::get_repo_label(st, req, owner, repo, name)
        }
        ("DELETE", ["repos", owner, repo, "labels", name]) => {
            issues::delete_repo_label(st, req, owner, repo, name)
        }

        // Comments by id (before `issues/{n}`, which they would otherwise match).
        ("GET", ["repos", owner, repo, "issues", "comments", id]) => {
            issues::get_comment(st, req, owner, repo, number(id)?)
        }
        // GitHub takes POST for PATCH (octocrab's `update_comment` sends POST).
        ("PATCH" | "POST", ["repos", owner, repo, "issues", "comments", id]) => {
            issues::update_comment(st, req, owner, repo, number(id)?)
        }
        ("DELETE", ["repos", owner, repo, "issues", "comments", id]) => {
            issues::delete_comment(st, req, owner, repo, number(id)?)
        }

        // Issues (pull requests included, as on GitHub).
        ("GET", ["repos", owner, repo, "issues"]) => issues::list(st, req, owner, repo),
        ("GET", ["repos", owner, repo, "issues", n]) => {
            issues::get(st, req, owner, repo, number(n)?)
        }
        ("PATCH" | "POST", ["repos", owner, repo, "issues", n]) => {
            issues::update(st, req, owner, repo, number(n)?)
        }
        ("GET", ["repos", owner, repo, "issues", n, "events"]) => {
            issues::events(st, req, owner, repo, number(n)?)
        }
        ("GET", ["repos", owner, repo, "issues", n, "timeline"]) => {
            issues::timeline(st, req, owner, repo, number(n)?)
        }
        ("GET", ["repos", owner, repo, "issues", n, "comments"]) => {
            issues::list_comments(st, req, owner, repo, number(n)?)
        }
        ("POST", ["repos", owner, repo, "issues", n, "comments"]) => {
            issues::create_comment(st, req, owner, repo, number(n)?)
        }
        ("GET", ["repos", owner, repo, "issues", n, "labels"]) => {
            issues::list_labels(st, req, owner, repo, number(n)?)
        }
        ("POST", ["repos", owner, repo, "issues", n, "labels"]) => {
            issues::add_labels(st, req, owner, repo, number(n)?)
        }
        ("PUT", ["repos", owner, repo, "issues", n, "labels"]) => {
            issues::set_labels(st, req, owner, repo, number(n)?)
        }
        ("DELETE", ["repos", owner, repo, "issues", n, "labels", name]) => {
            issues::remove_label(st, req, owner, repo, number(n)?, name)
        }

        // Pull requests.
        ("GET", ["repos", owner, repo, "pulls", n]) => pulls::get(st, req, owner, repo, number(n)?),
        ("GET", ["repos", owner, repo, "pulls", n, "merge"]) => {
            pulls::is_merged(st, req, owner, repo, number(n)?)
        }
        ("PUT", ["repos", owner, repo, "pulls", n, "merge"]) => {
            pulls::merge(st, req, owner, repo, number(n)?)
        }
        ("GET", ["repos", owner, repo, "pulls", n, "reviews"]) => {
            pulls::reviews(st, req, owner, repo, number(n)?)
        }

        // Check runs.
        ("POST", ["repos", owner, repo, "check-runs"]) => checks::create(st, req, owner, repo),
        ("GET", ["repos", owner, repo, "check-runs", id]) => {
            checks::get(st, req, owner, repo, number(id)?)
        }
        ("PATCH" | "POST", ["repos", owner, repo, "check-runs", id]) => {
            checks::update(st, req, owner, repo, number(id)?)
        }
        ("GET", ["repos", owner, repo, "commits", git_ref @ .., "check-runs"])
            if !git_ref.is_empty() =>
        {
            checks::list_for_ref(st, req, owner, repo, &git_ref.join("/"))
        }

        _ => Err(Reply::not_found()),
    }
}

/// A numeric path segment; anything else is a route GitHub does not have.
fn number(segment: &str) -> Result<u64, Reply> {
    segment.parse().map_err(|_| Reply::not_found())
}

/// The repository, if the request's installation token may see it (404 otherwise, as GitHub
/// hides repositories an installation cannot access).
pub fn repo_key(st: &State, req: &Req, owner: &str, repo: &str) -> Result<RepoKey, Reply> {
    let installation = req.installation()?;
    let key = RepoKey::new(owner, repo);
    match st.repos.get(&key) {
        Some(r) if r.installation == installation => Ok(key),
        _ => Err(Reply::not_found()),
    }
}

/// The login the request acts as: the App's bot for installation tokens.
pub fn actor(req: &Req) -> &'static str {
    match req.auth {
        Auth::Installation(_) => super::state::BOT_LOGIN,
        _ => "ghost",
    }
}

/// Answers one page of `items` (`per_page` default 30, at most 100; `page` from 1) with a
/// `Link` header like GitHub's when there are other pages.
pub fn paginate(st: &State, req: &Req, items: Vec<Value>) -> Reply {
    let per_page = req
        .query("per_page")
        .and_then(|p| p.parse::<usize>().ok())
        .unwrap_or(30)
        .clamp(1, 100);
    let page = req
        .query("page")
        .and_then(|p| p.parse::<usize>().ok())
        .unwrap_or(1)
        .max(1);
    let last = items.len().div_ceil(per_page).max(1);
    let body: Vec<Value> = items
        .into_iter()
        .skip((page - 1) * per_page)
        .take(per_page)
        .collect();
    let mut reply = Reply::ok(Value::Array(body));
    if last > 1 {
        let link = |p: usize| {
            let mut query: Vec<(String, String)> = req
                .query
                .iter()
                .filter(|(k, _)| k != "page" && k != "per_page")
                .cloned()
                .collect();
            query.push(("per_page".to_string(), per_page.to_string()));
            query.push(("page".to_string(), p.to_string()));
            let query = url::form_urlencoded::Serializer::new(String::new())
                .extend_pairs(query)
                .finish();
            format!("<{}{}?{query}>", st.base_url, req.path)
        };
        let mut rels = Vec::new();
        if page > 1 {
            rels.push(format!("{}; rel=\"prev\"", link(page - 1)));
        }
        if page < last {
            rels.push(format!("{}; rel=\"next\"", link(page + 1)));
            rels.push(format!("{}; rel=\"last\"", link(last)));
        }
        if page > 1 {
            rels.push(format!("{}; rel=\"first\"", link(1)));
        }
        reply.headers.push(("link".to_string(), rels.join(", ")));
    }
    reply
}
