//! Whole identity numbers (ID-card and household-register numbers), kept at
//! the site only: in a table of its own that never syncs (the site's backups
//! hold it), while the resident's document carries the masked form.
//!
//! A site whose residents were registered with the first layout (whole
//! numbers in the synced document) moves each of them, when its folder is
//! opened, to a new document without them that names the old one in
//! `replaces`; the old document is deleted here, and head office deletes and
//! purges it from its files when the new one arrives.

use rand::rngs::StdRng;
use rusqlite::{params, OptionalExtension};
use wuye_node::migrate::{self, Step};
use wuye_node::{Filter, Page, Store, StoreError};
use wuye_protocol::ids::RecordId;
use wuye_protocol::resident::{self, Identity, Resident, WHOLE_NUMBERS};

/// The table's layout, step by step.
const IDENTITY_STEPS: &[Step] = &[
    Step::Sql(
        "CREATE TABLE IF NOT EXISTS resident_identity (
        resident_id TEXT PRIMARY KEY,
        id_card TEXT NOT NULL,
        household_register TEXT NOT NULL
    ) WITHOUT ROWID;",
    ),
    // A key borrower's ID-card number, by the key and the loan's stored time.
    Step::Sql(
        "CREATE TABLE IF NOT EXISTS key_borrower_identity (
        key_id TEXT NOT NULL,
        lent_at TEXT NOT NULL,
        id_card TEXT NOT NULL,
        PRIMARY KEY (key_id, lent_at)
    ) WITHOUT ROWID;",
    ),
];

/// Lays out the table, then moves any resident still holding whole numbers
/// in its document (see the module's note); run when a site's folder is opened.
pub fn migrate(store: &mut Store, rng: &mut StdRng) -> Result<usize, StoreError> {
    migrate::apply(store.conn(), "identity", IDENTITY_STEPS)?;
    let filter = Filter { statuses: vec![WHOLE_NUMBERS.to_string()], ..Filter::default() };
    let old: Vec<Resident> = store.page::<Resident>(&filter, &Page::all())?.items;
    if old.is_empty() {
        return Ok(0);
    }
    let mut docs = Vec::with_capacity(old.len());
    let mut kept = Vec::with_capacity(old.len());
    for resident in &old {
        let id = RecordId::random(rng);
        let doc = store.load(resident.id)?;
        let tz = wuye_protocol::doc::read_header(&doc)
            .map_err(|e| StoreError::Corrupt { id: resident.id.to_string(), reason: e.to_string() })?
            .timezone;
        let (doc, identity) = resident::replacement(resident, id, tz)?;
        docs.push(doc);
        kept.push((id, identity));
    }
    store.insert_batch_with(&mut docs, |tx| {
        for (id, identity) in &kept {
            save(tx, *id, identity)?;
        }
        Ok(())
    })?;
    tracing::info!(
        residents = old.len(),
        "moved residents to documents without whole identity numbers; head office deletes the old ones at the next sync"
    );
    Ok(old.len())
}

/// Keeps a resident's whole numbers (in the transaction that saves the resident).
pub fn save(tx: &rusqlite::Transaction<'_>, resident: RecordId, identity: &Identity) -> Result<(), StoreError> {
    tx.prepare_cached(
        "INSERT INTO resident_identity (resident_id, id_card, household_register) VALUES (?1, ?2, ?3)
         ON CONFLICT (resident_id) DO UPDATE SET id_card = excluded.id_card, household_register = excluded.household_register",
    )?
    .execute(params![resident.to_string(), identity.id_card, identity.household_register])?;
    Ok(())
}

/// Keeps a key borrower's whole ID-card number at the site.
pub fn save_borrower(store: &Store, key: RecordId, lent_at: &str, id_card: &str) -> Result<(), StoreError> {
    store
        .conn()
        .prepare_cached(
            "INSERT INTO key_borrower_identity (key_id, lent_at, id_card) VALUES (?1, ?2, ?3)
             ON CONFLICT (key_id, lent_at) DO UPDATE SET id_card = excluded.id_card",
        )?
        .execute(params![key.to_string(), lent_at, id_card])?;
    Ok(())
}

