//! The session and CSRF cookies, made in one place: HttpOnly, SameSite=Lax, path `/`, and
//! Secure whenever the public URL is https.
//!
//! Before login there is no server-side session, so the login form's CSRF token is a
//! double-submit cookie: the form field must equal the cookie, which a foreign site can
//! neither read nor set. After login the token lives in the session row.

use gatehouse_core::auth::web::random_text;
use tower_cookies::cookie::SameSite;
use tower_cookies::{Cookie, Cookies};

pub const SESSION_COOKIE: &str = "gatehouse_session";
pub const CSRF_COOKIE: &str = "gatehouse_csrf";

fn cookie(name: &'static str, value: String, secure: bool) -> Cookie<'static> {
    Cookie::build((name, value))
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(secure)
        .path("/")
        .build()
}

pub fn set_session(cookies: &Cookies, token: &str, secure: bool) {
    cookies.add(cookie(SESSION_COOKIE, token.to_owned(), secure));
}

pub fn clear_session(cookies: &Cookies, secure: bool) {
    cookies.remove(cookie(SESSION_COOKIE, String::new(), secure));
}

pub fn session_token(cookies: &Cookies) -> Option<String> {
    cookies
        .get(SESSION_COOKIE)
        .map(|c| c.value().to_owned())
        .filter(|v| !v.is_empty())
}

/// The pre-login CSRF token, set now if the browser has none.
pub fn anonymous_csrf(cookies: &Cookies, secure: bool) -> String {
    if let Some(existing) = cookies.get(CSRF_COOKIE).filter(|c| c.value().len() >= 32) {
        return existing.value().to_owned();
    }
    let token = random_text();
    cookies.add(cookie(CSRF_COOKIE, token.clone(), secure));
    token
}

/// Compares without an early exit, so timing does not reveal a prefix.
pub fn tokens_match(expected: &str, given: &str) -> bool {
    expected.len() == given.len()
        && !expected.is_empty()
        && expected
            .bytes()
            .zip(given.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_are_http_only_lax_and_secure_only_when_asked() {
        let plain = cookie(SESSION_COOKIE, "t".into(), false).to_string();
        let secure = cookie(SESSION_COOKIE, "t".into(), true).to_string();
        assert!(
            plain.contains("HttpOnly") && plain.contains("SameSite=Lax"),
            "{plain}"
        );
        assert!(!plain.contains("Secure"), "{plain}");
        assert!(secure.contains("Secure"), "{secure}");
    }

    #[test]
    fn empty_or_different_tokens_never_match() {
        assert!(tokens_match("abc", "abc"));
        assert!(!tokens_match("abc", "abd"));
        assert!(!tokens_match("", ""));
        assert!(!tokens_match("abc", "ab"));
    }
}
