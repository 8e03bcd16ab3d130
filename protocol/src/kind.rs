//! What every record kind is: the trait each kind implements, and reading a
//! document as one kind. The list of kinds (`record`) sits above the kinds;
//! the kinds see only this.

use automerge::ReadDoc;

use crate::doc::{self, DocError, Fields, Header, RecordKind};

/// One kind of record: which it is, and how its view is read from a document.
pub trait Kind: Sized {
    /// The kind, as the header names it.
    const KIND: RecordKind;

    /// Reads the view from a hydrated root whose header is already read and
    /// names this kind.
    fn from_root(root: &Fields<'_>, header: &Header) -> Result<Self, DocError>;
}

/// Reads and checks a document that must be of kind `T`, in one pass.
pub fn read<T: Kind>(doc: &impl ReadDoc) -> Result<T, DocError> {
    let hydrated = doc::hydrate_root(doc)?;
    let root = Fields::root(&hydrated)?;
    let header = doc::header_from(&root)?;
    if header.kind != T::KIND {
        return Err(DocError::invalid("kind", format!("not this kind of record: found {}", header.kind.as_str())));
    }
    T::from_root(&root, &header)
}
