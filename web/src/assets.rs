//! The desk's style sheet and scripts, embedded in the binary and served
//! under names that carry a hash of their content, so that a browser may keep
//! them for a year and still never use an old one after an upgrade.

use std::sync::OnceLock;

use axum::extract::Path;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};

/// One embedded file.
struct Asset {
    /// The name it is asked for by, before versioning.
    name: &'static str,
    content_type: &'static str,
    bytes: &'static [u8],
}

const ASSETS: [Asset; 3] = [
    Asset { name: "style.css", content_type: "text/css; charset=utf-8", bytes: include_bytes!("../assets/style.css") },
    Asset {
        name: "desk.js",
        content_type: "text/javascript; charset=utf-8",
        bytes: include_bytes!("../assets/desk.js"),
    },
    Asset {
        name: "htmx.min.js",
        content_type: "text/javascript; charset=utf-8",
        bytes: include_bytes!("../assets/htmx.min.js"),
    },
];

/// The versioned URLs pages link to.
#[derive(Debug)]
pub struct Urls {
    /// The style sheet.
    pub css: &'static str,
    /// The desk's script.
    pub js: &'static str,
    /// htmx.
    pub htmx: &'static str,
}

fn versioned(asset: &Asset) -> String {
    let hash = wuye_node::secret::sha256_hex(asset.bytes);
    let (stem, ext) = asset.name.rsplit_once('.').unwrap_or((asset.name, ""));
    format!("{stem}.{}.{ext}", &hash[..10])
}

/// The URLs, computed once.
pub fn urls() -> &'static Urls {
    static URLS: OnceLock<Urls> = OnceLock::new();
    URLS.get_or_init(|| {
        let url =
            |i: usize| -> &'static str { Box::leak(format!("/assets/{}", versioned(&ASSETS[i])).into_boxed_str()) };
        Urls { css: url(0), js: url(1), htmx: url(2) }
    })
}

/// Serves an embedded file by its versioned name.
pub async fn serve(Path(name): Path<String>) -> Response {
    match ASSETS.iter().find(|a| versioned(a) == name) {
        Some(asset) => (
            [
                (header::CONTENT_TYPE, asset.content_type),
                (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
            ],
            asset.bytes,
        )
            .into_response(),
        None => (StatusCode::NOT_FOUND, "no such file").into_response(),
    }
}
