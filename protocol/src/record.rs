//! Any record document, read by its kind. Generated from the list in
//! [`crate::kinds`]: nothing here names a kind.

use automerge::ReadDoc;
use serde::{Deserialize, Serialize};

use crate::doc::{self, DocError, Fields, Header, RecordKind};
use crate::ids::{RecordId, SiteId};
use crate::kind::{Kind, Projection};

macro_rules! views {
    ($($variant:ident = $name:literal in $module:ident::$ty:ident, $title:literal, $noun:literal, $word:literal;)+) => {
        /// A record as its kind presents it.
        #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
        #[serde(untagged)]
        pub enum View {
            $(
                #[doc = $title]
                $variant(Box<crate::$module::$ty>),
            )+
        }

        impl View {
            /// The record's id.
            pub fn id(&self) -> RecordId {
                match self {
                    $(View::$variant(v) => v.id(),)+
                }
            }

            /// The owning site.
            pub fn site_id(&self) -> SiteId {
                match self {
                    $(View::$variant(v) => v.site_id(),)+
                }
            }

            /// The record's kind.
            pub fn kind(&self) -> RecordKind {
                match self {
                    $(View::$variant(_) => RecordKind::$variant,)+
                }
            }

            /// Sort key and status, for lists.
            pub fn projection(&self) -> Projection {
                match self {
                    $(View::$variant(v) => v.projection(),)+
                }
            }

            /// What the record counts towards in the figures.
            pub fn facts(&self) -> Vec<crate::kpi::Fact> {
                match self {
                    $(View::$variant(v) => v.facts(),)+
                }
            }

            /// A view read back from its JSON form, as the kind `kind` writes it.
            pub fn from_json(kind: RecordKind, json: &str) -> serde_json::Result<View> {
                Ok(match kind {
                    $(RecordKind::$variant => View::$variant(Box::new(serde_json::from_str::<crate::$module::$ty>(json)?)),)+
                })
            }

            /// The view as head office may show it (see [`Kind::at_head_office`]).
            pub fn at_head_office(self) -> View {
                match self {
                    $(View::$variant(v) => View::$variant(Box::new(v.at_head_office())),)+
                }
            }

            /// The record this one replaces, if any (see [`Kind::replaces`]).
            pub fn replaces(&self) -> Option<RecordId> {
                match self {
                    $(View::$variant(v) => v.replaces(),)+
                }
            }
        }

        $(
            impl From<crate::$module::$ty> for View {
                fn from(view: crate::$module::$ty) -> Self {
                    View::$variant(Box::new(view))
                }
            }

            impl TryFrom<View> for crate::$module::$ty {
                type Error = View;
                fn try_from(view: View) -> Result<Self, View> {
                    match view {
                        View::$variant(inner) => Ok(*inner),
                        other => Err(other),
                    }
                }
            }
        )+

        /// Reads and checks any record document, in one pass: its header and its view.
        /// The kinds' `from_root` readers are reached only from here and from
        /// [`crate::kind::read`], by the header's kind, so none of them checks the kind again.
        pub fn read(doc: &impl ReadDoc) -> Result<(Header, View), DocError> {
            let hydrated = doc::hydrate_root(doc)?;
            let root = Fields::root(&hydrated)?;
            let header = doc::header_from(&root)?;
            let view = match header.kind {
                $(RecordKind::$variant => View::$variant(Box::new(<crate::$module::$ty as Kind>::from_root(&root, &header)?)),)+
            };
            Ok((header, view))
        }
    };
}

crate::kinds::for_each_kind!(views);
