//! The desk's operations on commitments (约定回复).

use super::*;

impl Desk {
    /// Writes down a commitment (约定回复) due at `due`.
    pub fn add_commitment(
        &mut self,
        words: &str,
        caller: &str,
        due: DateTime<Utc>,
        actor: &Actor,
    ) -> Result<Commitment, AppError> {
        let id = RecordId::random(&mut self.rng);
        let (site, tz, now) = (self.site.id, self.site.timezone, self.clock.now());
        let mut doc = commitment::new_commitment(id, site, tz, now, &actor.name, words, caller, due)?;
        Ok(Store::typed(self.store.insert_new(&mut doc)?)?)
    }

    /// Records the reply given on a commitment.
    pub fn commitment_reply(&mut self, id: &str, reply: &str, actor: &Actor) -> Result<(), AppError> {
        let id = self.store.resolve(RecordKind::Commitment, id)?;
        let now = self.clock.now();
        Ok(self.store.edit(id, |doc| commitment::commitment_reply(doc, now, &actor.name, reply)).map(drop)?)
    }
}
