//! Page rendering with minijinja. Templates are compiled into the binary from
//! `web/templates`; every name ends in `.html`, so auto-escaping is on for all of them.

use axum::response::Html;
use minijinja::Environment;
use serde::Serialize;

use crate::error::WebError;

macro_rules! templates {
    ($($name:literal),* $(,)?) => {
        &[$(($name, include_str!(concat!("../../../web/templates/", $name)))),*]
    };
}

const TEMPLATES: &[(&str, &str)] = templates![
    "layouts/base.html",
    "partials/csrf.html",
    "partials/message.html",
    "partials/admin_nav.html",
    "pages/login.html",
    "pages/challenge.html",
    "pages/enroll.html",
    "pages/totp.html",
    "pages/sms.html",
    "pages/recovery_codes.html",
    "pages/profile.html",
    "pages/files.html",
    "pages/admin_users.html",
    "pages/admin_user.html",
    "pages/admin_security.html",
    "pages/admin_audit.html",
];

pub struct Templates {
    env: Environment<'static>,
}

impl Templates {
    pub fn new() -> Result<Self, minijinja::Error> {
        let mut env = Environment::new();
        for (name, source) in TEMPLATES {
            env.add_template(name, source)?;
        }
        Ok(Self { env })
    }

    /// Renders `pages/<name>` with its context struct.
    pub fn page(&self, name: &str, context: impl Serialize) -> Result<Html<String>, WebError> {
        let template = self.env.get_template(name)?;
        Ok(Html(template.render(context)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_parses_and_escapes_html() {
        let templates = Templates::new().expect("templates should parse");
        let page = templates
            .page(
                "pages/login.html",
                minijinja::context! { csrf_token => "<x>", message => "<b>" },
            )
            .unwrap();
        assert!(
            page.0.contains("&lt;b&gt;"),
            "the message should be escaped"
        );
        assert!(!page.0.contains("<b>"), "no raw markup from input");
    }
}

#[cfg(test)]
mod admin_pages {
    use minijinja::context;

    use super::*;

    #[test]
    fn the_administration_pages_render_with_their_contexts() {
        let templates = Templates::new().expect("templates should parse");
        let user = context! {
            username => "a b", email => "", role => "member", manage_users => false,
            root_folder => "/home/a", second_factor => "totp", second_factor_since => "x",
            last_web => "never", last_sftp => "never", sftp => true, web => true, ftp => false,
            disabled => false, is_owner => false,
        };
        let base = || context! { csrf_token => "t", signed_in => true, message => () };
        let security = context! {
            enforce_mfa => true, password_min_length => 12, lockout_max_failures => 5,
            lockout_window_minutes => 5, lockout_duration_minutes => 15,
            allow_totp => true, allow_sms => false, ..base()
        };
        let query = context! { user => "", kind => "", from => "", to => "" };
        let pages = [
            (
                "pages/admin_users.html",
                context! { users => vec![user.clone()], ..base() },
            ),
            ("pages/admin_user.html", context! { user => user, ..base() }),
            ("pages/admin_security.html", security),
            (
                "pages/admin_audit.html",
                context! { query, events => Vec::<()>::new(), ..base() },
            ),
        ];
        for (name, context) in pages {
            let page = templates.page(name, context);
            assert!(page.is_ok(), "{name}: {:?}", page.err());
        }
    }
}
