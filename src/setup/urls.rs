//! The addresses setup builds and checks: the new App's webhook, GitHub's page that
//! registers an App, and this server's own address as the browser sees it. (GitHub's
//! web root for `GITHUB_API_URL` is `settings::github_web_url`'s.)

use std::net::SocketAddr;

use anyhow::{anyhow, bail};

/// Where the new App's webhook points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Webhook {
    /// An https address GitHub can deliver to.
    Active(String),
    /// No such address is known yet: the App is registered with its webhook off, and
    /// the operator sets the address in the App's settings once tacit runs somewhere.
    /// (Delivering to a placeholder would send repository data to a stranger.)
    Inactive,
}

/// The webhook: `explicit` (`--webhook-url` or `WEBHOOK_URL`) if given, which must then be
/// usable; else `app.yml`'s if usable; else none yet. A bare origin
/// (`https://tacit.example.org`) gets tacit's path, `/api/github/webhooks`.
pub fn choose_webhook(explicit: Option<&str>, manifest_url: &str) -> anyhow::Result<Webhook> {
    match explicit.map(str::trim).filter(|u| !u.is_empty()) {
        Some(url) => usable_webhook(url)
            .map(Webhook::Active)
            .map_err(|why| anyhow!("the webhook URL {url:?} {why}")),
        None => Ok(usable_webhook(manifest_url).map_or(Webhook::Inactive, Webhook::Active)),
    }
}

/// `url` with tacit's path when it has none, if GitHub could deliver to it: https, and
/// a host that is neither a reserved example name nor this machine.
fn usable_webhook(url: &str) -> Result<String, &'static str> {
    let mut parsed = url::Url::parse(url).map_err(|_| "is not a URL")?;
    if parsed.scheme() != "https" {
        return Err("is not https: GitHub must reach tacit over TLS");
    }
    let placeholder = match parsed.host() {
        None => true,
        Some(url::Host::Domain(domain)) => is_reserved_name(domain),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback() || ip.is_unspecified(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback() || ip.is_unspecified(),
    };
    if placeholder {
        return Err("names no public host (example and local names cannot receive deliveries)");
    }
    if parsed.path() == "/" || parsed.path().is_empty() {
        parsed.set_path(crate::webhook::PATH);
    }
    Ok(parsed.to_string())
}

/// Names reserved for examples and local use (RFC 2606, RFC 6761).
fn is_reserved_name(domain: &str) -> bool {
    let domain = domain.trim_end_matches('.').to_ascii_lowercase();
    let under = |suffix: &str| domain == suffix || domain.ends_with(&format!(".{suffix}"));
    ["example.com", "example.org", "example.net", "example"]
        .into_iter()
        .chain(["test", "invalid", "localhost", "local"])
        .any(under)
}

/// An http(s) URL with a host.
pub fn web_address(url: &str) -> anyhow::Result<url::Url> {
    let parsed = url::Url::parse(url)?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host().is_none() {
        bail!("use an http or https address");
    }
    Ok(parsed)
}

/// Where the form posts the manifest: the account's or an organisation's "register a new
/// GitHub App" page, with the state GitHub hands back to the callback.
pub fn new_app_url(web: &str, org: Option<&str>, state: &str) -> String {
    match org {
        Some(org) => format!("{web}/organizations/{org}/settings/apps/new?state={state}"),
        None => format!("{web}/settings/apps/new?state={state}"),
    }
}

/// An organisation login as GitHub allows them: 1 to 39 letters, digits and hyphens,
/// not starting or ending with a hyphen.
pub fn valid_org(org: &str) -> bool {
    (1..=39).contains(&org.len())
        && org.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        && !org.starts_with('-')
        && !org.ends_with('-')
}

