//! Signing in to the dashboard: each browser holds its own session (the
//! application layer's token sessions, held for a head-office person) in an
//! HttpOnly, SameSite=Strict, Secure cookie named for the dashboard; changes
//! carry the CSRF token tied to it; failed sign-ins wait per name at an
//! address and per address, as at the sites.

use std::net::SocketAddr;

use askama::Template;
use axum::extract::{ConnectInfo, FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use axum_extra::extract::cookie::{Cookie, CookieJar};
use serde::Deserialize;
use wuye_app::messages::Lang;
use wuye_app::signin::SessionToken;
use wuye_app::AppError;
use wuye_web::csrf;
use wuye_web::session::{local_path, SignInFirst};

use super::page::{self, Page, COOKIES};
use super::DashState;
use crate::office::OfficeStore;
use crate::people::{self, Actor, User};

/// A head-office person signed in at this browser.
#[derive(Debug, Clone)]
pub struct Signed {
    /// Who.
    pub user: User,
    /// The page's language.
    pub lang: Lang,
    /// The CSRF token for this session's forms.
    pub csrf: String,
    /// The page asked for, for the language switch to come back to.
    pub here: String,
    token: SessionToken,
}

impl Signed {
    /// The page frame for this person.
    pub fn page(&self, nav: &'static str, title: impl Into<String>) -> Page {
        let mut page = Page::new(self.lang, Some(&self.user), &self.csrf, nav, title.into());
        page.here = wuye_web::show::url_encode(&self.here);
        page
    }

    /// The page that says what went wrong, for this person.
    pub fn error(&self, error: &AppError) -> Response {
        page::error_page(self.page("", page::word(self.lang, "error.title")), error)
    }

    /// This person as head office's actor.
    pub fn actor(&self) -> Actor {
        Actor::Person(self.user.clone())
    }
}

impl<S: OfficeStore> FromRequestParts<DashState<S>> for Signed {
    type Rejection = SignInFirst;

    async fn from_request_parts(parts: &mut Parts, state: &DashState<S>) -> Result<Self, Self::Rejection> {
        let jar = CookieJar::from_headers(&parts.headers);
        let lang = COOKIES.lang_of(&jar);
        let back = parts.uri.path_and_query().map_or("/".to_string(), |p| p.as_str().to_string());
        let Some(token) = jar.get(COOKIES.session).map(|c| SessionToken::from_holder(c.value())) else {
            return Err(SignInFirst { back, reason: None });
        };
        let holder = token.clone();
        match state.with_office(move |hq| people::acting(&hq.store, &holder, hq.now())).await {
            Ok(user) => Ok(Signed { user, lang, csrf: csrf::token_for(token.as_str()), here: back, token }),
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

fn cookie(name: &'static str, value: String) -> Cookie<'static> {
    // The dashboard is served over HTTPS only.
    csrf::cookie(name, value, true)
}

/// The sign-in page.
pub async fn login_page(jar: CookieJar, Query(q): Query<Back>) -> Response {
    let lang = COOKIES.lang_of(&jar);
    let pre = match jar.get(COOKIES.pre) {
        Some(c) => c.value().to_string(),
        None => wuye_node::secret::random_hex_256(),
    };
    let page = Page::new(lang, None, &csrf::token_for(&pre), "login", page::word(lang, "login.title").into());
    let body = LoginPage { page, login: String::new(), error: q.why, back: local_path(q.back.as_deref()) };
    (jar.add(cookie(COOKIES.pre, pre)), page::html(body.render())).into_response()
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
pub async fn login<S: OfficeStore>(
    State(state): State<DashState<S>>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    jar: CookieJar,
    Form(form): Form<LoginForm>,
) -> Response {
    let lang = COOKIES.lang_of(&jar);
    let LoginForm { login, password, back } = form;
    let typed = login.clone();
    let address = client.ip().to_string();
    let result =
        state.with_office(move |hq| people::sign_in(&hq.store, &login, &password, Some(&address), hq.now())).await;
    match result {
        Ok((_, token)) => {
            let jar = jar.remove(Cookie::from(COOKIES.pre)).add(cookie(COOKIES.session, token.as_str().to_string()));
            (jar, Redirect::to(&local_path(back.as_deref()))).into_response()
        }
        Err(e) => {
            let pre = jar.get(COOKIES.pre).map_or_else(String::new, |c| c.value().to_string());
            let page = Page::new(lang, None, &csrf::token_for(&pre), "login", page::word(lang, "login.title").into());
            let body =
                LoginPage { page, login: typed, error: Some(page::say(&e, lang)), back: local_path(back.as_deref()) };
            (StatusCode::UNAUTHORIZED, page::html(body.render())).into_response()
        }
    }
}

/// Signs out: ends this browser's session only.
pub async fn logout<S: OfficeStore>(State(state): State<DashState<S>>, signed: Signed, jar: CookieJar) -> Response {
    let token = signed.token.clone();
    let ended = state.with_office(move |hq| wuye_app::signin::end_session(&hq.store, &token, hq.now())).await;
    if let Err(e) = ended {
        return signed.error(&e);
    }
    (jar.remove(Cookie::from(COOKIES.session)), Redirect::to("/login")).into_response()
}

/// Switches the pages' language and goes back where the person was.
pub async fn set_lang(jar: CookieJar, Path(lang): Path<String>, Query(q): Query<Back>) -> Response {
    wuye_web::session::switch_lang(COOKIES, true, jar, &lang, q.back.as_deref())
}
