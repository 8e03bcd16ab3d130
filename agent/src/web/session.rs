//! Sign-in for browsers: each browser holds its own session token (the
//! application layer's token sessions) in an HttpOnly, SameSite=Strict
//! cookie; every request that changes something carries a CSRF token tied
//! to that session (`wuye_web::csrf`); failed sign-ins wait per name at an
//! address and per address (`wuye_app::signin::sign_in_from`).

use std::net::SocketAddr;

use askama::Template;
use axum::extract::{ConnectInfo, FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use axum_extra::extract::cookie::{Cookie, CookieJar};
use serde::Deserialize;
use wuye_app::desk::Actor;
use wuye_app::messages::Lang;
use wuye_app::signin::SessionToken;
use wuye_app::AppError;
use wuye_web::csrf;

use super::page::{self, Page};
use super::AppState;

pub use super::page::{lang_of, COOKIES};

fn cookie(state: &AppState, name: &'static str, value: String) -> Cookie<'static> {
    csrf::cookie(name, value, state.https())
}

/// A person signed in at this browser.
#[derive(Debug, Clone)]
pub struct Signed {
    /// Who acts, with their role.
    pub actor: Actor,
    /// The page's language.
    pub lang: Lang,
    /// The CSRF token for this session's forms.
    pub csrf: String,
    /// The page asked for (path and query), for the language switch to come back to.
    pub here: String,
    token: SessionToken,
}

impl Signed {
    /// The page that says what went wrong, for this person.
    pub fn error(&self, state: &AppState, error: &AppError) -> Response {
        page::error_page(self.page(state, "", page::word(self.lang, "error.title")), error)
    }

    /// The page frame for this person.
    pub fn page(&self, state: &AppState, nav: &'static str, title: impl Into<String>) -> Page {
        let mut page = Page::new(state, self.lang, Some(&self.actor), &self.csrf, nav, title.into());
        page.here = page::url_encode(&self.here);
        page
    }
}

use wuye_web::session::{local_path, SignInFirst};

impl FromRequestParts<AppState> for Signed {
    type Rejection = SignInFirst;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let jar = CookieJar::from_headers(&parts.headers);
        let lang = lang_of(&jar);
        let back = parts.uri.path_and_query().map_or("/".to_string(), |p| p.as_str().to_string());
        let Some(token) = jar.get(COOKIES.session).map(|c| SessionToken::from_holder(c.value())) else {
            return Err(SignInFirst { back, reason: None });
        };
        let holder = token.clone();
        match state.with_desk(move |desk| desk.acting(&holder)).await {
            Ok(actor) => Ok(Signed { actor, lang, csrf: csrf::token_for(token.as_str()), here: back, token }),
            Err(e) => Err(SignInFirst { back, reason: Some(page::say(&e, lang)) }),
        }
    }
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    page: Page,
    login: String,
    error: Option<String>,
    back: String,
}

/// Where the sign-in page sends the browser afterwards.
#[derive(Debug, Deserialize)]
pub struct Back {
    #[serde(default)]
    back: Option<String>,
    #[serde(default)]
    why: Option<String>,
}

/// The sign-in page.
pub async fn login_page(State(state): State<AppState>, jar: CookieJar, Query(q): Query<Back>) -> Response {
    let lang = lang_of(&jar);
    let pre = match jar.get(COOKIES.pre) {
        Some(c) => c.value().to_string(),
        None => wuye_node::secret::random_hex_256(),
    };
    let page = Page::new(&state, lang, None, &csrf::token_for(&pre), "login", page::word(lang, "login.title").into());
    let body = LoginPage { page, login: String::new(), error: q.why, back: local_path(q.back.as_deref()) };
    (jar.add(cookie(&state, COOKIES.pre, pre)), page::html(body.render())).into_response()
}

/// The sign-in form.
#[derive(Debug, Deserialize)]
pub struct LoginForm {
    login: String,
    password: String,
    #[serde(default)]
    back: Option<String>,
}

/// Signs in: a new session for this browser.
pub async fn login(
    State(state): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    jar: CookieJar,
    Form(form): Form<LoginForm>,
) -> Response {
    let lang = lang_of(&jar);
    let LoginForm { login, password, back } = form;
    let typed = login.clone();
    let address = client.ip().to_string();
    let result = state.with_desk(move |desk| desk.open_session(&login, &password, Some(&address))).await;
    match result {
        Ok((_, token)) => {
            let jar =
                jar.remove(Cookie::from(COOKIES.pre)).add(cookie(&state, COOKIES.session, token.as_str().to_string()));
            (jar, Redirect::to(&local_path(back.as_deref()))).into_response()
        }
        Err(e) => {
            let pre = jar.get(COOKIES.pre).map_or_else(String::new, |c| c.value().to_string());
            let page =
                Page::new(&state, lang, None, &csrf::token_for(&pre), "login", page::word(lang, "login.title").into());
            let body =
                LoginPage { page, login: typed, error: Some(page::say(&e, lang)), back: local_path(back.as_deref()) };
            (StatusCode::UNAUTHORIZED, page::html(body.render())).into_response()
        }
    }
}

/// Signs out: ends this browser's session only.
pub async fn logout(State(state): State<AppState>, signed: Signed, jar: CookieJar) -> Response {
    let token = signed.token.clone();
    let now = chrono::Utc::now();
    let ended = state.with_desk(move |desk| wuye_app::signin::end_session(&desk.store, &token, now)).await;
    if let Err(e) = ended {
        return signed.error(&state, &e);
    }
    (jar.remove(Cookie::from(COOKIES.session)), Redirect::to("/login")).into_response()
}

/// Switches the pages' language and goes back where the person was.
pub async fn set_lang(
    State(state): State<AppState>,
    jar: CookieJar,
    Path(lang): Path<String>,
    Query(q): Query<Back>,
) -> Response {
    wuye_web::session::switch_lang(COOKIES, state.https(), jar, &lang, q.back.as_deref())
}
