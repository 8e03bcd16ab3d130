//! What the site's web desk (`wuye-agent`) and head office's dashboard
//! (`wuye-server`) share, so that both are served, secured and shown the same
//! way and neither repeats the other:
//!
//! - [`assets`]: the style sheet and scripts (htmx vendored) embedded in the
//!   binary under content-hashed URLs;
//! - [`csrf`]: cookies, the CSRF token tied to a browser's secret, and the
//!   middleware that refuses a change without it;
//! - [`secure`]: security headers, compression, the body limit, and serving
//!   over HTTP or HTTPS until shut down;
//! - [`tls`]: HTTPS from a certificate authority of the front end's own;
//! - [`session`]: where a browser goes back to after signing in, and the
//!   language switch;
//! - [`form`]: a form's messages beside the fields they name;
//! - [`show`]: how values are shown (money, state colours, query encoding).

pub mod assets;
pub mod csrf;
pub mod form;
pub mod secure;
pub mod session;
pub mod show;
pub mod tls;
