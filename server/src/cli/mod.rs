//! Head office's command line, one module per command noun.

/// Runs `$body` with `$hq` bound to head office as its folder says, on
/// SQLite or on PostgreSQL (the body is compiled for each).
macro_rules! on_either {
    ($data:expr, $clock:expr, |$hq:ident| $body:expr) => {
        match wuye_server::office::open_any($data, $clock)? {
            #[allow(unused_mut)]
            wuye_server::office::Opened::Sqlite(mut $hq) => $body,
            #[allow(unused_mut)]
            wuye_server::office::Opened::Postgres(mut $hq) => $body,
        }
    };
}

pub(crate) mod bill;
pub(crate) mod cert;
pub(crate) mod complaint;
pub(crate) mod records;
pub(crate) mod renovation;
pub(crate) mod repair;
pub(crate) mod report;
pub(crate) mod serve;
pub(crate) mod settings;
pub(crate) mod site;
pub(crate) mod user;

/// The words the command line prints for an error from the application
/// layer (also when head office's own error carries one), in the language
/// `WUYE_LANG` asks for; `None` for other errors, whose own words stand.
pub(crate) fn words_for(error: &anyhow::Error) -> Option<String> {
    use wuye_app::messages::{message, Edge, Lang};
    if let Some(wuye_server::office::OfficeError::App(inner)) = error.downcast_ref() {
        return Some(message(inner, Lang::from_env(), Edge::Cli));
    }
    error.chain().next().and_then(wuye_app::messages::for_cli)
}
