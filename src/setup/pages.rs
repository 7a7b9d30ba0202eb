//! The setup server's HTML pages: the start page with the form, the error page, and
//! what to do next once the App is registered. Every piece of text that came from
//! `app.yml`, the request or GitHub is escaped.

use std::path::Path;

use serde_json::Value;

use super::manifest::Manifest;
use super::server::Registered;
use super::urls::Webhook;
use crate::http::html::escape;
use crate::webhook::PATH;

fn layout(title: &str, body: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{title}</title>\n<style>\n\
         body {{ font: 16px/1.5 system-ui, sans-serif; max-width: 42rem; margin: 3rem auto; padding: 0 1rem; }}\n\
         code {{ background: #f3f3f3; padding: 0 .2em; }}\n\
         button {{ font: inherit; padding: .4em 1em; cursor: pointer; }}\n\
         .note {{ border-left: 4px solid #d4a72c; padding-left: 1rem; }}\n\
         .error {{ border-left: 4px solid #cf222e; padding-left: 1rem; }}\n\
         </style>\n</head>\n<body>\n<main>\n{body}</main>\n</body>\n</html>\n",
        title = escape(title),
    )
}

/// The start page: what happens, and the form that posts the manifest to GitHub.
pub fn start_page(
    manifest: &Manifest,
    manifest_json: &Value,
    action: &str,
    org: Option<&str>,
    webhook: &Webhook,
    env_path: &Path,
) -> String {
    let name = escape(manifest.name());
    let webhook_note = match webhook {
        Webhook::Active(url) => format!(
            "<p>GitHub will deliver events to <code>{}</code>.</p>\n",
            escape(url)
        ),
        Webhook::Inactive => format!(
            "<p class=\"note\">No public address for tacit is known yet (<code>app.yml</code>'s \
             <code>{}</code> cannot receive deliveries), so the App is registered with its \
             webhook turned off. Once tacit runs where GitHub can reach it, set the webhook URL to \
             <code>https://&lt;your host&gt;{PATH}</code> and turn it on in the \
             App's settings; or stop this setup and start it again with \
             <code>--webhook-url https://&lt;your host&gt;</code>.</p>\n",
            escape(manifest.hook_url())
        ),
    };
    let (button, switch) = match org {
        Some(org) => (
            format!(
                "Register the App for the organisation <b>{}</b>",
                escape(org)
            ),
            "<p><a href=\"/\">Register it on my personal account instead</a></p>\n".to_string(),
        ),
        None => (
            "Register the App on my account".to_string(),
            "<form method=\"get\" action=\"/\">\n<p>Or for an organisation you own: \
             <input name=\"org\" placeholder=\"organisation\" required>\n\
             <button type=\"submit\">Continue</button></p>\n</form>\n"
                .to_string(),
        ),
    };
    let body = format!(
        "<h1>Register tacit as a GitHub App</h1>\n\
         <p>This registers a GitHub App named <b>{name}</b> from <code>app.yml</code>, with \
         the permissions and events tacit needs. GitHub asks you to confirm, and lets you \
         change the name (App names are unique on GitHub). Then it sends you back here, \
         and tacit writes the App's id, private key and webhook secret into \
         <code>{env}</code>.</p>\n\
         {webhook_note}\
         <form method=\"post\" action=\"{action}\">\n\
         <input type=\"hidden\" name=\"manifest\" value=\"{manifest}\">\n\
         <p><button type=\"submit\">{button}</button></p>\n\
         </form>\n\
         {switch}",
        env = escape(&env_path.display().to_string()),
        action = escape(action),
        manifest = escape(&manifest_json.to_string()),
    );
    layout("tacit setup", &body)
}

pub fn error_page(message: &str) -> String {
    layout(
        "tacit setup: error",
        &format!(
            "<h1>tacit setup</h1>\n<p class=\"error\">{}</p>\n\
             <p><a href=\"/\">Start again</a></p>\n",
            escape(message)
        ),
    )
}

/// What to do next, as lines of text (for the terminal) and as the success page.
pub fn next_steps(done: &Registered) -> Vec<String> {
    let mut steps = vec![format!(
        "Install it on the repositories tacit should look after: {}/installations/new",
        done.html_url
    )];
    if done.webhook == Webhook::Inactive {
        steps.push(format!(
            "When tacit runs where GitHub can reach it, set the webhook URL to \
             https://<your host>{PATH} and turn the webhook on: {}",
            done.settings_url
        ));
    }
    if done.secret_generated {
        steps.push(format!(
            "GitHub gave no webhook secret, so tacit made one (WEBHOOK_SECRET in {}): \
             enter it as the webhook secret in the App's settings: {}",
            done.env_path.display(),
            done.settings_url
        ));
    }
    if done.private_key_path_unused {
        steps.push(format!(
            "PRIVATE_KEY_PATH in {} is no longer used: PRIVATE_KEY takes precedence",
            done.env_path.display()
        ));
    }
    steps.push("Start tacit: cargo run --release -- serve (or `tacit serve`)".to_string());
    steps
}

pub fn success_page(done: &Registered) -> String {
    let steps: String = next_steps(done)
        .iter()
        .map(|step| format!("<li>{}</li>\n", link_urls(&escape(step))))
        .collect();
    layout(
        "tacit setup: done",
        &format!(
            "<h1>The GitHub App is registered</h1>\n\
             <p><a href=\"{url}\">{slug}</a> exists, and its id, private key and webhook \
             secret are in <code>{env}</code>. This setup has stopped.</p>\n\
             <h2>Next</h2>\n<ol>\n{steps}</ol>\n",
            url = escape(&done.html_url),
            slug = escape(&done.slug),
            env = escape(&done.env_path.display().to_string()),
        ),
    )
}

/// Makes the http(s) URLs in already escaped text clickable (not the templates with
/// `<your host>` in them).
fn link_urls(escaped: &str) -> String {
    escaped
        .split(' ')
        .map(|word| {
            if (word.starts_with("https://") || word.starts_with("http://")) && !word.contains('&')
            {
                format!("<a href=\"{word}\">{word}</a>")
            } else {
                word.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_escape_what_they_show() {
        assert_eq!(
            escape("<a href=\"x\">'&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
        let manifest = Manifest::parse(
            "name: \"<b>x</b>\"\nurl: https://a.org\nhook_attributes: {url: https://a.org}\n",
        )
        .unwrap();
        let json = manifest.for_github("http://localhost:3000/setup/callback", &Webhook::Inactive);
        let html = start_page(
            &manifest,
            &json,
            "https://github.com/settings/apps/new?state=s",
            None,
            &Webhook::Inactive,
            Path::new(".env"),
        );
        assert!(!html.contains("<b>x</b>"));
        assert!(html.contains("&lt;b&gt;x&lt;/b&gt;"));
    }
}
