//! Keys in the office's custody (钥匙管理) at the desk: taken in, lent (an
//! owner's key only by a 客服主管 or 经理, who records that the owner was
//! contacted), returned, chased, lost; the keys overdue.

use chrono::{DateTime, Utc};
use wuye_node::Records as _;
use wuye_protocol::ids::RecordId;
use wuye_protocol::key::{self, Key, KeyKind, NewKey, Step};
use wuye_protocol::staff::{may, Guarded};

use super::{Actor, Desk};
use crate::AppError;

/// A loan as the desk records it.
#[derive(Debug, Clone)]
pub struct Loan {
    /// To whom.
    pub to: String,
    /// Why.
    pub reason: String,
    /// How the owner was contacted (for an owner's key).
    pub owner_contacted: String,
    /// Due back by then.
    pub due: DateTime<Utc>,
    /// The borrower's ID-card number, or empty: kept whole at the site only.
    pub id_card: String,
}

impl Desk {
    /// Takes a key into custody.
    pub fn add_key(&mut self, new: &NewKey, actor: &Actor) -> Result<Key, AppError> {
        let id = RecordId::random(&mut self.rng);
        let mut doc = key::new_key(id, self.site.id, self.site.timezone, self.now(), &actor.name, new)?;
        Ok(wuye_node::Store::typed(self.store.insert_new(&mut doc)?)?)
    }

    /// Lends a key; an owner's key only by a 客服主管 or 经理, with how the owner was contacted.
    pub fn lend_key(&mut self, id: &str, loan: &Loan, actor: &Actor) -> Result<Key, AppError> {
        let rid = self.store.resolve(wuye_protocol::doc::RecordKind::Key, id)?;
        let key: Key = self.store.get(rid)?;
        let approved = match key.kind {
            KeyKind::OwnerDeposit => {
                may(actor.role, Guarded::ApproveOwnerKey)?;
                if loan.owner_contacted.trim().is_empty() {
                    return Err(wuye_protocol::rules::RuleError::OutOfRange {
                        field: "how the owner was contacted",
                        value: String::new(),
                        allowed: "say how and when (e.g. 电话联系业主张伟 09:10)".into(),
                    }
                    .into());
                }
                format!("{}；{}", actor.name, loan.owner_contacted.trim())
            }
            _ => String::new(),
        };
        let id_card = match loan.id_card.trim() {
            "" => String::new(),
            n => wuye_protocol::resident::check_id_card_on(
                n,
                self.now().with_timezone(&self.site.timezone).date_naive(),
            )?,
        };
        let step = Step::Lend {
            to: &loan.to,
            reason: &loan.reason,
            approved_by: &approved,
            due: loan.due,
            id_number: &id_card,
        };
        let now = self.now();
        let view = self.store.edit(rid, |doc| key::step(doc, now, &actor.name, step))?;
        if !id_card.is_empty() {
            // Beside the loan's step, by its time: the document holds only the masked number.
            crate::identity::save_borrower(&self.store, rid, &wuye_protocol::time::to_stored(now), &id_card)?;
        }
        Ok(wuye_node::Store::typed(view)?)
    }

    /// Returns, chases or loses a key.
    pub fn key_step_by_id(&mut self, id: &str, step: Step<'_>, actor: &Actor) -> Result<Key, AppError> {
        let rid = self.store.resolve(wuye_protocol::doc::RecordKind::Key, id)?;
        self.key_step(rid, step, actor)
    }

    fn key_step(&mut self, id: RecordId, step: Step<'_>, actor: &Actor) -> Result<Key, AppError> {
        let now = self.now();
        let view = self.store.edit(id, |doc| key::step(doc, now, &actor.name, step))?;
        Ok(wuye_node::Store::typed(view)?)
    }

    /// The site's working keys, by tag; only the ones lent and overdue when
    /// asked. Keys lost or handed over longer ago than the site keeps them in
    /// its lists (`key-retention-days`) are archived.
    pub fn keys(&self, overdue_only: bool) -> Result<Vec<Key>, AppError> {
        let now = self.now();
        let mut all = self.keys_where(false)?;
        if overdue_only {
            all.retain(|k| k.is_overdue(now));
        }
        Ok(all)
    }

    /// The archived keys, by tag.
    pub fn archived_keys(&self) -> Result<Vec<Key>, AppError> {
        self.keys_where(true)
    }

    fn keys_where(&self, archived: bool) -> Result<Vec<Key>, AppError> {
        let keep = chrono::Duration::days(crate::settings::SiteSettings::load(&self.store)?.key_retention_days);
        let today = self.now().with_timezone(&self.site.timezone).date_naive();
        let mut all = self.store.all::<Key>(Some(self.site.id))?;
        all.retain(|k| k.closed_on().is_some_and(|d| d + keep < today) == archived);
        Ok(all)
    }
}
