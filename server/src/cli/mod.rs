//! Head office's command line, one module per command noun.

pub(crate) mod cert;
pub(crate) mod complaint;
pub(crate) mod records;
pub(crate) mod repair;
pub(crate) mod serve;
pub(crate) mod site;
