//! Cookies and CSRF. A browser holds a secret in an HttpOnly, SameSite=Strict
//! cookie (its session token, or before sign-in a random pre-session value);
//! every form carries a token derived from it, and [`guard`] refuses any
//! request that changes something without the token of one of the
//! browser's own secrets. Each front end names its cookies (a desk and a
//! dashboard on one host must not share them).

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use wuye_app::messages::Lang;

use crate::secure::MAX_BODY_BYTES;

/// The form field that carries the token.
pub const FIELD: &str = "_csrf";
/// The header htmx sends the token in.
pub const HEADER: &str = "x-csrf-token";

/// A front end's cookie names.
#[derive(Debug, Clone, Copy)]
pub struct Cookies {
    /// The session token.
    pub session: &'static str,
    /// Before sign-in: the secret the sign-in form's token is tied to.
    pub pre: &'static str,
    /// The pages' language, `zh` or `en`.
    pub lang: &'static str,
}

impl Cookies {
    /// The language a browser asked for: Chinese unless it chose English.
    pub fn lang_of(&self, jar: &CookieJar) -> Lang {
        match jar.get(self.lang).map(Cookie::value) {
            Some("en") => Lang::En,
            _ => Lang::Zh,
        }
    }
}

/// The token that goes with a secret the browser holds in a cookie.
pub fn token_for(secret: &str) -> String {
    wuye_node::secret::sha256_hex(format!("wuye csrf {secret}").as_bytes())[..32].to_string()
}

/// A cookie only the server reads, sent back to this site only; Secure over HTTPS.
pub fn cookie(name: &'static str, value: String, https: bool) -> Cookie<'static> {
    Cookie::build((name, value)).http_only(true).same_site(SameSite::Strict).secure(https).path("/").build()
}

/// Words for a refusal made before any page is drawn.
fn refusal(lang: Lang, why: &str) -> &'static str {
    match (why, lang) {
        ("missing", Lang::Zh) => "请求被拒绝：请先打开本系统的页面再提交。",
        ("missing", Lang::En) => "Refused: open the page and send the form from there.",
        ("wrong", Lang::Zh) => "请求被拒绝：页面已过期，请刷新后重新提交。",
        ("wrong", Lang::En) => "Refused: the page is out of date; reload it and send the form again.",
        (_, Lang::Zh) => "请求被拒绝：提交的内容超过 64 KB。",
        (_, Lang::En) => "Refused: what was sent is larger than 64 KB.",
    }
}

/// A refusal as plain text in the browser's language.
pub fn refused(lang: Lang, status: StatusCode, why: &str) -> Response {
    (status, [("content-type", "text/plain; charset=utf-8")], refusal(lang, why)).into_response()
}

/// The middleware: GET and HEAD pass; anything else needs the token of the
/// browser's session or pre-session secret (a browser whose session ended
/// holds both while it signs in again), in the header or the form.
pub async fn guard(State(cookies): State<Cookies>, request: Request, next: Next) -> Response {
    if matches!(*request.method(), Method::GET | Method::HEAD) {
        return next.run(request).await;
    }
    let jar = CookieJar::from_headers(request.headers());
    let lang = cookies.lang_of(&jar);
    let expected: Vec<String> =
        [cookies.session, cookies.pre].iter().filter_map(|name| jar.get(name)).map(|c| token_for(c.value())).collect();
    if expected.is_empty() {
        return refused(lang, StatusCode::FORBIDDEN, "missing");
    }
    let matches = |sent: Option<&str>| sent.is_some_and(|s| expected.iter().any(|e| e == s));
    if matches(request.headers().get(HEADER).and_then(|v| v.to_str().ok())) {
        return next.run(request).await;
    }
    let (parts, body) = request.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_BODY_BYTES).await else {
        return refused(lang, StatusCode::PAYLOAD_TOO_LARGE, "too_large");
    };
    if !matches(form_value(&bytes, FIELD).as_deref()) {
        return refused(lang, StatusCode::FORBIDDEN, "wrong");
    }
    next.run(Request::from_parts(parts, Body::from(bytes))).await
}

/// One field of a URL-encoded form body.
fn form_value(body: &[u8], name: &str) -> Option<String> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(body).ok()?;
    pairs.into_iter().find(|(k, _)| k == name).map(|(_, v)| v)
}
