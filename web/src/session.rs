//! What signing in looks like in every front end: where a browser goes
//! back to (a path of this server only), the redirect to the sign-in page
//! with the reason the session ended, and the language switch.

use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::CookieJar;

use crate::csrf::{self, Cookies};
use crate::show::url_encode;

/// A path on this server only: never another site's address.
pub fn local_path(back: Option<&str>) -> String {
    match back {
        Some(b) if b.starts_with('/') && !b.starts_with("//") && !b.starts_with("/\\") => b.to_string(),
        _ => "/".to_string(),
    }
}

/// Why a request has no one signed in: the browser goes to the sign-in page,
/// which brings it back afterwards.
#[derive(Debug)]
pub struct SignInFirst {
    /// The page asked for.
    pub back: String,
    /// Why the session ended, in the browser's language, if it did.
    pub reason: Option<String>,
}

impl IntoResponse for SignInFirst {
    fn into_response(self) -> Response {
        let mut to = format!("/login?back={}", url_encode(&self.back));
        if let Some(reason) = self.reason {
            to += &format!("&why={}", url_encode(&reason));
        }
        Redirect::to(&to).into_response()
    }
}

/// Switches the pages' language (`zh` unless `en`) for a year and goes back
/// where the person was.
pub fn switch_lang(cookies: Cookies, https: bool, jar: CookieJar, lang: &str, back: Option<&str>) -> Response {
    let value = if lang == "en" { "en" } else { "zh" };
    let mut c = csrf::cookie(cookies.lang, value.to_string(), https);
    c.set_http_only(false);
    c.set_max_age(cookie::time::Duration::days(365));
    (jar.add(c), Redirect::to(&local_path(back))).into_response()
}