/// A key borrower's whole ID-card number, when this site keeps it.
pub fn borrower(store: &Store, key: RecordId, lent_at: &str) -> Result<Option<String>, StoreError> {
    Ok(store
        .conn()
        .prepare_cached("SELECT id_card FROM key_borrower_identity WHERE key_id = ?1 AND lent_at = ?2")?
        .query_row(params![key.to_string(), lent_at], |r| r.get(0))
        .optional()?)
}

/// Deletes a resident's whole numbers (their details were removed).
pub fn forget(store: &Store, resident: RecordId) -> Result<(), StoreError> {
    store
        .conn()
        .prepare_cached("DELETE FROM resident_identity WHERE resident_id = ?1")?
        .execute([resident.to_string()])?;
    Ok(())
}

/// A resident's whole numbers, when this site keeps them.
pub fn load(store: &Store, resident: RecordId) -> Result<Option<Identity>, StoreError> {
    Ok(store
        .conn()
        .prepare_cached("SELECT id_card, household_register FROM resident_identity WHERE resident_id = ?1")?
        .query_row([resident.to_string()], |r| Ok(Identity { id_card: r.get(0)?, household_register: r.get(1)? }))
        .optional()?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use automerge::transaction::Transactable;
    use rand::SeedableRng;
    use wuye_node::Records as _;
    use wuye_protocol::ids::SiteId;
    use wuye_protocol::resident::NewResident;
    use wuye_protocol::time;

    const CARD: &str = "11010519491231002X";

    #[test]
    fn a_resident_of_the_first_layout_moves_to_a_document_without_the_numbers() {
        let mut rng = StdRng::seed_from_u64(4);
        let mut store = Store::open_in_memory().unwrap();
        let now = time::from_stored("2026-11-27T02:00:00Z").unwrap();
        let input = NewResident {
            unit: "3栋501".into(),
            name: "张伟".into(),
            phone: "13800138000".into(),
            id_card: CARD.into(),
            household_register: "A1234567".into(),
            ..NewResident::default()
        };
        let site = SiteId::random(&mut rng);
        let tz = chrono_tz::Asia::Shanghai;
        // The first layout: whole numbers in the document.
        let (mut doc, _) = resident::create(RecordId::random(&mut rng), site, tz, now, "李娜", &input).unwrap();
        doc.put(automerge::ROOT, "id_card", CARD).unwrap();
        doc.put(automerge::ROOT, "household_register", "A1234567").unwrap();
        doc.delete(automerge::ROOT, "masked").unwrap();
        let old: Resident = wuye_node::Store::typed(store.insert_new(&mut doc).unwrap()).unwrap();
        assert!(old.holds_whole_numbers());

        assert_eq!(migrate(&mut store, &mut rng).unwrap(), 1);
        assert_eq!(migrate(&mut store, &mut rng).unwrap(), 0, "once");
        let now_held = store.all::<Resident>(None).unwrap();
        assert_eq!(now_held.len(), 1);
        let new = &now_held[0];
        assert_eq!(new.replaces, Some(old.id));
        assert_eq!((new.id_card.as_str(), new.masked), ("110105********002X", true));
        assert_eq!((new.name.as_str(), new.created_at, new.by.as_str()), ("张伟", old.created_at, "李娜"));
        assert_eq!(load(&store, new.id).unwrap().unwrap().id_card, CARD);
        assert!(store.load(old.id).is_err(), "the old document is deleted here");
        type Stored = (String, String, Vec<u8>, Vec<u8>, Option<i64>);
        let stored: Vec<Stored> = store
            .conn()
            .prepare("SELECT d.id, s.site_id, d.heads, d.bytes, d.dict FROM docs d JOIN site_numbers s ON s.n = d.site")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        for (id, site, heads, bytes, dict) in stored {
            let bytes = wuye_node::store::stored_document(store.conn(), (&id, &site, &heads), bytes, dict).unwrap();
            assert!(!bytes.windows(CARD.len()).any(|w| w == CARD.as_bytes()));
        }
        let dictionaries: Vec<Vec<u8>> = store
            .conn()
            .prepare("SELECT bytes FROM doc_dictionaries")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert!(!dictionaries.is_empty());
        for bytes in dictionaries {
            assert!(!bytes.windows(CARD.len()).any(|w| w == CARD.as_bytes()), "nor in a dictionary");
        }
    }
}