/// `http://<host>` from the request's `Host` header: the address the browser used, so
/// that GitHub sends it back to the same place. Loopback names only, unless tacit
/// listens on a non-loopback address on purpose: a page of another site whose name
/// resolves to 127.0.0.1 (DNS rebinding) must not be able to drive this server.
pub fn local_base(host_header: &str, listen: SocketAddr) -> Result<String, String> {
    let invalid = || format!("{host_header:?} is not a host name");
    let url = url::Url::parse(&format!("http://{host_header}/")).map_err(|_| invalid())?;
    let clean = url.username().is_empty()
        && url.password().is_none()
        && url.path() == "/"
        && url.query().is_none()
        && url.fragment().is_none();
    let Some(host) = url.host() else {
        return Err(invalid());
    };
    if !clean {
        return Err(invalid());
    }
    let loopback = match host {
        url::Host::Domain(d) => {
            let d = d.to_ascii_lowercase();
            d == "localhost" || d.ends_with(".localhost")
        }
        url::Host::Ipv4(ip) => ip.is_loopback(),
        url::Host::Ipv6(ip) => ip.is_loopback(),
    };
    if !loopback && listen.ip().is_loopback() {
        return Err(format!(
            "open this page as http://localhost:{} (it was opened as {host_header:?})",
            listen.port()
        ));
    }
    Ok(url.as_str().trim_end_matches('/').to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listen(addr: &str) -> SocketAddr {
        addr.parse().unwrap()
    }

    #[test]
    fn the_webhook_is_an_address_github_can_reach_or_none() {
        let placeholder = "https://tacit.example.com/api/github/webhooks";
        let active = |url: &str| Ok(Webhook::Active(url.to_string()));
        assert_eq!(
            choose_webhook(None, placeholder).unwrap(),
            Webhook::Inactive
        );
        assert_eq!(
            choose_webhook(Some("  "), placeholder).unwrap(),
            Webhook::Inactive
        );
        assert_eq!(
            choose_webhook(None, "https://tacit.acme.org/api/github/webhooks")
                .map_err(|e| e.to_string()),
            active("https://tacit.acme.org/api/github/webhooks")
        );
        // An explicit address wins, and a bare origin gets tacit's path.
        assert_eq!(
            choose_webhook(Some("https://tacit.fly.dev"), placeholder).map_err(|e| e.to_string()),
            active("https://tacit.fly.dev/api/github/webhooks")
        );
        assert_eq!(
            choose_webhook(Some("https://h.org:8443/hooks/tacit"), placeholder)
                .map_err(|e| e.to_string()),
            active("https://h.org:8443/hooks/tacit")
        );
        for unusable in [
            "http://tacit.acme.org",
            "https://tacit.example.com",
            "https://example.org/x",
            "https://tacit.test",
            "https://localhost:3000",
            "https://127.0.0.1/",
            "https://[::1]/",
            "not a url",
        ] {
            assert!(
                choose_webhook(Some(unusable), placeholder).is_err(),
                "{unusable}"
            );
            assert_eq!(
                choose_webhook(None, unusable).unwrap(),
                Webhook::Inactive,
                "{unusable}"
            );
        }
        assert!(!is_reserved_name("notexample.com"));
        assert!(is_reserved_name("Tacit.Example.COM."));
    }

    #[test]
    fn the_form_posts_to_the_accounts_or_the_organisations_page() {
        assert_eq!(
            new_app_url("https://github.com", None, "s1"),
            "https://github.com/settings/apps/new?state=s1"
        );
        assert_eq!(
            new_app_url("https://github.com", Some("acme"), "s1"),
            "https://github.com/organizations/acme/settings/apps/new?state=s1"
        );
    }

    #[test]
    fn organisation_names() {
        for ok in ["acme", "a", "acme-corp", "A1-b2", &"x".repeat(39)] {
            assert!(valid_org(ok), "{ok}");
        }
        for bad in [
            "",
            "-acme",
            "acme-",
            "ac me",
            "acme/x",
            "acme?x",
            &"x".repeat(40),
        ] {
            assert!(!valid_org(bad), "{bad}");
        }
    }

    #[test]
    fn the_callback_goes_back_to_the_address_the_browser_used() {
        let local = listen("127.0.0.1:3000");
        assert_eq!(
            local_base("localhost:3000", local).unwrap(),
            "http://localhost:3000"
        );
        assert_eq!(
            local_base("127.0.0.1:3000", local).unwrap(),
            "http://127.0.0.1:3000"
        );
        assert_eq!(
            local_base("[::1]:3000", local).unwrap(),
            "http://[::1]:3000"
        );
        assert_eq!(
            local_base("tacit.localhost", local).unwrap(),
            "http://tacit.localhost"
        );
        // Another name for this machine is refused on a loopback listener.
        let err = local_base("evil.example:3000", local).unwrap_err();
        assert!(err.contains("http://localhost:3000"), "{err}");
        // ... and taken on a listener the operator opened to the network.
        let open = listen("0.0.0.0:3000");
        assert_eq!(
            local_base("box.lan:3000", open).unwrap(),
            "http://box.lan:3000"
        );
        for bad in [
            "",
            "a@localhost",
            "localhost/x",
            "localhost?x",
            "local host",
            "localhost#x",
        ] {
            assert!(local_base(bad, open).is_err(), "{bad:?}");
        }
    }
}
