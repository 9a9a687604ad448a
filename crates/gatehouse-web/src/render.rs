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
    "pages/login.html",
    "pages/challenge.html",
    "pages/enroll.html",
    "pages/totp.html",
    "pages/sms.html",
    "pages/recovery_codes.html",
    "pages/profile.html",
    "pages/files.html",
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
