//! A cookie-keeping HTTP client for the web app, and helpers that read the page contract
//! (`csrf_token` fields, `data-totp-secret`, `data-recovery-code`) the way a script would.

use std::sync::Arc;
use std::time::Duration;

use gatehouse_tests::TestApp;
use reqwest::StatusCode;
use reqwest::cookie::{CookieStore, Jar};
use reqwest::redirect::Policy;
use totp_rs::{Algorithm, Secret, TOTP};

pub const PASSWORD: &str = "correct-horse-battery-staple";

/// One browser: its own cookie jar, redirects not followed so tests see each 303.
pub struct Browser {
    pub http: reqwest::Client,
    pub jar: Arc<Jar>,
    pub base: String,
}

/// A response read in full.
#[derive(Debug)]
pub struct Page {
    pub status: StatusCode,
    pub location: Option<String>,
    pub body: String,
}

impl Page {
    pub fn redirects_to(&self, to: &str) -> bool {
        self.status == StatusCode::SEE_OTHER && self.location.as_deref() == Some(to)
    }

    /// The body with the entities minijinja's escaping writes turned back into characters.
    pub fn unescaped(&self) -> String {
        unescape(&self.body)
    }

    pub fn csrf(&self) -> String {
        attribute_after(&self.body, "name=\"csrf_token\" value=\"")
            .unwrap_or_else(|| panic!("no csrf_token on the page:\n{}", self.body))
    }

    pub fn totp_secret(&self) -> String {
        attribute_after(&self.body, "data-totp-secret=\"")
            .unwrap_or_else(|| panic!("no data-totp-secret on the page:\n{}", self.body))
    }

    pub fn recovery_codes(&self) -> Vec<String> {
        let mut codes = Vec::new();
        let mut rest = self.body.as_str();
        while let Some(at) = rest.find("data-recovery-code=\"") {
            rest = &rest[at + "data-recovery-code=\"".len()..];
            codes.push(rest[..rest.find('"').unwrap()].to_owned());
        }
        codes
    }
}

fn attribute_after(body: &str, marker: &str) -> Option<String> {
    let start = body.find(marker)? + marker.len();
    let end = body[start..].find('"')?;
    Some(unescape(&body[start..start + end]))
}

fn unescape(text: &str) -> String {
    text.replace("&#x2f;", "/")
        .replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

impl Browser {
    pub fn new(app: &TestApp) -> Self {
        let jar = Arc::new(Jar::default());
        let http = reqwest::Client::builder()
            .cookie_provider(jar.clone())
            .redirect(Policy::none())
            .timeout(Duration::from_secs(60))
            .build()
            .unwrap();
        Self {
            http,
            jar,
            base: format!("http://{}", app.web),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// The session cookie's value, if the browser holds one.
    pub fn session_cookie(&self) -> Option<String> {
        let url = self.base.parse().unwrap();
        let header = self.jar.cookies(&url)?;
        header
            .to_str()
            .unwrap()
            .split("; ")
            .find_map(|pair| pair.strip_prefix("gatehouse_session=").map(str::to_owned))
    }

    pub async fn read(response: reqwest::Response) -> Page {
        let status = response.status();
        let location = response
            .headers()
            .get("location")
            .map(|v| v.to_str().unwrap().to_owned());
        Page {
            status,
            location,
            body: response.text().await.unwrap(),
        }
    }

    pub async fn get(&self, path: &str) -> Page {
        Self::read(self.http.get(self.url(path)).send().await.unwrap()).await
    }

    pub async fn post(&self, path: &str, form: &[(&str, &str)]) -> Page {
        Self::read(
            self.http
                .post(self.url(path))
                .form(form)
                .send()
                .await
                .unwrap(),
        )
        .await
    }

    /// GET `page_path` for a CSRF token, then POST the form with it to `path`.
    pub async fn submit(&self, page_path: &str, path: &str, form: &[(&str, &str)]) -> Page {
        let csrf = self.get(page_path).await.csrf();
        let mut fields = form.to_vec();
        fields.push(("csrf_token", &csrf));
        self.post(path, &fields).await
    }

    /// Logs out from whatever page the browser is sent to, using that page's CSRF token.
    pub async fn logout(&self) -> Page {
        let home = self.get("/").await;
        let to = home.location.clone().unwrap_or_else(|| "/login".to_owned());
        self.submit(&to, "/logout", &[]).await
    }

    /// Signs in at `/login`, logging out first if a signed-in session sends `/login` away.
    pub async fn login(&self, username: &str, password: &str) -> Page {
        let mut page = self.get("/login").await;
        if page.status != StatusCode::OK {
            self.logout().await;
            page = self.get("/login").await;
        }
        let form = [
            ("username", username),
            ("password", password),
            ("csrf_token", &page.csrf()),
        ];
        self.post("/login", &form).await
    }

    pub async fn second_factor(&self, method: &str, code: &str) -> Page {
        let form = [("method", method), ("code", code)];
        self.submit("/login/2fa", "/login/2fa", &form).await
    }

    /// Enrols TOTP from `page_path` (`/profile/2fa/totp` or `/enroll/totp`), confirming with
    /// the code of the previous step; returns the secret and the recovery codes shown.
    pub async fn enrol_totp(&self, page_path: &str) -> (String, Vec<String>) {
        let page = self.get(page_path).await;
        assert_eq!(
            page.status,
            StatusCode::OK,
            "the TOTP page should show: {page:?}"
        );
        let secret = page.totp_secret();
        let code = code_at(&secret, fresh_step() - 1);
        let form = [("code", code.as_str()), ("csrf_token", &page.csrf())];
        let done = self.post(page_path, &form).await;
        let codes = done.recovery_codes();
        assert_eq!(
            codes.len(),
            10,
            "ten recovery codes should be shown: {}",
            done.body
        );
        (secret, codes)
    }
}

/// The code an authenticator app shows for `step`.
pub fn code_at(secret: &str, step: i64) -> String {
    let bytes = Secret::Encoded(secret.to_owned()).to_bytes().unwrap();
    TOTP::new_unchecked(Algorithm::SHA1, 6, 0, 30, bytes).generate(step as u64 * 30)
}

/// The current 30-second step, first waiting out the last seconds of a step so that the
/// server, a moment later, still sees the same one.
pub fn fresh_step() -> i64 {
    let now = chrono::Utc::now().timestamp();
    if now % 30 >= 27 {
        std::thread::sleep(Duration::from_secs(4));
    }
    chrono::Utc::now().timestamp() / 30
}

/// A tenant `acme` with owner `owner` and member `alice`, both with [`PASSWORD`].
pub fn acme(app: &TestApp) {
    app.create_tenant("acme", "owner", PASSWORD);
    app.add_user("acme", "alice", PASSWORD);
}

pub fn enforce_mfa(app: &TestApp, on: bool) {
    let value = if on { "true" } else { "false" };
    let out = app.cli(&["tenant", "set", "acme", "--enforce-mfa", value], None);
    assert!(out.status.success(), "{}", gatehouse_tests::describe(&out));
}
